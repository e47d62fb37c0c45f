#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every refusal of tmrun --attach is one line on stderr and exit status 1,
# and leaves the process as it was: running, not stopped, not traced, no
# libtmshim mapped, its own output and exit code unchanged.
. "$(dirname "$0")/attach_lib.sh"

# refused CASE PID [TMRUN-PREFIX...]: attach must be refused with one line
# matching REFUSAL (set by the caller)
refused() {
	local case=$1 pid=$2
	shift 2
	set +e
	timeout 60 "$@" "$TMRUN" --attach "$pid" -s work_noop -q --duration 5 2>"$WORK/$case.err" </dev/null
	local rc=$?
	set -e
	expect_eq "$case: exit status" $rc 1
	expect_eq "$case: lines on stderr" "$(wc -l <"$WORK/$case.err")" 1
	grep -Eq -- "$REFUSAL" "$WORK/$case.err" || fail "$case: $(cat "$WORK/$case.err")"
	echo "ok: $case: $(cat "$WORK/$case.err")"
	if [ -e "/proc/$pid" ]; then
		not_stopped "$pid" "${TRACER:-0}"
		if grep -q libtmshim "/proc/$pid/maps"; then fail "$case: libtmshim was loaded"; fi
	fi
}

# a program that runs on after each refusal, and ends as unattached
check_attachee() { # check_attachee CASE OUT
	local a b rc
	a=$(ask "$APID" "$2" USR1 count)
	b=$(ask "$APID" "$2" USR1 count)
	[ "$b" -gt "$a" ] || fail "$1: the program stopped"
	kill -TERM "$APID"
	set +e
	wait "${WAITPID:-$APID}" # strace exits with its tracee's status
	rc=$?
	set -e
	expect_eq "$1: exit code" $rc 3
	expect_eq "$1: output" "$(stable_out "$2" | tr '\n' ' ')" "${3:-started 3 checks ok }"
}

REFUSAL='^tmrun: cannot attach: no process 2147483000$'
refused nopid 2147483000

# another user's process, tmrun not privileged
start_attachee "$WORK/u.out" 3
kill -TERM "$APID"
wait "$APID" || true
setpriv --reuid=65534 --regid=65534 --clear-groups "$ATTACHEE" 3 >"$WORK/u.out" 2>&1 &
APID=$!
PIDS+=("$APID")
wait_for "$WORK/u.out" '^started'
REFUSAL='not permitted to trace process [0-9]+: it runs as uid 65534 and tmrun as uid 65533; run tmrun as that user, or with CAP_SYS_PTRACE'
refused otheruser "$APID" setpriv --reuid=65533 --regid=65533 --clear-groups
check_attachee otheruser "$WORK/u.out"

# same user, but the process made itself not dumpable
setpriv --reuid=65534 --regid=65534 --clear-groups "$ATTACHEE" 3 nodump >"$WORK/d.out" 2>&1 &
APID=$!
PIDS+=("$APID")
wait_for "$WORK/d.out" '^started'
REFUSAL='not permitted to trace process [0-9]+: it is not dumpable'
refused nodump "$APID" setpriv --reuid=65534 --regid=65534 --clear-groups
check_attachee nodump "$WORK/d.out"

# a seccomp filter that forbids what the shim needs
start_attachee "$WORK/s.out" 3 seccomp
REFUSAL="seccomp filter forbids ftruncate, which loading the shim needs"
refused seccomp "$APID"
check_attachee seccomp "$WORK/s.out"

# already traced (strace)
strace -f -o /dev/null "$ATTACHEE" 3 >"$WORK/t.out" 2>&1 &
SPID=$!
PIDS+=("$SPID")
wait_for "$WORK/t.out" '^started'
APID=$(pgrep -P "$SPID" -x attachee)
REFUSAL="process $APID is already traced by process $SPID \(strace\)"
TRACER=$SPID refused traced "$APID"
WAITPID=$SPID check_attachee traced "$WORK/t.out"

# stopped by a signal
start_attachee "$WORK/p.out" 3
kill -STOP "$APID"
for ((i = 0; i < 500; i++)); do
	[ "$(awk '/^State:/{print $2}' "/proc/$APID/status")" = T ] && break
	sleep 0.01
