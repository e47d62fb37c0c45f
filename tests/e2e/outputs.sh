#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing measured is lost without a word: an output that cannot be written
# is refused before the command runs (one line, exit 2, named by the tool
# that speaks); tmcollect without any output prints the table at exit and
# says so; SIGUSR1 makes tmrun write what it has (the summary with -o, the
# table without) and the command goes on to exit with its own status.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"

# waits (bounded) until FILE has a line matching RE
await() {
	for _ in $(seq 1 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "timed out waiting for '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# -o under a regular file (root can write anywhere else): refused at start
echo x >"$WORK/plain"
rc=0
"$TMRUN" -s work_noop -o "$WORK/plain/s.json" -- sh -c "touch '$WORK/ran'" 2>"$WORK/err" || rc=$?
expect_eq "tmrun, unwritable -o: exit" $rc 2
expect_eq "tmrun, unwritable -o: lines" "$(wc -l <"$WORK/err")" 1
grep -q "^tmrun: $WORK/plain/s.json: cannot be written" "$WORK/err" || fail "tmrun line: $(cat "$WORK/err")"
[ ! -e "$WORK/ran" ] || fail "the command ran although the summary could not be written"
rc=0
"$TMRUN" -s work_noop --textfile "$WORK/none/m.prom" -- true 2>"$WORK/err" || rc=$?
expect_eq "tmrun, unwritable --textfile: exit" $rc 2
grep -q "^tmrun: $WORK/none/m.prom" "$WORK/err" || fail "tmrun textfile line: $(cat "$WORK/err")"
# --folded and --trace are written at exit: refused at start too
for opt in --folded --trace; do
	rc=0
	"$TMRUN" -s work_noop "$opt" "$WORK/plain/x" -- sh -c "touch '$WORK/ran'" 2>"$WORK/err" || rc=$?
	expect_eq "tmrun, unwritable $opt: exit" $rc 2
	expect_eq "tmrun, unwritable $opt: lines" "$(wc -l <"$WORK/err")" 1
	grep -q "^tmrun: $WORK/plain/x: cannot be written" "$WORK/err" || fail "tmrun $opt line: $(cat "$WORK/err")"
	[ ! -e "$WORK/ran" ] || fail "the command ran although $opt could not be written"
	rc=0
	"$TMCOLLECT" --until-idle "$opt" "$WORK/plain/x" 2>"$WORK/err" || rc=$?
	expect_eq "tmcollect, unwritable $opt: exit" $rc 2
	grep -q "^tmcollect: $WORK/plain/x: cannot be written" "$WORK/err" || fail "tmcollect $opt line: $(cat "$WORK/err")"
done
rc=0
"$TMCOLLECT" --until-idle --summary "$WORK/plain/s.json" 2>"$WORK/err" || rc=$?
expect_eq "tmcollect, unwritable --summary: exit" $rc 2
expect_eq "tmcollect, unwritable --summary: lines" "$(wc -l <"$WORK/err")" 1
grep -q "^tmcollect: $WORK/plain/s.json: cannot be written" "$WORK/err" || fail "tmcollect line: $(cat "$WORK/err")"
# a writable place leaves nothing behind from the check
"$TMRUN" -q -s work_noop -o "$WORK/ok.json" -- "$bin" 3 >/dev/null
expect_eq "files next to the summary" "$(ls -A "$WORK" | grep -c '^\.ok\.json')" 0
# messages of the collector inside tmrun are tmrun's
"$TMRUN" -q -s work_noop --textfile "$WORK/m.prom" -o "$WORK/ok.json" -- "$bin" 3 >/dev/null 2>"$WORK/err"
! grep -q '^tmcollect:' "$WORK/err" || fail "tmrun's messages named tmcollect: $(cat "$WORK/err")"

# tmcollect without an output: the table on stderr at exit, said at start
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop "$bin" 7 >/dev/null
"$TMCOLLECT" --until-idle 2>"$WORK/err"
grep -q "^tmcollect: no output named" "$WORK/err" || fail "no notice: $(cat "$WORK/err")"
grep -Eq '^work_noop +7 ' "$WORK/err" || fail "no table with the 7 calls: $(cat "$WORK/err")"
expect_no_segments

# SIGUSR1 to tmrun: the summary now, the command carries on and its status stays
mkfifo "$WORK/go"
cmd="'$bin' 40 >/dev/null; echo ready; read x <'$WORK/go'; exit 7"
"$TMRUN" -q -s work_noop -o "$WORK/u.json" -- sh -c "$cmd" >"$WORK/out" 2>"$WORK/err" &
t=$!
await "$WORK/out" ready
kill -USR1 $t
for _ in $(seq 1 600); do
	[ -s "$WORK/u.json" ] && break
	sleep 0.05
done
expect_eq "SIGUSR1: summary written while running, calls" "$(calls "$WORK/u.json" work_noop)" 40
kill -0 $t || fail "tmrun ended on SIGUSR1"
echo go >"$WORK/go"
rc=0
wait $t || rc=$?
expect_eq "SIGUSR1: tmrun's status is the command's" $rc 7
expect_eq "SIGUSR1: final summary, calls" "$(calls "$WORK/u.json" work_noop)" 40

# without -o: the table on stderr, twice (SIGUSR1 and exit)
rm -f "$WORK/out"
"$TMRUN" -s work_noop -- sh -c "$cmd" >"$WORK/out" 2>"$WORK/err" &
t=$!
await "$WORK/out" ready
kill -USR1 $t
await "$WORK/err" '^work_noop  *40 '
kill -0 $t || fail "tmrun ended on SIGUSR1 (no -o)"
echo go >"$WORK/go"
rc=0
wait $t || rc=$?
expect_eq "SIGUSR1 without -o: status" $rc 7
expect_eq "SIGUSR1 without -o: tables" "$(grep -Ec '^work_noop +40 ' "$WORK/err")" 2

# series lengths out of range: one line naming the tool and the range,
# exit 2, nothing run
for args in "$TMCOLLECT --keep-seconds 119" "$TMRUN --keep-minutes 59 -- sh -c 'echo RAN'" \
	"$TMRUN --keep-seconds 3601 -- sh -c 'echo RAN'" "$TMRUN --attach 1 --keep-minutes 10081"; do
	rc=0
	eval "$args" >"$WORK/out" 2>"$WORK/err" || rc=$?
	expect_eq "$args: status" $rc 2
	expect_eq "$args: lines" "$(wc -l <"$WORK/err")" 1
	grep -Eq '^tm(run|collect): --keep-(seconds|minutes) [0-9]+: expected (120\.\.3600|60\.\.10080)$' \
		"$WORK/err" || fail "$args: $(cat "$WORK/err")"
	[ ! -s "$WORK/out" ] || fail "$args: the command ran"
done
expect_no_segments
