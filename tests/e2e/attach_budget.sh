#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun --attach keeps to --cpu-budget like every collector: attached to a
# program that calls work_noop flat out on CPU 0, from CPU 0 itself, it
# reports the budget it was given and that it shared the CPU; a bad value
# is refused before anything is attached.
. "$(dirname "$0")/attach_lib.sh"
command -v taskset >/dev/null || fail "taskset (util-linux) is needed"
OUT="$WORK/a.out"

set +e
"$TMRUN" --attach 1 --cpu-budget 101 -s work_noop 2>"$WORK/bad.err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "--attach --cpu-budget 101 accepted"
grep -q "cpu-budget 101" "$WORK/bad.err" || fail "no line about the budget: $(cat "$WORK/bad.err")"

taskset -c 0 "$ATTACHEE" 1 >"$OUT" 2>&1 &
APID=$!
PIDS+=("$APID")
wait_for "$OUT" '^started'
taskset -c 0 "$TMRUN" --attach "$APID" --cpu-budget 5 -s work_noop --duration 1 -q \
	-o "$WORK/s.json" 2>"$WORK/t.err" || fail "tmrun --attach: $(cat "$WORK/t.err")"
expect_eq "attached: collector_cpu budget and shared" \
	"$(jq -r '.collector_cpu | "\(.budget_pct) \(.shared)"' "$WORK/s.json")" "5 true"
python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$WORK/s.json" >/dev/null ||
	fail "summary schema"
[ "$(calls "$WORK/s.json" work_noop)" -gt 0 ] || fail "no calls counted"
kill -TERM "$APID"
set +e
wait "$APID"
rc=$?
set -e
expect_eq "the program's exit code" $rc 3
grep -q '^checks ok$' "$OUT" || fail "the program's checks failed"
echo "ok"
