#!/usr/bin/env bash
# The man page, docs/vigil.8: it is what `make man` makes of the option
# table today (else it is stale: run make man), it names every command and
# every option vigil takes (asked from vigil __complete, not from the
# generator, so a generator that dropped one fails too), mandoc finds
# nothing to warn about, and man -l renders it.
. "$(dirname "$0")/lib.sh"
need man "$VIGIL"
PAGE=$ROOT/docs/vigil.8

if bash "$ROOT/scripts/gen-man.sh" "$VIGIL" "$PAGE" "$TMP/vigil.8" 2>"$TMP/gen.err" && cmp -s "$PAGE" "$TMP/vigil.8"; then
	pass man.current
else
	fail man.current "docs/vigil.8 is not the option table's: run make man ($(head -c 300 "$TMP/gen.err"; diff "$PAGE" "$TMP/vigil.8" | head -n 6 | tr '\n' ' '))"
fi

# every command is an item of COMMANDS and every option an item of TARGETS
# or OPTIONS, in page $1; prints what is missing
missing() {
	local page=$1 cmd opt
	for cmd in $("$VIGIL" __complete "" | grep -vxE 'help|version|-.*'); do
		sed -n '/^\.Sh COMMANDS/,/^\.Sh /p' "$page" | grep -qE "^\.It Cm $cmd( |$)" || echo "command $cmd"
		for opt in $("$VIGIL" __complete "$cmd" --); do
			sed -n '/^\.Sh TARGETS/,/^\.Sh CONFIGURATION/p' "$page" | grep -qE "^\.It .*Fl -${opt#--}( |$)" || echo "$cmd $opt"
		done
	done | sort -u
}
gaps=$(missing "$PAGE")
[ -z "$gaps" ] && pass man.every_option || fail man.every_option "not in docs/vigil.8: $(echo $gaps)"
# the check itself: a page without --duration's item must be caught
sed '/^\.It Fl -duration /d' "$PAGE" >"$TMP/cut.8"
[ "$(missing "$TMP/cut.8")" = "$(printf 'live --duration\nrecord --duration\nserve --duration')" ] && pass man.check_catches_gap ||
	fail man.check_catches_gap "a page without --duration passed: $(missing "$TMP/cut.8" | tr '\n' ' ')"

if command -v mandoc >/dev/null; then
	lint=$(mandoc -T lint -W warning "$PAGE" 2>&1)
	[ -z "$lint" ] && pass man.lint || fail man.lint "$lint"
else
	echo "SKIP man.lint: mandoc is not installed (scripts/install-deps.sh)"
fi

# what a user sees: man -l, no groff warning, every section there
MANWIDTH=80 man -l "$PAGE" >"$TMP/man.txt" 2>"$TMP/man.err"; rc=$?
secs=$(grep -cE '^(NAME|SYNOPSIS|DESCRIPTION|COMMANDS|TARGETS|OPTIONS|CONFIGURATION|CAPABILITIES|ENVIRONMENT|FILES|EXIT STATUS|EXAMPLES|SEE ALSO)$' "$TMP/man.txt")
if [ $rc = 0 ] && [ ! -s "$TMP/man.err" ] && [ "$secs" = 13 ] && grep -q 'vigil record \[TARGETS\] -o FILE' "$TMP/man.txt"; then
	pass man.renders
else
	fail man.renders "man -l: exit $rc, $secs of 13 sections, $(head -c 300 "$TMP/man.err")"
fi
groff -mdoc -ww -z -Tutf8 "$PAGE" 2>"$TMP/groff.err"
[ ! -s "$TMP/groff.err" ] && pass man.groff_clean || fail man.groff_clean "$(head -c 300 "$TMP/groff.err")"
