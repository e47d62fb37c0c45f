#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# C++ functions configured as written in the source: "ns::Store::get" (no
# parameters), "twice(int)" (one overload of two), globs "ns::Store::*";
# matched against demangled names and reported demangled; an absent name
# is reported as not found.
. "$(dirname "$0")/lib.sh"
bin="$TARGETS/throws"
N=400
"$bin" cxx $N >"$WORK/native"
"$TMRUN" -q -s 'ns::Store::get,twice(int),nope::Missing::fn' -o "$WORK/a.json" -- "$bin" cxx $N >"$WORK/shim"
cmp "$WORK/native" "$WORK/shim" || fail "output differs"
expect_eq "ns::Store::get" "$(calls "$WORK/a.json" ns::Store::get)" $N
expect_eq "twice(int) (not the double overload)" "$(calls "$WORK/a.json" 'twice(int)')" $N
expect_eq "symbols reported" "$(jqv "$WORK/a.json" '.symbols | length')" 3
expect_eq "absent name" "$(field "$WORK/a.json" nope::Missing::fn note)" "not found in any loaded object"
"$TMRUN" -q -s 'ns::Store::*' -o "$WORK/b.json" -- "$bin" cxx $N >/dev/null
expect_eq "glob: get, demangled" "$(calls "$WORK/b.json" 'ns::Store::get(int)')" $N
expect_eq "glob: put, demangled" "$(calls "$WORK/b.json" 'ns::Store::put(int, int)')" $N
expect_no_segments
