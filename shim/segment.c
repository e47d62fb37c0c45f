/* SPDX-License-Identifier: MIT */
/* The writer's side of the segment: create it in $TM_DIR (0700 directory,
 * 0600 file, O_EXCL|O_NOFOLLOW), fill the header, publish symbols. Pages are
 * touched only when used, so an idle segment costs a few pages of memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

static uint64_t tm_ts_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The directory must be ours and private; create it if missing. */
static int tm_dir_check(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		tm_log("tm: TM_DIR %s: cannot create: %s; not monitoring", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		tm_log("tm: TM_DIR %s: not a directory; not monitoring", dir);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		tm_log("tm: TM_DIR %s: must be owned by uid %u with mode 0700; not monitoring", dir,
		       (unsigned)geteuid());
		return -1;
	}
	return 0;
}

static ssize_t tm_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	return (ssize_t)off;
}

static void tm_fill_identity(struct tm_seg_header *h)
{
	h->pid = getpid();
	h->ppid = getppid();
	h->starttime = tm_starttime_of(0);
	h->created_realtime_ns = tm_ts_ns(CLOCK_REALTIME);
	ssize_t n = readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1);
	h->exe[n > 0 ? n : 0] = '\0';
	const char *fn = (const char *)getauxval(AT_EXECFN);
	size_t k = 0;
	for (; fn && k < sizeof(h->exe_started) - 1 && fn[k]; k++)
		h->exe_started[k] = fn[k];
	h->exe_started[k] = '\0';
	n = tm_read_file("/proc/self/cmdline", h->argv, sizeof(h->argv) - 1);
	/* indexed with the local length: the header is already writable by
	 * others (the file exists), so nothing is read back from it */
	n = n > 0 ? n : 0;
	h->argv_len = (uint32_t)n;
	h->argv[n] = '\0';
}

static void tm_fill_clock(struct tm_seg_header *h)
{
	uint64_t t0 = 0, mono0;
	h->clock_kind = tm_g.clock_kind;
	if (tm_g.clock_kind == TM_CLOCK_TSC) {
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		t0 = ((uint64_t)hi << 32) | lo;
	}
	mono0 = tm_ts_ns(CLOCK_MONOTONIC);
	h->clock_t0 = tm_g.clock_kind == TM_CLOCK_TSC ? t0 : mono0;
	h->clock_mono0 = mono0;
	h->clock_real0 = tm_ts_ns(CLOCK_REALTIME);
}

/* Puts text (n bytes, NUL-padded) in place of an entry's text: the first
 * byte last, so that a reader that finds it set finds the rest too ("" until
 * then: a text filled in later, the defining object, is never read cut
 * short). */
static void tm_seg_put_text(char *dst, const char *text, size_t n)
{
	memcpy(dst + 1, text + 1, n - 1);
	__atomic_store_n(dst, text[0], __ATOMIC_RELEASE);
}

/* Writes symbol `id`'s entry. Everything from the shim's own tables: the
 * segment is written, never read back (another process may have changed
 * any byte of it). */
