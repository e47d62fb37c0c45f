/* SPDX-License-Identifier: MIT */
/* tmrun --attach and the segment a process keeps across attachments:
 * what earlier attachments left in it is marked as taken before a new one
 * (tm_seg_baseline), and after a detach the calls still open are waited
 * for (tm_seg_settle). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "tm/wire.h"

/* A process attached before keeps its segment. What is in it now belongs
 * to earlier attachments (calls that returned after their collector's last
 * drain, or everything, if that collector was killed): it is marked as
 * taken, as a collector would after draining it — the consumer index at
 * the producer's, the "seen" copies equal to the totals — so that this
 * attachment counts only its own calls. */
static void baseline_one(const char *path, pid_t pid)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(struct tm_seg_header)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	char *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	struct tm_seg_header *h = (void *)m;
	uint64_t tsz = tm_thr_size(h->stack_cap, h->max_syms, h->ring_cap);
	if (h->magic != TM_MAGIC || h->pid != pid || h->thread_size != tsz || !h->max_threads ||
	    h->threads_off + (uint64_t)(h->max_threads + 1) * tsz > (uint64_t)st.st_size)
		goto out;
	uint32_t hwm = h->threads_hwm < h->max_threads ? h->threads_hwm : h->max_threads;
	for (uint32_t i = 0; i <= hwm; i++) {
		char *thr = m + h->threads_off + (uint64_t)(i == hwm ? h->max_threads : i) * tsz;
		struct tm_thread *t = (void *)thr;
		/* the head as published, and the records past it (wire.h,
		 * "Publishing"): the process is detached, nothing is being
		 * written */
		uint64_t head = atomic_load(&t->head);
		if (i < hwm && h->ring_cap && !(h->ring_cap & (h->ring_cap - 1)) &&
		    h->ring_cap <= TM_RING_LIMIT)
			head = tm_ring_end(
				(const void *)(thr + tm_thr_ring_off(h->stack_cap, h->max_syms)),
				h->ring_cap, atomic_load(&t->tail), head);
		atomic_store(&t->tail, head);
		const uint8_t *used = (const uint8_t *)thr + tm_thr_used_off(h->stack_cap);
		struct tm_acc *acc = (void *)(thr + tm_thr_acc_off(h->stack_cap, h->max_syms));
		struct tm_acc *seen = (void *)(thr + tm_thr_seen_off(h->stack_cap, h->max_syms));
		for (uint32_t s = 0; s < h->max_syms; s++)
			if (used[s] || i == hwm)
				memcpy(&seen[s], &acc[s], sizeof(acc[s]));
		if (h->flags & TM_SEG_COUNTERS)
			memcpy(thr + tm_thr_cseen_off(h->stack_cap, h->max_syms),
			       thr + tm_thr_cnt_off(h->stack_cap, h->max_syms),
			       (size_t)h->max_syms * sizeof(struct tm_cnt));
	}
out:
	munmap(m, (size_t)st.st_size);
}

/* The segments process `pid` made in `dir` (an earlier attachment's). */
void tm_seg_baseline(const char *dir, pid_t pid)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char mid[32], path[PATH_MAX];
	snprintf(mid, sizeof(mid), ".%d.", (int)pid);
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n > 3 && strcmp(e->d_name + n - 3, ".tm") == 0 && strstr(e->d_name, mid)) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			baseline_one(path, pid);
		}
	}
	closedir(d);
}

/* After detach, calls already inside a monitored function still return
 * through the shim and are recorded: wait (up to 1 s) until no thread of
 * the segment has an open call, so that the final drain has them. */
void tm_seg_settle(const char *seg)
{
	int fd = open(seg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct tm_seg_header h;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != TM_MAGIC) {
		close(fd);
		return;
	}
	for (int k = 0; k < 1000; k++) {
		uint32_t hwm, open_calls = 0;
		if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
			break;
		hwm = h.threads_hwm <= h.max_threads ? h.threads_hwm : h.max_threads;
		for (uint32_t i = 0; i <= hwm; i++) {
			uint32_t slot = i == hwm ? h.max_threads : i, d = 0;
			off_t off = (off_t)(h.threads_off + (uint64_t)slot * h.thread_size +
					    offsetof(struct tm_thread, live_depth));
			if (pread(fd, &d, sizeof(d), off) == (ssize_t)sizeof(d) && d)
				open_calls++;
		}
		if (!open_calls)
			break;
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	close(fd);
}
