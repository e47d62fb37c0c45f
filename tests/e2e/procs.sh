#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The process life cycle, counted exactly (tests/targets/procs.c):
# - a call in flight across fork is the parent's: counted once (fork itself,
#   a monitored function that forks inside, daemon);
# - calls open when an image is replaced by a successful exec are counted
#   (unfinished), a failed exec's call completes normally;
# - processes ending through _exit (daemon's parent, libc-internal), the
#   exit_group system call (reaped by tmrun) are exited with their code, a
#   killed one crashed;
# - a monitored exec entry point still marks the image as exec'd;
# - a vfork child of a second thread making a long call counts it once.
. "$(dirname "$0")/lib.sh"
P="$TARGETS/procs"

# status and exit code of the processes, sorted: "exited:0 exec:null ..."
# every process's end: the listed ones, and those counted without calls
ends() {
	jq -r '[(.processes[] | "\(.status):\(.exit_code)"),
		(.processes_without_calls | (range(.exec) | "exec:null"),
		 (.exit_codes | to_entries[] | . as $e | range($e.value) | "exited:\($e.key)"))]
		| sort | join(" ")' "$1"
}
unfinished() { jq -r --arg n "$2" '[.symbols[] | select(.name == $n) | .unfinished] | add // 0' "$1"; }

# standalone: the shim alone, collected afterwards (no launcher to reap)
alone() {
	local s=$1
	shift
	LD_PRELOAD="$SHIM" TM_SESSION="$s" TM_SYMBOLS="$SYMS" "$@" >"$WORK/$s.out"
	"$TMCOLLECT" --session "$s" --until-idle --summary "$WORK/$s.json"
}

# 16: fork() monitored, the child calls on
"$TMRUN" -q -s 'fork,procs_leaf' -o "$WORK/fork.json" -- "$P" fork 5 >"$WORK/out"
grep -q "fork: child 0" "$WORK/out" || fail "fork: $(cat "$WORK/out")"
expect_eq "fork: fork calls" "$(calls "$WORK/fork.json" fork)" 1
expect_eq "fork: child's calls" "$(calls "$WORK/fork.json" procs_leaf)" 5
expect_eq "fork: ends" "$(ends "$WORK/fork.json")" "exited:0 exited:0"

# 16: a monitored function that forks inside; the child returns from it
"$TMRUN" -q -s 'procs_*' -o "$WORK/forkin.json" -- "$P" forkin 5 >"$WORK/out"
grep -q "forkin: child 7" "$WORK/out" || fail "forkin: $(cat "$WORK/out")"
expect_eq "forkin: procs_fork_inside calls" "$(calls "$WORK/forkin.json" procs_fork_inside)" 1
expect_eq "forkin: child's calls" "$(calls "$WORK/forkin.json" procs_leaf)" 5
expect_eq "forkin: ends" "$(ends "$WORK/forkin.json")" "exited:0 exited:7"

# 16 + 18: daemon() monitored: counted once (the parent's, never returned:
# unfinished); the parent ends with libc's internal _exit(0): exited 0
SYMS='daemon,procs_leaf' alone d1 "$P" daemon 5
expect_eq "daemon: daemon calls" "$(calls "$WORK/d1.json" daemon)" 1
expect_eq "daemon: unfinished" "$(unfinished "$WORK/d1.json" daemon)" 1
expect_eq "daemon: the daemon's calls" "$(calls "$WORK/d1.json" procs_leaf)" 5
expect_eq "daemon: ends" "$(ends "$WORK/d1.json")" "exited:0 exited:0"
SYMS='procs_leaf' alone d2 "$P" daemon 5
expect_eq "daemon unmonitored: ends" "$(ends "$WORK/d2.json")" "exited:0 exited:0"
"$TMRUN" -q -s 'procs_leaf' -o "$WORK/d3.json" -- "$P" daemon 5 >"$WORK/out"
expect_eq "daemon under tmrun: ends" "$(ends "$WORK/d3.json")" "exited:0 exited:0"

# 17: execl monitored, succeeding: its call is counted (unfinished)
"$TMRUN" -q -s 'execl,procs_leaf' -o "$WORK/execl.json" -- "$P" execl 5 >"$WORK/out"
grep -q "leaf: 15" "$WORK/out" || fail "execl: $(cat "$WORK/out")"
expect_eq "execl: calls" "$(calls "$WORK/execl.json" execl)" 1
expect_eq "execl: unfinished" "$(unfinished "$WORK/execl.json" execl)" 1
expect_eq "execl: the new image's calls" "$(calls "$WORK/execl.json" procs_leaf)" 5
expect_eq "execl: ends" "$(ends "$WORK/execl.json")" "exec:null exited:0"

