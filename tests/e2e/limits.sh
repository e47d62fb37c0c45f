#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The documented limits are harmless: a static binary and a child that
# clears its environment run exactly as without the shim, silently, and the
# report says what was not seen rather than inventing anything.
. "$(dirname "$0")/lib.sh"
set +e
"$TARGETS/static_prog" >"$WORK/native"
nrc=$?
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop,printf "$TARGETS/static_prog" >"$WORK/shim" 2>"$WORK/err"
src=$?
set -e
expect_eq "static: exit code" $src $nrc
cmp "$WORK/native" "$WORK/shim" || fail "static: output differs"
expect_eq "static: stderr" "$(cat "$WORK/err")" ""
expect_eq "static: no segment" "$(find "$TM_DIR" -name '*.tm' | wc -l)" 0

# env -i: the child runs without LD_PRELOAD; only env itself is monitored
"$TARGETS/shapes_pie" 10 >"$WORK/native"
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- env -i "$TARGETS/shapes_pie" 10 >"$WORK/shim" 2>"$WORK/err"
cmp "$WORK/native" "$WORK/shim" || fail "env -i: output differs"
expect_eq "env -i: stderr" "$(cat "$WORK/err")" ""
expect_eq "env -i: calls seen" "$(calls "$WORK/s.json" work_noop)" 0
expect_eq "env -i: the reason shown" "$(field "$WORK/s.json" work_noop note)" "not found in any loaded object"
expect_no_segments
