#!/bin/sh
# The credits benchmark (make bench runs it after tests/bench/run.sh):
#
#   tests/bench/credits/run.sh BUILD_DIR
#
# Starts a private stack under BUILD_DIR/bench-credits — its PostgreSQL
# cluster is KEPT between runs: the data set (gen.sql: 10,000 orgs,
# ~1,000,000 members, 10,000,000 usage rows over 30 days, 1,500,000 in the
# largest org) is generated once, inside PostgreSQL, and reused — and
# measures, at N = 8 and N = 100 connections:
#
#   deduct, many orgs  wrk POST …/credits/{org}/deduct through nginx, one
#                      org per request picked from 64 orgs' keys, unique
#                      Idempotency-Keys  vs  pgbench running the same SQL
#                      function call (the app's prepared statement) on
#                      random orgs of the 10,000
#   deduct, hot org    the same, every request on the largest org
#
# printing requests/s, p50 and p99 for both and the ratio wrk/pgbench; then
# GET /credits/{org} and POST /check through the stack (8 connections), and
# the SQL alone (pgbench, 1 client): pool status, check, one org's 30-day
# usage by day, the largest org's by day, and the largest org's per-user
# 30-day breakdown (all 2,000 members).
#
# TLS: wrk talks HTTPS to nginx on loopback (keep-alive: one handshake per
# connection), as clients would; the issue allows plain HTTP, we do not
# need it. synchronous_commit is on (deploy/stack.sh's setting).
#
# App workers: OB_BENCH_APP_WORKERS (8). Each worker serves one request at
# a time and holds one PostgreSQL connection, so the workers are the
# stack's connection count; with 2 cores, 8 workers keep both cores busy
# while some wait for commits (fsync). pgbench runs with N connections, so
# at N = 100 the database side has 100 concurrent sessions and the stack 8:
# the comparison the issue asks for, stated plainly.
#
# The meter rate limit (100000/60 per key) is raised for the run with
# ORGBILL_RATE_METER: the limit is policy, its shared-memory counter still
# runs on every request.
#
# Environment: OB_BENCH_DURATION [10]  OB_BENCH_APP_WORKERS [8]
#   OB_BENCH_CREDITS_CONNS ["8 100"]  OB_BENCH_CREDITS_KEYS [64]
#   OB_BENCH_CREDITS_HTTPS_PORT [28643] _HTTP_PORT [28280] _PG_PORT [54361]
#   _STRIPE_PORT [12131]. To regenerate the data set: rm -rf BUILD_DIR/bench-credits.
# Results: BUILD_DIR/bench-credits/results.txt.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$ROOT/$B ;; esac
RUN=$B/bench-credits

DUR=${OB_BENCH_DURATION:-10}
WORKERS=${OB_BENCH_APP_WORKERS:-8}
CONNS_LIST=${OB_BENCH_CREDITS_CONNS:-8 100}
NKEYS=${OB_BENCH_CREDITS_KEYS:-64}
WARMUP=2

die() { printf 'bench-credits: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench-credits: %s\n' "$*" >&2; }
. "$HERE/../lib.sh"
bench_clean_env
export OB_BIN_DIR=$B
export OB_HTTPS_PORT=${OB_BENCH_CREDITS_HTTPS_PORT:-28643}
export OB_HTTP_PORT=${OB_BENCH_CREDITS_HTTP_PORT:-28280}
export OB_PG_PORT=${OB_BENCH_CREDITS_PG_PORT:-54361}
export OB_STRIPE_PORT=${OB_BENCH_CREDITS_STRIPE_PORT:-12131}
export OB_APP_WORKERS=$WORKERS OB_WEBHOOK_WORKERS=1 OB_SEED=0
export ORGBILL_RATE_METER=100000000/60 ORGBILL_RATE_READ=100000000/60

command -v wrk >/dev/null 2>&1 || die "wrk is missing"
command -v pgbench >/dev/null 2>&1 || PATH=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1):$PATH
command -v pgbench >/dev/null 2>&1 || die "pgbench is missing (postgresql-contrib)"
bench_need_bins "$B"

