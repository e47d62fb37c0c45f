#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The attacher restores every register it touched on a thread it borrows
# in user code. In every other attach test the borrowed thread is blocked
# in a system call, which itself clobbers rcx, r11 and rax and leaves no
# live flags: here no thread of the program ever enters the kernel while
# it runs (tests/targets/attach_regs.c: each thread, the main one too,
# spins in a loop that holds live values in every general-purpose register
# but rsp, in ymm0-15, in the flags with DF set, in MXCSR (rounding toward
# zero, the inexact exception unmasked: the attacher must give the call it
# injects the default control state) and in its red zone, and checks them
# after each iteration).
#
# How the attacher picks the thread (tools/attach/inject.c, tm_candidates
# and tm_safe_point): threads blocked in a harmless system call first,
# then threads running or stopped in user code; a thread in user code is
# taken unless its instruction pointer is in the dynamic linker, libc or
# the shim, or it is inside a signal handler, or has too little stack.
# It neither refuses nor waits for such a thread. Here every thread is in
# user code, so every borrow (one per attach, the first also loading the
# shim, and one per detach) takes one there. The test makes sure of it:
# tmrun stops itself right after it has stopped a thread
# (TM_ATTACH_STOP_AT=stopped), and the stopped thread's
# /proc/PID/task/TID/syscall must say "-1" (not in a system call) with its
# instruction pointer in the program's own code; at least one must be
# inside the checking loop (in practice all are: the loop is all it runs).
#
# Attach, run, detach, four times while the threads spin: twice with every
# thread spinning (the main thread, first in /proc/PID/task, is the one
# borrowed), then twice with the main thread parked in a contended lock's
# futex wait (SIGUSR1), which the attacher does not borrow, so that a
# thread on a pthread stack is. Then the program must report zero
# mismatches, and its output and exit code must equal those of an
# unattached run given the same signals.
. "$(dirname "$0")/attach_lib.sh"
PROG="$TARGETS/attach_regs"
N=3 # threads, all spinning
CYCLES=4 # two with the main thread spinning, two with it parked

state() { awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null || echo gone; }

# in_user_code PID: every thread of PID runs (or is preempted) in user
# code, none is in a system call; with PARKED set, the main thread is in
# futex (202) instead
PARKED=
in_user_code() {
	local t l n=0
	for t in /proc/"$1"/task/*; do
		l=$(cat "$t/syscall" 2>/dev/null) || return 1
		if [ -n "$PARKED" ] && [ "${t##*/}" = "$1" ]; then
			case "$l" in "202 "*) n=$((n + 1)) ;; *) return 1 ;; esac
			continue
		fi
		case "$l" in running | "-1 "*) n=$((n + 1)) ;; *) return 1 ;; esac
	done
	[ "$n" -eq "$N" ]
}
wait_user_code() {
	for ((i = 0; i < 1500; i++)); do
		in_user_code "$1" && return 0
		sleep 0.02
	done
	fail "the threads of $1 are not where they should be: $(cat /proc/"$1"/task/*/syscall)"
}

# where PID PC: "loop" if PC is in tm_regs_round, "exe" elsewhere in the
# program, else the file it is mapped from
where() {
	python3 - "$1" "$2" "$PROG" <<'PY'
import os, subprocess, sys
pid, pc, exe = int(sys.argv[1]), int(sys.argv[2], 16), os.path.realpath(sys.argv[3])
base, name = None, "anon"
for l in open(f"/proc/{pid}/maps"):
    f = l.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if len(f) > 5 and f[5] == exe and int(f[2], 16) == 0 and base is None:
        base = lo
    if lo <= pc < hi:
        name = f[5].rsplit("/", 1)[-1] if len(f) > 5 else "anon"
if name == os.path.basename(exe):
    name = "exe"
    for l in subprocess.run(["nm", "-S", exe], capture_output=True, text=True).stdout.splitlines():
        f = l.split()
        if len(f) == 4 and f[3] == "tm_regs_round":
            a, s = int(f[0], 16), int(f[1], 16)
            if base + a <= pc < base + a + s:
                name = "loop"
print(name)
PY
}

