/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: what a tmtop refresh costs the collector. N
 * functions, each called three times a second for two minutes of
 * synthetic time through the model's own way in (nothing sleeps); then
 * the local source's refresh (the time the model lock is held: the
 * collector's loop waits that long) and the renderer's sort and draw of
 * a 200x60 screen, each the median of 11 runs.
 * usage: bench_top [FUNCTIONS]   (cmake --build build --target bench_top) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "render.h"
#include "source.h"

#define RUNS 11

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_d);
	return v[RUNS / 2];
}

/* The model of nf functions of one process, 120 sealed seconds. */
static void fill(struct tm_coll *c, struct tm_proc *p, int nf)
{
	uint64_t t0 = 1000000000000ull;
	c->ns_per_tick = 1;
	snprintf(c->session, sizeof(c->session), "bench");
	c->start_mono_ns = t0;
	tm_wclock_init(&c->clock, t0);
	p->psyms = calloc((size_t)nf, sizeof(*p->psyms));
	p->pid = 1;
	snprintf(p->exe, sizeof(p->exe), "/usr/bin/bench");
	for (int i = 0; i < nf; i++) {
		char name[64];
		snprintf(name, sizeof(name), "function_%05d", i);
		int g = tm_coll_sym(c, 0, name);
		c->syms[g].flags = TM_RF_FOUND | TM_RF_HAS_RULE;
		p->psyms[i].gsym = (uint32_t)g;
	}
	p->npsyms = (uint32_t)nf;
	for (uint64_t s = 0; s < 120; s++) {
		uint64_t t = t0 + s * 1000000000ull;
		for (int i = 0; i < nf; i++)
			for (unsigned k = 0; k < 3; k++) {
				static const uint64_t d[3] = {1100, 2600, 6100};
				struct tm_call call = {.end_ns = t + 1000 * k,
						       .dur_ns = d[k] + s % 97,
						       .timed = 1,
						       .status = k == 2 ? TM_ST_FAILED : TM_ST_OK,
						       .err = k == 2 ? 2 : 0};
				tm_model_call(c, p, (uint32_t)i, &call);
			}
		tm_model_tick(c, t + 1000000000ull);
	}
	c->procs = calloc(1, sizeof(*c->procs));
	c->procs[0] = p;
	c->nprocs = 1;
}

int main(int argc, char **argv)
{
	int nf = argc > 1 ? atoi(argv[1]) : 1000;
	struct tm_coll c;
	struct tm_proc *p = calloc(1, sizeof(*p));
	struct tm_top_model m;
	struct tm_top_ui u;
	struct tm_top_canvas cv;
	double tr[RUNS], td[RUNS];
	char err[256];
	memset(&c, 0, sizeof(c));
	if (nf < 1 || !p)
		return 2;
	fill(&c, p, nf);
	struct tm_top_src *src = tm_top_src_local(&c, NULL);
	tm_top_model_init(&m);
	tm_top_ui_init(&u);
	if (!src || tm_cv_init(&cv, 200, 60, 1) < 0)
		return 1;
	for (int i = 0; i < RUNS; i++) {
		double a = now_ns();
		if (src->refresh(src, &m, NULL, &u, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_top: %s\n", err);
			return 1;
		}
		double b = now_ns();
		tm_top_view_update(&m, &u);
		tm_top_render(&cv, &m, &u, NULL);
		td[i] = (now_ns() - b) / 1e6;
		tr[i] = (b - a) / 1e6;
	}
	printf("%d functions: refresh (model lock held) %.2f ms, sort and render %.2f ms "
	       "(medians of %d)\n",
	       nf, median(tr), median(td), RUNS);
	tm_cv_free(&cv);
	tm_top_ui_free(&u);
	tm_top_model_free(&m);
	src->free(src);
	return 0;
}
