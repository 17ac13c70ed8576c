#!/bin/sh
# Render nginx/orgbill.conf.in into a site file.
#
#   deploy/render-nginx.sh OUT NAME=value ...
#
# Names: HTTPS_PORT HTTP_PORT LISTEN_ADDRS SERVER_NAME TLS_CERT TLS_KEY
# STATIC_ROOT APP_SOCKET WEBHOOK_SOCKET BODY_LIMIT NGINX_DIR.
# LISTEN_ADDRS is a space-separated list of addresses to listen on
# ("127.0.0.1 [::1]", or "*" for all); the rest are substituted as given.
set -euf
here=$(cd "$(dirname "$0")/.." && pwd)
out=$1
shift

LISTEN_ADDRS="*"
HTTPS_PORT=443
HTTP_PORT=80
for kv in "$@"; do
	name=${kv%%=*}
	case "$name" in
	HTTPS_PORT|HTTP_PORT|LISTEN_ADDRS|SERVER_NAME|TLS_CERT|TLS_KEY|STATIC_ROOT|APP_SOCKET|WEBHOOK_SOCKET|BODY_LIMIT|NGINX_DIR) ;;
	*) echo "render-nginx: unknown name $name" >&2; exit 2 ;;
	esac
	eval "$name=\${kv#*=}"
done

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
    "$here/nginx/orgbill.conf.in" > "$out.tmp"
if grep -q '@[A-Z_]*@' "$out.tmp"; then
	echo "render-nginx: unfilled names in $out:" >&2
	grep -o '@[A-Z_]*@' "$out.tmp" | sort -u >&2
	rm -f "$out.tmp"
	exit 2
fi
mv "$out.tmp" "$out"
