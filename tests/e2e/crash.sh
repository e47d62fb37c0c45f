#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A process killed with SIGKILL mid-run: reported crashed, the calls it
# made counted, its segment removed.
. "$(dirname "$0")/lib.sh"
N=12345
"$TMCOLLECT" --session crash --until-idle --summary "$WORK/s.json" &
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
expect_no_segments
