#!/usr/bin/env bash
# Allocation sites from sampled page faults (issue 13) against the ground
# truth of tests/workloads/wl_sites.c: three leaking sites (1/2 of the growth
# through memset into malloc'ed memory, i.e. first touched inside libc; 1/3
# in a shared library; 1/6 through mmap) and a churn site with the most
# faults and no growth.  For --sites dwarf (both builds, frame pointers or
# not) and --sites fp (the frame-pointer build):
#   - the leak finding exists and its evidence.sites, and the process's
#     mem.sites, name the three functions (the first frame in the program or
#     its library: memset's and malloc's frames belong to their caller),
#     ranked by the truth, shares within 15 points, churn_frame under 5 %
#   - the process's sites' bytes come back to what each site kept (+-30 %)
#   - the text report names the functions under the finding
#   - the same sites from live --format json, the report of the dump it
#     recorded, and vigil replay of that dump
# The checks themselves: tests/workloads/wl_sites_check.py (one attribution
# rule, shared with scripts/sites-vs-perf.sh).
. "$(dirname "$0")/lib.sh"

CHECK=$ROOT/tests/workloads/wl_sites_check.py
SECS=${VIGIL_SITES_SECS:-25} # the linear leak rule wants 20 s of growth

# bad values are usage errors (exit 2) that name the option: no root needed
if [ -x "$VIGIL" ]; then
	for bad in "--sites bogus" "--sites" "--site-rate 0" "--site-rate abc" "--site-rate -5"; do
		# shellcheck disable=SC2086 # word splitting wanted
		expect_usage_error "sites.usage[$bad]" "${bad%% *}" "$VIGIL" record --comm x --duration 1 -o "$TMP/bad.vgl" $bad
	done
fi

require_bpf sites
command -v python3 >/dev/null || { fail sites "python3 is needed to read the JSON reports (scripts/install-deps.sh installs it)"; exit 0; }
for b in wl_sites_fp wl_sites_nofp libwlsite_fp.so libwlsite_nofp.so; do
	[ -e "$WL/$b" ] || { fail sites "$WL/$b is not built (make workloads)"; exit 0; }
done

check() { python3 "$CHECK" "$@" || fail "sites.checker" "wl_sites_check.py $1 exited $?"; }

# ---- --sites dwarf: both builds at once, live JSON recording a dump ----------------------
if start_vigil live --batch --format json --interval 1 --comm '^wl_sites_(fp|nofp)$' --sites dwarf \
	--record "$TMP/dwarf.vgl"; then
	"$WL/wl_sites_nofp" --seconds "$SECS" >"$TMP/nofp.out" &
	w1=$!
	"$WL/wl_sites_fp" --seconds "$SECS" >"$TMP/fp.out" &
	w2=$!
	wait $w1 $w2
	sleep 0.3
	if stop_vigil; then
		mv "$TMP/vigil.out" "$TMP/dwarf.live.jsonl"
		"$VIGIL" report "$TMP/dwarf.vgl" --format json >"$TMP/dwarf.json" 2>"$TMP/report.err" &&
			"$VIGIL" report "$TMP/dwarf.vgl" >"$TMP/dwarf.txt" 2>>"$TMP/report.err" &&
			"$VIGIL" replay "$TMP/dwarf.vgl" --batch --format json >"$TMP/dwarf.replay.jsonl" 2>>"$TMP/report.err" ||
			fail sites.dwarf.report "vigil report/replay of the dump failed: $(tail -n3 "$TMP/report.err")"
		grep -h '^WL' "$TMP/nofp.out" "$TMP/fp.out" | sed 's/^/   # /'
		check check --label sites.dwarf.nofp --truth "$TMP/nofp.out" --report "$TMP/dwarf.json" --text "$TMP/dwarf.txt"
		check check --label sites.dwarf.fp --truth "$TMP/fp.out" --report "$TMP/dwarf.json" --text "$TMP/dwarf.txt"
		check same --label sites.dwarf.live_vs_dump --truth "$TMP/nofp.out" --a "$TMP/dwarf.live.jsonl" --b "$TMP/dwarf.json"
		check same --label sites.dwarf.replay_vs_report --truth "$TMP/nofp.out" --a "$TMP/dwarf.replay.jsonl" --b "$TMP/dwarf.json"
	else
		fail sites.dwarf "vigil live exited with an error: $(tail -n3 "$TMP/vigil.err")"
	fi
else
	fail sites.dwarf "vigil live --sites dwarf did not start: $(grep -v '^libbpf' "$TMP/vigil.err" | tail -n3)"
fi

