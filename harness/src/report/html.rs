//! HTML reports: one self-contained page per run (inline CSS and SVG, no scripts, no network)
//! with a swimlane timeline, the diagnosis, the explanation and the Go source with the blocked
//! lines marked; and an index page for the catalog.
//!
//! The pages are written with `format!` and one escaping function rather than a template
//! engine: two fixed layouts, every dynamic string passes through [`escape`], and a crate
//! (askama, maud) would add a proc-macro build for about two hundred lines of markup.

use std::fmt::Write as _;

use crate::classify::Diagnosis;
use crate::classify::shapes::{Edge, WaitFor};
use crate::classify::timeline::{History, Lane, State, Timeline};
use crate::diagnose::DiagnoseReport;
use crate::report::{RunRecord, lanes_by_priority, render_diagnosis, render_timeline};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One Go source file of the program, as built.
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// The page's file name for a run.
pub fn page_name(record: &RunRecord) -> String {
    format!("{}-{}.html", record.scenario, record.variant)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}\
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:13px}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;font-size:13px;text-align:left}\
.ok{color:#176117}.fail{color:#a11}.src .blocked{background:#ffd7d7;font-weight:bold}.src span.n{color:#999;display:inline-block;width:3em}\
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:1em;height:.8em;margin-right:.3em;vertical-align:middle}\
svg text{font-family:ui-monospace,monospace;font-size:12px}";

const COLORS: [(State, &str); 6] = [
    (State::Running, "#2e9d3a"),
    (State::Runnable, "#b7e0b0"),
    (State::Blocked, "#e0553d"),
    (State::Waiting, "#c9c9c9"),
    (State::Syscall, "#4a7fd4"),
    (State::Exited, "#ffffff"),
];

fn color(state: State) -> &'static str {
    COLORS
        .iter()
        .find(|(s, _)| *s == state)
        .map_or("#999", |(_, c)| c)
}

/// The page of one run.
/// The scenario's own story and fix, from its spec.
pub struct Story<'a> {
    pub explanation: &'a str,
    pub fix: &'a str,
}

pub fn run_page(record: &RunRecord, story: &Story, sources: &[SourceFile]) -> String {
    let d = &record.diagnosis;
    let mut out = String::new();
    let title = format!("{} ({})", record.scenario, record.variant);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gorepro: {}</title><style>{STYLE}</style></head><body>",
        escape(&title)
    );
    let _ = write!(
        out,
        "<p><a href=\"index.html\">catalog</a></p><h1>{}</h1><p id=\"verdict\" class=\"{}\">outcome <b>{}</b>, class <b>{}</b> ({}; GOMAXPROCS={}, {})</p>",
        escape(&title),
        if record.matches { "ok" } else { "fail" },
        d.outcome,
        escape(d.class.unwrap_or("-")),
        if record.matches {
            "as expected"
        } else {
            "NOT as expected"
        },
        record.gomaxprocs,
        escape(&record.go_version),
    );
    out.push_str(&timeline_and_graph(d));
    out.push_str("<h2>Diagnosis</h2><pre id=\"diagnosis\">");
    out.push_str(&escape(&render_diagnosis(
        &record.scenario,
        record.variant,
        &record.params,
        d,
    )));
    out.push_str("</pre>");
    let _ = write!(
        out,
        "<h2>Explanation</h2><p id=\"explanation\">{}</p><h3>The fix</h3><p id=\"fix\">{}</p>",
        escape(story.explanation),
        escape(story.fix)
    );
    out.push_str("<h2>Go source</h2>");
    out.push_str(&source_listings(&record.diagnosis, sources));
    let _ = writeln!(
        out,
        "<h2>Replay</h2><pre>{}</pre></body></html>",
        escape(&record.replay)
    );
    out
}

/// The timeline (swimlanes and the table of relevant steps) and the wait-for graph.
fn timeline_and_graph(d: &Diagnosis) -> String {
    let mut out = String::from("<h2>Timeline</h2>");
    match &d.timeline {
        Some(timeline) => {
            out.push_str(&swimlanes(timeline));
            out.push_str("<h3>Relevant steps</h3><pre id=\"steps\">");
            out.push_str(&escape(&render_timeline(timeline)));
            out.push_str("</pre>");
        }
        None => out.push_str(
            "<p id=\"no-trace\">No trace evidence: the run left no readable execution trace.</p>",
        ),
    }
    if let Some(wait_for) = &d.wait_for {
        out.push_str("<h2>Wait-for graph</h2>");
        out.push_str(&wait_for_svg(wait_for));
        out.push_str("<ul id=\"wait-for\">");
        for line in &wait_for.lines {
            let _ = write!(out, "<li>{}</li>", escape(line));
        }
        out.push_str("</ul>");
    }
    out
}

