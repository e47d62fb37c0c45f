#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun --attach on a program that calls work_noop forever from 3 threads:
# attach, run, detach, attach again. The workers are paused (between two
# calls, blocked in pthread_cond_wait) at every switch, so no call is in
# flight when the GOT slot is patched or restored: the counts must equal
# the program's own counter difference exactly (bound 0). A third
# attachment with the workers running shows the general bound: calls in
# flight at a switch (at most one per thread) are the only difference.
# The shim is loaded once: the second and third attachments reuse the
# dormant copy (one executable mapping of it, its mappings unchanged, its
# one segment kept).
# The program's output and exit code are those of an unattached run with
# the same signals; the GOT slot holds its original value after detach.
. "$(dirname "$0")/attach_lib.sh"
W=3
OUT="$WORK/a.out"
start_attachee "$OUT" $W
slot0=$(got_slot "$APID" "$ATTACHEE" work_noop)

attach_once() { # attach_once N: paused attach, run, paused detach, compare
	local c0 c1 tr
	c0=$(ask "$APID" "$OUT" USR2 paused)
	"$TMRUN" --attach "$APID" -s work_noop -o "$WORK/s$1.json" >"$WORK/t$1.out" 2>"$WORK/t$1.err" &
	tr=$!
	PIDS+=("$tr")
	wait_for "$WORK/t$1.err" '^tmrun: attached to process'
	[ "$(got_slot "$APID" "$ATTACHEE" work_noop)" != "$slot0" ] || fail "slot not patched"
	kill -USR2 "$APID"
	# run until the program made at least 200000 more calls
	local c
	for ((k = 0; k < 500; k++)); do
		c=$(ask "$APID" "$OUT" USR1 count)
		[ "$c" -gt $((c0 + 200000)) ] && break
	done
	c1=$(ask "$APID" "$OUT" USR2 paused)
	kill -INT "$tr"
	set +e
	wait "$tr"
	local rc=$?
	set -e
	expect_eq "tmrun --attach exit code ($1)" $rc 0
	grep -q "^tmrun: detached from process $APID" "$WORK/t$1.err" || fail "no detach line"
	expect_eq "attachment $1: calls = the program's own difference" \
		"$(calls "$WORK/s$1.json" work_noop)" $((c1 - c0))
	expect_eq "attachment $1: attach.pid" "$(jqv "$WORK/s$1.json" .attach.pid)" "$APID"
	python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$WORK/s$1.json" ||
		fail "summary schema"
	[ "$(jqv "$WORK/s$1.json" .attach.attached_realtime_ns)" -gt 0 ] || fail "no attached_realtime_ns"
	[ "$(jqv "$WORK/s$1.json" '.attach.detached_realtime_ns > .attach.attached_realtime_ns')" = true ] ||
		fail "detached_realtime_ns"
	expect_eq "GOT slot after detach $1" "$(got_slot "$APID" "$ATTACHEE" work_noop)" "$slot0"
	not_stopped "$APID"
	shim_maps >"$WORK/shim$1.maps"
	seg_ino >"$WORK/seg$1.ino"
	kill -USR2 "$APID" # resume
	wait_lines "$OUT" '^resumed' "$1"
}
# libtmshim's mappings (address range, permissions, offset, file)
shim_maps() { awk '$6 ~ /libtmshim/ {print $1, $2, $3, $6}' "/proc/$APID/maps"; }
# the inodes of the process's segments in TM_DIR
seg_ino() { find "$TM_DIR" -name "*.$APID.*.tm" -printf '%i\n'; }
# The shim stayed mapped (dormant) and was reused, not loaded again: one
# executable mapping of it, the same mappings after each attachment (a
# second copy, or the shim unloaded and loaded again elsewhere, would show),
# and the one segment its first attachment made, renamed into each new
# session (a new instance of the shim would make its own). Distinct
# inodes alone cannot tell a second load of the same file.
shim_once() { # shim_once N: after attachment N
	expect_eq "executable mappings of libtmshim after attachment $1" \
		"$(awk '$2 ~ /x/' "$WORK/shim$1.maps" | wc -l)" 1
	expect_eq "libtmshim's mappings after attachment $1 = after the first" \
		"$(cat "$WORK/shim$1.maps")" "$(cat "$WORK/shim1.maps")"
	expect_eq "segments of the process after attachment $1" "$(wc -l <"$WORK/seg$1.ino")" 1
	expect_eq "the process's segment after attachment $1 = the first's" \
		"$(cat "$WORK/seg$1.ino")" "$(cat "$WORK/seg1.ino")"
}
attach_once 1
attach_once 2
shim_once 1
shim_once 2

