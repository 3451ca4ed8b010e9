//! The timeline's relevant steps as a text table: one column per lane (goroutines that did the
//! same), one row per step, `[stuck]` on the operations that never completed. No times: the
//! order is happens-before, so the table is the same on every run.
//!
//! A small program's table is printed whole. A big one's (hundreds of goroutines, dozens of
//! lanes that differ) would be thousands of characters wide, so it is folded to fit
//! [`TABLE_WIDTH`]: the lanes on the stuck path come first ([`lanes_by_priority`]), each
//! column is cut to [`COLUMN_WIDTH`], the lanes that no longer fit share one last column that
//! counts their steps (`exit ×298`), and consecutive rows that only they fill are merged.

use std::fmt::Write as _;

use crate::classify::timeline::{Cell, StepKind, Timeline};
use crate::evidence::world::name_list;

/// The widest line of a timeline table, in characters (its two-space indent included).
pub const TABLE_WIDTH: usize = 160;
/// The widest column of a folded table.
pub const COLUMN_WIDTH: usize = 40;
const SEPARATOR: &str = " | ";

/// The table of relevant steps, folded when it would be wider than [`TABLE_WIDTH`].
pub fn render_timeline(timeline: &Timeline) -> String {
    let headers: Vec<String> = timeline
        .lanes
        .iter()
        .map(|lane| {
            let mut header = name_list(&lane.goroutines, " ");
            if let Some(function) = &lane.function {
                let _ = write!(header, " {function}");
            }
            header
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for step in &timeline.steps {
        for cell in &step.cells {
            widths[cell.lane] = widths[cell.lane].max(cell_text(cell).chars().count());
        }
    }
    let natural =
        2 + widths.iter().sum::<usize>() + SEPARATOR.len() * widths.len().saturating_sub(1);
    if natural > TABLE_WIDTH {
        return render_folded(timeline);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}", table_line(&headers, &widths));
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    let _ = writeln!(out, "{}", table_line(&rule, &widths));
    for step in &timeline.steps {
        let mut cells = vec![String::new(); headers.len()];
        for cell in &step.cells {
            cells[cell.lane] = cell_text(cell);
        }
        let _ = writeln!(out, "{}", table_line(&cells, &widths));
    }
    out
}

/// The lanes in the order a reader needs them when not all fit: first the lanes that are
/// stuck or failed, then the lanes that took part in one of their steps (woke them, were
/// woken by them), then the rest; the timeline's own order within each.
pub fn lanes_by_priority(timeline: &Timeline) -> Vec<usize> {
    let on_path = |lane: usize| timeline.lanes[lane].stuck || timeline.lanes[lane].failed;
    let mut near = vec![false; timeline.lanes.len()];
    for step in &timeline.steps {
        if step.cells.iter().any(|c| on_path(c.lane)) {
            for cell in &step.cells {
                near[cell.lane] = true;
            }
        }
    }
    let mut order: Vec<usize> = (0..timeline.lanes.len()).collect();
    order.sort_by_key(|&lane| (!on_path(lane), !near[lane], lane));
    order
}

fn cell_text(cell: &Cell) -> String {
    match (cell.stuck, cell.kind) {
        (true, StepKind::Failure) => format!("{} [failed]", cell.text),
        (true, _) => format!("{} [stuck]", cell.text),
        (false, _) => cell.text.clone(),
    }
}

fn table_line(cells: &[String], widths: &[usize]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(text, &width)| format!("{text:<width$}"))
        .collect();
    format!("  {}", padded.join(SEPARATOR).trim_end())
}

/// `text`, cut to `width` characters with `…` at the cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut kept: String = text.chars().take(width.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// The folded table: shown lanes in priority order, two header rows (names, function), the
/// rest in one column of counted steps.
fn render_folded(timeline: &Timeline) -> String {
    let order = lanes_by_priority(timeline);
    let names: Vec<String> = timeline
        .lanes
        .iter()
        .map(|lane| cut(&name_list(&lane.goroutines, " "), COLUMN_WIDTH))
        .collect();
    let functions: Vec<String> = timeline
        .lanes
        .iter()
        .map(|lane| cut(lane.function.as_deref().unwrap_or(""), COLUMN_WIDTH))
        .collect();
    let mut widths: Vec<usize> = (0..timeline.lanes.len())
        .map(|lane| {
            names[lane]
                .chars()
                .count()
                .max(functions[lane].chars().count())
        })
        .collect();
    for step in &timeline.steps {
        for cell in &step.cells {
            let text = cut(&cell_text(cell), COLUMN_WIDTH);
            widths[cell.lane] = widths[cell.lane].max(text.chars().count());
        }
    }
    // Take lanes in priority order while they and a full folded column still fit, then more
    // while the folded column's actual text leaves room.
    let mut shown = 0;
    let mut used = 2;
    for (taken, &lane) in order.iter().enumerate() {
        let with_lane = used + widths[lane] + if taken == 0 { 0 } else { SEPARATOR.len() };
        let rest_needs = if taken + 1 < order.len() {
            SEPARATOR.len() + COLUMN_WIDTH
        } else {
            0
        };
        if with_lane + rest_needs > TABLE_WIDTH {
            break;
        }
        shown = taken + 1;
        used = with_lane;
    }
    let mut table = folded_table(
        timeline,
        &order[..shown],
        &order[shown..],
        &names,
        &functions,
        &widths,
    );
    while shown < order.len() {
        let wider = folded_table(
            timeline,
            &order[..shown + 1],
            &order[shown + 1..],
            &names,
            &functions,
            &widths,
        );
        if wider.lines().any(|l| l.chars().count() > TABLE_WIDTH) {
            break;
        }
        shown += 1;
        table = wider;
    }
    table
}

/// The folded table with `shown` lanes in columns and `hidden` ones counted in the last.
fn folded_table(
    timeline: &Timeline,
    shown: &[usize],
    hidden: &[usize],
    names: &[String],
    functions: &[String],
    widths: &[usize],
) -> String {
    let column_of = |lane: usize| shown.iter().position(|&l| l == lane);
    let mut header_names: Vec<String> = shown.iter().map(|&l| names[l].clone()).collect();
    let mut header_functions: Vec<String> = shown.iter().map(|&l| functions[l].clone()).collect();

    // Rows: the shown lanes' cells in their columns, the hidden lanes' cells counted by text;
    // rows that only hidden lanes fill are merged with the next such row.
    let mut rows: Vec<(Vec<String>, Counted)> = Vec::new();
    let mut merging = false;
    for step in &timeline.steps {
        let mut cells = vec![String::new(); shown.len()];
        let mut folded: Counted = Vec::new();
        for cell in &step.cells {
            let text = cell_text(cell);
            match column_of(cell.lane) {
                Some(column) => cells[column] = cut(&text, COLUMN_WIDTH),
                None => count(&mut folded, text),
            }
        }
        let only_hidden = cells.iter().all(String::is_empty);
        match rows.last_mut() {
            Some((_, counted)) if only_hidden && merging => {
                for (text, n) in folded {
                    for _ in 0..n {
                        count(counted, text.clone());
                    }
                }
            }
            _ => rows.push((cells, folded)),
        }
        merging = only_hidden;
    }
    let mut rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(mut cells, folded)| {
            if !hidden.is_empty() {
                let text: Vec<String> = folded
                    .iter()
                    .map(|(text, n)| match n {
                        1 => text.clone(),
                        n => format!("{text} ×{n}"),
                    })
                    .collect();
                cells.push(cut(&text.join("; "), COLUMN_WIDTH));
            }
            cells
        })
        .collect();
    let mut column_widths: Vec<usize> = shown.iter().map(|&l| widths[l]).collect();
    if !hidden.is_empty() {
        let goroutines: usize = hidden
            .iter()
            .map(|&l| timeline.lanes[l].goroutines.len())
            .sum();
        header_names.push(cut(
            &format!("+{} lanes ({goroutines} goroutines)", hidden.len()),
            COLUMN_WIDTH,
        ));
        header_functions.push(String::new());
        let widest = rows
            .iter()
            .filter_map(|cells| cells.last())
            .chain(header_names.last())
            .map(|text| text.chars().count())
            .max()
            .unwrap_or(0);
        column_widths.push(widest);
    }

    let mut out = String::new();
    let _ = writeln!(out, "{}", table_line(&header_names, &column_widths));
    let _ = writeln!(out, "{}", table_line(&header_functions, &column_widths));
    let rule: Vec<String> = column_widths.iter().map(|&w| "-".repeat(w)).collect();
    let _ = writeln!(out, "{}", table_line(&rule, &column_widths));
    for cells in rows.iter_mut() {
        let _ = writeln!(out, "{}", table_line(cells, &column_widths));
    }
    out
}

