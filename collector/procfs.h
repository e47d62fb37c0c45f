/* SPDX-License-Identifier: MIT */
/* The one /proc reader (procfs.c). */
#ifndef TM_PROCFS_H
#define TM_PROCFS_H

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
/* Thread tid of pid exists. */
int tm_procfs_alive(int32_t pid, int32_t tid);

#endif