done
set +e
"$TMRUN" --attach "$APID" -s work_noop -q 2>"$WORK/stopped.err"
rc=$?
set -e
expect_eq "stopped: exit status" $rc 1
grep -q "is stopped (T (stopped)): continue it first" "$WORK/stopped.err" || fail "$(cat "$WORK/stopped.err")"
expect_eq "stopped: still stopped, as it was" "$(awk '/^State:/{print $2}' "/proc/$APID/status")" T
kill -CONT "$APID"
# a stop and continue make sigwaitinfo fail with EINTR natively (signal(7))
check_attachee stopped "$WORK/p.out" "started 3 sigwaitinfo interrupted checks ok "

# already monitored: preloaded with the shim
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop TM_SESSION=pre "$ATTACHEE" 3 >"$WORK/m.out" 2>&1 &
APID=$!
PIDS+=("$APID")
wait_for "$WORK/m.out" '^started'
set +e
"$TMRUN" --attach "$APID" -s work_noop -q 2>"$WORK/pre.err"
rc=$?
set -e
expect_eq "preloaded: exit status" $rc 1
expect_eq "preloaded: lines" "$(wc -l <"$WORK/pre.err")" 1
grep -q "the shim says: busy: already monitored (preloaded)" "$WORK/pre.err" || fail "$(cat "$WORK/pre.err")"
not_stopped "$APID"
check_attachee preloaded "$WORK/m.out"
"$TMCOLLECT" --session pre --until-idle --summary "$WORK/pre.json" 2>/dev/null
[ "$(calls "$WORK/pre.json" work_noop)" -gt 0 ] || fail "the preloaded shim's own monitoring was disturbed"

# a static program
mkfifo "$WORK/in"
"$TARGETS/static_wait" <"$WORK/in" >"$WORK/st.out" 2>&1 &
APID=$!
PIDS+=("$APID")
exec 7>"$WORK/in"
wait_for "$WORK/st.out" '^ready'
REFUSAL="process $APID is a static binary \(no dynamic linker or libc mapped\)"
refused static "$APID"
exec 7>&-
set +e
wait "$APID"
rc=$?
set -e
expect_eq "static: exit code" $rc 4
expect_eq "static: output" "$(tr '\n' ' ' <"$WORK/st.out")" "ready bye "

# a 32-bit program: a hand-made i386 ELF that sleeps 100 ms in a loop
python3 - "$WORK/prog32" <<'PY'
import struct, sys
base = 0x08048000
code = bytes([0xb8, 0xa2, 0, 0, 0,                 # mov $162 (nanosleep), %eax
              0xbb]) + struct.pack("<I", base + 84 + 16) + bytes([  # mov $ts, %ebx
              0x31, 0xc9, 0xcd, 0x80, 0xeb, 0xf0])  # xor %ecx,%ecx; int $0x80; jmp
code += struct.pack("<II", 0, 100000000)
eh = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) + struct.pack("<HHIIIIIHHHHHH",
     2, 3, 1, base + 84, 52, 0, 0, 52, 32, 1, 0, 0, 0)
ph = struct.pack("<IIIIIIII", 1, 0, base, base, 84 + len(code), 84 + len(code), 5, 0x1000)
open(sys.argv[1], "wb").write(eh + ph + code)
PY
chmod +x "$WORK/prog32"
"$WORK/prog32" &
APID=$!
PIDS+=("$APID")
sleep 0.2 # nothing to wait on: the program prints nothing
if [ -e "/proc/$APID" ] && [ "$(readlink "/proc/$APID/exe")" = "$WORK/prog32" ]; then
	REFUSAL="process $APID is a 32-bit \(or non-x86-64\) program"
	refused 32bit "$APID"
	kill "$APID"
else
	echo "skip: 32-bit: this kernel does not run i386 programs"
fi

