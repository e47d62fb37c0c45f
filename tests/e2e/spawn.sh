#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vfork+exec, posix_spawn, system() and a program that execs itself: each
# process image reported once with its pid, exe and status, every call
# counted once, and output and exit code as without the shim.
. "$(dirname "$0")/lib.sh"
S="$TARGETS/spawner"
B="$TARGETS/shapes_pie"
set +e
"$S" "$B" >"$WORK/native"
native_rc=$?
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- "$S" "$B" >"$WORK/shim"
shim_rc=$?
set -e
expect_eq "exit code (of the self-exec'd image)" $shim_rc $native_rc
expect_eq "native exit code" $native_rc 4
cmp "$WORK/native" "$WORK/shim" || fail "output differs"
expect_eq "total calls" "$(calls "$WORK/s.json" work_noop)" $((100 + 10 + 20 + 30 + 7))
img() { jqv "$WORK/s.json" "[.processes[] | select((.exe | endswith(\"/$1\")) and .calls == $2 and .status == \"$3\")] | length"; }
expect_eq "spawner before exec: 100 calls, exec" "$(img spawner 100 exec)" 1
expect_eq "spawner after exec: 7 calls, exited" "$(img spawner 7 exited)" 1
for n in 10 20 30; do
	expect_eq "child with $n calls" "$(img shapes_pie $n exited)" 1
done
pre=$(jqv "$WORK/s.json" '.processes[] | select(.calls == 100) | .pid')
post=$(jqv "$WORK/s.json" '.processes[] | select(.calls == 7) | .pid')
expect_eq "exec keeps the pid" "$post" "$pre"
expect_no_segments
