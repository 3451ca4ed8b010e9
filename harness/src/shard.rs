//! `--shard K/N`: one of N processes (machines, CI jobs) takes every N-th item of a command's
//! work, as `cargo nextest run --partition count:K/N` does with tests: the item at 0-based index
//! `i` of the unsplit order belongs to shard `i mod N + 1`. Each shard writes JSON lines;
//! [`crate::merge`] combines them into the report one process would have printed.
//!
//! The items are those of the unsplit command, in its order: for `diagnose`, the seeds
//! `v3:1..=v3:runs` (seed `v3:s` is item `s - 1`); for `run`, (scenario, variant, GOMAXPROCS,
//! repeat) in the order `run` walks them. An item means the same on every shard (a seed is a
//! schedule, an item of `run` one program under one setting), so where it runs changes nothing.

use std::fmt;
use std::str::FromStr;

/// This process's share: shard `index` of `count`, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("--shard {text:?} is not K/N (shard K of N, as in `count:K/N`), e.g. 2/4")]
    Syntax { text: String },
    #[error("--shard {text:?}: K must be between 1 and N (N >= 1)")]
    OutOfRange { text: String },
}

impl Shard {
    /// The whole, unsplit work.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Whether the item at 0-based `position` of the unsplit order is this shard's.
    pub fn takes(self, position: u64) -> bool {
        position % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// The shard of `count` that takes the item at 0-based `position`.
    pub fn owning(position: u64, count: u32) -> Shard {
        let index = position % u64::from(count);
        Shard {
            index: u32::try_from(index).expect("below count, a u32") + 1,
            count,
        }
    }
}

/// The identity of a `gorepro run` command's unsplit list of items, from the Go version and
/// each item's description in order: the lines of processes with equal plans are shares of one
/// run and can be merged.
pub fn plan_key(go_version: &str, items: impl IntoIterator<Item = String>) -> String {
    let mut hasher = blake3::Hasher::new();
    for field in std::iter::once(go_version.to_string()).chain(items) {
        hasher.update(&(field.len() as u64).to_le_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.finalize().to_hex()[..16].to_string()
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    /// `K/N`, or nextest's spelling `count:K/N`.
    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax { text: text.into() };
        let (index, count) = text
            .strip_prefix("count:")
            .unwrap_or(text)
            .split_once('/')
            .ok_or_else(syntax)?;
        let index: u32 = index.trim().parse().map_err(|_| syntax())?;
        let count: u32 = count.trim().parse().map_err(|_| syntax())?;
        if count == 0 || index == 0 || index > count {
            return Err(ShardError::OutOfRange { text: text.into() });
        }
        Ok(Shard { index, count })
    }
}

impl serde::Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Shard, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_read_like_nextest_partitions() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("count:1/2".parse(), Ok(Shard { index: 1, count: 2 }));
        assert_eq!(Shard { index: 3, count: 8 }.to_string(), "3/8");
        for bad in ["", "2", "a/4", "2/b", "2-4", "hash:1/2"] {
            assert!(
                matches!(bad.parse::<Shard>(), Err(ShardError::Syntax { .. })),
                "{bad:?}"
            );
        }
        for bad in ["0/4", "5/4", "1/0"] {
            assert!(
                matches!(bad.parse::<Shard>(), Err(ShardError::OutOfRange { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_shards_of_n_take_every_item_exactly_once() {
        for count in 1..=5 {
            for position in 0..40u64 {
                let takers: Vec<u32> = (1..=count)
                    .filter(|&index| Shard { index, count }.takes(position))
                    .collect();
                // Nextest's count:K/N: item i goes to shard (i mod N) + 1.
                assert_eq!(takers, vec![(position % u64::from(count)) as u32 + 1]);
            }
        }
        assert!((0..10).all(|p| Shard::WHOLE.takes(p)));
    }
}
