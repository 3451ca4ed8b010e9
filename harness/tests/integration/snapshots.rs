//! Every variant of every scenario, reproduced with the real Go toolchain (`GOREPRO_GO` or
//! `go` on PATH) on GOMAXPROCS 1 and 2: the diagnosis must meet the spec's expectation, be the
//! same on both, and equal the reviewed snapshot.

use gorepro::scenario::Variant;
use gorepro::{Config, Harness, RunOptions, report};

use crate::common::{insta_settings, snapshot_name};

fn check(id: &str, variant: Variant) {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get(id).unwrap();
    let params = scenario.params::<&str>(&[]).unwrap();
    let mut texts = Vec::new();
    for gomaxprocs in [1, 2] {
        let options = RunOptions {
            gomaxprocs,
            label: "snapshot".into(),
        };
        let record = harness
            .reproduce(scenario, variant, &params, &options)
            .unwrap();
        let text = report::render_diagnosis(id, variant, &params, &record.diagnosis);
        assert!(
            record.matches,
            "{id} ({variant}, GOMAXPROCS={gomaxprocs}) does not meet its spec: {:?}\n{text}\nevidence: {}",
            record.mismatches, record.evidence_dir
        );
        texts.push(text);
    }
    assert_eq!(
        texts[0], texts[1],
        "GOMAXPROCS 1 and 2 diagnose {id} ({variant}) differently"
    );
    insta_settings().bind(|| insta::assert_snapshot!(snapshot_name(id, variant), texts[0]));
}

macro_rules! scenario_tests {
    ($($name:ident => $id:literal,)*) => {
        mod buggy { $( #[test] fn $name() { super::check($id, super::Variant::Buggy) } )* }
        mod fixed { $( #[test] fn $name() { super::check($id, super::Variant::Fixed) } )* }
        /// The list above names every scenario of the catalog.
        #[test]
        fn every_scenario_has_a_test() {
            let listed = [$($id),*];
            let catalog = gorepro::scenario::Catalog::load(
                &crate::common::root().join("scenarios"),
                &crate::common::root().join("go-samples"),
            ).unwrap();
            for scenario in &catalog.scenarios {
                assert!(listed.contains(&scenario.id.as_str()), "no snapshot test for {}", scenario.id);
            }
        }
    };
}

scenario_tests! {
    chan_buffer_full => "chan-buffer-full",
    chan_circular_wait => "chan-circular-wait",
    chan_close_of_closed => "chan-close-of-closed",
    chan_close_of_nil => "chan-close-of-nil",
    chan_empty_select => "chan-empty-select",
    chan_goroutine_pileup => "chan-goroutine-pileup",
    chan_nil => "chan-nil",
    chan_range_not_closed => "chan-range-not-closed",
    chan_recv_no_sender => "chan-recv-no-sender",
    chan_select_default_drop => "chan-select-default-drop",
    chan_select_no_partner => "chan-select-no-partner",
    chan_send_abandoned => "chan-send-abandoned",
    chan_send_abandoned_ctx => "chan-send-abandoned-ctx",
    chan_send_deadlock => "chan-send-deadlock",
    chan_send_on_closed => "chan-send-on-closed",
    cond_if_not_for => "cond-if-not-for",
    cond_lost_wakeup => "cond-lost-wakeup",
    cond_signaller_blocked => "cond-signaller-blocked",
    cond_signal_not_broadcast => "cond-signal-not-broadcast",
    cond_wait_without_lock => "cond-wait-without-lock",
    ctx_cancel_never_called => "ctx-cancel-never-called",
    ctx_cancel_before_block => "ctx-cancel-before-block",
    ctx_checked_before_block => "ctx-checked-before-block",
    ctx_result_send_gap => "ctx-result-send-gap",
    map_concurrent_writes => "map-concurrent-writes",
    mutex_ab_ba => "mutex-ab-ba",
    mutex_double_lock => "mutex-double-lock",
    mutex_copied => "mutex-copied",
    mutex_held_across_receive => "mutex-held-across-receive",
    mutex_held_across_wait => "mutex-held-across-wait",
    mutex_held_while_sending => "mutex-held-while-sending",
    mutex_latent_inversion => "mutex-latent-inversion",
    mutex_unlock_of_unlocked => "mutex-unlock-of-unlocked",
    mutex_unlock_skipped => "mutex-unlock-skipped",
    once_recursive => "once-recursive",
    race_counter => "race-counter",
    rwmutex_recursive_rlock => "rwmutex-recursive-rlock",
    rwmutex_rlock_upgrade => "rwmutex-rlock-upgrade",
    sched_starvation => "sched-starvation",
    ticker_leak => "ticker-leak",
    timer_drain_after_receive => "timer-drain-after-receive",
    wg_add_concurrent_with_wait => "wg-add-concurrent-with-wait",
    wg_add_inside_goroutine => "wg-add-inside-goroutine",
    wg_missing_done => "wg-missing-done",
    wg_negative_counter => "wg-negative-counter",
    wg_reuse => "wg-reuse",
    wg_wait_before_drain => "wg-wait-before-drain",
}
