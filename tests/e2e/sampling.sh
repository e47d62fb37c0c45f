#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sampling (name/N, "sample": N) and count-only (name/count,
# "count_only": true): every call is still counted exactly, failures keep
# their error codes, only 1 call in N is timed and the summary says so.
# Also through what return-address hijacking must survive (longjmp, tail
# calls, signals, C++ exceptions) with untimed frames on the shadow stack,
# across threads without a slot, fork, a full ring, and bad settings.
. "$(dirname "$0")/lib.sh"
J="$DATA/sampled.json"

# 4 threads x 1M: work_noop sampled 1 in 100 without a rule (counted in
# the trampoline, never hijacked), fail_if sampled 1 in 7 with a rule
# (untimed calls judged: every failure with its errno)
T=4 N=1000000
"$TMRUN" -q -s 'work_noop/100,fail_if/7' -c "$DATA/shapes.json" -o "$WORK/a.json" -- \
	"$TARGETS/threads" $T $N >"$WORK/out"
grep -q "threads=$T per=$N" "$WORK/out" || fail "target output: $(cat "$WORK/out")"
A="$WORK/a.json"
expect_eq "sampled noop: calls" "$(calls "$A" noop)" $((T * N))
expect_eq "sampled noop: ok (judged, rule from shapes.json)" "$(field "$A" noop ok)" $((T * N))
expect_eq "sampled noop: timing" "$(field "$A" noop timing)" sampled
expect_eq "sampled noop: sample_every" "$(field "$A" noop sample_every)" 100
timed=$(field "$A" noop timed)
# gaps are uniform in [1, 199]: 40 000 expected, a few hundred either way
[ "$timed" -ge 36000 ] && [ "$timed" -le 44000 ] || fail "noop timed $timed, expected ~40000"
echo "ok: noop timed $timed of $((T * N))"
expect_eq "sampled noop: timed + counted" $((timed + $(field "$A" noop counted))) $((T * N))
[ "$(field "$A" noop p99_ns)" != null ] || fail "no percentiles from the sample"
field "$A" noop note | grep -q "1 call in 100 timed" || fail "note: $(field "$A" noop note)"
expect_eq "sampled fail_if: calls" "$(calls "$A" fail_if)" $((T * N / 10))
expect_eq "sampled fail_if: failed" "$(field "$A" fail_if failed)" $((T * N / 10))
expect_eq "sampled fail_if: EIO" "$(field "$A" fail_if errors.EIO)" $((T * N / 10))
ft=$(field "$A" fail_if timed)
[ "$ft" -ge 45000 ] && [ "$ft" -le 70000 ] || fail "fail_if timed $ft, expected ~57000"

# count only: no duration at all, not judged even with a rule
"$TMRUN" -q -s 'work_noop/count,fail_if/count' -c "$DATA/shapes.json" -o "$WORK/c.json" -- \
	"$TARGETS/threads" $T $N >/dev/null
C="$WORK/c.json"
expect_eq "count-only noop: calls" "$(calls "$C" noop)" $((T * N))
expect_eq "count-only noop: timed" "$(field "$C" noop timed)" 0
expect_eq "count-only noop: timing" "$(field "$C" noop timing)" count
expect_eq "count-only noop: mean" "$(field "$C" noop mean_ns)" null
expect_eq "count-only fail_if: calls" "$(calls "$C" fail_if)" $((T * N / 10))
expect_eq "count-only fail_if: not judged" "$(field "$C" fail_if not_judged)" $((T * N / 10))
expect_eq "count-only: records" "$(jqv "$C" .totals.records)" 0

