#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the README says about installing works: cmake --install into a
# prefix, and the installed tmrun finds the installed shim next to itself
# (../lib) with no TM_SHIM and no build tree in sight.
source "$(dirname "$0")/lib.sh"
cmake --install "$TM_BUILD" --prefix "$WORK/p" >/dev/null || fail "cmake --install"
for f in bin/tmrun bin/tmcollect bin/tmsyms lib/libtmshim.so; do
	[ -e "$WORK/p/$f" ] || fail "$f not installed"
done
ls "$WORK/p/share/tm/profiles/"*.json >/dev/null || fail "profiles not installed"
(cd / && env -u TM_SHIM "$WORK/p/bin/tmrun" -q -c "$DATA/phases.json" -o "$WORK/s.json" -- \
	"$TARGETS/phases" 20:100:1) >"$WORK/out" || fail "installed tmrun"
grep -q '^done calls=20 ' "$WORK/out" || fail "target: $(cat "$WORK/out")"
expect_eq "calls counted through the installed shim" "$(calls "$WORK/s.json" phase_work)" 20
echo "ok: installed tools run and find the installed shim"
