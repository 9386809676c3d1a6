#!/usr/bin/env bash
# Without BTF tracepoints for the scheduler, vigil falls back to the plain
# tracepoints: it says so, and context switches still match getrusage().
. "$(dirname "$0")/lib.sh"
require_bpf fallback

VIGIL_FAKE_MISSING=btf/sched_switch start_vigil record --comm '^wl_switch$' -o "$TMP/fb.vgl" --duration 120 ||
	{ fail fallback "vigil did not start"; exit 0; }
sw=$("$WL/wl_switch" 200)
sleep 0.2
stop_vigil || { fail fallback "vigil record failed"; exit 0; }
grep -q "warning: BTF tracepoints for the scheduler not available" "$TMP/vigil.err" &&
	pass fallback.warns || fail fallback.warns "$(cat "$TMP/vigil.err")"
read -r _ _ _ _ _ _ vol inv <<<"$(dump_totals "$TMP/fb.vgl" "$(kv "$sw" pid)")"
echo "   plain tracepoints: vigil vol=$vol invol=$inv getrusage nvcsw=$(kv "$sw" nvcsw) nivcsw=$(kv "$sw" nivcsw)"
if within "$vol" "$(kv "$sw" nvcsw)" 5 && within "$inv" "$(kv "$sw" nivcsw)" 5; then
	pass fallback.switches_vs_getrusage
else
	fail fallback.switches_vs_getrusage "vol=$vol inv=$inv vs $(kv "$sw" nvcsw)/$(kv "$sw" nivcsw)"
fi

# page faults: counters need the BTF sched_switch, so the fallback counts
# them with a program per fault, and says which
grep -q "page faults from tracepoint" "$TMP/vigil.err" &&
	pass fallback.pf_source || fail fallback.pf_source "$(grep 'page faults from' "$TMP/vigil.err")"
# asked for explicitly, counters are refused with the reason (exit 3), no file left
VIGIL_FAKE_MISSING=btf/sched_switch "$VIGIL" record --all --pf-source counters -o "$TMP/refused.vgl" \
	--duration 1 2>"$TMP/refused.err"
rc=$?
if [ $rc -eq 3 ] && grep -q "needs the BTF tracepoint sched_switch" "$TMP/refused.err" && [ ! -e "$TMP/refused.vgl" ]; then
	pass fallback.counters_refused
else
	fail fallback.counters_refused "exit $rc: $(cat "$TMP/refused.err")"
fi
