#!/bin/sh
# Browser tests against the running stack (tests/run-all.sh starts it).
#   tests/e2e/run.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
B=${1:-$here/../../build}
mkdir -p "$B"
B=$(cd "$B" && pwd)
cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
	touch node_modules
fi
export OB_E2E_OUT="$B/e2e"
exec node --test --test-concurrency=1 .
