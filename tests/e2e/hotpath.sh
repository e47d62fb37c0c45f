#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hot path must not touch a vector or x87 register (the trampolines do
# not save them) and must call nothing but its own helpers and
# __errno_location. A compiler-generated memcpy/memset, or a libc call,
# added to hook.c, thread.c or attach_hot.c would break float arguments and
# returns; so would a vector register in tramp.S's own fast paths.
. "$(dirname "$0")/lib.sh"
objs=$(find "$TM_BUILD/shim/CMakeFiles/tmshim_hot.dir" -name '*.o')
[ -n "$objs" ] || fail "hot-path objects not found"
allowed='tm_populate|tm_populate_cnt|tm_decide|tm_exit_full|tm_exit_timed|tm_ring_room|tm_thread_setup|tm_clock_mono|__errno_location|tm_seg_claim|tm_acc_add|tm_retire|tm_attach_slot|tm_attach_shared|tm_acc_err|tm_acc_minmax|tm_loss|tm_die_empty_stack|tm_gettid|tm_attach_revive'
for o in $objs; do
	dis=$(objdump -dr --no-show-raw-insn "$o")
	vec=$(grep -E '%[xyz]mm[0-9]|%st\b|%st\(|\bf(ld|st|add|mul)' <<<"$dis" || true)
	[ -z "$vec" ] || fail "$(basename "$o") uses vector/x87 registers: $vec"
	bad=$(grep -E 'R_X86_64_(PLT32|PC32|GOTPCREL)' <<<"$dis" | awk '{print $NF}' | sed -E 's/[-+]0x[0-9a-f]+$//' |
		sed 's/\.constprop\.[0-9]*//; s/\.isra\.[0-9]*//' | sort -u |
		grep -vE "^($allowed|tm_g|tm_slots|tm_rules|tm_tls|tm_exit_tramp|\.text|\.text\.unlikely|\.bss|\.data|\.rodata|_GLOBAL_OFFSET_TABLE_)$" || true)
	[ -z "$bad" ] || fail "$(basename "$o") references: $bad"
	echo "ok: $(basename "$o"): general registers only, no foreign calls"
done
# the trampolines' own fast paths: general registers only too
tramp=$(find "$TM_BUILD/shim/CMakeFiles/tmshim.dir" -name 'tramp.S.o')
[ -n "$tramp" ] || fail "tramp.S object not found"
vec=$(objdump -d --no-show-raw-insn "$tramp" | grep -E '%[xyz]mm[0-9]|%st\b|%st\(|\bf(ld|st|add|mul)' || true)
[ -z "$vec" ] || fail "tramp.S uses vector/x87 registers: $vec"
echo "ok: tramp.S: general registers only"
