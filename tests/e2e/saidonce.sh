#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A configuration complaint is said once per session, not by every process:
# make -j2 running 40 monitored programs, and a shell fanning out, print the
# vfork refusal exactly once; a different complaint in the same session
# (another process image, another TM_SYMBOLS) is said once too; the next
# session says them again. The processes are monitored all the same.
. "$(dirname "$0")/lib.sh"
J=40 N=25
{
	printf 'all:'
	for i in $(seq 1 $J); do printf ' t%d' "$i"; done
	printf '\n'
	for i in $(seq 1 $J); do printf 't%d:\n\t@"%s" %d >/dev/null\n' "$i" "$TARGETS/shapes_pie" $N; done
	printf 'odd:\n\t@TM_SYMBOLS=longjmp,work_noop "%s" %d >/dev/null\n' "$TARGETS/shapes_pie" $N
} >"$WORK/Makefile"
refusal="tm: refusing to monitor 'vfork' (cannot be hooked safely); ignoring it"

set +e
make -s -j2 -f "$WORK/Makefile" all odd >"$WORK/native" 2>"$WORK/native.err"
native_rc=$?
"$TMRUN" -q -s vfork,work_noop -o "$WORK/m.json" -- \
	make -s -j2 -f "$WORK/Makefile" all odd >"$WORK/shim" 2>"$WORK/err"
rc=$?
set -e
expect_eq "make exit code" $rc $native_rc
cmp "$WORK/native" "$WORK/shim" || fail "make's output differs"
expect_eq "the refusal, once for $((J + 2)) processes" "$(grep -cxF "$refusal" "$WORK/err")" 1
expect_eq "the other image's complaint, once" \
	"$(grep -cxF "tm: refusing to monitor 'longjmp' (cannot be hooked safely); ignoring it" "$WORK/err")" 1
expect_eq "stderr: those two lines" "$(wc -l <"$WORK/err")" 2
expect_eq "work_noop still monitored in every process" "$(calls "$WORK/m.json" work_noop)" $(((J + 1) * N))
expect_eq "tmrun removed the session's markers" "$(find "$TM_DIR" -name '*.said.*' | wc -l)" 0

# a shell fanning out, in a session of its own: once; the next session
# (same name, its first process gone) says it again
fan() {
	LD_PRELOAD="$SHIM" TM_SESSION=fan TM_SYMBOLS=vfork,work_noop sh -c \
		'for i in 1 2 3 4 5 6 7 8; do "$0" 5 >/dev/null & done; wait' "$TARGETS/shapes_pie" 2>"$WORK/fan.err"
	expect_eq "fan-out $1: the refusal once" "$(grep -cxF "$refusal" "$WORK/fan.err")" 1
	expect_eq "fan-out $1: nothing else" "$(wc -l <"$WORK/fan.err")" 1
}
fan first
fan again
"$TMCOLLECT" --session fan --until-idle --summary "$WORK/fan.json"
expect_eq "work_noop in both fan-outs" "$(calls "$WORK/fan.json" work_noop)" $((2 * 8 * 5))
expect_no_segments

# Markers of sessions run without tmrun stay in TM_DIR (the fan-outs
# above left theirs); tmcollect --gc removes those whose creator has gone
# and keeps one whose creator still runs (a session in progress).
[ "$(find "$TM_DIR" -name 'fan.said.*' | wc -l)" -ge 1 ] || fail "no marker left by the fan-outs"
mkfifo "$WORK/in"
exec 3<>"$WORK/in"
LD_PRELOAD="$SHIM" TM_SESSION=held TM_SYMBOLS=vfork,work_noop "$TARGETS/blocker" 5 <&3 >"$WORK/b.out" 2>/dev/null &
held=$! # it ends when fd 3 closes (EOF on its stdin), on a failure too
for _ in $(seq 1 500); do grep -q ready "$WORK/b.out" && break; sleep 0.01; done
grep -q ready "$WORK/b.out" || fail "blocker never got ready"
[ "$(find "$TM_DIR" -name 'held.said.*' | wc -l)" = 1 ] || fail "no marker for the running session"
# a marker's temporary (shim/log.c writes it, then links it into place):
# its creator's pid in its name; gone, it goes; running (this shell), it
# stays, even while it is still empty
true &
dead=$!
wait $dead
: >"$TM_DIR/held.said.0123456789abcdef.$dead"
: >"$TM_DIR/held.said.0123456789abcdef.$$"
"$TMCOLLECT" --gc 2>"$WORK/gc.err"
expect_eq "a gone writer's temporary removed" "$(find "$TM_DIR" -name "held.said.*.$dead" | wc -l)" 0
expect_eq "a running writer's temporary kept" "$(find "$TM_DIR" -name "held.said.*.$$" | wc -l)" 1
rm -f "$TM_DIR/held.said.0123456789abcdef.$$"
grep -qE '^tmcollect: gc: [1-9][0-9]* markers of lines said once by processes that have gone removed$' "$WORK/gc.err" ||
	fail "gc: $(cat "$WORK/gc.err")"
expect_eq "gone creators' markers removed" "$(find "$TM_DIR" -name 'fan.said.*' | wc -l)" 0
expect_eq "the running creator's marker kept" "$(find "$TM_DIR" -name 'held.said.????????????????' | wc -l)" 1
echo >&3
wait $held
"$TMCOLLECT" --session held --until-idle --summary "$WORK/held.json"
