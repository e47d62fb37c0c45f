/* SPDX-License-Identifier: MIT */
/* Log-linear histogram (see hist.h). */
#include "hist.h"
#include "model/window.h"

#include <errno.h>
#include <stdlib.h>

/* The window histograms' buckets (model/window.h): the same arithmetic,
 * so a sealed second merges into the whole run index for index. */
unsigned tm_hist_index(uint64_t v)
{
	return tm_wh_index(v);
}

uint64_t tm_hist_value(unsigned index)
{
	return tm_wh_value(index);
}

int tm_hist_add(struct tm_hist *h, uint64_t v, uint64_t n)
{
	unsigned i = tm_hist_index(v);
	unsigned g = i / TM_HIST_SUB;
	if (!h->group[g]) {
		h->group[g] = calloc(TM_HIST_SUB, sizeof(uint64_t));
		if (!h->group[g])
			return -ENOMEM;
	}
	h->group[g][i % TM_HIST_SUB] += n;
	h->count += n;
	return 0;
}

uint64_t tm_hist_quantile(const struct tm_hist *h, double q)
{
	if (!h->count)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (unsigned g = 0; g < TM_HIST_GROUPS; g++) {
		if (!h->group[g])
			continue;
		for (unsigned s = 0; s < TM_HIST_SUB; s++) {
			seen += h->group[g][s];
			if (seen >= rank)
				return tm_hist_value(g * TM_HIST_SUB + s);
		}
	}
	return 0;
}

int tm_hist_merge(struct tm_hist *dst, const struct tm_hist *src)
{
	for (unsigned g = 0; g < TM_HIST_GROUPS; g++) {
		if (!src->group[g])
			continue;
		if (!dst->group[g]) {
			dst->group[g] = calloc(TM_HIST_SUB, sizeof(uint64_t));
			if (!dst->group[g])
				return -ENOMEM;
		}
		for (unsigned s = 0; s < TM_HIST_SUB; s++)
			dst->group[g][s] += src->group[g][s];
	}
	dst->count += src->count;
	return 0;
}

void tm_hist_free(struct tm_hist *h)
{
	for (unsigned g = 0; g < TM_HIST_GROUPS; g++)
		free(h->group[g]);
	*h = (struct tm_hist){0};
}

/* le[i]: observations whose bucket lies wholly at or below bounds[i]
 * seconds (bounds ascending), for the Prometheus histogram. The bounds
 * that are multiples of a bucket's width are exact; a bucket straddling a
 * bound counts above it (an error of at most one bucket, 0.8%). */
void tm_hist_count_le(const struct tm_hist *h, const double *bounds, size_t n, uint64_t *le)
{
	size_t b = 0;
	uint64_t seen = 0;
	for (unsigned g = 0; g < TM_HIST_GROUPS && b < n; g++) {
		if (!h->group[g])
			continue;
		for (unsigned s = 0; s < TM_HIST_SUB; s++) {
			uint64_t cnt = h->group[g][s];
			if (!cnt)
				continue;
			unsigned idx = g * TM_HIST_SUB + s;
			uint64_t lo = g == 0 ? s : ((uint64_t)(TM_HIST_SUB + s)) << (g - 1);
			uint64_t top =
				lo + (g == 0 ? 1 : 1ull << (g - 1)) - 1; /* its largest value */
			(void)idx;
			while (b < n && (double)top > bounds[b] * 1e9)
				le[b++] = seen;
			seen += cnt;
		}
	}
	while (b < n)
		le[b++] = seen;
}
