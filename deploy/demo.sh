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

# Once per demo database: months of billing history through the real flows
# (deploy/demo-history.mjs says what); the demo runs without it if it fails.
NODE_EXTRA_CA_CERTS=$RUN/tls/cert.pem node "$ROOT/deploy/demo-history.mjs" "$RUN" ||
	echo "demo: no billing history this time (see above); everything else works" >&2

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

# Is part p of the stack gone (no process, or a zombie)?
gone() {
	pid=$(cat "$RUN/pids/$1.pid" 2>/dev/null || echo 0)
	! kill -0 "$pid" 2>/dev/null || grep -q "^[0-9]* (.*) Z" "/proc/$pid/stat" 2>/dev/null
}

# Wait for Ctrl-C; notice if a part of the stack dies meanwhile. Ctrl-C
# reaches the stack's processes too (one process group) and they may end a
# moment before this shell runs its trap: a part found gone is looked at
# again a second later, by when a Ctrl-C has run stop() and exited.
while :; do
	sleep 2
	for p in nginx app webhook; do
		if gone "$p"; then
			sleep 1
			echo "demo: $p stopped unexpectedly (see $RUN/logs/)" >&2
			stop
		fi
	done
done
