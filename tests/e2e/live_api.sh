#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmcollect --listen end to end: /metrics passes promtool with every family
# present (a C++-like name with <>, quotes and a backslash in its labels),
# OpenMetrics on request, the JSON endpoints valid against docs/schemas,
# the families of outcomes, return classes, health and alerts with the
# rules file that turns them on (fail_if's EAGAIN is an outcome, its
# returns are classed, an alert on its error rate fires),
# wrong paths and methods refused; the textfile passes promtool; the JSONL
# and CSV deltas add up to the summary; hostile clients cannot stop the
# collector or lose a count.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
E2E="$(cd "$(dirname "$0")" && pwd)"
NAME='ns::Box<int, "q\x">::get(char const*)'
start_tmcollect_http --session la --interval 0.25 --rules "$DATA/live.json" --keep-seconds 1200 \
	--summary "$WORK/s.json" --jsonl "$WORK/s.jsonl" --csv "$WORK/s.csv" --textfile "$WORK/tm.prom"
run() { LD_PRELOAD="$SHIM" TM_SESSION=la TM_CONFIG="$DATA/live.json" "$@"; }
# a process of known resources stays up while the checks run
mkfifo "$WORK/res.in"
exec 3<>"$WORK/res.in"
LD_PRELOAD="$SHIM" TM_SESSION=la TM_CONFIG="$DATA/live.json" "$TARGETS/resource" 64 300 1000 100 \
	<&3 >"$WORK/res.out" &
res=$!
tm_on_exit "kill $res 2>/dev/null"
for _ in $(seq 1 500); do grep -q ready "$WORK/res.out" && break; sleep 0.01; done
grep -q ready "$WORK/res.out" || fail "resource target never got ready"
run "$TARGETS/threads" 2 50000 >"$WORK/t.out"
run "$TM_BUILD/tests/bench_overhead" 2000 x 1 >/dev/null
scrape() { curl -s -f "$TM_HTTP_URL/metrics" -o "$WORK/m.txt" -D "$WORK/m.hdr"; }
# the collector has drained both runs once /metrics says so
for _ in $(seq 1 200); do
	scrape && grep -q 'tm_calls_total{.*function="fail_if".*} 10100$' "$WORK/m.txt" &&
		grep -q 'tm_call_slow_total{.*work_100ns.*} [1-9]' "$WORK/m.txt" &&
		grep -q '^tm_alerts{.*alertname="fail_if_errors",alertstate="firing".*} 1$' "$WORK/m.txt" && break
	sleep 0.05
done
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$WORK/m.hdr" ||
	fail "content type: $(grep -i content-type "$WORK/m.hdr")"
promtool check metrics <"$WORK/m.txt" >"$WORK/lint" 2>&1 || { cat "$WORK/lint"; fail "promtool check metrics"; }
echo "ok: promtool check metrics on /metrics"
for fam in tm_calls_total tm_call_failures_total tm_call_slow_total tm_call_bytes_total \
	tm_call_duration_seconds_bucket tm_call_duration_recent_seconds_count tm_calls_in_flight \
	tm_call_oldest_in_flight_seconds tm_function_hooked tm_records_dropped_total \
	tm_records_overflowed_total tm_target_cpu_seconds_total tm_target_resident_memory_bytes \
	tm_target_threads tm_target_open_fds tm_build_info process_cpu_seconds_total \
	tm_call_outcomes_total tm_call_returns_total tm_function_health tm_session_health \
	tm_target_processes tm_target_crashes_total tm_alerts; do
	grep -q "^$fam[{ ]" "$WORK/m.txt" || fail "no samples of $fam"