/// The source files, with the lines the diagnosis reports as stuck or failed marked.
fn source_listings(d: &Diagnosis, sources: &[SourceFile]) -> String {
    let mut out = String::new();
    let marked = marked_lines(d);
    for file in sources {
        let _ = write!(out, "<h3>{}</h3><pre class=\"src\">", escape(&file.name));
        for (i, line) in file.text.lines().enumerate() {
            let number = i + 1;
            let blocked = marked
                .iter()
                .any(|(f, n)| *n == number as u32 && same_file(f, &file.name));
            let _ = writeln!(
                out,
                "<span class=\"{}\"><span class=\"n\">{number}</span>{}</span>",
                if blocked { "blocked" } else { "line" },
                escape(line)
            );
        }
        out.push_str("</pre>");
    }
    out
}

/// The user files the diagnosis names (stuck and failed operations, the `go` statements
/// that started stuck goroutines), module-relative, each once, in order of first mention:
/// the files a diagnose page shows.
pub fn named_files(d: &Diagnosis) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    let created = d.stuck.iter().filter_map(|g| {
        g.created_by
            .as_deref()
            .and_then(|c| c.split_once(" at ").map(|(_, at)| at))
    });
    for at in d
        .stuck
        .iter()
        .filter_map(|g| g.at.as_deref())
        .chain(d.failure.as_ref().and_then(|f| f.at.as_deref()))
        .chain(created)
    {
        if let Some((file, _)) = at.rsplit_once(':')
            && !files.iter().any(|f| f == file)
        {
            files.push(file.to_string());
        }
    }
    files
}

/// `file:line` of every operation the diagnosis reports as stuck or failed.
fn marked_lines(d: &Diagnosis) -> Vec<(String, u32)> {
    d.stuck
        .iter()
        .filter_map(|g| g.at.as_deref())
        .chain(d.failure.as_ref().and_then(|f| f.at.as_deref()))
        .filter_map(|at| {
            let (file, line) = at.rsplit_once(':')?;
            Some((file.to_string(), line.parse().ok()?))
        })
        .collect()
}

/// A module-relative path and a listed file's name are one file: equal, or one ends with the
/// other after a `/` (the catalog lists `buggy.go` for `scenarios/x/buggy.go`), so
/// `ingest/ingest.go` never marks `other/ingest.go` nor `ingest/xingest.go`.
fn same_file(path: &str, name: &str) -> bool {
    let under = |long: &str, short: &str| {
        long.strip_suffix(short)
            .is_some_and(|head| head.is_empty() || head.ends_with('/'))
    };
    under(path, name) || under(name, path)
}

const LANE_HEIGHT: usize = 34;
/// The most goroutine boxes a wait-for graph draws one by one.
const GRAPH_GOROUTINES_MAX: usize = 12;
/// The most lanes a swimlane picture draws.
pub const SWIMLANES_MAX: usize = 24;
const LABEL_WIDTH: usize = 230;
const PLOT_WIDTH: usize = 820;

