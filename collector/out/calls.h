/* SPDX-License-Identifier: MIT */
/* The call structure's outputs (out/calls.c). */
#ifndef TM_OUT_CALLS_H
#define TM_OUT_CALLS_H

#include <jansson.h>
#include <stdint.h>

struct tm_coll;
struct tm_sym;

/* Adds self_ns, self_calls, self_inexact_calls, self_exact, self_p50_ns,
 * self_p99_ns to a function's object. */
void tm_calls_sym_json(json_t *o, const struct tm_sym *s);
/* The top TM_EDGES_TOP edges by total time; *other sums the rest. */
json_t *tm_calls_edges_json(const struct tm_coll *c, json_t **other);
/* The top TM_STACKS_TOP complete stacks by self time; *other sums the rest. */
json_t *tm_calls_stacks_json(const struct tm_coll *c, json_t **other);
/* Indexes of c->calls.edges by total time, largest first (NULL: none or
 * out of memory); the caller frees it. */
uint32_t *tm_calls_edges_by_time(const struct tm_coll *c);
/* Bounds and what could not be placed. */
json_t *tm_calls_json(const struct tm_coll *c);
/* Every complete stack as "a;b;c N", N its self time in ns or (by_calls)
 * its calls; "-" is stdout. 0 or -errno. */
int tm_folded_write(const struct tm_coll *c, const char *path, int by_calls, char *err,
		    size_t errlen);

#endif
