#!/usr/bin/env bash
# vigil's per-process numbers against ground truth it did not compute:
# getrusage() of the workload itself (faults, context switches) and
# strace -f -c (memory syscall counts), for workloads started after vigil,
# with each of the three page-fault sources.  A source this kernel does not
# have (exceptions:page_fault_user outside x86; the task counters without
# kernel BTF, task storage or bpf_get_current_task_btf, as on 5.10) must be
# refused with exit 3 and a reason, and only then.
. "$(dirname "$0")/lib.sh"
require_bpf correctness

for pf in counters tracepoint perf; do
	t="correctness[$pf]"
	if ! start_vigil record --comm '^wl_(memory|switch|majfault)$' --pf-source "$pf" -o "$TMP/$pf.vgl" --duration 300 2>/dev/null; then
		wait "$VIGIL_PID"; rc=$?; VIGIL_PID=
		why=$(grep -v '^libbpf' "$TMP/vigil.err" | tail -n1)
		absent=0
		[ "$pf" = tracepoint ] && ! has_tracepoint exceptions/page_fault_user && absent=1
		[ "$pf" = counters ] && ! kernel_has_counters && absent=1
		if [ $absent = 1 ] && [ $rc = 3 ]; then
			pass "$t.absent_refused"; echo "   $pf: not on this kernel, refused: $why"
		else
			fail "$t" "vigil record did not start (exit $rc): $why"
		fi
		continue
	fi
	mem=$("$WL/wl_memory" 30 2048)
	sw=$("$WL/wl_switch" 300)
	# major faults need a file that can leave the page cache
	case $(fs_type "$TMP") in tmpfs|ramfs|rootfs) majf= ;; *) majf=$("$WL/wl_majfault" "$TMP/majfault.dat" 256) ;; esac
	strace -f -qq -c -o "$TMP/strace.$pf" "$WL/wl_memory" 10 512 >"$TMP/straced.$pf"
	sleep 0.3 # events of the last instants still on their way
	stop_vigil; rc=$?
	[ $rc -eq 0 ] || { fail "$t" "vigil record exited $rc: $(tail -n3 "$TMP/vigil.err")"; continue; }
	lost=$(sed -n 's/.* \([0-9]*\) lost.*/\1/p' "$TMP/vigil.err")
	[ "$lost" = 0 ] || fail "$t.lost" "vigil lost $lost events"

	# page faults: vigil's count vs the workload's own ru_minflt + ru_majflt
	pid=$(kv "$mem" pid); ru=$(( $(kv "$mem" minflt) + $(kv "$mem" majflt) ))
	read -r faults mm mu br ma mr vol inv <<<"$(dump_totals "$TMP/$pf.vgl" "$pid")"
	echo "   $pf wl_memory pid=$pid: vigil faults=$faults getrusage=$ru"
	# counters are the kernel's own: only the faults before the exec (the
	# forked shell's) are outside the traced span; per-fault programs also
	# miss the faults taken in the kernel on user memory
	tol=3; [ "$pf" = counters ] && tol=0.5
	if within "$faults" "$ru" $tol; then pass "$t.faults_vs_getrusage"; else fail "$t.faults_vs_getrusage" "vigil $faults vs getrusage $ru"; fi
	eval "faults_$pf=$faults"

	# major faults (a file read from disk page by page) vs ru_majflt; only
	# the counters tell them from minor ones
	if [ "$pf" = counters ] && [ -z "$majf" ]; then
		skip "$t.major_faults" "$TMP is on $(fs_type "$TMP"): no disk to fault pages back from"
	elif [ "$pf" = counters ]; then
		pid=$(kv "$majf" pid); want=$(kv "$majf" majflt)
		got=$(dump_major "$TMP/$pf.vgl" "$pid")
		echo "   $pf wl_majfault pid=$pid: vigil major=$got getrusage majflt=$want (reading phase $(kv "$majf" majors))"
		# exact, but for the faults taken before main that the exec'd
		# program did not cause (the forked shell's, before exec)
		if [ "$(kv "$majf" majors)" -ge 200 ] && [ "$got" -le "$want" ] && [ "$got" -ge $((want - $(kv "$majf" at_main))) ]; then
			pass "$t.major_faults"
		else
			fail "$t.major_faults" "vigil major=$got, expected $want less at most at_main (workload: $majf)"
		fi
	fi

	# context switches vs ru_nvcsw / ru_nivcsw
	pid=$(kv "$sw" pid)
	read -r _ _ _ _ _ _ vol inv <<<"$(dump_totals "$TMP/$pf.vgl" "$pid")"
	echo "   $pf wl_switch pid=$pid: vigil vol=$vol invol=$inv getrusage nvcsw=$(kv "$sw" nvcsw) nivcsw=$(kv "$sw" nivcsw)"
	if within "$vol" "$(kv "$sw" nvcsw)" 5 && within "$inv" "$(kv "$sw" nivcsw)" 5; then
		pass "$t.switches_vs_getrusage"
	else
		fail "$t.switches_vs_getrusage" "vigil vol=$vol inv=$inv vs nvcsw=$(kv "$sw" nvcsw) nivcsw=$(kv "$sw" nivcsw)"
	fi

	# memory syscalls vs strace -f -c (calls minus errors)
	pid=$(kv "$(cat "$TMP/straced.$pf")" pid)
	read -r _ mm mu br ma mr _ _ <<<"$(dump_totals "$TMP/$pf.vgl" "$pid")"
	ok=1; detail=
	for sc in mmap munmap brk madvise; do
		want=$(awk -v s="$sc" '$NF == s { c = $4; e = ($5 ~ /^[0-9]+$/ && NF == 6) ? $5 : 0; print c - e }' "$TMP/strace.$pf")
		case $sc in mmap) got=$mm ;; munmap) got=$mu ;; brk) got=$br ;; madvise) got=$ma ;; esac
		detail="$detail $sc=$got/${want:-0}"
		[ "$got" = "${want:-0}" ] || ok=0
	done
	echo "   $pf syscalls vigil/strace:$detail"
	if [ $ok = 1 ]; then pass "$t.syscalls_vs_strace"; else fail "$t.syscalls_vs_strace" "$detail"; fi
done

# the page-fault sources count the same thing: the same workload gives the
# same count, whichever of them this kernel has
ran=() agree=1
for pf in counters tracepoint perf; do
	v=$(eval echo "\${faults_$pf:-}")
	[ -n "$v" ] || continue
	ran+=("$pf=$v")
	within "$v" "${first:=$v}" 1 || agree=0
done
if [ ${#ran[@]} = 1 ]; then
	skip correctness.pf_sources_agree "one page-fault source on this kernel (${ran[*]}): nothing to compare"
elif [ ${#ran[@]} -ge 2 ] && [ $agree = 1 ]; then
	pass correctness.pf_sources_agree
else
	fail correctness.pf_sources_agree "sources that ran: ${ran[*]:-none}"
fi