# 17: a failed exec returns: its call completes as an ordinary one
"$TMRUN" -q -s 'execl,procs_leaf' -o "$WORK/execfail.json" -- "$P" execfail 5 >"$WORK/out"
grep -q "execfail: -1" "$WORK/out" || fail "execfail: $(cat "$WORK/out")"
expect_eq "failed execl: calls" "$(calls "$WORK/execfail.json" execl)" 1
expect_eq "failed execl: unfinished" "$(unfinished "$WORK/execfail.json" execl)" 0
expect_eq "failed execl: ends" "$(ends "$WORK/execfail.json")" "exited:0"

# 17: the main thread waits in pthread_join while another thread execs
"$TMRUN" -q -s 'pthread_join,procs_leaf' -o "$WORK/join.json" -- "$P" execjoin 5 >"$WORK/out"
grep -q "leaf: 15" "$WORK/out" || fail "execjoin: $(cat "$WORK/out")"
expect_eq "execjoin: pthread_join calls" "$(calls "$WORK/join.json" pthread_join)" 1
expect_eq "execjoin: unfinished" "$(unfinished "$WORK/join.json" pthread_join)" 1
expect_eq "execjoin: ends" "$(ends "$WORK/join.json")" "exec:null exited:0"

# 23: a monitored exec entry point still marks the image exec'd, also when
# the new image runs without the shim (here: an empty environment) and
# has the same executable: it was reported crashed
SYMS='execle,procs_leaf' alone e1 "$P" execlenv 5
grep -q "leaf: 15" "$WORK/e1.out" || fail "execlenv: $(cat "$WORK/e1.out")"
expect_eq "execle: ends" "$(ends "$WORK/e1.json")" "exec:null"
expect_eq "execle: calls" "$(calls "$WORK/e1.json" execle)" 1

# 18: _exit in a forked child and in the process itself
SYMS='procs_leaf' alone x1 "$P" _exit 3 || true
expect_eq "_exit: ends" "$(ends "$WORK/x1.json")" "exited:3 exited:3"
# 18: the exit_group system call, no libc: tmrun knows the status it reaped
set +e
"$TMRUN" -q -s procs_leaf -o "$WORK/raw.json" -- "$P" rawexit 3
rc=$?
"$TMRUN" -q -s procs_leaf -o "$WORK/kill.json" -- "$P" kill 0
krc=$?
set -e
expect_eq "exit_group: tmrun's status" $rc 3
expect_eq "exit_group: ends" "$(ends "$WORK/raw.json")" "exited:3"
expect_eq "killed: tmrun's status" $krc $((128 + 9))
expect_eq "killed: ends" "$(ends "$WORK/kill.json")" "crashed:null"

# 19: a second thread vforks; its child (on the thread's memory) makes 3
# calls and one that waits, and is let go only after the collector has
# sampled the call in flight three times (each sample an interval, 100 ms,
# apart; its liveness check runs every 100 ms between them)
rm -f "$WORK/ready" "$WORK/hold"
PROCS_READY="$WORK/ready" PROCS_HOLD="$WORK/hold" "$TMRUN" -q --jsonl "$WORK/v.jsonl" --interval 0.1 \
	-s 'procs_*' -o "$WORK/vfork.json" -- "$P" vforkthr 3 >"$WORK/out" &
vpid=$!
for _ in $(seq 300); do [ -e "$WORK/ready" ] && break; sleep 0.1; done
[ -e "$WORK/ready" ] || fail "vforkthr: the child never got inside"
for _ in $(seq 200); do
	n=$(jq -r 'select(.type == "interval" and .function == "procs_block" and .in_flight >= 1) | 1' "$WORK/v.jsonl" 2>/dev/null | wc -l)
	[ "$n" -ge 3 ] && break
	sleep 0.1
done
touch "$WORK/hold"
wait $vpid || fail "vforkthr: tmrun failed"
grep -q "vforkthr: child 0" "$WORK/out" || fail "vforkthr: $(cat "$WORK/out")"
expect_eq "vfork child: procs_block calls" "$(calls "$WORK/vfork.json" procs_block)" 1
expect_eq "vfork child: procs_leaf calls" "$(calls "$WORK/vfork.json" procs_leaf)" 3
expect_eq "vfork child: unwound" "$(jqv "$WORK/vfork.json" '[.symbols[].unwound] | add')" 0
expect_no_segments
