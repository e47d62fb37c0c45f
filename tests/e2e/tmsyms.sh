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

# a shared library with no DT_NEEDED of its own is still a library (its
# imports bind to what the process loaded), never "statically linked"
printf 'int ext_fn(int);\nint f(int x) { return ext_fn(x) + 1; }\n' >"$WORK/tiny.c"
cc -shared -fPIC -nostdlib -o "$WORK/libtiny.so" "$WORK/tiny.c"
[ "$(readelf -d "$WORK/libtiny.so" | grep -c NEEDED)" = 0 ] || fail "test premise: libtiny has DT_NEEDED"
expect_eq "imports of a library without DT_NEEDED" "$("$TMSYMS" -i "$WORK/libtiny.so")" "import ext_fn"

# C++ names demangled, -m for the linker's names, -g on either
"$TMSYMS" -i "$TARGETS/throws" >"$WORK/cxx"
grep -qx 'import twice(double)' "$WORK/cxx" || fail "twice(double) not demangled: $(cat "$WORK/cxx")"
"$TMSYMS" -m -i "$TARGETS/throws" >"$WORK/cxxm"
grep -qx 'import _Z5twiced' "$WORK/cxxm" || fail "-m: $(cat "$WORK/cxxm")"
expect_eq "-g on the demangled name" "$("$TMSYMS" -i -g 'twice(d*' "$TARGETS/throws")" "import twice(double)"
expect_eq "-g on the mangled name" "$("$TMSYMS" -i -g '_Z5twiced' "$TARGETS/throws")" "import twice(double)"
"$TMSYMS" --help >/dev/null || fail "tmsyms --help exit status"
echo "ok: libraries without DT_NEEDED, demangled names, --help"
