#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The zlib profile with no configuration, on pigz and python3's zlib
# module. pigz compresses a known file (gzip -dc gives it back) with every
# deflate call ok, and decompresses it with inflateBack ok; a corrupt file
# makes inflateBack fail with Z_DATA_ERROR by name, as pigz says. With two
# threads pigz ends its compression streams without Z_FINISH: deflateEnd's
# Z_DATA_ERROR there is the outcome ended_early, not a failure. Python's
# zlib.decompress of a corrupt stream is one inflate failed with
# Z_DATA_ERROR (python's "Error -3"); inflate's Z_BUF_ERROR (no progress
# possible, call again) is the outcome no_progress.
. "$(dirname "$0")/lib.sh"
seq 1 300000 >"$WORK/data"
S='deflate*,inflate*,compress*,uncompress*'
z() { # NAME COMMAND...: run under tmrun, summary in $WORK/NAME.json; the command's status
	local n=$1 rc=0
	shift
	"$TMRUN" -q -s "$S" -o "$WORK/$n.json" -- "$@" || rc=$?
	python3 "$(dirname "$0")/jsonschema_check.py" urn:tm:summary:1 "$WORK/$n.json" >/dev/null ||
		fail "$n: schema"
	return $rc
}

z c1 pigz -p 1 -k -c "$WORK/data" >"$WORK/data.gz"
gzip -dc "$WORK/data.gz" | cmp - "$WORK/data" || fail "pigz's output does not decompress to the input"
s=$WORK/c1.json
[ "$(field "$s" deflate ok)" -ge 1 ] || fail "no deflate ok"
expect_eq "pigz -p 1: deflate calls = ok" "$(field "$s" deflate ok)" "$(calls "$s" deflate)"
expect_eq "pigz -p 1: deflateInit2_ ok" "$(field "$s" deflateInit2_ ok)" 1
expect_eq "pigz -p 1: deflateEnd ok" "$(field "$s" deflateEnd ok)" 1
expect_eq "pigz -p 1: totals.failed" "$(jqv "$s" .totals.failed)" 0

z c2 pigz -p 2 -k -c "$WORK/data" >"$WORK/data2.gz"
gzip -dc "$WORK/data2.gz" | cmp - "$WORK/data" || fail "pigz -p 2's output differs"
s=$WORK/c2.json
expect_eq "pigz -p 2: deflate failed" "$(field "$s" deflate failed)" 0
expect_eq "pigz -p 2: deflateEnd failed" "$(field "$s" deflateEnd failed)" 0
expect_eq "pigz -p 2: every stream ended: ok + ended_early = deflateInit2_" \
	$(($(field "$s" deflateEnd ok) + $(field "$s" deflateEnd 'outcomes.ended_early.codes.Z_DATA_ERROR // 0'))) \
	"$(calls "$s" deflateInit2_)"
expect_eq "pigz -p 2: totals.failed" "$(jqv "$s" .totals.failed)" 0

z d1 pigz -d -c "$WORK/data.gz" >"$WORK/back"
cmp "$WORK/back" "$WORK/data" || fail "pigz -d's output differs"
s=$WORK/d1.json
expect_eq "pigz -d: inflateBack calls" "$(calls "$s" inflateBack)" 1
expect_eq "pigz -d: inflateBack ok (Z_STREAM_END)" "$(field "$s" inflateBack ok)" 1
expect_eq "pigz -d: totals.failed" "$(jqv "$s" .totals.failed)" 0

# the compressed data past its first 200 bytes overwritten: a stored
# gzip header stays valid, the deflate data does not
head -c 200 "$WORK/data.gz" >"$WORK/bad.gz"
head -c 4000 /dev/zero | tr '\0' '\377' >>"$WORK/bad.gz"
rc=0
z d2 pigz -d -c "$WORK/bad.gz" >/dev/null 2>"$WORK/d2.err" || rc=$?
[ "$rc" != 0 ] || fail "pigz took a corrupt file"
grep -q 'invalid' "$WORK/d2.err" || fail "pigz's message: $(cat "$WORK/d2.err")"
s=$WORK/d2.json
expect_eq "corrupt: inflateBack failed" "$(field "$s" inflateBack failed)" 1
expect_eq "corrupt: inflateBack errors" "$(field "$s" inflateBack 'errors | tojson')" '{"Z_DATA_ERROR":1}'
expect_eq "corrupt: category" "$(field "$s" inflateBack 'errors_by_category | tojson')" \
	'{"invalid_input":1}'

cat >"$WORK/z.py" <<'P'
import zlib
data = b"tm " * 100000
c = zlib.compress(data, 6)
assert zlib.decompress(c) == data
d = zlib.decompressobj()
assert d.decompress(c[:100]) + d.decompress(b"") + d.decompress(c[100:]) + d.flush() == data
try:
    zlib.decompress(b"\x78\x9c" + b"\xff" * 40)
except zlib.error as e:
    print(e)
P
z py python3 "$WORK/z.py" >"$WORK/py.out"
grep -q 'Error -3 ' "$WORK/py.out" || fail "python: $(cat "$WORK/py.out")"
s=$WORK/py.json
expect_eq "python: inflate failed" "$(field "$s" inflate failed)" 1
expect_eq "python: inflate errors" "$(field "$s" inflate 'errors | tojson')" '{"Z_DATA_ERROR":1}'
nb=$(field "$s" inflate 'outcomes.no_progress.codes.Z_BUF_ERROR // 0')
[ "$nb" -ge 1 ] || fail "python: no Z_BUF_ERROR seen as no_progress"
expect_eq "python: inflate calls = ok + failed + no_progress" "$(calls "$s" inflate)" \
	$(($(field "$s" inflate ok) + 1 + nb))
expect_eq "python: deflate failed" "$(field "$s" deflate failed)" 0
expect_eq "python: totals.failed" "$(jqv "$s" .totals.failed)" 1
expect_no_segments
