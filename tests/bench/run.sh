#!/bin/sh
# make bench: the whole stack under load, against baselines measured in the
# same run on the same machine, so that the ratios mean something where the
# absolute numbers do not.
#
#   tests/bench/run.sh BUILD_DIR
#
# Starts a private stack (deploy/stack.sh) under BUILD_DIR/bench-run on its
# own loopback ports, and measures with wrk over HTTPS (keep-alive, so TLS
# costs one handshake per connection):
#
#   (a) nginx serving a static file            GET /static/css/app.css
#   (b) nginx -> FastCGI worker, no database   GET /healthz
#   (c) nginx -> worker -> PostgreSQL          GET /readyz (two queries)
#   (d) pgbench, SELECT 1 as a prepared statement, with as many clients as
#       there are app workers (the database baseline for (c))
#
# and prints requests/s, p50 and p99 for each (the average latency for
# (d)), and the ratios (b)/(a),
# (c)/(a), (c)/(d). The stack is stopped on exit. Each measurement runs
# OB_BENCH_DURATION seconds (10) after a 2-second warm-up; the whole run
# takes about a minute. Results are also written to BUILD_DIR/bench-run/
# results.txt. Exits non-zero if the stack does not start, a tool is
# missing, or any request failed.
#
# Environment (defaults in brackets):
#   OB_BENCH_DURATION [10]  OB_BENCH_CONNECTIONS [16]  OB_BENCH_THREADS [2]
#   OB_BENCH_APP_WORKERS [2]
#   OB_BENCH_HTTPS_PORT [28443]  OB_BENCH_HTTP_PORT [28080]
#   OB_BENCH_PG_PORT [54349]  OB_BENCH_STRIPE_PORT [12113]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
here=$ROOT/tests/bench
B=${1:-build}
case "$B" in /*) ;; *) B=$ROOT/$B ;; esac
RUN=$B/bench-run

DUR=${OB_BENCH_DURATION:-10}
CONNS=${OB_BENCH_CONNECTIONS:-16}
THREADS=${OB_BENCH_THREADS:-2}
WORKERS=${OB_BENCH_APP_WORKERS:-2}
WARMUP=2

export OB_BIN_DIR="$B"
export OB_HTTPS_PORT="${OB_BENCH_HTTPS_PORT:-28443}"
export OB_HTTP_PORT="${OB_BENCH_HTTP_PORT:-28080}"
export OB_PG_PORT="${OB_BENCH_PG_PORT:-54349}"
export OB_STRIPE_PORT="${OB_BENCH_STRIPE_PORT:-12113}"
export OB_APP_WORKERS="$WORKERS" OB_WEBHOOK_WORKERS=${OB_BENCH_WEBHOOK_WORKERS:-2} OB_SEED=0

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
. "$here/lib.sh"
bench_clean_env

command -v wrk >/dev/null 2>&1 || die "wrk is missing (deploy/install-deps.sh installs it)"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/pgbench" ] || die "pgbench is missing (package postgresql-contrib)"
bench_need_bins "$B"

# Leftovers of an earlier bench go first. Another stack (a test run,
# someone's demo) on our ports would be measured instead of ours, or make
# ours fail half-way: refuse to start then.
"$ROOT/deploy/stack.sh" stop "$RUN" >/dev/null 2>&1 || true
if command -v ss >/dev/null 2>&1; then
	for p in "$OB_HTTPS_PORT" "$OB_HTTP_PORT" "$OB_STRIPE_PORT"; do
		if [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			die "port $p is in use: stop what listens there, or choose other ports (OB_BENCH_*_PORT)"
		fi
	done
fi

bench_tmp

echo "bench: starting the stack under $RUN" >&2
"$ROOT/deploy/stack.sh" start "$RUN" || {
	tail -n 20 "$RUN"/logs/*.log >&2 2>/dev/null || true
	die "the stack did not start"
}

BASE=https://127.0.0.1:$OB_HTTPS_PORT
for path in /static/css/app.css /healthz /readyz; do
	code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "$BASE$path" || true)
	[ "$code" = 200 ] || die "GET $path answered $code, not 200"
done

# measure NAME PATH: one wrk run; leaves "rps p50 p99 non2xx errors" in $TMP/NAME.
measure() {
	name=$1
	url=$BASE$2
	echo "bench: ($name) GET $2: ${DUR}s, $CONNS connections, $THREADS threads" >&2
	timeout $((WARMUP + 15)) wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null 2>&1 ||
		die "wrk failed on $url"
	timeout $((DUR + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency "$url" \
	    >"$TMP/$name.wrk" 2>&1 || {
		cat "$TMP/$name.wrk" >&2
		die "wrk failed on $url"
	}
	bench_wrk_summary "$TMP/$name.wrk" >"$TMP/$name"
}

measure a /static/css/app.css
measure b /healthz
measure c /readyz

# (d) The database alone: the same connection count as the app workers,
# SELECT 1 prepared (the workers prepare every statement), over the same
# unix socket. pgbench's per-transaction log is no use for percentiles at
# this speed (its clock is read lazily, and most entries say 0 us), so (d)
# gets the average latency pgbench reports instead of p50/p99.
echo "bench: (d) pgbench SELECT 1: ${DUR}s, $WORKERS clients" >&2
printf 'SELECT 1;\n' >"$TMP/select1.sql"
timeout $((DUR + 30)) "$PGBIN/pgbench" -h "$RUN/pgsock" -p "$OB_PG_PORT" -U orgbill \
    -n -M prepared -c "$WORKERS" -j "$WORKERS" -T "$DUR" -f "$TMP/select1.sql" \
    orgbill >"$TMP/d.pgbench" 2>&1 || {
	cat "$TMP/d.pgbench" >&2
	die "pgbench failed"
}
tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/d.pgbench" | head -n1)
avg=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$TMP/d.pgbench" | head -n1)
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$TMP/d.pgbench")
[ -n "$tps" ] && [ -n "$avg" ] || {
	cat "$TMP/d.pgbench" >&2
	die "cannot read pgbench's results"
}
echo "$tps $avg - 0 ${failed:-0}" >"$TMP/d"

commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit+changes"
fi

{
	printf 'orgbill bench, %s UTC, commit %s\n' "$(date -u '+%Y-%m-%d %H:%M')" "$commit"
	printf 'machine: %s CPUs (%s), %s MiB RAM, kernel %s\n' "$(nproc)" \
	    "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)" \
	    "$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)" "$(uname -r)"
	printf 'software: %s, PostgreSQL %s, %s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')" \
	    "$("$PGBIN/postgres" --version | awk '{ print $3 }')" "$(wrk -v 2>&1 | head -n1 | awk '{ print $1, $2 }')"
	printf 'load: wrk -t%s -c%s -d%ss --latency over HTTPS (TLS on, keep-alive) on 127.0.0.1;\n' \
	    "$THREADS" "$CONNS" "$DUR"
	printf '      %s app workers; pgbench -M prepared -c %s -j %s -T %s; all on the same machine\n\n' \
	    "$WORKERS" "$WORKERS" "$WORKERS" "$DUR"
	printf '%-44s %10s %9s %9s %8s\n' "" "req/s" "p50 ms" "p99 ms" "errors"
	for t in a b c d; do
		case $t in
		a) label="(a) nginx static /static/css/app.css" ;;
		b) label="(b) nginx -> worker GET /healthz" ;;
		c) label="(c) nginx -> worker -> db GET /readyz" ;;
		d) label="(d) pgbench SELECT 1 ($WORKERS clients)" ;;
		esac
		read -r rps p50 p99 bad err <"$TMP/$t"
		if [ "$t" = d ]; then
			printf '%-44s %10.0f %9s %9s %8d\n' "$label" "$rps" "avg $p50" "-" $((bad + err))
		else
			printf '%-44s %10.0f %9.3f %9.3f %8d\n' "$label" "$rps" "$p50" "$p99" $((bad + err))
		fi
	done
	echo "((d): pgbench reports only the average latency at this speed)"
	echo
	read -r ra _ <"$TMP/a"
	read -r rb _ <"$TMP/b"
	read -r rc _ <"$TMP/c"
	read -r rd _ <"$TMP/d"
	awk -v a="$ra" -v b="$rb" -v c="$rc" -v d="$rd" 'BEGIN {
		printf "throughput ratios: (b)/(a) = %.2f   (c)/(a) = %.2f   (c)/(d) = %.2f\n", b / a, c / a, c / d
	}'
} | tee "$RUN/results.txt"

bad=0
for t in a b c d; do
	read -r _ _ _ x y <"$TMP/$t"
	bad=$((bad + x + y))
done
if [ "$bad" -ne 0 ]; then
	echo "bench: $bad requests failed (non-2xx answers or socket errors): the figures above are not valid" >&2
	exit 1
fi

# Stripe webhooks: verified, stored and applied events per second.
"$here/webhooks/run.sh" "$RUN" "$OB_HTTPS_PORT" "$DUR" "$CONNS" | tee -a "$RUN/results.txt"
