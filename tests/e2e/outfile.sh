#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Output files are written where the user said and nowhere else: a device
# node or FIFO given as the destination is written in place (never replaced
# by a regular file), a symlink planted at a predictable temporary name is
# never followed, a new summary is 0600, "-" is stdout.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/shapes_pie"
run() { "$TMRUN" -q -s work_noop -o "$1" -- "$bin" 10 >/dev/null; }
umask 022

# a character device: ours (a copy of /dev/null made with mknod) first, so
# a collector that would replace it is caught before /dev/null is touched
if mknod "$WORK/null" c 1 3 2>/dev/null; then
	run "$WORK/null"
	[ -c "$WORK/null" ] || fail "a device node given as output was replaced: $(ls -l "$WORK/null")"
	echo "ok: device node written in place"
	run /dev/null
	[ -c /dev/null ] || fail "/dev/null is no longer a character device"
	echo "ok: /dev/null still a character device"
	"$TMCOLLECT" --until-idle --summary /dev/null &
	LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop "$bin" 5 >/dev/null
	wait $!
	[ -c /dev/null ] || fail "/dev/null is no longer a character device (tmcollect)"
	[ ! -e /dev/null.tmp ] || fail "/dev/null.tmp left behind"
else
	echo "note: mknod not permitted here; device-node checks skipped"
fi

# a FIFO: the reader gets the JSON, the FIFO stays a FIFO
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/fifo.out" &
reader=$!
run "$WORK/fifo"
wait $reader
[ -p "$WORK/fifo" ] || fail "the FIFO was replaced"
expect_eq "JSON read from the FIFO: calls" "$(calls "$WORK/fifo.out" work_noop)" 10

# a symlink planted at the old predictable temporary name: not followed
echo victim >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/out.json.tmp"
run "$WORK/out.json"
expect_eq "planted <out>.tmp symlink's target" "$(cat "$WORK/victim")" victim
[ -L "$WORK/out.json.tmp" ] || fail "the planted link was replaced"
expect_eq "summary written beside it: calls" "$(calls "$WORK/out.json" work_noop)" 10
expect_eq "new summary's mode (umask 022)" "$(stat -c %a "$WORK/out.json")" 600
left=$(find "$WORK" -maxdepth 1 -name '.out.json.*' | wc -l)
expect_eq "temporary files left" "$left" 0

# replacing an existing file keeps its mode; a symlink the user named is
# followed and stays a symlink
chmod 640 "$WORK/out.json"
run "$WORK/out.json"
expect_eq "replaced summary keeps its mode" "$(stat -c %a "$WORK/out.json")" 640
ln -s out.json "$WORK/link.json"
run "$WORK/link.json"
[ -L "$WORK/link.json" ] || fail "a symlink given as output was replaced by a file"
expect_eq "through the link: calls" "$(calls "$WORK/out.json" work_noop)" 10

# "-" is stdout, for tmrun and tmcollect
out=$("$TMRUN" -q -s work_noop -o - -- "$bin" 7 | sed -n '/^{/,$p')
expect_eq "tmrun -o -: calls" "$(echo "$out" | jq -r '[.symbols[] | select(.name == "work_noop") | .calls] | add')" 7
"$TMCOLLECT" --until-idle --summary - >"$WORK/stdout.json" &
coll=$!
LD_PRELOAD="$SHIM" TM_SYMBOLS=work_noop "$bin" 3 >/dev/null
wait $coll
expect_eq "tmcollect --summary -: calls" "$(calls "$WORK/stdout.json" work_noop)" 3
[ ! -e ./- ] || fail "a file named '-' was created"
