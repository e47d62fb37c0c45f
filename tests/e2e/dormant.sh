#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Without configuration the shim is dormant: no segment, no output, same
# exit code; and it exports only the two entry points of tmrun --attach.
. "$(dirname "$0")/lib.sh"
exports=$(nm -D --defined-only "$SHIM" | awk '{print $3}' | grep -v '^$' | sort | tr '\n' ' ' || true)
expect_eq "exported symbols" "$exports" "tm_shim_attach tm_shim_detach "
set +e
LD_PRELOAD="$SHIM" "$TARGETS/shapes_pie" 50 >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_eq "exit code" $rc 0
expect_eq "stderr" "$(cat "$WORK/err")" ""
"$TARGETS/shapes_pie" 50 | cmp - "$WORK/out" || fail "output differs"
expect_eq "segments" "$(find "$TM_DIR" -type f | wc -l)" 0
# a failing program keeps its exit code and errno-dependent output
set +e
LD_PRELOAD="$SHIM" TM_SYMBOLS=open,openat cat /nonexistent/file 2>"$WORK/err2"
rc=$?
set -e
expect_eq "cat exit code" $rc 1
grep -q "No such file or directory" "$WORK/err2" || fail "errno changed: $(cat "$WORK/err2")"
echo "ok: errno preserved"
