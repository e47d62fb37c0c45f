#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real server that was started without tm: redis-server on a free
# loopback port. tmrun --attach watches it while redis-benchmark runs a
# bounded load; the successful accepts equal the connections redis itself
# counted in between (INFO stats), and every command redis counted
# (INFO commandstats) was read while attached. A second attachment
# begins and ends while redis serves a load. After the detach redis
# serves as before and shuts down cleanly.
. "$(dirname "$0")/attach_lib.sh"
. "$(dirname "$0")/lib_prom.sh"
command -v redis-server >/dev/null || fail "redis-server not installed (tools/setup installs it)"
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$WORK" --logfile "$WORK/redis.log" &
redis=$!
PIDS+=("$redis")
for _ in $(seq 1 200); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
redis-cli -p "$port" ping | grep -q PONG || fail "redis-server did not start"
stat() { redis-cli -p "$port" info "$1" | tr -d '\r' | sed -n "s/^$2://p"; }
c0=$(stat stats total_connections_received)

"$TMRUN" --attach "$redis" -s accept,accept4,read,write,epoll_wait -o "$WORK/s.json" \
	2>"$WORK/t.err" &
tr=$!
PIDS+=("$tr")
wait_for "$WORK/t.err" '^tmrun: attached to process'
timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -n 20000 -c 10 -t set,get -q >"$WORK/bench.out"
echo "ok: redis-benchmark: $(tr '\r' '\n' <"$WORK/bench.out" | grep -c 'requests per second') tests"
c1=$(stat stats total_connections_received) # this INFO connection is counted too
kill -INT "$tr"
wait "$tr" || fail "tmrun: $(cat "$WORK/t.err")"
not_stopped "$redis"
ok=$(jq '[.symbols[] | select(.name == "accept" or .name == "accept4") | .ok] | add' "$WORK/s.json")
expect_eq "successful accepts = connections redis received while attached" "$ok" $((c1 - c0))
cmds=$(redis-cli -p "$port" info commandstats | tr -d '\r' |
	sed -n 's/^cmdstat_\(set\|get\):calls=\([0-9]*\).*/\2/p' | paste -sd+ | bc)
expect_eq "SET and GET redis counted" "$cmds" 40000
reads=$(calls "$WORK/s.json" read)
[ "$reads" -ge 40000 ] || fail "read calls $reads < the 40000 commands redis read"
echo "ok: $reads read calls for 40000 commands"

# attached and detached while redis serves a load: both switches happen
# under load (the commands counted between the switches were all read
# while attached; the load goes on after the detach)
sets() { redis-cli -p "$port" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_set:calls=\([0-9]*\).*/\1/p'; }
until_sets() { # until_sets N: until redis counted N SETs (bounded)
	for ((k = 0; k < 3000; k++)); do
		[ "$(sets)" -ge "$1" ] && return 0
		kill -0 "$bench" 2>/dev/null || fail "the load ended early: $(tr '\r' '\n' <"$WORK/bench2.out" | tail -2)"
		sleep 0.02
	done
	fail "redis did not reach $1 SETs"
}
timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -n 5000000 -c 10 -t set -q >"$WORK/bench2.out" 2>&1 &
bench=$!
PIDS+=("$bench")
until_sets $(($(sets) + 5000))
"$TMRUN" --attach "$redis" -s read,write -o "$WORK/s2.json" 2>"$WORK/t2.err" &
tr=$!
PIDS+=("$tr")
wait_for "$WORK/t2.err" '^tmrun: attached to process'
sa=$(sets)
until_sets $((sa + 20000))
sb=$(sets)
kill -INT "$tr"
wait "$tr" || fail "tmrun under load: $(cat "$WORK/t2.err")"
grep -q "^tmrun: detached from process $redis" "$WORK/t2.err" || fail "no detach line under load"
not_stopped "$redis"
until_sets $(($(sets) + 20000)) # still serving the load after the detach
kill -INT "$bench" 2>/dev/null || true
wait "$bench" 2>/dev/null || true
for f in read write; do
	n=$(calls "$WORK/s2.json" $f)
	[ "$n" -ge $((sb - sa)) ] || fail "$f calls $n < the $((sb - sa)) SETs redis served while attached"
	echo "ok: under load, $n $f calls for the $((sb - sa)) SETs served between the switches"
done

# after the detach: the same server, serving
expect_eq "after detach: SET" "$(redis-cli -p "$port" set k v)" OK
expect_eq "after detach: GET" "$(redis-cli -p "$port" get k)" v
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
set +e
wait "$redis"
rc=$?
set -e
expect_eq "redis exit status" $rc 0
if grep -Ei 'error|panic|assert' "$WORK/redis.log"; then fail "redis log"; fi