# ---- --sites fp, a given rate: the frame-pointer build -------------------------------------
# The heap site's first touch is memset, a libc leaf without a frame: a walk
# that starts from the frame pointer alone names main, not grow_heap_copy
# (docs/sites.md: why dwarf is the default).  The check holds fp to that,
# and to everything else.
# The rate 16 shares a factor with the 20 faults of each of the workload's
# iterations: a sampler that takes exactly every 16th fault sees 5 of the 20
# positions (perf -c 16 gives grow_mmap_region 0 %, scripts/sites-vs-perf.sh);
# "one fault in N on average" must hold for a periodic program too.
if start_vigil record --comm '^wl_sites_fp$' --sites fp --site-rate 16 -o "$TMP/fp.vgl"; then
	"$WL/wl_sites_fp" --seconds "$SECS" >"$TMP/fp2.out"
	sleep 0.3
	if stop_vigil; then
		"$VIGIL" report "$TMP/fp.vgl" --format json >"$TMP/fp.json" 2>"$TMP/report.err" &&
			"$VIGIL" report "$TMP/fp.vgl" >"$TMP/fp.txt" 2>>"$TMP/report.err" ||
			fail sites.fp.report "vigil report of the dump failed: $(tail -n3 "$TMP/report.err")"
		check check --label sites.fp.fp --truth "$TMP/fp2.out" --report "$TMP/fp.json" --text "$TMP/fp.txt" --leaf-caller main
		# the sampler itself: one fault in 16 sampled, and the samples'
		# weights add up to the process's faults (getrusage), whatever
		# the period changes did (a changed period used to make the next
		# fault a sample: 15 % too many at this rate, 3x at 1024)
		wl=$(grep '^WL pid' "$TMP/fp2.out")
		read -r nsamp wpages <<<"$("$VIGIL" dump "$TMP/fp.vgl" | awk -v pid="$(kv "$wl" pid)" -v psz="$(getconf PAGESIZE)" '
			$3 == "site_sample" && index($4, "pid=" pid "(") == 1 {
				n++; for (i = 5; i <= NF; i++) if ($i ~ /^bytes=/) { sub(/bytes=/, "", $i); w += $i / psz } }
			END { print n + 0, w + 0 }')"
		faults=$(kv "$wl" minflt)
		echo "   sampler: $nsamp samples of $faults faults at 1 in 16 ($((faults / 16)) due), weights $wpages pages"
		if within "$nsamp" "$((faults / 16))" 10 && within "$wpages" "$faults" 5; then
			pass sites.fp.sampler_rate
		else
			fail sites.fp.sampler_rate "$nsamp samples for $((faults / 16)) due (+-10 %), weights $wpages pages for $faults faults (+-5 %)"
		fi
	else
		fail sites.fp "vigil record exited with an error: $(tail -n3 "$TMP/vigil.err")"
	fi
else
	fail sites.fp "vigil record --sites fp did not start: $(grep -v '^libbpf' "$TMP/vigil.err" | tail -n3)"
fi

# ---- huge pages: a fault that maps 2 MiB weighs 2 MiB --------------------------------------
# wl_thp writes 64 MiB in MADV_HUGEPAGE memory: with THP on, 32 faults make
# it resident.  Every fault sampled (--site-rate 1): grow_huge's site must
# hold what the kernel says is in huge pages (AnonHugePages), not 32 x 4 KiB.
thp_mode=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
if [ "$thp_mode" != always ] && [ "$thp_mode" != madvise ]; then
	skip sites.thp_weight "transparent huge pages are ${thp_mode:-not built} on this kernel"
elif start_vigil record --comm '^wl_thp$' --site-rate 1 -o "$TMP/thp.vgl"; then
	"$WL/wl_thp" 64 1 >"$TMP/thp.out"
	sleep 0.3
	if stop_vigil; then
		wl=$(grep '^WL' "$TMP/thp.out"); echo "   # $wl"
		"$VIGIL" report "$TMP/thp.vgl" --format json >"$TMP/thp.json" 2>"$TMP/report.err"
		got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(s["bytes"] for p in d["processes"] if p["pid"] == int(sys.argv[2])
          for s in p["mem"].get("sites") or [] if any(f["function"] == "grow_huge" for f in s["frames"])))
' "$TMP/thp.json" "$(kv "$wl" pid)")
		want=$(kv "$wl" thp)
		echo "   wl_thp: grow_huge site ${got:-?} bytes, AnonHugePages $want; $(grep 'allocation sites' "$TMP/vigil.err")"
		if [ "${want:-0}" -le 0 ]; then
			skip sites.thp_weight "the kernel gave wl_thp no huge pages (AnonHugePages $want)"
		elif [ -n "$got" ] && within "$got" "$want" 10; then
			pass sites.thp_weight
		else
			fail sites.thp_weight "grow_huge's site holds ${got:-nothing}, the kernel's huge pages $want (+-10 %)"
		fi
	else
		fail sites.thp_weight "vigil record exited with an error: $(tail -n3 "$TMP/vigil.err")"
	fi
else
	fail sites.thp_weight "vigil record did not start: $(grep -v '^libbpf' "$TMP/vigil.err" | tail -n3)"
fi
