/* SPDX-License-Identifier: MIT */
/* A seccomp filter may forbid what the injected calls need (dlopen opens
 * and maps a file; the shim creates its segment): the borrowed thread's
 * filters are read (PTRACE_SECCOMP_GET_FILTER) and run, with a small
 * classic-BPF interpreter, on each of those system calls. Anything but
 * "allow" (or "log") refuses the attach before the process is changed. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "attach.h"

struct tm_sc_data {
	int32_t nr;
	uint32_t arch;
	uint64_t ip;
	uint64_t args[6];
};

/* Runs one filter on `d`; the SECCOMP_RET_* value, or KILL on a bad program. */
static uint32_t tm_bpf_run(const struct sock_filter *p, unsigned n, const struct tm_sc_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	for (unsigned pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &p[pc];
		uint32_t k = i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (BPF_MODE(i->code) == BPF_ABS && BPF_SIZE(i->code) == BPF_W &&
			    k + 4 <= sizeof(*d) && k % 4 == 0)
				memcpy(&a, (const char *)d + k, 4);
			else if (BPF_MODE(i->code) == BPF_IMM)
				a = k;
			else if (BPF_MODE(i->code) == BPF_MEM && k < BPF_MEMWORDS)
				a = mem[k];
			else if (BPF_MODE(i->code) == BPF_LEN)
				a = sizeof(*d);
			else
				return SECCOMP_RET_KILL_PROCESS;
			break;
		case BPF_LDX:
			if (BPF_MODE(i->code) == BPF_IMM)
				x = k;
			else if (BPF_MODE(i->code) == BPF_MEM && k < BPF_MEMWORDS)
				x = mem[k];
			else if (BPF_MODE(i->code) == BPF_LEN)
				x = sizeof(*d);
			else
				return SECCOMP_RET_KILL_PROCESS;
			break;
		case BPF_ST:
			if (k < BPF_MEMWORDS)
				mem[k] = a;
			break;
		case BPF_STX:
			if (k < BPF_MEMWORDS)
				mem[k] = x;
			break;
		case BPF_ALU: {
			uint32_t v = BPF_SRC(i->code) == BPF_X ? x : k;
			switch (BPF_OP(i->code)) {
			case BPF_ADD: a += v; break;
			case BPF_SUB: a -= v; break;
			case BPF_MUL: a *= v; break;
			case BPF_DIV: a = v ? a / v : 0; break;
			case BPF_MOD: a = v ? a % v : 0; break;
			case BPF_AND: a &= v; break;
			case BPF_OR: a |= v; break;
			case BPF_XOR: a ^= v; break;
			case BPF_LSH: a = v < 32 ? a << v : 0; break;
			case BPF_RSH: a = v < 32 ? a >> v : 0; break;
			case BPF_NEG: a = -a; break;
			default: return SECCOMP_RET_KILL_PROCESS;
			}
			break;
		}
		case BPF_JMP: {
			uint32_t v = BPF_SRC(i->code) == BPF_X ? x : k;
			int t;
			switch (BPF_OP(i->code)) {
			case BPF_JA: pc += k; continue;
			case BPF_JEQ: t = a == v; break;
			case BPF_JGT: t = a > v; break;
			case BPF_JGE: t = a >= v; break;
			case BPF_JSET: t = (a & v) != 0; break;
			default: return SECCOMP_RET_KILL_PROCESS;
			}
			pc += t ? i->jt : i->jf;
			break;
		}
		case BPF_RET: return BPF_RVAL(i->code) == BPF_A ? a : k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return SECCOMP_RET_KILL_PROCESS;
}

/* What dlopen and the shim's attach do, with plausible arguments. */
static const struct {
	int nr;
	const char *name;
	uint64_t args[6];
} tm_needed[] = {
	{SYS_openat, "openat", {(uint64_t)-100, 0, 02000000}},
	{SYS_open, "open", {0, 02000002 | 0100 | 0200}},
	{SYS_read, "read", {0}},
	{SYS_write, "write", {0}},
	{SYS_close, "close", {0}},
	{SYS_newfstatat, "newfstatat", {0}},
	{SYS_fstat, "fstat", {0}},
	{SYS_mmap, "mmap", {0, 4096, 5, 0x802, 3, 0}},
	{SYS_mmap, "mmap", {0, 4096, 3, 0x22, (uint64_t)-1, 0}},
	{SYS_mprotect, "mprotect", {0, 4096, 1}},
	{SYS_mprotect, "mprotect", {0, 4096, 3}},
	{SYS_munmap, "munmap", {0}},
	{SYS_madvise, "madvise", {0, 4096, 23}},
	{SYS_munlock, "munlock", {0}},
	{SYS_ftruncate, "ftruncate", {0}},
	{SYS_mkdir, "mkdir", {0, 0700}},
	{SYS_rename, "rename", {0}},
	{SYS_getpid, "getpid", {0}},
	{SYS_geteuid, "geteuid", {0}},
	{SYS_gettid, "gettid", {0}},
	{SYS_futex, "futex", {0, 129, 1}},
	{SYS_rt_sigreturn, "rt_sigreturn", {0}},
	{SYS_readlink, "readlink", {0}},
	{SYS_pread64, "pread64", {0}},
};

int tm_seccomp_check(pid_t tid, char *why, size_t len)
{
	char v[32];
	if (tm_proc_status_field(tid, "Seccomp", v, sizeof(v)) < 0 || v[0] == '0')
		return 0;
	if (v[0] == '1') {
		snprintf(why, len,
			 "thread %d runs in strict seccomp mode: it may not load a library",
			 (int)tid);
		return -1;
	}
	static struct sock_filter prog[BPF_MAXINSNS];
	for (unsigned long idx = 0;; idx++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, prog);
		if (n < 0 && errno == ENOENT)
			return 0; /* every filter passed */
		if (n <= 0 || n > BPF_MAXINSNS) {
			snprintf(why, len,
				 "thread %d has a seccomp filter that cannot be read (%s; it needs "
				 "CAP_SYS_ADMIN): cannot tell whether it allows loading the shim",
				 (int)tid, n < 0 ? strerror(errno) : "too large");
			return -1;
		}
		for (size_t i = 0; i < sizeof(tm_needed) / sizeof(tm_needed[0]); i++) {
			struct tm_sc_data d = {.nr = tm_needed[i].nr, .arch = AUDIT_ARCH_X86_64};
			memcpy(d.args, tm_needed[i].args, sizeof(d.args));
			uint32_t r = tm_bpf_run(prog, (unsigned)n, &d) & SECCOMP_RET_ACTION_FULL;
			if (r != SECCOMP_RET_ALLOW && r != SECCOMP_RET_LOG) {
				snprintf(why, len,
					 "thread %d's seccomp filter forbids %s, which loading the "
					 "shim needs",
					 (int)tid, tm_needed[i].name);
				return -1;
			}
		}
	}
}
