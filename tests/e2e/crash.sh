#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A process killed with SIGKILL mid-run: reported crashed, the calls it
# made counted, its segment removed; the --jsonl stream says so as it
# happens (a process "started" and a "crashed" event with its pid).
. "$(dirname "$0")/lib.sh"
N=12345
"$TMCOLLECT" --session crash --until-idle --summary "$WORK/s.json" --jsonl "$WORK/c.jsonl" &
coll=$!
mkfifo "$WORK/in"
exec 3<>"$WORK/in" # keeps the target's stdin open
LD_PRELOAD="$SHIM" TM_SESSION=crash TM_SYMBOLS=work_noop "$TARGETS/blocker" $N <&3 >"$WORK/out" &
victim=$!
# wait for the condition, not for time: the target says it is ready
for _ in $(seq 1 500); do grep -q ready "$WORK/out" && break; sleep 0.01; done
grep -q ready "$WORK/out" || fail "target never got ready"
kill -KILL $victim
wait $victim || true
wait $coll
expect_eq "status" "$(jqv "$WORK/s.json" '.processes[0].status')" crashed
expect_eq "pid" "$(jqv "$WORK/s.json" '.processes[0].pid')" $victim
expect_eq "calls" "$(calls "$WORK/s.json" work_noop)" $N
expect_eq "stream: started" \
	"$(jq -s --argjson p $victim '[.[] | select(.type == "process" and .event == "started" and .pid == $p)] | length' "$WORK/c.jsonl")" 1
expect_eq "stream: crashed" \
	"$(jq -s --argjson p $victim '[.[] | select(.type == "process" and .event == "crashed" and .pid == $p)] | length' "$WORK/c.jsonl")" 1
expect_eq "stream: exited" "$(jq -s '[.[] | select(.type == "process" and .event == "exited")] | length' "$WORK/c.jsonl")" 0
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:stream:1 "$WORK/c.jsonl" --lines >/dev/null || fail "stream schema"
expect_no_segments
