/* SPDX-License-Identifier: MIT */
/* The floor of a timed call (floor.S): call bench_floor_call as the
 * function bench_floor_target points to, after bench_floor_init. */
#ifndef TM_BENCH_FLOOR_H
#define TM_BENCH_FLOOR_H

#include <stdint.h>

struct bench_floor_tls {
	uint64_t depth, head;
	void *ring;
	uint64_t pad[5];
	uint64_t frames[64][4];
};
_Static_assert(__builtin_offsetof(struct bench_floor_tls, ring) == 16 &&
		       __builtin_offsetof(struct bench_floor_tls, frames) == 64,
	       "floor.S: FT_RING, FT_FRAMES");

extern __thread struct bench_floor_tls bench_floor_tls __attribute__((tls_model("initial-exec")));
extern void *bench_floor_target;
long bench_floor_call(long x);

/* Points the floor at `target`, with this thread's ring. */
static inline void bench_floor_init(void *target)
{
	static __thread uint64_t ring[1024][4];
	bench_floor_tls.ring = ring;
	bench_floor_target = target;
}

#define BENCH_FLOOR_DEFINE                                                                         \
	__thread struct bench_floor_tls bench_floor_tls                                            \
		__attribute__((tls_model("initial-exec")));                                        \
	void *bench_floor_target;

#endif
