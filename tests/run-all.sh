#!/bin/sh
# Every test suite, in order, against a private stack; used by `make check`.
#
#   tests/run-all.sh BUILD_DIR
#
# Unit suites run in the plain and the sanitizer builds; the stack (and so
# the integration and browser suites) runs the sanitizer binaries, and any
# sanitizer report in its logs fails the run. Exits non-zero on any failure
# and leaves no process running.
#
# OB_SUITES="credits subscriptions" runs only those integration suites
# against the stack (no unit, fuzz, fake or browser steps): the quick loop
# while working on one area; make check always runs everything.
# OB_E2E="console_money credits" (with OB_SUITES, which may then be "none")
# adds only those browser test files (tests/e2e/NAME.test.mjs).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$ROOT/$B ;; esac
RUN=$B/test-run
cd "$ROOT"

export OB_HTTPS_PORT=${OB_TEST_HTTPS_PORT:-18443}
export OB_HTTP_PORT=${OB_TEST_HTTP_PORT:-18080}
export OB_PG_PORT=${OB_TEST_PG_PORT:-54339}
export OB_STRIPE_PORT=${OB_TEST_STRIPE_PORT:-12112}
export OB_SMTP_PORT=${OB_TEST_SMTP_PORT:-2526}
export OB_OIDC_PORT=${OB_TEST_OIDC_PORT:-12190}
export OB_BIN_DIR=$B/asan
export OB_APP_WORKERS=2 OB_WEBHOOK_WORKERS=2 OB_SEED=1
# A long window for reads, so the test that proves the limit holds across
# both workers counts exactly (no window boundary in the middle).
export ORGBILL_RATE_READ=150/3600
# The suites share the demo people: writes are not what is under test
# here (the cross-worker test uses reads; sign-in and subscription limits
# are exact in PostgreSQL and reset by the tests that need them).
export ORGBILL_RATE_WRITE=5000/60
# Workers run under the sanitizers: make reports land in the logs, stop the
# process, and keep leak checks for the test binaries (workers _exit).
export ASAN_OPTIONS=abort_on_error=0:halt_on_error=1:detect_leaks=1:print_summary=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=""
step() {
	name=$1
	shift
	printf '\n=== %s\n' "$name"
	if "$@"; then
		printf '=== %s: ok\n' "$name"
	else
		printf '=== %s: FAILED\n' "$name"
		failed="$failed $name"
	fi
}

cleanup() {
	deploy/stack.sh stop "$RUN" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

SUITES=${OB_SUITES:-}
if [ -z "$SUITES" ]; then
	step "settings documented" tests/check-env-example.sh
	step "layers (includes, statements, rows by name)" tests/check-layers.sh
	step "unit" "$B/test-unit"
	step "unit (asan+ubsan)" "$B/asan/test-unit"
	# Every parser of outside input under libFuzzer, each target for a short,
	# fixed time on its seeds (a long run: docs/RELIABILITY.md).
	step "fuzz (every parser, ${FUZZ_SECONDS:-5} s each)" make --no-print-directory -s fuzz O="$B" FUZZ_SECONDS="${FUZZ_SECONDS:-5}"
	# Before the test stack takes the ports: the stack from a 0700 directory.
	step "stack from a private (0700) directory" tests/check-private-home.sh "$B"
	# Faults under load, then a point-in-time restore (docs/RELIABILITY.md;
	# make chaos runs it longer).
	step "fault drill and restore drill (${CHAOS_SECONDS:-100} s)" tests/chaos/run.sh "$B/asan" "${CHAOS_SECONDS:-100}"
fi

rm -rf "$RUN"
if ! deploy/stack.sh start "$RUN"; then
	echo "=== the test stack did not start; logs:" >&2
	tail -n 50 "$RUN"/logs/*.log >&2 2>/dev/null
	exit 1
fi

DATABASE_URL=$(sed -n 's/^DATABASE_URL=//p' "$RUN/orgbill.env")
export DATABASE_URL
# The suites buy paid subscriptions: the catalogue's trials (Pro and
# Business have 14 days, on an org's first subscription) are off in the
# test stack; the trials suite tests them with a plan of its own.
if ! psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "UPDATE plans SET trial_days = 0" >/dev/null; then
	echo "=== could not turn the catalogue's trials off" >&2
	exit 1
fi

export OB_TEST_BASE_URL=https://localhost:$OB_HTTPS_PORT
export OB_TEST_HTTP_URL=http://localhost:$OB_HTTP_PORT
export OB_TEST_RUN_DIR=$RUN OB_TEST_ROOT=$ROOT OB_TEST_BIN_DIR=$B/asan
export ORGBILL_CONFIG=$RUN/orgbill.env
export STRIPE_API_BASE=http://127.0.0.1:$OB_STRIPE_PORT
export STRIPE_SECRET_KEY=sk_test_orgbill_local
export OB_TEST_STRIPE_FAKE=$STRIPE_API_BASE
# The demo staff logins' password (one per staff role) is random per run (deploy/stack.sh).
OB_TEST_STAFF_PASSWORD=$(cat "$RUN/secrets/demo-staff-password")
export OB_TEST_STAFF_PASSWORD
export OB_TEST_SMTP_URL=smtp://127.0.0.1:$OB_SMTP_PORT OB_TEST_SMTP_DIR=$RUN/mail
export OB_TEST_OIDC_URL=http://127.0.0.1:$OB_OIDC_PORT

if [ "$SUITES" != none ]; then
	# shellcheck disable=SC2086 # SUITES is a list of names
	step "integration (asan+ubsan)" "$B/asan/test-integration" $SUITES
fi
if [ -n "$SUITES" ] && [ -n "${OB_E2E:-}" ]; then
	# shellcheck disable=SC2086 # OB_E2E is a list of names
	step "browser (chromium): $OB_E2E" tests/e2e/run.sh "$B" $OB_E2E
fi
if [ -z "$SUITES" ] && [ -f tests/stripe-fake/package.json ]; then
	step "stripe fake" sh -c 'cd tests/stripe-fake && npm test --silent'
fi
if [ -z "$SUITES" ] && [ -f tests/e2e/package.json ]; then
	step "browser (chromium)" tests/e2e/run.sh "$B"
fi

sanitizer_reports() {
	! grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$RUN"/logs/*.log
}
step "no sanitizer reports in the stack's logs" sanitizer_reports

cleanup
trap - EXIT INT TERM

if [ -n "$failed" ]; then
	printf '\nFAILED:%s\n' "$failed"
	exit 1
fi
printf '\nall test suites passed\n'
