//! Instance evidence (`instances.json`) against the dump of the same run: the goroutines the
//! dump shows stuck in `sync.Mutex.Lock` are the ones whose waits and holds form the cycle,
//! with the acquire lines of the source. Checked on recorded runs of Go 1.26 and 1.27 (no Go
//! needed) and on live runs of the machine's Go.

use std::collections::BTreeSet;
use std::path::Path;

use gorepro::evidence::dump::Dump;
use gorepro::evidence::instances::{Hold, Instances, Kind, Mode, ObjectState, Op, Status};
use gorepro::evidence::{parse_dump, parse_instances};
use gorepro::scenario::Variant;
use gorepro::{Config, Harness, RunOptions};

use crate::common::root;

const AB_BA: &str = "gorepro.dev/samples/scenarios/mutex_ab_ba/buggy.go";
const DOUBLE_LOCK: &str = "gorepro.dev/samples/scenarios/mutex_double_lock/buggy.go";

/// The ids of the goroutines the dump shows in `sync.Mutex.Lock` at `file:line`.
fn stuck_at(dump: &Dump, file: &str, line: u32) -> BTreeSet<u64> {
    dump.goroutines
        .iter()
        .filter(|g| g.state == "sync.Mutex.Lock")
        .filter(|g| g.frames.iter().any(|f| f.file == file && f.line == line))
        .map(|g| g.id)
        .collect()
}

/// The one mutex wait of `goid`: its object.
fn mutex_wait(instances: &Instances, goid: u64) -> u64 {
    let waits: Vec<_> = instances.waits_of(goid).collect();
    assert_eq!(waits.len(), 1, "G{goid}: {waits:?}");
    let wait = waits[0];
    assert_eq!(
        (wait.reason.as_str(), wait.kind, wait.op, wait.leaked),
        ("sync.Mutex.Lock", Some(Kind::Mutex), Some(Op::Lock), true),
        "G{goid}: {wait:?}"
    );
    wait.object.unwrap()
}

/// The one recorded holder of `object`.
fn holder(instances: &Instances, object: u64) -> &Hold {
    let holds: Vec<_> = instances.holders_of(object).collect();
    assert_eq!(holds.len(), 1, "{object:#x}: {holds:?}");
    assert_eq!((holds[0].kind, holds[0].mode), (Kind::Mutex, Mode::Write));
    holds[0]
}

/// The innermost acquire frame, as `function file:line`.
fn acquired_at(hold: &Hold) -> String {
    let frame = &hold.stack[0];
    format!("{} {}:{}", frame.function, frame.file, frame.line)
}

/// Two transfers, each holding one account's mutex (taken at buggy.go:9) and waiting at
/// buggy.go:13 for the other's.
fn check_ab_ba(instances: &Instances, dump: &Dump) {
    let stuck = stuck_at(dump, AB_BA, 13);
    assert_eq!(stuck.len(), 2, "{dump:?}");
    let [a, b] = [*stuck.first().unwrap(), *stuck.last().unwrap()];
    for (waiter, other) in [(a, b), (b, a)] {
        let object = mutex_wait(instances, waiter);
        let hold = holder(instances, object);
        assert_eq!(hold.goid, other, "G{waiter} waits for G{other}'s lock");
        assert!(hold.alive);
        assert_eq!(acquired_at(hold), format!("main.transfer {AB_BA}:9"));
        let Some(ObjectState::Mutex {
            locked,
            sema_waiters,
            blocked,
        }) = instances.object(object).map(|o| &o.state)
        else {
            panic!("{object:#x} is not a mutex: {instances:?}");
        };
        assert!(*locked);
        assert_eq!((*sema_waiters, blocked.as_slice()), (1, &[waiter][..]));
    }
    for goid in [a, b] {
        let status = instances.goroutines.iter().find(|g| g.goid == goid);
        assert_eq!(status.map(|g| g.status), Some(Status::Leaked));
    }
    assert_eq!(instances.registry_overflow, 0);
}

