#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGINT stops tmcollect with a final drain, a written summary and exit 0,
# leaving a still-running process's segment in place; a second collector
# takes over and counts only what came after, never anything twice.
. "$(dirname "$0")/lib.sh"
N=5000
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
LD_PRELOAD="$SHIM" TM_SESSION=ho TM_SYMBOLS=work_noop "$TARGETS/blocker" $N <&3 >"$WORK/out" &
victim=$!
for _ in $(seq 1 500); do grep -q ready "$WORK/out" && break; sleep 0.01; done
grep -q ready "$WORK/out" || fail "target never got ready"

"$TMCOLLECT" --session ho --summary "$WORK/a.json" &
first=$!
# wait until the first collector holds the segment's lock, then stop it
seg=$(find "$TM_DIR" -name 'ho.*.tm')
for _ in $(seq 1 500); do flock -n "$seg" true || break; sleep 0.01; done
flock -n "$seg" true && fail "the collector never attached"
kill -INT $first
wait $first && rc=0 || rc=$?
expect_eq "tmcollect exit status on SIGINT" $rc 0
expect_eq "first: status" "$(jqv "$WORK/a.json" '.processes[0].status')" running
expect_eq "first: calls" "$(calls "$WORK/a.json" work_noop)" $N
[ -e "$seg" ] || fail "segment of a running process was removed"

# the process ends normally; a second collector finishes the job
echo >&3
wait $victim
"$TMCOLLECT" --session ho --until-idle --summary "$WORK/b.json"
# it made no call this collector had to count: not listed, counted (a
# crashed or running one would be listed)
expect_eq "second: processes listed" "$(jqv "$WORK/b.json" '.processes | length')" 0
expect_eq "second: exited without calls" "$(jqv "$WORK/b.json" '.processes_without_calls.exit_codes["0"]')" 1
expect_eq "second: processes" "$(jqv "$WORK/b.json" '.totals.processes')" 1
expect_eq "second: calls (nothing twice)" "$(calls "$WORK/b.json" work_noop)" 0
# the windows too: the second collector's time axis holds nothing the first counted
expect_eq "second: calls in its 15 min window" \
	"$(jq '[.symbols[] | select(.name == "work_noop") | .windows["15m"].calls] | add' "$WORK/b.json")" 0
expect_eq "first: calls in its 15 min window" \
	"$(jq '[.symbols[] | select(.name == "work_noop") | .windows["15m"].calls] | add' "$WORK/a.json")" $N
expect_no_segments
