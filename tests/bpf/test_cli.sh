#!/usr/bin/env bash
# The command line as a user meets it: help for every command (-h, --help,
# vigil help CMD), --version, usage errors, bash completion through the
# installed script, make install / uninstall (binary, completion, man page,
# systemd unit, example config).  Needs no root and no BPF.
# The commands and each command's options are what vigil itself lists
# (vigil __complete), which test_cli.c holds to the option table.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$VIGIL" ]; then
	fail cli "vigil is not built"
	exit 0
fi

commands=$("$VIGIL" __complete "" | grep -vxE 'help|version|-.*')
options_of() { "$VIGIL" __complete "$1" --; }

ok=1
for cmd in $commands; do
	for form in "$cmd --help" "$cmd -h" "help $cmd"; do
		# shellcheck disable=SC2086
		"$VIGIL" $form >"$TMP/help" 2>"$TMP/help.err"; rc=$?
		if [ $rc -ne 0 ] || [ -s "$TMP/help.err" ] || ! head -n1 "$TMP/help" | grep -q "^usage: vigil $cmd "; then
			fail "cli.help.$cmd" "vigil $form: exit $rc, $(head -c 200 "$TMP/help.err")"; ok=0; continue
		fi
		for opt in $(options_of "$cmd"); do
			grep -qe "$opt" "$TMP/help" || { fail "cli.help.$cmd" "vigil $form does not list $opt"; ok=0; }
		done
	done
	cmp -s <("$VIGIL" "$cmd" -h) <("$VIGIL" help "$cmd") || { fail "cli.help.$cmd" "-h and help $cmd differ"; ok=0; }
done
[ $ok = 1 ] && [ -n "$commands" ] && pass cli.help_every_command

"$VIGIL" --help >"$TMP/usage"; rc=$?
missing=
for cmd in $commands; do grep -qE "^  vigil $cmd " "$TMP/usage" || missing="$missing $cmd"; done
if [ $rc -eq 0 ] && [ -z "$missing" ] && grep -q '^usage:' "$TMP/usage"; then
	pass cli.usage_lists_commands
else
	fail cli.usage_lists_commands "exit $rc, missing:${missing:- none}"
fi
"$VIGIL" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass cli.no_command_is_usage_error || fail cli.no_command_is_usage_error "exit $rc"

"$VIGIL" --version >"$TMP/v1"; rc1=$?
"$VIGIL" version >"$TMP/v2"; rc2=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && cmp -s "$TMP/v1" "$TMP/v2" && grep -q '^vigil [^ ]' "$TMP/v1" &&
	grep -q '^libbpf: ' "$TMP/v1" && grep -q '^bpf object: .*sha256:' "$TMP/v1" && grep -q '^vmlinux.h: ' "$TMP/v1"; then
	pass cli.version
	sed 's/^/   /' "$TMP/v1"
else
	fail cli.version "exit $rc1/$rc2: $(head -c 300 "$TMP/v1")"
fi

# usage errors: exit 2, one line on stderr, pointing at the command's help
usage_error() { # name, command...
	local name=$1; shift
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -s "$TMP/out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, stderr: $(head -c 300 "$TMP/err")"
	fi
}
usage_error cli.unknown_option "$VIGIL" report --bogus f.vgl
grep -q "vigil report --help" "$TMP/err" && pass cli.unknown_option_points_at_help ||
	fail cli.unknown_option_points_at_help "$(cat "$TMP/err")"
usage_error cli.option_of_other_command "$VIGIL" dump --speed 2 f.vgl
usage_error cli.help_unknown_command "$VIGIL" help frobnicate
usage_error cli.version_extra_argument "$VIGIL" version now

# bash completion, through the script make install ships
completion() { # words...; prints COMPREPLY, one per line
	bash --norc --noprofile -c '
		. "$1/scripts/vigil.bash-completion"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_vigil; printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT" "$@"
}
if bash --norc --noprofile -c '. "$1/scripts/vigil.bash-completion"; complete -p vigil' _ "$ROOT" |
	grep -q -- '-F _vigil vigil$'; then
	pass cli.completion_registered
else
	fail cli.completion_registered "complete -p vigil shows no _vigil"
