/* SPDX-License-Identifier: MIT */
/* The reader's side of the segment: open, lock, map and validate. The
 * segment is written by a process we do not trust, so every size and offset
 * in its header is checked against the file and against hard limits before
 * anything else reads through it; identity strings are copied and
 * terminated. A segment still being created answers -EAGAIN. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int tm_seg_validate(const void *map, uint64_t size, char *err, size_t errlen)
{
	const struct tm_seg_header *h = map;
	if (size < sizeof(*h)) {
		snprintf(err, errlen, "too small (%llu bytes)", (unsigned long long)size);
		return -EAGAIN;
	}
	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	if (magic == 0) {
		snprintf(err, errlen, "not published yet");
		return -EAGAIN;
	}
	if (magic != TM_MAGIC) {
		snprintf(err, errlen, "bad magic");
		return -EINVAL;
	}
	if (h->version != TM_WIRE_VERSION) {
		snprintf(err, errlen, "wire version %u, expected %u", h->version, TM_WIRE_VERSION);
		return -EPROTO;
	}
	if (h->header_size != sizeof(*h) || h->record_size != sizeof(struct tm_record)) {
		snprintf(err, errlen, "header/record size mismatch");
		return -EINVAL;
	}
	if (!is_pow2(h->ring_cap) || h->ring_cap < 64 || h->ring_cap > TM_RING_LIMIT ||
	    h->max_threads < 1 || h->max_threads > TM_MAX_THREADS_LIMIT || h->max_syms < 1 ||
	    h->max_syms >= TM_MAX_SYMS_LIMIT || h->stack_cap < 1 || h->stack_cap > TM_STACK_LIMIT) {
		snprintf(err, errlen, "geometry out of range");
		return -EINVAL;
	}
	if (h->thread_size != tm_thr_size(h->stack_cap, h->max_syms, h->ring_cap)) {
		snprintf(err, errlen, "thread size mismatch");
		return -EINVAL;
	}
	uint64_t syms_end = h->syms_off + (uint64_t)h->max_syms * sizeof(struct tm_wire_sym);
	if (h->syms_off < sizeof(*h) || h->syms_off % 64 || syms_end < h->syms_off ||
	    h->threads_off < syms_end || h->threads_off % 64) {
		snprintf(err, errlen, "symbol table offsets out of range");
		return -EINVAL;
	}
	uint64_t end = h->threads_off + (uint64_t)(h->max_threads + 1) * h->thread_size;
	if (end < h->threads_off || end != h->total_size) {
		snprintf(err, errlen,
			 "its header is inconsistent: its layout needs %llu bytes but it "
			 "says the segment is %llu bytes",
			 (unsigned long long)end, (unsigned long long)h->total_size);
		return -EINVAL;
	}
	if (end > size) {
		snprintf(err, errlen,
			 "the file is shorter than its header says (%llu bytes, %llu "
			 "expected): truncated, or not a segment",
			 (unsigned long long)size, (unsigned long long)end);
		return -EINVAL;
	}
	if (h->clock_kind != TM_CLOCK_TSC && h->clock_kind != TM_CLOCK_MONO) {
		snprintf(err, errlen, "unknown clock %u", h->clock_kind);
		return -EINVAL;
	}
	return 0;
}

static void copy_str(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen < dlen - 1 ? slen : dlen - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Opens and locks `name` in dirfd (AT_FDCWD: a path) — one collector per
 * segment — and checks it is a regular file owned by uid that the name
 * still names. Returns the fd, or -errno with err filled. */
static int open_locked(int dirfd, const char *name, int flags, uint32_t uid, struct stat *st,
		       char *err, size_t errlen)
{
	/* NONBLOCK: opening a FIFO planted under a segment's name never waits */
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int ret;
	struct stat now;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "open: %s", strerror(errno));
		return ret;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != uid) {
		if (uid == geteuid())
			snprintf(err, errlen, "not a regular file owned by us");
		else
			snprintf(err, errlen,
				 "not a regular file owned by uid %u (its directory's)",
				 (unsigned)uid);
		ret = -EPERM;
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "held by another collector");
		ret = -EAGAIN;
		goto fail;
	}
	/* The collector that held it may have finished it and unlinked it
	 * between our open and our lock: then it is not ours to report. */
	if (fstatat(dirfd, name, &now, 0) < 0 || now.st_ino != st->st_ino ||
	    now.st_dev != st->st_dev) {
		snprintf(err, errlen, "already collected");
		ret = -EAGAIN;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return ret;
}

/* The header as the file holds it, read with pread: a page of a sparse
 * tmpfs file that was never written reads as zeros this way, where
 * touching it through a mapping would allocate it, and raise SIGBUS when
 * the file system is full. -ENODATA: not published (yet). */
static int read_header(int fd, struct tm_seg_header *h, char *err, size_t errlen)
{
	ssize_t n = pread(fd, h, sizeof(*h), 0);
	if (n < 0) {
		snprintf(err, errlen, "read: %s", strerror(errno));
		return -errno;
	}
	if ((size_t)n < sizeof(*h) || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == 0) {
		snprintf(err, errlen, "not published");
		return -ENODATA;
	}
	return 0;
}

/* Opens, locks and maps `path`. The header is read and validated from a
 * private copy before anything is mapped, and every field kept comes from
 * that copy, so a writer changing the header later changes nothing we
 * rely on. Returns 0, -EAGAIN (another collector holds it: try later),
 * -ENODATA (not published: being created, or its creator died first) or
 * another -errno with err filled. */
int tm_proc_attach(struct tm_proc *p, const char *path, char *err, size_t errlen)
{
	return tm_proc_attach_at(p, AT_FDCWD, path, path, (uint32_t)geteuid(), err, errlen);
}

