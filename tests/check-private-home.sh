#!/bin/sh
# make demo and make check from a clone in a private home (mode 0700) as
# root: PostgreSQL runs as postgres and nginx's workers as www-data, who
# cannot enter it. This starts the whole stack with its run directory and
# binaries inside a 0700 directory, checks that it answers (readiness, a
# page, a static file, a sign-in), and that stopping it leaves nothing
# behind (deploy/stack.sh keeps those users' files under /var/tmp meanwhile).
#
#   tests/check-private-home.sh BUILD_DIR
#
# Uses the ports in OB_HTTPS_PORT, OB_HTTP_PORT, OB_PG_PORT, OB_STRIPE_PORT,
# OB_SMTP_PORT (tests/run-all.sh runs it before its own stack starts).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$ROOT/$B ;; esac

if [ "$(id -u)" -ne 0 ]; then
	echo "check-private-home: not root, nothing to check (the stack runs as you)"
	exit 0
fi

PRIV=$(mktemp -d /tmp/ob-private-home.XXXXXX)
chmod 700 "$PRIV"
RUN=$PRIV/clone/run
fail() {
	echo "check-private-home: $*" >&2
	tail -n 20 "$RUN"/logs/*.log >&2 2>/dev/null || true
	exit 1
}
cleanup() {
	"$ROOT/deploy/stack.sh" stop "$RUN" >/dev/null 2>&1 || true
	rm -rf "$PRIV"
}
trap cleanup EXIT INT TERM

mkdir -p "$PRIV/clone/bin"
cp "$B/orgbill" "$B/orgbill-app" "$B/orgbill-webhook" "$PRIV/clone/bin/"
cp -R "$B/static" "$PRIV/clone/bin/static"

OB_BIN_DIR=$PRIV/clone/bin OB_SEED=1 OB_APP_WORKERS=1 OB_WEBHOOK_WORKERS=1 \
    "$ROOT/deploy/stack.sh" start "$RUN" >"$PRIV/start.log" 2>&1 ||
	{ cat "$PRIV/start.log" >&2; fail "the stack did not start from a 0700 directory"; }
shared=$(cat "$RUN/shared-dir" 2>/dev/null || true)
case "$shared" in
/var/tmp/orgbill-stack.*) ;;
*) fail "the stack did not move the postgres and nginx users' files out of the 0700 directory" ;;
esac

base=https://localhost:${OB_HTTPS_PORT:-8443}
for path in /readyz /login /static/css/app.css; do
	code=$(curl -sk -o /dev/null -w '%{http_code}' "$base$path")
	[ "$code" = 200 ] || fail "GET $path answered $code"
done
# A sign-in reaches the database and back (the form's own login cookie and token).
jar=$PRIV/cookies
form=$(curl -sk -c "$jar" "$base/login")
token=$(printf '%s' "$form" | sed -n 's/.*name="login_token" value="\([^"]*\)".*/\1/p' | head -n1)
code=$(curl -sk -b "$jar" -o /dev/null -w '%{http_code}' \
    --data-urlencode "email=owner@acme.test" --data-urlencode "password=demo-password" \
    --data-urlencode "login_token=$token" "$base/login")
[ "$code" = 303 ] || fail "signing in answered $code"

"$ROOT/deploy/stack.sh" stop "$RUN" >/dev/null 2>&1 || fail "the stack did not stop"
[ ! -e "$shared" ] || fail "stopping left $shared behind"
echo "check-private-home: ok (stack under a 0700 directory, its shared files in $shared, removed)"
