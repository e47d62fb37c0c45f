#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real Prometheus server scrapes `tmcollect --listen` while a target calls
# work_noop at a known rate: tm_calls_total in Prometheus equals the
# summary's exact count after the run, rate() is within 5% of the known
# rate while it runs, and histogram_quantile(0.99) lies in the bucket that
# holds the summary's p99.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
RATE=20000
SECS=20
start_tmcollect_http --session lp --interval 0.25 --summary "$WORK/s.json"
start_prometheus "127.0.0.1:$TM_HTTP_PORT"
prom_wait_for 'up{job="tm"}' '. == 1' 20 || fail "Prometheus never scraped tmcollect"

LD_PRELOAD="$SHIM" TM_SESSION=lp TM_SYMBOLS=work_noop "$TM_BUILD/tests/bench_paced" $RATE $SECS \
	>"$WORK/paced.out" &
target=$!
sel='tm_calls_total{function="work_noop",session="lp"}'
# 15 s in: a 10 s rate window lies in the steady part of the run (long
# enough that the target being descheduled for a moment on a busy machine
# moves its rate by far less than 5%)
prom_wait_for "$sel" ". != null and . >= $((RATE * 15))" 40 || fail "no steady series in Prometheus"
r=$(prom_query "rate(${sel}[10s])")
awk -v r="$r" -v want=$RATE 'BEGIN { e = (r - want) / want; exit !(e < 0.05 && e > -0.05) }' ||
	fail "rate() = $r, known rate $RATE"
echo "ok: rate() = $r within 5% of $RATE"
wait $target
total=$((RATE / 1000 * SECS * 1000))
grep -q "paced calls=$total" "$WORK/paced.out" || fail "target: $(cat "$WORK/paced.out")"
prom_wait_for "$sel" ". == $total" 20 || fail "Prometheus never saw $total calls: $(prom_query "$sel")"
echo "ok: Prometheus tm_calls_total = $total"

# the whole-run histogram takes each second once it is sealed: wait until
# it holds every call, then compare its p99 with the summary's
prom_wait_for 'tm_call_duration_seconds_count{function="work_noop",session="lp"}' ". == $total" 20 ||
	fail "the histogram never held every call"
q=$(prom_query "histogram_quantile(0.99, tm_call_duration_seconds_bucket{function=\"work_noop\",session=\"lp\"})")
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID" || fail "tmcollect exit status"
expect_eq "summary calls" "$(calls "$WORK/s.json" work_noop)" $total
p99=$(field "$WORK/s.json" work_noop p99_ns)
# the bucket of the Prometheus histogram that holds the summary's p99
python3 - "$q" "$p99" <<'PY' || fail "histogram_quantile(0.99) = $q s, summary p99 = $p99 ns"
import sys
q, p99 = float(sys.argv[1]), float(sys.argv[2]) / 1e9
b = [0] + [m * 10.0 ** e for e in range(-7, 1) for m in (1, 2.5, 5)] + [10]
lo = max(x for x in b if x < p99) if p99 > 0 else 0
hi = min(x for x in b if x >= p99)
sys.exit(0 if lo <= q <= hi else 1)
PY
echo "ok: histogram_quantile(0.99) = $q s in the bucket of p99 = $p99 ns"
