/* SPDX-License-Identifier: MIT */
/* procfs.c's cgroup readers: a process's cgroup, and the CPU time a cgroup
 * may use, from a cgroup tree built here (the tightest limit of the cgroup
 * and its ancestors; anything unreadable or malformed is no limit). */
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
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a", &q), 0);
	cr_assert_float_eq(q, 2.0, 1e-9);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b", &q), 0, "unlimited under a limit");
	cr_assert_float_eq(q, 2.0, 1e-9);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b/c", &q), 0);
	cr_assert_float_eq(q, 0.5, 1e-9);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/a/b/c/d", &q), 0, "no cpu.max of its own");
	cr_assert_float_eq(q, 0.5, 1e-9);
}

Test(procfs, no_or_malformed_quota_is_no_limit)
{
	double q = 7;
	cr_assert_eq(tm_procfs_cpu_quota(root, "/", &q), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/missing", &q), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/bad", &q), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/bad/zero", &q), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "/bad/zero/per", &q), -1);
	cr_assert_eq(tm_procfs_cpu_quota(root, "a", &q), -1, "not a cgroup path");
	char longpath[600];
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/', longpath[sizeof(longpath) - 1] = '\0';
	cr_assert_eq(tm_procfs_cpu_quota(root, longpath, &q), -1);
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
