#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One collector for many services: --session 'svc-*' collects svc-a and
# svc-b (a session label separates them) and leaves other-c alone;
# tmrun --listen serves the command's calls while it runs; and --session
# '*' collects every session of the user, each under its own label.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_prom.sh"
start_tmcollect_http --session 'svc-*' --interval 0.25 --summary "$WORK/s.json"
for s in svc-a:1000 svc-b:3000 other-c:500; do
	LD_PRELOAD="$SHIM" TM_SESSION=${s%:*} TM_SYMBOLS=work_noop "$TARGETS/blocker" ${s#*:} </dev/null >/dev/null
done
for _ in $(seq 1 200); do
	curl -s -f "$TM_HTTP_URL/metrics" -o "$WORK/m.txt"
	grep -q 'tm_calls_total{session="svc-b".*} 3000$' "$WORK/m.txt" &&
		grep -q 'tm_calls_total{session="svc-a".*} 1000$' "$WORK/m.txt" && break
	sleep 0.05
done
grep -q 'tm_calls_total{session="svc-a",process="blocker",function="work_noop".*} 1000$' "$WORK/m.txt" ||
	fail "svc-a: $(grep tm_calls_total "$WORK/m.txt")"
grep -q 'tm_calls_total{session="svc-b",process="blocker",function="work_noop".*} 3000$' "$WORK/m.txt" ||
	fail "svc-b"
grep -q 'session="other-c"' "$WORK/m.txt" && fail "other-c was collected"
echo "ok: one collector, two sessions, separate series; the third session left alone"
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID"
expect_eq "summary: svc-b's work_noop" \
	"$(jq '.symbols[] | select(.session == "svc-b" and .name == "work_noop") | .calls' "$WORK/s.json")" 3000
expect_eq "other-c's segment still there for its own collector" \
	"$(find "$TM_DIR" -name 'other-c.*.tm' | wc -l)" 1
"$TMCOLLECT" --session other-c --until-idle --summary "$WORK/c.json"
expect_eq "other-c collected later" "$(calls "$WORK/c.json" work_noop)" 500

# tmrun --listen: the calls are served while the command runs
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
"$TMRUN" -q -s work_noop --listen 127.0.0.1:0 --port-file "$WORK/port" --interval 0.25 \
	-o "$WORK/r.json" -- "$TARGETS/blocker" 2500 <&3 >"$WORK/b.out" &
tmrun=$!
tm_on_exit "kill $tmrun 2>/dev/null"
port=$(wait_port_file "$WORK/port" 20 $tmrun) || fail "tmrun wrote no port file"
for _ in $(seq 1 200); do
	curl -s -f "http://127.0.0.1:$port/metrics" -o "$WORK/r.txt" &&
		grep -q 'tm_calls_total{.*function="work_noop".*} 2500$' "$WORK/r.txt" && break
	sleep 0.05
done
grep -q 'tm_calls_total{.*function="work_noop".*} 2500$' "$WORK/r.txt" || fail "tmrun --listen: $(grep calls_total "$WORK/r.txt")"
echo "ok: tmrun --listen serves the calls while the command runs"
echo >&3
wait $tmrun || fail "tmrun exit status"
expect_eq "tmrun summary" "$(calls "$WORK/r.json" work_noop)" 2500

# --session '*': every session of the user, one collector; a session's
# segment made before it started is taken too; the session label keeps
# their series apart, the summary's session field their functions
LD_PRELOAD="$SHIM" TM_SESSION=early TM_SYMBOLS=work_noop "$TARGETS/blocker" 250 </dev/null >/dev/null
start_tmcollect_http --session '*' --interval 0.25 --summary "$WORK/all.json"
for s in alpha:700 beta-2:1300 g_3:400; do
	LD_PRELOAD="$SHIM" TM_SESSION=${s%:*} TM_SYMBOLS=work_noop "$TARGETS/blocker" ${s#*:} </dev/null >/dev/null
done
want="early:250 alpha:700 beta-2:1300 g_3:400"
for _ in $(seq 1 200); do
	curl -s -f "$TM_HTTP_URL/metrics" -o "$WORK/all.txt"
	ok=1
	for s in $want; do
		grep -q "^tm_calls_total{session=\"${s%:*}\",.*} ${s#*:}\$" "$WORK/all.txt" || ok=0
		# the histogram holds sealed seconds
		grep -q "^tm_call_duration_seconds_count{session=\"${s%:*}\",.*} ${s#*:}\$" "$WORK/all.txt" || ok=0
	done
	[ $ok = 1 ] && break
	sleep 0.05
done
for s in $want; do
	grep -q "^tm_calls_total{session=\"${s%:*}\",process=\"blocker\",function=\"work_noop\".*} ${s#*:}\$" "$WORK/all.txt" ||
		fail "--session '*': ${s%:*}: $(grep '^tm_calls_total' "$WORK/all.txt")"
	grep -q "^tm_call_duration_seconds_count{session=\"${s%:*}\",process=\"blocker\",function=\"work_noop\".*} ${s#*:}\$" "$WORK/all.txt" ||
		fail "--session '*': ${s%:*}'s duration histogram"
done
expect_eq "--session '*': sessions in tm_calls_total" \
	"$(grep '^tm_calls_total{' "$WORK/all.txt" | sed 's/^tm_calls_total{session="\([^"]*\)".*/\1/' | sort -u | tr '\n' ' ')" \
	"alpha beta-2 early g_3 "
echo "ok: --session '*' collects every session, each series labelled with its own"
promtool check metrics <"$WORK/all.txt" >"$WORK/lint" 2>&1 || { cat "$WORK/lint"; fail "promtool check metrics"; }
kill -INT "$TM_HTTP_PID"
wait "$TM_HTTP_PID"
for s in $want; do
	expect_eq "--session '*' summary: ${s%:*}'s work_noop" \
		"$(jq --arg s "${s%:*}" '.symbols[] | select(.session == $s and .name == "work_noop") | .calls' "$WORK/all.json")" "${s#*:}"
done
expect_eq "--session '*' summary: totals" "$(jqv "$WORK/all.json" .totals.calls)" $((250 + 700 + 1300 + 400))
expect_no_segments
