#!/bin/sh
# Webhook throughput: verified-and-stored events per second through nginx
# → orgbill-webhook → PostgreSQL, on a stack that is already running.
#
#   tests/bench/webhooks/run.sh RUN_DIR HTTPS_PORT [SECONDS] [CONNECTIONS]
#
# Prints events/s, p50 and p99, and how many distinct events were stored.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
RUN=$1
PORT=$2
DUR=${3:-10}
CONNS=${4:-16}
THREADS=2
N=$((DUR * 4000))
EV=$(mktemp)
trap 'rm -f "$EV"' EXIT
node "$here/gen-events.js" "$(cat "$RUN/secrets/whsec")" "$N" >"$EV"
PGHOST=$RUN/pgsock
PGPORT=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$RUN/orgbill.env" | head -n1)
before=$(psql -h "$PGHOST" -p "$PGPORT" -U orgbill -d orgbill -Atqc "SELECT count(*) FROM webhook_events")
OB_BENCH_EVENTS=$EV OB_BENCH_THREADS=$THREADS wrk -t$THREADS -c"$CONNS" -d"${DUR}s" --latency \
    -s "$here/events.lua" "https://127.0.0.1:$PORT" >"$EV.out" 2>&1 || { cat "$EV.out" >&2; exit 1; }
after=$(psql -h "$PGHOST" -p "$PGPORT" -U orgbill -d orgbill -Atqc "SELECT count(*) FROM webhook_events")
rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$EV.out")
p50=$(awk '$1=="50%"{print $2}' "$EV.out")
p99=$(awk '$1=="99%"{print $2}' "$EV.out")
errs=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$EV.out")
rm -f "$EV.out"
stored=$((after - before))
printf 'webhooks: %s events/s verified+stored+applied (p50 %s, p99 %s), %d new events stored in %ss, non-2xx: %s\n' \
    "$rps" "$p50" "$p99" "$stored" "$DUR" "${errs:-0}"
[ -z "$errs" ] || [ "$errs" = 0 ]
