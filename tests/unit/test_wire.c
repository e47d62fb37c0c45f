/* SPDX-License-Identifier: MIT */
/* The collector trusts nothing in a segment: corrupted headers are refused,
 * and garbage behind a valid header is counted, never followed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "segfake.h"

static const char *const syms[] = {"alpha"};

Test(wire, layout_is_pinned)
{
	cr_assert_eq(sizeof(struct tm_record), 32);
	cr_assert_eq(sizeof(struct tm_seg_header), 1280);
	cr_assert_eq(sizeof(struct tm_acc), 320);
	cr_assert_eq(sizeof(struct tm_thread), 384);
	/* 128-byte pairs: the head with the rarely written line; the tail;
	 * live_depth, the losses and the epoch (written on every call) */
	cr_assert_eq(offsetof(struct tm_thread, head), 64);
	cr_assert_eq(offsetof(struct tm_thread, tail), 128);
	cr_assert_eq(offsetof(struct tm_thread, live_depth), 256);
}

Test(wire, valid_segment_validates)
{
	struct segfake f;
	char err[128];
	segfake_create(&f, "unit", 64, 2, 8, syms, 1);
	cr_assert_eq(tm_seg_validate(f.h, f.size, err, sizeof(err)), 0, "%s", err);
	segfake_destroy(&f);
}

static void mutate(struct tm_seg_header *h, int k)
{
	switch (k) {
	case 0: h->magic ^= 1; break;
	case 1: h->version = 99; break;
	case 2: h->header_size = 512; break;
	case 3: h->record_size = 64; break;
	case 4: h->ring_cap = 100; break;      /* not a power of two */
	case 5: h->ring_cap = 1u << 30; break; /* over the limit */
	case 6: h->max_threads = 0; break;
	case 7: h->max_threads = 1u << 20; break;
	case 8: h->max_syms = 0; break;
	case 9: h->max_syms = 1u << 20; break;
	case 10: h->stack_cap = 0; break;
	case 11: h->thread_size += 4096; break;
	case 12: h->syms_off = 8; break;
	case 13: h->syms_off = h->threads_off; break;
	case 14: h->threads_off = 4096 + 8; break;
	case 15: h->total_size += 4096; break;
	case 16: h->clock_kind = 7; break;
	case 17: h->threads_off = UINT64_MAX - 4095; break;
	}
}
#define NMUT 18

Test(wire, corrupted_headers_refused)
{
	struct segfake f;
	char err[128];
	segfake_create(&f, "unit", 64, 2, 8, syms, 1);
	struct tm_seg_header good;
	memcpy(&good, f.h, sizeof(good));
	for (int k = 0; k < NMUT; k++) {
		memcpy(f.h, &good, sizeof(good));
		mutate(f.h, k);
		cr_assert_lt(tm_seg_validate(f.h, f.size, err, sizeof(err)), 0,
			     "mutation %d accepted", k);
	}
	memcpy(f.h, &good, sizeof(good));
	cr_assert_lt(tm_seg_validate(f.h, f.size - 4096, err, sizeof(err)), 0,
		     "short file accepted");
	cr_assert_lt(tm_seg_validate(f.h, 100, err, sizeof(err)), 0);
	segfake_destroy(&f);
}

Test(wire, random_bytes_never_validate)
{
	static uint64_t buf[1 << 16];
	unsigned seed = 42;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(buf) / sizeof(buf[0]); i++)
			buf[i] = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 2) ^
				 (uint64_t)rand_r(&seed);
		if (round % 2)
			buf[0] = TM_MAGIC; /* get past the magic sometimes */
		char err[128];
		cr_assert_lt(tm_seg_validate(buf, sizeof(buf), err, sizeof(err)), 0);
	}
}

/* A valid header with random bytes everywhere behind it: rings, heads,
 * tails, accumulators, symbol table. The collector must survive and count. */
Test(wire, garbage_behind_valid_header_is_survived)
{
	static const char *const many[] = {"a", "b", "c"};
	unsigned seed = 7;
	for (int round = 0; round < 20; round++) {
		struct segfake f;
		struct tm_coll c;
		struct tm_coll_opts o;
		char err[128];
		segfake_create(&f, "unit", 64, 4, 8, many, 3);
		unsigned char *p = (unsigned char *)f.h;
		for (uint64_t off = sizeof(struct tm_seg_header); off < f.size; off++)
			p[off] = (unsigned char)rand_r(&seed);
		f.h->nsyms = (uint32_t)rand_r(&seed);
		f.h->threads_hwm = (uint32_t)rand_r(&seed);
		o.dir = f.dir;
		o.session = "unit";
		cr_assert_eq(tm_coll_init(&c, &o, err, sizeof(err)), 0);
		cr_assert_eq(tm_coll_scan(&c), 1);
		for (int k = 0; k < 3; k++)
			tm_coll_drain(&c);
		tm_coll_check(&c);
		tm_proc_unfinished(&c, c.procs[0]);
		cr_assert(c.procs[0]->closs[TM_CLOSS_CORRUPT] > 0 || c.procs[0]->records > 0);
		tm_coll_free(&c);
		segfake_destroy(&f);
	}
}