/// The swimlanes: one lane per group of identical goroutines (its first member's states), x in
/// the order of events (not to scale: a gate's millisecond and a wake-up's microsecond get the
/// same room), blocking edges from the unblocker to the unblocked, the stuck end outlined.
///
/// A big timeline draws at most [`SWIMLANES_MAX`] lanes, those on the stuck path first
/// ([`lanes_by_priority`]), and says how many it left out.
fn swimlanes(timeline: &Timeline) -> String {
    let drawn: Vec<usize> = if timeline.lanes.len() <= SWIMLANES_MAX {
        (0..timeline.lanes.len()).collect()
    } else {
        lanes_by_priority(timeline)
            .into_iter()
            .take(SWIMLANES_MAX)
            .collect()
    };
    let lanes: Vec<&Lane> = drawn.iter().map(|&l| &timeline.lanes[l]).collect();
    let histories: Vec<&History> = lanes
        .iter()
        .filter_map(|lane| {
            timeline
                .goroutines
                .iter()
                .find(|g| Some(&g.name) == lane.goroutines.first())
        })
        .collect();
    // Every distinct time gets its own x position.
    let mut times: Vec<u64> = histories
        .iter()
        .flat_map(|h| {
            h.created_ns
                .into_iter()
                .chain(h.changes.iter().map(|c| c.ns))
        })
        .collect();
    times.sort_unstable();
    times.dedup();
    let slots = times.len().max(1) + 1;
    let x_of = |ns: u64| {
        let rank = times.partition_point(|&t| t < ns);
        LABEL_WIDTH + rank * PLOT_WIDTH / slots
    };
    let end_x = LABEL_WIDTH + PLOT_WIDTH;
    let height = LANE_HEIGHT * histories.len() + 30;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg id=\"swimlanes\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"goroutine swimlanes\">",
        end_x + 90
    );
    let lane_index = |name: &str| {
        lanes
            .iter()
            .position(|l| l.goroutines.iter().any(|g| g == name))
    };
    for (i, (lane, history)) in lanes.iter().zip(&histories).enumerate() {
        let y = 10 + i * LANE_HEIGHT;
        let class = if lane.stuck || lane.failed {
            "lane stuck"
        } else {
            "lane"
        };
        let label = lane_label(&lane.goroutines);
        let _ = write!(
            svg,
            "<g class=\"{class}\" data-lane=\"{}\" data-members=\"{}\"><text x=\"4\" y=\"{}\">{}</text><text x=\"4\" y=\"{}\" fill=\"#666\">{}</text>",
            escape(&label),
            lane.goroutines.len(),
            y + 12,
            escape(&label),
            y + 26,
            escape(lane.function.as_deref().unwrap_or("")),
        );
        let mut segments: Vec<(u64, State, String)> = Vec::new();
        for change in &history.changes {
            let label = match (&change.at, change.reason.is_empty()) {
                (Some(at), _) => format!("{} at {at}", change.reason),
                (None, false) => change.reason.clone(),
                (None, true) => change.state.as_str().to_string(),
            };
            segments.push((change.ns, change.state, label));
        }
        for (k, (from, state, label)) in segments.iter().enumerate() {
            if *state == State::Exited {
                break;
            }
            let x0 = x_of(*from);
            let x1 = segments.get(k + 1).map_or(end_x, |(to, _, _)| x_of(*to));
            let last = k + 1 == segments.len();
            let stuck_end = last && lane.stuck;
            let _ = write!(
                svg,
                "<rect class=\"seg {}{}\" x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"18\" fill=\"{}\"{}><title>{}</title></rect>",
                state.as_str(),
                if stuck_end { " stuck-end" } else { "" },
                y + 2,
                (x1.max(x0 + 1)) - x0,
                color(*state),
                if stuck_end {
                    " stroke=\"#7a0000\" stroke-width=\"3\""
                } else {
                    ""
                },
                escape(label),
            );
            if stuck_end {
                let _ = write!(
                    svg,
                    "<text class=\"stuck-label\" x=\"{}\" y=\"{}\" fill=\"#7a0000\" font-weight=\"bold\">STUCK</text>",
                    end_x + 6,
                    y + 16
                );
            }
        }
        if lane.failed {
            let _ = write!(
                svg,
                "<text class=\"stuck-label\" x=\"{}\" y=\"{}\" fill=\"#7a0000\" font-weight=\"bold\">FAILED</text>",
                end_x + 6,
                y + 16
            );
        }
        svg.push_str("</g>");
    }
    // Blocking edges: from the goroutine that woke to the one woken, at the wake-up.
    for (i, history) in histories.iter().enumerate() {
        for change in &history.changes {
            let Some(waker) = change.by.as_deref().and_then(lane_index) else {
                continue;
            };
            let x = x_of(change.ns);
            let (y0, y1) = (10 + waker * LANE_HEIGHT + 11, 10 + i * LANE_HEIGHT + 11);
            let _ = write!(
                svg,
                "<line class=\"edge\" x1=\"{x}\" y1=\"{y0}\" x2=\"{x}\" y2=\"{y1}\" stroke=\"#222\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"><title>{} woke {}</title></line>",
                escape(&lanes[waker].goroutines.join(" ")),
                escape(&history.name),
            );
        }
    }
    svg.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#222\"/></marker></defs></svg>");
    let mut legend = String::from("<p class=\"legend\">");
    for (state, c) in COLORS.iter().filter(|(s, _)| *s != State::Exited) {
        let _ = write!(
            legend,
            "<span><i style=\"background:{c}\"></i>{}</span>",
            state.as_str()
        );
    }
    legend.push_str("<span>arrows: who woke whom; outlined red: the stuck end; x: order of events, not to scale</span></p>");
    if drawn.len() < timeline.lanes.len() {
        let left_out: Vec<&Lane> = (0..timeline.lanes.len())
            .filter(|l| !drawn.contains(l))
            .map(|l| &timeline.lanes[l])
            .collect();
        let goroutines: usize = left_out.iter().map(|l| l.goroutines.len()).sum();
        let _ = write!(
            legend,
            "<p id=\"lanes-left-out\">{} of {} lanes drawn, those on the stuck path first; {} lanes ({goroutines} goroutines) left out: the table of relevant steps counts their steps.</p>",
            drawn.len(),
            timeline.lanes.len(),
            left_out.len(),
        );
    }
    svg + &legend
}