# the process exits during the attach: tmrun stops itself at a step, the
# process is killed, tmrun goes on. At every step of loading the shim and
# of its attach call: one line, exit 1
exit_at() {
	start_attachee "$WORK/x.out" 3
	TM_ATTACH_STOP_AT=$1 "$TMRUN" --attach "$APID" -s work_noop -q 2>"$WORK/exit.err" &
	TR=$!
	PIDS+=("$TR")
	for ((i = 0; i < 1000; i++)); do
		[ "$(awk '/^State:/{print $2}' "/proc/$TR/status" 2>/dev/null)" = T ] && break
		sleep 0.01
	done
	[ "$(awk '/^State:/{print $2}' "/proc/$TR/status" 2>/dev/null)" = T ] ||
		fail "exits during attach: tmrun never reached step $1"
	kill -9 "$APID"
	# a step taken once per thread (seized, stopped: tmrun tries another
	# thread of the dying process) stops tmrun again: continue it each time
	local st
	for ((i = 0; i < 3000; i++)); do
		st=$(awk '/^State:/{print $2}' "/proc/$TR/status" 2>/dev/null || echo gone)
		case $st in
		T) kill -CONT "$TR" ;;
		Z | gone) break ;;
		esac
		sleep 0.01
	done
	set +e
	wait "$TR"
	rc=$?
	wait "$APID" 2>/dev/null # reaped once its tracer let go of it
	set -e
	expect_eq "exits during attach at $1: exit status" $rc 1
	expect_eq "exits during attach at $1: lines" "$(wc -l <"$WORK/exit.err")" 1
	grep -q "^tmrun: cannot attach: process $APID exited during the attach$" "$WORK/exit.err" ||
		fail "at $1: $(cat "$WORK/exit.err")"
	echo "ok: exits during attach at $1"
}
for step in seized stopped frame regs load-call loaded attach-frame attach-call; do
	exit_at $step
done

# a configuration the shim cannot use: one line (the shim's reason), the
# process goes on unmonitored, and a good attach works after it
start_attachee "$WORK/c.out" 3
slot0=$(got_slot "$APID" "$ATTACHEE" work_noop)
set +e
"$TMRUN" --attach "$APID" -s vfork -q 2>"$WORK/badcfg.err"
rc=$?
set -e
expect_eq "bad configuration: exit status" $rc 1
expect_eq "bad configuration: lines" "$(wc -l <"$WORK/badcfg.err")" 1
grep -q "^tmrun: cannot attach to process $APID: the shim says: tm: .*vfork" "$WORK/badcfg.err" ||
	fail "$(cat "$WORK/badcfg.err")"
echo "ok: bad configuration: $(cat "$WORK/badcfg.err")"
not_stopped "$APID"
expect_eq "bad configuration: GOT slot" "$(got_slot "$APID" "$ATTACHEE" work_noop)" "$slot0"
"$TMRUN" --attach "$APID" -s work_noop -q -o "$WORK/after.json" --duration 0.3
[ "$(calls "$WORK/after.json" work_noop)" -gt 0 ] || fail "no attach after a bad configuration"
check_attachee badconfig "$WORK/c.out"

# TM_SYMBOLS in the process's environment (not preloaded) is not read:
# only the attach file configures the shim
TM_SYMBOLS=work_noop TM_SESSION=fromenv start_attachee "$WORK/e.out" 3
"$TMRUN" --attach "$APID" -s work_noop -q -o "$WORK/env.json" --duration 0.3
expect_eq "segments of the environment's session" \
	"$(find "$TM_DIR" -name 'fromenv.*' | wc -l)" 0
[ "$(calls "$WORK/env.json" work_noop)" -gt 0 ] || fail "env: no calls"
check_attachee env "$WORK/e.out"

# a process holding a dormant shim from an earlier attach: another copy of
# the shim (an upgrade, say) cannot load there; said, and nothing touched
start_attachee "$WORK/u.out" 3
"$TMRUN" --attach "$APID" -s work_noop -q -o "$WORK/u1.json" --duration 0.2
mkdir -p "$WORK/other"
cp "$SHIM" "$WORK/other/libtmshim.so"
slot1=$(got_slot "$APID" "$ATTACHEE" work_noop)
maps1=$(grep libtmshim "/proc/$APID/maps")
set +e
TM_SHIM="$WORK/other/libtmshim.so" timeout 60 "$TMRUN" --attach "$APID" -s work_noop -q \
	--duration 5 2>"$WORK/u.err" </dev/null
rc=$?
set -e
expect_eq "another shim file: exit status" $rc 1
expect_eq "another shim file: lines on stderr" "$(wc -l <"$WORK/u.err")" 1
grep -q "already holds another libtmshim ($SHIM" "$WORK/u.err" || fail "another shim file: $(cat "$WORK/u.err")"
not_stopped "$APID"
expect_eq "another shim file: GOT slot" "$(got_slot "$APID" "$ATTACHEE" work_noop)" "$slot1"
expect_eq "another shim file: shim mappings" "$(grep libtmshim "/proc/$APID/maps")" "$maps1"
# the same file attaches again
"$TMRUN" --attach "$APID" -s work_noop -q -o "$WORK/u2.json" --duration 0.2
[ "$(calls "$WORK/u2.json" work_noop)" -gt 0 ] || fail "re-attach with the same file: no calls"
check_attachee upgrade "$WORK/u.out"
