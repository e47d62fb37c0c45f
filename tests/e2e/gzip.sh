#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gzip -c on a file of known size with read/write hooked, run under strace:
# output identical to a native run, bytes read add up to the file size, and
# read/write counts equal strace's syscalls on the input fd and on stdout;
# with read's count argument captured, bytes_in equals strace's counts.
. "$(dirname "$0")/lib.sh"
in="$WORK/input.txt"
seq 1 400000 | sed 's/$/ some text to compress/' >"$in"
size=$(stat -c %s "$in")

gzip -c "$in" >"$WORK/native.gz"
"$TMCOLLECT" --session gz --until-idle --summary "$WORK/s.json" &
coll=$!
strace -f -qq -e trace=openat,read,write -o "$WORK/strace" \
	env LD_PRELOAD="$SHIM" TM_SESSION=gz TM_SYMBOLS=read,write gzip -c "$in" >"$WORK/shim.gz"
wait $coll
cmp "$WORK/native.gz" "$WORK/shim.gz" || fail "gzip output differs under the shim"
echo "ok: compressed output identical"

# strace lines: "PID read(FD, ..." ; the input's fd comes from its openat
# (gzip opens it relative to a directory fd: match the basename)
fd=$(grep 'openat(' "$WORK/strace" | grep -F '"input.txt"' | grep -o '= [0-9]*$' | tail -1 | tr -dc 0-9)
[ -n "$fd" ] || fail "input openat not found in strace output"
st_reads=$(awk -v f="read($fd," -v name='"input.txt"' '
	index($0, name) && /openat/ { on = 1; next }
	on && index($0, f) { n++ } END { print n + 0 }' "$WORK/strace")
st_writes=$(grep -c ' write(1,' "$WORK/strace")

expect_eq "read calls = strace reads on the input fd" "$(calls "$WORK/s.json" read)" "$st_reads"
expect_eq "write calls = strace writes on stdout" "$(calls "$WORK/s.json" write)" "$st_writes"
expect_eq "bytes read = file size" "$(field "$WORK/s.json" read bytes)" "$size"
expect_eq "bytes written = output size" "$(field "$WORK/s.json" write bytes)" "$(stat -c %s "$WORK/shim.gz")"
expect_eq "read failures" "$(field "$WORK/s.json" read failed)" 0

# the sizes asked: read's count argument captured at entry (bytes_in), and
# write's bytes out; oracle: strace's read counts (the third argument) on
# the input's descriptor (the shim's own reads are system calls, not
# calls of read), and the output's size
printf '{"symbols": {"read": {"bytes": "arg3", "flow": "in"}, "write": {"flow": "out"}}}\n' >"$WORK/sizes.json"
"$TMCOLLECT" --session gz2 --until-idle --summary "$WORK/z.json" &
coll=$!
strace -qq -e trace=openat,read -o "$WORK/strace2" \
	env LD_PRELOAD="$SHIM" TM_SESSION=gz2 TM_CONFIG="$WORK/sizes.json" gzip -c "$in" >"$WORK/z.gz"
wait $coll
cmp "$WORK/native.gz" "$WORK/z.gz" || fail "gzip output differs with sizes captured"
asked=$(python3 - "$WORK/strace2" <<'PY'
import re, sys
fd, total = None, 0
for line in open(sys.argv[1]):
    m = re.search(r'openat\(.*"input\.txt".*= (\d+)$', line)
    if m:
        fd = m.group(1)
    m = re.match(r'read\((\d+), .*, (\d+)\)\s+= ', line)
    if m and m.group(1) == fd:
        total += int(m.group(2))
print(total)
PY
)
expect_eq "read bytes_in = strace's read counts on the input summed" "$(field "$WORK/z.json" read bytes_in)" "$asked"
expect_eq "read bytes from arguments" "$(field "$WORK/z.json" read bytes_from)" arguments
expect_eq "write bytes_out = output size" "$(field "$WORK/z.json" write bytes_out)" "$(stat -c %s "$WORK/z.gz")"
expect_no_segments
