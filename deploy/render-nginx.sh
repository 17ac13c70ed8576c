#!/bin/sh
# Render nginx/orgbill.conf.in into a site file.
#
#   deploy/render-nginx.sh OUT NAME=value ...
#
# Names: HTTPS_PORT HTTP_PORT LISTEN_ADDRS SERVER_NAME TLS_CERT TLS_KEY
# STATIC_ROOT APP_SOCKET WEBHOOK_SOCKET BODY_LIMIT NGINX_DIR, ACCESS_LOG
# (the access log's path, default /var/log/nginx/access.log), and the
# limits and client addresses (docs/RATELIMITS.md): LIMIT_LOGIN LIMIT_API
# LIMIT_API_ALL LIMIT_WEBHOOK (RATE:BURST, e.g. 10r/m:20), LIMIT_EXEMPT and REAL_IP_FROM
# (addresses or CIDRs, comma-separated), REAL_IP_HEADER.
# ENV_FILE=/etc/orgbill/orgbill.env takes those seven from the settings
# ORGBILL_NGINX_LIMIT_LOGIN, ... in that file; a NAME=value given here wins.
# LISTEN_ADDRS is a space-separated list of addresses to listen on
# ("127.0.0.1 [::1]", or "*" for all); the rest are substituted as given.
set -euf
here=$(cd "$(dirname "$0")/.." && pwd)
out=$1
shift

LISTEN_ADDRS="*"
HTTPS_PORT=443
HTTP_PORT=80
ACCESS_LOG=/var/log/nginx/access.log
# The settings' defaults (core/base/cfg.c).
LIMIT_LOGIN=10r/m:20
LIMIT_API=10r/s:20
LIMIT_API_ALL=50r/s:200
LIMIT_WEBHOOK=50r/s:200
LIMIT_EXEMPT=
REAL_IP_FROM=
REAL_IP_HEADER=X-Forwarded-For

die() { echo "render-nginx: $*" >&2; exit 2; }

# The ORGBILL_NGINX_* settings of an env file (NAME=value lines).
load_env_file() {
	[ -r "$1" ] || die "cannot read $1"
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		ORGBILL_NGINX_LIMIT_LOGIN=*) LIMIT_LOGIN=${line#*=} ;;
		ORGBILL_NGINX_LIMIT_API=*) LIMIT_API=${line#*=} ;;
		ORGBILL_NGINX_LIMIT_API_ALL=*) LIMIT_API_ALL=${line#*=} ;;
		ORGBILL_NGINX_LIMIT_WEBHOOK=*) LIMIT_WEBHOOK=${line#*=} ;;
		ORGBILL_NGINX_LIMIT_EXEMPT=*) LIMIT_EXEMPT=${line#*=} ;;
		ORGBILL_NGINX_REAL_IP_FROM=*) REAL_IP_FROM=${line#*=} ;;
		ORGBILL_NGINX_REAL_IP_HEADER=*) REAL_IP_HEADER=${line#*=} ;;
		esac
	done <"$1"
}

for kv in "$@"; do
	case "$kv" in ENV_FILE=*) load_env_file "${kv#*=}" ;; esac
done
for kv in "$@"; do
	name=${kv%%=*}
	case "$name" in
	ENV_FILE) continue ;;
	HTTPS_PORT|HTTP_PORT|LISTEN_ADDRS|SERVER_NAME|TLS_CERT|TLS_KEY|STATIC_ROOT|APP_SOCKET|WEBHOOK_SOCKET|BODY_LIMIT|NGINX_DIR|ACCESS_LOG) ;;
	LIMIT_LOGIN|LIMIT_API|LIMIT_API_ALL|LIMIT_WEBHOOK|LIMIT_EXEMPT|REAL_IP_FROM|REAL_IP_HEADER) ;;
	*) echo "render-nginx: unknown name $name" >&2; exit 2 ;;
	esac
	eval "$name=\${kv#*=}"
done