/// One goroutine waiting at buggy.go:17 for the lock it took itself at buggy.go:7.
fn check_double_lock(instances: &Instances, dump: &Dump) {
    let stuck = stuck_at(dump, DOUBLE_LOCK, 17);
    assert_eq!(stuck.len(), 1, "{dump:?}");
    let goid = *stuck.first().unwrap();
    let hold = holder(instances, mutex_wait(instances, goid));
    assert_eq!(hold.goid, goid, "the waiter holds the lock itself");
    assert!(hold.alive);
    assert_eq!(
        acquired_at(hold),
        format!("main.(*cache).get {DOUBLE_LOCK}:7")
    );
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

fn parsed(dir: &Path) -> (Instances, Dump) {
    let instances = parse_instances(&read(dir, "instances.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    (instances, parse_dump(&read(dir, "goroutines.txt")))
}

fn recorded(version: &str, package: &str) -> std::path::PathBuf {
    root()
        .join("harness/tests/fixtures/recorded")
        .join(version)
        .join(format!("{package}-buggy"))
}

#[test]
fn recorded_ab_ba_waits_and_holds_form_the_cycle() {
    for version in ["go1.26", "go1.27"] {
        let (instances, dump) = parsed(&recorded(version, "mutex_ab_ba"));
        check_ab_ba(&instances, &dump);
    }
}

#[test]
fn recorded_double_lock_waiter_holds_its_own_lock() {
    for version in ["go1.26", "go1.27"] {
        let (instances, dump) = parsed(&recorded(version, "mutex_double_lock"));
        check_double_lock(&instances, &dump);
    }
}

/// A reader holding the lock, a writer pending behind it, the reader's second RLock queued
/// behind the writer.
#[test]
fn recorded_recursive_rlock_shows_the_reader_and_the_pending_writer() {
    for version in ["go1.26", "go1.27"] {
        let (instances, dump) = parsed(&recorded(version, "rwmutex_recursive_rlock"));
        let in_state = |state: &str| -> Vec<u64> {
            dump.goroutines
                .iter()
                .filter(|g| g.state == state)
                .map(|g| g.id)
                .collect()
        };
        let (readers, writers) = (
            in_state("sync.RWMutex.RLock"),
            in_state("sync.RWMutex.Lock"),
        );
        let ([reader], [writer]) = (&readers[..], &writers[..]) else {
            panic!("{version}: {dump:?}");
        };
        let ops = |goid| -> Vec<_> {
            instances
                .waits_of(goid)
                .map(|w| (w.kind, w.op, w.object))
                .collect()
        };
        let (reader, writer) = (*reader, *writer);
        let object = ops(reader)[0].2.unwrap();
        assert_eq!(
            ops(reader),
            [(Some(Kind::RwMutex), Some(Op::RLock), Some(object))]
        );
        assert_eq!(
            ops(writer),
            [(Some(Kind::RwMutex), Some(Op::Lock), Some(object))]
        );
        let holds: Vec<_> = instances.holders_of(object).collect();
        assert_eq!(holds.len(), 1, "{holds:?}");
        assert_eq!(
            (holds[0].goid, holds[0].kind, holds[0].mode),
            (reader, Kind::RwMutex, Mode::Read)
        );
        let Some(ObjectState::RwMutex {
            readers,
            writer_pending,
            reader_wait,
            blocked,
            ..
        }) = instances.object(object).map(|o| &o.state)
        else {
            panic!("{version}: {instances:?}");
        };
        // The held read lock and the queued one; the writer waits for the one holder.
        assert_eq!(
            (*readers, *writer_pending, *reader_wait),
            (Some(2), Some(true), Some(1))
        );
        let mut blocked = blocked.clone();
        blocked.sort();
        let mut both = vec![reader, writer];
        both.sort();
        assert_eq!(blocked, both);
    }
}

/// Runs the scenario's buggy variant and returns its evidence dir.
fn live(id: &str) -> std::path::PathBuf {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get(id).unwrap();
    let params = scenario.params::<&str>(&[]).unwrap();
    let options = RunOptions {
        gomaxprocs: 2,
        label: "instances".into(),
    };
    let record = harness
        .reproduce(scenario, Variant::Buggy, &params, &options)
        .unwrap();
    assert!(record.matches, "{:?}", record.mismatches);
    std::path::PathBuf::from(record.evidence_dir)
}

#[test]
fn live_ab_ba_waits_and_holds_form_the_cycle() {
    let (instances, dump) = parsed(&live("mutex-ab-ba"));
    check_ab_ba(&instances, &dump);
}

#[test]
fn live_double_lock_waiter_holds_its_own_lock() {
    let (instances, dump) = parsed(&live("mutex-double-lock"));
    check_double_lock(&instances, &dump);
}

/// The WaitGroup hook and the instance overlay go into the one overlay.json of a build, with
/// the tag that compiles the snapshot (the scenario's snapshot test runs that build).
#[test]
fn the_waitgroup_hook_and_the_instance_overlay_share_one_overlay() {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get("wg-add-concurrent-with-wait").unwrap();
    assert!(scenario.sync_hook);
    let params = scenario.params::<&str>(&[]).unwrap();
    let program = harness.program(scenario, Variant::Buggy, &params).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let flags = program.selection_flags(dir.path()).unwrap();
    assert!(
        flags.contains(&format!("-tags={}", gorepro::codegen::instances::TAG)),
        "{flags:?}"
    );
    let overlay: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "overlay.json")).unwrap();
    let goroot = harness.toolchain.goroot().unwrap();
    let mut targets: Vec<_> = overlay["Replace"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| Path::new(k).strip_prefix(&goroot).ok())
        .map(|p| p.display().to_string())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "src/context/context.go",
            "src/context/gorepro_instances.go",
            "src/runtime/gorepro_instances.go",
            "src/runtime/gorepro_lockorder.go",
            "src/runtime/proc.go",
            "src/sync/gorepro_instances.go",
            "src/sync/mutex.go",
            "src/sync/rwmutex.go",
            "src/sync/waitgroup.go",
        ]
    );
}

