#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile configurations: functions the shim itself or the process machinery
# depends on. Each is monitored correctly or refused in one line; never a
# hang, crash or changed result.
. "$(dirname "$0")/lib.sh"
ALL='vfork,longjmp,setjmp,__libc_start_main,dlopen,dlsym,malloc,free,calloc,realloc,write,read,pthread_create,fork,exit,_exit,execve,posix_spawn,system,waitpid,work_noop'

set +e
"$TARGETS/shapes_pie" 500 >"$WORK/native"
LD_PRELOAD="$SHIM" TM_SESSION=h1 TM_SYMBOLS="$ALL" "$TARGETS/shapes_pie" 500 >"$WORK/shim" 2>"$WORK/err"
rc=$?
set -e
expect_eq "exit code" $rc 0
cmp "$WORK/native" "$WORK/shim" || fail "output differs"
expect_eq "stderr: one line" "$(wc -l <"$WORK/err")" 1
grep -q "^tm: refusing to monitor 'vfork', 'longjmp', 'setjmp', '__libc_start_main', 'dlopen', 'dlsym', '_exit'" "$WORK/err" ||
	fail "refusal line: $(cat "$WORK/err")"
"$TMCOLLECT" --session h1 --until-idle --summary "$WORK/h1.json"
expect_eq "work_noop still exact" "$(calls "$WORK/h1.json" work_noop)" 500

# malloc/free monitored in a program calling them 10M times: the difference
# between a 5M and a 10M run is exactly 5M of each
H="$TARGETS/hostile"
for n in 5000000 10000000; do
	"$H" malloc $n >"$WORK/native"
	"$TMRUN" -q -s malloc,free -o "$WORK/m$n.json" -- "$H" malloc $n >"$WORK/shim"
	cmp "$WORK/native" "$WORK/shim" || fail "malloc $n: output differs"
done
d_malloc=$(($(calls "$WORK/m10000000.json" malloc) - $(calls "$WORK/m5000000.json" malloc)))
d_free=$(($(calls "$WORK/m10000000.json" free) - $(calls "$WORK/m5000000.json" free)))
expect_eq "malloc calls per 5M more" $d_malloc 5000000
expect_eq "free calls per 5M more" $d_free 5000000
expect_eq "malloc failures" "$(field "$WORK/m10000000.json" malloc failed)" 0

# process machinery monitored in a shell pipeline with forks, execs, waits
set +e
sh -c 'echo one | cat; (echo two) | tr a-z A-Z; ls /nonexistent 2>/dev/null; exit 5' >"$WORK/native"
native_rc=$?
"$TMRUN" -q -s "$ALL" -o "$WORK/sh.json" -- sh -c 'echo one | cat; (echo two) | tr a-z A-Z; ls /nonexistent 2>/dev/null; exit 5' >"$WORK/shim" 2>/dev/null
shim_rc=$?
set -e
expect_eq "shell exit code" $shim_rc $native_rc
cmp "$WORK/native" "$WORK/shim" || fail "shell output differs"
crashed=$(jqv "$WORK/sh.json" '[.processes[] | select(.status == "crashed")] | length')
expect_eq "no process reported crashed" "$crashed" 0
expect_no_segments
