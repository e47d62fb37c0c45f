# SPDX-License-Identifier: MIT
# Helpers for the tmrun --attach tests: a long-running target driven by
# signals (tests/targets/attachee.c), and waits on what it prints.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ATTACHEE="$TARGETS/attachee"
PIDS=()
cleanup_pids() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	[ -n "${TM_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup_pids EXIT

# wait_for FILE REGEX [SECONDS]: until a line of FILE matches
wait_for() {
	local n=$(( ${3:-30} * 50 ))
	for ((i = 0; i < n; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	fail "timed out waiting for /$2/ in $1: $(tail -5 "$1" 2>/dev/null)"
}

# wait_lines FILE REGEX N [SECONDS]: until N lines of FILE match
wait_lines() {
	local n=$(( ${4:-30} * 50 ))
	for ((i = 0; i < n; i++)); do
		[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.02
	done
	fail "timed out waiting for $3 lines /$2/ in $1"
}

# ask PID OUT SIGNAL WORD: send SIGNAL, wait for the next "WORD N" line; echo N
ask() {
	local before
	before=$(grep -c "^$4" "$2" || true)
	kill -"$3" "$1"
	wait_lines "$2" "^$4" $((before + 1))
	grep "^$4" "$2" | tail -1 | awk '{print $2}'
}

# start_attachee OUT [W [MODE]]: the target in the background; sets APID
start_attachee() {
	local out=$1
	shift
	"$ATTACHEE" "$@" >"$out" 2>&1 &
	APID=$!
	PIDS+=("$APID")
	wait_for "$out" '^started'
}

# not_stopped PID [TRACER]: the process is running, not stopped, and traced
# by TRACER (default: nobody)
not_stopped() {
	local st tr
	st=$(awk '/^State:/{print $2}' "/proc/$1/status")
	tr=$(awk '/^TracerPid:/{print $2}' "/proc/$1/status")
	[ "$st" != T ] && [ "$st" != t ] || fail "process $1 is left stopped ($st)"
	expect_eq "process $1 traced by" "$tr" "${2:-0}"
	local t
	for t in /proc/"$1"/task/*; do # every thread: none left stopped or traced
		st=$(awk '/^State:/{print $2}' "$t/status" 2>/dev/null || echo gone)
		tr=$(awk '/^TracerPid:/{print $2}' "$t/status" 2>/dev/null || echo "${2:-0}")
		[ "$st" != T ] && [ "$st" != t ] || fail "thread ${t##*/} of $1 is left stopped ($st)"
		[ "$tr" = "${2:-0}" ] || fail "thread ${t##*/} of $1 is traced by $tr"
	done
}

# got_slot PID EXE SYMBOL: the value of EXE's GOT slot for SYMBOL in PID
got_slot() {
	python3 - "$1" "$2" "$3" <<'PY'
import re, subprocess, sys
pid, exe, sym = sys.argv[1:]
off = None
for l in subprocess.run(["readelf", "-rW", exe], capture_output=True, text=True).stdout.splitlines():
    f = l.split()
    if len(f) >= 5 and f[2].endswith("JUMP_SLOT") and f[4].split("@")[0] == sym:
        off = int(f[0], 16)
typ = subprocess.run(["readelf", "-hW", exe], capture_output=True, text=True).stdout
base = 0
if "DYN" in typ:
    real = subprocess.run(["readlink", "-f", exe], capture_output=True, text=True).stdout.strip()
    for l in open(f"/proc/{pid}/maps"):
        f = l.split()
        if len(f) >= 6 and f[5] == real and int(f[2], 16) == 0:
            base = int(f[0].split("-")[0], 16)
            break
with open(f"/proc/{pid}/mem", "rb") as m:
    m.seek(base + off)
    print(m.read(8)[::-1].hex())
PY
}

# mapped_from PID HEXADDR: the basename of the file mapped at that address
mapped_from() {
	python3 - "$1" "$2" <<'PY'
import sys
pid, a = sys.argv[1], int(sys.argv[2], 16)
for l in open(f"/proc/{pid}/maps"):
    f = l.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if lo <= a < hi:
        print(f[5].rsplit("/", 1)[-1] if len(f) > 5 else "anon")
        break
PY
}

# filtered output: what must not change with the attach (counts do)
stable_out() { grep -Ev '^(count|paused) [0-9]+$' "$1"; }

# detached_by TMRUN-PID SIGNAL ERRFILE WHAT: ends an attachment with SIGNAL;
# tmrun must exit 0 and say it detached
detached_by() {
	local rc
	kill -"$2" "$1"
	set +e
	wait "$1"
	rc=$?
	set -e
	expect_eq "$4: tmrun --attach exit code" $rc 0
	grep -q "^tmrun: detached from process $APID" "$3" || fail "$4: no detach line: $(cat "$3")"
}

# end_attachee OUT: SIGTERM; the program exits 3 with its checks ok
end_attachee() {
	local rc
	kill -TERM "$APID"
	set +e
	wait "$APID"
	rc=$?
	set -e
	expect_eq "program exit code" $rc 3
	grep -q '^checks ok$' "$1" || fail "the program's checks: $(tail -3 "$1")"
}