/// `GOREPRO_INSTANCES=off`: stock builds. Nothing of the toolchain is laid over and the tag is
/// not set; the run still reaches its verdict with the outcome its spec says, leaves no
/// instances.json, and the diagnosis has no wait-for graph but still a class, from the dump
/// and the trace. The same through `gorepro diagnose`.
#[test]
fn stock_builds_without_the_overlay_degrade_to_the_dump() {
    let harness = Harness::new(Config {
        instances: false,
        ..Config::from_env().unwrap()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get("mutex-double-lock").unwrap();
    let params = scenario.params::<&str>(&[]).unwrap();
    let program = harness.program(scenario, Variant::Buggy, &params).unwrap();
    let goroot = harness.toolchain.goroot().unwrap();
    assert!(
        program
            .overlay
            .iter()
            .all(|(target, _)| !target.starts_with(&goroot)),
        "{:?}",
        program.overlay.iter().map(|(t, _)| t).collect::<Vec<_>>()
    );
    assert!(
        !program
            .tags
            .iter()
            .any(|t| t == gorepro::codegen::instances::TAG)
    );
    let options = RunOptions {
        gomaxprocs: 2,
        label: "stock".into(),
    };
    let record = harness
        .reproduce(scenario, Variant::Buggy, &params, &options)
        .unwrap();
    assert_eq!(record.observed_outcome, record.expected_outcome);
    let dir = Path::new(&record.evidence_dir);
    assert!(dir.join("goroutines.txt").is_file());
    assert!(!dir.join("instances.json").exists());
    assert!(record.diagnosis.wait_for.is_none());
    let class = record
        .diagnosis
        .class
        .expect("a class from the dump and the trace");
    assert!(
        gorepro::vocabulary::taxonomy::lookup(class).is_some(),
        "{class}"
    );

    let case = root().join("go-samples/corpus/moby_7559");
    let mut request = gorepro::diagnose::DiagnoseRequest::new(&[case.to_str().unwrap()]);
    request.flags.run = Some("^TestBuggy$".into());
    request.runs = 2;
    request.env.retain(|(name, _)| name != "GOPROXY");
    request.env.push(("GOPROXY".into(), "off".into()));
    let mut diagnosed = gorepro::diagnose::diagnose(&harness, &request, |_| {}).unwrap();
    let gorepro::diagnose::PackageResult::Explored(report) = diagnosed.packages.remove(0) else {
        panic!("not explored")
    };
    assert_eq!(report.hits, 2);
    for run in &report.runs {
        assert_eq!(run.diagnosis.outcome, gorepro::Outcome::Deadlock);
        assert!(run.diagnosis.wait_for.is_none());
        assert!(run.diagnosis.class.is_some());
        assert!(!Path::new(&run.evidence_dir).join("instances.json").exists());
    }
}
