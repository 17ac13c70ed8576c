#!/bin/sh
# Run the whole orgbill stack privately under one directory: a PostgreSQL
# cluster, the Stripe fake, both FastCGI worker pools under spawn-fcgi, and
# nginx with TLS. `make demo` and `make check` both use it; nothing outside
# the run directory is touched (no system service, no system config).
#
#   deploy/stack.sh start|stop|status|pg-start|pg-stop|pg-restart RUN_DIR
#   deploy/stack.sh pool-restart RUN_DIR app|webhook   (after its master died)
#   deploy/stack.sh nginx-reload|nginx-restart RUN_DIR
#
# Environment (defaults in brackets):
#   OB_BIN_DIR [build]          where orgbill, orgbill-app, orgbill-webhook are
#   OB_HTTPS_PORT [8443]  OB_HTTP_PORT [8080]  OB_PG_PORT [54329]
#   OB_STRIPE_PORT [12111]      the Stripe fake (started if present)
#   OB_WEBHOOK_AUTO [0]         1: the fake delivers its webhooks after every change (the demo)
#   OB_SMTP_PORT [2525]         the SMTP sink (mail lands in RUN_DIR/mail)
#   OB_OIDC_PORT []             the test OpenID provider (tests/oidc), started
#                               only when set (tests/run-all.sh sets it)
#   OB_APP_WORKERS [2]  OB_WEBHOOK_WORKERS [1]
#   OB_SEED [0]                 1: load the demo data set after migrating
#   OB_JOBS [0]                 1: also run `orgbill jobs` (the demo does;
#                               tests run it themselves, with --once)
#   OB_PG_DIR []                the cluster's directory (default RUN/pg;
#                               the fault drill's small disk)
#   OB_PG_ARCHIVE [0]           1: the new cluster archives its WAL into
#                               the directory RUN/wal-archive-dir names
#                               (deploy/backup.sh; the restore drill)
set -eu

cmd=${1:?usage: stack.sh start|stop|status|pg-start|pg-stop|pg-restart RUN_DIR}
RUN=${2:?usage: stack.sh COMMAND RUN_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)

