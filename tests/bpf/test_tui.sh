#!/usr/bin/env bash
# The live view, driven through tmux like a person at a terminal: a short
# dump of real workloads (a leak, a CPU hog, a process whose name is an
# escape sequence) played by `vigil replay`: rows and numbers, findings
# against `vigil report`, sorting, filtering, resize, quitting with the
# terminal restored, SIGTERM, a damaged dump, TERM=dumb and pipes (text
# snapshots); then `vigil live` once it draws the view.
. "$(dirname "$0")/lib.sh"
require_bpf tui
if ! command -v tmux >/dev/null; then
	skip tui "tmux is not installed (apt-get install -y tmux)"
	exit 0
fi

SOCK=$TMP/tmux.sock # a server of our own: never touches the user's tmux
S=tui
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup_lib' EXIT
# a session that outlives the test's panes, so the server never exits between them
tm new-session -d -s keep "sleep 100000"

screen() { tm capture-pane -p -t "$S"; }
# waits until the screen matches ERE $1, up to $2 seconds (default 5)
wait_screen() {
	local end=$((SECONDS + ${2:-5}))
	while [ $SECONDS -le $end ]; do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# runs a command in a fresh WxH pane; the pane keeps the exit code shown
start_pane() { # $1 = width, $2 = height, $3 = command
	tm kill-session -t "$S" 2>/dev/null
	tm new-session -d -s "$S" -x "$1" -y "$2" "$3; echo EXIT=\$?; sleep 600"
}
keys() { tm send-keys -t "$S" "$@"; sleep 0.3; }
# the row of process $1 on the screen
row_of() { screen | grep -E "^ *$1 " | head -n1; }
# field $2 (1-based, after the pid) of the row of $1
field() { row_of "$1" | awk -v f="$2" '{ print $(f) }'; }
# "12.4M" -> bytes
bytes() { awk -v r="$1" 'BEGIN { u = substr(r, length(r)); v = substr(r, 1, length(r) - 1) + 0;
	m = (u == "K") ? 1024 : (u == "M") ? 1048576 : (u == "G") ? 1073741824 : 1; print int(v * m) }'; }
show() { echo "   --- screen ($1) ---"; screen | sed 's/^/   | /'; }

# ---- a dump of real workloads ----
evil=$TMP/$'\e[31mEVIL' # a process name that is an escape sequence
ln -s "$WL/wl_hog" "$evil"
"$VIGIL" record --comm '^wl_|EVIL' -o "$TMP/d.vgl" --duration 6 2>"$TMP/rec.err" &
rec=$!
for _ in $(seq 1 100); do grep -q "vigil: tracing" "$TMP/rec.err" && break; sleep 0.05; done
"$WL/wl_mempattern" leak 5 >"$TMP/leak.out" &
leak=$!
"$WL/wl_hog" 0 5 >/dev/null &
hog=$!
"$evil" 1 4 >/dev/null &
evilpid=$!
wait $rec
rc=$?
wait $leak $hog $evilpid 2>/dev/null
if [ $rc -ne 0 ] || [ ! -s "$TMP/d.vgl" ]; then
	fail tui.record "record exited $rc: $(cat "$TMP/rec.err")"
	exit 0
fi

# ---- the view, paused at +4 s ----
start_pane 120 40 "$VIGIL replay $TMP/d.vgl"
if ! wait_screen '^ vigil REPLAY' 5; then
	show start
	fail tui.replay_starts "no view on the screen"
	exit 0
fi
keys p
keys Left # back to +0 s whatever played before the pause: the steps below are exact
# the hog's best second: on a busy host one second may go to other work
hog_cpu=0
for _ in 1 2 3 4; do
	keys .
	c=$(field "$hog" 3)
	hog_cpu=$(awk -v a="$hog_cpu" -v b="${c:-0}" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
done
if wait_screen "\+4\.0s" 3 && wait_screen "paused" 1; then pass tui.replay_pause_and_step; else show step; fail tui.replay_pause_and_step "not paused at +4.0s"; fi

leak_rss=$(field "$leak" 7)
echo "   +1..+4 s: wl_hog CPU% up to $hog_cpu; at +4 s wl_mempattern RSS $leak_rss"
if row_of "$hog" | grep -q "wl_hog" && awk -v c="$hog_cpu" 'BEGIN { exit !(c > 5 && c <= 100.5) }'; then
	pass tui.row_of_spinning_workload
else
	show rows; fail tui.row_of_spinning_workload "wl_hog row: '$(row_of "$hog")'"
fi
# ~22 MB/s kept for about 4 s
if [ -n "$leak_rss" ] && [ "$(bytes "$leak_rss")" -gt $((30 * 1048576)) ]; then
	pass tui.row_of_leaking_workload
else
	show rows; fail tui.row_of_leaking_workload "wl_mempattern row: '$(row_of "$leak")'"
fi

# a name made of an escape sequence is shown, harmless
if screen | grep -qF '?[31mEVIL'; then pass tui.hostile_name_sanitized; else show hostile; fail tui.hostile_name_sanitized "no '?[31mEVIL' row"; fi
if tm capture-pane -p -e -t "$S" | grep -q $'\e\\[31mEVIL'; then fail tui.hostile_name_no_escape "the escape reached the terminal"; else pass tui.hostile_name_no_escape; fi

# ---- sorting: RSS puts the leak first, PID puts the lower pid first ----
order() { screen | grep -E "^ *($hog|$leak) " | awk '{ print $1 }' | tr '\n' ' '; }
for _ in $(seq 1 12); do screen | grep -q "sort:RSS " && break; keys s; done
by_rss=$(order)
for _ in $(seq 1 12); do screen | grep -q "sort:PID " && break; keys s; done
by_pid=$(order)
lo=$((hog < leak ? hog : leak)); hi=$((hog < leak ? leak : hog))
if [ "$by_rss" = "$leak $hog " ] && [ "$by_pid" = "$lo $hi " ]; then
	pass tui.sort_cycles_columns
else
	show sort; fail tui.sort_cycles_columns "by RSS '$by_rss' (want '$leak $hog '), by PID '$by_pid'"
fi

# ---- filtering ----
keys -l /wl_hog
keys Enter
wait_screen '\[/wl_hog\]' 5
if screen | grep -qE "^ *$hog +wl_hog" && ! screen | grep -qE "^ *$leak " && screen | grep -q '\[/wl_hog\]'; then
	pass tui.filter_keeps_matches
else
	show filter; fail tui.filter_keeps_matches "filter /wl_hog"
fi
keys Escape
if screen | grep -qE "^ *$leak " && ! screen | grep -q '\[/wl_hog\]'; then pass tui.filter_esc_clears; else show esc; fail tui.filter_esc_clears "Esc did not clear"; fi

# ---- detail view of the leaking process ----
keys -l /wl_mempattern
keys Enter Home Enter
# a loaded host repaints late: wait for the view (bounded), not a fixed sleep
if wait_screen "PROCESS $leak wl_mempattern" 5 && wait_screen "RSS series" 5 && wait_screen "^MEMORY" 5; then
	pass tui.detail_view
else
	show detail; fail tui.detail_view "no detail of $leak"
fi
keys Escape
keys Escape # back to the table, then the filter cleared
if screen | grep -q "^    PID COMM" && screen | grep -qE "^ *$hog "; then pass tui.detail_back; else show back; fail tui.detail_back "Esc Esc did not return to the whole table"; fi

# ---- resize to 80x24: still drawn, nothing left over ----
tm resize-window -t "$S" -x 80 -y 24
sleep 0.5
lines=$(screen | wc -l)
widest=$(screen | LC_ALL=C.UTF-8 wc -L) # display columns, not bytes
if screen | head -n1 | grep -q '^ vigil REPLAY' && screen | grep -q '^    PID COMM' &&
	screen | tail -n1 | grep -q 'q quit' && [ "$lines" -le 24 ] && [ "$widest" -le 80 ]; then
	pass tui.resize_80x24
else
	show resize; fail tui.resize_80x24 "lines=$lines widest=$widest"
fi

# ---- findings at the end, against the report ----
keys p # play on to the end
if ! wait_screen 'end of recording' 10; then show end; fail tui.end_of_recording "never reached the end"; fi
pass_end=$(screen)
if "$VIGIL" report "$TMP/d.vgl" --format json >"$TMP/report.json" 2>"$TMP/report.err" && command -v python3 >/dev/null; then
	want=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
w = {"leak": "LEAK", "retention": "RETAIN", "contention": "CONTEND"}
for f in r.get("findings", []):
    print(w.get(f["kind"], "?"), f["pid"] or "host")' "$TMP/report.json" | sort -u)
	got=$(grep -E '^ (LEAK|RETAIN|CONTEND) ' <<<"$pass_end" | awk '{ print $1, $3 }' | sort -u)
	echo "   findings: report [$(echo $want)] view [$(echo $got)]"
	# the pane may be too short for all of them: each one shown must be the report's
	missing=$(comm -13 <(echo "$want") <(echo "$got"))
	if [ -z "$missing" ] && { [ -n "$got" ] || [ -z "$want" ]; }; then
		pass tui.findings_match_report
	else
		show findings; fail tui.findings_match_report "view shows '$missing' that the report has not"
	fi
	# every process with a finding in the report carries its badge in the table
	bad=
	while read -r kind pid; do
		[ -z "$kind" ] && continue
		[ "$pid" = host ] && continue
		r=$(grep -E "^ *$pid " <<<"$pass_end" | head -n1)
		# the word, or its initial when several badges share the cell; lower case once ended
		[ -n "$r" ] && ! grep -qiE " ($kind|${kind:0:1})( |$)" <<<"$r" && bad="$bad $kind:$pid"
	done <<<"$want"
	if [ -z "$bad" ]; then pass tui.badges_match_report; else show badges; fail tui.badges_match_report "missing badges:$bad"; fi
else
	skip tui.findings_match_report "vigil report --format json is not available: $(head -c 200 "$TMP/report.err")"
fi

# ---- q quits with exit 0 and the terminal restored ----
keys q
if wait_screen '^EXIT=0' 3 && ! screen | grep -q '^ vigil REPLAY'; then
	pass tui.quit_restores_terminal
else
	show quit; fail tui.quit_restores_terminal "no EXIT=0 or the view is still on screen"
fi

# ---- signals: SIGTERM and ^C end the loop at once; a crash still restores ----
for sig in TERM INT; do
	start_pane 100 30 "$VIGIL replay $TMP/d.vgl --speed 0.2"
	wait_screen '^ vigil REPLAY' 5
	if [ $sig = INT ]; then
		keys C-c # from the keyboard: the terminal sends SIGINT
	else
		kill -TERM "$(pgrep -f "^$VIGIL replay $TMP/d.vgl --speed 0.2" | head -n1)" 2>/dev/null
	fi
	if wait_screen '^EXIT=0' 2 && ! screen | grep -q '^ vigil REPLAY'; then
		pass tui.sig${sig,,}_restores_terminal
	else
		show sig$sig; fail tui.sig${sig,,}_restores_terminal "no EXIT=0 within 2 s, or the view is still on screen"
	fi
done
# a fatal signal: the screen and the tty modes come back, then the default action
start_pane 100 30 "stty -g >$TMP/stty.before; $VIGIL replay $TMP/d.vgl --speed 0.2; echo EXIT=\$?; stty -g >$TMP/stty.after"
wait_screen '^ vigil REPLAY' 5
kill -SEGV "$(pgrep -f "^$VIGIL replay $TMP/d.vgl --speed 0.2" | head -n1)" 2>/dev/null
if wait_screen '^EXIT=139' 3 && ! screen | grep -q '^ vigil REPLAY' && sleep 0.3 &&
	cmp -s "$TMP/stty.before" "$TMP/stty.after"; then
	pass tui.crash_restores_terminal
else
	show crash; fail tui.crash_restores_terminal "tty modes: $(cat "$TMP/stty.before" 2>/dev/null) -> $(cat "$TMP/stty.after" 2>/dev/null)"
fi

# ---- a damaged dump: what is readable plays, the damage is in the header ----
size=$(stat -c %s "$TMP/d.vgl")
head -c $((size * 2 / 3)) "$TMP/d.vgl" >"$TMP/cut.vgl"
start_pane 120 40 "$VIGIL replay $TMP/cut.vgl --speed 20"
if wait_screen 'offset [0-9]+' 5 && wait_screen 'end of recording' 5 && screen | grep -qE "^ *$leak +wl_mempattern"; then
	pass tui.damaged_dump_plays_readable_part
else
	show damaged; fail tui.damaged_dump_plays_readable_part "no offset / end / rows"
fi
keys q
if wait_screen '^EXIT=1' 3; then pass tui.damaged_dump_exit_code; else show damaged-exit; fail tui.damaged_dump_exit_code "want exit 1"; fi

# ---- no view possible: text snapshots (TERM=dumb, a pipe) ----
start_pane 100 30 "TERM=dumb $VIGIL replay $TMP/d.vgl --speed 50"
# (the rows may have scrolled off under the findings: look in the pane's history)
if wait_screen '^EXIT=0' 5 && screen | grep -q -- '-- end of recording' &&
	tm capture-pane -p -S - -t "$S" | grep -q '^other .*wl_'; then
	pass tui.term_dumb_text_snapshots
else
	show dumb; fail tui.term_dumb_text_snapshots "no text snapshots"
fi
"$VIGIL" replay "$TMP/d.vgl" --speed 1000 >"$TMP/pipe.out" 2>"$TMP/pipe.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '^-- vigil' "$TMP/pipe.out")" -ge 5 ] && ! grep -q $'\e' "$TMP/pipe.out"; then
	pass tui.pipe_text_snapshots
else
	fail tui.pipe_text_snapshots "rc=$rc $(head -c 300 "$TMP/pipe.err")"
fi

# ---- the detail page lists the growing allocation sites (issue 13) ----
# detail_first_site CHECK PROCESS REGEX: in a replay of $TMP/s.vgl, the
# detail page of the first process matching PROCESS lists first a site
# matching REGEX
detail_first_site() {
	local check=$1 who=$2 re=$3 first
	start_pane 120 60 "$VIGIL replay $TMP/s.vgl --speed 20"
	wait_screen 'end of recording' 10
	keys -l "/$who"
	keys Enter Home Enter
	if wait_screen '^SITES' 5; then
		first=$(screen | sed -n '/^SITES/,/^CPU/p' | grep -E '^ +[0-9.]+[BKMG] +[0-9.]+%' | head -n1)
		echo "   $who's top site: $first"
		if grep -qE "$re" <<<"$first"; then
			pass "$check"
		else
			show "$check"; fail "$check" "the first site is not /$re/: '$first'"
		fi
	else
		show "$check"; fail "$check" "no SITES section on the detail page of $who"
	fi
	keys q
}
# wl_sites keeps memory at three sites (1/2 grow_heap_copy, 1/3
# wlsite_lib_grow, 1/6 grow_mmap_region) and churns the most faults at a
# fourth that keeps nothing (churn_frame): the page's first site is a
# leaking function.  Alongside, Debian's python3.11 leaks in a known line
# (tests/workloads/wl_pymin.py): its page's first site is that Python line
# and its caller's (issue 14)
PY=$(command -v python3.11)
if [ -x "$WL/wl_sites_nofp" ]; then
	"$VIGIL" record --comm '^(wl_sites_nofp|python3\.11)$' --sites dwarf -o "$TMP/s.vgl" --duration 5 2>"$TMP/srec.err" &
	rec=$!
	for _ in $(seq 1 100); do grep -q "vigil: tracing" "$TMP/srec.err" && break; sleep 0.05; done
	[ -n "$PY" ] && { "$PY" -S -E "$ROOT/tests/workloads/wl_pymin.py" 4 >"$TMP/pymin.out" & }
	"$WL/wl_sites_nofp" --seconds 4 >"$TMP/sites.out"
	wait $rec
	src=$?
fi
# a kernel without the sampling (no perf page-fault event) records no sites:
# the report then has no "sites" key (docs/report.md), and neither a page
if [ ! -x "$WL/wl_sites_nofp" ]; then
	skip tui.detail_sites "$WL/wl_sites_nofp is not built (make workloads)"
elif [ "$src" != 0 ]; then
	fail tui.detail_sites "record --sites dwarf exited $src: $(tail -n3 "$TMP/srec.err")"
elif ! "$VIGIL" report "$TMP/s.vgl" --format json 2>/dev/null | grep -q '"sites"'; then
	skip tui.detail_sites "the trace sampled no allocation sites: $(grep -i site "$TMP/srec.err" | head -n1)"
else
	detail_first_site tui.detail_sites wl_sites 'grow_heap_copy|wlsite_lib_grow|grow_mmap_region'
	if [ -z "$PY" ]; then
		skip tui.detail_python_sites "no python3.11 here"
	else
		py_line=$(head -n1 "$TMP/pymin.out")
		want="new_frame \(wl_pymin\.py:$(kv "$py_line" leak | cut -d: -f2)\) <- keep_frame \(wl_pymin\.py:$(kv "$py_line" caller | cut -d: -f2)\)"
		detail_first_site tui.detail_python_sites python3 "%  $want"
	fi
fi

# ---- vigil live, once it draws the view ----
"$WL/wl_hog" 0 6 >/dev/null &
hog=$!
start_pane 120 40 "$VIGIL live --comm '^wl_hog\$' --interval 1"
sleep 3
if screen | grep -q '^-- vigil'; then
	skip tui.live_view "vigil live still prints text snapshots on a terminal"
elif wait_screen '^ vigil LIVE' 3 && wait_screen "^ *$hog +wl_hog" 3; then
	# the tracer's own cost in the header: its CPU and RSS, its BPF programs
	if wait_screen 'vigil [0-9.]+% [0-9.]+[KMG] .*BPF [0-9.]+%' 6; then
		pass tui.live_own_cost
	else
		show live-header; fail tui.live_own_cost "no 'vigil N% RSS' and 'BPF N%' in the header"
	fi
	keys q
	if wait_screen '^EXIT=0' 5 && ! screen | grep -q '^ vigil LIVE'; then
		pass tui.live_view
	else
		show live-quit; fail tui.live_view "q did not end live with exit 0"
	fi
else
	show live; fail tui.live_view "no view, or no wl_hog row"
fi
tm kill-session -t "$S" 2>/dev/null # SIGHUP: a live still tracing stops
kill $hog 2>/dev/null
wait $hog 2>/dev/null
exit 0
