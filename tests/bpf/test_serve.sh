#!/usr/bin/env bash
# vigil serve for real: a leaking camera worker traced by the daemon,
# /metrics checked by promtool and scraped by a real Prometheus (Debian's),
# whose HTTP API must then show the worker's RSS under its role (against
# /proc's VmRSS) and its active leak finding.  Meanwhile clients misbehave
# (half-open connections past the limit, a flood of requests) and other
# daemons try its port: clear errors, and no event lost.  SIGHUP re-reads
# the config, SIGTERM ends it with exit 0 and finished dumps in --record-dir.
. "$(dirname "$0")/lib.sh"
require_bpf serve
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	if [ "${VIGIL_REQUIRE_BPF:-0}" = 1 ]; then fail serve "prometheus/promtool missing (scripts/install-deps.sh)"; else skip serve "prometheus is not installed"; fi
	exit 0
fi
SECS=${VIGIL_SERVE_SECS:-60} # the worker's life: the leak is found in ~25 s, then it is stopped
PROM_PID=
cleanup() {
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null
	[ -n "${WL_PID:-}" ] && kill "$WL_PID" 2>/dev/null
	cleanup_lib
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "" EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
get() { curl -sS -m 5 "$@"; }

# --- the daemon: port 0, the kernel picks a free one and vigil says which
: >"$TMP/vigil.conf"
chmod 600 "$TMP/vigil.conf"
start_vigil serve --listen 127.0.0.1:0 --record-dir "$TMP/dumps" --rotate-mb 0.05 --keep 3 --config "$TMP/vigil.conf" ||
	{ fail serve "vigil serve did not start"; exit 0; }
for _ in $(seq 50); do grep -q "serving http://" "$TMP/vigil.err" && break; sleep 0.1; done
ADDR=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$TMP/vigil.err")
[ -n "$ADDR" ] && pass serve.listen || { fail serve.listen "no address on stderr: $(cat "$TMP/vigil.err")"; exit 0; }

# --- bad addresses: said at once, before any BPF is loaded
"$VIGIL" serve --listen "$ADDR" --duration 5 >/dev/null 2>"$TMP/inuse.err"
rc=$?
[ $rc = 1 ] && grep -qi "address already in use" "$TMP/inuse.err" && pass serve.port_in_use ||
	fail serve.port_in_use "rc=$rc: $(cat "$TMP/inuse.err")"
"$VIGIL" serve --listen 192.0.2.1:9464 --duration 5 >/dev/null 2>"$TMP/addr.err" # TEST-NET-1: on no host
rc=$?
[ $rc = 1 ] && grep -q "no interface of this host has that address" "$TMP/addr.err" && pass serve.unbindable ||
	fail serve.unbindable "rc=$rc: $(cat "$TMP/addr.err")"
"$VIGIL" serve --listen 127.0.0.1 --duration 5 >/dev/null 2>"$TMP/spec.err"
rc=$?
[ $rc = 2 ] && grep -q "expected ADDR:PORT" "$TMP/spec.err" && pass serve.bad_listen ||
	fail serve.bad_listen "rc=$rc: $(cat "$TMP/spec.err")"

# --- the worker: a camera by name (the default role patterns), leaking 23 MB/s
ln -s "$WL/wl_mempattern" "$TMP/dual_camera_websocket_server"
"$TMP/dual_camera_websocket_server" leak "$SECS" >"$TMP/wl.out" &
WL_PID=$!

# --- a real Prometheus scraping vigil every second
PPORT=$(free_port)
# the README's alert rules, as written there
python3 - "$ROOT/README.md" >"$TMP/rules.yml" <<'EOT'
import re, sys
text = open(sys.argv[1]).read()
print(re.search(r"Alert rules.*?```yaml\n(.*?)```", text, re.S).group(1), end="")
EOT
promtool check rules "$TMP/rules.yml" >"$TMP/rules.out" 2>&1 && pass serve.readme_rules ||
	fail serve.readme_rules "$(tail -n3 "$TMP/rules.out")"
cat >"$TMP/prom.yml" <<EOT
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ["$TMP/rules.yml"]
scrape_configs:
  - job_name: vigil
    static_configs: [{targets: ["$ADDR"]}]
EOT
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/prom" --web.listen-address="127.0.0.1:$PPORT" \
	>"$TMP/prom.log" 2>&1 &
PROM_PID=$!
promql() { # $1 = query; prints "value" of each result, one per line
	curl -sS -m 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); [print(r["value"][1], json.dumps(r["metric"], sort_keys=True)) for r in d["data"]["result"]]'
}