/// The wait-for graph as a picture: goroutines on the left, primitive instances on the right;
/// a red arrow from a goroutine to what it waits on, a blue arrow from a lock to its holder.
///
/// With more than [`GRAPH_GOROUTINES_MAX`] goroutines, those whose edges are the same (300
/// workers waiting on one channel) share one box, labelled like a lane.
fn wait_for_svg(wait_for: &WaitFor) -> String {
    let goroutine_of = |edge: &'_ Edge| match edge {
        Edge::WaitsOn { goroutine, .. } | Edge::HeldBy { goroutine, .. } => goroutine.clone(),
    };
    let mut members: Vec<Vec<String>> = Vec::new();
    for edge in &wait_for.edges {
        let g = goroutine_of(edge);
        if !members.iter().any(|m| m[0] == g) {
            members.push(vec![g]);
        }
    }
    if members.len() > GRAPH_GOROUTINES_MAX {
        // A goroutine's edges with its own name left out: equal for goroutines that do the same.
        let shape = |g: &str| -> Vec<String> {
            wait_for
                .edges
                .iter()
                .filter(|e| goroutine_of(e) == g)
                .map(|e| match e {
                    Edge::WaitsOn { op, instance, .. } => format!("waits {op:?} {instance}"),
                    Edge::HeldBy { instance, mode, .. } => format!("holds {mode:?} {instance}"),
                })
                .collect()
        };
        let mut folded: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        for g in members.iter().map(|m| m[0].clone()) {
            let key = shape(&g);
            match folded.iter_mut().find(|(k, _)| *k == key) {
                Some((_, names)) => names.push(g),
                None => folded.push((key, vec![g])),
            }
        }
        members = folded.into_iter().map(|(_, names)| names).collect();
    }
    let labels: Vec<String> = members.iter().map(|m| lane_label(m)).collect();
    let goroutines: Vec<&str> = labels.iter().map(String::as_str).collect();
    let box_of = |g: &str| members.iter().position(|m| m.iter().any(|n| n == g));
    let instances: Vec<&str> = wait_for
        .instances
        .iter()
        .map(|i| i.label.as_str())
        .collect();
    let (row, left, right, box_w) = (44, 20, 380, 150);
    let height = row * goroutines.len().max(instances.len()).max(1) + 20;
    let y = |i: usize| 20 + i * row + 14;
    let mut svg = format!(
        "<svg id=\"wait-for-graph\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"wait-for graph\">\
         <defs><marker id=\"arrow-red\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#c0392b\"/></marker>\
         <marker id=\"arrow-blue\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#2e6da4\"/></marker></defs>",
        right + box_w + 20
    );
    for (i, g) in goroutines.iter().enumerate() {
        let _ = write!(
            svg,
            "<rect class=\"goroutine\" data-members=\"{}\" x=\"{left}\" y=\"{}\" width=\"{box_w}\" height=\"28\" rx=\"4\" fill=\"#eee\" stroke=\"#555\"/><text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>",
            members[i].len(),
            y(i) - 14,
            left + 8,
            y(i) + 5,
            escape(g)
        );
    }
    for (i, label) in instances.iter().enumerate() {
        let _ = write!(
            svg,
            "<rect x=\"{right}\" y=\"{}\" width=\"{box_w}\" height=\"28\" rx=\"14\" fill=\"#fff6d5\" stroke=\"#a67c00\"/><text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>",
            y(i) - 14,
            right + 10,
            y(i) + 5,
            escape(label)
        );
    }
    let index = |names: &[&str], name: &str| names.iter().position(|n| *n == name);
    // A folded box draws its edges once, from its first member's.
    let first_of_box = |g: &str| box_of(g).is_some_and(|b| members[b][0] == g);
    for edge in wait_for
        .edges
        .iter()
        .filter(|e| first_of_box(&goroutine_of(e)))
    {
        match edge {
            Edge::WaitsOn {
                goroutine,
                instance,
                op,
                ..
            } => {
                if let (Some(g), Some(i)) = (box_of(goroutine), index(&instances, instance)) {
                    let _ = write!(
                        svg,
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{right}\" y2=\"{}\" stroke=\"#c0392b\" stroke-width=\"2\" marker-end=\"url(#arrow-red)\"><title>{} {} {}</title></line>",
                        left + box_w,
                        y(g) - 4,
                        y(i) - 4,
                        escape(goroutines[g]),
                        op.waiting(),
                        escape(instance)
                    );
                }
            }
            Edge::HeldBy {
                instance,
                goroutine,
                ..
            } => {
                if let (Some(g), Some(i)) = (box_of(goroutine), index(&instances, instance)) {
                    let _ = write!(
                        svg,
                        "<line x1=\"{right}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#2e6da4\" stroke-width=\"2\" stroke-dasharray=\"6 3\" marker-end=\"url(#arrow-blue)\"><title>{} is held by {}</title></line>",
                        y(i) + 4,
                        left + box_w,
                        y(g) + 4,
                        escape(instance),
                        escape(goroutines[g])
                    );
                }
            }
        }
    }
    svg.push_str("</svg><p class=\"legend\">red: waits on; blue dashed: held by</p>");
    svg
}

