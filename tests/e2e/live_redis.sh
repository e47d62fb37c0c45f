#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A long-running real server monitored live: redis-server under the shim,
# tmcollect --listen and --jsonl, a bounded redis-benchmark load on
# loopback. While it runs /metrics shows the calls; afterwards the JSONL
# deltas add up to the summary, and the successful accepts equal the
# server's own total_connections_received.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
command -v redis-server >/dev/null || fail "redis-server not installed (tools/setup installs it)"
port=$(free_port)
start_tmcollect_http --session lr --interval 0.25 --summary "$WORK/s.json" --jsonl "$WORK/s.jsonl"
LD_PRELOAD="$SHIM" TM_SESSION=lr TM_SYMBOLS=accept,accept4,read,write,epoll_wait \
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$WORK" --logfile "$WORK/redis.log" &
redis=$!
tm_on_exit "kill $redis 2>/dev/null"
for _ in $(seq 1 200); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
redis-cli -p "$port" ping | grep -q PONG || fail "redis-server did not start"
timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -n 10000 -c 20 -t set,get -q >"$WORK/bench.out"
echo "ok: redis-benchmark: $(tr '\r' '\n' <"$WORK/bench.out" | grep -c 'requests per second') tests"
# live, while the server still runs: the reads are there
for _ in $(seq 1 100); do
	curl -s -f "$TM_HTTP_URL/metrics" -o "$WORK/m.txt"
	n=$(sed -n 's/^tm_calls_total{.*process="redis-server",function="read".*} //p' "$WORK/m.txt")
	[ "${n:-0}" -ge 20000 ] && break
	sleep 0.05
done
[ "${n:-0}" -ge 20000 ] || fail "live /metrics: read calls ${n:-none}, expected >= 20000 requests read"
echo "ok: live /metrics: $n read calls of redis-server"
conns=$(redis-cli -p "$port" info stats | tr -d '\r' | sed -n 's/^total_connections_received://p')
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
wait $redis || true
for _ in $(seq 1 200); do
	jq -e 'select(.type == "process" and .event == "exited")' "$WORK/s.jsonl" >/dev/null 2>&1 && break
	sleep 0.05
done
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID" || fail "tmcollect exit status"
ok=$(jq '[.symbols[] | select(.name == "accept" or .name == "accept4") | .ok] | add' "$WORK/s.json")
# the INFO connection counts itself; the SHUTDOWN one comes after it
expect_eq "successful accepts = redis total_connections_received + 1" "$ok" $((conns + 1))
for f in read write epoll_wait accept4; do
	want=$(calls "$WORK/s.json" $f)
	expect_eq "JSONL deltas of $f add up to the summary" \
		"$(jq -s --arg n $f '[.[] | select(.type == "interval" and .function == $n) | .calls] | add // 0' "$WORK/s.jsonl")" "$want"
done
expect_eq "redis-server reported exited" "$(jq -r '.processes[] | select(.argv[0] | endswith("redis-server")) | .status' "$WORK/s.json")" exited
