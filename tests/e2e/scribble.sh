#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Any process of the user can open a monitored program's segment and write
# into it. What the shim acts on (return addresses, stack pointers, depths,
# symbol ids, ring positions) is private to the process, so such a writer
# can change what is reported, never what the program does:
#  - a scribbler writing random bytes, all-ones, zeros, small integers and
#    pointer-like values over every byte of the live segments, round after
#    round, while the programs run (threads, sampled and count-only
#    symbols, recursion past the shadow stack, longjmp, signals, C++
#    exceptions, fork, every argument shape, threads without a slot): the
#    output and exit code are the native ones;
#  - the attack of the report: the return address of an open frame of a
#    call blocked inside monitored functions rewritten to another function
#    of the program, and a huge symbol id: the program finishes normally.
# No collector runs: the scribbler is the only other party.
. "$(dirname "$0")/lib.sh"
SCRIB="$TARGETS/scribbler"
# a small segment, so a round over every byte of it is quick
export TM_MAX_SYMBOLS=64 TM_MAX_THREADS=8 TM_RING=1024 TM_STACK=64

# scribbled NAME SYMBOLS CMD...: native run, then a run under the shim with
# the scribbler at work for as long as it lasts (at most 20 s)
scribbled() {
	local name=$1 syms=$2 rc nrc
	shift 2
	set +e
	"$@" >"$WORK/$name.native" 2>/dev/null
	nrc=$?
	rm -f "$TM_DIR"/*.tm
	"$SCRIB" fuzz 20 1000000 >"$WORK/$name.scrib" &
	local sp=$!
	LD_PRELOAD="$SHIM" TM_SYMBOLS="$syms" TM_CONFIG="$DATA/shapes.json" "$@" \
		>"$WORK/$name.shim" 2>"$WORK/$name.err"
	rc=$?
	wait $sp
	set -e
	expect_eq "$name: exit code" $rc $nrc
	cmp -s "$WORK/$name.native" "$WORK/$name.shim" ||
		fail "$name: output differs: $(head -c 300 "$WORK/$name.shim")"
	local live
	live=$(sed -n 's/.*live=//p' "$WORK/$name.scrib")
	[ "${live:-0}" -ge 1 ] || fail "$name: the scribbler never overlapped the run ($(cat "$WORK/$name.scrib"))"
	echo "ok: $name: same output and exit code as natively, $live rounds over the live segment"
}

H="$TARGETS/hostile"
scribbled timed 'work_noop,fail_if' "$TARGETS/threads" 4 2000000
scribbled sampled 'work_noop/7,fail_if/3' "$TARGETS/threads" 4 2000000
scribbled count_only 'work_noop/count,fail_if/5' "$TARGETS/threads" 4 2000000
scribbled slotless 'work_noop,fail_if/count' env TM_MAX_THREADS=2 "$TARGETS/threads" 6 500000
scribbled recurse 'call_cb' "$H" recurse 20000
scribbled longjmp 'call_cb,work_noop/3' "$H" longjmp 300000
scribbled tail 'tail_noop,work_noop' "$H" tail 5000000
scribbled signals 'work_noop,call_cb' "$H" signals 1000000
scribbled exceptions 'may_throw,relay,level2' "$TARGETS/throws" 20000
scribbled fork 'work_noop' "$TARGETS/forker" 300000 4 300000
scribbled shapes 'work_noop,add_int,ptr_id,dmul,fneg,ldtwice,big_make,mixed_pass,dpair_swap,vsum,many,call_cb' \
	"$TARGETS/shapes_pie" 1000000 direct
if [ -z "${TM_SANITIZED:-}" ]; then
	# (ASan aborts in its own thread teardown after pthread_exit, natively too)
	scribbled threads 'call_cb,work_noop' "$H" threads 2000
fi

# attack IN-FRAME-VALUE: victim blocks in call_cb -> read; the scribbler
# rewrites both open frames; then the read returns
attack() { # name ret sym
	mkfifo "$WORK/$1.in"
	exec 3<>"$WORK/$1.in"
	LD_PRELOAD="$SHIM" TM_SYMBOLS=call_cb,read "$TARGETS/victim" <&3 >"$WORK/$1.out" 2>"$WORK/$1.err" &
	local vp=$! rc
	for _ in $(seq 1 1000); do grep -q target= "$WORK/$1.out" && break; sleep 0.01; done
	local target
	target=$(sed -n 's/^target=\([^ ]*\).*/\1/p' "$WORK/$1.out")
	[ -n "$target" ] || fail "$1: victim never got ready"
	local ret=$2
	[ "$ret" = target ] && ret=$target
	# waits until the two calls are open, rewrites them
	"$SCRIB" frames 2 "$ret" "$3" >"$WORK/$1.scrib"
	expect_eq "$1: frames rewritten" "$(cat "$WORK/$1.scrib")" frames=2
	echo x >&3
	set +e
	wait $vp
	rc=$?
	set -e
	exec 3>&-
	expect_eq "$1: exit code" $rc 0
	expect_eq "$1: last line" "$(tail -n 1 "$WORK/$1.out")" "done 1"
	grep -q hijacked "$WORK/$1.out" && fail "$1: the program was redirected"
	echo "ok: $1: the program finished normally"
}
attack retaddr target 0
attack bad_sym 0 0x7fffffff
attack both target 0xfffffff0