# --- promtool accepts the exposition (the text format promtool reads)
sleep 2
get "http://$ADDR/metrics" >"$TMP/metrics.txt"
if promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1; then
	pass serve.promtool
else
	fail serve.promtool "$(head -5 "$TMP/promtool.out")"
fi
get -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' -D "$TMP/om.hdr" \
	"http://$ADDR/metrics" >"$TMP/metrics.om"
grep -qi '^content-type: application/openmetrics-text' "$TMP/om.hdr" && [ "$(tail -n1 "$TMP/metrics.om")" = "# EOF" ] &&
	pass serve.openmetrics || fail serve.openmetrics "$(head -3 "$TMP/om.hdr")"

# --- misbehaving clients: 40 half-open connections (a request head never
# finished, past the limit of 16), then a flood of 400 requests, 20 at a time
python3 - "$ADDR" >"$TMP/halfopen.out" 2>&1 <<'EOT' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for _ in range(40):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never the blank line
    socks.append(s)
time.sleep(7)  # past vigil's 5 s limit: it must have closed them
closed = 0
for s in socks:
    s.settimeout(0.5)
    try:
        closed += s.recv(100) is not None
    except OSError:
        closed += 1
print("closed", closed)
EOT
HALF_PID=$!
sleep 1
seq 400 | xargs -P 20 -I{} curl -s -m 5 -o /dev/null -w '%{http_code}\n' "http://$ADDR/metrics" >"$TMP/flood.codes"
wait $HALF_PID
grep -q "closed 40" "$TMP/halfopen.out" && pass serve.halfopen_closed || fail serve.halfopen_closed "$(cat "$TMP/halfopen.out")"
ok=$(grep -c '^200$' "$TMP/flood.codes"); busy=$(grep -c '^503$' "$TMP/flood.codes")
echo "   flood: $ok answered 200, $busy answered 503 (over the connection limit), of 400"
[ $((ok + busy)) = 400 ] && [ "$ok" -gt 0 ] && pass serve.flood || fail serve.flood "$(sort "$TMP/flood.codes" | uniq -c | tr '\n' ' ')"
code=$(get -o /dev/null -w '%{http_code}' "http://$ADDR/healthz")
[ "$code" = 200 ] && pass serve.healthz || fail serve.healthz "healthz answered $code"

# --- SIGHUP: a broken config changes nothing; a good one restarts tracing
echo "[leak]
window_s = 0" >"$TMP/vigil.conf"
kill -HUP "$VIGIL_PID"; sleep 0.5
grep -q "SIGHUP: .*the running config stays" "$TMP/vigil.err" && kill -0 "$VIGIL_PID" && pass serve.sighup_bad ||
	fail serve.sighup_bad "$(tail -n3 "$TMP/vigil.err")"

# --- wait for the leak finding (it needs min_duration_s of growth)
t0=$SECONDS
for _ in $(seq $((SECS - 10))); do
	get "http://$ADDR/findings" | grep -q '"kind": "leak"' && break
	kill -0 "$WL_PID" 2>/dev/null || break
	sleep 1