# who is hijacked: who_called() reports the address it returns to. Timed
# calls return into tm's exit trampoline; count-only calls and a sampled
# symbol's untimed calls without a rule return straight to their caller.
R="$TARGETS/retaddr"
"$R" 1000 | grep -qx "self=1000 other=0" || fail "retaddr natively: $("$R" 1000)"
out=$("$TMRUN" -q -s who_called/count -o "$WORK/ra.json" -- "$R" 1000)
expect_eq "count-only: calls that saw their own caller" "$out" "self=1000 other=0"
expect_eq "count-only: calls counted" "$(calls "$WORK/ra.json" who_called)" 1000
out=$("$TMRUN" -q -s who_called -o "$WORK/ra.json" -- "$R" 1000)
expect_eq "timed: calls that saw the exit trampoline" "$out" "self=0 other=1000"
out=$("$TMRUN" -q -s who_called/10 -o "$WORK/ra.json" -- "$R" 1000)
other=${out#*other=}
expect_eq "sampled: hijacked calls = timed calls" "$other" "$(field "$WORK/ra.json" who_called timed)"
expect_eq "sampled: calls" "$(calls "$WORK/ra.json" who_called)" 1000

# the rules file's fields do the same
"$TMRUN" -q -c "$J" -o "$WORK/j.json" -- "$TARGETS/threads" 2 300000 >/dev/null
expect_eq "sample from TM_CONFIG: noop calls" "$(calls "$WORK/j.json" noop)" 600000
expect_eq "sample from TM_CONFIG: sample_every" "$(field "$WORK/j.json" noop sample_every)" 3
expect_eq "sample from TM_CONFIG: fail_if EIO" "$(field "$WORK/j.json" fail_if errors.EIO)" 60000

# more threads than slots: the shared slot times sampled calls and counts
# count-only calls atomically; exact either way
TM_MAX_THREADS=2 "$TMRUN" -q -s 'work_noop/count,fail_if/7' -c "$DATA/shapes.json" \
	-o "$WORK/n.json" -- "$TARGETS/threads" 8 100000 >/dev/null
expect_eq "slotless: noop calls" "$(calls "$WORK/n.json" noop)" 800000
expect_eq "slotless: fail_if EIO" "$(field "$WORK/n.json" fail_if errors.EIO)" 80000
[ "$(jqv "$WORK/n.json" .loss.noslot)" -gt 0 ] || fail "loss.noslot is 0 with 8 threads and 2 slots"

# a ring of 64 records: untimed failures overflow into the accumulators
TM_RING=64 "$TMRUN" -q -s 'fail_if/5' -c "$DATA/shapes.json" -o "$WORK/r.json" -- \
	"$TARGETS/threads" 2 500000 >/dev/null
expect_eq "full ring: fail_if calls" "$(calls "$WORK/r.json" fail_if)" 100000
expect_eq "full ring: fail_if EIO" "$(field "$WORK/r.json" fail_if errors.EIO)" 100000
[ "$(field "$WORK/r.json" fail_if overflowed)" -gt 0 ] || fail "nothing overflowed a 64-record ring"
rt=$(field "$WORK/r.json" fail_if timed)
[ "$rt" -ge 15000 ] && [ "$rt" -le 25000 ] || fail "full ring: fail_if timed $rt, expected ~20000"

# fork: each child counts into its own segment
"$TMRUN" -q -s 'work_noop/count' -o "$WORK/f.json" -- "$TARGETS/forker" 1000 3 500 >/dev/null
expect_eq "fork: count-only calls, parent and 3 children" "$(calls "$WORK/f.json" work_noop)" 3500
"$TMRUN" -q -s 'work_noop/4' -c "$DATA/shapes.json" -o "$WORK/f2.json" -- "$TARGETS/forker" 1000 3 500 >/dev/null
expect_eq "fork: sampled calls" "$(calls "$WORK/f2.json" noop)" 3500
expect_eq "fork: sampled ok" "$(field "$WORK/f2.json" noop ok)" 3500

# untimed frames on the shadow stack through longjmp, tail calls, signals
H="$TARGETS/hostile"
same_output() { # mode arg: native vs sampled, same stdout
	"$H" "$1" "$2" >"$WORK/native" 2>/dev/null
	"$TMRUN" -q -c "$J" -o "$WORK/$1.json" -- "$H" "$1" "$2" >"$WORK/shim" 2>"$WORK/$1.err"
	cmp "$WORK/native" "$WORK/shim" || fail "$1: output differs"
	echo "ok: $1: $(cat "$WORK/shim")"
}
same_output longjmp 5000
expect_eq "longjmp: call_cb calls" "$(calls "$WORK/longjmp.json" call_cb)" 5000
expect_eq "longjmp: call_cb unwound (timed or not)" "$(field "$WORK/longjmp.json" call_cb unwound)" 5000
same_output tail 5000
expect_eq "tail: tail_noop calls" "$(calls "$WORK/tail.json" tail_noop)" 5000
expect_eq "tail: work_noop ok" "$(field "$WORK/tail.json" noop ok)" 5000
expect_eq "tail: unwound" "$(jqv "$WORK/tail.json" '[.symbols[].unwound] | add')" 0
S=300000
same_output signals $S
handler=$(sed -n 's/^handler_calls=//p' "$WORK/signals.err")
re=$(jqv "$WORK/signals.json" .loss.reentrant)
expect_eq "signals: call_cb calls" "$(calls "$WORK/signals.json" call_cb)" $S
expect_eq "signals: noop calls + reentrant pass-throughs" \
	$(($(calls "$WORK/signals.json" noop) + re)) $((2 * S + handler))

# C++ exceptions leaving untimed (but judged) calls
"$TARGETS/throws" 300 >"$WORK/native"
"$TMRUN" -q -c "$J" -o "$WORK/x.json" -- "$TARGETS/throws" 300 >"$WORK/shim"
cmp "$WORK/native" "$WORK/shim" || fail "throws: output differs"
expect_eq "exceptions: may_throw calls" "$(calls "$WORK/x.json" may_throw)" 1200
expect_eq "exceptions: may_throw exceptions" "$(field "$WORK/x.json" may_throw exceptions)" 300
expect_eq "exceptions: relay exceptions" "$(field "$WORK/x.json" relay exceptions)" 100
expect_eq "exceptions: level2 exceptions" "$(field "$WORK/x.json" level2 exceptions)" 100

# bad settings: one line each, that symbol ignored, the program unchanged
bad() { # what expected-message tmrun-args...
	local what=$1 msg=$2
	shift 2
	"$TMRUN" -q "$@" -o "$WORK/b.json" -- "$TARGETS/threads" 1 1000 >"$WORK/out" 2>"$WORK/err"
	grep -q "threads=1 per=1000" "$WORK/out" || fail "$what: program output changed"
	grep -q "$msg" "$WORK/err" || fail "$what: no message: $(cat "$WORK/err")"
	expect_eq "$what: lines on stderr" "$(grep -c '^tm:' "$WORK/err")" 1
}
bad "TM_SYMBOLS name/0" "expected a number" -s 'work_noop/0,fail_if'
expect_eq "name/0: work_noop not monitored" "$(calls "$WORK/b.json" work_noop)" 0
expect_eq "name/0: fail_if still monitored" "$(calls "$WORK/b.json" fail_if)" 100
bad "TM_SYMBOLS name/x" "expected a number" -s 'work_noop/x'
printf '{"symbols": {"work_noop": {"sample": 0}}}' >"$WORK/b1.json"
bad "sample 0" '"sample" must be an integer' -c "$WORK/b1.json"
printf '{"symbols": {"work_noop": {"sample": "10"}}}' >"$WORK/b2.json"
bad "sample string" '"sample" must be an integer' -c "$WORK/b2.json"
printf '{"symbols": {"work_noop": {"count_only": 1}}}' >"$WORK/b3.json"
bad "count_only 1" '"count_only" must be true or false' -c "$WORK/b3.json"
printf '{"symbols": {"work_noop": {"count_only": true, "sample": 5}}}' >"$WORK/b4.json"
bad "both" 'exclude each other' -c "$WORK/b4.json"
expect_no_segments
