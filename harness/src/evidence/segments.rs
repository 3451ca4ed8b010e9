//! The supervisor's trace window on disk. In stream mode the supervisor writes the trace into
//! numbered segments of whole generations (`trace-000001.out`, ...), each a valid trace on its
//! own, and deletes the oldest beyond `GOREPRO_TRACE_WINDOW_MB`; at its verdict it joins them
//! into `trace.out`. A run that crashed or was killed leaves the segments: [`join`] does the
//! same join here, so every run ends with one `trace.out` that `go tool trace` opens.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The trace header every segment starts with (`go 1.26 trace\0\0\0`).
const HEADER_BYTES: u64 = 16;

/// What joining found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    /// Segments there were, the deleted ones included.
    pub segments: u64,
    /// The oldest segments, deleted by the window before the run ended.
    pub dropped: u64,
}

/// Joins the segments left in `dir` into `dir/trace.out`, oldest first, and deletes them.
/// `None` when there are none (the supervisor joined them itself, or wrote no trace).
pub fn join(dir: &Path) -> io::Result<Option<Joined>> {
    let mut segments: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?;
            let number = name.strip_prefix("trace-")?.strip_suffix(".out")?;
            Some((number.parse().ok()?, path))
        })
        .collect();
    segments.sort();
    let (Some((first, _)), Some((last, _))) = (segments.first(), segments.last()) else {
        return Ok(None);
    };
    let joined = Joined {
        segments: *last,
        dropped: first - 1,
    };
    let mut out = File::create(dir.join("trace.out"))?;
    for (i, (_, path)) in segments.iter().enumerate() {
        let mut segment = File::open(path)?;
        if i > 0 {
            segment.seek(SeekFrom::Start(HEADER_BYTES))?;
        }
        io::copy(&mut segment.by_ref(), &mut out)?;
        std::fs::remove_file(path)?;
    }
    Ok(Some(joined))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_join_oldest_first_with_one_header() {
        let dir = tempfile::tempdir().unwrap();
        let header = b"go 1.26 trace\0\0\0";
        for (number, body) in [(3, "ccc"), (4, "dd"), (5, "")] {
            let mut bytes = header.to_vec();
            bytes.extend_from_slice(body.as_bytes());
            std::fs::write(dir.path().join(format!("trace-{number:06}.out")), bytes).unwrap();
        }
        let joined = join(dir.path()).unwrap();
        assert_eq!(
            joined,
            Some(Joined {
                segments: 5,
                dropped: 2
            })
        );
        let mut expected = header.to_vec();
        expected.extend_from_slice(b"cccdd");
        assert_eq!(
            std::fs::read(dir.path().join("trace.out")).unwrap(),
            expected
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only trace.out is left");
    }

    #[test]
    fn nothing_to_join() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("trace.out"), b"x").unwrap();
        std::fs::write(dir.path().join("trace-x.out"), b"not a segment").unwrap();
        assert_eq!(join(dir.path()).unwrap(), None);
        assert_eq!(std::fs::read(dir.path().join("trace.out")).unwrap(), b"x");
    }
}