done
echo "   leak finding on /findings after $((SECONDS - t0)) s more"
sleep 2 # a scrape after it
rss_before=$(awk '/^VmRSS:/ { print $2 * 1024 }' /proc/$WL_PID/status)
role=$(promql "vigil_process_resident_bytes{pid=\"$WL_PID\"}")
rss_after=$(awk '/^VmRSS:/ { print $2 * 1024 }' /proc/$WL_PID/status)
echo "   PromQL vigil_process_resident_bytes{pid=\"$WL_PID\"}: $role"
echo "   /proc VmRSS around the query: $rss_before .. $rss_after"
python3 - "$role" "$rss_before" "$rss_after" <<'EOT' && pass serve.prometheus_rss || fail serve.prometheus_rss "$role vs VmRSS $rss_before..$rss_after"
import json, sys
v, labels = sys.argv[1].split(" ", 1)
v, lo, hi = float(v), float(sys.argv[2]), float(sys.argv[3])
labels = json.loads(labels)
# scraped every second, kept up to the interval: at most ~3 s of 23 MB/s behind
assert labels["role"] == "camera" and labels["comm"] == "dual_camera_web", labels
assert lo - 100e6 <= v <= hi * 1.02, (v, lo, hi)
EOT
leak=$(promql "vigil_findings{kind=\"leak\",pid=\"$WL_PID\"} == 1")
echo "   PromQL vigil_findings{kind=\"leak\",pid=\"$WL_PID\"} == 1: $leak"
echo "$leak" | grep -q '"role": "camera"' && pass serve.prometheus_finding || fail serve.prometheus_finding "no active leak in Prometheus: $leak"
alerts=$(curl -sS -m 5 "http://127.0.0.1:$PPORT/api/v1/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    if a["labels"]["alertname"] == "VigilFinding" and a["labels"].get("pid") == sys.argv[1]:
        print(a["state"], a["labels"]["kind"], a["annotations"]["summary"])' "$WL_PID")
echo "   README alert rule VigilFinding: $alerts"
case "$alerts" in *pending\ leak*|*firing\ leak*) pass serve.prometheus_alert ;; *) fail serve.prometheus_alert "no VigilFinding alert for the worker: $alerts" ;; esac
up=$(promql 'up{job="vigil"}')
case "$up" in 1\ *) pass serve.prometheus_up ;; *) fail serve.prometheus_up "up=$up; $(tail -n3 "$TMP/prom.log")" ;; esac
hist=$(promql "histogram_quantile(0.99, rate(vigil_process_runqueue_latency_seconds_bucket{pid=\"$WL_PID\"}[30s]))")
echo "   PromQL run-queue p99 of the worker: $hist"

# --- SIGHUP with a config that loads: tracing restarts, serving goes on
: >"$TMP/vigil.conf"
kill -HUP "$VIGIL_PID"
for _ in $(seq 100); do grep -q "tracing restarts" "$TMP/vigil.err" && [ "$(grep -c 'vigil: tracing' "$TMP/vigil.err")" -ge 2 ] && break; sleep 0.1; done
sleep 1.5 # a publication of the new pipeline
code=$(get -o "$TMP/after_hup.txt" -w '%{http_code}' "http://$ADDR/metrics")
[ "$code" = 200 ] && grep -q "tracing restarts" "$TMP/vigil.err" && promtool check metrics <"$TMP/after_hup.txt" >/dev/null 2>&1 &&
	pass serve.sighup_reload || fail serve.sighup_reload "code=$code: $(tail -n3 "$TMP/vigil.err")"

# --- SIGTERM: flushed, exit 0, the dumps rotated and readable
WORKER=$WL_PID
kill "$WL_PID" 2>/dev/null; wait "$WL_PID" 2>/dev/null; WL_PID=
kill -TERM "$VIGIL_PID"
for _ in $(seq 100); do kill -0 "$VIGIL_PID" 2>/dev/null || break; sleep 0.1; done
wait "$VIGIL_PID"; rc=$?; VIGIL_PID=
[ $rc = 0 ] && pass serve.sigterm || fail serve.sigterm "exit $rc: $(tail -n3 "$TMP/vigil.err")"
lost=$(sed -n 's/.* events from the kernel .*, \([0-9]*\) lost,.*/\1/p' "$TMP/vigil.err")
[ "$lost" = 0 ] && pass serve.no_lost_events || fail serve.no_lost_events "lost=$lost"
n=$(ls "$TMP/dumps" | grep -c '^vigil-.*\.vgl$')
written=$(sed -n 's/vigil: \([0-9]*\) dumps written.*/\1/p' "$TMP/vigil.err")
newest=$(ls "$TMP/dumps" | tail -n1)
echo "   --record-dir: $written dumps written, $n kept"
if [ "$n" = 3 ] && [ "${written:-0}" -gt 3 ] && "$VIGIL" report "$TMP/dumps/$newest" >/dev/null 2>"$TMP/rep.err"; then
	pass serve.record_dir
else
	fail serve.record_dir "kept $n of ${written:-?}: $(ls "$TMP/dumps" | tr '\n' ' ') $(cat "$TMP/rep.err" 2>/dev/null)"
fi
# every kept dump, mid-stream ones too, names the worker and its role
named=0
for d in "$TMP"/dumps/vigil-*.vgl; do
	"$VIGIL" report --format json "$d" 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if any(p["pid"] == int(sys.argv[1]) and p["comm"] == "dual_camera_web" and p["role"] == "camera"
                  for p in r["processes"]) else 1)' "$WORKER" && named=$((named + 1))
done
[ "$named" = "$n" ] && pass serve.record_dir_named || fail serve.record_dir_named "$named of $n dumps name the worker"
