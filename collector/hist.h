/* SPDX-License-Identifier: MIT */
/* Log-linear duration histogram over the whole run: exact below 64 ns,
 * then 64 sub-buckets per power of two (a reported value is within 1/128,
 * 0.8%, of any value in its bucket) — the same buckets as the time axis's
 * window histograms, so a sealed second merges in exactly (the record
 * path touches one histogram, not two). Groups are allocated on first
 * use. Mergeable: adding two histograms adds their counts. */
#ifndef TM_HIST_H
#define TM_HIST_H

#include <stddef.h>
#include <stdint.h>

#define TM_HIST_SUB_BITS 6 /* = TM_WH_SUB_BITS (model/window.h) */
#define TM_HIST_SUB	 (1u << TM_HIST_SUB_BITS)
#define TM_HIST_GROUPS	 (64 - TM_HIST_SUB_BITS + 1)

struct tm_hist {
	uint64_t *group[TM_HIST_GROUPS]; /* TM_HIST_SUB counters each, or NULL */
	uint64_t count;
};

/* Adds n observations of value v. Returns 0 or -ENOMEM. */
int tm_hist_add(struct tm_hist *h, uint64_t v, uint64_t n);
/* The value at quantile q in [0, 1] (the ceil(q*count)-th smallest), as the
 * midpoint of its bucket; 0 when empty. */
uint64_t tm_hist_quantile(const struct tm_hist *h, double q);
int tm_hist_merge(struct tm_hist *dst, const struct tm_hist *src);
void tm_hist_free(struct tm_hist *h);
/* le[i] = observations at or below bounds[i] seconds (ascending). */
void tm_hist_count_le(const struct tm_hist *h, const double *bounds, size_t n, uint64_t *le);

/* Bucket arithmetic, exposed for the tests. */
unsigned tm_hist_index(uint64_t v);
uint64_t tm_hist_value(unsigned index);

#endif
