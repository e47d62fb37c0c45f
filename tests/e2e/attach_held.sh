#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A monitored call held open across the detach returns correctly: the
# attachee's "reader" thread reads its standard input (a FIFO the test
# writes) with read(2), monitored (-s read). A line is written while
# attached, so the reader's next read enters through the trampoline and
# blocks there: the exit trampoline's address is on its stack, which the
# test checks (a word of the stack above the blocked read's stack pointer
# lies in libtmshim's code; none does for a read entered before the
# attach). tmrun detaches with that read still blocked (its settle wait
# gives up after 1 s); the read's GOT slot is back, the call is still
# inside the shim. Then the test writes the next line: the read returns
# through the dormant shim with the right value and text, the program
# goes on, and the next read is not through the shim. A second
# attachment works and counts exactly the one read that entered and
# returned while it lasted (not the held call's late return), and holds
# another read open across its own detach. The program's output and exit
# code are those of an unattached run fed the same lines.
. "$(dirname "$0")/attach_lib.sh"

# shim_on_stack PID TID: "shim" if a word of TID's stack above its
# stack pointer (it is blocked in a system call) lies in libtmshim's code
shim_on_stack() {
	python3 - "$1" "$2" <<'PY'
import sys
pid, tid = sys.argv[1:]
f = open(f"/proc/{pid}/task/{tid}/syscall").read().split()
sp = int(f[7], 16)
code = []
for l in open(f"/proc/{pid}/maps"):
    m = l.split()
    if len(m) > 5 and "libtmshim" in m[5] and "x" in m[1]:
        code.append([int(x, 16) for x in m[0].split("-")])
with open(f"/proc/{pid}/mem", "rb") as mem:
    mem.seek(sp)
    words = mem.read(8192)
hit = any(lo <= int.from_bytes(words[i:i + 8], "little") < hi
          for i in range(0, len(words) - 7, 8) for lo, hi in code)
print("shim" if hit else "none")
PY
}

reader_tid() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm")" = reader ] && echo "${t##*/}" && return 0
	done
	fail "no reader thread in $1"
}

# blocked_in PID TID WHERE: wait until TID is blocked in read(0, ...) and
# the shim is (WHERE=shim) or is not (none) on its stack
blocked_in() {
	local l
	for ((i = 0; i < 1500; i++)); do
		l=$(cat "/proc/$1/task/$2/syscall")
		if [ "${l%% *}" = 0 ] && [ "$(echo "$l" | awk '{print $2}')" = 0x0 ]; then
			[ "$(shim_on_stack "$1" "$2")" = "$3" ] && return 0
		fi
		sleep 0.02
	done
	fail "reader $2 not blocked in read with '$3' on its stack: $l ($(shim_on_stack "$1" "$2"))"
}

# feed LINE N: write LINE, wait for the program's Nth "read" line
feed() {
	echo "$1" >&3
	wait_lines "$OUT" '^read ' "$2"
	expect_eq "read $2" "$(grep '^read ' "$OUT" | tail -1)" "read $((${#1} + 1)) $1"
}

start_fed() { # start_fed OUT: the attachee with a reader on a FIFO (fd 3 writes it)
	rm -f "$WORK/in"
	mkfifo "$WORK/in"
	exec 3<>"$WORK/in"
	# explicit: a background command's standard input is /dev/null otherwise
	"$ATTACHEE" 2 reader <"$WORK/in" >"$1" 2>&1 3>&- &
	APID=$!
	PIDS+=("$APID")
	wait_for "$1" '^started'
	RT=$(reader_tid "$APID")
}

attach_bg() { # attach_bg N: tmrun in the background until SIGINT; sets TR
	"$TMRUN" --attach "$APID" -s read,work_noop -o "$WORK/s$1.json" 3>&- >"$WORK/t$1.out" \
		2>"$WORK/t$1.err" &
	TR=$!
	PIDS+=("$TR")
	wait_for "$WORK/t$1.err" '^tmrun: attached to process'
}

detach_bg() { # detach_bg N
	local rc
	kill -INT "$TR"
	set +e
	wait "$TR"
	rc=$?
	set -e
	expect_eq "tmrun exit code ($1)" $rc 0
	grep -q "^tmrun: detached from process $APID" "$WORK/t$1.err" ||
		fail "no detach line: $(cat "$WORK/t$1.err")"
	not_stopped "$APID"
}

finish() { # the last line, end of input, SIGTERM: the exit code in RC
	feed e 5
	exec 3>&-
	wait_for "$OUT" '^eof$'
	kill -TERM "$APID"
	set +e
	wait "$APID"
	RC=$?
	set -e
}

OUT="$WORK/a.out"
start_fed "$OUT"
slot0=$(got_slot "$APID" "$ATTACHEE" read)
blocked_in "$APID" "$RT" none # entered before any attach

attach_bg 1
feed a 1 # returns from the read entered before the attach (not counted)
blocked_in "$APID" "$RT" shim
detach_bg 1
expect_eq "attachment 1: read calls (one before, one still open)" "$(calls "$WORK/s1.json" read)" 0
[ "$(calls "$WORK/s1.json" work_noop)" -gt 0 ] || fail "attachment 1 counted no work_noop"
expect_eq "read's GOT slot after detach" "$(got_slot "$APID" "$ATTACHEE" read)" "$slot0"
blocked_in "$APID" "$RT" shim # the held call, still inside
feed b 2                      # returns through the dormant shim
blocked_in "$APID" "$RT" none # the next read is the program's own
c0=$(ask "$APID" "$OUT" USR1 count)
for ((k = 0; k < 500; k++)); do
	[ "$(ask "$APID" "$OUT" USR1 count)" -gt "$c0" ] && break
done
[ "$k" -lt 500 ] || fail "the workers stopped after the detach"

attach_bg 2
feed c 3 # the read entered before this attach
blocked_in "$APID" "$RT" shim
feed d 4 # entered and returned while attached: counted
blocked_in "$APID" "$RT" shim
detach_bg 2
expect_eq "attachment 2: read calls" "$(calls "$WORK/s2.json" read)" 1
blocked_in "$APID" "$RT" shim
finish
expect_eq "attached program's exit code" "$RC" 3
grep -q '^checks ok$' "$OUT" || fail "the program's checks failed"

# the same lines, never attached
OUT2="$WORK/b.out"
OUT_A=$OUT
OUT=$OUT2
start_fed "$OUT"
for l in a b c d; do
	feed $l $(($(grep -c '^read ' "$OUT" || true) + 1))
done
finish
expect_eq "unattached exit code" "$RC" 3
expect_eq "output (counts aside)" "$(stable_out "$OUT_A")" "$(stable_out "$OUT2")"
