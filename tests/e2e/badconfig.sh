#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bad configuration never breaks the host: one clear "tm:" line on stderr,
# and output and exit code exactly as without the shim.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"
"$bin" 100 >"$WORK/native.out"
printf '{\n  "symbols": {\n    "fail_if": {"success": "ret == 0",}\n  }\n}\n' >"$WORK/syntax.json"
printf '{"symbols": {"fail_if": {"success": "ret >= zero"}}}\n' >"$WORK/rule.json"
printf '{"symbols": {"fail_if": {"sucess": "ret == 0"}}}\n' >"$WORK/field.json"
printf '[1, 2]\n' >"$WORK/top.json"

# case: env settings ; expected words in the line
check() {
	local name=$1 expect=$2
	shift 2
	set +e
	env "$@" LD_PRELOAD="$SHIM" "$bin" 100 >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	set -e
	expect_eq "$name: exit code" $rc 0
	cmp "$WORK/native.out" "$WORK/out" || fail "$name: output changed"
	expect_eq "$name: stderr lines" "$(wc -l <"$WORK/err")" 1
	grep -q "^tm: .*$expect" "$WORK/err" || fail "$name: message '$(cat "$WORK/err")' lacks '$expect'"
	echo "ok: $name: $(cat "$WORK/err")"
}
check "json syntax" "syntax.json: line 3" TM_CONFIG="$WORK/syntax.json"
check "bad rule" "expected a number" TM_CONFIG="$WORK/rule.json" TM_SYMBOLS=work_noop
check "unknown field" 'unknown field "sucess"' TM_CONFIG="$WORK/field.json" TM_SYMBOLS=work_noop
check "not an object" 'expected {"symbols"' TM_CONFIG="$WORK/top.json" TM_SYMBOLS=work_noop
check "missing file" "nope.json" TM_CONFIG="$WORK/nope.json" TM_SYMBOLS=work_noop
check "bad session" "TM_SESSION" TM_SESSION='a/b' TM_SYMBOLS=work_noop
check "bad ring" "TM_RING=1000" TM_RING=1000 TM_SYMBOLS=work_noop
check "relative dir" "TM_DIR" TM_DIR=relative/dir TM_SYMBOLS=work_noop
check "dir not creatable" "cannot create" TM_DIR=/proc/nope TM_SYMBOLS=work_noop
check "refused symbol" "refusing to monitor 'longjmp'" TM_SYMBOLS=longjmp,work_noop
check "nothing usable" "no usable symbols" TM_SYMBOLS=,,
mkdir -m 755 "$WORK/open"
check "dir not private" "mode 0700" TM_DIR="$WORK/open" TM_SYMBOLS=work_noop

# Where something valid remained (work_noop), the shim went on with it: six
# runs above were monitored; a late collector finds exactly their calls.
"$TMCOLLECT" --session default --until-idle --summary "$WORK/s.json"
expect_eq "monitored runs" "$(jqv "$WORK/s.json" .totals.processes)" 6
expect_eq "work_noop calls" "$(calls "$WORK/s.json" work_noop)" 600
expect_no_segments
