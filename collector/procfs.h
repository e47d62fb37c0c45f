/* SPDX-License-Identifier: MIT */
/* The one /proc reader (procfs.c). */
#ifndef TM_PROCFS_H
#define TM_PROCFS_H

#include <stddef.h>
#include <stdint.h>

struct tm_pstat {
	char state;	    /* R, S, D, Z, X, ... */
	uint64_t starttime; /* clock ticks since boot (field 22) */
	double utime_s, stime_s;
	uint32_t threads;
	uint64_t rss_bytes;
};

/* tid 0: the process. 0 or -errno (gone: -ENOENT). */
int tm_procfs_stat(int32_t pid, int32_t tid, struct tm_pstat *st);
/* Open descriptors of pid, or -errno. */
int tm_procfs_fds(int32_t pid);
/* /proc/stat's btime: boot time, seconds since the epoch (0: unknown). */
uint64_t tm_procfs_boot_time(void);
/* The executable of pid (readlink /proc/PID/exe). 0 or -errno. */
int tm_procfs_exe(int32_t pid, char *out, size_t len);
/* The wait status of a zombie pid (/proc/PID/stat field 52, exit_code,
 * Linux 3.5+): 0, or -errno (gone, not a zombie: -ESRCH; unreadable). */
int tm_procfs_zombie_status(int32_t pid, uint64_t starttime, int *wstatus);
/* Thread tid of pid exists. */
int tm_procfs_alive(int32_t pid, int32_t tid);
/* The cgroup (v2) of pid, 0: this process, as "/path": 0 or -errno. */
int tm_procfs_cgroup(int32_t pid, char *out, size_t len);
/* The CPU time cgroup may use, in CPUs: the tightest cpu.max of it and its
 * ancestors under root (the cgroup v2 mount, "/sys/fs/cgroup"). 0 and
 * *cpus, or -1: no limit (or none readable). *scope: the length of the
 * prefix of cgroup that names the outermost of them whose own limit is at
 * most `within` CPUs (every process under it shares that limit), or
 * (size_t)-1: none is. */
int tm_procfs_cpu_quota(const char *root, const char *cgroup, double within, double *cpus,
			size_t *scope);

#endif
