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

# ABI-tagged names (a function returning std::string demangles as
# "ns::label[abi:cxx11](int)"): an exact name takes the tagged overload with
# or without the tag; with the tag, only that one. The tag's ':' is no
# library scope, a ',' inside a parameter list does not split the list, and
# the parameters match with or without the space after the comma.
bin="$TARGETS/abitag"
"$bin" $N >"$WORK/native"
tag() {
	"$TMRUN" -q -s "$1" -o "$WORK/t.json" -- "$bin" $N >"$WORK/shim"
	cmp "$WORK/native" "$WORK/shim" || fail "$1: output differs"
	jq -c '[.symbols[] | {(.name): .calls}] | add' "$WORK/t.json"
}
expect_eq "ns::label: both overloads, tagged and not" "$(tag 'ns::label')" "{\"ns::label\":$((2 * N))}"
expect_eq "ns::label[abi:cxx11]: the tagged one" "$(tag 'ns::label[abi:cxx11]')" "{\"ns::label[abi:cxx11]\":$N}"
expect_eq "ns::label(int), tag left out" "$(tag 'ns::label(int)')" "{\"ns::label(int)\":$N}"
expect_eq "scoped, with the tag" "$(tag 'libtmabitag.so:ns::label[abi:cxx11](int)')" \
	"{\"ns::label[abi:cxx11](int)\":$N}"
expect_eq "a comma in a signature" "$(tag 'ns::pair(int, char),ns::pair(int,long)')" \
	"{\"ns::pair(int, char)\":$N,\"ns::pair(int,long)\":$N}"
expect_eq "glob over tagged names" "$(tag 'ns::*[abi:cxx11]*')" \
	"{\"ns::label[abi:cxx11](int)\":$N,\"ns::pair[abi:cxx11](int, char)\":$N}"
expect_no_segments
