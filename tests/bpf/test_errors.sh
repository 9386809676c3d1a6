#!/usr/bin/env bash
# Bad input and faults: each gets a clear message and the documented exit
# code, and loses nothing that was already recorded.
. "$(dirname "$0")/lib.sh"
require_bpf errors

expect_exit() { # name, wanted code, message regex, command...
	local name=$1 want=$2 re=$3; shift 3
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	local rc=$?
	if [ $rc -eq "$want" ] && grep -Eq -e "$re" "$TMP/err"; then
		pass "$name"
	else
		fail "$name" "exit $rc (want $want), stderr: $(head -c 300 "$TMP/err")"
	fi
}

# usage errors: exit 2
expect_exit errors.unknown_flag 2 "unknown option '--bogus'" "$VIGIL" record --bogus -o "$TMP/x.vgl"
expect_exit errors.unknown_command 2 "unknown command 'frobnicate'" "$VIGIL" frobnicate
expect_exit errors.missing_output 2 "needs -o FILE" "$VIGIL" record
expect_exit errors.bad_role 2 "not one of asr, avatar, camera" "$VIGIL" record --role dancer -o "$TMP/x.vgl"
expect_exit errors.bad_regex 2 "--comm" "$VIGIL" record --comm '([' -o "$TMP/x.vgl"
expect_exit errors.dead_pid 2 "no such process" "$VIGIL" record -p 3999999 -o "$TMP/dead.vgl"
[ ! -e "$TMP/dead.vgl" ] && pass errors.dead_pid_no_file || fail errors.dead_pid_no_file "file left behind"

# missing privilege: exit 3, the capability named, no file left
chmod 0755 "$TMP"
expect_exit errors.no_privilege 3 "CAP_BPF|CAP_PERFMON|CAP_SYS_ADMIN" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$VIGIL" record --all -o "$TMP/np.vgl"
[ ! -e "$TMP/np.vgl" ] && pass errors.no_privilege_no_file || fail errors.no_privilege_no_file "file left behind"

# output that exists, or is a symlink
echo keep >"$TMP/exists.vgl"
expect_exit errors.output_exists 2 "exists" "$VIGIL" record --all -o "$TMP/exists.vgl" --duration 1
grep -q keep "$TMP/exists.vgl" && pass errors.output_exists_untouched || fail errors.output_exists_untouched "file changed"
ln -s "$TMP/target" "$TMP/link.vgl"
expect_exit errors.output_symlink 2 "symlink|symbolic link|link" "$VIGIL" record --all -o "$TMP/link.vgl" --force --duration 1
[ ! -e "$TMP/target" ] && pass errors.symlink_not_followed || fail errors.symlink_not_followed "wrote through the link"
expect_exit errors.force_overwrites 0 "wrote" "$VIGIL" record --all -o "$TMP/exists.vgl" --force --duration 0.5
[ "$(stat -c %a "$TMP/exists.vgl")" = 600 ] && pass errors.dump_mode_0600 || fail errors.dump_mode_0600 "mode $(stat -c %a "$TMP/exists.vgl")"

# the header records the ring buffer the kernel got: 5 KiB asked, 8 KiB (two pages) made
expect_exit errors.ringbuf_rounded 0 "wrote" "$VIGIL" record -p $$ --ringbuf-kb 5 -o "$TMP/rb.vgl" --duration 0.3
rb=$(od -A n -t u4 -j 188 -N 4 "$TMP/rb.vgl" 2>/dev/null | tr -d ' ')
want=$(( $(getconf PAGESIZE) >= 8192 ? $(getconf PAGESIZE) : 8192 ))
[ "$rb" = "$want" ] && pass errors.header_ringbuf_actual || fail errors.header_ringbuf_actual "header says $rb, want $want"

# a missing tracepoint: warn, continue with the rest
VIGIL_FAKE_MISSING=syscalls/sys_exit_madvise start_vigil record --comm '^wl_memory$' -o "$TMP/degraded.vgl" --duration 60
mem=$("$WL/wl_memory" 3 256)
sleep 0.2
stop_vigil; rc=$?
read -r faults mm mu br ma _ _ _ <<<"$(dump_totals "$TMP/degraded.vgl" "$(kv "$mem" pid)")"
if [ $rc -eq 0 ] && grep -q "warning: .*madvise" "$TMP/vigil.err" && [ "$ma" = 0 ] && [ "$mm" -gt 0 ] && [ "$faults" -gt 0 ]; then
	pass errors.missing_tracepoint_degrades
