#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TM_DIR on a tiny, full tmpfs: a sparse segment whose pages cannot be
# allocated must never raise SIGBUS in the host. The host runs to its normal
# end; every call is either counted or reported as loss.nomem; processes
# that cannot even create a segment say so in one line and run unmonitored.
. "$(dirname "$0")/lib.sh"
tiny="$WORK/tiny"
mkdir -m 700 "$tiny"
if ! mount -t tmpfs -o size=256k,mode=0700 tmpfs "$tiny" 2>"$WORK/mount.err"; then
	echo "SKIP: cannot mount a tmpfs here: $(cat "$WORK/mount.err")"
	exit 77
fi
trap 'umount "$tiny" 2>/dev/null; rm -rf "$WORK"' EXIT
export TM_DIR="$tiny"
run() {
	set +e
	LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop,fail_if TM_CONFIG="$DATA/shapes.json" \
		"$TARGETS/threads" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	set -e
	expect_eq "threads $*: exit code" $rc 0
	grep -q "threads=$1 per=$2" "$WORK/out" || fail "threads $*: output $(cat "$WORK/out")"
}
run 2 100000 # fills the file system
first_calls=$((2 * 100000 + 2 * 10000))
run 8 20000
run 1 1000
grep -q "file system full" "$WORK/err" || fail "no line about the full file system: $(cat "$WORK/err")"
expect_eq "stderr lines of a dormant run" "$(wc -l <"$WORK/err")" 1
"$TMCOLLECT" --until-idle --summary "$WORK/s.json"
counted=$(jqv "$WORK/s.json" .totals.calls)
nomem=$(jqv "$WORK/s.json" .loss.nomem)
[ "$nomem" -gt 0 ] || fail "loss.nomem is 0 on a full file system"
# processes that had a segment: every call is counted or reported lost
procs=$(jqv "$WORK/s.json" .totals.processes)
expected=$first_calls
[ "$procs" -ge 2 ] && expected=$((expected + 8 * 20000 + 8 * 2000))
[ "$procs" -ge 3 ] && expected=$((expected + 1000 + 100))
expect_eq "counted + nomem over $procs monitored processes" $((counted + nomem)) $expected
