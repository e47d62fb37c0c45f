#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A child forked while the parent is attached inherits the patched GOT and
# reports into a segment of its own, in tmrun's session; at the end tmrun
# detaches it too: its GOT slot is back, it is not traced, and it goes on
# until its parent ends it, as without tm.
. "$(dirname "$0")/attach_lib.sh"
PROG="$TARGETS/forkwait"
run() { # run OUT [attach]
	"$PROG" >"$1" 2>&1 &
	local pid=$! tr rc child
	PIDS+=("$pid")
	wait_for "$1" '^started$'
	if [ "${2:-}" = attach ]; then
		slot0=$(got_slot "$pid" "$PROG" work_noop)
		"$TMRUN" --attach "$pid" -s work_noop -o "$WORK/s.json" 2>"$WORK/t.err" &
		tr=$!
		PIDS+=("$tr")
		wait_for "$WORK/t.err" '^tmrun: attached'
	fi
	kill -USR1 "$pid"
	wait_for "$1" '^child [0-9]+$'
	child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$1")
	PIDS+=("$child")
	if [ "${2:-}" = attach ]; then
		expect_eq "the child's slot points into" \
			"$(mapped_from "$child" "$(got_slot "$child" "$PROG" work_noop)")" libtmshim.so >&2
		# the child's calls arrive (its own segment, our session)
		for ((i = 0; i < 500; i++)); do
			[ "$(find "$TM_DIR" -name "tmrun-$tr.$child.*" | wc -l)" -ge 1 ] && break
			sleep 0.01
		done
		sleep 0.2 # let the child call for a while (its count is only checked > 0)
		kill -INT "$tr"
		wait "$tr" || fail "tmrun" >&2
		# back to the lazy PLT entry, or bound by the child's next call since
		v=$(got_slot "$child" "$PROG" work_noop)
		where=$(mapped_from "$child" "$v")
		[ "$v" = "$slot0" ] || [ "$where" = libshapes.so ] ||
			fail "child's GOT slot after detach points into $where" >&2
		echo "ok: child's GOT slot after detach: $v ($where)" >&2
		not_stopped "$child" >&2
		not_stopped "$pid" >&2
		n=$(jq --argjson c "$child" '[.processes[] | select(.pid == $c)] | length' "$WORK/s.json")
		expect_eq "the child is in the summary" "$n" 1 >&2
	fi
	kill -TERM "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	echo "$rc"
}
rc_a=$(run "$WORK/a.out" attach)
rc_b=$(run "$WORK/b.out")
expect_eq "exit code attached / not" "$rc_a" "$rc_b"
expect_eq "exit code" "$rc_a" 6
expect_eq "output (pids aside)" "$(sed 's/^child [0-9]*$/child N/' "$WORK/a.out")" \
	"$(sed 's/^child [0-9]*$/child N/' "$WORK/b.out")"
grep -q '^child exited 9$' "$WORK/a.out" || fail "child: $(cat "$WORK/a.out")"
