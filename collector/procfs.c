/* SPDX-License-Identifier: MIT */
/* The collector's one reader of /proc: a process's (or thread's) state,
 * start time, CPU time, threads and resident memory from `stat`, and its
 * open descriptors from `fd/`. Never a per-call cost: liveness checks and
 * the per-interval resource sample read it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

/* Reads a small file whole into buf (NUL-terminated): its length, or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return n;
}

/* Reads /proc/PID[/task/TID]/stat into buf; *fields points at field 3
 * (state), after the command name (which may hold spaces and ')'). */
static int read_stat(int32_t pid, int32_t tid, char *buf, size_t len, char **fields)
{
	char path[64];
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ssize_t n = read_small(path, buf, len);
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	*fields = p + 2;
	return 0;
}

int tm_procfs_stat(int32_t pid, int32_t tid, struct tm_pstat *st)
{
	char buf[1024], *p;
	int r = read_stat(pid, tid, buf, sizeof(buf), &p);
	if (r < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->state = *p;
	unsigned long long v[23] = {0}; /* fields 3.. 24 */
	for (unsigned f = 0; f < 22 && *p; f++) {
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
		v[f] = strtoull(p, NULL, 10);
	}
	/* v[k] is field k + 4: utime 14, stime 15, num_threads 20,
	 * starttime 22, rss 24 */
	static long hz, page;
	if (!hz) {
		hz = sysconf(_SC_CLK_TCK);
		page = sysconf(_SC_PAGESIZE);
	}
	st->utime_s = (double)v[10] / (double)(hz > 0 ? hz : 100);
	st->stime_s = (double)v[11] / (double)(hz > 0 ? hz : 100);
	st->threads = (uint32_t)v[16];
	st->starttime = v[18];
	st->rss_bytes = (uint64_t)v[20] * (uint64_t)(page > 0 ? page : 4096);
	return 0;
}

int tm_procfs_zombie_status(int32_t pid, uint64_t starttime, int *wstatus)
{
	char buf[2048], *p;
	int r = read_stat(pid, 0, buf, sizeof(buf), &p);
	if (r < 0)
		return r;
	if (*p != 'Z')
		return -ESRCH;
	/* fields 3 (state) .. 52 (exit_code): 49 spaces to skip */
	unsigned long long start = 0;
	long long code = -1;
	unsigned field = 3;
	for (; *p && field < 52; p++) {
		if (*p != ' ')
			continue;
		field++;
		if (field == 22)
			start = strtoull(p + 1, NULL, 10);
		if (field == 52) {
			char *end;
			code = strtoll(p + 1, &end, 10);
			if (end == p + 1)
				code = -1;
		}
	}
	if (start != starttime)
		return -ESRCH; /* another process now has the pid */
	if (code < 0 || code > 0xffff)
		return -EIO;
	*wstatus = (int)code;
	return 0;
}

int tm_procfs_fds(int32_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int tm_procfs_alive(int32_t pid, int32_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)tid);
	return access(path, F_OK) == 0;
}

uint64_t tm_procfs_boot_time(void)
{
	static uint64_t cached; /* fixed for the system's life; read once */
	char line[256];
	uint64_t bt = 0;
	if (cached)
		return cached;
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "btime ", 6) == 0) {
			bt = strtoull(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	cached = bt;
	return bt;
}

int tm_procfs_exe(int32_t pid, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, out, len - 1);
	if (n <= 0)
		return -ENOENT;
	out[n] = '\0';
	return 0;
}

int tm_procfs_cgroup(int32_t pid, char *out, size_t len)
{
	char path[64], buf[1024];
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	ssize_t n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* cgroup v2: the one line "0::/path" (v1 lines have controllers
	 * between the colons) */
	for (char *l = buf; *l;) {
		char *e = strchr(l, '\n');
		if (e)
			*e = '\0';
		if (strncmp(l, "0::/", 4) == 0) {
			size_t k = strlen(l + 3);
			if (k >= len || strstr(l + 3, "/.."))
				return -ENAMETOOLONG;
			memcpy(out, l + 3, k + 1);
			return 0;
		}
		if (!e)
			break;
		l = e + 1;
	}
	return -ENOENT;
}

int tm_procfs_cpu_quota(const char *root, const char *cgroup, double within, double *cpus,
			size_t *scope)
{
	char dir[512], buf[128];
	size_t base = strlen(root), n = strlen(cgroup);
	if (base + n >= sizeof(dir) || cgroup[0] != '/')
		return -1;
	memcpy(dir, root, base);
	memcpy(dir + base, cgroup, n + 1);
	double best = 0;
	size_t outer = (size_t)-1;
	for (;;) {
		/* the tightest limit of the cgroup and its ancestors */
		char path[sizeof(dir) + 16];
		snprintf(path, sizeof(path), "%s/cpu.max", dir);
		unsigned long long q, per;
		if (read_small(path, buf, sizeof(buf)) > 0 &&
		    sscanf(buf, "%llu %llu", &q, &per) == 2 && q > 0 && per > 0) {
			double v = (double)q / (double)per;
			if (best == 0 || v < best)
				best = v;
			if (v <= within)
				outer = strlen(dir) - base;
		}
		char *sl = strrchr(dir, '/');
		if (!sl || sl < dir + base)
			break;
		*sl = '\0';
	}
	if (best <= 0)
		return -1;
	*cpus = best;
	*scope = outer;
	return 0;
}