/// `G3 G4`, or `G3 … G200 (198)` for a big group.
fn lane_label(members: &[String]) -> String {
    match members {
        [] => String::new(),
        [one] => one.clone(),
        [first, .., last] if members.len() > 4 => {
            format!("{first} … {last} ({})", members.len())
        }
        _ => members.join(" "),
    }
}

/// The catalog's index: every run with its class and outcome.
pub fn index_page(records: &[RunRecord]) -> String {
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gorepro catalog</title><style>{STYLE}</style></head><body><h1>gorepro catalog</h1><table id=\"runs\"><tr><th>scenario</th><th>variant</th><th>outcome</th><th>class</th><th>as expected</th></tr>"
    );
    for record in records {
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&page_name(record)),
            escape(&record.scenario),
            record.variant,
            record.observed_outcome,
            escape(record.observed_class.unwrap_or("-")),
            if record.matches { "ok" } else { "fail" },
            if record.matches { "yes" } else { "no" },
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

/// The file name of a package's page in a `diagnose --html` directory: its import path with
/// every character but letters, digits, `.` and `-` made `_` (`shop/cart` gives
/// `shop_cart.html`); `taken` are the names already given, and a clash gets `-2`, `-3`...
pub fn diagnose_page_name(import_path: &str, taken: &[String]) -> String {
    let stem: String = import_path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut name = format!("{stem}.html");
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{stem}-{n}.html");
        n += 1;
    }
    name
}

