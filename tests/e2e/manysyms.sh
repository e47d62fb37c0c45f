#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Too many patterns, or many bad ones, are said in a few lines, not one per
# name: 10 000 TM_SYMBOLS names (256 are taken, one line counts the rest),
# and 30 bad TM_CONFIG entries (10 named, one line counts the rest).
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"
"$bin" 100 >"$WORK/native.out"

syms="work_noop,$(seq -f 'f%g' 1 9999 | paste -sd,)"
set +e
timeout 60 env LD_PRELOAD="$SHIM" TM_SESSION=ms TM_SYMBOLS="$syms" "$bin" 100 >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_eq "10000 names: exit code" $rc 0
cmp "$WORK/native.out" "$WORK/out" || fail "10000 names: output changed"
expect_eq "10000 names: stderr lines" "$(wc -l <"$WORK/err")" 1
grep -q "^tm: more than 256 symbol patterns; ignoring the other 9744, from TM_SYMBOLS 'f256' on" "$WORK/err" ||
	fail "10000 names: $(cat "$WORK/err")"
echo "ok: 10000 names: $(cat "$WORK/err")"
"$TMCOLLECT" --session ms --until-idle --summary "$WORK/s.json"
expect_eq "the first pattern still monitored" "$(calls "$WORK/s.json" work_noop)" 100

{
	printf '{"symbols": {"work_noop": {}'
	for i in $(seq 1 30); do printf ', "bad%d": {"sucess": "ret == 0"}' "$i"; done
	printf '}}\n'
} >"$WORK/bad.json"
set +e
timeout 60 env LD_PRELOAD="$SHIM" TM_SESSION=ms2 TM_CONFIG="$WORK/bad.json" "$bin" 100 >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_eq "30 bad entries: exit code" $rc 0
cmp "$WORK/native.out" "$WORK/out" || fail "30 bad entries: output changed"
expect_eq "30 bad entries: stderr lines" "$(wc -l <"$WORK/err")" 11
expect_eq "30 bad entries: lines naming one" "$(grep -c 'unknown field "sucess"' "$WORK/err")" 10
grep -q '^tm: 20 more problems with configured symbols not shown' "$WORK/err" ||
	fail "30 bad entries: $(tail -1 "$WORK/err")"
echo "ok: 30 bad entries: $(tail -1 "$WORK/err")"
"$TMCOLLECT" --session ms2 --until-idle --summary "$WORK/s2.json"
expect_eq "the good entry still monitored" "$(calls "$WORK/s2.json" work_noop)" 100
expect_no_segments
