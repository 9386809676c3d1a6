#!/usr/bin/env bash
# The layers of user/ (scripts/include-graph.sh): the tree has no upward
# include and no circle of modules; and the check does catch both, on a copy
# of the tree with one of each planted (a check that never fails proves
# nothing).
. "$(dirname "$0")/lib.sh"
G=$ROOT/scripts/include-graph.sh

if out=$(bash "$G" "$ROOT/user" 2>&1); then
	pass layers.tree
	echo "   # $out"
else
	fail layers.tree "$(tr '\n' ' ' <<<"$out")"
fi

# an upward include: the model (model/) including a view header
cp -r "$ROOT/user" "$TMP/up"
sed -i '0,/^#include "/s//#include "pview.h"\n#include "/' "$TMP/up/model/hist.c"
out=$(bash "$G" "$TMP/up" 2>&1)
if [ $? = 1 ] && grep -q 'upward include: model/hist.c includes view/pview.h' <<<"$out"; then
	pass layers.catches_upward_include
else
	fail layers.catches_upward_include "not reported: $(tr '\n' ' ' <<<"$out")"
fi

# a circle in one layer: format (util) uses clock, clock uses format
cp -r "$ROOT/user" "$TMP/circle"
grep -q '#include "clock.h"' "$TMP/circle/util/format.c" || sed -i '0,/^#include "/s//#include "clock.h"\n#include "/' "$TMP/circle/util/format.c"
sed -i '0,/^#include "/s//#include "format.h"\n#include "/' "$TMP/circle/util/clock.c"
out=$(bash "$G" "$TMP/circle" 2>&1)
if [ $? = 1 ] && grep -q 'circle of modules' <<<"$out" && grep -qw clock <<<"$out" && grep -qw format <<<"$out"; then
	pass layers.catches_circle
else
	fail layers.catches_circle "not reported: $(tr '\n' ' ' <<<"$out")"
fi

# a folder that is no layer is named, not ignored
cp -r "$ROOT/user" "$TMP/extra"
mkdir "$TMP/extra/misc" && echo 'int misc;' >"$TMP/extra/misc/misc.c"
out=$(bash "$G" "$TMP/extra" 2>&1)
if [ $? = 1 ] && grep -q 'misc/ is no layer' <<<"$out"; then
	pass layers.unknown_folder
else
	fail layers.unknown_folder "not reported: $(tr '\n' ' ' <<<"$out")"
fi

# docs/architecture.md names every file of user/: a module by its name, a
# header without a .c by its file name
missing=
for f in "$ROOT"/user/*/*.c "$ROOT"/user/*/*.h; do
	b=$(basename "$f")
	m=${b%.*}
	case $b in
	*.h) [ -e "${f%.h}.c" ] && continue; want=$b ;;
	*) want=$m ;;
	esac
	grep -q "\`$want\`" "$ROOT/docs/architecture.md" || missing="$missing $want"
done
if [ -z "$missing" ]; then
	pass layers.architecture_names_every_file
else
	fail layers.architecture_names_every_file "docs/architecture.md does not name:$missing"
fi
