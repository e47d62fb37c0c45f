#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The time axis against the target's own clock: a target with two phases
# of known rate and latency (100 calls/s of 1 ms, then 400 calls/s of
# 200 us) — the per-second calls and p50 in /api/v1/series match what the
# target measured for each second of CLOCK_MONOTONIC; and a call blocked
# for 5 s is reported in flight, with its age, while it blocks. slow_ms
# 0.5 lies between the phases: `slow` (summary, windows, series) counts
# the 1 ms calls and not the 200 us ones, as the target's own clock says.
# An untimed call of a sampled function blocked in flight is counted
# there, without an age.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
start_tmcollect_http --session lw --interval 0.25 --summary "$WORK/s.json"
LD_PRELOAD="$SHIM" TM_SESSION=lw TM_CONFIG="$DATA/phases_slow.json" PHASES_SLOW_NS=500000 \
	"$TARGETS/phases" 100:1000:4 400:200:4 >"$WORK/phases.out"
total=$(sed -n 's/^done calls=\([0-9]*\).*/\1/p' "$WORK/phases.out")
expect_eq "target calls" "$total" $((400 + 1600))
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/api/v1/series?function=phase_work&window=1m" -o "$WORK/ser.json"
	[ "$(jq '[.points[].calls] | add' "$WORK/ser.json")" = "$total" ] && break
	sleep 0.05
done
expect_eq "series calls" "$(jq '[.points[].calls] | add' "$WORK/ser.json")" "$total"
python3 - "$WORK/phases.out" "$WORK/ser.json" <<'PY' || fail "per-second series against the target"
import json, sys
own = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "sec":
        own[int(f[1])] = (int(f[3]), int(f[5]))