"$ROOT/deploy/stack.sh" stop "$RUN" >/dev/null 2>&1 || true
bench_tmp

say "starting the stack under $RUN ($WORKERS app workers)"
"$ROOT/deploy/stack.sh" start "$RUN" >"$TMP/start.log" 2>&1 || {
	cat "$TMP/start.log" >&2
	die "the stack did not start"
}
DB=$(sed -n 's/^DATABASE_URL=//p' "$RUN/orgbill.env")
BASE=https://127.0.0.1:$OB_HTTPS_PORT

# The kept cluster must match the schema and the generator it was made
# with (a changed migration is not applied again to an existing cluster).
HASH=$(cat "$ROOT"/sql/migrations/*.sql "$HERE/gen.sql" | md5sum | cut -c1-32)
have=$(psql "$DB" -Atc "SELECT value #>> '{}' FROM app_settings WHERE key = 'bench.credits'")
if [ -n "$have" ] && [ "$have" != "$HASH" ]; then
	die "the data set in $RUN was made with another schema or gen.sql: rm -rf $RUN and run again"
fi
if [ -z "$have" ]; then
	say "generating the data set (once; kept in $RUN/pg; a few minutes)"
	start=$(date +%s)
	psql "$DB" -q -f "$HERE/gen.sql" >"$TMP/gen.log" 2>&1 || { cat "$TMP/gen.log" >&2; die "gen.sql failed"; }
	psql "$DB" -qc "UPDATE app_settings SET value = to_jsonb('$HASH'::text) WHERE key = 'bench.credits'"
	say "data set generated in $(( $(date +%s) - start )) s"
	cp "$TMP/gen.log" "$RUN/gen.log"
fi
PGOPTIONS="-c bench.keys=$NKEYS" psql "$DB" -q -f "$HERE/keys.sql" >"$TMP/keys.txt" 2>"$TMP/keys.err" ||
	{ cat "$TMP/keys.err" >&2; die "keys.sql failed"; }
sed -i '/^$/d' "$TMP/keys.txt"
[ "$(wc -l <"$TMP/keys.txt")" -gt 1 ] || die "no keys"
export BENCH_KEYS=$TMP/keys.txt

# wrk_run NAME CONNS MODE PATH → "rps p50 p99 non2xx errors" in $TMP/NAME
wrk_run() {
	name=$1 c=$2
	export BENCH_MODE=$3 BENCH_PATH=$4
	t=2
	[ "$c" -lt 2 ] && t=1
	timeout $((WARMUP + 20)) wrk -t$t -c"$c" -d${WARMUP}s -s "$HERE/deduct.lua" "$BASE" >/dev/null 2>&1 ||
		die "wrk warm-up failed ($name)"
	timeout $((DUR + 60)) wrk -t$t -c"$c" -d${DUR}s --latency -s "$HERE/deduct.lua" "$BASE" \
	    >"$TMP/$name.wrk" 2>"$TMP/$name.err" || { cat "$TMP/$name.wrk" "$TMP/$name.err" >&2; die "wrk failed ($name)"; }
	bench_wrk_summary "$TMP/$name.wrk" '%.0f %.2f %.2f %d %d\n' >"$TMP/$name"
	if [ -s "$TMP/$name.err" ]; then head -n 3 "$TMP/$name.err" >&2; fi
}

# pg_run NAME CONNS SCRIPT [SECONDS] → "tps p50 p99" in $TMP/NAME (latencies from
# pgbench's per-transaction log, in ms)
pg_run() {
	name=$1 c=$2 script=$3 secs=${4:-$DUR}
	j=2
	[ "$c" -lt 2 ] && j=1
	pgbench -n -M prepared -c "$c" -j $j -T $WARMUP -f "$HERE/$script" "$DB" >/dev/null 2>&1 ||
		die "pgbench warm-up failed ($name)"
	mkdir -p "$TMP/log-$name"
	(cd "$TMP/log-$name" && pgbench -n -M prepared -c "$c" -j $j -T "$secs" -l \
	    -f "$HERE/$script" "$DB" >"$TMP/$name.pg" 2>&1) || { cat "$TMP/$name.pg" >&2; die "pgbench failed ($name)"; }
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/$name.pg" | tail -n1)
	cat "$TMP/log-$name"/pgbench_log.* | awk '{ print $3 }' | sort -n >"$TMP/$name.lat"
	n=$(wc -l <"$TMP/$name.lat")
	p50=$(awk -v n="$n" 'NR == int((n + 1) / 2) { printf "%.2f", $1 / 1000 }' "$TMP/$name.lat")
	p99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.5) { printf "%.2f", $1 / 1000 }' "$TMP/$name.lat")
	printf '%.0f %s %s\n' "$tps" "$p50" "$p99" >"$TMP/$name"
}

OUT=$RUN/results.txt
{
	echo "credits benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $WORKERS app workers, ${DUR}s per run"
	echo "wrk over HTTPS (TLS 1.3, keep-alive) to nginx on loopback; pgbench over the unix socket; synchronous_commit on"
	echo
	printf '%-22s %5s | %9s %8s %8s | %9s %8s %8s | %6s\n' "" N "wrk req/s" "p50 ms" "p99 ms" "pg tps" "p50 ms" "p99 ms" "ratio"
} >"$OUT"
for c in $CONNS_LIST; do
	for mode in many hot; do
		say "deduct ($mode orgs), $c connections: wrk, then pgbench"
		wrk_run "w-$mode-$c" "$c" "$mode" deduct
		pg_run "p-$mode-$c" "$c" "pg_deduct_$mode.sql"
		read -r wr w50 w99 wbad werr <"$TMP/w-$mode-$c"
		read -r pt p50 p99 <"$TMP/p-$mode-$c"
		ratio=$(awk -v a="$wr" -v b="$pt" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		printf '%-22s %5s | %9s %8s %8s | %9s %8s %8s | %6s%s\n' "deduct ($mode)" "$c" "$wr" "$w50" "$w99" \
		    "$pt" "$p50" "$p99" "$ratio" "$( [ "$wbad$werr" = 00 ] || echo "  (non-2xx $wbad, errors $werr)")" >>"$OUT"
	done
done
say "GET /credits/{org} and POST /check through the stack, 8 connections"
wrk_run w-status 8 many status
wrk_run w-check 8 many check
{
	echo
	printf '%-34s | %9s %8s %8s\n' "through the stack (8 connections)" "req/s" "p50 ms" "p99 ms"
	read -r a b c2 d e <"$TMP/w-status"; printf '%-34s | %9s %8s %8s\n' "GET /credits/{org}" "$a" "$b" "$c2"
	read -r a b c2 d e <"$TMP/w-check"; printf '%-34s | %9s %8s %8s\n' "POST /credits/{org}/check" "$a" "$b" "$c2"
	echo
	printf '%-34s | %9s %8s %8s\n' "SQL alone (pgbench, 1 client)" "tps" "p50 ms" "p99 ms"
} >>"$OUT"
for q in status check usage_day usage_day_largest usage_users_largest; do
	say "SQL: $q"
	pg_run "q-$q" 1 "pg_$q.sql" 5
	read -r a b c2 <"$TMP/q-$q"
	printf '%-34s | %9s %8s %8s\n' "$q" "$a" "$b" "$c2" >>"$OUT"
done
psql "$DB" -Atc "SELECT 'data set: ' || (SELECT count(*) FROM organizations) || ' orgs, ' || (SELECT count(*) FROM memberships) || ' members, ' || (SELECT count(*) FROM credit_usage) || ' usage rows (' || (SELECT count(*) FROM credit_usage WHERE org_id = 1000001) || ' in the largest org)'" >>"$OUT"
cat "$OUT"
