#!/usr/bin/env bash
# The systemd unit (scripts/systemd/vigil.service), as make install ships
# it: systemd-analyze verify finds nothing to say about it, and vigil traces
# with exactly the capabilities the unit leaves it — root's uid with its
# CapabilityBoundingSet and nothing more, as systemd starts it — and counts
# a workload of another user right; with either capability dropped it
# refuses to start (exit 3, naming it), so the list is also the least.
. "$(dirname "$0")/lib.sh"

unit_root="$TMP/u"
# installed under a scratch prefix, so ExecStart and the man page resolve
make -C "$ROOT" -s --no-print-directory install PREFIX="$unit_root/usr" UNITDIR="$unit_root/unit" \
	SYSCONFDIR="$unit_root/etc" >"$TMP/install.log" 2>&1 || { fail unit "make install: $(tail -n 3 "$TMP/install.log")"; exit 0; }
UNIT=$unit_root/unit/vigil.service

if ! command -v systemd-analyze >/dev/null; then
	skip unit.verify "systemd-analyze is not installed (Debian package systemd)"
else
	# verify exits 0 on warnings (an unknown key, a bad value): any output fails
	verify() { MANPATH="$unit_root/usr/share/man" systemd-analyze verify "$1" 2>&1; }
	out=$(verify "$UNIT"); rc=$?
	[ $rc = 0 ] && [ -z "$out" ] && pass unit.verify || fail unit.verify "exit $rc: $out"
	# the check itself: a misspelt hardening line must be caught
	sed 's/^ProtectSystem=strict/ProtectSystem=stricct/' "$UNIT" >"$unit_root/unit/typo.service"
	[ -n "$(verify "$unit_root/unit/typo.service")" ] && pass unit.verify_catches_typo ||
		fail unit.verify_catches_typo "a bad ProtectSystem= passed"
	rm -f "$unit_root/unit/typo.service"
	# systemd's own exposure score of the sandbox (0 best, 10 worst)
	score=$(systemd-analyze security --offline=yes "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "   systemd-analyze security: exposure $score"
	if [ -z "$score" ]; then
		skip unit.exposure "this systemd-analyze has no security --offline"
	elif awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }'; then
		pass unit.exposure
	else
		fail unit.exposure "exposure $score > 4.0"
	fi
fi

require_bpf unit
# the bounding set as setpriv spells it: -all,+bpf,+perfmon
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
[ -n "$caps" ] || { fail unit.caps "no CapabilityBoundingSet in the unit"; exit 0; }
bset=-all
for c in $caps; do c=${c#CAP_}; bset="$bset,+${c,,}"; done
command -v setpriv >/dev/null || { skip unit.caps "setpriv is not installed (util-linux)"; exit 0; }
# run $1 = bounding set, then the command: exec'd as root, a process gets
# exactly its bounding set (no file capabilities, no inheritable ones)
as_unit() { local set=$1; shift; setpriv --bounding-set "$set" --inh-caps=-all --ambient-caps=-all -- "$@"; }

# the effective set vigil gets is the unit's list, bit for bit
want=0
for c in $caps; do
	n=$(awk -v c="$c" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)
	[ -n "$n" ] && want=$((want | (1 << n)))
done
got=$(as_unit "$bset" awk '/^CapEff/ { print $2 }' /proc/self/status)
[ "$((16#$got))" = "$want" ] && [ "$want" != 0 ] && pass unit.caps_exact ||
	fail unit.caps_exact "CapEff $got, want $(printf %016x "$want") for $caps"

# a workload of another user, traced with those capabilities only
pub=$(mktemp -d /tmp/vigil-unit.XXXXXX); chmod 755 "$pub"
cp "$WL/wl_memory" "$pub/"
VIGIL_CAPS=$bset
start_vigil_caps() {
	as_unit "$VIGIL_CAPS" "$VIGIL" record --comm '^wl_memory$' -o "$TMP/caps.vgl" --duration 60 2>"$TMP/vigil.err" >"$TMP/vigil.out" &
	VIGIL_PID=$!
	for _ in $(seq 1 200); do
		grep -q "vigil: tracing" "$TMP/vigil.err" 2>/dev/null && return 0
		kill -0 "$VIGIL_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}
if start_vigil_caps; then
	wl=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$pub/wl_memory" 40 2048)
	sleep 0.3
	stop_vigil; rc=$?
	pid=$(kv "$wl" pid)
	read -r faults mm _ <<<"$(dump_totals "$TMP/caps.vgl" "$pid")"
	ru=$(( $(kv "$wl" minflt) + $(kv "$wl" majflt) ))
	# getrusage also counts setpriv's faults before it exec'd the workload:
	# a few hundred of the 80000
	echo "   with $caps only: wl_memory (uid 65534) pid=$pid faults vigil=$faults getrusage=$ru; mmap vigil=$mm"
	if [ $rc = 0 ] && within "${faults:-0}" "$ru" 1 && [ "${mm:-0}" -ge "$(kv "$wl" mmap)" ]; then
		pass unit.caps_trace
	else
		fail unit.caps_trace "exit $rc, faults $faults vs getrusage $ru: $(tail -n 3 "$TMP/vigil.err")"
	fi
else
	fail unit.caps_trace "vigil did not start with $caps only: $(tail -n 3 "$TMP/vigil.err")"
fi
rm -rf "$pub"

# each capability of the list is needed: without it vigil says which, exit 3
for c in $caps; do
	c=${c,,}
	as_unit "${bset/,+${c#cap_}/}" "$VIGIL" record --all -o "$TMP/none.vgl" --force --duration 1 >/dev/null 2>"$TMP/less.err"; rc=$?
	if [ $rc = 3 ] && grep -qi "missing capability ${c}" "$TMP/less.err"; then
		pass "unit.needs_${c#cap_}"
	else
		fail "unit.needs_${c#cap_}" "without it: exit $rc, $(head -c 200 "$TMP/less.err")"
	fi
done

# the unit's own command line (its default VIGIL_ARGS, on a free port) under
# the unit's capabilities: /healthz answers, SIGTERM ends it with exit 0
if ! "$VIGIL" __complete "" | grep -qx serve; then
	skip unit.serve "this build has no serve command"
	exit 0
fi
args=$(sed -n 's/^Environment="VIGIL_ARGS=\(.*\)"$/\1/p' "$UNIT")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
args=$(sed -E "s/127\.0\.0\.1:[0-9]+/127.0.0.1:$port/" <<<"$args")
# shellcheck disable=SC2086
# not through as_unit: a backgrounded function is a subshell, and $! would
# be the subshell's pid, not vigil's (the SIGTERM would miss it)
setpriv --bounding-set "$bset" --inh-caps=-all --ambient-caps=-all -- "$VIGIL" serve $args >"$TMP/serve.out" 2>"$TMP/serve.err" &
spid=$!
up=0
for _ in $(seq 1 100); do
	python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null && { up=1; break; }
	kill -0 $spid 2>/dev/null || break
	sleep 0.1
done
kill -TERM $spid 2>/dev/null; wait $spid; rc=$?
[ $up = 1 ] && [ $rc = 0 ] && pass unit.serve ||
	fail unit.serve "vigil serve $args: healthz $up, exit $rc: $(tail -n 3 "$TMP/serve.err")"
