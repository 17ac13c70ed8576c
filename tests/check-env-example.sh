#!/bin/sh
# The settings table in core/base/cfg.c is the one source of truth for setting
# names. This check fails when deploy/orgbill.env.example or README.md's
# configuration table misses a setting, or lists one cfg.c does not have.
#
#   tests/check-env-example.sh           check; one line of result
#   tests/check-env-example.sh --table   print README's table from cfg.c
#
# Names are taken from the table rows of core/base/cfg.c, which start with
# `{ "NAME", CFG_`. In the env example a setting is a line "NAME=value" or
# "#NAME=value" (a documented default); in README.md it is a row of the
# table between the <!-- settings:begin --> and <!-- settings:end -->
# markers. The row's default and meaning columns are checked too: the table
# must be exactly what --table prints (regenerate it with that).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFG=$ROOT/core/base/cfg.c
ENV_EXAMPLE=$ROOT/deploy/orgbill.env.example
README=$ROOT/README.md

# One line per setting: NAME, TYPE, DEFAULT, MIN, MAX, DOC separated by the
# ASCII unit separator (not a tab: read(1) would merge empty fields),
# from rows such as
#   { "NAME", CFG_INT, S(field), "4", 1, 256,
#     "doc" },
# A default written OB_PREFIX "/share/..." is shown as PREFIX/share/...
settings() {
	awk '
	function num(e,    a, n, i, v) {
		gsub(/[ \t]/, "", e)
		gsub(/[0-9]+[lL]+/, "&_", e)
		gsub(/[lL]+_/, "", e)
		if (split(e, a, "<<") == 2)
			return sprintf("%d", a[1] * 2 ^ a[2])
		n = split(e, a, "*")
		v = 1
		for (i = 1; i <= n; i++)
			v *= a[i]
		return sprintf("%d", v)
	}
	/^[ \t]*\{ "[A-Z][A-Z0-9_]*", CFG_/ {
		row = $0
		while (row !~ /\},[ \t]*$/ && (getline line) > 0)
			row = row " " line
		sub(/^[ \t]*\{ /, "", row)
		sub(/ *\},[ \t]*$/, "", row)
		# name
		match(row, /^"[^"]*"/)
		name = substr(row, 2, RLENGTH - 2)
		row = substr(row, RLENGTH + 1)
		sub(/^, */, "", row)
		# type
		match(row, /^CFG_[A-Z]+/)
		type = substr(row, 5, RLENGTH - 4)
		row = substr(row, RLENGTH + 1)
		# S(field)
		sub(/^, *S\([a-z_0-9]*\), */, "", row)
		# default: "x" or OB_PREFIX "x"
		prefix = ""
		if (row ~ /^OB_PREFIX /) {
			prefix = "PREFIX"
			sub(/^OB_PREFIX +/, "", row)
		}
		match(row, /^"[^"]*"/)
		def = prefix substr(row, 2, RLENGTH - 2)
		row = substr(row, RLENGTH + 1)
		sub(/^, */, "", row)
		# min, max: integer constant expressions (64L << 20, 86400 * 30)
		split(row, f, /, */)
		min = num(f[1])
		max = num(f[2])
		# doc: the last string
		match(row, /"[^"]*"$/)
		doc = substr(row, RSTART + 1, RLENGTH - 2)
		printf "%s\037%s\037%s\037%s\037%s\037%s\n", name, type, def, min, max, doc
	}' "$CFG"
}

# The README table, generated.
table() {
	echo '| setting | default | meaning |'
	echo '|---|---|---|'
	us=$(printf '\037')
	settings | while IFS=$us read -r name type def min max doc; do
		doc=$(printf '%s' "$doc" | sed 's/|/\\|/g')
		case "$def" in
		"") d="(empty)" ;;
		*) d="\`$def\`" ;;
		esac
		case "$type" in
		INT) doc="$doc; integer, $min to $max" ;;
		SECRET) doc="$doc; secret (masked by \`orgbill config\`)" ;;
		esac
		printf '| `%s` | %s | %s |\n' "$name" "$d" "$doc"
	done
}

if [ "${1:-}" = "--table" ]; then
	table
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

settings | cut -d "$(printf '\037')" -f1 | sort >"$tmp/cfg"
if [ ! -s "$tmp/cfg" ]; then
	echo "check-env-example: FAILED: no settings found in core/base/cfg.c (has the table's shape changed?)"
	exit 1
fi
sed -n 's/^#\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$ENV_EXAMPLE" | sort >"$tmp/env"
sed -n '/<!-- settings:begin -->/,/<!-- settings:end -->/p' "$README" >"$tmp/block"
sed -n 's/^| `\([A-Z][A-Z0-9_]*\)` |.*/\1/p' "$tmp/block" | sort >"$tmp/readme"

problems=""
add() { problems="$problems${problems:+; }$*"; }
list() { tr '\n' ' ' <"$1" | sed 's/ $//'; }

comm -23 "$tmp/cfg" "$tmp/env" >"$tmp/x"; [ ! -s "$tmp/x" ] || add "missing from deploy/orgbill.env.example: $(list "$tmp/x")"
comm -13 "$tmp/cfg" "$tmp/env" >"$tmp/x"; [ ! -s "$tmp/x" ] || add "not in core/base/cfg.c but in deploy/orgbill.env.example: $(list "$tmp/x")"
sort "$tmp/env" | uniq -d >"$tmp/x"; [ ! -s "$tmp/x" ] || add "set twice in deploy/orgbill.env.example: $(list "$tmp/x")"
if [ ! -s "$tmp/block" ]; then
	add "README.md has no <!-- settings:begin --> ... <!-- settings:end --> table"
else
	comm -23 "$tmp/cfg" "$tmp/readme" >"$tmp/x"; [ ! -s "$tmp/x" ] || add "missing from README.md's table: $(list "$tmp/x")"
	comm -13 "$tmp/cfg" "$tmp/readme" >"$tmp/x"; [ ! -s "$tmp/x" ] || add "not in core/base/cfg.c but in README.md's table: $(list "$tmp/x")"
	if [ -z "$problems" ]; then
		grep '^|' "$tmp/block" >"$tmp/have" || true
		table >"$tmp/want"
		cmp -s "$tmp/have" "$tmp/want" ||
			add "README.md's table differs from core/base/cfg.c (defaults or meanings); regenerate it with tests/check-env-example.sh --table"
	fi
fi

n=$(wc -l <"$tmp/cfg" | tr -d ' ')
if [ -n "$problems" ]; then
	echo "check-env-example: FAILED: $problems"
	exit 1
fi
echo "check-env-example: ok ($n settings in core/base/cfg.c, deploy/orgbill.env.example and README.md)"