pts = {p["start_mono_ns"] // 10**9: p for p in json.load(open(sys.argv[2]))["points"] if p["calls"]}
assert set(pts) == set(own), "seconds with calls: %s vs the target's %s" % (sorted(pts), sorted(own))
checked = 0
for s, (n, p50) in sorted(own.items()):
    got = pts[s]
    # a call ending within the clock conversion's error of a second's
    # boundary may land in the next one: +-2 calls
    assert abs(got["calls"] - n) <= 2, "second %d: %d calls, target %d" % (s, got["calls"], n)
    if n >= 50:
        e = abs(got["p50_ns"] - p50) / p50
        assert e <= 0.03, "second %d: p50 %d ns, target %d ns" % (s, got["p50_ns"], p50)
        checked += 1
    print("ok: second %d: %d calls (target %d), p50 %s ns (target %d)" % (s, got["calls"], n, got["p50_ns"], p50))
assert checked >= 6, "only %d full seconds" % checked
PY
# slow: the calls over 0.5 ms. The target's duration of a call holds tm's
# (its clock is read outside the hook): tm's count is at most the
# target's; and it is at least the 400 calls of the first phase, whose
# 1 ms of work is inside the call. (Not "the target's minus those near
# 0.5 ms": a 0.2 ms call preempted between the target's clock and the
# hook's looks slow to the target only, by any margin: a CI run saw it.)
over=$(sed -n 's/^slow over=\([0-9]*\) near=.*/\1/p' "$WORK/phases.out")
near=$(sed -n 's/^slow over=[0-9]* near=\([0-9]*\)$/\1/p' "$WORK/phases.out")
# the live document is rendered by the loop: wait for one with every call sealed
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/api/v1/summary" -o "$WORK/slow.json"
	[ "$(field "$WORK/slow.json" phase_work 'windows["1m"].calls')" = "$total" ] && break
	sleep 0.05
done
slow=$(field "$WORK/slow.json" phase_work slow)
awk -v s="$slow" -v o="$over" -v c="$total" 'BEGIN { exit !(s >= 400 && s < c && s <= o) }' ||
	fail "slow $slow: the target saw $over calls over 0.5 ms ($near within 50 us of it), of $total"
echo "ok: slow $slow of $total calls (the target: $over over 0.5 ms, $near of them near it)"
expect_eq "slow in the 1m window" "$(field "$WORK/slow.json" phase_work 'windows["1m"].slow')" "$slow"
expect_eq "slow in the 15m window" "$(field "$WORK/slow.json" phase_work 'windows["15m"].slow')" "$slow"
curl -s -f "$TM_HTTP_URL/api/v1/series?function=phase_work&window=1m" -o "$WORK/ser.json"
expect_eq "slow in the per-second series" "$(jq '[.points[].slow] | add' "$WORK/ser.json")" "$slow"
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/metrics" -o "$WORK/m.txt"
	grep -q "^tm_calls_total{.*function=\"phase_work\".*} $total\$" "$WORK/m.txt" && break
	sleep 0.05
done
grep -q "^tm_call_slow_total{.*function=\"phase_work\".*} $slow\$" "$WORK/m.txt" ||
	fail "tm_call_slow_total: $(grep 'tm_call_slow_total.*phase_work' "$WORK/m.txt")"

# a call blocked in read(0) for 5 s
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
tb=$(date +%s%N)
LD_PRELOAD="$SHIM" TM_SESSION=lw TM_SYMBOLS=read "$TARGETS/blocker" 10 <&3 >"$WORK/b.out" &
blocker=$!
tm_on_exit "kill $blocker 2>/dev/null"
for _ in $(seq 1 500); do grep -q ready "$WORK/b.out" && break; sleep 0.01; done
t0=$(date +%s%N)
for _ in $(seq 1 300); do
	curl -s -f "$TM_HTTP_URL/api/v1/summary" -o "$WORK/live.json"
	[ "$(jq '[.symbols[] | select(.name == "read") | .oldest_in_flight_ns // 0] | max >= 5e9' "$WORK/live.json")" = true ] && break
	sleep 0.05
done
t1=$(date +%s%N)
expect_eq "read in flight" "$(field "$WORK/live.json" read in_flight)" 1
age=$(field "$WORK/live.json" read oldest_in_flight_ns)
# the age is the blocked time seen by the test, within an interval (and a scrape)
awk -v a="$age" -v lo="$t0" -v hi="$t1" 'BEGIN { d = (hi - lo); exit !(a >= 5e9 && a <= d + 0.5e9 && a >= d - 0.75e9) }' ||
	fail "age $age ns, blocked for $(((t1 - t0) / 1000000)) ms by the test's clock"
echo "ok: read in flight for $age ns (the test saw $(((t1 - t0) / 1000000)) ms)"
expect_eq "stuck call: pid" "$(jq '.stuck[] | select(.function == "read") | .pid' "$WORK/live.json")" $blocker
expect_eq "stuck call: tid" "$(jq '.stuck[] | select(.function == "read") | .tid' "$WORK/live.json")" $blocker
# it started after the blocker's launch (100 ms for the two clocks'
# reading) and about when the test saw it ready (the read follows the
# "ready" line: up to 1 s later on a loaded machine)
st=$(jq '.stuck[] | select(.function == "read") | .start_realtime_ns' "$WORK/live.json")
awk -v s="$st" -v lo="$tb" -v hi="$t0" 'BEGIN { exit !(s >= lo - 1e8 && s <= hi + 1e9) }' ||
	fail "stuck call's start $st not between $tb and $t0"
echo "ok: stuck call started $(((t0 - st) / 1000000)) ms before the test saw it ready"
curl -s -f "$TM_HTTP_URL/metrics" -o "$WORK/m.txt"
grep -q '^tm_calls_in_flight{.*function="read".*} 1$' "$WORK/m.txt" || fail "tm_calls_in_flight"
grep -qE '^tm_call_oldest_in_flight_seconds\{.*function="read".*\} [5-9]' "$WORK/m.txt" ||
	fail "tm_call_oldest_in_flight_seconds: $(grep oldest.*read "$WORK/m.txt")"
echo >&3
wait $blocker
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/api/v1/summary" -o "$WORK/live.json"
	[ "$(field "$WORK/live.json" read in_flight)" = 0 ] && break
	sleep 0.05
done
expect_eq "read in flight after the byte" "$(field "$WORK/live.json" read in_flight)" 0

# an untimed frame in flight: read sampled 1 in 10^6, with a success rule
# (so its untimed calls have a frame). A thread's first call of a sampled
# function is timed: the first read takes a byte already there, the
# second one blocks, untimed. It is in flight, with no age (its frame
# carries no start): oldest_in_flight_ns null, 0 in the gauge, not stuck.
mkfifo "$WORK/in2"
exec 4<>"$WORK/in2"
printf x >&4
LD_PRELOAD="$SHIM" TM_SESSION=lw TM_CONFIG="$DATA/sampled_read.json" "$TARGETS/blocker" 0 0 2 <&4 >"$WORK/b2.out" &
sblocker=$!
tm_on_exit "kill $sblocker 2>/dev/null"
for _ in $(seq 1 500); do grep -q ready "$WORK/b2.out" && break; sleep 0.01; done
grep -q ready "$WORK/b2.out" || fail "sampled blocker never got ready"
for _ in $(seq 1 200); do
	curl -s -f "$TM_HTTP_URL/api/v1/summary" -o "$WORK/u.json"
	[ "$(field "$WORK/u.json" sampled_read in_flight)" = 1 ] && [ "$(field "$WORK/u.json" sampled_read calls)" = 1 ] && break
	sleep 0.05
done
expect_eq "untimed read in flight" "$(field "$WORK/u.json" sampled_read in_flight)" 1
expect_eq "untimed read: the timed one returned" "$(field "$WORK/u.json" sampled_read timed)" 1
expect_eq "untimed read: no age" "$(field "$WORK/u.json" sampled_read oldest_in_flight_ns)" null
expect_eq "untimed read: not listed as stuck" \
	"$(jq '[.stuck[] | select(.function == "sampled_read")] | length' "$WORK/u.json")" 0
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/metrics" -o "$WORK/m2.txt"
	grep -q '^tm_calls_in_flight{.*function="sampled_read".*} 1$' "$WORK/m2.txt" && break
	sleep 0.05
done
grep -q '^tm_calls_in_flight{.*function="sampled_read".*} 1$' "$WORK/m2.txt" || fail "tm_calls_in_flight of the untimed read"
grep -q '^tm_call_oldest_in_flight_seconds{.*function="sampled_read".*} 0$' "$WORK/m2.txt" ||
	fail "tm_call_oldest_in_flight_seconds of the untimed read: $(grep 'oldest.*sampled_read' "$WORK/m2.txt")"
echo "ok: the untimed read in /metrics: in flight 1, oldest 0"
printf x >&4
wait $sblocker
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/api/v1/summary" -o "$WORK/u.json"
	[ "$(field "$WORK/u.json" sampled_read in_flight)" = 0 ] && break
	sleep 0.05
done
expect_eq "untimed read in flight after the byte" "$(field "$WORK/u.json" sampled_read in_flight)" 0
expect_eq "sampled read: calls, timed" \
	"$(jq -r '.symbols[] | select(.name == "sampled_read") | "\(.calls) \(.timed)"' "$WORK/u.json")" "2 1"
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID"
expect_eq "summary: phase_work calls" "$(calls "$WORK/s.json" phase_work)" "$total"
expect_eq "summary: phase_work slow" "$(field "$WORK/s.json" phase_work slow)" "$slow"
