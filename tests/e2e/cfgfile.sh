#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TM_CONFIG that is not an ordinary small file never hangs the program or
# eats its input: a FIFO nobody writes to, /dev/stdin, a directory, a file
# over the size cap. One line each; output and exit code unchanged.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"
"$bin" 100 >"$WORK/native.out"

# case: TM_CONFIG ; expected words in the one line
check() {
	local name=$1 cfg=$2 expect=$3
	set +e
	timeout 20 env LD_PRELOAD="$SHIM" TM_CONFIG="$cfg" "$bin" 100 >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	set -e
	expect_eq "$name: exit code" $rc 0
	cmp "$WORK/native.out" "$WORK/out" || fail "$name: output changed"
	expect_eq "$name: stderr lines" "$(wc -l <"$WORK/err")" 1
	grep -q "^tm: TM_CONFIG $cfg: .*$expect" "$WORK/err" || fail "$name: message '$(cat "$WORK/err")' lacks '$expect'"
	echo "ok: $name: $(cat "$WORK/err")"
}

mkfifo "$WORK/fifo"
check "FIFO, no writer" "$WORK/fifo" "a FIFO, not a regular file"
mkdir "$WORK/dir"
check "directory" "$WORK/dir" "a directory, not a regular file"
check "character device" /dev/zero "a character device, not a regular file"
# valid JSON, 2 MiB: refused by size before anything reads it
{
	printf '{"symbols": {"work_noop": {}}, "pad": "'
	head -c $((2 << 20)) /dev/zero | tr '\0' x
	printf '"}\n'
} >"$WORK/big.json"
check "over the size cap" "$WORK/big.json" "bytes, more than the 1 MiB a rules file may have"

# /dev/stdin as a pipe: refused without reading a byte of it
set +e
out=$(printf 'abc' | timeout 20 env LD_PRELOAD="$SHIM" TM_CONFIG=/dev/stdin cat 2>"$WORK/err")
rc=$?
set -e
expect_eq "stdin pipe: exit code" $rc 0
expect_eq "stdin pipe: the program's input" "$out" abc
expect_eq "stdin pipe: stderr lines" "$(wc -l <"$WORK/err")" 1
grep -q '^tm: TM_CONFIG /dev/stdin: a FIFO, not a regular file' "$WORK/err" || fail "stdin pipe: $(cat "$WORK/err")"
echo "ok: stdin pipe: $(cat "$WORK/err")"

# /dev/stdin redirected from a regular file: the config is read through a
# description of its own; the program still reads all of its input
printf '{"symbols": {"work_noop": {}}}\n' >"$WORK/in.json"
set +e
timeout 20 env LD_PRELOAD="$SHIM" TM_CONFIG=/dev/stdin cat <"$WORK/in.json" >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
expect_eq "stdin file: exit code" $rc 0
cmp "$WORK/in.json" "$WORK/out" || fail "stdin file: the program's input was eaten"
expect_eq "stdin file: stderr" "$(cat "$WORK/err")" ""
echo "ok: stdin file: input intact"

# a config under the cap still works
printf '{"symbols": {"work_noop": {}}}\n' >"$WORK/ok.json"
LD_PRELOAD="$SHIM" TM_SESSION=cf TM_CONFIG="$WORK/ok.json" "$bin" 100 >"$WORK/out"
cmp "$WORK/native.out" "$WORK/out" || fail "valid config: output changed"
"$TMCOLLECT" --session cf --until-idle --summary "$WORK/s.json"
expect_eq "valid config: work_noop calls" "$(calls "$WORK/s.json" work_noop)" 100
