#!/bin/sh
# make demo: the whole stack on https://localhost:8443 with demo data, until
# Ctrl-C. Safe to run again: leftovers of a previous run are stopped first,
# and the database (under run/) is kept between runs.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$ROOT/$B ;; esac
RUN=$ROOT/run
# The demo's Stripe fake delivers its webhooks as Stripe does (tests deliver
# them explicitly, when they choose).
export OB_BIN_DIR=$B OB_SEED=1 OB_JOBS=1 OB_WEBHOOK_AUTO=1
export OB_HTTPS_PORT=${OB_HTTPS_PORT:-8443} OB_HTTP_PORT=${OB_HTTP_PORT:-8080}

stop() {
	trap - INT TERM EXIT
	printf '\nstopping the demo…\n'
	"$ROOT/deploy/stack.sh" stop "$RUN"
	echo "stopped."
	exit 0
}

"$ROOT/deploy/stack.sh" start "$RUN"
trap stop INT TERM EXIT

cat <<INFO

  orgbill demo is running.

    Console   https://localhost:$OB_HTTPS_PORT/   (self-signed certificate: accept it once)
    HTTP      http://localhost:$OB_HTTP_PORT/ redirects to HTTPS
    Health    https://localhost:$OB_HTTPS_PORT/readyz

INFO
if [ -f "$RUN/demo-logins.txt" ]; then
	sed 's/^/    /' "$RUN/demo-logins.txt"
	echo
fi
cat <<INFO
    Settings  $RUN/orgbill.env
              $B/orgbill --config $RUN/orgbill.env schema-version
    Webhook   signing secret: $(cat "$RUN/secrets/whsec")
    Logs      $RUN/logs/

  Press Ctrl-C to stop everything.
INFO

# Wait for Ctrl-C; notice if a part of the stack dies meanwhile.
while :; do
	sleep 2
	for p in nginx app webhook; do
		pid=$(cat "$RUN/pids/$p.pid" 2>/dev/null || echo 0)
		if ! kill -0 "$pid" 2>/dev/null || grep -q "^[0-9]* (.*) Z" "/proc/$pid/stat" 2>/dev/null; then
			echo "demo: $p stopped unexpectedly (see $RUN/logs/)" >&2
			stop
		fi
	done
done
