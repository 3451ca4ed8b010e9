//! `cargo bench --bench graph_scale`: the wait-for graph's shape search on many stuck
//! goroutines, against the same search on few, in the same run.
//!
//! A pool that leaks its workers leaves hundreds or thousands of goroutines, each parked on a
//! channel of its own that it still reaches, beside a few that wait on a shared one (ants'
//! suite left about a thousand; the search once took minutes on it because every lookup
//! scanned every wait). The figure is the time per stuck goroutine at each size and its
//! ratio to the smallest size: about 1 when the search is linear in the stuck goroutines.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use gorepro::graph::{ChannelState, Graph, Instance, Kind, Op, Reach, Wait};

/// `workers` goroutines each receiving on a channel of its own (ids 1..=workers), and a tenth
/// as many sending on one shared unbuffered channel that every worker still reaches.
fn leaked_pool(workers: u64) -> (Graph, BTreeSet<u64>) {
    let channel = |capacity| Instance {
        kind: Kind::Channel,
        address: 0,
        channel: Some(ChannelState {
            capacity,
            length: 0,
            closed: false,
            timer: false,
            timer_pending: None,
        }),
    };
    let shared = 0;
    let mut graph = Graph {
        instances: vec![channel(0)],
        ..Graph::default()
    };
    let mut reach = BTreeMap::new();
    for g in 1..=workers {
        graph.instances.push(channel(0));
        let own = graph.instances.len() - 1;
        graph.waits.push(Wait {
            goroutine: g,
            instance: own,
            op: Op::Receive,
            select: false,
        });
        reach.insert(g, Reach::Known(BTreeSet::from([own, shared])));
    }
    for g in workers + 1..=workers + workers / 10 {
        graph.waits.push(Wait {
            goroutine: g,
            instance: shared,
            op: Op::Send,
            select: false,
        });
        reach.insert(g, Reach::Known(BTreeSet::from([shared])));
    }
    graph.reach = reach;
    let stuck = graph.waits.iter().map(|w| w.goroutine).collect();
    (graph, stuck)
}

fn main() {
    println!("graph_scale benchmark: Graph::shape on a leaked pool, median of 5");
    println!(
        "{:>8} {:>8} {:>12} {:>16} {:>10}",
        "workers", "stuck", "shape", "per goroutine", "vs first"
    );
    let mut first: Option<f64> = None;
    for workers in [250, 1000, 4000] {
        let (graph, stuck) = leaked_pool(workers);
        let mut samples: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(graph.shape(&stuck));
                start.elapsed()
            })
            .collect();
        samples.sort();
        let median = samples[samples.len() / 2];
        let per = median.as_secs_f64() / stuck.len() as f64;
        let ratio = per / *first.get_or_insert(per);
        println!(
            "{workers:>8} {:>8} {:>9.3} ms {:>13.3} us {ratio:>9.1}x",
            stuck.len(),
            median.as_secs_f64() * 1e3,
            per * 1e6,
        );
    }
}
