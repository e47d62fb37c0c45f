#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every signature shape through the shim, for one link variant of the target
# (default/pie/noplt/relro, or cxx: called from C++) and one way of calling
# (direct: PLT/GOT, table: `&f` stored in data, dlsym: pointers from
# dlsym(RTLD_DEFAULT)): output and exit code byte-identical to a native
# run, counts and failures exact, `&f` equal in code, data and dlsym.
. "$(dirname "$0")/lib.sh"
variant=$1
mode=${2:-direct}
# optional third argument "mono": CLOCK_MONOTONIC instead of the TSC
[ "${3:-}" = mono ] && export TM_CLOCK=mono
bin="$TARGETS/shapes_$variant"
N=2000
syms='nothere_fn,nomatch_*,work_noop,add_int,ptr_id,dmul,fneg,ldtwice,big_make,mixed_pass,dpair_swap,vsu?,many,fail_if,sqlite_like,f4_scale,f3_rot,d3_sum,fi_mix,ll2_make,odd3_rot,vmix'

set +e
"$bin" $N "$mode" >"$WORK/native.out" 2>"$WORK/native.err"
native_rc=$?
"$TMRUN" -q -s "$syms" -c "$DATA/shapes.json" -o "$WORK/s.json" -- "$bin" $N "$mode" >"$WORK/shim.out" 2>"$WORK/shim.err"
shim_rc=$?
set -e
expect_eq "exit code" "$shim_rc" "$native_rc"
expect_eq "native exit code" "$native_rc" 0
cmp "$WORK/native.out" "$WORK/shim.out" || fail "stdout differs under the shim"
cmp "$WORK/native.err" "$WORK/shim.err" || fail "stderr differs under the shim"
echo "ok: output identical: $(cat "$WORK/shim.out")"
grep -q ' eq=1$' "$WORK/shim.out" || fail "function pointers no longer compare equal"

shapes="add_int ptr_id dmul fneg ldtwice big_make mixed_pass dpair_swap vsum many fail_if sqlite_like
	f4_scale f3_rot d3_sum fi_mix ll2_make odd3_rot vmix"
# a count off: what the summary says of every function and of the losses
for s in $shapes; do
	[ "$(calls "$WORK/s.json" "$s")" = $N ] && continue
	jq -c '{loss, symbols: [.symbols[] | {name, calls, object, note}]}' "$WORK/s.json"
	break
done
for s in $shapes; do
	expect_eq "calls($s)" "$(calls "$WORK/s.json" "$s")" $N
done
expect_eq "calls(noop, renamed work_noop)" "$(calls "$WORK/s.json" noop)" $N
# fail_if fails for i%10 in {0,1}: ENOENT and EACCES, N/10 each
expect_eq "fail_if failed" "$(field "$WORK/s.json" fail_if failed)" $((N / 5))
expect_eq "fail_if ENOENT" "$(field "$WORK/s.json" fail_if 'errors.ENOENT')" $((N / 10))
expect_eq "fail_if EACCES" "$(field "$WORK/s.json" fail_if 'errors.EACCES')" $((N / 10))
# sqlite_like returns 5 (SQLITE_BUSY) for i%4==0, else 101 (DONE)
expect_eq "sqlite_like failed" "$(field "$WORK/s.json" sqlite_like 'errors.SQLITE_BUSY')" $((N / 4))
expect_eq "sqlite_like success_rate" "$(field "$WORK/s.json" sqlite_like success_rate)" 0.75
# no rule: reported as not judged, no invented rate
expect_eq "dmul success_rate" "$(field "$WORK/s.json" dmul success_rate)" null
expect_eq "dmul not_judged" "$(field "$WORK/s.json" dmul not_judged)" $N
# configured but absent: reported with the reason, not silently dropped
expect_eq "nothere_fn note" "$(field "$WORK/s.json" nothere_fn note)" "not found in any loaded object"
expect_eq "nomatch_* note" "$(field "$WORK/s.json" 'nomatch_*' note)" "pattern matched no function in any loaded object"
expect_eq "globs listed" "$(jqv "$WORK/s.json" '[.symbols[] | select(.pattern) | .name] | join(",")')" 'nomatch_*'
expect_eq "add_int note" "$(field "$WORK/s.json" add_int note)" "no success rule: calls not judged"
expect_eq "add_int object" "$(field "$WORK/s.json" add_int object)" "libshapes.so"
expect_eq "fail_if note" "$(field "$WORK/s.json" fail_if note)" null
expect_eq "per process: fail_if failed" "$(jqv "$WORK/s.json" '.processes[0].symbols.fail_if.failed')" $((N / 5))
expect_eq "per process: failed" "$(jqv "$WORK/s.json" '.processes[0].failed')" $((N / 5 + N / 4))
expect_eq "process status" "$(jqv "$WORK/s.json" '.processes[0].status')" exited
expect_eq "process exit_code" "$(jqv "$WORK/s.json" '.processes[0].exit_code')" 0
expect_no_segments
