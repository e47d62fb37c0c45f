#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bad rules files: every bad entry is one line naming it and is skipped,
# the valid rules still run; a file that cannot be a rules file (too big,
# not JSON, a FIFO) is one line and a refusal, never a hang.
source "$(dirname "$0")/lib.sh"

python3 - "$WORK/bad.json" <<'PY'
import json, sys
bad = [
    {"name": "1x", "error_rate": 0.1}, {"error_rate": 1.5}, {"p99_ms": -1},
    {"slow_ratio": "x"}, {"objective": 1}, {"error_rate": 0.1, "p99_ms": 3}, {},
    {"error_rate": 0.1, "window": "2m"}, {"error_rate": 0.1, "for": "soon"},
    {"error_rate": 0.1, "severity": "page"}, {"error_rate": 0.1, "labels": {"a-b": "x"}},
    {"error_rate": 0.1, "colour": "red"}, "error_rate",
    {"name": "nowhere", "function": "no_such_function_*", "p99_ms": 1},
]
good = {"name": "good", "function": "phase_work", "error_rate": 0.1, "window": "10s",
        "severity": "critical"}
json.dump({"symbols": {"phase_work": {"ret": "long", "success": "ret > 0"}},
           "alerts": bad + [good],
           "anomaly": {"*": {"z": -1}, "phase_*": {"warmup_s": 5}},
           "maintenance": [{"function": "x"}],
           "defaults": {"speed": 3, "never_called": False}}, open(sys.argv[1], "w"))
PY
"$TMRUN" -q -c "$WORK/bad.json" -o "$WORK/s.json" -- "$TARGETS/phases" 200:500:2 200:500:4:50 \
	>"$WORK/out" 2>"$WORK/err" || fail "tmrun: $(cat "$WORK/err")"
cat "$WORK/err"
# 13 bad rules, 1 bad anomaly entry, 1 bad maintenance entry, 1 bad default,
# and the rule for a function nobody has
expect_eq "lines on stderr" "$(grep -c '^tmrun: rules' "$WORK/err")" 17
for i in $(seq 0 12); do
	grep -q "alerts\[$i\]" "$WORK/err" || fail "alerts[$i] not named"
done
grep -q 'alert "nowhere": function "no_such_function_\*" matches no monitored function' "$WORK/err" ||
	fail "the unmatched rule not said"
grep -q 'anomaly "\*" "z": ' "$WORK/err" || fail "the anomaly entry not named"
jq -e '[.alerts[] | select(.name == "good" and .severity == "critical")] | length >= 1' "$WORK/s.json" >/dev/null ||
	fail "the valid rule did not run: $(jq -c .alerts "$WORK/s.json")"
read -r calls failed < <(sed -n 's/^done calls=\([0-9]*\) failed=\([0-9]*\)/\1 \2/p' "$WORK/out")
expect_eq "calls" "$(calls "$WORK/s.json" phase_work)" "$calls"
expect_eq "failed" "$(field "$WORK/s.json" phase_work failed)" "$failed"
echo "ok: one line per bad entry, the valid rule fired"

# files that are not rules files: one line, refused
refuse() {
	local what=$1 file=$2 pat=$3 rc=0
	timeout 20 "$TMCOLLECT" -c "$file" --until-idle >/dev/null 2>"$WORK/e" || rc=$?
	[ "$rc" = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$WORK/e"))"
	expect_eq "$what: lines" "$(wc -l <"$WORK/e")" 1
	grep -q "$pat" "$WORK/e" || fail "$what: $(cat "$WORK/e")"
	echo "ok: $what refused: $(cat "$WORK/e")"
}
head -c 2097152 /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
refuse "a 2 MiB file" "$WORK/huge.json" "at most 1 MiB"
printf '{"alerts": [\n{"p99_ms": }\n]}\n' >"$WORK/broken.json"
refuse "broken JSON" "$WORK/broken.json" "line 2"
mkfifo "$WORK/fifo"
refuse "a FIFO" "$WORK/fifo" "not a regular file"
refuse "a missing file" "$WORK/none.json" "No such file"
echo '[1, 2]' >"$WORK/array.json"
refuse "an array" "$WORK/array.json" "JSON object"
