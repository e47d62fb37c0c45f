#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmrun --on-alert end to end: the command gets the alert in TM_ALERT_*
# and as JSON on stdin when it fires and when it resolves; a command that
# hangs or fails never holds up the run, tmrun still ends with its
# command, and the counts stay exact.
source "$(dirname "$0")/lib.sh"
E2E="$(cd "$(dirname "$0")" && pwd)"
RULES="$DATA/onalert.json"
PH=("$TARGETS/phases" 200:500:2 200:500:4:50 200:500:12)

check_counts() {
	read -r calls failed < <(sed -n 's/^done calls=\([0-9]*\) failed=\([0-9]*\)/\1 \2/p' "$1")
	expect_eq "$3: calls" "$(calls "$2" phase_work)" "$calls"
	expect_eq "$3: failed" "$(field "$2" phase_work failed)" "$failed"
}

mkdir "$WORK/got"
export GOT="$WORK/got"
"$TMRUN" -q -c "$RULES" -o "$WORK/s1.json" \
	--on-alert 'cat >"$GOT/$TM_ALERT_STATE.json"; env | grep "^TM_ALERT_" | sort >"$GOT/$TM_ALERT_STATE.env"; echo "${LD_PRELOAD-}${TM_SYMBOLS-}${TM_CONFIG-}" >"$GOT/$TM_ALERT_STATE.shim"' \
	-- "${PH[@]}" >"$WORK/o1" 2>"$WORK/e1" || fail "tmrun: $(cat "$WORK/e1")"
check_counts "$WORK/o1" "$WORK/s1.json" "recording command"
# the command of the resolve may still be running when tmrun exits: wait for its file
for _ in $(seq 1 100); do [ -s "$GOT/resolved.env" ] && break; sleep 0.1; done
for st in firing resolved; do
	[ -s "$GOT/$st.json" ] || fail "no $st event: $(ls "$GOT")"
	python3 "$E2E/jsonschema_check.py" urn:tm:alert:1 "$GOT/$st.json" || fail "$st: stdin schema"
	expect_eq "$st: stdin name" "$(jq -r .name "$GOT/$st.json")" phase_errors
	expect_eq "$st: stdin state" "$(jq -r .state "$GOT/$st.json")" "$st"
	grep -qx 'TM_ALERT_NAME=phase_errors' "$GOT/$st.env" || fail "$st env: $(cat "$GOT/$st.env")"
	grep -qx "TM_ALERT_STATE=$st" "$GOT/$st.env" || fail "$st env state"
	grep -qx 'TM_ALERT_SEVERITY=critical' "$GOT/$st.env" || fail "$st env severity"
	grep -qx 'TM_ALERT_FUNCTION=phase_work' "$GOT/$st.env" || fail "$st env function"
	grep -qx 'TM_ALERT_KIND=error_rate' "$GOT/$st.env" || fail "$st env kind"
	grep -q '^TM_ALERT_SUMMARY=phase_work: error rate ' "$GOT/$st.env" || fail "$st env summary"
done
grep -qx 'TM_ALERT_ENDS=' "$GOT/firing.env" || fail "firing: TM_ALERT_ENDS should be empty"
# the command runs without the shim (tmrun's environment preloads it)
expect_eq "firing: no shim in the command's environment" "$(cat "$GOT/firing.shim")" ""
grep -q '^TM_ALERT_ENDS=20' "$GOT/resolved.env" || fail "resolved: TM_ALERT_ENDS: $(cat "$GOT/resolved.env")"
echo "ok: --on-alert got the alert firing and resolved"

# a command that hangs: the run is not held up, the command is killed
mark="999.$$"
start=$(date +%s)
"$TMRUN" -q -c "$RULES" -o "$WORK/s2.json" --on-alert "sleep $mark" -- "${PH[@]}" \
	>"$WORK/o2" 2>"$WORK/e2" || fail "tmrun (hang): $(cat "$WORK/e2")"
took=$(($(date +%s) - start))
check_counts "$WORK/o2" "$WORK/s2.json" "hanging command"
# a command killed at its timeout is not a process of the session
expect_eq "hanging command: crashed alerts" "$(jq '[.alerts[] | select(.kind == "crashed")] | length' "$WORK/s2.json")" 0
expect_eq "hanging command: processes" "$(jq '.processes | length' "$WORK/s2.json")" 1
# the phases take 18 s; a command still running when they end is killed
# at its 10 s timeout
[ "$took" -lt 40 ] || fail "tmrun took ${took}s with a hanging --on-alert"
for _ in $(seq 1 300); do pgrep -f "sleep $mark" >/dev/null || break; sleep 0.1; done
pgrep -f "sleep $mark" >/dev/null && fail "the hanging command is still running"
echo "ok: a hanging command was killed and did not hold up tmrun (${took}s)"

# a command that fails: one line, counts exact
"$TMRUN" -q -c "$RULES" -o "$WORK/s3.json" --on-alert 'exit 3' -- "${PH[@]}" \
	>"$WORK/o3" 2>"$WORK/e3" || fail "tmrun (fail): $(cat "$WORK/e3")"
check_counts "$WORK/o3" "$WORK/s3.json" "failing command"
expect_eq "lines about the failing command" "$(grep -c -- '--on-alert (.*): exit status 3' "$WORK/e3")" 1
echo "ok: a failing command is one line"
