#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Per-thread CPU of the monitored threads (processes[].resources
# .monitored_threads) against /proc/PID/task/TID/stat read here: a target
# whose threads burn known CPU (150 and 300 ms after monitored calls, 200
# ms in a thread that makes none) and then wait, idle, while the test
# reads. Listed: the threads that made monitored calls and the thread
# that loaded the shim (the main thread, which makes none here: the
# shim's start-up probe of its floor runs on it); not the other thread.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
start_tmcollect_http --session lt --interval 0.25
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
LD_PRELOAD="$SHIM" TM_SESSION=lt TM_SYMBOLS=work_noop "$TARGETS/thrcpu" 150 300 u:200 <&3 >"$WORK/t.out" &
target=$!
tm_on_exit "kill $target 2>/dev/null"
for _ in $(seq 1 1000); do grep -q ready "$WORK/t.out" && break; sleep 0.01; done
grep -q ready "$WORK/t.out" || fail "target never got ready"
mon=$( (echo $target; awk '$1 == "thread" && $3 == "monitored" { print $2 }' "$WORK/t.out") | sort -n | tr '\n' ' ')
unmon=$(awk '$1 == "thread" && $3 == "unmonitored" { print $2 }' "$WORK/t.out")
hz=$(getconf CLK_TCK)
# check [-v]: the last sample (mt.json) against /proc/PID/task/TID/stat
# for every listed thread: the same ticks (each thread is idle once it
# printed its line), and at least what the thread burnt
check() {
	local tid kind ms ut st got
	while read -r tid kind ms; do
		[ "$kind" = unmonitored ] && continue
		# after the command's closing parenthesis: utime is the 12th field, stime the 13th
		read -r ut st < <(sed 's/.*) //' "/proc/$target/task/$tid/stat" | awk '{ print $12, $13 }')
		got=$(jq -r --argjson t "$tid" '.[] | select(.tid == $t) | "\(.cpu_user_s) \(.cpu_system_s)"' "$WORK/mt.json")
		awk -v g="$got" -v ut="$ut" -v st="$st" -v hz="$hz" -v ms="$ms" 'BEGIN {
			if (split(g, x, " ") != 2) exit 1
			u = ut / hz; s = st / hz
			exit !(x[1] - u <= 0.011 && u - x[1] <= 0.011 && x[2] - s <= 0.011 && s - x[2] <= 0.011 &&
			       x[1] + x[2] >= ms / 1000 - 0.02) }' || {
			[ "${1:-}" = -v ] && echo "thread $tid (burnt $ms ms): tm says user/system '$got' s, /proc $ut/$st ticks of 1/$hz s"
			return 1
		}
		[ "${1:-}" = -v ] && echo "ok: thread $tid burnt $ms ms: tm $got s, /proc $ut/$st ticks"
	done < <(echo "$target main 0"; awk '$1 == "thread" { print $2, $3, $4 }' "$WORK/t.out")
	return 0
}
sample() {
	curl -s -f "$TM_HTTP_URL/api/v1/processes" -o "$WORK/p.json"
	jq --argjson p $target '[.[] | select(.pid == $p) | .resources.monitored_threads[]?]' "$WORK/p.json" >"$WORK/mt.json"
}
# the collector samples /proc every interval: wait for a sample taken
# after every thread went idle
for _ in $(seq 1 200); do
	sample
	check && break
	sleep 0.05
done
check -v || fail "per-thread CPU against /proc"
expect_eq "threads listed" "$(jq -r '[.[].tid] | sort | map(tostring) | join(" ")' "$WORK/mt.json") " "$mon"
[ "$(jq --argjson t "$unmon" '[.[] | select(.tid == $t)] | length' "$WORK/mt.json")" = 0 ] ||
	fail "thread $unmon made no monitored call but is listed"
echo >&3
wait $target || fail "target exit status"
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID"
