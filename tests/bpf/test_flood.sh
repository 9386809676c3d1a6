#!/usr/bin/env bash
# A flood of events into a deliberately small ring buffer: some are lost,
# and every one is accounted for: produced == received + lost, and the
# lost count is in the dump as EV_LOST records.
. "$(dirname "$0")/lib.sh"
require_bpf flood

start_vigil record --comm '^wl_flood$' --ringbuf-kb 16 -o "$TMP/flood.vgl" --duration 300 -v || { fail flood "vigil did not start"; exit 0; }
out=$("$WL/wl_flood" 4 1.5)
sleep 0.2
stop_vigil; rc=$?
[ $rc -eq 0 ] || { fail flood "vigil exited $rc"; exit 0; }
line=$(grep "produced" "$TMP/vigil.err")
produced=$(kv "$line" produced); received=$(kv "$line" received); lost=$(kv "$line" lost)
echo "   $line"
if [ -z "$produced" ] || [ "$lost" = 0 ]; then
	fail flood.loses "expected a 16 KiB ring buffer to overflow: $line"
else
	pass flood.loses
fi
if [ -n "$produced" ] && [ "$produced" = $((received + lost)) ]; then pass flood.accounted; else fail flood.accounted "$line"; fi
# the dump holds the received records that concern targets plus EV_LOST records summing to lost
dump_lost=$("$VIGIL" dump --format csv "$TMP/flood.vgl" | awk -F, '$3 == "lost" { match($0, /count=[0-9]+/); s += substr($0, RSTART + 6, RLENGTH - 6) } END { print s + 0 }')
if [ "$dump_lost" = "$lost" ]; then pass flood.lost_in_dump; else fail flood.lost_in_dump "dump says $dump_lost lost, vigil said $lost"; fi
pairs=$(kv "$out" pairs)
events=$("$VIGIL" dump --format csv "$TMP/flood.vgl" | awk -F, '$3 == "mmap" || $3 == "munmap" { n++ } END { print n + 0 }')
echo "   workload made $((pairs * 2)) mmap+munmap calls; dump holds $events of them, $lost events lost"
if [ "$events" -le $((pairs * 2)) ] && [ $((events + lost)) -ge $((pairs * 2)) ]; then
	pass flood.nothing_silent
else
	fail flood.nothing_silent "calls=$((pairs * 2)) stored=$events lost=$lost"
fi
