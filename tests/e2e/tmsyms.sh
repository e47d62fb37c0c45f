#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tmsyms lists what tm can hook: imports through the GOT (also -fno-plt),
# exports, never data references, and says so for static binaries.
. "$(dirname "$0")/lib.sh"
TMSYMS="$TM_BUILD/tools/tmsyms"
"$TMSYMS" -i "$TARGETS/shapes_pie" >"$WORK/pie"
grep -qx "import work_noop" "$WORK/pie" || fail "work_noop not among shapes_pie's imports"
"$TMSYMS" -i "$TARGETS/shapes_noplt" >"$WORK/noplt"
grep -qx "import work_noop (GOT, no PLT)" "$WORK/noplt" || fail "-fno-plt import not shown as GOT"
expect_eq "exports of libshapes matching work*" "$("$TMSYMS" -e -g 'work*' "$TARGETS/libshapes.so" | sort | tr '\n' ' ')" \
	"export work_100ns export work_100ns_native export work_noop export work_noop_native "
lib=$(ldd "$(command -v curl)" | awk '/libcurl/ {print $3}')
readelf -rW "$lib" >"$WORK/relocs"
grep -q 'GLOB_DAT.*stdout' "$WORK/relocs" || fail "test premise: $lib has a GLOB_DAT for stdout"
"$TMSYMS" -i "$lib" >"$WORK/curl"
if grep -qw stdout "$WORK/curl"; then fail "data symbol stdout listed as hookable"; fi
echo "ok: data references (stdout) are not listed"
set +e
"$TMSYMS" /sbin/ldconfig >/dev/null 2>"$WORK/err"
rc=$?
set -e
expect_eq "static binary exit code" $rc 1
grep -q "static" "$WORK/err" || fail "no explanation for a static binary: $(cat "$WORK/err")"
echo "ok: $(cat "$WORK/err")"
