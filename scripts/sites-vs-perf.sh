#!/usr/bin/env bash
# The allocation-site workload (tests/workloads/wl_sites.c) under
# `perf record --call-graph dwarf -e page-faults -c N`: per program function,
# the share of the faults perf's samples give it, next to the workload's own
# truth (its share of the resident growth, and of the faults) and, when asked,
# vigil's share of the growth from the same run or from a report.
#
# perf counts faults per stack, so it blames churn_frame (maps, touches and
# unmaps more pages per iteration than any leaking site: 40 % of the faults,
# none of the growth) as much as a leak; vigil's sites must not.
#
#   scripts/sites-vs-perf.sh [--variant fp|nofp] [--seconds S] [--period N]
#                            [--with-vigil] [VIGIL_REPORT.json]
#     --variant      which build of the workload (default nofp: no frame pointers)
#     --seconds      how long it runs (default 20)
#     --period       perf's -c: one sample every N faults (default 17; see below)
#     --with-vigil   record the same run with vigil (--sites dwarf) and add its column
#     VIGIL_REPORT   a vigil JSON report (or live JSON lines) of another run
#                    of the same variant: its wl_sites process's sites
#
# The period: wl_sites makes a fixed 20 faults per iteration in a fixed order,
# and perf's period is a plain counter, so a period sharing a factor with 20
# samples only some positions of the loop (-c 16 sees 5 of the 20: 0 % for
# grow_mmap_region).  17 is prime to 20.
# Needs root (or perf_event_paranoid <= 1), Debian's linux-perf and a built
# workload (make workloads).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WL=$ROOT/.output/workloads
CHECK=$ROOT/tests/workloads/wl_sites_check.py
variant=nofp seconds=20 period=17 with_vigil=0 vigil_json=

die() { echo "sites-vs-perf: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--variant) variant=${2:-}; shift 2 || die "--variant wants fp or nofp" ;;
	--seconds) seconds=${2:-}; shift 2 || die "--seconds wants a number" ;;
	--period) period=${2:-}; shift 2 || die "--period wants a number" ;;
	--with-vigil) with_vigil=1; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1 (--help)" ;;
	*) vigil_json=$1; shift ;;
	esac
done
case $variant in fp | nofp) ;; *) die "--variant wants fp or nofp, not '$variant'" ;; esac
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] || die "--seconds wants a whole number >= 1, not '$seconds'"
[[ $period =~ ^[0-9]+$ ]] && [ "$period" -ge 1 ] || die "--period wants a whole number >= 1, not '$period'"
[ -z "$vigil_json" ] || [ -r "$vigil_json" ] || die "cannot read $vigil_json"
[ -x "$WL/wl_sites_$variant" ] || die "$WL/wl_sites_$variant is not built (make workloads)"
PERF=$(command -v perf || ls /usr/bin/perf_* 2>/dev/null | sort -V | tail -n1)
[ -n "$PERF" ] || die "perf is not installed (Debian: apt-get install linux-perf)"
command -v python3 >/dev/null || die "python3 is needed to read perf's stacks"

TMP=$(mktemp -d /tmp/sites-vs-perf.XXXXXX)
VPID=
trap '[ -n "$VPID" ] && kill -INT "$VPID" 2>/dev/null; rm -rf "$TMP"' EXIT

if [ "$with_vigil" = 1 ]; then
	[ -x "$ROOT/vigil" ] || die "vigil is not built (make)"
	"$ROOT/vigil" record --comm "^wl_sites_$variant\$" --sites dwarf -o "$TMP/v.vgl" 2>"$TMP/vigil.err" &
	VPID=$!
	for _ in $(seq 1 200); do
		grep -q "vigil: tracing" "$TMP/vigil.err" && break
		kill -0 "$VPID" 2>/dev/null || die "vigil did not start: $(cat "$TMP/vigil.err")"
		sleep 0.05
	done
fi

"$PERF" record -q --call-graph dwarf -e page-faults -c "$period" -o "$TMP/perf.data" -- \
	"$WL/wl_sites_$variant" --seconds "$seconds" >"$TMP/wl.out" 2>"$TMP/perf.err" ||
	die "perf record failed: $(tail -n3 "$TMP/perf.err")"
"$PERF" script -i "$TMP/perf.data" -F pid,period,ip,sym,dso >"$TMP/perf.txt" 2>>"$TMP/perf.err" ||
	die "perf script failed: $(tail -n3 "$TMP/perf.err")"

if [ "$with_vigil" = 1 ]; then
	kill -INT "$VPID"
	wait "$VPID" || die "vigil record failed: $(tail -n3 "$TMP/vigil.err")"
	VPID=
	"$ROOT/vigil" report "$TMP/v.vgl" --format json >"$TMP/v.json" || die "vigil report failed"
	vigil_json=$TMP/v.json
fi

grep '^WL' "$TMP/wl.out"
echo "perf: $("$PERF" --version), -e page-faults -c $period --call-graph dwarf, wl_sites_$variant for ${seconds}s"
python3 "$CHECK" table --truth "$TMP/wl.out" --perf "$TMP/perf.txt" ${vigil_json:+--vigil "$vigil_json"}
