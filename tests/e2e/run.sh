#!/bin/sh
# Browser tests against the running stack (tests/run-all.sh starts it).
#   tests/e2e/run.sh BUILD_DIR [NAME...]   (NAME: only tests/e2e/NAME.test.mjs)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
B=${1:-$here/../../build}
[ $# -gt 0 ] && shift
mkdir -p "$B"
B=$(cd "$B" && pwd)
cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
	touch node_modules
fi
export OB_E2E_OUT="$B/e2e"
if [ $# -gt 0 ]; then
	files=""
	for n in "$@"; do files="$files ./$n.test.mjs"; done
	# shellcheck disable=SC2086 # a list of file names without spaces
	exec node --test --test-concurrency=1 $files
fi
exec node --test --test-concurrency=1 .
