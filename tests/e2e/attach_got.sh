#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# After a detach no GOT slot of any loaded object points into libtmshim,
# and the process's memory protections are those it had before the attach.
# Every JUMP_SLOT, GLOB_DAT and R_X86_64_64 relocation of every mapped ELF
# object (the program, libshapes, libc, ld.so, whatever the shim brought
# in) is read from /proc/PID/mem (tests/e2e/attach_gots.py) before the
# attach, while attached and after each detach. The monitored names put
# slots in the program (PLT, lazily bound), libshapes (its own call of
# work_noop) and libc (its RELRO GLOB_DAT of malloc and free, its JUMP_SLOTs
# of calloc and realloc); the shim's own hooks (dlopen, dlsym) take the
# program's slots of those names.
#
# docs/ARCHITECTURE.md, "Detach never unloads": every GOT write made while
# attached is put back, and "its GOTs hold what they held before". No slot
# is meant to keep pointing into the shim: the trampolines that stay
# (pass-through) are reached only through pointers the program copied
# (dlsym, a function table), never through a GOT. So the test asserts that
# no slot at all points into libtmshim after detach, and that each holds
# its value from before the attach (a lazy slot still unbound then may
# have been bound since by the dynamic linker). The shim's own GOT is not
# looked at: it is not the program's.
#
# Protections: every mapping that existed before the attach has the same
# permissions while attached and after the detach (RELRO pages were made
# writable only around each write), and every object's PT_GNU_RELRO range
# is read-only. Twice: the second attachment reuses the dormant shim.
. "$(dirname "$0")/attach_lib.sh"
GOTS="$(dirname "$0")/attach_gots.py"
SYMS='work_noop,malloc,free,calloc,realloc,printf,puts'
SYMS="$SYMS,pthread_mutex_lock,pthread_mutex_unlock,pthread_cond_wait,pthread_cond_broadcast"
OUT="$WORK/a.out"
start_attachee "$OUT" 3
python3 "$GOTS" snapshot "$APID" "$WORK/before.json"

for n in 1 2; do
	"$TMRUN" --attach "$APID" -s "$SYMS" -o "$WORK/s$n.json" >"$WORK/t$n.out" 2>"$WORK/t$n.err" &
	tr=$!
	PIDS+=("$tr")
	rc=0
	wait_for "$WORK/t$n.err" '^tmrun: attached to process'
	# while attached: the same protections, and slots in the shim
	python3 "$GOTS" check "$APID" "$WORK/before.json" attached >"$WORK/c$n.att" || rc=$?
	cat "$WORK/c$n.att"
	[ "$rc" = 0 ] || fail "attached $n: see above"
	for s in "attachee JUMP_SLOT work_noop" "attachee JUMP_SLOT dlopen" \
		"libc.so.6 GLOB_DAT malloc@@GLIBC_2.2.5" "libshapes.so JUMP_SLOT work_noop"; do
		grep -q "$s" "$WORK/c$n.att" || fail "attached $n: '$s' does not point into the shim"
	done
	c0=$(ask "$APID" "$OUT" USR1 count)
	for ((k = 0; k < 500; k++)); do
		[ "$(ask "$APID" "$OUT" USR1 count)" -gt $((c0 + 10000)) ] && break
	done
	detached_by "$tr" INT "$WORK/t$n.err" "attachment $n"
	[ "$(calls "$WORK/s$n.json" work_noop)" -gt 0 ] || fail "attachment $n counted nothing"
	not_stopped "$APID"
	rc=0
	python3 "$GOTS" check "$APID" "$WORK/before.json" detached >"$WORK/c$n.det" || rc=$?
	cat "$WORK/c$n.det"
	[ "$rc" = 0 ] || fail "detached $n: see above"
	grep -q '; 0 point into libtmshim$' "$WORK/c$n.det" || fail "detached $n: slots in the shim"
done

end_attachee "$OUT"
