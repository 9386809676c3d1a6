#!/usr/bin/env bash
# Python frames in allocation sites (issue 14) against the ground truth of
# tests/workloads/wl_pysites.py: leaks through known functions on lines the
# file marks `# LEAK: <scenario>` (a list, a dict cache, a queue.Queue filled
# faster than drained, a worker thread, numpy arrays) and a churn function
# with more faults than all of them and no growth; tracemalloc, run in the
# same process (--truth), says which line holds the most live memory.
# For each interpreter here (pyenv's 3.11.7 with a shared libpython, Debian's
# static non-PIE /usr/bin/python3.11, pyenv's 3.12.1 and 3.13.0 when present),
# all at once under one `vigil record`:
#   - mix (every scenario; numpy under Debian's python only): the leak finding
#     exists; its top site's innermost frame in wl_pysites.py is a Python
#     frame with the function and line of tracemalloc's top line (which must
#     be the file's `# LEAK: list` line); churn is not the top site and holds
#     under 10 %; every leaking line is among the process's sites with its
#     share of the leaks within 15 points of tracemalloc's; numpy's site reads
#     ones (numeric.py) <- the workload's caller; the text report's first
#     site line starts with the leaking function (wl_pysites.py:LINE)
#   - thread (the worker alone): the top site is the worker's function, and
#     its stack holds the thread's frames (threading.py), not main's
#   - churn alone (Debian's python): no leak finding, nothing kept
# The checks themselves: tests/workloads/wl_pysites_check.py.
. "$(dirname "$0")/lib.sh"

PYWL=$ROOT/tests/workloads/wl_pysites.py
CHECK=$ROOT/tests/workloads/wl_pysites_check.py
SECS=${VIGIL_SITES_SECS:-25} # the linear leak rule wants 20 s of growth
# label=interpreter; VIGIL_PYSITES_PYTHONS replaces the list
PYTHONS=${VIGIL_PYSITES_PYTHONS:-"pyenv-3.11.7=/root/.pyenv/versions/3.11.7/bin/python3.11
debian-3.11=/usr/bin/python3.11
pyenv-3.12.1=/root/.pyenv/versions/3.12.1/bin/python3.12
pyenv-3.13.0=/root/.pyenv/versions/3.13.0/bin/python3.13"}
DEBIAN_PY=/usr/bin/python3.11 # the one with python3-numpy (scripts/install-deps.sh)

# the workload refuses bad input with a clear word and exit 2: no root needed
if [ -x "$DEBIAN_PY" ]; then
	for bad in "--scenario bogus" "--seconds 0" "--seconds abc" "--unit 8" "--hz 0" "--seconds 3600 --unit 4096"; do
		# shellcheck disable=SC2086 # word splitting wanted
		expect_usage_error "pysites.workload_usage[$bad]" "${bad%% *}" "$DEBIAN_PY" "$PYWL" $bad
	done
fi

require_bpf pysites
command -v python3 >/dev/null || { fail pysites "python3 is needed to read the JSON reports (scripts/install-deps.sh installs it)"; exit 0; }

check() { python3 "$CHECK" check --workload "$PYWL" "$@" || fail "pysites.checker" "wl_pysites_check.py exited $? ($*)"; }

# the runs: label.scenario, one process each, all under one vigil
runs=()
declare -A interp # label -> interpreter
while IFS='=' read -r label py; do
	[ -n "$label" ] || continue
	if [ ! -x "$py" ]; then
		skip "pysites.$label" "$py is not installed"
		continue
	fi
	runs+=("$label.mix" "$label.thread")
	[ "$py" = "$DEBIAN_PY" ] && runs+=("$label.churn")
	interp[$label]=$py
done <<<"$PYTHONS"
[ ${#runs[@]} -gt 0 ] || { skip pysites "none of the interpreters is installed"; exit 0; }
if [ -x "$DEBIAN_PY" ] && ! "$DEBIAN_PY" -c 'import numpy' 2>/dev/null; then
	fail pysites.numpy "numpy does not import in $DEBIAN_PY: python3-numpy is missing (scripts/install-deps.sh)"
fi

t0=$(date +%s)
if start_vigil record --cmdline 'wl_pysites\.py' -o "$TMP/py.vgl"; then
	t1=$(date +%s)
	pids=()
	for r in "${runs[@]}"; do
		# the worker alone keeps 1 unit per iteration: 96 KiB units make that
		# 1.9 MiB/s, 47 MiB in 25 s, over the leak rule's 1 MiB/s and 32 MiB
		unit=32
		[ "${r##*.}" = thread ] && unit=96
		"${interp[${r%.*}]}" "$PYWL" --scenario "${r##*.}" --seconds "$SECS" --unit $unit --truth >"$TMP/$r.out" 2>"$TMP/$r.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "pysites.${runs[$i]}" "the workload exited $?: $(tail -n3 "$TMP/${runs[$i]}.err")"
	done
	sleep 0.3
	t2=$(date +%s)
	if stop_vigil; then
		t3=$(date +%s)
		"$VIGIL" report "$TMP/py.vgl" --format json >"$TMP/py.json" 2>"$TMP/report.err" &&
			"$VIGIL" report "$TMP/py.vgl" >"$TMP/py.txt" 2>>"$TMP/report.err" ||
			fail pysites.report "vigil report of the dump failed: $(tail -n3 "$TMP/report.err")"
		echo "   # times: vigil started in $((t1 - t0)) s, the workloads ($SECS s) took $((t2 - t1)) s, vigil stopped in $((t3 - t2)) s, reports $(($(date +%s) - t3)) s"
		grep -i 'python\|site' "$TMP/vigil.err" | head -n 5 | sed 's/^/   # vigil: /'
		for r in "${runs[@]}"; do
			[ -s "$TMP/$r.out" ] || continue
			check --out "$TMP/$r.out" --report "$TMP/py.json" --text "$TMP/py.txt" --label "pysites.$r"
		done
	else
		fail pysites "vigil record exited with an error: $(tail -n3 "$TMP/vigil.err")"
	fi
else
	fail pysites "vigil record did not start: $(grep -v '^libbpf' "$TMP/vigil.err" | tail -n3)"
fi
