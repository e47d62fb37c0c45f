/* SPDX-License-Identifier: MIT */
#include "segfake.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collector.h"
#include "model/outcome.h"

/* Used by the unit tests and the drain benchmark: no test framework here. */
#define SF_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "segfake: %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

void segfake_create(struct segfake *f, const char *session, uint32_t ring_cap, uint32_t max_threads,
		    uint32_t max_syms, const char *const *syms, uint32_t nsyms)
{
	char dir[] = "/tmp/tmunit.XXXXXX";
	SF_CHECK(mkdtemp(dir) != NULL);
	segfake_create_in(f, dir, 0xabcd, session, ring_cap, max_threads, max_syms, syms, nsyms);
}

void segfake_create_in(struct segfake *f, const char *dir, unsigned nonce, const char *session,
		       uint32_t ring_cap, uint32_t max_threads, uint32_t max_syms,
		       const char *const *syms, uint32_t nsyms)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	snprintf(f->path, sizeof(f->path), "%s/%s.%d.%08x.tm", f->dir, session, (int)getpid(),
		 nonce);
	uint32_t stack = 16;
	uint64_t tsz = tm_thr_size(stack, max_syms, ring_cap);
	uint64_t syms_off = 4096;
	uint64_t threads_off =
		tm_align_up(syms_off + (uint64_t)max_syms * sizeof(struct tm_wire_sym), 4096);
	f->size = threads_off + (uint64_t)(max_threads + 1) * tsz;
	int fd = open(f->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	SF_CHECK(fd >= 0);
	SF_CHECK(ftruncate(fd, (off_t)f->size) == 0);
	f->h = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	SF_CHECK(f->h != MAP_FAILED);
	struct tm_seg_header *h = f->h;
	h->magic = TM_MAGIC;
	h->version = TM_WIRE_VERSION;
	h->header_size = sizeof(*h);
	h->record_size = sizeof(struct tm_record);
	h->ring_cap = ring_cap;
	h->max_threads = max_threads;
	h->max_syms = max_syms;
	h->stack_cap = stack;
	h->thread_size = tsz;
	h->syms_off = syms_off;
	h->threads_off = threads_off;
	h->total_size = f->size;
	h->pid = getpid();
	h->clock_kind = TM_CLOCK_MONO;
	h->state = TM_PROC_RUNNING;
	FILE *st = fopen("/proc/self/stat", "r");
	char buf[1024] = {0};
	SF_CHECK(fread(buf, 1, sizeof(buf) - 1, st) > 0);
	fclose(st);
	char *p = strrchr(buf, ')');
	for (int field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	h->starttime = strtoull(p, NULL, 10);
	readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1);
	struct tm_wire_sym *ws = (void *)((char *)h + syms_off);
	for (uint32_t i = 0; i < nsyms; i++) {
		snprintf(ws[i].name, sizeof(ws[i].name), "%s", syms[i]);
		ws[i].flags = TM_RF_FOUND | TM_RF_PATCHED | TM_RF_HAS_RULE;
		ws[i].codes = TM_CODES_ERRNO;
	}
	h->nsyms = nsyms;
	h->threads_hwm = max_threads;
	for (uint32_t i = 0; i < max_threads; i++)
		segfake_thread(f, i)->state = TM_THR_ACTIVE;
}

struct tm_thread *segfake_thread(struct segfake *f, uint32_t i)
{
	return (struct tm_thread *)((char *)f->h + f->h->threads_off +
				    (uint64_t)i * f->h->thread_size);
}

struct tm_record *segfake_ring(struct segfake *f, uint32_t i)
{
	return (struct tm_record *)((char *)segfake_thread(f, i) +
				    tm_thr_ring_off(f->h->stack_cap, f->h->max_syms));
}

/* The producer's head: the segment's, or the private one when quiet. */
static uint64_t seg_head(struct segfake *f, uint32_t i)
{
	SF_CHECK(!f->quiet || i < sizeof(f->heads) / sizeof(f->heads[0]));
	return f->quiet ? f->heads[i] : segfake_thread(f, i)->head;
}

static struct tm_record *seg_next(struct segfake *f, uint32_t i)
{
	uint64_t h = seg_head(f, i);
	SF_CHECK(h - segfake_thread(f, i)->tail < f->h->ring_cap); /* ring full */
	return &segfake_ring(f, i)[h & (f->h->ring_cap - 1)];
}

/* As the shim: dur_meta with the position's lap bit last, then the head. */
static void seg_seal(struct segfake *f, uint32_t i, struct tm_record *r, uint64_t meta)
{
	uint64_t h = seg_head(f, i);
	__atomic_store_n(&r->dur_meta, meta | tm_rec_lap(h, f->h->ring_cap), __ATOMIC_RELEASE);
	if (f->quiet)
		f->heads[i] = h + 1;
	if (!f->quiet || !((h + 1) % TM_HEAD_EVERY) || (h < f->h->ring_cap && !(h % TM_RING_CHUNK)))
		atomic_store_explicit(&segfake_thread(f, i)->head, h + 1, memory_order_release);
}

void segfake_push(struct segfake *f, uint32_t i, uint16_t sym, uint64_t dur, unsigned status,
		  int64_t value, int32_t err)
{
	struct tm_record *r = seg_next(f, i);
	r->start = f->start_base + seg_head(f, i);
	r->value = value;
	r->err = err;
	r->sym = sym;
	r->caller = TM_NO_SYM;
	seg_seal(f, i, r, dur | (uint64_t)status << 48);
}

void segfake_push_call(struct segfake *f, uint32_t i, uint16_t sym, uint16_t caller, unsigned depth,
		       uint64_t dur, unsigned status)
{
	struct tm_record *r = seg_next(f, i);
	r->start = f->start_base + seg_head(f, i);
	r->value = 0;
	r->err = 0;
	r->sym = sym;
	r->caller = caller;
	seg_seal(f, i, r, dur | (uint64_t)status << 48 | (uint64_t)(depth & 0xff) << 56);
}

void segfake_destroy(struct segfake *f)
{
	if (f->h)
		munmap(f->h, f->size);
	unlink(f->path);
	rmdir(f->dir);
}

struct tm_wire_sym *segfake_wsym(struct segfake *f, uint32_t i)
{
	return (struct tm_wire_sym *)((char *)f->h + f->h->syms_off) + i;
}

struct tm_acc *segfake_acc(struct segfake *f, uint32_t thr, uint32_t s)
{
	char *base = (char *)segfake_thread(f, thr);
	_Atomic uint8_t *used = (void *)(base + tm_thr_used_off(f->h->stack_cap));
	used[s] = 1;
	return (struct tm_acc *)(base + tm_thr_acc_off(f->h->stack_cap, f->h->max_syms)) + s;
}

char *segfake_rules(struct tm_coll *c, const char *dir, const char *text, int *bad)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/rules.json", dir);
	FILE *w = fopen(path, "w");
	if (!w)
		return NULL;
	fputs(text, w);
	fclose(w);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	unlink(path);
	if (!root)
		return NULL;
	char *said = NULL;
	size_t n = 0;
	FILE *log = open_memstream(&said, &n);
	*bad = tm_outc_parse(c, root, "r.json", log);
	fclose(log);
	json_decref(root);
	return said;
}