done
# and no family of the exposition is empty
for fam in $(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$WORK/m.txt"); do
	grep -q "^$fam[_{ ]" "$WORK/m.txt" || fail "family $fam has no samples"
done
echo "ok: every metric family has samples ($(grep -c '^# TYPE' "$WORK/m.txt") families)"
grep -qF 'function="ns::Box<int, \"q\\x\">::get(char const*)"' "$WORK/m.txt" ||
	fail "escaped label not found: $(grep work_noop "$WORK/m.txt" | head -2)"
grep -q 'tm_call_failures_total{.*function="fail_if".*error="EIO"} 10000$' "$WORK/m.txt" ||
	fail "failures by error"
echo "ok: label escaping, failures by error"
# resource's 100 fail_if(EAGAIN): an outcome, not failures. Every fail_if
# call returned -1: minus_one, or unclassified when it came folded (ring
# overflow) without its value; they add up to the calls
grep -q '^tm_call_outcomes_total{.*function="fail_if".*outcome="would_block"} 100$' "$WORK/m.txt" ||
	fail "outcomes: $(grep '^tm_call_outcomes_total' "$WORK/m.txt")"
rc() { sed -n "s/^tm_call_returns_total{.*function=\"fail_if\".*class=\"$1\"} \([0-9]*\)\$/\1/p" "$WORK/m.txt"; }
[ "$(rc minus_one)" -gt 0 ] && [ "$(rc zero)" = 0 ] && [ "$(rc other)" = 0 ] &&
	[ $(($(rc minus_one) + $(rc unclassified))) = 10100 ] ||
	fail "return classes: $(grep '^tm_call_returns_total' "$WORK/m.txt")"
expect_eq "health: one state per function set" \
	"$(grep -c '^tm_function_health{.*function="fail_if".*} 1$' "$WORK/m.txt")" 1
expect_eq "health: one state of the session set" "$(grep -c '^tm_session_health{session="la",.*} 1$' "$WORK/m.txt")" 1
grep -q '^tm_alerts{session="la",alertname="fail_if_errors",alertstate="firing",severity="error",kind="error_rate",function="fail_if"} 1$' "$WORK/m.txt" ||
	fail "alert: $(grep '^tm_alerts' "$WORK/m.txt")"
echo "ok: outcomes, return classes, health and the firing alert in /metrics"

curl -s -f -H 'Accept: application/openmetrics-text; version=1.0.0,text/plain;q=0.5' \
	"$TM_HTTP_URL/metrics" -o "$WORK/om.txt" -D "$WORK/om.hdr"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$WORK/om.hdr" ||
	fail "OpenMetrics content type"
expect_eq "OpenMetrics last line" "$(tail -n 1 "$WORK/om.txt")" "# EOF"
grep -q '^# TYPE tm_calls counter$' "$WORK/om.txt" || fail "OpenMetrics counter family name"

check() { python3 "$E2E/jsonschema_check.py" "$@"; }
curl -s -f "$TM_HTTP_URL/api/v1/summary" -o "$WORK/api.json" && check urn:tm:summary:1 "$WORK/api.json"
curl -s -f "$TM_HTTP_URL/api/v1/processes" -o "$WORK/procs.json" &&
	check urn:tm:process:1 "$WORK/procs.json" --array
# the series holds sealed seconds: wait for the runs' seconds to seal
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/api/v1/series?function=fail_if&window=1m" -o "$WORK/ser.json"
	[ "$(jq '[.points[].calls] | add' "$WORK/ser.json")" = 10100 ] && break
	sleep 0.05
done
check urn:tm:series:1 "$WORK/ser.json"
expect_eq "series: 1m has 60 or fewer points" "$(jq '.points | length <= 60' "$WORK/ser.json")" true
expect_eq "series: fail_if calls" "$(jq '[.points[].calls] | add' "$WORK/ser.json")" 10100
expect_eq "series: fail_if EIO" "$(jq '[.points[].errors.EIO // 0] | add' "$WORK/ser.json")" 10000
curl -s -f "$TM_HTTP_URL/api/v1/series?function=fail_if&window=24h" -o "$WORK/ser24.json" &&
	check urn:tm:series:1 "$WORK/ser24.json"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# the object label is the library the function was found in, as in the summary
obj=$(jq -r '.symbols[] | select(.name == "fail_if") | .object' "$WORK/api.json")
[ -n "$obj" ] || fail "fail_if has no object in the summary"
grep -q "^tm_calls_total{session=\"la\",process=\"[^\"]*\",function=\"fail_if\",object=\"$obj\"} " "$WORK/m.txt" ||
	fail "object label: $(grep 'tm_calls_total.*fail_if' "$WORK/m.txt")"
echo "ok: object=\"$obj\" on fail_if's samples"
expect_eq "unknown path" "$(code "$TM_HTTP_URL/nope")" 404
expect_eq "POST /metrics" "$(code -X POST -d x "$TM_HTTP_URL/metrics")" 405
expect_eq "window longer than kept" "$(code "$TM_HTTP_URL/api/v1/series?function=fail_if&window=2d")" 400
expect_eq "bad window" "$(code "$TM_HTTP_URL/api/v1/series?function=fail_if&window=1x")" 400
# any length: per second within the seconds kept (here 1 200), else per minute
curl -s -f "$TM_HTTP_URL/api/v1/series?function=fail_if&window=20m" -o "$WORK/ser20.json"
expect_eq "window=20m: per second (--keep-seconds 1200)" "$(jq .resolution_s "$WORK/ser20.json")" 1
curl -s -f "$TM_HTTP_URL/api/v1/series?function=fail_if&window=2h" -o "$WORK/ser2h.json"
expect_eq "window=2h: per minute" "$(jq .resolution_s "$WORK/ser2h.json")" 60
expect_eq "no function" "$(code "$TM_HTTP_URL/api/v1/series")" 400
expect_eq "unknown function" "$(code "$TM_HTTP_URL/api/v1/series?function=nope")" 404
expect_eq "landing page" "$(code "$TM_HTTP_URL/")" 200
expect_eq "summary: fail_if's unclassified returns are its calls that came folded" \
	"$(jq '.symbols[] | select(.name == "fail_if") | .returns.unclassified.calls == .overflowed and .returns.minus_one.calls + .overflowed == .calls' "$WORK/api.json")" true
expect_eq "errors_by_category from the rules file" \
	"$(jq -r '.symbols[] | select(.name == "fail_if") | .errors_by_category.resource' "$WORK/api.json")" 10000

# the resource target against /proc read here and against what it did
for _ in $(seq 1 200); do
	curl -s -f "$TM_HTTP_URL/api/v1/processes" -o "$WORK/procs.json"
	[ "$(jq --argjson p $res '.[] | select(.pid == $p) | .resources | (.cpu_user_s // 0) + (.cpu_system_s // 0) >= 0.28' "$WORK/procs.json")" = true ] && break
	sleep 0.05
done
read -r -a st <"/proc/$res/stat"
hz=$(getconf CLK_TCK)
rss_proc=$((st[23] * $(getconf PAGESIZE)))
jq --argjson p $res '.[] | select(.pid == $p) | .resources' "$WORK/procs.json" >"$WORK/res.json"
python3 - "$WORK/res.json" "$rss_proc" "$((((st[13] + st[14]) * 1000) / hz))" <<'PY' || fail "resources: $(cat "$WORK/res.json")"
import json, sys
r = json.load(open(sys.argv[1]))
rss, cpu_ms = int(sys.argv[2]), int(sys.argv[3])
cpu = r["cpu_user_s"] + r["cpu_system_s"]
assert r["rss_bytes"] >= 64 << 20, "rss below the 64 MiB the target touched"
assert abs(r["rss_bytes"] - rss) <= 0.05 * rss, "rss %d vs /proc %d" % (r["rss_bytes"], rss)
assert cpu >= 0.28, "cpu below the 300 ms the target burnt"
assert abs(cpu * 1000 - cpu_ms) <= 100, "cpu %f vs /proc %d ms" % (cpu, cpu_ms)
assert r["threads"] == 1 and r["open_fds"] >= 3, r
assert len(r["monitored_threads"]) == 1, r
PY
echo "ok: resources of the target: RSS within 5% of /proc and >= 64 MiB, CPU within 0.1 s of /proc"
# the same from /metrics: the program's CPU and RSS against /proc read now
scrape
read -r -a st <"/proc/$res/stat"
python3 - "$WORK/m.txt" "$((st[23] * $(getconf PAGESIZE)))" "$((((st[13] + st[14]) * 1000) / hz))" <<'PY' ||
import re, sys
m = open(sys.argv[1]).read()
rss, cpu_ms = int(sys.argv[2]), int(sys.argv[3])
def val(name, extra=""):
    pat = r'^%s\{session="la",process="resource"%s\} (\S+)$' % (name, extra)
    v = re.findall(pat, m, re.M)
    assert len(v) == 1, (name, extra, v)
    return float(v[0])
cpu = val("tm_target_cpu_seconds_total", ',mode="user"') + val("tm_target_cpu_seconds_total", ',mode="system"')
assert cpu >= 0.28, "cpu %f below the 300 ms the target burnt" % cpu
assert abs(cpu * 1000 - cpu_ms) <= 100, "cpu %f vs /proc %d ms" % (cpu, cpu_ms)
r = val("tm_target_resident_memory_bytes")
assert abs(r - rss) <= 0.05 * rss and r >= 64 << 20, "rss %d vs /proc %d" % (r, rss)
assert val("tm_target_processes") == 1
PY
	fail "/metrics resources: $(grep 'process="resource"' "$WORK/m.txt")"
echo "ok: /metrics: tm_target_cpu_seconds_total within 0.1 s and tm_target_resident_memory_bytes within 5% of /proc"
expect_eq "a running process has no end" \
	"$(jq --argjson p $res '.[] | select(.pid == $p) | .end_realtime_ns' "$WORK/procs.json")" null
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/api/v1/processes" -o "$WORK/procs.json"
	[ "$(jq --argjson p $res '.[] | select(.pid == $p) | .windows["1m"].span_s > 0' "$WORK/procs.json")" = true ] && break
	sleep 0.05
done
expect_eq "process window: RSS over the last minute >= 64 MiB" \
	"$(jq --argjson p $res '.[] | select(.pid == $p) | .windows["1m"].rss_bytes >= 67108864' "$WORK/procs.json")" true
# the process's own series: its calls and failures add up to its totals
# once the seconds of its samples are sealed; RSS over time, threads
pcalls=$(jq --argjson p $res '.[] | select(.pid == $p) | .calls' "$WORK/procs.json")
for _ in $(seq 1 200); do
	curl -s -f "$TM_HTTP_URL/api/v1/series?process=$res&window=15m" -o "$WORK/pser.json"
	[ "$(jq '[.points[].calls] | add' "$WORK/pser.json")" = "$pcalls" ] && break
	sleep 0.05
done
check urn:tm:process_series:1 "$WORK/pser.json"
expect_eq "process series: calls add up to the process's" "$(jq '[.points[].calls] | add' "$WORK/pser.json")" "$pcalls"
# its 100 fail_if(EAGAIN) are would_block here (data/live.json): not failures
expect_eq "process series: failures" "$(jq '[.points[].failed] | add' "$WORK/pser.json")" \
	"$(jq --argjson p $res '.[] | select(.pid == $p) | .failed' "$WORK/procs.json")"
expect_eq "process series: per second" "$(jq .resolution_s "$WORK/pser.json")" 1
expect_eq "process series: RSS >= 64 MiB in every sampled second" \
	"$(jq '[.points[] | select(.rss_bytes != null) | .rss_bytes >= 67108864] | (length > 0 and all)' "$WORK/pser.json")" true
expect_eq "process series: one thread" \
	"$(jq '[.points[] | select(.threads != null) | .threads] | unique' -c "$WORK/pser.json")" "[1]"
expect_eq "process series: pid and name" "$(jq -r '"\(.pid) \(.process)"' "$WORK/pser.json")" "$res resource"
expect_eq "process series: not running" "$(code "$TM_HTTP_URL/api/v1/series?process=1")" 404
expect_eq "process series: bad pid" "$(code "$TM_HTTP_URL/api/v1/series?process=x1")" 400
expect_eq "process series: with a function" \
	"$(code "$TM_HTTP_URL/api/v1/series?process=$res&function=fail_if")" 400
# CPU as rates: the target burns 300 ms more while monitored; its 15 min
# window's CPU percent times its span, and its series' points, grow by
# that (its first burn may be partly before the first sample: a
# difference, not a total)
wcpu() { # CPU seconds in the 15 min window and in the series, from one reading each
	curl -s -f "$TM_HTTP_URL/api/v1/processes" -o "$WORK/procs.json"
	curl -s -f "$TM_HTTP_URL/api/v1/series?process=$res&window=15m" -o "$WORK/pser.json"
	echo "$(jq --argjson p $res '.[] | select(.pid == $p) | .windows["15m"] | (.cpu_user_percent + .cpu_system_percent) * .span_s / 100' "$WORK/procs.json")" \
		"$(jq '[.points[] | (.cpu_user_percent // 0) + (.cpu_system_percent // 0)] | add / 100' "$WORK/pser.json")"
}
read -r w0 s0 < <(wcpu)
printf b >&3
for _ in $(seq 1 500); do grep -q burnt "$WORK/res.out" && break; sleep 0.01; done
grep -q burnt "$WORK/res.out" || fail "the target did not burn"
for _ in $(seq 1 200); do
	read -r w1 s1 < <(wcpu)
	awk -v a="$w0" -v b="$w1" -v c="$s0" -v d="$s1" 'BEGIN { exit !(b - a >= 0.28 && d - c >= 0.28) }' && break
	sleep 0.05
done
awk -v a="$w0" -v b="$w1" -v c="$s0" -v d="$s1" 'BEGIN { exit !(b - a >= 0.28 && b - a <= 0.4 && d - c >= 0.28 && d - c <= 0.4) }' ||
	fail "300 ms burnt: the 15m window's CPU went $w0 -> $w1 s, the series' $s0 -> $s1 s"
echo "ok: 300 ms burnt while monitored: the 15m window's CPU grew $w0 -> $w1 s, the series' $s0 -> $s1 s"
echo >&3
wait $res

# hostile clients while a target runs: every count still exact
run "$TARGETS/threads" 4 200000 >"$WORK/t2.out" &
target=$!
python3 "$E2E/httphostile.py" 127.0.0.1 "$TM_HTTP_PORT" --budget 25 >"$WORK/hostile.out" 2>&1 ||
	{ cat "$WORK/hostile.out"; fail "hostile HTTP"; }
echo "ok: hostile HTTP: $(grep -c '^ok' "$WORK/hostile.out") cases refused or answered, collector alive"
# half requests that stop coming are closed by the server's idle timeout
# (10 s, docs/ARCHITECTURE.md), not held open: waited for, up to 14 s
# after the last byte
python3 "$E2E/httphostile.py" 127.0.0.1 "$TM_HTTP_PORT" --only slowloris --slow-seconds 2 \
	--expect-timeout 12 --budget 30 >"$WORK/slow.out" 2>&1 ||
	{ cat "$WORK/slow.out"; fail "slowloris connections not closed"; }
echo "ok: $(grep 'the server closed' "$WORK/slow.out")"
wait $target
kill -0 "$TM_HTTP_PID" || fail "tmcollect died"
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID" || fail "tmcollect exit status"
expect_eq "fail_if calls (both runs and resource's)" "$(calls "$WORK/s.json" fail_if)" $((10000 + 80000 + 100))
# threads x2, resource's 1000, bench_overhead's 2000/10 + 9 rounds of 2000
expect_eq "work_noop calls (every run)" "$(calls "$WORK/s.json" "$NAME")" $((100000 + 800000 + 1000 + 18200))
expect_eq "work_100ns calls (slow, all of them)" "$(field "$WORK/s.json" work_100ns slow)" 1820
promtool check metrics <"$WORK/tm.prom" >"$WORK/lint2" 2>&1 || { cat "$WORK/lint2"; fail "promtool on --textfile"; }
echo "ok: promtool check metrics on the textfile"
check urn:tm:stream:1 "$WORK/s.jsonl" --lines
for f in fail_if "$NAME" work_100ns; do
	want=$(calls "$WORK/s.json" "$f")
	expect_eq "JSONL deltas of $f" \
		"$(jq -s --arg n "$f" '[.[] | select(.type == "interval" and .function == $n) | .calls] | add' "$WORK/s.jsonl")" "$want"
done
expect_eq "CSV header" "$(head -c 14 "$WORK/s.csv")" "#t_realtime_ns"
expect_eq "CSV deltas of fail_if" "$(awk -F, '$3 == "fail_if" { n += $4 } END { print n }' "$WORK/s.csv")" 90100
# integers in ns, no padding: read as CSV (names are quoted, with commas
# inside), every row as wide as the header, every field but the names an
# integer written plainly (no space, no sign, no leading zero) or empty
python3 - "$WORK/s.csv" <<'PY' || fail "CSV is padded or ragged"
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
names = {i for i, h in enumerate(head) if h.lstrip("#") in ("session", "function", "object")}
assert body, "no rows"
for n, r in enumerate(body, 2):
    if len(r) != len(head):
        sys.exit(f"row {n}: {len(r)} fields, the header {len(head)}")
    for i, f in enumerate(r):
        if i not in names and f and not re.fullmatch(r"0|[1-9][0-9]*", f):
            sys.exit(f"row {n}, {head[i]}: {f!r}")
PY
echo "ok: CSV: integers unpadded, rows as wide as the header"
expect_eq "JSONL process events" "$(jq -s '[.[] | select(.type == "process" and .event == "exited")] | length' "$WORK/s.jsonl")" 4
