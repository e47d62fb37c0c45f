#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TM_LOG is never written through a descriptor the host may have closed and
# reused: a program that closes every fd >= 3 and opens its own data file
# (getting fd 3) then makes the shim speak (a dlopen'd library matches more
# symbols than TM_MAX_SYMBOLS). The line goes to TM_LOG, the data file holds
# only the program's own bytes.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/fdreuse"
lib="$TARGETS/plugins/libtmplugin.so"
"$bin" "$WORK/native.data" "$lib" >"$WORK/native.out"

set +e
# plugin_* is one symbol (the glob's own) and tm.floor another: the two
# plugin_ functions the dlopen brings are past TM_MAX_SYMBOLS=2
timeout 20 env LD_PRELOAD="$SHIM" TM_SYMBOLS='plugin_*' TM_MAX_SYMBOLS=2 TM_LOG="$WORK/tm.log" \
	"$bin" "$WORK/shim.data" "$lib" >"$WORK/shim.out" 2>"$WORK/err"
rc=$?
set -e
expect_eq "exit code" $rc 0
cmp "$WORK/native.out" "$WORK/shim.out" || fail "output changed"
grep -q '^fd 3,' "$WORK/shim.out" || fail "the data file did not get fd 3: $(cat "$WORK/shim.out")"
cmp "$WORK/native.data" "$WORK/shim.data" || fail "the program's file changed: $(cat "$WORK/shim.data")"
grep -q 'tm:' "$WORK/shim.data" && fail "a tm: line in the program's file"
expect_eq "stderr" "$(cat "$WORK/err")" ""
grep -q '^tm: more than 2 symbols matched' "$WORK/tm.log" || fail "TM_LOG lacks the line: $(cat "$WORK/tm.log")"
echo "ok: after the host's close and open, the line went to TM_LOG: $(cat "$WORK/tm.log")"

# a relative TM_LOG stays where it was when the program started
mkdir "$WORK/run"
set +e
(cd "$WORK/run" && timeout 20 env LD_PRELOAD="$SHIM" TM_SYMBOLS='plugin_*' TM_MAX_SYMBOLS=2 \
	TM_LOG=rel.log "$bin" "$WORK/rel.data" "$lib" >/dev/null 2>"$WORK/err")
rc=$?
set -e
expect_eq "relative TM_LOG: exit code" $rc 0
grep -q '^tm: more than 2 symbols matched' "$WORK/run/rel.log" || fail "relative TM_LOG lacks the line"
cmp "$WORK/native.data" "$WORK/rel.data" || fail "relative TM_LOG: the program's file changed"
echo "ok: relative TM_LOG"