else
	fail errors.missing_tracepoint_degrades "rc=$rc madvise=$ma mmap=$mm faults=$faults: $(cat "$TMP/vigil.err")"
fi

# a target that dies: vigil says so and stops by itself, exit 0
sleep 30 &
victim=$!
start_vigil record -p "$victim" -o "$TMP/victim.vgl"
kill "$victim"; wait "$victim" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$VIGIL_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$VIGIL_PID" 2>/dev/null; then
	fail errors.target_exit_stops "still running after its only target died"; stop_vigil
else
	wait "$VIGIL_PID"; rc=$?; VIGIL_PID=
	if [ $rc -eq 0 ] && grep -q "every target process has exited" "$TMP/vigil.err" &&
		"$VIGIL" dump "$TMP/victim.vgl" | grep -q " exit "; then
		pass errors.target_exit_stops
	else
		fail errors.target_exit_stops "rc=$rc $(tail -n2 "$TMP/vigil.err")"
	fi
fi

# SIGINT: clean stop, trailer written, no BPF program left behind.  vigil's
# own programs are the ones its file descriptors hold (other tracers may
# run on this host at the same time); after the stop none may remain.
start_vigil record --all -o "$TMP/clean.vgl"
sleep 1
prog_ids=$(cat /proc/"$VIGIL_PID"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -u)
stop_vigil; rc=$?
left=
for id in $prog_ids; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"; done
if [ $rc -eq 0 ] && [ "$(wc -w <<<"$prog_ids")" -ge 5 ] && [ -z "$left" ]; then
	pass errors.sigint_detaches
else
	fail errors.sigint_detaches "rc=$rc, programs while tracing: $(wc -w <<<"$prog_ids"), still loaded after: ${left:-none}"
fi
if "$VIGIL" dump "$TMP/clean.vgl" >/dev/null 2>"$TMP/dump.err"; then pass errors.sigint_complete_dump; else fail errors.sigint_complete_dump "$(cat "$TMP/dump.err")"; fi

# SIGKILL: what was flushed (at least once a second) stays readable
start_vigil record --all -o "$TMP/killed.vgl"
sleep 2.5
kill -9 "$VIGIL_PID"; wait "$VIGIL_PID" 2>/dev/null; VIGIL_PID=
n=$("$VIGIL" dump "$TMP/killed.vgl" 2>"$TMP/dump.err" | wc -l); rc=$?
if [ "$n" -gt 0 ] && grep -qE "offset [0-9]+" "$TMP/dump.err"; then
	pass errors.sigkill_readable
	echo "   after SIGKILL: $n events read; $(cat "$TMP/dump.err")"
else
	fail errors.sigkill_readable "$n events, stderr: $(cat "$TMP/dump.err")"
fi
bpftool prog show | grep -qE "name (sched_switch_bt|sched_exec) " && sleep 1 # links go with the process

# a full disk: error, exit 1, everything written before stays readable
mkdir -p "$TMP/full"
if mount -t tmpfs -o size=64k tmpfs "$TMP/full" 2>/dev/null; then
	"$VIGIL" record --all -o "$TMP/full/x.vgl" --duration 60 2>"$TMP/full.err" &
	pid=$!
	( while kill -0 $pid 2>/dev/null; do "$WL/wl_memory" 2 64 >/dev/null; done ) &
	wait $pid; rc=$?
	wait
	n=$("$VIGIL" dump "$TMP/full/x.vgl" 2>/dev/null | wc -l)
	if [ $rc -eq 1 ] && grep -q "No space left on device" "$TMP/full.err" && [ "$n" -gt 0 ]; then
		pass errors.disk_full
		echo "   disk full: $(grep -m1 'No space' "$TMP/full.err"); $n events readable"
	else
		fail errors.disk_full "rc=$rc events=$n: $(cat "$TMP/full.err")"
	fi
	umount "$TMP/full"
else
	skip errors.disk_full "cannot mount a tmpfs here"
fi
