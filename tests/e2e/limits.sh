#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The documented limits are harmless: a static binary and a child that
# clears its environment run exactly as without the shim, silently, and the
# report says what was not seen rather than inventing anything.
. "$(dirname "$0")/lib.sh"
set +e
"$TARGETS/static_prog" >"$WORK/native"
nrc=$?
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop,printf "$TARGETS/static_prog" >"$WORK/shim" 2>"$WORK/err"
src=$?
set -e
expect_eq "static: exit code" $src $nrc
cmp "$WORK/native" "$WORK/shim" || fail "static: output differs"
expect_eq "static: stderr" "$(cat "$WORK/err")" ""
expect_eq "static: no segment" "$(find "$TM_DIR" -name '*.tm' | wc -l)" 0

# env -i: the child runs without LD_PRELOAD; only env itself is monitored
"$TARGETS/shapes_pie" 10 >"$WORK/native"
"$TMRUN" -q -s work_noop -o "$WORK/s.json" -- env -i "$TARGETS/shapes_pie" 10 >"$WORK/shim" 2>"$WORK/err"
cmp "$WORK/native" "$WORK/shim" || fail "env -i: output differs"
expect_eq "env -i: stderr" "$(cat "$WORK/err")" ""
expect_eq "env -i: calls seen" "$(calls "$WORK/s.json" work_noop)" 0
expect_eq "env -i: the reason shown" "$(field "$WORK/s.json" work_noop note)" "not found in any loaded object"

# a monitored image that execs into one without the shim (execle, empty
# environment) is reported as exec'd, not as crashed, once the process ends
"$TARGETS/spawner" "$TARGETS/shapes_pie" clear >"$WORK/native"
"$TMRUN" -q -s work_noop -o "$WORK/c.json" -- "$TARGETS/spawner" "$TARGETS/shapes_pie" clear >"$WORK/shim"
cmp "$WORK/native" "$WORK/shim" || fail "exec into a cleared environment: output differs"
expect_eq "exec'd image: calls" "$(calls "$WORK/c.json" work_noop)" 100
expect_eq "exec'd image: status" "$(jqv "$WORK/c.json" '[.processes[].status] | join(",")')" exec
expect_no_segments

# set-user-ID: run as nobody, a setuid copy of gzip gets no shim (the
# dynamic linker drops a preload path with a slash; the shim refuses
# AT_SECURE itself when preloaded from the system directory, set-user-ID,
# the one way it can be): same output, silent, no segment. A plain copy, same
# user and environment, is monitored — the premise.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 711 "$WORK"
	cp /usr/bin/gzip "$WORK/gz_plain"
	cp /usr/bin/gzip "$WORK/gz_suid"
	chmod 4755 "$WORK/gz_suid"
	install -m 755 "$SHIM" "$WORK/libtmshim.so"
	sysdir=$(dirname "$(readlink -f "$(gcc -print-file-name=libc.so.6)")")
	syslib="libtmshim-test-$$.so"
	install -m 4755 "$SHIM" "$sysdir/$syslib"
	trap 'rm -f "$sysdir/$syslib"; rm -rf "$WORK"' EXIT
	seq 1 2000 >"$WORK/in"
	chmod 644 "$WORK/in"
	mkdir -m 700 "$WORK/nshm"
	chown nobody:nogroup "$WORK/nshm"
	gzip -c <"$WORK/in" >"$WORK/native.gz"
	# as_nobody NAME BINARY PRELOAD
	as_nobody() {
		(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env LD_PRELOAD="$3" TM_DIR="$WORK/nshm" TM_SESSION="$1" TM_SYMBOLS=read,write \
			"$2" -c <"$WORK/in" >"$WORK/$1.gz" 2>"$WORK/$1.err")
		cmp "$WORK/native.gz" "$WORK/$1.gz" || fail "$1: output differs"
		expect_eq "$1: stderr" "$(cat "$WORK/$1.err")" ""
	}
	as_nobody plain "$WORK/gz_plain" "$WORK/libtmshim.so"
	expect_eq "plain copy as nobody: monitored" "$(find "$WORK/nshm" -name 'plain.*.tm' | wc -l)" 1
	as_nobody suid "$WORK/gz_suid" "$WORK/libtmshim.so"
	expect_eq "setuid copy: no segment" "$(find "$WORK/nshm" -name 'suid.*.tm' | wc -l)" 0
	as_nobody suidsys "$WORK/gz_suid" "$syslib"
	expect_eq "setuid copy, shim from the system directory: no segment" \
		"$(find "$WORK/nshm" -name 'suidsys.*.tm' | wc -l)" 0
	rm -f "$sysdir/$syslib"
else
	echo "skipped: setuid (needs root, user nobody and setpriv)"
fi
