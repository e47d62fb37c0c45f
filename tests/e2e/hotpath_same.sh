#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tramp.S's fast path for timed calls does what the C hooks do: the same
# fixed sequence of calls (tests/targets/hotseq.c: ok and failed calls with
# errno, return-code and minus-return errors, int/uint/long/pointer
# returns, rules of several intervals, nesting, a recursion deeper than
# 255, a signal handler's calls inside a monitored call, longjmps that
# leave frames behind, two threads) runs through the fast path and with
# TM_HOTPATH=c, with no collector, and the records left in the segment
# (symbol, caller, status, depth, value, error: all but times) and the
# accumulators, counters and losses must be the same, record by record:
# with a ring that holds every record, one that overflows (the fold), and
# a shadow stack too small for the recursion.
. "$(dirname "$0")/lib.sh"
CFG="$DATA/hotseq.json"
ROUNDS=3

run() { # NAME ENV... : dump of the run's segment in $WORK/NAME.dump
	local name=$1 d="$WORK/$1"
	shift
	mkdir -m 700 "$d"
	env "$@" TM_DIR="$d" TM_SESSION=hs TM_CONFIG="$CFG" LD_PRELOAD="$SHIM" \
		"$TARGETS/hotseq" $ROUNDS >"$d/out" 2>"$d/err" || fail "$name: hotseq failed: $(cat "$d/err")"
	grep -q "hotseq rounds=$ROUNDS" "$d/out" || fail "$name: hotseq did not finish"
	local segs=("$d"/*.tm)
	[ ${#segs[@]} -eq 1 ] && [ -f "${segs[0]}" ] || fail "$name: expected one segment, found ${segs[*]}"
	"$TARGETS/segdump" "${segs[0]}" >"$WORK/$name.dump" || fail "$name: segdump failed"
}

same() { # A B WHAT
	if ! diff "$WORK/$1.dump" "$WORK/$2.dump" >"$WORK/$1-$2.diff"; then
		head -40 "$WORK/$1-$2.diff" >&2
		fail "$3: the records differ ($1 against $2)"
	fi
	echo "ok: $3: $(grep -c '^rec ' "$WORK/$1.dump") records, $(grep -c '^acc ' "$WORK/$1.dump") accumulators the same"
}

has() { # NAME REGEX WHAT
	grep -Eq "$2" "$WORK/$1.dump" || fail "$1: no $3 (/$2/)"
	echo "ok: $1 has $3"
}

# every record in the ring
run asm TM_RING=65536
run c TM_RING=65536 TM_HOTPATH=c
same asm c "fast path and C hooks"
has asm '^rec [0-9]+ hs_errno caller=- status=1 depth=0 value=-1 err=11$' "an errno failure"
has asm '^rec [0-9]+ hs_negret caller=- status=1 depth=0 value=-5 err=5$' "a minus-return failure"
has asm '^rec [0-9]+ hs_code caller=- status=0 depth=0 value=101 err=0$' "a code in a rule's third interval"
has asm '^rec [0-9]+ hs_code caller=- status=1 depth=0 value=21 err=21$' "a return-code failure"
has asm '^rec [0-9]+ hs_uint caller=- status=0 depth=0 value=4294967295 err=0$' "an unsigned return without its upper half"
has asm '^rec [0-9]+ hs_int caller=- status=1 depth=0 value=-2147483648 err=-2147483648$' "an int return without its upper half"
has asm '^rec [0-9]+ hs_ptr caller=- status=0 depth=0 value=-1 err=0$' "a pointer above the sign bit, ok"
has asm '^rec [0-9]+ hs_ptr caller=- status=1 depth=0 value=140737488355327 err=[0-9]+$' "a pointer failure"
has asm '^rec [0-9]+ hs_long caller=- status=1 depth=0 value=50 err=-50$' "a long failure"
has asm '^rec [0-9]+ hs_norule caller=- status=2 ' "a call without a rule"
has asm '^rec [0-9]+ hs_down caller=hs_recurse status=1 depth=255 value=3 err=3$' "a failure deeper than 255"
has asm '^rec [0-9]+ hs_errno caller=hs_raise status=1 depth=1 value=-1 err=4$' "a signal handler's call"
has asm '^rec [0-9]+ hs_nest caller=hs_call status=0 depth=[1-9]' "nested calls"
has asm '^rec [0-9]+ hs_call caller=hs_catch status=4 ' "a frame a longjmp left behind"
has asm '^thread 1 ' "the second thread"
[ "$(grep -c '^rec ' "$WORK/asm.dump")" -gt 1000 ] || fail "too few records"
if grep -q '^acc ' "$WORK/asm.dump"; then fail "the large ring overflowed"; fi

# mono clock: every call takes the C hooks, and records the same
run mono TM_RING=65536 TM_CLOCK=mono
same asm mono "fast path and the monotonic clock's C path"

# a ring that overflows: the fast path folds calls without a rule itself
# and hands the others to C with the clock already read
run asm_small TM_RING=64
run c_small TM_RING=64 TM_HOTPATH=c
same asm_small c_small "fast path and C hooks, overflowing ring"
has asm_small '^acc hs_errno calls=[0-9]+ ok=[0-9]+ failed=[1-9]' "failures folded"
has asm_small '^thread 0 state=1 head=64 .* loss=[1-9]' "overflow losses"
# tramp.S folds a call without a rule itself (after C backed the
# accumulator on the symbol's first fold): calls, a bucket each, extremes
has asm_small '^acc hs_norule calls=([0-9]+) ok=0 failed=0 abnormal=0 bytes=0 untimed=0 timed=\1 .* range=ok$' \
	"calls without a rule folded, each timed"
if grep '^acc ' "$WORK/asm_small.dump" | grep -v 'range=ok$'; then fail "an accumulator's min, max and sum are inconsistent"; fi

# the lap bit (wire.h, "Publishing"): no record the runs above left has a
# lap bit other than its position's, and in a ring of 64 that a reader
# keeps draining (it takes only what the published head shows, the head
# then lags by up to 15 records) every slot of the last 64 positions,
# whichever lap each was written in, carries its position's bit
for n in asm c mono asm_small c_small; do
	if grep -q 'lap=wrong' "$WORK/$n.dump"; then fail "$n: a record with another position's lap bit"; fi
done
# a chunk's first slot (position 1024 of the first lap) is never probed
# past the head, so the shim publishes the head right after writing it:
# a thread that makes 1 030 calls and stops has its head published at 1 024
# by the rule of 16 and at 1 025 by this one, and the dump, with no reader
# at all, must find all 1 030 records
mkdir -m 700 "$WORK/chunk"
env TM_RING=65536 TM_DIR="$WORK/chunk" TM_SESSION=hs TM_SYMBOLS=work_noop LD_PRELOAD="$SHIM" \
	"$TARGETS/threads" 1 1030 >"$WORK/chunk/out" 2>"$WORK/chunk/err" || fail "chunk: threads failed"
"$TARGETS/segdump" "$WORK/chunk"/*.tm >"$WORK/chunk.dump" || fail "chunk: segdump failed"
grep -Eq '^thread [0-9]+ state=[0-9]+ head=1025 ' "$WORK/chunk.dump" ||
	fail "chunk: no thread with its head published at 1025: $(grep '^thread' "$WORK/chunk.dump")"
grep -Eq '^thread [0-9]+ end=1030$' "$WORK/chunk.dump" ||
	fail "chunk: the worker's 1030 records not all found: $(grep '^thread' "$WORK/chunk.dump")"
echo "ok: past the first chunk: the head published after position 1024, all 1030 records found"

# a capturing call's pair folded at a lap's last slot (one slot free):
# the fast-path record that then takes that slot carries its own lap's
# bit, not the next lap's (tests/targets/lapfold.c)
mkdir -m 700 "$WORK/lapfold"
env TM_RING=64 TM_DIR="$WORK/lapfold" TM_SESSION=lf TM_CONFIG="$DATA/lapfold.json" LD_PRELOAD="$SHIM" \
	"$TARGETS/lapfold" >"$WORK/lapfold/out" 2>"$WORK/lapfold/err" || fail "lapfold failed"
"$TARGETS/segdump" "$WORK/lapfold"/*.tm >"$WORK/lapfold.dump" || fail "lapfold: segdump failed"
grep -Eq '^acc sz_put calls=1 ' "$WORK/lapfold.dump" || fail "lapfold: the pair did not fold"
grep -Eq '^rec 63 work_noop .*value=2 err=0$' "$WORK/lapfold.dump" ||
	fail "lapfold: position 63: $(grep '^rec 63 ' "$WORK/lapfold.dump")"
echo "ok: a pair folded at position 63: the record after it carries lap 0's bit"

spin_run() { # HOTPATH TRY: the run's "segdump -a" in $WORK/spin_HOTPATH.dump
	local hp=$1 d="$WORK/spin_$1.$2"
	mkdir -m 700 "$d"
	mkfifo "$d/gate"
	"$TM_BUILD/tests/spinreader" "$d" 60 >"$d/spin" &
	local sp=$! hs
	# hotseq's segment exists before main, which waits at the gate until
	# the reader has found it
	env TM_RING=64 TM_HOTPATH=$hp TM_DIR="$d" TM_SESSION=hs TM_CONFIG="$CFG" LD_PRELOAD="$SHIM" \
		"$TARGETS/hotseq" $ROUNDS "$d/gate" >"$d/out" 2>"$d/err" &
	hs=$!
	for _ in $(seq 600); do
		grep -q found "$d/spin" && break
		kill -0 $sp 2>/dev/null || break
		sleep 0.05
	done
	grep -q found "$d/spin" || { kill $hs $sp 2>/dev/null; fail "spin_$hp: the reader found no segment"; }
	echo go >"$d/gate"
	wait $hs || fail "spin_$hp: hotseq failed: $(cat "$d/err")"
	wait $sp || fail "spin_$hp: the reader failed: $(cat "$d/spin")"
	local segs=("$d"/*.tm)
	"$TARGETS/segdump" -a "${segs[0]}" >"$WORK/spin_$hp.dump" || fail "spin_$hp: segdump failed"
}
for hp in fast c; do
	# the ring wraps only if the reader ran while hotseq did; a run in
	# which it never did proves nothing about the lap bit and is repeated
	for try in 1 2 3; do
		spin_run $hp $try
		end=$(awk '$1 == "thread" && $2 == "0" && $3 ~ /^end=/ { sub("end=", "", $3); print $3 }' "$WORK/spin_$hp.dump")
		[ -n "$end" ] && [ "$end" -gt 64 ] && break
	done
	[ -n "$end" ] && [ "$end" -gt 64 ] || fail "spin_$hp: thread 0's ring never wrapped (end=$end)"
	[ "$(grep -c '^rec ' "$WORK/spin_$hp.dump")" -ge 64 ] || fail "spin_$hp: not a whole lap dumped"
	if grep -q 'lap=wrong' "$WORK/spin_$hp.dump"; then
		grep 'lap=wrong' "$WORK/spin_$hp.dump" | head -5 >&2
		fail "spin_$hp: a slot with another position's lap bit"
	fi
	echo "ok: $hp: a drained ring of 64 at position $end: every slot with its position's lap bit"
done

# a shadow stack the recursion fills: the fast path passes the full stack
run asm_shallow TM_RING=64 TM_STACK=16
run c_shallow TM_RING=64 TM_STACK=16 TM_HOTPATH=c
same asm_shallow c_shallow "fast path and C hooks, full shadow stack"
has asm_shallow '^thread 0 .* loss=[0-9]+,0,[1-9]' "depth losses"

# Sampled and judged (every symbol 1 in 2; hs_uint and hs_long with
# bytes, hs_long's ok returns including LONG_MIN and LONG_MAX): the
# untimed calls' entry and exit in tramp.S against the C hooks, and both
# against every call timed. Which calls are timed is random (each thread
# seeds its countdown), so the counts are compared, per function, not the
# records: calls, ok, failed, the errors by code and the bytes, from the
# collector run afterwards.
counts() { # NAME CONFIG ENV... : the counts of the run in $WORK/NAME.counts
	local name=$1 cfg=$2 d="$WORK/$1"
	shift 2
	mkdir -m 700 "$d"
	env "$@" TM_DIR="$d" TM_SESSION=hs TM_CONFIG="$cfg" LD_PRELOAD="$SHIM" \
		"$TARGETS/hotseq" $ROUNDS >"$d/out" 2>"$d/err" || fail "$name: hotseq failed: $(cat "$d/err")"
	TM_DIR="$d" "$TMCOLLECT" --session hs --until-idle --summary "$WORK/$name.json" 2>"$d/cerr" ||
		fail "$name: tmcollect: $(cat "$d/cerr")"
	jq -S '[.symbols[] | {name, calls, ok, failed, errors, bytes}] | sort_by(.name)' \
		"$WORK/$name.json" >"$WORK/$name.counts"
}
counts sampled_asm "$DATA/hotseq_sampled.json"
counts sampled_c "$DATA/hotseq_sampled.json" TM_HOTPATH=c
counts timed "$CFG"
if ! diff "$WORK/sampled_asm.counts" "$WORK/sampled_c.counts" >"$WORK/sampled.diff"; then
	head -40 "$WORK/sampled.diff" >&2
	fail "sampled and judged: the counts differ (fast path against C hooks)"
fi
nobytes() { jq 'map(del(.bytes))' "$WORK/$1.counts"; }
[ "$(nobytes sampled_asm)" = "$(nobytes timed)" ] ||
	fail "sampled and judged: the counts differ from every call timed"
untimed=$(jq '[.symbols[] | .calls - .timed] | add' "$WORK/sampled_asm.json")
[ "$untimed" -gt 0 ] || fail "sampled and judged: no untimed call"
expect_eq "sampled: no value taken as corrupt" "$(jqv "$WORK/sampled_asm.json" .loss.corrupt)" 0
# the ok returns of the 6 sequences (3 rounds, two threads); LONG_MAX is
# no call's bytes (TM_CALL_BYTES_MAX)
expect_eq "sampled: hs_uint bytes" \
	"$(jq '.symbols[] | select(.name == "hs_uint") | .bytes' "$WORK/sampled_asm.json")" $((6 * (7 + 4000000000 + 4294967295)))
expect_eq "sampled: hs_long bytes" \
	"$(jq '.symbols[] | select(.name == "hs_long") | .bytes' "$WORK/sampled_asm.json")" $((6 * 101))
echo "ok: sampled and judged: the same counts as every call timed, $untimed untimed calls"

# The fast path is the one taken (and TM_HOTPATH=c turns it off): under
# callgrind, the C entry hook runs for a handful of calls only. (Skipped
# without valgrind, under the sanitizers, and where valgrind cannot read
# the build's debug information: valgrind 3.19 and clang's DWARF 5.)
cg_ok=1
if [ -z "${TM_SANITIZED:-}" ] && command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	for m in asm c; do
		mkdir -m 700 "$WORK/cg_$m"
		hp=; [ $m = c ] && hp=c
		if ! TM_HOTPATH=$hp TM_DIR="$WORK/cg_$m" TM_SESSION=cg TM_CONFIG="$CFG" LD_PRELOAD="$SHIM" \
			valgrind --tool=callgrind --callgrind-out-file="$WORK/cg_$m.out" \
			"$TARGETS/hotseq" 1 >/dev/null 2>"$WORK/cg_$m.err"; then
			grep -q "debuginfo reader" "$WORK/cg_$m.err" || fail "callgrind $m: $(tail -5 "$WORK/cg_$m.err")"
			echo "skip: valgrind cannot read this build's debug information"
			cg_ok=0
			break
		fi
		callgrind_annotate --threshold=100 "$WORK/cg_$m.out" >"$WORK/cg_$m.txt" 2>/dev/null || true
		awk '/:tm_hook_enter \[/ && !n { gsub(",", "", $1); n = $1 } END { print n + 0 }' \
			"$WORK/cg_$m.txt" >"$WORK/cg_$m.ir"
	done
fi
if [ -f "$WORK/cg_c.ir" ] && [ $cg_ok = 1 ]; then
	a=$(cat "$WORK/cg_asm.ir") c=$(cat "$WORK/cg_c.ir")
	[ -n "$c" ] && [ "$c" -gt 0 ] || fail "callgrind: no tm_hook_enter with TM_HOTPATH=c"
	[ "$a" -lt $((c / 10)) ] || fail "callgrind: tm_hook_enter ran $a instructions on the fast path, $c with TM_HOTPATH=c"
	echo "ok: tm_hook_enter: $a instructions on the fast path, $c with TM_HOTPATH=c"
fi
