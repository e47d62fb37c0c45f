#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A process is watched to its end whatever becomes of its binary, and
# whatever it is told about itself:
#   - its executable is deleted while it runs (a package upgrade replacing
#     a running server's binary): /proc/PID/exe then ends in " (deleted)",
#     which is no exec; every call is counted;
#   - under valgrind, the program reads its own /proc/self/exe as itself,
#     the collector reads the tool: every call is counted.
. "$(dirname "$0")/lib.sh"
RULES="$DATA/twowork.json"

# deleted while it runs: a copy of the program (its library found by its
# RUNPATH), removed once its segment exists; it calls for 1.5 s more
cp "$TARGETS/twowork" "$WORK/tw-copy"
"$TMRUN" -q -c "$RULES" -o "$WORK/del.json" -- "$WORK/tw-copy" 2 200 a:50 >"$WORK/del.out" &
run=$!
for _ in $(seq 500); do
	compgen -G "$TM_DIR/*.tm" >/dev/null && break
	sleep 0.01
done
compgen -G "$TM_DIR/*.tm" >/dev/null || fail "no segment appeared"
rm "$WORK/tw-copy"
wait $run || fail "tmrun on the deleted binary: exit status $?"
expect_eq "binary deleted while running: its output" "$(cat "$WORK/del.out")" "tw_a calls=400 failed=0"
expect_eq "binary deleted while running: calls" "$(calls "$WORK/del.json" tw_a)" 400
expect_eq "binary deleted while running: no exec" "$(jq '[.processes[].status] | join(",")' "$WORK/del.json")" '"exited"'

if command -v valgrind >/dev/null; then
	"$TMRUN" -q -c "$RULES" -o "$WORK/vg.json" -- valgrind -q --tool=none "$TARGETS/twowork" 1 200 a:50 \
		>"$WORK/vg.out" || fail "tmrun valgrind: exit status $?"
	expect_eq "under valgrind: its output" "$(cat "$WORK/vg.out")" "tw_a calls=200 failed=0"
	expect_eq "under valgrind: calls" "$(calls "$WORK/vg.json" tw_a)" 200
else
	fail "valgrind is not installed (tools/setup installs it)"
fi
expect_no_segments
