/* SPDX-License-Identifier: MIT */
/* Builds segments the way libtmshim lays them out, in a private temp
 * directory, so the collector's reader can be tested on its own. */
#ifndef TM_SEGFAKE_H
#define TM_SEGFAKE_H

#include <stdint.h>

#include "tm/wire.h"

struct segfake {
	char dir[128];
	char path[256];
	struct tm_seg_header *h;
	uint64_t size;
	uint64_t start_base; /* records start at start_base + their index (0: the index) */
	/* 0: every push publishes the head; 1: as the shim does, only when it
	 * reaches a multiple of TM_HEAD_EVERY (the private heads: heads[]) */
	int quiet;
	uint64_t heads[8];
};

/* A segment for `session` whose pid is this process (so it looks alive). */
void segfake_create(struct segfake *f, const char *session, uint32_t ring_cap, uint32_t max_threads,
		    uint32_t max_syms, const char *const *syms, uint32_t nsyms);
/* The same in an existing directory, several per directory (distinct nonces). */
void segfake_create_in(struct segfake *f, const char *dir, unsigned nonce, const char *session,
		       uint32_t ring_cap, uint32_t max_threads, uint32_t max_syms,
		       const char *const *syms, uint32_t nsyms);
struct tm_thread *segfake_thread(struct segfake *f, uint32_t i);
struct tm_record *segfake_ring(struct segfake *f, uint32_t i);
/* Appends one record to thread i's ring (producer side, like the shim). */
void segfake_push(struct segfake *f, uint32_t i, uint16_t sym, uint64_t dur, unsigned status,
		  int64_t value, int32_t err);
/* The same with the call's place: its monitored caller (TM_NO_SYM: none)
 * and depth (0: outermost), as the shim's exit writes them. */
void segfake_push_call(struct segfake *f, uint32_t i, uint16_t sym, uint16_t caller, unsigned depth,
		       uint64_t dur, unsigned status);
/* Symbol i's entry in the segment's table. */
struct tm_wire_sym *segfake_wsym(struct segfake *f, uint32_t i);
/* Thread thr's accumulator of symbol s, marked used (as the shim does on
 * its first overflow). */
struct tm_acc *segfake_acc(struct segfake *f, uint32_t thr, uint32_t s);
void segfake_destroy(struct segfake *f);
/* Writes text to a rules file in dir, loads its outcomes into c and
 * returns what the collector said about it (caller frees; NULL: the text
 * did not load) with the number of bad entries. */
struct tm_coll;
char *segfake_rules(struct tm_coll *c, const char *dir, const char *text, int *bad);

#endif
