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
# a pattern whose functions an earlier one took is not "not found": the
# summary, the table's findings and one stderr line name the earlier one
"$TMRUN" -s 'ns::label,ns::label(int)' -o "$WORK/c.json" -- "$bin" $N >/dev/null 2>"$WORK/c.err"
expect_eq "ns::label takes both" "$(calls "$WORK/c.json" ns::label)" $((2 * N))
expect_eq "claimed: the note" "$(field "$WORK/c.json" 'ns::label(int)' note)" \
	"an earlier pattern took its functions: counted as 'ns::label'"
grep -qxF "tm: pattern 'ns::label(int)': the earlier pattern 'ns::label' took 'ns::label[abi:cxx11](int)' (counted as 'ns::label'); list it first to count it on its own" "$WORK/c.err" ||
	fail "claim line: $(cat "$WORK/c.err")"
grep -q "ns::label(int): an earlier pattern took its functions, counted as 'ns::label'" "$WORK/c.err" ||
	fail "claim finding: $(cat "$WORK/c.err")"
"$TMRUN" -q -s 'work_noop,work_no*' -o "$WORK/g.json" -- "$TARGETS/shapes_pie" $N >/dev/null 2>"$WORK/g.err"
expect_eq "a glob claimed: the note" "$(field "$WORK/g.json" 'work_no*' note)" \
	"an earlier pattern took its functions: counted as 'work_noop'"
expect_eq "a glob claimed: one line" "$(cat "$WORK/g.err")" \
	"tm: pattern 'work_no*': the earlier pattern 'work_noop' took 'work_noop'; list it first to count it on its own"
"$TMRUN" -q -s 'ns::label(int),ns::label' -o "$WORK/d.json" -- "$bin" $N >/dev/null 2>"$WORK/d.err"
expect_eq "in the other order each has its own" \
	"$(calls "$WORK/d.json" 'ns::label(int)') $(calls "$WORK/d.json" ns::label)" "$N $N"
expect_eq "in the other order: nothing said" "$(wc -c <"$WORK/d.err")" 0
expect_no_segments