int tm_proc_attach_at(struct tm_proc *p, int dirfd, const char *name, const char *path,
		      uint32_t uid, char *err, size_t errlen)
{
	struct stat st;
	struct tm_seg_header hb;
	void *m = MAP_FAILED;
	int ret;
	int fd = open_locked(dirfd, name, O_RDWR, uid, &st, err, errlen);

	if (fd < 0)
		return fd;
	ret = read_header(fd, &hb, err, errlen);
	if (ret < 0)
		goto fail;
	ret = tm_seg_validate(&hb, (uint64_t)st.st_size, err, errlen);
	if (ret < 0)
		goto fail;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		ret = -errno;
		goto fail;
	}

	const struct tm_seg_header *h = &hb;
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->fd = fd;
	p->dirfd = dirfd == AT_FDCWD ? -1 : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	p->h = m;
	p->size = (uint64_t)st.st_size;
	p->ring_cap = h->ring_cap;
	p->max_threads = h->max_threads;
	p->max_syms = h->max_syms;
	p->stack_cap = h->stack_cap;
	p->clock_kind = h->clock_kind;
	p->clock_t0 = h->clock_t0;
	p->clock_mono0 = h->clock_mono0;
	p->thread_size = h->thread_size;
	p->threads_off = h->threads_off;
	p->syms_off = h->syms_off;
	p->pid = h->pid;
	p->ppid = h->ppid > 0 ? h->ppid : 0; /* written by the process: 0 when it is no pid */
	p->starttime = h->starttime;
	/* a time no clock can show (past int64 ns, year 2262) is not one */
	p->created_ns = h->created_realtime_ns <= TM_COUNT_MAX ? h->created_realtime_ns : 0;
	if (h->created_realtime_ns > TM_COUNT_MAX)
		p->closs[TM_CLOSS_CORRUPT]++;
	copy_str(p->exe, sizeof(p->exe), h->exe, sizeof(h->exe));
	copy_str(p->exe_started, sizeof(p->exe_started), h->exe_started, sizeof(h->exe_started));
	/* a self-exec (/proc/self/exe) or fexecve (/dev/fd/N) names no path:
	 * the resolved image says more */
	if (strncmp(p->exe_started, "/proc/", 6) == 0 ||
	    strncmp(p->exe_started, "/dev/fd/", 8) == 0)
		p->exe_started[0] = '\0';
	p->argv_len = h->argv_len < sizeof(p->argv) - 1 ? h->argv_len : sizeof(p->argv) - 1;
	memcpy(p->argv, h->argv, p->argv_len);
	p->argv[p->argv_len] = '\0';
	p->counters = (h->flags & TM_SEG_COUNTERS) != 0;
	p->attached = 1;
	p->status = TM_PS_RUNNING;
	p->thr_loss_seen = calloc((size_t)(p->max_threads + 1) * TM_LOSS_COUNT, sizeof(uint64_t));
	p->thr_epoch = calloc(p->max_threads + 1, sizeof(uint64_t));
	p->cthr = calloc(p->max_threads + 1, sizeof(*p->cthr));
	free(p->psyms); /* a retried entry may have one */
	p->psyms = calloc(p->max_syms, sizeof(*p->psyms));
	p->npsyms = 0;
	p->cnt_syms = calloc(p->max_syms, sizeof(*p->cnt_syms));
	p->ncnt_syms = 0;
	if (!p->thr_loss_seen || !p->thr_epoch || !p->cthr || !p->psyms || !p->cnt_syms ||
	    (dirfd != AT_FDCWD && p->dirfd < 0)) {
		snprintf(err, errlen, "out of memory");
		tm_proc_detach(p, 0);
		return -ENOMEM;
	}
	return 0;
fail:
	if (m != MAP_FAILED)
		munmap(m, (size_t)st.st_size);
	close(fd);
	return ret;
}

int tm_seg_remove_unborn(const char *path)
{
	struct stat st;
	struct tm_seg_header hb;
	char err[128];
	int fd = open_locked(AT_FDCWD, path, O_RDONLY, (uint32_t)geteuid(), &st, err, sizeof(err));
	int ret;

	if (fd < 0)
		return fd;
	ret = read_header(fd, &hb, err, sizeof(err));
	if (ret == 0)
		ret = -EBUSY; /* published after all */
	else if (ret == -ENODATA)
		ret = unlink(path) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* remove: the segment is finished; it is unlinked — in another user's
 * directory through the directory fd verified when it was attached, so a
 * directory swapped for a symlink since cannot redirect the unlink. */
void tm_proc_detach(struct tm_proc *p, int remove)
{
	if (!p->attached)
		return;
	if (remove) {
		const char *slash = strrchr(p->path, '/');
		int r = p->dirfd >= 0 ? unlinkat(p->dirfd, slash ? slash + 1 : p->path, 0)
				      : unlink(p->path);
		p->removed = r == 0 || errno == ENOENT;
	}
	munmap(p->h, p->size);
	close(p->fd);
	if (p->dirfd >= 0)
		close(p->dirfd);
	p->dirfd = -1;
	p->h = NULL;
	p->fd = -1;
	p->attached = 0;
	free(p->thr_loss_seen);
	free(p->thr_epoch);
	if (p->cthr)
		for (uint32_t i = 0; i <= p->max_threads; i++)
			tm_cthr_free(&p->cthr[i]);
	free(p->cthr);
	p->cthr = NULL;
	free(p->cnt_syms);
	p->thr_loss_seen = NULL;
	p->thr_epoch = NULL;
	p->cnt_syms = NULL;
}
