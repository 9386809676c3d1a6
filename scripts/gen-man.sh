#!/usr/bin/env bash
# Splices `vigil __mdoc PART` into a man page between its marker lines
#   .\" BEGIN vigil __mdoc PART
#   .\" END vigil __mdoc PART
# so the page's synopsis and option reference are the option table's.
# Usage: scripts/gen-man.sh VIGIL PAGE [OUT]   (OUT defaults to PAGE, in place)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: gen-man.sh VIGIL PAGE [OUT]" >&2; exit 2; }
vigil=$1 page=$2 out=${3:-$2}
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
parts=0
{
	part=
	while IFS= read -r line; do
		if [ -z "$part" ]; then
			printf '%s\n' "$line"
			case $line in
			'.\" BEGIN vigil __mdoc '*)
				part=${line#'.\" BEGIN vigil __mdoc '}
				"$vigil" __mdoc "$part" || { echo "gen-man.sh: $vigil __mdoc $part failed" >&2; exit 1; }
				parts=$((parts + 1)) ;;
			esac
		elif [ "$line" = ".\\\" END vigil __mdoc $part" ]; then
			printf '%s\n' "$line"
			part=
		fi
	done <"$page"
	[ -z "$part" ] || { echo "gen-man.sh: $page: no END line for part $part" >&2; exit 1; }
	[ "$parts" -gt 0 ] || { echo "gen-man.sh: $page has no BEGIN vigil __mdoc line" >&2; exit 1; }
} >"$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
