#!/usr/bin/env bash
# Browser check of the HTML report: installs Debian's Chromium (root, non-interactive) and the
# pinned playwright-core (no browser download), writes the catalog's pages with
# `gorepro report --all --html`, loads some in headless Chromium, takes screenshots and asserts
# on what they show (ci/browser/check-report.mjs); then the same for the pages of
# `gorepro diagnose --html` on a big fixture package. Screenshots go to target/browser-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium > /dev/null; then
  if [[ "$(id -u)" != 0 ]]; then echo "chromium is missing and this is not root"; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
chromium --version
(cd ci/browser && npm ci --no-audit --no-fund --loglevel=error)
out=target/browser-check
rm -rf "$out" && mkdir -p "$out/html" "$out/diagnose" "$out/screenshots"
cargo build --locked --release --quiet
./target/release/gorepro report --all --html "$out/html" > "$out/report.log"
# Exit status 1: the package's planted leaks reproduce, as they must.
status=0
GOPROXY=off ./target/release/gorepro diagnose ./harness/tests/fixtures/diagnose/bigpool/ingest \
  --runs 1 --html "$out/diagnose" > "$out/diagnose.log" 2>&1 || status=$?
if [[ "$status" != 1 ]]; then cat "$out/diagnose.log"; echo "diagnose exited $status, want 1"; exit 1; fi
node ci/browser/check-report.mjs "$out/html" "$out/screenshots" "$out/diagnose"
