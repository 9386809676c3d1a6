#!/usr/bin/env bash
# The bounded fuzzing run of `make test` (CI): the libFuzzer target over
# the seed corpus for SECONDS (default 60), one job, at low priority.  A
# crash, sanitizer report, leak or an input that takes over 30 s (a hang:
# inputs take milliseconds; 30 s leaves room for a starved nice-19 job)
# fails it; the input is kept in .output/fuzz/findings/ to reproduce with
#   .output/fuzz/fuzz_dump FILE
# Long runs: make fuzz.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-${VIGIL_FUZZ_SECONDS:-60}}
bin=.output/fuzz/fuzz_dump
if [ ! -x "$bin" ]; then
	echo "SKIP fuzz_dump: $bin is not built (make fuzz-bin needs clang and libclang-rt-14-dev)"
	exit 0
fi
work=$(mktemp -d /tmp/vigil-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p .output/fuzz/findings
log=$work/log
nice -n 19 "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=1 -artifact_prefix=.output/fuzz/findings/ "$work" tests/fuzz/corpus >"$log" 2>&1
rc=$?
st() { grep -E "^stat::$1:" "$log" | awk '{print $2}'; }
cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
stats="$(st number_of_executed_units) execs, $(st average_exec_per_sec) exec/s, $cov"
if [ $rc -eq 0 ]; then
	echo "PASS fuzz_dump: ${secs} s, ${stats:-no stats}"
else
	echo "FAIL fuzz_dump: exit $rc; $(grep -E 'ERROR|runtime error|Test unit written' "$log" | head -n 3 | tr '\n' ' ')"
	tail -n 40 "$log"
fi
