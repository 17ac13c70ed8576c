#!/bin/sh
# The layers are a one-way chain (docs/ARCHITECTURE.md):
#
#   core/base ← stripe ← core/identity ← core/credits ← core/billing
#             ← core/invoices ← core/sync ← fcgi, core/cli
#
# A file may include headers of its own layer and of layers below it,
# never above. This script fails on:
#   - a quoted #include that does not name its folder ("base/db.h", not
#     "db.h"); only generated headers (ob_*.h, ob_*.def) are bare;
#   - an #include that points up the chain, or across between fcgi/ and
#     core/cli/ (two tops that know nothing of each other);
#   - a statement (OB_STMT_*) used in a layer below the .def that defines
#     it, or used at all in fcgi/ or core/cli/ (handlers and commands call
#     domain functions; only core runs statements);
#   - libpq result reads (PQgetvalue, PQgetisnull) with a literal column
#     number outside core/base/ (rows are read by column name: base/db.h).
# Usage: tests/check-layers.sh [ROOT]   (exit 0 clean, 1 with the list)
set -eu
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT"

rank() {
	case $1 in
	core/base/*) echo 0 ;;
	stripe/*) echo 1 ;;
	core/identity/*) echo 2 ;;
	core/credits/*) echo 3 ;;
	core/billing/*) echo 4 ;;
	core/invoices/*) echo 5 ;;
	core/sync/*) echo 6 ;;
	fcgi/* | core/cli/*) echo 7 ;;
	*) echo 99 ;;
	esac
}

# The two tops: fcgi/ and core/cli/.
top() {
	case $1 in
	fcgi/*) echo fcgi ;;
	*) echo cli ;;
	esac
}

# An include's text to the file it names ("base/db.h" → core/base/db.h).
target() {
	case $1 in
	stripe/* | fcgi/*) echo "$1" ;;
	*) echo "core/$1" ;;
	esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
	echo "check-layers: $*"
	fail=1
}

files=$(find core stripe fcgi -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' \) | sort)
for f in $files; do
	r=$(rank "$f")
	[ "$r" != 99 ] || { bad "$f: not in a known layer (add its folder to tests/check-layers.sh)"; continue; }
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" >"$tmp/inc"
	while IFS= read -r inc; do
		case $inc in
		ob_*.h | ob_*.def) continue ;;
		*/*) ;;
		*) bad "$f: #include \"$inc\" does not name its folder"; continue ;;
		esac
		t=$(target "$inc")
		[ -f "$t" ] || { bad "$f: #include \"$inc\": no such file $t"; continue; }
		tr=$(rank "$t")
		if [ "$tr" -gt "$r" ]; then
			bad "$f: #include \"$inc\" points up the chain"
		elif [ "$tr" = 7 ] && [ "$(top "$f")" != "$(top "$t")" ]; then
			bad "$f: #include \"$inc\": fcgi/ and core/cli/ do not include each other"
		fi
	done <"$tmp/inc"
done

# Statements: where each is defined, and who uses it.
for d in $(find core -name 'stmt_*.def' | sort); do
	r=$(rank "$d")
	sed -n 's/^OB_STMT_DEF(\(OB_STMT_[A-Z0-9_]*\).*/\1/p' "$d" | sed "s/\$/ $r/"
done >"$tmp/defs"
[ -s "$tmp/defs" ] || bad "no statements found in core/*/stmt_*.def (has the table's shape changed?)"
for f in $(echo "$files" | grep '\.[ch]$'); do
	r=$(rank "$f")
	grep -o 'OB_STMT_[A-Z0-9_]*' "$f" | sort -u | while IFS= read -r id; do
		case $id in OB_STMT__MAX | OB_STMT_DEF | OB_STMT_H) continue ;; esac
		dr=$(awk -v id="$id" '$1 == id { print $2 }' "$tmp/defs")
		if [ -z "$dr" ]; then
			echo "check-layers: $f: $id is defined in no stmt_*.def"
		elif [ "$r" = 7 ]; then
			echo "check-layers: $f: runs statement $id (only core runs statements)"
		elif [ "$dr" -gt "$r" ]; then
			echo "check-layers: $f: $id is defined in a layer above this file's"
		fi
	done
done >"$tmp/stmt"
if [ -s "$tmp/stmt" ]; then
	cat "$tmp/stmt"
	fail=1
fi

# Rows by column name.
grep -nE 'PQget(value|isnull|length)\([^,]*,[^,]*,[[:space:]]*[0-9]+[[:space:]]*\)' \
    $(echo "$files" | grep -v '^core/base/') >"$tmp/pos" || true
if [ -s "$tmp/pos" ]; then
	sed 's/^/check-layers: column read by position: /' "$tmp/pos"
	fail=1
fi

if [ "$fail" = 0 ]; then
	echo "check-layers: ok ($(echo "$files" | wc -l) files, $(wc -l <"$tmp/defs") statements)"
fi
exit "$fail"