# cycle PID K: one attachment with --duration, tmrun stopping itself at
# each thread it stops; each stopped thread is looked at, then tmrun goes on
BORROWS=0
IN_LOOP=0
cycle() {
	local pid=$1 k=$2 tr st t tid line pc w seen=""
	TM_ATTACH_STOP_AT=stopped "$TMRUN" --attach "$pid" -c "$WORK/cfg.json" --duration 0.3 \
		-o "$WORK/s$k.json" 2>"$WORK/t$k.err" &
	tr=$!
	PIDS+=("$tr")
	for ((i = 0; i < 3000; i++)); do
		st=$(state "$tr")
		[ "$st" = Z ] || [ "$st" = gone ] && break
		if [ "$st" = T ]; then
			tid=""
			for t in /proc/"$pid"/task/*; do
				[ "$(state "$pid/task/${t##*/}")" = t ] && tid=${t##*/}
			done
			[ -n "$tid" ] || fail "cycle $k: tmrun stopped with no thread of $pid stopped"
			line=$(cat "/proc/$pid/task/$tid/syscall")
			case "$line" in
			"-1 "*) ;;
			*) fail "cycle $k: thread $tid stopped in a system call: $line" ;;
			esac
			pc=${line##* }
			w=$(where "$pid" "$pc")
			echo "cycle $k: thread $tid stopped in user code at $pc ($w)"
			[ "$w" = loop ] || [ "$w" = exe ] || fail "cycle $k: thread $tid stopped in $w"
			BORROWS=$((BORROWS + 1))
			[ "$w" = loop ] && IN_LOOP=$((IN_LOOP + 1))
			seen="$seen $tid"
			kill -CONT "$tr"
		fi
		sleep 0.005
	done
	set +e
	wait "$tr"
	local rc=$?
	set -e
	expect_eq "cycle $k: tmrun exit code" $rc 0
	grep -q "^tmrun: detached from process $pid" "$WORK/t$k.err" ||
		fail "cycle $k: $(cat "$WORK/t$k.err")"
	# the thread tmrun says it borrowed is one we saw stopped in user code
	tid=$(sed -n 's/^tmrun: attached to process [0-9]* (thread \([0-9]*\) borrowed.*/\1/p' \
		"$WORK/t$k.err")
	case " $seen " in
	*" $tid "*) ;;
	*) fail "cycle $k: borrowed thread '$tid' not among the stopped:$seen" ;;
	esac
	[ -z "$PARKED" ] || [ "$tid" != "$pid" ] || fail "cycle $k: the parked main thread was borrowed"
	not_stopped "$pid"
	wait_user_code "$pid"
}

# slow_ms 0.1: the shim's set-up computes 0.1 * 1e6, an inexact result;
# the program's threads run with the precision exception unmasked, so the
# set-up must not run under their MXCSR (it would be a SIGFPE)
echo '{"symbols": {"work_noop": {"slow_ms": 0.1}}}' >"$WORK/cfg.json"

run() { # run OUT [attach]: the program's exit status in RC
	"$PROG" $N >"$1" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait_for "$1" '^(started|no avx)'
	if grep -q '^no avx' "$1"; then
		echo "skip: this machine has no AVX"
		exit 77
	fi
	wait_user_code "$pid"
	if [ "${2:-}" = attach ]; then
		cycle "$pid" 1
		cycle "$pid" 2
	fi
	kill -USR1 "$pid"
	PARKED=1
	wait_user_code "$pid"
	if [ "${2:-}" = attach ]; then
		cycle "$pid" 3
		cycle "$pid" 4
	fi
	PARKED=
	kill -TERM "$pid"
	set +e
	wait "$pid"
	RC=$?
	set -e
}
run "$WORK/a.out" attach
cat "$WORK/a.out"
expect_eq "exit code attached" "$RC" 6
run "$WORK/b.out"
expect_eq "exit code unattached" "$RC" 6
expect_eq "output attached = unattached" "$(cat "$WORK/a.out")" "$(cat "$WORK/b.out")"
expect_eq "mismatches" "$(grep -c ' mismatches 0$' "$WORK/a.out")" $N
# every borrow (first load, then an attach and a detach per cycle) was
# seen in user code; at least one per attach and one per detach
[ "$BORROWS" -ge $((2 * CYCLES)) ] || fail "only $BORROWS borrows seen"
[ "$IN_LOOP" -ge 1 ] || fail "no thread was borrowed inside the checking loop"
echo "ok: $BORROWS threads stopped in user code, $IN_LOOP inside the checking loop"
