#!/usr/bin/env bash
# A target started by a launcher that is not one (a service manager, a shell,
# strace -f): the kernel tracks every exec provisionally, and a child forked
# before user space has decided on its parent inherits that.  User space then
# rejects the launcher and withdraws the child's inherited flag; if the child
# exec'd the target meanwhile, that withdrawal must not untrack it, or its
# system calls go missing until its own exec record is read.  A loaded host
# makes user space that late; the test makes it late on purpose
# (VIGIL_TEST_FORK_DELAY_MS) while the child is busy, and holds vigil's
# counts to the workload's own.
. "$(dirname "$0")/lib.sh"
require_bpf exec_race

export VIGIL_TEST_FORK_DELAY_MS=50
if ! start_vigil record --comm '^wl_memory$' -o "$TMP/race.vgl" --duration 300; then
	fail exec_race "vigil record did not start: $(tail -n3 "$TMP/vigil.err")"; exit 0
fi
outs=()
for i in 1 2 3; do
	# forks and execs at once; the child works for about a second
	outs+=("$("$WL/wl_launch" "$WL/wl_memory" 300 16)")
done
sleep 0.3
stop_vigil || { fail exec_race "vigil record exited $?: $(tail -n3 "$TMP/vigil.err")"; exit 0; }
ok=1 detail=
for out in "${outs[@]}"; do
	pid=$(kv "$out" pid)
	read -r _ mm mu br ma _ _ _ <<<"$(dump_totals "$TMP/race.vgl" "$pid")"
	detail="$detail pid$pid:mmap=$mm/$(kv "$out" mmap) munmap=$mu/$(kv "$out" munmap) brk=$br/$(kv "$out" brk) madvise=$ma/$(kv "$out" madvise)"
	# its own calls, plus the dynamic loader's (a few mmaps, a munmap, a brk)
	[ "$ma" = "$(kv "$out" madvise)" ] || ok=0
	for pair in "$mm:mmap" "$mu:munmap" "$br:brk"; do
		got=${pair%%:*} own=$(kv "$out" "${pair#*:}")
		{ [ "$got" -ge "$own" ] && [ "$got" -le $((own + 20)) ]; } || ok=0
	done
done
echo "   vigil/own:$detail"
if [ $ok = 1 ]; then pass exec_race.child_of_rejected_launcher; else fail exec_race.child_of_rejected_launcher "$detail"; fi

# exec names the new program (task:task_rename fires inside execve): that is
# no rename of a running process, and no note may say so
notes=$("$VIGIL" report "$TMP/race.vgl" 2>/dev/null | grep -c 'became a target')
if [ "$notes" = 0 ]; then pass exec_race.exec_is_no_rename; else fail exec_race.exec_is_no_rename "$notes processes noted as renamed mid-life: $("$VIGIL" report "$TMP/race.vgl" | grep 'became a target')"; fi
