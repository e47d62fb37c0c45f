#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing makes tmcollect --until-idle or tmrun wait forever:
# - processes SIGKILLed during the shim's start-up (200 early kills) leave
#   segments that are never published: garbage, removed, not waited for;
# - an unpublished segment whose creator is gone, made by hand (the exact
#   state such a kill leaves), in tmcollect's session and in tmrun's;
# - a symlink and a FIFO planted under segment names: reported once on
#   stderr and ignored.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"
dead_pid() { # a pid whose process is gone (and reaped)
	true &
	local p=$!
	wait $p
	echo $p
}

for _ in $(seq 1 200); do
	LD_PRELOAD="$SHIM" TM_SYMBOLS='work_*,fail_if' "$bin" 1000 >/dev/null 2>&1 &
	kill -KILL $! 2>/dev/null || true
	wait $! 2>/dev/null || true
done
p1=$(dead_pid)
: >"$TM_DIR/default.$p1.0badf00d.tm"                          # created, not sized
truncate -s 1048576 "$TM_DIR/default.$(dead_pid).0badf00e.tm" # sized, not published
ln -s /etc/passwd "$TM_DIR/default.1.00000001.tm"
mkfifo "$TM_DIR/default.1.00000002.tm"
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop "$bin" 10 >/dev/null
set +e
timeout 60 "$TMCOLLECT" --until-idle --summary "$WORK/s.json" 2>"$WORK/err"
rc=$?
set -e
[ $rc -ne 124 ] || fail "tmcollect --until-idle did not return within 60 s: $(tail -3 "$WORK/err")"
expect_eq "tmcollect's exit status" $rc 0
expect_eq "calls of the one process that ran" "$(calls "$WORK/s.json" work_noop)" 10
expect_eq "planted symlink reported" "$(grep -c 'default.1.00000001.tm' "$WORK/err")" 1
expect_eq "planted FIFO reported" "$(grep -c 'default.1.00000002.tm' "$WORK/err")" 1
expect_eq "hand-made garbage reported" "$(grep -c "default.$p1.0badf00d.tm.*removed" "$WORK/err")" 1
echo "ok: $(grep -c 'never published' "$WORK/err") unpublished segments removed"
left=$(find "$TM_DIR" -name '*.tm' -type f | wc -l)
expect_eq "segment files left" "$left" 0
[ -p "$TM_DIR/default.1.00000002.tm" ] && [ -L "$TM_DIR/default.1.00000001.tm" ] ||
	fail "a planted entry that is not ours was removed"

# tmrun: its command leaves an unpublished segment of a dead process in
# tmrun's own session (the state an early SIGKILL leaves)
set +e
timeout 60 "$TMRUN" -q -s work_noop -o "$WORK/r.json" -- sh -c '
	true & p=$!; wait $p
	: >"$TM_DIR/$TM_SESSION.$p.0badf00d.tm"
	exit 5' 2>"$WORK/err"
rc=$?
set -e
[ $rc -ne 124 ] || fail "tmrun did not return within 60 s"
expect_eq "tmrun's status: the command's" $rc 5
jq -e .totals "$WORK/r.json" >/dev/null || fail "tmrun wrote no summary"

# and real early kills under tmrun
set +e
timeout 60 "$TMRUN" -q -s 'work_*' -o "$WORK/r.json" -- bash -c "
	for i in \$(seq 1 50); do $bin 1000 >/dev/null & kill -KILL \$! 2>/dev/null; done
	wait; exit 6" 2>"$WORK/err"
rc=$?
set -e
[ $rc -ne 124 ] || fail "tmrun with early kills did not return within 60 s"
expect_eq "tmrun's status with early kills" $rc 6