void tm_seg_publish_sym(struct tm_state *g, uint32_t id)
{
	struct tm_seg_header *h = g->seg;
	if (!h || id >= g->max_syms)
		return;
	struct tm_wire_sym *ws = (struct tm_wire_sym *)((char *)h + g->syms_off) + id;
	if (id >= g->syms_backed) {
		/* ids are handed out in order: back the table up to the end of
		 * this entry's page, one system call per 16 symbols */
		uint32_t per = 4096 / sizeof(*ws), end = id - id % per + per;
		struct tm_wire_sym *from =
			(struct tm_wire_sym *)((char *)h + g->syms_off) + g->syms_backed;
		if (tm_populate(from, (uint64_t)(end - g->syms_backed) * sizeof(*ws)) < 0)
			return; /* file system full: the symbol stays unnamed ("?symN") */
		g->syms_backed = end;
	}
	const struct tm_symdef *sd = &g->syms[id];
	const struct tm_pattern *p = sd->pattern < g->npatterns ? &g->patterns[sd->pattern] : NULL;
	const struct tm_rule *r = &tm_rules[id];
	/* The collector may be reading this entry: its text is made here
	 * and put whole, so that rewriting it with the same text changes no
	 * byte of it at any moment (snprintf into the entry would first make
	 * it "", and the collector would name the function "?symN" for good) */
	char name[sizeof(ws->name)] = {0}, object[sizeof(ws->object)] = {0};
	snprintf(name, sizeof(name), "%s", p && p->display[0] ? p->display : sd->name);
	snprintf(object, sizeof(object), "%s", sd->object);
	tm_seg_put_text(ws->name, name, sizeof(name));
	tm_seg_put_text(ws->object, object, sizeof(object));
	ws->flags = (r->has_rule ? TM_RF_HAS_RULE : 0) | (r->bytes ? TM_RF_BYTES : 0) |
		    (r->bytes == TM_BYTES_ARG ? TM_RF_ARGBYTES : 0) |
		    ((uint32_t)r->group_arg << TM_RF_GROUP_SHIFT) |
		    (r->flow == TM_FLOW_IN    ? TM_RF_FLOW_IN
		     : r->flow == TM_FLOW_OUT ? TM_RF_FLOW_OUT
					      : 0) |
		    sd->flags |
		    (r->count_only   ? TM_RF_COUNT
		     : r->sample > 1 ? TM_RF_SAMPLED
				     : 0);
	ws->sample = r->count_only ? 0 : r->sample > 1 ? r->sample : 1;
	ws->codes = r->codes;
	ws->claimed_by = (uint16_t)sd->claimed_by;
	ws->slow_ns = r->slow_ns;
	if (id + 1 > g->nsyms_pub)
		g->nsyms_pub = id + 1;
	atomic_store_explicit(&h->nsyms, g->nsyms_pub, memory_order_release);
}

/* Creates and maps this process's segment and publishes every symbol known
 * so far. On failure logs one line and returns -1 (caller stays dormant). */
