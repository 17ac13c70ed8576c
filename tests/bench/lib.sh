# Shell functions both benchmarks use: sourced by tests/bench/run.sh and
# tests/bench/credits/run.sh after they set ROOT and RUN and define die().

# bench_clean_env: settings from the caller's environment would win over
# the stack's env file; measure the stack as deploy/stack.sh configures it.
bench_clean_env() {
	for v in $(env | sed -n 's/^\(DATABASE_URL\|ORGBILL_[A-Z0-9_]*\|STRIPE_[A-Z0-9_]*\)=.*/\1/p'); do
		unset "$v"
	done
}

# bench_need_bins DIR: the binaries the stack runs must be in DIR.
bench_need_bins() {
	for b in orgbill orgbill-app orgbill-webhook; do
		[ -x "$1/$b" ] || die "$1/$b is missing: run make first"
	done
}

# bench_tmp: a scratch directory in TMP. On exit it goes, and so does the
# stack under RUN.
bench_tmp() {
	TMP=$(mktemp -d)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	trap - EXIT INT TERM
	"$ROOT/deploy/stack.sh" stop "$RUN" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}

# wrk's latencies come as 812.00us, 1.52ms, 1.02s or 1.5m: ms(v) in awk
# makes them milliseconds.
bench_to_ms='function ms(v) {
	if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
	if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
	if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
	if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
	return v + 0
}'

# bench_wrk_summary WRK_OUTPUT [FORMAT]: "rps p50 p99 non2xx errors" from
# the output of wrk --latency (latencies in ms), printed with FORMAT
# (default "%s %s %s %d %d\n").
bench_wrk_summary() {
	awk -v fmt="${2:-%s %s %s %d %d\n}" "$bench_to_ms"'
	/^Requests\/sec:/ { rps = $2 }
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx or 3xx responses:/ { bad = $NF }
	/Socket errors:/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { sub(/,/, "", $i); err += $i }
	}
	END { printf fmt, rps, p50, p99, bad, err }' "$1"
}
