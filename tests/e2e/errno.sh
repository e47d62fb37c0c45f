#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# errno as the program sees it is never changed by the shim: at main, after
# monitored calls, across fork (parent and child).
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/errnocheck"
"$bin" >"$WORK/native"
"$TMRUN" -q -s work_noop,fail_if -c "$DATA/shapes.json" -o "$WORK/s.json" -- "$bin" >"$WORK/shim"
diff "$WORK/native" "$WORK/shim" || fail "errno differs under the shim"
echo "ok: $(tr '\n' ';' <"$WORK/shim")"
expect_eq "fail_if EPIPE recorded" "$(field "$WORK/s.json" fail_if 'errors.EPIPE')" 1
expect_eq "work_noop calls (parent + child)" "$(calls "$WORK/s.json" noop)" 2
