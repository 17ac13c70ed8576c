#!/bin/sh
# The budgets benchmark (make bench runs it after the credits one):
#
#   tests/bench/budgets/run.sh BUILD_DIR
#
# Starts a private stack under BUILD_DIR/bench-budgets (a fresh cluster
# each run), loads gen.sql (64 orgs × 50 members in one department and
# team; orgs 33–64 with a hard budget at org, department and team level,
# orgs 1–32 with none: the same shape of data) and runs pgbench on the
# metering call (deduct_credits, prepared) for both halves side by side,
# interleaved (plain, budgeted, plain, budgeted) so drift hits both, at
# OB_BENCH_BUDGET_CONNS (8) connections. Prints tps, p50, p99 and the ratio
# budgeted / plain (the goal: ≥ 0.85).
#
# Environment: OB_BENCH_DURATION [10]  OB_BENCH_BUDGET_CONNS [8]
#   OB_BENCH_BUDGET_HTTPS_PORT [28743] _HTTP_PORT [28380] _PG_PORT [54461]
#   _STRIPE_PORT [12231]. Results: BUILD_DIR/bench-budgets/results.txt.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$ROOT/$B ;; esac
RUN=$B/bench-budgets

DUR=${OB_BENCH_DURATION:-10}
CONNS=${OB_BENCH_BUDGET_CONNS:-8}

die() { printf 'bench-budgets: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench-budgets: %s\n' "$*" >&2; }
. "$HERE/../lib.sh"
bench_clean_env
export OB_BIN_DIR=$B
export OB_HTTPS_PORT=${OB_BENCH_BUDGET_HTTPS_PORT:-28743}
export OB_HTTP_PORT=${OB_BENCH_BUDGET_HTTP_PORT:-28380}
export OB_PG_PORT=${OB_BENCH_BUDGET_PG_PORT:-54461}
export OB_STRIPE_PORT=${OB_BENCH_BUDGET_STRIPE_PORT:-12231}
export OB_APP_WORKERS=1 OB_WEBHOOK_WORKERS=1 OB_SEED=0

command -v pgbench >/dev/null 2>&1 || PATH=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1):$PATH
command -v pgbench >/dev/null 2>&1 || die "pgbench is missing (postgresql-contrib)"
bench_need_bins "$B"

"$ROOT/deploy/stack.sh" stop "$RUN" >/dev/null 2>&1 || true
rm -rf "$RUN"
bench_tmp
say "starting the stack under $RUN"
"$ROOT/deploy/stack.sh" start "$RUN" >"$TMP/start.log" 2>&1 || {
	cat "$TMP/start.log" >&2
	die "the stack did not start"
}
DB=$(sed -n 's/^DATABASE_URL=//p' "$RUN/orgbill.env")
psql "$DB" -q -v ON_ERROR_STOP=1 -f "$HERE/gen.sql" >"$TMP/gen.log" 2>&1 ||
	{ cat "$TMP/gen.log" >&2; die "gen.sql failed"; }

# pg_run NAME SCRIPT → "tps p50 p99" appended to $TMP/NAME (ms)
pg_run() {
	name=$1 script=$2
	mkdir -p "$TMP/log-$name"
	rm -f "$TMP/log-$name"/pgbench_log.*
	(cd "$TMP/log-$name" && pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DUR" -l \
	    -f "$HERE/$script" "$DB" >"$TMP/$name.pg" 2>&1) || { cat "$TMP/$name.pg" >&2; die "pgbench failed ($name)"; }
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/$name.pg" | tail -n1 >>"$TMP/$name.tps"
	cat "$TMP/log-$name"/pgbench_log.* | awk '{ print $3 }' >>"$TMP/$name.lat"
}

say "warm-up"
pgbench -n -M prepared -c "$CONNS" -j 2 -T 2 -f "$HERE/pg_deduct_plain.sql" "$DB" >/dev/null 2>&1
pgbench -n -M prepared -c "$CONNS" -j 2 -T 2 -f "$HERE/pg_deduct_budgeted.sql" "$DB" >/dev/null 2>&1
for round in 1 2; do
	say "round $round: deduct without budgets, then with three hard budgets"
	pg_run plain pg_deduct_plain.sql
	pg_run budgeted pg_deduct_budgeted.sql
done
refused=$(psql "$DB" -Atc "SELECT count(*) FROM credit_usage WHERE kind = 'deduction'" )
summary() {
	tps=$(awk '{ s += $1; n++ } END { printf "%.0f", s / n }' "$TMP/$1.tps")
	sort -n "$TMP/$1.lat" >"$TMP/$1.sorted"
	n=$(wc -l <"$TMP/$1.sorted")
	p50=$(awk -v n="$n" 'NR == int((n + 1) / 2) { printf "%.2f", $1 / 1000 }' "$TMP/$1.sorted")
	p99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.5) { printf "%.2f", $1 / 1000 }' "$TMP/$1.sorted")
	echo "$tps $p50 $p99"
}
read -r pt p50 p99 <<EOT
$(summary plain)
EOT
read -r bt b50 b99 <<EOT
$(summary budgeted)
EOT
OUT=$RUN/results.txt
{
	echo "budgets benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, pgbench $CONNS connections, 2 × ${DUR}s each, synchronous_commit on"
	printf '%-40s | %9s %8s %8s\n' "deduct_credits (SQL, prepared)" "tps" "p50 ms" "p99 ms"
	printf '%-40s | %9s %8s %8s\n' "no budgets (orgs 1-32)" "$pt" "$p50" "$p99"
	printf '%-40s | %9s %8s %8s\n' "org + department + team hard budgets" "$bt" "$b50" "$b99"
	printf 'ratio budgeted / plain: %s (%s deductions recorded)\n' \
	    "$(awk -v a="$bt" -v b="$pt" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "$refused"
} >"$OUT"
budget_spent=$(psql "$DB" -Atc "SELECT (SELECT COALESCE(sum(spent), 0) FROM budget_spend s JOIN budgets b ON b.id = s.budget_id WHERE b.scope = 'team') = (SELECT COALESCE(sum(u.amount), 0) FROM credit_usage u JOIN bench_bm m ON m.org_id = u.org_id AND m.user_id = u.user_id WHERE m.k > 1600)")
[ "$budget_spent" = t ] || die "team budget spend does not match the budgeted orgs' usage"
cat "$OUT"