fi
got=$(completion "$VIGIL" "")
miss=
for w in $commands help version; do grep -qx "$w" <<<"$got" || miss="$miss $w"; done
[ -z "$miss" ] && pass cli.completion_commands || fail cli.completion_commands "missing:$miss"
ok=1
for cmd in $commands; do
	got=$(completion "$VIGIL" "$cmd" --)
	want=$(options_of "$cmd")
	[ "$got" = "$want" ] && [ -n "$want" ] || { fail cli.completion_options "$cmd: got $(echo $got), want $(echo $want)"; ok=0; }
done
[ $ok = 1 ] && pass cli.completion_options
got=$(completion "$VIGIL" record --pf-source "")
[ "$(echo $got)" = "counters tracepoint perf" ] && pass cli.completion_pf_source || fail cli.completion_pf_source "$(echo $got)"
got=$(completion "$VIGIL" live --role a)
[ "$(echo $got)" = "asr avatar" ] && pass cli.completion_role || fail cli.completion_role "$(echo $got)"
touch "$TMP/some.vgl"
got=$(completion "$VIGIL" report "$TMP/so")
[ "$got" = "$TMP/some.vgl" ] && pass cli.completion_file || fail cli.completion_file "$got"

# make install: exactly these files, each a copy of its source (the unit with
# its path filled in); the installed vigil runs and takes the installed
# config; uninstall removes them all.  Both ways: nothing more, nothing less.
dest="$TMP/dest"
inst() { make -C "$ROOT" -s --no-print-directory "$@" DESTDIR="$dest" PREFIX=/usr >>"$TMP/install.log" 2>&1; }
if inst install; then
	files=$(cd "$dest" && find . -type f -printf '%m %p\n' | sort)
	want=$'644 ./etc/vigil.conf\n644 ./lib/systemd/system/vigil.service\n644 ./usr/share/bash-completion/completions/vigil\n644 ./usr/share/man/man8/vigil.8\n755 ./usr/sbin/vigil'
	bad=
	[ "$files" = "$want" ] || bad="installed: $(echo $files)"
	for pair in usr/share/bash-completion/completions/vigil:scripts/vigil.bash-completion \
		usr/share/man/man8/vigil.8:docs/vigil.8 etc/vigil.conf:scripts/vigil.conf.example usr/sbin/vigil:vigil; do
		cmp -s "$dest/${pair%%:*}" "$ROOT/${pair#*:}" || bad="$bad ${pair%%:*} differs from ${pair#*:}"
	done
	cmp -s "$dest/lib/systemd/system/vigil.service" <(sed 's|@SBINDIR@|/usr/sbin|g' "$ROOT/scripts/systemd/vigil.service") &&
		grep -q '^ExecStart=/usr/sbin/vigil serve ' "$dest/lib/systemd/system/vigil.service" || bad="$bad the unit's ExecStart"
	"$dest/usr/sbin/vigil" --version >/dev/null || bad="$bad the installed vigil does not run"
	# the shipped config is accepted as it is, and with every key uncommented
	"$dest/usr/sbin/vigil" report --config "$dest/etc/vigil.conf" "$ROOT/tests/fuzz/corpus/memory.vgl" >/dev/null 2>"$TMP/conf.err" ||
		bad="$bad the installed config is refused: $(head -c 200 "$TMP/conf.err")"
	sed -E 's/^#([a-z_0-9]+ = )/\1/' "$dest/etc/vigil.conf" >"$TMP/all-keys.conf"
	[ "$(grep -cE '^[a-z_0-9]+ = ' "$TMP/all-keys.conf")" -ge 20 ] &&
		"$dest/usr/sbin/vigil" report --config "$TMP/all-keys.conf" "$ROOT/tests/fuzz/corpus/memory.vgl" >/dev/null 2>"$TMP/conf.err" ||
		bad="$bad the config with every key set is refused: $(head -c 200 "$TMP/conf.err")"
	[ -z "$bad" ] && pass cli.make_install || fail cli.make_install "$bad"
	# an administrator's config: install keeps it, uninstall leaves it
	echo "# mine" >>"$dest/etc/vigil.conf"
	inst install && inst uninstall
	left=$(cd "$dest" && find . -type f)
	[ "$left" = ./etc/vigil.conf ] && grep -q '^# mine$' "$dest/etc/vigil.conf" && pass cli.make_install_keeps_config ||
		fail cli.make_install_keeps_config "left: $left"
	rm -f "$dest/etc/vigil.conf"
	inst install && inst uninstall
	left=$(find "$dest" -type f)
	[ -z "$left" ] && pass cli.make_uninstall || fail cli.make_uninstall "left: $left"
else
	fail cli.make_install "$(tail -n 5 "$TMP/install.log")"
fi
