#!/usr/bin/env python3
"""Measures gorepro diagnose on the realworld cases (the table in BASELINE.md).

For each case it runs `gorepro diagnose <case> --test '^TestBuggy$' --runs N --json` and the
same for TestFixed, and prints one markdown row: bug hit rate, the runs that stayed clean but
whose lock order showed a potential inversion (`mutex.potential-lock-order-inversion`), the
outcome and class of every reproducing run (with counts), how many of those have the case's
expected outcome and class, and the fixed twin's false alarms (reproductions and predicted
inversions).

    python3 go-samples/realworld/measure.py [--runs 20] [--gomaxprocs 2] [--gorepro PATH] [case...]

gorepro defaults to target/release/gorepro of this repository (build it first with
`cargo build --release`). Exit status 0 unless gorepro itself fails.
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
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--gomaxprocs", type=int, default=2)
    parser.add_argument("--gorepro", default=ROOT / "target/release/gorepro")
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()
    dirs = sorted(p.parent for p in HERE.glob("*/case.toml"))
    specs = {d.name: tomllib.loads((d / "case.toml").read_text()) for d in dirs}
    names = args.cases or sorted(specs, key=lambda n: specs[n]["shape"])
    print(f"GOMAXPROCS={args.gomaxprocs}, {args.runs} seeds per test\n")
    print("| # | case | expected (outcome, class) | buggy: reproduced | buggy: predicted inversion | buggy: outcome class ×runs | right outcome | right class | fixed: false alarms | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        spec = specs[name]
        buggy, buggy_time = diagnose(args.gorepro, HERE / name, "TestBuggy", args.runs, args.gomaxprocs)
        fixed, fixed_time = diagnose(args.gorepro, HERE / name, "TestFixed", args.runs, args.gomaxprocs)
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


if __name__ == "__main__":
    main()
