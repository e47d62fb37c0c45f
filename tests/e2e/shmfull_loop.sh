#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A full /dev/shm never takes the collector down. On a 96 KiB tmpfs most
# segments cannot even get their header backed: the shim gives up and
# removes the file, and a collector that mapped the header meanwhile used
# to die of SIGBUS (tmrun then exited 135 and wrote no summary). 20 runs of
# tmrun, each with several processes racing for the space, plus a
# long-running tmcollect on the same directory: every tmrun exits with the
# command's status and writes its summary; tmcollect exits cleanly.
. "$(dirname "$0")/lib.sh"
tiny="$WORK/tiny"
mkdir -m 700 "$tiny"
if ! mount -t tmpfs -o size=96k,mode=0700 tmpfs "$tiny" 2>"$WORK/mount.err"; then
	echo "SKIP: cannot mount a tmpfs here: $(cat "$WORK/mount.err")"
	exit 77
fi
trap 'kill $coll 2>/dev/null || true; wait 2>/dev/null || true; umount "$tiny" 2>/dev/null; rm -rf "$WORK"' EXIT
export TM_DIR="$tiny"
bin="$TARGETS/threads"

"$TMCOLLECT" --session bg --summary "$WORK/bg.json" 2>"$WORK/bg.err" &
coll=$!
for i in $(seq 1 20); do
	# the background session competes for the same space
	for j in 1 2 3; do
		TM_SESSION=bg LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop "$bin" 2 200 >/dev/null 2>&1 &
	done
	rm -f "$WORK/s.json"
	set +e
	"$TMRUN" -q -s work_noop,fail_if -o "$WORK/s.json" -- \
		sh -c "$bin 2 200 & $bin 1 300 & $bin 3 100; wait; exit 3" >/dev/null 2>"$WORK/err"
	rc=$?
	set -e
	[ $rc -eq 3 ] || fail "run $i: tmrun exited $rc, expected the command's 3: $(tail -3 "$WORK/err")"
	jq -e .totals "$WORK/s.json" >/dev/null || fail "run $i: no summary"
	wait_bg=$(jobs -p | grep -v "^$coll\$" || true)
	[ -z "$wait_bg" ] || wait $wait_bg
	kill -0 $coll 2>/dev/null || fail "run $i: tmcollect died"
done
echo "ok: 20 runs of tmrun on a full tmpfs: status 3 and a summary each time"
kill -TERM $coll
set +e
wait $coll
rc=$?
set -e
expect_eq "background tmcollect's exit status" $rc 0
jq -e .totals "$WORK/bg.json" >/dev/null || fail "tmcollect wrote no summary"
