#!/usr/bin/env bash
# gorepro installed as a user installs it: `cargo install --path harness` and
# `cargo install --git <this repository>` into temp roots. Each installed binary then runs with
# the workspace out of its sight (a private mount namespace lays an empty read-only tmpfs over
# the checkout; CI runs as root, which may make one), a fresh HOME and no GOREPRO_* settings:
# it diagnoses a small module outside the workspace (a planted double lock, found on every
# seed) from the Go sources it carries, and the path-installed one also reproduces a catalog
# scenario. The workspace's git status must be the same afterwards.
#
# Both installs use the workspace's target dir: the dependencies CI already built in release
# serve them, and each still builds gorepro from its own source (the path; the git checkout,
# which has the embed/ symlinks as git stores them). A git install takes the committed HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
workspace="$PWD"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export CARGO_TARGET_DIR="$workspace/target"
status_before="$(git status --porcelain)"

step() { printf -- '--- %s\n' "$*"; }

step "cargo install --path harness"
start=$SECONDS
cargo install --quiet --locked --path harness --root "$scratch/path"
echo "installed in $((SECONDS - start)) s"

step "cargo install --git file://$workspace --rev HEAD"
start=$SECONDS
cargo install --quiet --locked --git "file://$workspace" --rev "$(git rev-parse HEAD)" gorepro \
  --root "$scratch/git"
echo "installed in $((SECONDS - start)) s"

module="$scratch/settings"
mkdir -p "$module"
printf 'module settings\n\ngo 1.26\n' > "$module/go.mod"
cat > "$module/settings.go" <<'GO'
// Package settings keeps a service's settings.
package settings

import "sync"

// Store is safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	values map[string]string
}

// Get returns the value of key.
func (s *Store) Get(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[key]
}

// Refresh replaces the values, keeping the region: it calls Get with the lock held.
func (s *Store) Refresh(values map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	values["region"] = s.Get("region")
	s.values = values
}
GO
cat > "$module/settings_test.go" <<'GO'
package settings

import "testing"

func TestRefreshKeepsRegion(t *testing.T) {
	s := &Store{values: map[string]string{"region": "eu"}}
	s.Refresh(map[string]string{"tier": "gold"})
	if got := s.Get("region"); got != "eu" {
		t.Fatalf("region = %q, want eu", got)
	}
}
GO

# Go's own build cache stays this machine's (outside the workspace, content-addressed, safe to
# share): a cold one would spend minutes compiling the standard library.
go_cache="$(go env GOCACHE)"
hide=no
if unshare --mount --propagation private true 2> /dev/null; then hide=yes; fi
echo "workspace hidden from the installed binaries: $hide"

# Runs "$@" in the module's directory as a user with a fresh HOME would, the workspace hidden
# when a mount namespace can be made.
installed() {
  local home="$1"
  shift
  local -a run=(env -u GOREPRO_ROOT -u GOREPRO_CACHE_DIR -u GOREPRO_GO -u XDG_CACHE_HOME
    HOME="$home" GOCACHE="$go_cache" GOREPRO_GOCACHE="$go_cache" GOPROXY=off "$@")
  if [[ "$hide" == yes ]]; then
    unshare --mount --propagation private -- bash -c \
      'mount -t tmpfs -o ro,size=1m gorepro-hidden "$1" && cd "$2" && shift 2 && exec "$@"' \
      _ "$workspace" "$module" "${run[@]}"
  else
    (cd "$module" && "${run[@]}")
  fi
}

for how in path git; do
  gorepro="$scratch/$how/bin/gorepro"
  home="$scratch/home-$how"
  mkdir -p "$home"
  step "$how-installed: gorepro diagnose in $module"
  start=$SECONDS
  status=0
  installed "$home" "$gorepro" diagnose --runs 2 --json > "$scratch/$how.json" || status=$?
  echo "diagnosed in $((SECONDS - start)) s, exit status $status"
  python3 - "$scratch/$how.json" "$status" "$home/.cache/gorepro" <<'PY'
import json, pathlib, sys

lines = [json.loads(l) for l in pathlib.Path(sys.argv[1]).read_text().splitlines()]
status, cache = int(sys.argv[2]), pathlib.Path(sys.argv[3])
seeds = [l for l in lines if l["kind"] == "seed"]
problems = []
if status != 1:
    problems.append(f"exit status {status}, want 1 (a bug was planted)")
if [s["class"] for s in seeds] != ["mutex.double-lock"] * 2:
    problems.append(f"classes {[s['class'] for s in seeds]}, want mutex.double-lock twice")
for s in seeds:
    if not pathlib.Path(s["evidence_dir"]).is_relative_to(cache / "runs"):
        problems.append(f"evidence outside ~/.cache/gorepro: {s['evidence_dir']}")
if not list((cache / "sources").glob("*/go-samples/support/supervisor.go")):
    problems.append(f"no materialized sources under {cache}/sources")
if problems:
    sys.exit("\n".join(problems))
print(f"ok: {len(seeds)} seeds, mutex.double-lock, everything under {cache}")
PY
done

step "path-installed: gorepro run chan-send-abandoned --variant buggy"
start=$SECONDS
installed "$scratch/home-path" "$scratch/path/bin/gorepro" \
  run chan-send-abandoned --variant buggy --gomaxprocs 1
echo "reproduced in $((SECONDS - start)) s"

step "the workspace is as it was"
status_after="$(git status --porcelain)"
if [[ "$status_after" != "$status_before" ]]; then
  echo "git status changed:"
  diff <(echo "$status_before") <(echo "$status_after") || true
  exit 1
fi
echo "ok"