BIN=${OB_BIN_DIR:-$ROOT/build}
case "$BIN" in /*) ;; *) BIN=$ROOT/$BIN ;; esac
HTTPS_PORT=${OB_HTTPS_PORT:-8443}
HTTP_PORT=${OB_HTTP_PORT:-8080}
PG_PORT=${OB_PG_PORT:-54329}
STRIPE_PORT=${OB_STRIPE_PORT:-12111}
SMTP_PORT=${OB_SMTP_PORT:-2525}
APP_WORKERS=${OB_APP_WORKERS:-2}
WEBHOOK_WORKERS=${OB_WEBHOOK_WORKERS:-1}
SEED=${OB_SEED:-0}

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
ENVFILE=$RUN/orgbill.env
LOGS=$RUN/logs
PIDS=$RUN/pids

log() { printf 'stack: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# PostgreSQL refuses to run as root: run it as the postgres user then
# (from /, since the caller's directory may be closed to that user).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# Where the parts that run as other users keep their files. As root,
# PostgreSQL runs as postgres and nginx's workers as www-data: neither can
# reach a run directory inside a private home (a clone under /root, mode
# 0700). Then the cluster, its socket and log, the workers' sockets, nginx's
# temporary files and a copy of the static files live in a directory of
# their own, made with mktemp under /var/tmp (recorded in RUN/shared-dir)
# and removed by `stop` (so the demo's database starts afresh next time).
PG_DIR=${OB_PG_DIR:-$RUN/pg}
PG_SOCK=$RUN/pgsock
PG_LOG=$LOGS/postgres.log
SOCKS=$RUN/sock
NGTMP=$RUN/nginx/tmp
STATIC=$BIN/static
SHARED=""

nginx_user() {
	if id www-data >/dev/null 2>&1; then echo www-data; else echo nobody; fi
}

# reachable USER PATH: USER can search PATH (and so every directory above it).
reachable() {
	(cd / && runuser -u "$1" -- test -x "$2") 2>/dev/null
}

use_shared() {
	SHARED=$1
	PG_DIR=${OB_PG_DIR:-$SHARED/pg}
	PG_SOCK=$SHARED/pgsock
	PG_LOG=$SHARED/postgres.log
	SOCKS=$SHARED/sock
	NGTMP=$SHARED/nginx-tmp
	STATIC=$SHARED/static
}

if [ -f "$RUN/shared-dir" ] && [ -d "$(cat "$RUN/shared-dir")" ]; then
	use_shared "$(cat "$RUN/shared-dir")"
fi

# Before starting: a shared directory if the run directory is out of reach.
make_shared() {
	[ -z "$SHARED" ] && [ "$(id -u)" -eq 0 ] || return 0
	if reachable postgres "$RUN" && reachable "$(nginx_user)" "$RUN" &&
	    reachable "$(nginx_user)" "$BIN/static"; then
		return 0
	fi
	use_shared "$(mktemp -d /var/tmp/orgbill-stack.XXXXXX)"
	chmod 755 "$SHARED"
	echo "$SHARED" >"$RUN/shared-dir"
	# Clients that look for the socket in the run directory still find it.
	rm -rf "$RUN/pgsock"
	ln -s "$PG_SOCK" "$RUN/pgsock"
	log "$RUN is out of reach of the postgres and nginx users: using $SHARED"
}

# After stopping: the shared directory goes (PostgreSQL's log is kept).
drop_shared() {
	[ -n "$SHARED" ] || return 0
	if [ -f "$PG_LOG" ]; then
		mkdir -p "$LOGS"
		cat "$PG_LOG" >>"$LOGS/postgres.log"
	fi
	rm -rf "$SHARED"
	rm -f "$RUN/shared-dir" "$RUN/pgsock" 2>/dev/null || true
}

# The cluster's postmaster is running (alive: a zombie is not).
pg_running() {
	[ -f "$PG_DIR/postmaster.pid" ] || return 1
	pid=$(head -n1 "$PG_DIR/postmaster.pid" 2>/dev/null)
	[ -n "$pid" ] && alive "$pid"
}

pg_start() {
	[ -n "$PGBIN" ] || die "no PostgreSQL server found (deploy/install-deps.sh installs it)"
	make_shared
	mkdir -p "$PG_SOCK" "$LOGS"
	if [ "$(id -u)" -eq 0 ]; then
		mkdir -p "$PG_DIR"
		chown postgres "$PG_DIR" "$PG_SOCK"
		touch "$PG_LOG"
		chown postgres "$PG_LOG"
	fi
	if [ ! -f "$PG_DIR/PG_VERSION" ]; then
		log "initdb $PG_DIR"
		as_pg "$PGBIN/initdb" -D "$PG_DIR" -U orgbill --auth=trust -E UTF8 \
		    --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 || {
			cat "$LOGS/initdb.log" >&2
			die "initdb failed"
		}
		cat >>"$PG_DIR/postgresql.conf" <<PGCONF
# orgbill private cluster
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
shared_buffers = 256MB
synchronous_commit = on
log_min_messages = warning
log_min_error_statement = error
PGCONF
		if [ "${OB_PG_ARCHIVE:-0}" = 1 ]; then
			# Where the postgres user can write (not on the cluster's disk).
			wal=${SHARED:-$RUN}/pg-wal
			mkdir -p "$wal"
			[ "$(id -u)" -ne 0 ] || chown postgres "$wal"
			echo "$wal" >"$RUN/wal-archive-dir"
			cat >>"$PG_DIR/postgresql.conf" <<PGCONF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f "$wal/%f" && cp "%p" "$wal/%f"'
PGCONF
		fi
	fi
	if pg_running; then
		return 0
	fi
	# A postmaster killed with -9 leaves its lock file, and where nothing
	# reaps it (a container without an init) a zombie with its pid, which
	# pg_ctl and PostgreSQL take for a running server: the file goes.
	rm -f "$PG_DIR/postmaster.pid"
	as_pg "$PGBIN/pg_ctl" -D "$PG_DIR" -l "$PG_LOG" -w -t 60 \
	    -o "-p $PG_PORT -k $PG_SOCK" start >/dev/null ||
		die "PostgreSQL did not start (see $PG_LOG)"
	# A restored cluster (deploy/backup.sh restore) answers read-only while
	# it replays the archive: wait until it is the primary.
	i=0
	until [ "$("$PGBIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U orgbill -d postgres -Atqc \
	    "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || die "PostgreSQL is still recovering (see $PG_LOG)"
		sleep 0.1
	done
	if ! "$PGBIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U orgbill -d postgres -Atqc \
	    "SELECT 1 FROM pg_database WHERE datname = 'orgbill'" | grep -q 1; then
		"$PGBIN/createdb" -h "$PG_SOCK" -p "$PG_PORT" -U orgbill orgbill
	fi
	# This private database is the demo's: `orgbill seed-demo` runs only
	# where it finds this mark (core/identity/demo.h), never elsewhere.
	"$PGBIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U orgbill -d orgbill -Atq \
	    -c "COMMENT ON DATABASE orgbill IS 'orgbill demo database (deploy/stack.sh)'" ||
		die "cannot mark the demo database"
}

pg_stop() {
	if [ -f "$PG_DIR/PG_VERSION" ] && pg_running; then
		# A fast shutdown that does not finish (one asked for during
		# crash recovery can wait for ever) becomes an immediate one: the
		# next start recovers from the WAL, as after a crash.
		as_pg "$PGBIN/pg_ctl" -D "$PG_DIR" -m fast -w -t 30 stop >/dev/null ||
			as_pg "$PGBIN/pg_ctl" -D "$PG_DIR" -m immediate -w -t 30 stop >/dev/null
	fi
}

write_env() {
	mkdir -p "$RUN/secrets"
	chmod 700 "$RUN/secrets"
	# The demo staff logins' password (one login per staff role: admin,
	# support, finance): random, made once per run directory
	# (printed by seed-demo with the other logins).
	if [ ! -f "$RUN/secrets/demo-staff-password" ]; then
		od -An -tx1 -N12 /dev/urandom | tr -d ' \n' >"$RUN/secrets/demo-staff-password"
		echo >>"$RUN/secrets/demo-staff-password"
	fi
	if [ ! -f "$RUN/secrets/whsec" ]; then
		printf 'whsec_%s\n' "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$RUN/secrets/whsec"
	fi
	WHSEC=$(cat "$RUN/secrets/whsec")
	if [ ! -f "$RUN/secrets/sso_key" ]; then
		od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$RUN/secrets/sso_key"
	fi
	SSO_KEY=$(cat "$RUN/secrets/sso_key")
	cat >"$ENVFILE" <<ENV
# Written by deploy/stack.sh for the stack under $RUN.
# Use it with: orgbill --config $ENVFILE COMMAND
DATABASE_URL=postgresql:///orgbill?host=$PG_SOCK&port=$PG_PORT&user=orgbill
ORGBILL_TEMPLATES_DIR=$ROOT/templates
ORGBILL_SQL_DIR=$ROOT/sql
ORGBILL_PUBLIC_URL=https://localhost:$HTTPS_PORT
ORGBILL_APP_WORKERS=$APP_WORKERS
ORGBILL_WEBHOOK_WORKERS=$WEBHOOK_WORKERS
ORGBILL_SHUTDOWN_TIMEOUT_MS=5000
STRIPE_API_BASE=http://127.0.0.1:$STRIPE_PORT
STRIPE_SECRET_KEY=sk_test_orgbill_local
STRIPE_WEBHOOK_SECRET=$WHSEC
ORGBILL_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT
ORGBILL_MAIL_FROM=billing@orgbill.localhost
ORGBILL_SSO_KEY=$SSO_KEY
ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK=1
ENV
	# nginx's limits (docs/RATELIMITS.md): a private stack's own clients,
	# on loopback, are exempt (browsers, test suites, benchmarks), and
	# loopback is trusted for X-Forwarded-For, so a client that names
	# another address there is limited as that address (as behind a load
	# balancer). Any of these set in the environment wins.
	for kv in LIMIT_EXEMPT=127.0.0.1,::1 REAL_IP_FROM=127.0.0.1,::1 \
	    LIMIT_LOGIN= LIMIT_API= LIMIT_API_ALL= LIMIT_WEBHOOK= REAL_IP_HEADER=; do
		name=ORGBILL_NGINX_${kv%%=*}
		value=$(printenv "$name" || printf '%s' "${kv#*=}")
		[ -z "$value" ] || printf '%s=%s\n' "$name" "$value" >>"$ENVFILE"
	done
	chmod 600 "$ENVFILE"
}

make_cert() {
	mkdir -p "$RUN/tls"
	if [ ! -f "$RUN/tls/cert.pem" ]; then
		log "making a self-signed certificate for localhost"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -days 825 -subj "/CN=localhost" \
		    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
		    -keyout "$RUN/tls/key.pem" -out "$RUN/tls/cert.pem" 2>/dev/null
		chmod 600 "$RUN/tls/key.pem"
	fi
}

# start_bg NAME CMD...: run in the background, output to logs/NAME.log.
start_bg() {
	name=$1
	shift
	"$@" >>"$LOGS/$name.log" 2>&1 &
	echo $! >"$PIDS/$name.pid"
}

# alive PID: running, and not a zombie waiting for a parent that is gone.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ "$state" != Z ]
}

stop_pid() {
	f=$PIDS/$1.pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while alive "$pid" && [ $i -lt 150 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

start_stripe_fake() {
	fake=$ROOT/tests/stripe-fake
	[ -f "$fake/server.js" ] || return 0
	if [ ! -d "$fake/node_modules" ] || [ "$fake/package-lock.json" -nt "$fake/node_modules" ]; then
		log "installing the Stripe fake's npm packages (pinned by its lockfile)"
		(cd "$fake" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
			die "npm ci failed in $fake"
		touch "$fake/node_modules"
	fi
	STRIPE_FAKE_PORT=$STRIPE_PORT STRIPE_FAKE_API_KEY=sk_test_orgbill_local \
	STRIPE_FAKE_WEBHOOK_URL=https://127.0.0.1:$HTTPS_PORT/stripe/webhook \
	STRIPE_FAKE_WEBHOOK_SECRET=$WHSEC STRIPE_FAKE_WEBHOOK_AUTO=${OB_WEBHOOK_AUTO:-0} \
	NODE_TLS_REJECT_UNAUTHORIZED=0 \
	    start_bg stripe-fake node "$fake/server.js"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$STRIPE_PORT/_fake/health" 2>/dev/null ||
	    curl -s -o /dev/null "http://127.0.0.1:$STRIPE_PORT/" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "the Stripe fake did not start (see $LOGS/stripe-fake.log)"
		sleep 0.1
	done
}

# The test OpenID provider (tests/oidc: the oidc-provider package) on
# loopback, when OB_OIDC_PORT is set; its npm packages pinned by its lockfile.
start_oidc_provider() {
	op=$ROOT/tests/oidc
	[ -n "${OB_OIDC_PORT:-}" ] && [ -f "$op/server.js" ] || return 0
	if [ ! -d "$op/node_modules" ] || [ "$op/package-lock.json" -nt "$op/node_modules" ]; then
		log "installing the OpenID provider's npm packages (pinned by its lockfile)"
		(cd "$op" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
			die "npm ci failed in $op"
		touch "$op/node_modules"
	fi
	OIDC_PORT=$OB_OIDC_PORT OIDC_REDIRECT_URI=https://localhost:$HTTPS_PORT/sso/callback \
	    start_bg oidc node "$op/server.js"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$OB_OIDC_PORT/.well-known/openid-configuration"; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "the OpenID provider did not start (see $LOGS/oidc.log)"
		sleep 0.1
	done
}

# A local SMTP sink: every message the outbox sends is a file in RUN/mail.
start_smtp_sink() {
	sink=$ROOT/tests/smtp-sink/server.js
	[ -f "$sink" ] || return 0
	mkdir -p "$RUN/mail"
	SMTP_SINK_PORT=$SMTP_PORT SMTP_SINK_DIR=$RUN/mail start_bg smtp-sink node "$sink"
}

start_pool() {
	mkdir -p "$SOCKS"
	rm -f "$SOCKS/$1.sock"
	# spawn-fcgi binds the socket and execs the prefork master (-n: no
	# fork of its own), exactly as the systemd units do.
	start_bg "$1" spawn-fcgi -n -s "$SOCKS/$1.sock" -M 0666 -- \
	    "$BIN/orgbill-$1" --config "$ENVFILE"
}

start_workers() {
	for pool in app webhook; do
		start_pool "$pool"
	done
}

# A pool's master is gone (killed): what systemd does then. Its workers
# stop on their own when their master dies (they finish the request in
# hand); any still there after 10 s are killed, then the pool starts again.
pool_restart() {
	case "$1" in app | webhook) ;; *) die "pool-restart: app or webhook" ;; esac
	stop_pid "$1"
	i=0
	while pgrep -f "orgbill-$1 --config $ENVFILE\$" >/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pkill -KILL -f "orgbill-$1 --config $ENVFILE\$" 2>/dev/null || true
	start_pool "$1"
}

nginx_signal() {
	nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -s "$1" 2>>"$LOGS/nginx-error.log"
}

start_nginx() {
	mkdir -p "$RUN/nginx" "$NGTMP"
	if [ -n "$SHARED" ]; then
		rm -rf "$STATIC"
		cp -R "$BIN/static" "$STATIC"
	fi
	user=""
	if [ "$(id -u)" -eq 0 ]; then
		user="user www-data;"
		id www-data >/dev/null 2>&1 || user="user nobody nogroup;"
	fi
	addrs="127.0.0.1"
	if [ -f /proc/net/if_inet6 ] && grep -q '00000000000000000000000000000001' /proc/net/if_inet6; then
		addrs="127.0.0.1 [::1]"
	fi
	cp "$ROOT/nginx/fastcgi_orgbill.conf" "$RUN/nginx/"
	"$ROOT/deploy/render-nginx.sh" "$RUN/nginx/orgbill.conf" \
	    HTTPS_PORT="$HTTPS_PORT" HTTP_PORT="$HTTP_PORT" LISTEN_ADDRS="$addrs" \
	    SERVER_NAME=localhost TLS_CERT="$RUN/tls/cert.pem" TLS_KEY="$RUN/tls/key.pem" \
	    STATIC_ROOT="$STATIC" APP_SOCKET="$SOCKS/app.sock" \
	    WEBHOOK_SOCKET="$SOCKS/webhook.sock" BODY_LIMIT=1048576 \
	    NGINX_DIR="$RUN/nginx" ACCESS_LOG="$LOGS/nginx-access.log" ENV_FILE="$ENVFILE"
	sed -e "s|@RUN_DIR@|$RUN|g" -e "s|@TMP_DIR@|$NGTMP|g" -e "s|@NGINX_USER@|$user|" \
	    "$ROOT/nginx/nginx-dev.conf.in" >"$RUN/nginx/nginx.conf"
	nginx -q -t -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" 2>"$LOGS/nginx-test.log" || {
		cat "$LOGS/nginx-test.log" >&2
		die "nginx configuration test failed"
	}
	nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" 2>>"$LOGS/nginx-error.log"
	i=0
	until [ -s "$RUN/nginx/nginx.pid" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || die "nginx did not start (see $LOGS/nginx-error.log)"
		sleep 0.1
	done
	cp "$RUN/nginx/nginx.pid" "$PIDS/nginx.pid"
}

wait_ready() {
	i=0
	until [ "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/readyz")" = 200 ]; do
		i=$((i + 1))
		if [ $i -ge 300 ]; then
			curl -sk "https://127.0.0.1:$HTTPS_PORT/readyz" >&2 || true
			die "the stack did not become ready (logs in $LOGS)"
		fi
		sleep 0.1
	done
}

# Every process of the stack but PostgreSQL, in this order.
stop_procs() {
	for n in jobs smtp-sink nginx app webhook stripe-fake oidc; do
		stop_pid "$n"
	done
}

stop_all() {
	stop_procs
	pg_stop
	drop_shared
}

case "$cmd" in
start)
	mkdir -p "$LOGS" "$PIDS"
	# Whatever a previous run left behind goes first: start twice works.
	stop_procs
	for b in orgbill orgbill-app orgbill-webhook; do
		[ -x "$BIN/$b" ] || die "$BIN/$b is missing: run make first"
	done
	pg_start
	write_env
	make_cert
	"$BIN/orgbill" --config "$ENVFILE" migrate >/dev/null
	if [ "$SEED" = 1 ]; then
		"$BIN/orgbill" --config "$ENVFILE" seed-demo \
		    --staff-password-file "$RUN/secrets/demo-staff-password" >"$RUN/demo-logins.txt"
		chmod 600 "$RUN/demo-logins.txt"
	fi
	start_stripe_fake
	start_smtp_sink
	start_oidc_provider
	start_workers
	start_nginx
	wait_ready
	if [ "${OB_JOBS:-0}" = 1 ]; then
		start_bg jobs "$BIN/orgbill" --config "$ENVFILE" jobs --interval 5
	fi
	;;
stop)
	stop_all
	;;
status)
	for n in nginx app webhook stripe-fake smtp-sink oidc jobs; do
		if [ -f "$PIDS/$n.pid" ] && alive "$(cat "$PIDS/$n.pid")"; then
			echo "$n: running (pid $(cat "$PIDS/$n.pid"))"
		else
			echo "$n: stopped"
		fi
	done
	if pg_running; then
		echo "postgres: running"
	else
		echo "postgres: stopped"
	fi
	;;
pg-start) pg_start ;;
pg-stop) pg_stop ;;
pg-restart) pg_stop; pg_start ;;
pool-restart) pool_restart "${3:-}" ;;
nginx-reload) nginx_signal reload ;;
nginx-restart)
	stop_pid nginx
	start_nginx
	;;
*)
	die "unknown command $cmd"
	;;
esac
