#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs without a collector leave their segments (a later collector still
# collects them); `tmcollect --gc` collects those of processes that are
# gone — into --summary, so nothing is lost — removes them with one line
# each, and leaves a running process's segment alone. Run while another
# collector is at work, it takes none of the segments that collector
# holds, of a running process or of one that ended: its counts stay exact.
. "$(dirname "$0")/lib.sh"
for s in a b c; do
	LD_PRELOAD="$SHIM" TM_SESSION=gc-$s TM_SYMBOLS=work_noop "$TARGETS/blocker" 300 </dev/null >/dev/null
done
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
LD_PRELOAD="$SHIM" TM_SESSION=gc-live TM_SYMBOLS=work_noop "$TARGETS/blocker" 50 <&3 >"$WORK/b.out" &
live=$!
trap 'kill $live 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 500); do grep -q ready "$WORK/b.out" && break; sleep 0.01; done
expect_eq "segments before --gc" "$(find "$TM_DIR" -name '*.tm' | wc -l)" 4
"$TMCOLLECT" --gc --summary "$WORK/gc.json" 2>"$WORK/gc.err"
cat "$WORK/gc.err"
expect_eq "segments after --gc: the running one" "$(find "$TM_DIR" -name '*.tm' | wc -l)" 1
find "$TM_DIR" -name 'gc-live.*.tm' | grep -q . || fail "the running process's segment was removed"
expect_eq "one line per removed segment" "$(grep -c '; removed$' "$WORK/gc.err")" 3
expect_eq "the calls of the gone processes, collected" \
	"$(jq '[.symbols[] | select(.session != "gc-live") | .calls] | add' "$WORK/gc.json")" 900
echo >&3
wait $live
"$TMCOLLECT" --session gc-live --until-idle --summary "$WORK/live.json"
expect_eq "the running one, collected later by its own collector" "$(calls "$WORK/live.json" work_noop)" 50
expect_no_segments

# --gc while another collector is collecting a session: the segments that
# collector holds are not gc's, whether their process still runs or has
# ended and is not finalized yet. The collector is stopped (SIGSTOP) once
# it holds both segments of session gc-run, so the process that then makes
# M more calls and ends is still its own when --gc runs; a segment left by
# a run without a collector (gc-old) is gc's.
N=200 M=300
LD_PRELOAD="$SHIM" TM_SESSION=gc-old TM_SYMBOLS=work_noop "$TARGETS/blocker" 40 </dev/null >/dev/null
mkfifo "$WORK/in1" "$WORK/in2"
exec 4<>"$WORK/in1" 5<>"$WORK/in2"
# without the fifos' other fds: a blocker left behind by a failure ends at
# EOF when this script does
LD_PRELOAD="$SHIM" TM_SESSION=gc-run TM_SYMBOLS=work_noop "$TARGETS/blocker" $N $M \
	<"$WORK/in1" >"$WORK/r1.out" 3>&- 4>&- 5>&- &
r1=$!
LD_PRELOAD="$SHIM" TM_SESSION=gc-run TM_SYMBOLS=work_noop "$TARGETS/blocker" $N $M \
	<"$WORK/in2" >"$WORK/r2.out" 3>&- 4>&- 5>&- &
r2=$!
"$TMCOLLECT" --session gc-run --until-idle --summary-every --interval 0.1 \
	--summary "$WORK/run.json" 2>"$WORK/run.err" 3>&- 4>&- 5>&- &
coll=$!
trap 'kill -CONT $coll 2>/dev/null || true; kill $r1 $r2 $coll 2>/dev/null || true; rm -rf "$WORK"' EXIT
# the collector holds both segments once its summary has both processes' first calls
for _ in $(seq 1 600); do
	[ "$(jq '.totals.calls' "$WORK/run.json" 2>/dev/null)" = $((2 * N)) ] && break
	kill -0 $coll 2>/dev/null || fail "the collector ended: $(cat "$WORK/run.err")"
	sleep 0.05
done
expect_eq "the collector has both processes' first calls" "$(jq '.totals.calls' "$WORK/run.json")" \
	$((2 * N))
kill -STOP $coll
stopped() { # every thread of the collector
	local st
	for st in /proc/$coll/task/*/stat; do
		[ "$(sed 's/.*) //' "$st" | cut -d' ' -f1)" = T ] || return 1
	done
}
for _ in $(seq 1 600); do stopped && break; sleep 0.01; done
stopped || fail "the collector did not stop"
echo >&4 # r1: M more calls, then it exits; r2 still runs
wait $r1
expect_eq "segments of gc-run before --gc" "$(find "$TM_DIR" -name 'gc-run.*.tm' | wc -l)" 2
"$TMCOLLECT" --gc --summary "$WORK/gc2.json" 2>"$WORK/gc2.err"
cat "$WORK/gc2.err"
expect_eq "--gc removed one segment" "$(grep -c '; removed$' "$WORK/gc2.err")" 1
grep '; removed$' "$WORK/gc2.err" | grep -q '/gc-old\.' || fail "--gc removed something else"
expect_eq "--gc collected gc-old's calls" \
	"$(jq '[.symbols[] | select(.session == "gc-old") | .calls] | add' "$WORK/gc2.json")" 40
expect_eq "--gc collected none of gc-run's" \
	"$(jq '[.symbols[] | select(.session == "gc-run") | .calls] | add // 0' "$WORK/gc2.json")" 0
expect_eq "segments of gc-run after --gc: both" "$(find "$TM_DIR" -name 'gc-run.*.tm' | wc -l)" 2
find "$TM_DIR" -name "gc-run.$r2.*.tm" | grep -q . || fail "the running process's segment was removed"
kill -CONT $coll
echo >&5 # r2: M more calls, then it exits
wait $r2
for _ in $(seq 1 600); do kill -0 $coll 2>/dev/null || break; sleep 0.05; done
kill -0 $coll 2>/dev/null && fail "the collector did not end once both processes had"
wait $coll || fail "the collector: $(cat "$WORK/run.err")"
expect_eq "the running collector's calls: exact" "$(calls "$WORK/run.json" work_noop)" $((2 * (N + M)))
expect_eq "its processes" "$(jq -c '[.processes[] | [.pid == '$r1' or .pid == '$r2', .status, .calls]] | sort' \
	"$WORK/run.json")" "[[true,\"exited\",$((N + M))],[true,\"exited\",$((N + M))]]"
expect_no_segments