# split_limit VAR NAME RATE:BURST → VAR_RATE, VAR_BURST.
split_limit() {
	case "$3" in
	*[!0-9rsm/:]*|:*|*:) die "$2 must be RATE:BURST (e.g. 10r/m:20), not '$3'" ;;
	[0-9]*r/[sm]:[0-9]*) ;;
	*) die "$2 must be RATE:BURST (e.g. 10r/m:20), not '$3'" ;;
	esac
	eval "${1}_RATE=\${3%%:*} ${1}_BURST=\${3#*:}"
}
split_limit LOGIN LIMIT_LOGIN "$LIMIT_LOGIN"
split_limit API LIMIT_API "$LIMIT_API"
split_limit API_ALL LIMIT_API_ALL "$LIMIT_API_ALL"
split_limit WEBHOOK LIMIT_WEBHOOK "$LIMIT_WEBHOOK"

# A comma-separated list of addresses or CIDRs, checked: its items one by one.
addr_list() {
	case "$2" in
	*[!0-9A-Fa-f.:/,]*) die "$1: addresses or CIDRs separated by commas, not '$2'" ;;
	esac
	printf '%s' "$2" | tr ',' ' '
}
geo_exempt=""
for a in $(addr_list ORGBILL_NGINX_LIMIT_EXEMPT "$LIMIT_EXEMPT"); do
	geo_exempt="$geo_exempt $a 1;"
done
real_ip=""
for a in $(addr_list ORGBILL_NGINX_REAL_IP_FROM "$REAL_IP_FROM"); do
	real_ip="$real_ip set_real_ip_from $a;"
done
if [ -n "$real_ip" ]; then
	case "$REAL_IP_HEADER" in
	""|*[!A-Za-z0-9_-]*) die "ORGBILL_NGINX_REAL_IP_HEADER: a header name, not '$REAL_IP_HEADER'" ;;
	esac
	real_ip="$real_ip real_ip_header $REAL_IP_HEADER; real_ip_recursive on;"
fi

listen_https=""
listen_http=""
for a in $LISTEN_ADDRS; do
	listen_https="$listen_https listen $a:$HTTPS_PORT ssl http2;"
	listen_http="$listen_http listen $a:$HTTP_PORT;"
done

sed -e "s|@LISTEN_HTTPS@|$listen_https|" \
    -e "s|@LISTEN_HTTP@|$listen_http|" \
    -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
    -e "s|@SERVER_NAME@|$SERVER_NAME|g" \
    -e "s|@TLS_CERT@|$TLS_CERT|g" \
    -e "s|@TLS_KEY@|$TLS_KEY|g" \
    -e "s|@STATIC_ROOT@|$STATIC_ROOT|g" \
    -e "s|@APP_SOCKET@|$APP_SOCKET|g" \
    -e "s|@WEBHOOK_SOCKET@|$WEBHOOK_SOCKET|g" \
    -e "s|@BODY_LIMIT@|$BODY_LIMIT|g" \
    -e "s|@NGINX_DIR@|$NGINX_DIR|g" \
    -e "s|@ACCESS_LOG@|$ACCESS_LOG|g" \
    -e "s|@LIMIT_EXEMPT@|$geo_exempt|" \
    -e "s|@REAL_IP@|$real_ip|" \
    -e "s|@LOGIN_RATE@|$LOGIN_RATE|g" -e "s|@LOGIN_BURST@|$LOGIN_BURST|g" \
    -e "s|@API_RATE@|$API_RATE|g" -e "s|@API_BURST@|$API_BURST|g" \
    -e "s|@API_ALL_RATE@|$API_ALL_RATE|g" -e "s|@API_ALL_BURST@|$API_ALL_BURST|g" \
    -e "s|@WEBHOOK_RATE@|$WEBHOOK_RATE|g" -e "s|@WEBHOOK_BURST@|$WEBHOOK_BURST|g" \
    "$here/nginx/orgbill.conf.in" > "$out.tmp"
if grep -q '@[A-Z_]*@' "$out.tmp"; then
	echo "render-nginx: unfilled names in $out:" >&2
	grep -o '@[A-Z_]*@' "$out.tmp" | sort -u >&2
	rm -f "$out.tmp"
	exit 2
fi
mv "$out.tmp" "$out"
