#!/usr/bin/env bash
# The layers of user/, checked from the code's own `#include "..."` lines.
#
# Folders are layers, each may include only its own and lower ones:
#   util <- input <- model <- detect <- view <- sinks <- cmd
# (user/events.h, the record layout, is below them all).  A module is a .c
# file with its header of the same name; module A uses module B when A.c or
# A.h includes B.h.  The script fails on
#   - an upward include: a file including a header of a higher layer;
#   - a circle of modules: A uses B ... uses A (in one folder or across),
#     found by tsort, which names the modules in the loop.
# A header without a .c (tui_int.h, status.h) is an interface: it counts
# for the layer rule, and is no module of its own.
#
# Usage: scripts/include-graph.sh [--dot] [user-dir]
#   --dot   print the module graph in Graphviz form instead of checking
# Exit 0 when clean, 1 with one line per problem on stderr.
set -u
dot=0
if [ "${1:-}" = --dot ]; then
	dot=1
	shift
fi
src=${1:-$(dirname "$0")/../user}
[ -d "$src" ] || { echo "include-graph: no directory $src" >&2; exit 2; }
layers=(util input model detect view sinks cmd)

declare -A rank=([.]=-1) # folder -> its layer's rank; user/ itself is below them all
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done

cd "$src" || exit 2
shopt -s nullglob
files=(./*.h ./*/*.c ./*/*.h)
declare -A where    # header file name -> its folder
declare -A has_c    # module name -> 1 when a .c file exists
bad=0
for f in *.h */*.h; do
	[ -e "$f" ] || continue
	d=${f%/*}
	[ "$d" = "$f" ] && d=.
	b=${f##*/}
	if [ -n "${where[$b]:-}" ]; then
		echo "include-graph: $b is in both ${where[$b]}/ and $d/: an include would be ambiguous" >&2
		bad=1
	fi
	where[$b]=$d
done
for f in */*.c; do
	[ -e "$f" ] || continue
	b=${f##*/}
	has_c[${b%.c}]=1
	if [ -z "${rank[${f%%/*}]:-}" ]; then
		echo "include-graph: $(dirname "$f")/ is no layer (${layers[*]}): add it to scripts/include-graph.sh" >&2
		bad=1
	fi
done

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
# `#include "x.h"` lines only (system headers are no module of ours), as
# "file header" pairs from one awk over every file
while read -r f inc; do
	d=${f%/*}
	[ "$d" = "$f" ] && d=.
	b=${f##*/}
	me=${b%.*}
	from=${rank[$d]:-}
	inc=${inc##*/}
	hd=${where[$inc]:-}
	[ -z "$hd" ] && continue # generated (the BPF skeleton) or outside user/
	to=${rank[$hd]:-}
	if [ -n "$from" ] && [ -n "$to" ] && [ "$to" -gt "$from" ]; then
		echo "include-graph: upward include: $f includes $hd/$inc ($d is below $hd)" >&2
		bad=1
	fi
	them=${inc%.h}
	# a module's use of another module; tsort wants a pair per line
	if [ "$them" != "$me" ] && [ -n "${has_c[$them]:-}" ] && [ -n "${has_c[$me]:-}" ]; then
		echo "$me $them" >>"$edges"
	fi
done < <(awk 'match($0, /^[ \t]*#[ \t]*include[ \t]*"[^"]*"/) {
		s = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", s); sub(/"$/, "", s)
		f = FILENAME; sub(/^\.\//, "", f); print f, s }' "${files[@]}")

if [ $dot = 1 ]; then
	echo "digraph user {"
	sort -u "$edges" | awk '{ printf "\t\"%s\" -> \"%s\";\n", $1, $2 }'
	echo "}"
	exit 0
fi

# tsort prints "tsort: -: input contains a loop:" then the loop's members
loops=$(sort -u "$edges" | tsort 2>&1 >/dev/null)
if [ -n "$loops" ]; then
	echo "include-graph: a circle of modules (each uses the next through an #include):" >&2
	while IFS= read -r l; do echo "  $l"; done <<<"$loops" >&2
	bad=1
fi
[ $bad = 0 ] && echo "include-graph: $(sort -u "$edges" | wc -l) uses between $(cut -d' ' -f1 "$edges" | sort -u | wc -l) modules, no upward include, no circle"
exit $bad