# Running workers: the program's counter is read four times: b0 before
# tmrun starts, a0 after its "attached" line (the GOT slot is patched by
# then), a1 before tmrun is told to detach, b1 after it has exited. Upper
# bound: every call tm counts was made between b0 and b1, so n <= b1 - b0.
# Lower bound: every call counted by the program between a0 and a1 either
# entered through the trampoline (counted by tm: it returned before the
# detach) or was already running at the patch, and those are not counted:
# at most one per worker thread (W). So n >= (a1 - a0) - W.
b0=$(ask "$APID" "$OUT" USR1 count)
"$TMRUN" --attach "$APID" -s work_noop -o "$WORK/s3.json" >"$WORK/t3.out" 2>"$WORK/t3.err" &
tr=$!
PIDS+=("$tr")
wait_for "$WORK/t3.err" '^tmrun: attached to process'
a0=$(ask "$APID" "$OUT" USR1 count)
# a1 - a0 spans most of the attachment (about a second of it), so that the
# lower bound is close to n: the slack is what runs between the patch and
# a0, and between a1 and the restore
t0=$(date +%s%N)
for ((k = 0; k < 500; k++)); do
	a1=$(ask "$APID" "$OUT" USR1 count)
	[ "$a1" -gt $((a0 + 200000)) ] && [ $(($(date +%s%N) - t0)) -gt 1000000000 ] && break
done
kill -INT "$tr"
set +e
wait "$tr"
rc=$?
set -e
expect_eq "tmrun --attach exit code (3)" $rc 0
b1=$(ask "$APID" "$OUT" USR1 count)
n3=$(calls "$WORK/s3.json" work_noop)
lo=$((a1 - a0 - W))
[ "$n3" -gt 0 ] && [ "$n3" -ge "$lo" ] && [ "$n3" -le $((b1 - b0)) ] ||
	fail "running attachment: $n3 not in [$lo, $((b1 - b0))]"
echo "ok: running attachment counted $n3: at least the $((a1 - a0)) calls made while" \
	"surely attached less $W ($lo), at most the $((b1 - b0)) calls around it"
shim_maps >"$WORK/shim3.maps"
seg_ino >"$WORK/seg3.ino"
shim_once 3
expect_eq "GOT slot after detach 3" "$(got_slot "$APID" "$ATTACHEE" work_noop)" "$slot0"

kill -TERM "$APID"
set +e
wait "$APID"
rc=$?
set -e
expect_eq "attached program's exit code" $rc 3

# the same program and signals, never attached
OUT2="$WORK/b.out"
start_attachee "$OUT2" $W
for n in 1 2; do
	ask "$APID" "$OUT2" USR2 paused >/dev/null
	kill -USR2 "$APID"
	wait_lines "$OUT2" '^resumed' 0
	ask "$APID" "$OUT2" USR1 count >/dev/null
	ask "$APID" "$OUT2" USR2 paused >/dev/null
	kill -USR2 "$APID"
	wait_lines "$OUT2" '^resumed' "$n"
done
ask "$APID" "$OUT2" USR1 count >/dev/null
ask "$APID" "$OUT2" USR1 count >/dev/null
kill -TERM "$APID"
set +e
wait "$APID"
rc2=$?
set -e
expect_eq "unattached exit code" $rc2 3
expect_eq "output (counts aside)" "$(stable_out "$OUT")" "$(stable_out "$OUT2")"
grep -q '^checks ok$' "$OUT" || fail "the program's checks failed"
