#!/usr/bin/env bash
# vigil report / dump / replay over crafted dumps, no BPF needed (issue 11):
# a timestamp near 2^64 is refused with where it is, not a hang, and every
# long loop stops on SIGTERM.
. "$(dirname "$0")/lib.sh"
need hostile_dump "$VIGIL" "$MK"

"$MK" --make-dump wrap "$TMP/wrap.vgl" || { fail wrap_dump "cannot write it"; exit 0; }
for cmd in report dump; do
	timeout 20 "$VIGIL" $cmd "$TMP/wrap.vgl" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc = 124 ]; then
		fail "${cmd}_end_of_time" "hung (killed after 20 s)"
	elif [ $rc != 1 ] || ! grep -q "offset 256.*beyond any monotonic clock" "$TMP/err"; then
		fail "${cmd}_end_of_time" "exit $rc, stderr: $(head -c 300 "$TMP/err")"
	else
		pass "${cmd}_end_of_time"
	fi
done

# SIGTERM in the middle of a long dump: each command stops within a second
"$MK" --make-dump big "$TMP/big.vgl" || { fail big_dump "cannot write it"; exit 0; }
for cmd in report dump replay; do
	name=sigterm_${cmd%% *}
	start=$(date +%s%N)
	"$VIGIL" $cmd "$TMP/big.vgl" >/dev/null 2>"$TMP/err" </dev/null &
	pid=$!
	sleep 0.3
	kill -TERM $pid 2>/dev/null
	deadline=$(( $(date +%s) + 10 ))
	while kill -0 $pid 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do sleep 0.05; done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid; wait $pid 2>/dev/null
		fail "$name" "still running 10 s after SIGTERM"
		continue
	fi
	wait $pid; rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if grep -q "interrupted" "$TMP/err" || [ "${cmd%% *}" = replay ]; then
		pass "$name (exit $rc after ${ms} ms)"
	else
		fail "$name" "exit $rc after ${ms} ms without saying it was interrupted: $(head -c 200 "$TMP/err")"
	fi
done
