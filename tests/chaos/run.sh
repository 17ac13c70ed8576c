#!/bin/sh
# The fault drill and the restore drill (docs/RELIABILITY.md): a private
# stack that archives its WAL; a mixed workload for SECONDS while faults
# are injected, then the checks (drill.mjs); then a base backup under load,
# the cluster lost and restored to a point in time (restore.mjs).
#
#   tests/chaos/run.sh BIN_DIR [SECONDS]     (make chaos: 300 s; make check: 100 s)
#
# Uses the test ports (OB_TEST_*_PORT, as tests/run-all.sh) and its own run
# directory (BIN_DIR/chaos-run); prints the figures and writes them to
# BIN_DIR/chaos-run/figures.json. Exits non-zero when a check fails.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:?usage: tests/chaos/run.sh BIN_DIR [SECONDS]}
case "$BIN" in /*) ;; *) BIN=$ROOT/$BIN ;; esac
SECONDS_=${2:-300}
RUN=$BIN/chaos-run

export OB_HTTPS_PORT=${OB_TEST_HTTPS_PORT:-18443}
export OB_HTTP_PORT=${OB_TEST_HTTP_PORT:-18080}
export OB_PG_PORT=${OB_TEST_PG_PORT:-54339}
export OB_STRIPE_PORT=${OB_TEST_STRIPE_PORT:-12112}
export OB_SMTP_PORT=${OB_TEST_SMTP_PORT:-2526}
export OB_BIN_DIR=$BIN OB_APP_WORKERS=3 OB_WEBHOOK_WORKERS=2 OB_SEED=1 OB_PG_ARCHIVE=1
unset OB_OIDC_PORT
# The drill's one org makes thousands of writes a minute: the per-org
# limits would refuse most of them (they are tested elsewhere).
export ORGBILL_RATE_WRITE=1000000/60 ORGBILL_RATE_SUBSCRIPTION=100000/60 ORGBILL_RATE_METER=1000000/60
for v in $(env | sed -n 's/^\(DATABASE_URL\|ORGBILL_CONFIG\|STRIPE_[A-Z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done

WALMNT=""
cleanup() {
	"$ROOT/deploy/stack.sh" stop "$RUN" >/dev/null 2>&1 || true
	if [ -n "$WALMNT" ]; then
		umount "$WALMNT" 2>/dev/null && rmdir "$WALMNT"
	fi
}
trap cleanup EXIT INT TERM
cleanup	# whatever an interrupted run left behind
rm -rf "$RUN"
# The disk that fills up: as root, the cluster on a small tmpfs of its
# own (where the postgres user can reach it); otherwise that fault is
# skipped and says so.
if [ "$(id -u)" -eq 0 ]; then
	WALMNT=$(mktemp -d /var/tmp/orgbill-chaos-disk.XXXXXX)
	chmod 755 "$WALMNT"
	if mount -t tmpfs -o size=1g tmpfs "$WALMNT" 2>/dev/null; then
		export OB_PG_DIR=$WALMNT/pg OB_CHAOS_WAL_MOUNT=$WALMNT
	else
		rmdir "$WALMNT"
		WALMNT=""
	fi
fi
if ! "$ROOT/deploy/stack.sh" start "$RUN"; then
	tail -n 30 "$RUN"/logs/*.log >&2 2>/dev/null
	exit 1
fi
DB=$(sed -n 's/^DATABASE_URL=//p' "$RUN/orgbill.env")
psql -Xq "$DB" -c "UPDATE plans SET trial_days = 0" >/dev/null || exit 1
# Checkpoints often enough that the cluster fits its small disk until the
# drill fills it on purpose.
psql -Xq "$DB" -c "ALTER SYSTEM SET max_wal_size = '128MB'" -c "SELECT pg_reload_conf()" >/dev/null || exit 1
rc=0
( cd "$ROOT/tests/chaos" && node --no-warnings drill.mjs "$RUN" "$BIN" "$SECONDS_" "$RUN/figures.json" ) || rc=1
( cd "$ROOT/tests/chaos" && node --no-warnings restore.mjs "$RUN" "$BIN" ) || rc=1
if grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$RUN"/logs/*.log; then
	echo "chaos: sanitizer reports in the stack's logs" >&2
	rc=1
fi
exit $rc
