#!/usr/bin/env bash
# Who held the CPU while a target waited is streamed even when the holder
# is not a target: its switches on that CPU and its name, nothing else of it.
. "$(dirname "$0")/lib.sh"
require_bpf holders

start_vigil record --comm '^wl_periodic$' -o "$TMP/h.vgl" --duration 60 || { fail holders "vigil did not start"; exit 0; }
"$WL/wl_hog" 0 2.5 >"$TMP/hog.out" &
hog=$!
per=$("$WL/wl_periodic" 0 10 2 2)
wait $hog
sleep 0.2
stop_vigil || { fail holders "vigil record failed"; exit 0; }
hog_pid=$(kv "$(cat "$TMP/hog.out")" pid)
per_pid=$(kv "$per" pid)
"$VIGIL" dump --format csv "$TMP/h.vgl" >"$TMP/h.csv"
held=$(grep -c ",switch,$per_pid,.*next_pid=$hog_pid " "$TMP/h.csv")
named=$(grep -c ",comm,$hog_pid,.*wl_hog" "$TMP/h.csv")
own=$(awk -F, -v p="$hog_pid" '$4 == p && $3 != "comm" && $3 != "switch" { n++ } END { print n + 0 }' "$TMP/h.csv")
echo "   target $per_pid switched to the untracked hog $hog_pid $held times; hog named $named times; hog's own events: $own"
[ "$held" -gt 10 ] && pass holders.switch_to_untracked_holder || fail holders.switch_to_untracked_holder "only $held switches to the hog"
[ "$named" -ge 1 ] && pass holders.holder_named || fail holders.holder_named "no comm record for the hog"
[ "$own" = 0 ] && pass holders.holder_not_traced || fail holders.holder_not_traced "$own events of the hog itself were recorded"
