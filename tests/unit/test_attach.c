/* SPDX-License-Identifier: MIT */
/* tmrun --attach's decisions that this machine cannot show for real: which
 * refusal line a ptrace EPERM gets under each kernel.yama.ptrace_scope
 * (this kernel may have no Yama), and the dlopen entry chosen in a libc
 * older than 2.34, which has only __libc_dlopen_mode. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"

static const char *explain(unsigned ruid, unsigned euid, unsigned me, int cap, int scope)
{
	static char why[512];
	why[0] = 0;
	cr_assert_eq(tm_perm_explain(4242, ruid, euid, me, cap, scope, why, sizeof(why)), -1);
	cr_assert(strstr(why, "process 4242"), "%s", why);
	return why;
}

Test(perm, other_user_names_both_uids)
{
	const char *w = explain(33, 33, 1000, 0, 0);
	cr_assert(strstr(w, "uid 33") && strstr(w, "uid 1000"), "%s", w);
	cr_assert(strstr(w, "CAP_SYS_PTRACE"), "%s", w);
	/* a set-user-ID target: real uid ours, effective not */
	w = explain(1000, 0, 1000, 0, 0);
	cr_assert(strstr(w, "uid 0"), "%s", w);
}

Test(perm, scope_1_descendants_only)
{
	const char *w = explain(1000, 1000, 1000, 0, 1);
	cr_assert(strstr(w, "ptrace_scope=1") && strstr(w, "descendants"), "%s", w);
	cr_assert(strstr(w, "ptrace_scope=0"), "what to do: %s", w);
}

Test(perm, scope_2_needs_capability)
{
	const char *w = explain(1000, 1000, 1000, 0, 2);
	cr_assert(strstr(w, "ptrace_scope=2") && strstr(w, "CAP_SYS_PTRACE"), "%s", w);
}

Test(perm, scope_3_even_with_capability)
{
	cr_assert(strstr(explain(1000, 1000, 1000, 0, 3), "ptrace_scope=3"));
	cr_assert(strstr(explain(0, 0, 0, 1, 3), "until reboot"));
	/* scope 3 wins over a uid mismatch only with the capability */
	cr_assert(strstr(explain(33, 33, 0, 1, 3), "ptrace_scope=3"));
}

Test(perm, capability_and_scope_1_means_not_dumpable)
{
	const char *w = explain(33, 33, 0, 1, 1);
	cr_assert(strstr(w, "not dumpable"), "%s", w);
	cr_assert(!strstr(w, "ptrace_scope"), "%s", w);
}

Test(resolve, old_libc_uses_libc_dlopen_mode)
{
	struct tm_target t;
	memset(&t, 0, sizeof(t));
	t.pid = getpid();
	snprintf(t.libc.path, sizeof(t.libc.path), "%s", TM_OLDLIBC);
	t.libc.base = 0x7f0000000000;
	t.libc.found = 1;
	char why[512] = "";
	cr_assert_eq(tm_proc_resolve(&t, "", why, sizeof(why)), 0, "%s", why);
	uintptr_t v;
	cr_assert_eq(tm_elf_sym(TM_OLDLIBC, "__libc_dlopen_mode", &v), 0);
	cr_assert_eq(t.dlopen, t.libc.base + v, "dlopen at %#lx, want base + %#lx",
		     (unsigned long)t.dlopen, (unsigned long)v);
	cr_assert_eq(t.dlopen_private, 1, "__libc_dlopen_mode needs __RTLD_DLOPEN");
	cr_assert_gt(t.restorer, t.libc.base);
}

Test(resolve, new_libc_uses_dlopen)
{
	struct tm_target t;
	memset(&t, 0, sizeof(t));
	t.pid = getpid();
	snprintf(t.libc.path, sizeof(t.libc.path), "%s", TM_NEWLIBC);
	t.libc.found = 1;
	char why[512] = "";
	cr_assert_eq(tm_proc_resolve(&t, "", why, sizeof(why)), 0, "%s", why);
	cr_assert_neq(t.dlopen, 0);
	cr_assert_eq(t.dlopen_private, 0);
}
