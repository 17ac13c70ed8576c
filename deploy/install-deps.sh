#!/bin/sh
# Install the Debian packages orgbill needs to build, run and test, only when
# something is missing. Safe to run any number of times. Needs root (or sudo)
# only when a package is actually missing.
set -eu

PKGS="build-essential pkg-config clang libfcgi-dev libpq-dev libcurl4-openssl-dev
libcjson-dev libsodium-dev libssl-dev check spawn-fcgi nginx postgresql postgresql-contrib
openssl curl ca-certificates chromium wrk libhpdf-dev poppler-utils"

# Node.js and npm run the Stripe fake and the browser tests. Debian's nodejs
# package is used only when no node/npm is on the PATH already (a machine may
# carry a Node.js that bundles its own npm and conflicts with Debian's npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once.
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
# The Debian postgresql package may start a system cluster; orgbill never
# uses it (the demo and the tests run their own), so leave it as it is.