/// Texts with how often they occur, in first-seen order.
type Counted = Vec<(String, usize)>;

/// Adds one occurrence of `text`.
fn count(counted: &mut Counted, text: String) {
    match counted.iter_mut().find(|(t, _)| *t == text) {
        Some((_, n)) => *n += 1,
        None => counted.push((text, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::timeline::{Lane, Step};

    fn lane(names: &[&str], function: &str, stuck: bool) -> Lane {
        Lane {
            goroutines: names.iter().map(|n| n.to_string()).collect(),
            function: Some(function.into()),
            stuck,
            failed: false,
        }
    }

    fn step(lane: usize, text: &str, stuck: bool) -> Step {
        Step {
            ns: 0,
            cells: vec![Cell {
                lane,
                kind: if text == "exit" {
                    StepKind::Exit
                } else {
                    StepKind::Block
                },
                text: text.into(),
                stuck,
            }],
        }
    }

    /// The root, 200 tests that each only exit, and two stuck lanes at the end.
    fn big() -> Timeline {
        let mut lanes = vec![lane(&["G1"], "main.main", false)];
        let mut steps = vec![step(0, "exit", false)];
        for i in 0..200 {
            lanes.push(lane(
                &[&format!("G{}", i + 2)],
                &format!("pkg.TestNumber{i}"),
                false,
            ));
            steps.push(step(i + 1, "exit", false));
        }
        let workers: Vec<String> = (202..502).map(|i| format!("G{i}")).collect();
        let workers: Vec<&str> = workers.iter().map(String::as_str).collect();
        lanes.push(lane(&workers, "pkg.(*Pool).worker", true));
        steps.push(step(201, "chan receive pool.go:26", true));
        lanes.push(lane(&["G502"], "pkg.Publish", true));
        steps.push(step(202, "chan send pool.go:46", true));
        Timeline {
            goroutines: Vec::new(),
            lanes,
            steps,
            span_ns: 0,
        }
    }

    #[test]
    fn a_small_table_is_printed_whole_in_lane_order() {
        let timeline = Timeline {
            goroutines: Vec::new(),
            lanes: vec![
                lane(&["G1"], "main.run", false),
                lane(&["G2", "G3"], "main.worker", true),
            ],
            steps: vec![
                step(1, "Mutex.Lock main.go:9", true),
                step(0, "exit", false),
            ],
            span_ns: 0,
        };
        assert_eq!(
            render_timeline(&timeline),
            "  G1 main.run | G2 G3 main.worker\n  ----------- | ----------------------------\n              | Mutex.Lock main.go:9 [stuck]\n  exit        |\n"
        );
    }

    #[test]
    fn a_big_table_fits_the_width_with_the_stuck_lanes_first() {
        let text = render_timeline(&big());
        for line in text.lines() {
            assert!(line.chars().count() <= TABLE_WIDTH, "{line}");
        }
        let lines: Vec<&str> = text.lines().collect();
        let header: Vec<&str> = lines[0].split(" | ").map(str::trim).collect();
        assert_eq!(header[0], "G202..G501 (300 goroutines)");
        assert_eq!(header[1], "G502");
        assert_eq!(header[2], "G1");
        assert!(header.last().unwrap().starts_with("+"), "{text}");
        assert!(
            lines[1].starts_with("  pkg.(*Pool).worker"),
            "the functions are a second header row: {text}"
        );
        // The hidden tests' exits fold into one counted row.
        let folded: Vec<&&str> = lines.iter().filter(|l| l.contains("exit ×")).collect();
        assert_eq!(folded.len(), 1, "{text}");
        assert!(text.contains("chan receive pool.go:26 [stuck]"), "{text}");
        assert!(text.contains("chan send pool.go:46 [stuck]"), "{text}");
        assert!(lines.len() < 16, "{text}");
    }

    #[test]
    fn cut_marks_the_cut() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }

    #[test]
    fn stuck_lanes_then_their_partners_come_first() {
        let mut timeline = big();
        // G1 woke the stuck publisher: it is on the stuck path too.
        timeline.steps.push(Step {
            ns: 0,
            cells: vec![
                Cell {
                    lane: 5,
                    kind: StepKind::Wake,
                    text: "chan send pool.go:40 -> G502".into(),
                    stuck: false,
                },
                Cell {
                    lane: 202,
                    kind: StepKind::Woken,
                    text: "woken by G6".into(),
                    stuck: false,
                },
            ],
        });
        assert_eq!(&lanes_by_priority(&timeline)[..4], &[201, 202, 5, 0]);
    }
}
