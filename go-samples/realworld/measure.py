#!/usr/bin/env python3
"""Measures gorepro diagnose on the realworld cases (the table in BASELINE.md).

For each case it runs `gorepro diagnose <case> --test '^TestBuggy$' --runs N --json` and the
same for TestFixed, and prints one markdown row: bug hit rate, the runs that stayed clean but
whose lock order showed a potential inversion (`mutex.potential-lock-order-inversion`), the
outcome and class of every reproducing run (with counts), how many of those have the case's
expected outcome and class, and the fixed twin's false alarms (reproductions and predicted
inversions).

    python3 go-samples/realworld/measure.py [--runs 20] [--gomaxprocs 2] [--gorepro PATH] [case...]
    python3 go-samples/realworld/measure.py --check [--runs 50] [--gomaxprocs 1,2] [case...]

`--gomaxprocs` takes a comma-separated list (`1,2`): one table per value. gorepro defaults to
target/release/gorepro of this repository (build it first with `cargo build --release`).

Without `--check` the exit status is 0 unless gorepro itself fails (2). With `--check` (CI), it
is 1 when a reproducing seed of a buggy test gets a class other than the case's `class`, or when
a fixed twin reproduces at all; a case whose case.toml has `proposed_class` (its shape has no
class of its own yet, `class` is only the closest one) is reported, never failed. The outcome
(leak or deadlock) is reported, not checked.
"""

import argparse
import collections
import json
import pathlib
import subprocess
import sys
import time
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def diagnose(gorepro, case_dir, test, runs, gomaxprocs):
    """The exploring runs (`kind: seed` JSON lines) and their bug hits."""
    command = [
        str(gorepro), "diagnose", str(case_dir), "-run", f"^{test}$",
        "--runs", str(runs), "--gomaxprocs", str(gomaxprocs), "--json",
    ]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    # Exit status 0: no finding; 1: a run reproduced a bug or predicted an inversion; anything
    # else is an error.
    if done.returncode not in (0, 1):
        print(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}", file=sys.stderr)
        sys.exit(2)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    seeds = [line for line in lines if line["kind"] == "seed"]
    predicted = sum(
        not run["reproduced"] and run["class"] == "mutex.potential-lock-order-inversion" for run in seeds
    )
    report = {"runs": seeds, "hits": sum(run["reproduced"] for run in seeds), "predicted": predicted}
    return report, time.monotonic() - started


def classes(report):
    """`outcome class` of every run that reproduced, with counts, most frequent first."""
    counts = collections.Counter(
        f"{r['diagnosis']['outcome']} {r['diagnosis']['class'] or '-'}"
        for r in report["runs"] if r["reproduced"]
    )
    return ", ".join(f"{name} ×{n}" for name, n in counts.most_common()) or "-"


def problems(name, spec, buggy, fixed):
    """What `--check` fails on for one case: wrong classes on reproducing seeds, reproductions
    of the fixed twin. A case with `proposed_class` is never failed: returns ([], notes)."""
    wrong = collections.Counter(
        r["diagnosis"]["class"] or "-"
        for r in buggy["runs"]
        if r["reproduced"] and r["diagnosis"]["class"] != spec["class"]
    )
    found = [
        f"{name}: {n} reproducing seed(s) classed {cls}, not {spec['class']}"
        for cls, n in wrong.most_common()
    ]
    if fixed["hits"]:
        found.append(f"{name}: the fixed twin reproduced on {fixed['hits']} seed(s): {classes(fixed)}")
    if fixed["predicted"]:
        found.append(f"{name}: the fixed twin predicted a lock-order inversion on {fixed['predicted']} seed(s)")
    if "proposed_class" in spec:
        return [], [f"{line} (not failed: proposed class {spec['proposed_class']})" for line in found]
    return found, []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--gomaxprocs", default="2", help="one value or a list: 1,2")
    parser.add_argument("--gorepro", default=ROOT / "target/release/gorepro")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 on a wrong class on a reproducing seed or a fixed twin that reproduces")
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()
    procs = [int(p) for p in str(args.gomaxprocs).split(",") if p.strip()]
    dirs = sorted(p.parent for p in HERE.glob("*/case.toml"))
    specs = {d.name: tomllib.loads((d / "case.toml").read_text()) for d in dirs}
    unknown = [n for n in args.cases if n not in specs]
    if unknown:
        parser.error(f"no such case: {', '.join(unknown)} (cases: {', '.join(sorted(specs))})")
    names = args.cases or sorted(specs, key=lambda n: specs[n]["shape"])
    failures, notes = [], []
    started = time.monotonic()
    for gomaxprocs in procs:
        print(f"GOMAXPROCS={gomaxprocs}, {args.runs} seeds per test\n")
        print("| # | case | expected (outcome, class) | buggy: reproduced | buggy: predicted inversion | buggy: outcome class ×runs | right outcome | right class | fixed: false alarms | seconds |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name in names:
            spec = specs[name]
            buggy, buggy_time = diagnose(args.gorepro, HERE / name, "TestBuggy", args.runs, gomaxprocs)
            fixed, fixed_time = diagnose(args.gorepro, HERE / name, "TestFixed", args.runs, gomaxprocs)
            expected = f"{spec['outcome']} `{spec['class']}`"
            if "proposed_class" in spec:
                expected += f" (proposed `{spec['proposed_class']}`)"
            hits = [r["diagnosis"] for r in buggy["runs"] if r["reproduced"]]
            right_outcome = sum(d["outcome"] == spec["outcome"] for d in hits)
            right_class = sum(d["class"] == spec["class"] for d in hits)
            print(
                f"| {spec['shape']} | `{name}` | {expected} | {buggy['hits']}/{len(buggy['runs'])} "
                f"| {buggy['predicted']}/{len(buggy['runs'])} "
                f"| {classes(buggy)} | {right_outcome}/{len(hits)} | {right_class}/{len(hits)} "
                f"| {fixed['hits'] + fixed['predicted']}/{len(fixed['runs'])} | {buggy_time + fixed_time:.1f} |",
                flush=True,
            )
            found, noted = problems(name, spec, buggy, fixed)
            failures += [f"GOMAXPROCS={gomaxprocs}: {line}" for line in found]
            notes += [f"GOMAXPROCS={gomaxprocs}: {line}" for line in noted]
        print()
    print(f"{len(names)} cases x {len(procs)} GOMAXPROCS x {args.runs} seeds x 2 tests "
          f"in {time.monotonic() - started:.0f} s")
    for line in notes:
        print(f"reported: {line}")
    if args.check:
        for line in failures:
            print(f"FAILED: {line}")
        if failures:
            sys.exit(1)
        print("check: every reproducing seed got its case's class; no fixed twin reproduced")


if __name__ == "__main__":
    main()
