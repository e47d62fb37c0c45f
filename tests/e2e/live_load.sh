#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 50 clients scrape /metrics and /api/v1/summary for 10 s (bounded) while a
# target makes 1M monitored calls/s: every count still exact, every
# request answered, the collector alive and its memory flat.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
RATE=1000000
SECS=10
start_tmcollect_http --session ll --summary "$WORK/s.json"
LD_PRELOAD="$SHIM" TM_SESSION=ll TM_SYMBOLS=work_noop "$TM_BUILD/tests/bench_paced" $RATE $SECS \
	>"$WORK/paced.out" &
target=$!
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$TM_HTTP_PID/status"; }
python3 - "$TM_HTTP_PORT" "$SECS" "$WORK/rss" "$TM_HTTP_PID" >"$WORK/clients.out" <<'PY' || { cat "$WORK/clients.out"; fail "clients"; }
import http.client, sys, threading, time
port, secs, rss_file, pid = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
stop = time.monotonic() + secs
done, bad = [0] * 50, []
def rss():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS"):
            return int(l.split()[1])
def client(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    paths = ["/metrics", "/api/v1/summary", "/api/v1/series?function=work_noop&window=1m"]
    while time.monotonic() < stop:
        try:
            c.request("GET", paths[done[i] % 3])
            r = c.getresponse()
            r.read()
            if r.status != 200:
                bad.append(r.status)
            done[i] += 1
        except (ConnectionError, http.client.HTTPException, OSError):
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
samples = []
ts = [threading.Thread(target=client, args=(i,)) for i in range(50)]
for t in ts:
    t.start()
while time.monotonic() < stop:
    samples.append(rss())
    time.sleep(0.5)
for t in ts:
    t.join()
open(rss_file, "w").write(" ".join(map(str, samples)))
print("requests=%d failed=%d" % (sum(done), len(bad)))
sys.exit(1 if bad or sum(done) < 500 else 0)
PY
echo "ok: 50 clients: $(cat "$WORK/clients.out")"
wait $target
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID" || fail "tmcollect exit status"
total=$((RATE / 1000 * SECS * 1000))
grep -q "paced calls=$total" "$WORK/paced.out" || fail "target: $(cat "$WORK/paced.out")"
expect_eq "calls under load" "$(calls "$WORK/s.json" work_noop)" $total
# memory flat: after the first 3 s, at most 8 MiB more (windows fill up,
# buffers reach their size; nothing may grow per request or per call)
read -r -a r <"$WORK/rss" || true
echo "collector RSS (KiB) every 0.5 s: ${r[*]}"
if [ -n "${TM_SANITIZED:-}" ]; then
	echo "skip: memory flatness under ASan (its quarantine keeps freed memory)"
else
	[ $((r[${#r[@]} - 1] - r[6])) -le 8192 ] || fail "collector memory grew from ${r[6]} to ${r[${#r[@]} - 1]} KiB"
	echo "ok: collector memory flat"
fi