int tm_seg_create(struct tm_state *g)
{
	if (tm_dir_check(g->dir) < 0)
		return -1;
	g->syms_backed = 0;
	g->nsyms_pub = 0;

	uint64_t tsz = tm_thr_size(g->stack_cap, g->max_syms, g->ring_cap);
	uint64_t syms_off = tm_align_up(sizeof(struct tm_seg_header), 4096);
	uint64_t threads_off =
		tm_align_up(syms_off + (uint64_t)g->max_syms * sizeof(struct tm_wire_sym), 4096);
	uint64_t total = threads_off + (uint64_t)(g->max_threads + 1) * tsz;

	int fd = -1;
	for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		unsigned nonce =
			(unsigned)(ts.tv_nsec ^ (ts.tv_sec << 20)) + (unsigned)attempt * 7919u;
		snprintf(g->seg_path, sizeof(g->seg_path), "%s/%s.%d.%08x.tm", g->dir, g->session,
			 (int)getpid(), nonce);
		fd = open(g->seg_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		tm_log("tm: cannot create segment in %s: %s; not monitoring", g->dir,
		       strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)total) < 0) {
		tm_log("tm: cannot size segment %s: %s; not monitoring", g->seg_path,
		       strerror(errno));
		unlink(g->seg_path);
		close(fd);
		return -1;
	}
	/* Mapped here: the header, the symbol table and the shared slot. A
	 * thread slot is mapped when a thread first claims it (thread.c), so
	 * the address space taken grows with the threads, not with
	 * TM_MAX_THREADS; the collector maps the whole file in its own. */
	struct stat st;
	int sterr = fstat(fd, &st);
	void *m = sterr < 0 ? NULL : tm_map(fd, 0, threads_off);
	struct tm_thread *shared =
		m ? tm_map(fd, threads_off + (uint64_t)g->max_threads * tsz, tsz) : NULL;
	int err = errno;
	close(fd);
	/* the shim's private view of what it has backed in the segment, then
	 * the addresses of the slots it has mapped */
	uint64_t vbytes = tm_align_up((uint64_t)(g->max_threads + 1) * (1 + g->max_syms), 8);
	uint64_t vsz = tm_align_up(vbytes + (uint64_t)(g->max_threads + 1) * sizeof(void *), 4096);
	void *v = shared ? tm_map(-1, 0, vsz) : NULL;
	if (!v) {
		tm_log("tm: cannot map segment %s: %s; not monitoring", g->seg_path,
		       sterr < 0 ? strerror(err) : "out of address space");
		tm_unmap(shared, tsz);
		tm_unmap(m, threads_off);
		unlink(g->seg_path);
		return -1;
	}

	/* what is written from now on must be backed: the header first, and
	 * once it says the geometry, the shared slot's header, flags and
	 * counters (threads populate their own slots) */
	struct tm_seg_header *h = m;
	if (tm_populate(m, sizeof(struct tm_seg_header)) < 0)
		goto full;
	g->syms_off = syms_off;
	g->threads_off = threads_off;
	g->thread_size = tsz;
	g->seg_dev = (uint64_t)st.st_dev;
	g->seg_ino = (uint64_t)st.st_ino;
	h->flags = g->counters ? TM_SEG_COUNTERS : 0;
	h->version = TM_WIRE_VERSION;
	h->header_size = sizeof(*h);
	h->record_size = sizeof(struct tm_record);
	h->ring_cap = g->ring_cap;
	h->max_threads = g->max_threads;
	h->max_syms = g->max_syms;
	h->stack_cap = g->stack_cap;
	h->thread_size = tsz;
	h->syms_off = syms_off;
	h->threads_off = threads_off;
	h->total_size = total;
	if (tm_populate(shared, tm_thr_acc_off(g->stack_cap, g->max_syms)) < 0 ||
	    tm_populate_cnt(g, shared) < 0)
		goto full;
	tm_fill_identity(h);
	tm_fill_clock(h);
	atomic_store_explicit(&h->state, TM_PROC_RUNNING, memory_order_relaxed);
	g->seg = h;
	g->seg_size = threads_off;
	g->seg_pid = getpid();
	g->view = v;
	g->slot = (struct tm_thread * _Atomic *)((char *)v + vbytes);
	g->slot[g->max_threads] = shared;
	g->view_size = vsz;
	for (uint32_t i = 0; i < g->nsyms; i++)
		tm_seg_publish_sym(g, i);
	/* the reader ignores a segment until the magic is there */
	atomic_thread_fence(memory_order_release);
	*(volatile uint64_t *)&h->magic = TM_MAGIC;
	return 0;
full:
	tm_log("tm: %s: file system full; not monitoring", g->dir);
	tm_unmap(v, vsz);
	tm_unmap(shared, tsz);
	tm_unmap(m, threads_off);
	unlink(g->seg_path);
	return -1;
}

void tm_seg_unmap(const struct tm_state *g, void *seg, uint64_t seg_size, void *view,
		  uint64_t view_size)
{
	if (view) {
		uint64_t vbytes =
			tm_align_up((uint64_t)(g->max_threads + 1) * (1 + g->max_syms), 8);
		struct tm_thread *_Atomic *slot =
			(struct tm_thread * _Atomic *)((char *)view + vbytes);
		for (uint32_t i = 0; i <= g->max_threads; i++)
			tm_unmap(slot[i], g->thread_size);
		tm_unmap(view, view_size);
	}
	tm_unmap(seg, seg_size);
}

void tm_seg_mark_exit(struct tm_seg_header *h, int code)
{
	if (!h)
		return;
	atomic_store_explicit(&h->exit_code, code, memory_order_relaxed);
	atomic_store_explicit(&h->state, TM_PROC_EXITED, memory_order_release);
}
