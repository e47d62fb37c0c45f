/* SPDX-License-Identifier: MIT */
/* procfs.c's cgroup readers: a process's cgroup, and the CPU time a cgroup
 * may use, from a cgroup tree built here (the tightest limit of the cgroup
 * and its ancestors, and the outermost of them within a limit: the scope
 * whose processes share it; anything unreadable or malformed is no limit). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"

static char root[64];

static void put(const char *dir, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", root, dir);
	cr_assert_eq(mkdir(path, 0700), 0, "%s: %s", path, strerror(errno));
	if (!text)
		return;
	strcat(path, "/cpu.max");
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

static void tree(void)
{
	snprintf(root, sizeof(root), "/tmp/tm-unit-cg.XXXXXX");
	cr_assert(mkdtemp(root));
	put("/a", "200000 100000\n");
	put("/a/b", "max 100000\n");
	put("/a/b/c", "50000 100000\n");
	put("/a/b/c/d", NULL);
	put("/bad", "lots\n");
	put("/bad/zero", "0 100000\n");
	put("/bad/zero/per", "100000 0\n");
}

static void untree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(procfs, .init = tree, .fini = untree);

Test(procfs, quota_is_the_tightest_of_the_cgroup_and_its_ancestors)
{
	double q = -1;
	size_t scope = 0;
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a", 1.0, &q, &scope), 0);
	cr_assert_float_eq(q, 2.0, 1e-9);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b", 1.0, &q, &scope), 0,
		     "unlimited under a limit");
	cr_assert_float_eq(q, 2.0, 1e-9);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b/c", 1.0, &q, &scope), 0);
	cr_assert_float_eq(q, 0.5, 1e-9);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b/c/d", 1.0, &q, &scope), 0,
		     "no cpu.max of its own");
	cr_assert_float_eq(q, 0.5, 1e-9);
}

Test(procfs, scope_is_the_outermost_cgroup_within_the_limit)
{
	double q;
	size_t scope = 0;
	/* /a has 2 CPUs, /a/b none of its own, /a/b/c half of one */
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b/c/d", 1.0, &q, &scope), 0);
	cr_assert_eq(scope, strlen("/a/b/c"), "scope %zu", scope);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b/c/d", 2.0, &q, &scope), 0);
	cr_assert_eq(scope, strlen("/a"), "the outer one when both are within");
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b", 1.0, &q, &scope), 0);
	cr_assert_eq(scope, (size_t)-1, "2 CPUs is not within 1");
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a", 0.25, &q, &scope), 0);
	cr_assert_eq(scope, (size_t)-1);
}

Test(procfs, no_or_malformed_quota_is_no_limit)
{
	double q = 7;
	size_t scope = 0;
	cr_assert_eq(tm_procfs_cpu_quota(root, "/", 1.0, &q, &scope), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/missing", 1.0, &q, &scope), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/bad", 1.0, &q, &scope), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/bad/zero", 1.0, &q, &scope), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/bad/zero/per", 1.0, &q, &scope), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "a", 1.0, &q, &scope), -1, "not a cgroup path");
	char longpath[600];
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/', longpath[sizeof(longpath) - 1] = '\0';
	cr_assert_eq(tm_procfs_cpu_quota(root, longpath, 1.0, &q, &scope), -1);
	cr_assert_float_eq(q, 7, 1e-9, "untouched");
}

Test(procfs, own_cgroup)
{
	char cg[256], again[256];
	int r = tm_procfs_cgroup(0, cg, sizeof(cg));
	if (r == -ENOENT) /* cgroup v1 only: no "0::" line */
		return;
	cr_assert_eq(r, 0, "%s", strerror(-r));
	cr_assert_eq(cg[0], '/');
	cr_assert_eq(tm_procfs_cgroup(getpid(), again, sizeof(again)), 0);
	cr_assert_str_eq(cg, again, "the process by pid is this one");
	cr_assert_eq(tm_procfs_cgroup(0, again, 2), strlen(cg) < 2 ? 0 : -ENAMETOOLONG);
}
