#!/usr/bin/env bash
# make static: the binary for this machine is linked statically (no
# dynamic section, no interpreter: copying the one file is the install), it
# runs, and it traces a workload as the dynamic build does, counted against
# getrusage.  The other architecture's, when built, is checked the same way
# short of running (scripts/vmtest.sh boots the arm64 one: docs/testing.md).
. "$(dirname "$0")/lib.sh"

host=$(uname -m)
case $host in x86_64) arch=x86 ;; aarch64) arch=arm64 ;; *) skip static "no static build for $host"; exit 0 ;; esac
if ! make -C "$ROOT" -s --no-print-directory static STATIC_ARCHS=$arch >"$TMP/build.log" 2>&1; then
	fail static.build "make static: $(grep -v warning "$TMP/build.log" | tail -n 5)"
	exit 0
fi
pass static.build

# $1 = binary: no dynamic section and no program interpreter
is_static() {
	LC_ALL=C readelf -d "$1" 2>&1 | grep -q 'There is no dynamic section' &&
		! LC_ALL=C readelf -l "$1" | grep -q 'INTERP'
}
for m in x86_64 aarch64; do
	bin=$ROOT/.output/static/vigil-$m
	if [ ! -e "$bin" ]; then
		skip "static.linked_$m" "not built (make static)"
		continue
	fi
	machine=$(LC_ALL=C readelf -h "$bin" | sed -n 's/^ *Machine: *//p')
	want=$([ $m = x86_64 ] && echo "Advanced Micro Devices X86-64" || echo AArch64)
	if is_static "$bin" && [ "$machine" = "$want" ]; then
		pass "static.linked_$m"
	else
		fail "static.linked_$m" "$machine; $(readelf -d "$bin" 2>&1 | grep NEEDED | head -n 3 | tr '\n' ' ')"
	fi
	echo "   $m: $(stat -c %s "$bin") bytes stripped"
done

BIN=$ROOT/.output/static/vigil-$host
"$BIN" --version >"$TMP/version" 2>&1 && grep -q '^libbpf: ' "$TMP/version" && pass static.version ||
	fail static.version "$(head -c 300 "$TMP/version")"

require_bpf static
VIGIL=$BIN
start_vigil record --comm '^wl_memory$' -o "$TMP/s.vgl" --duration 60 || { fail static.trace "vigil did not start"; exit 0; }
wl=$("$WL/wl_memory" 20 2048)
sleep 0.3
stop_vigil; rc=$?
pid=$(kv "$wl" pid)
read -r faults mm mu _ <<<"$(dump_totals "$TMP/s.vgl" "$pid")"
ru=$(( $(kv "$wl" minflt) + $(kv "$wl" majflt) ))
echo "   static vigil: wl_memory pid=$pid faults=$faults getrusage=$ru mmap=$mm munmap=$mu"
if [ $rc = 0 ] && within "${faults:-0}" "$ru" 1 && [ "${mm:-0}" -ge "$(kv "$wl" mmap)" ] && [ "${mu:-0}" -ge "$(kv "$wl" munmap)" ] &&
	"$BIN" report "$TMP/s.vgl" | grep -q wl_memory; then
	pass static.trace
else
	fail static.trace "exit $rc, faults $faults vs getrusage $ru: $(tail -n 3 "$TMP/vigil.err")"
fi