/// The page of one package explored by `gorepro diagnose`: the hit rate and every seed, then
/// the featured run as a catalog page shows a run (swimlanes, relevant steps, wait-for graph,
/// diagnosis, failed tests, the marked source) and its replay command. `sources` are the
/// files [`named_files`] lists, as read.
pub fn diagnose_page(report: &DiagnoseReport, sources: &[SourceFile]) -> String {
    let exploration = &report.exploration;
    let runs = report.runs.len();
    let mut out = String::new();
    let title = format!("{} (gorepro diagnose)", exploration.import_path);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gorepro: {}</title><style>{STYLE}</style></head><body>",
        escape(&title)
    );
    let _ = write!(
        out,
        "<p><a href=\"index.html\">packages</a></p><h1>{}</h1><p id=\"package\">{} ({} mode, {}, GOMAXPROCS={}{}{})</p>",
        escape(&title),
        escape(&exploration.path),
        escape(&exploration.mode),
        escape(&exploration.go_version),
        exploration.gomaxprocs,
        if exploration.test_flags.is_empty() {
            ""
        } else {
            ", "
        },
        escape(&exploration.test_flags.join(" ")),
    );
    let featured = report.featured();
    let _ = write!(
        out,
        "<p id=\"verdict\" class=\"{}\">bug hit rate <b>{}/{runs}</b> runs; tests failed in {}/{runs}{}</p>",
        if report.has_findings() { "fail" } else { "ok" },
        report.hits,
        report.test_failures,
        match featured {
            Some(run) => format!(
                "; featured seed {}: outcome <b>{}</b>, class <b>{}</b>",
                run.seed,
                run.diagnosis.outcome,
                escape(run.diagnosis.class.unwrap_or("-"))
            ),
            None => String::new(),
        }
    );
    if let Some(signal) = report.interrupted {
        let _ = write!(
            out,
            "<p id=\"interrupted\">Interrupted by {}: this page covers the runs that finished.</p>",
            signal.as_str()
        );
    }
    out.push_str("<h2>Seeds</h2><table id=\"seeds\"><tr><th>seed</th><th>outcome</th><th>class</th><th>failed tests</th><th>run ms</th></tr>");
    for run in &report.runs {
        let failed: Vec<&str> = run.failed_tests.iter().map(|t| t.name.as_str()).collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
            run.seed,
            run.diagnosis.outcome,
            escape(run.diagnosis.class.unwrap_or("-")),
            escape(&failed.join(", ")),
            run.wall.as_secs_f64() * 1e3,
        );
    }
    out.push_str("</table>");
    if let Some(run) = featured {
        let d = &run.diagnosis;
        out.push_str(&timeline_and_graph(d));
        let _ = write!(
            out,
            "<h2>Diagnosis (seed {})</h2><pre id=\"diagnosis\">{}</pre>",
            run.seed,
            escape(&run.normalized)
        );
        for test in &run.failed_tests {
            let _ = write!(
                out,
                "<h3>Failed test {}</h3><pre class=\"failed-test\">{}</pre>",
                escape(&test.name),
                escape(&test.log.join("\n"))
            );
        }
        if !sources.is_empty() {
            out.push_str("<h2>Go source</h2>");
            out.push_str(&source_listings(d, sources));
        }
        let _ = write!(
            out,
            "<p>Evidence files: <code>{}</code></p>",
            escape(&run.evidence_dir)
        );
    }
    for note in &report.notes {
        let _ = write!(out, "<p class=\"note\">note: {}</p>", escape(note));
    }
    if let Some(replay) = &report.replay {
        let _ = write!(
            out,
            "<h2>Replay</h2><pre id=\"replay\">{}</pre>",
            escape(&replay.command)
        );
    }
    out.push_str("</body></html>\n");
    out
}

/// The index of a `diagnose --html` directory: a row per explored package with its page.
pub fn diagnose_index(pages: &[(&DiagnoseReport, String)]) -> String {
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gorepro diagnose</title><style>{STYLE}</style></head><body><h1>gorepro diagnose</h1><table id=\"packages\"><tr><th>package</th><th>runs</th><th>bug hits</th><th>test failures</th><th>featured outcome</th><th>class</th></tr>"
    );
    for (report, page) in pages {
        let featured = report.featured();
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(page),
            escape(&report.exploration.import_path),
            report.runs.len(),
            if report.has_findings() { "fail" } else { "ok" },
            report.hits,
            report.test_failures,
            featured.map_or("-".to_string(), |r| r.diagnosis.outcome.to_string()),
            escape(featured.and_then(|r| r.diagnosis.class).unwrap_or("-")),
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn marks_match_whole_path_components() {
        assert!(same_file("scenarios/x/buggy.go", "buggy.go"));
        assert!(same_file("ingest/ingest.go", "ingest/ingest.go"));
        assert!(!same_file("ingest/ingest.go", "other/ingest.go"));
        assert!(!same_file("ingest/ingest.go", "xingest.go"));
    }

    #[test]
    fn page_names_are_file_names_and_do_not_clash() {
        assert_eq!(diagnose_page_name("shop/cart", &[]), "shop_cart.html");
        assert_eq!(
            diagnose_page_name("example.com/a-b/c", &[]),
            "example.com_a-b_c.html"
        );
        let taken = vec!["shop_cart.html".to_string()];
        assert_eq!(diagnose_page_name("shop_cart", &taken), "shop_cart-2.html");
    }

    #[test]
    fn big_groups_are_labelled_by_range() {
        let names: Vec<String> = (3..=200).map(|i| format!("G{i}")).collect();
        assert_eq!(lane_label(&names), "G3 … G200 (198)");
        assert_eq!(lane_label(&names[..2]), "G3 G4");
    }
}
