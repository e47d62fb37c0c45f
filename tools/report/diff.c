/* SPDX-License-Identifier: MIT */
/* tmreport diff: one row per function across two sides of summaries
 * (several per side, and the runs of a tmrun --repeat summary, are runs
 * of the same thing), with the verdict of docs/ARCHITECTURE.md, "Reports
 * and comparisons": a change counts when it is over the practical
 * threshold and significant. Rendering: diff_out.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

const char *rp_verdict_name(enum rp_verdict v)
{
	static const char *const n[] = {"~", "slower", "faster", "new", "gone"};
	return n[v];
}

const char *rp_errv_name(enum rp_errv v)
{
	static const char *const n[] = {"~", "more", "fewer"};
	return n[v];
}

const char *rp_test_name(enum rp_test t)
{
	static const char *const n[] = {"none", "runs", "calls"};
	return n[t];
}

/* A document's symbols by name, for lookups (duplicates adjacent: a
 * collector of several sessions lists a name once per session). */
struct index {
	const struct rp_doc *d;
	size_t *ord;
};

static const struct rp_doc *cmp_doc;

static int by_name(const void *a, const void *b)
{
	return strcmp(cmp_doc->syms[*(const size_t *)a].name,
		      cmp_doc->syms[*(const size_t *)b].name);
}

static int index_make(struct index *x, const struct rp_doc *d)
{
	x->d = d;
	x->ord = malloc((d->nsyms ? d->nsyms : 1) * sizeof(size_t));
	if (!x->ord)
		return -1;
	for (size_t i = 0; i < d->nsyms; i++)
		x->ord[i] = i;
	cmp_doc = d;
	qsort(x->ord, d->nsyms, sizeof(size_t), by_name);
	return 0;
}

/* [*lo, *hi) of the symbols named name */
static void index_range(const struct index *x, const char *name, size_t *lo, size_t *hi)
{
	size_t a = 0, b = x->d->nsyms;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (strcmp(x->d->syms[x->ord[m]].name, name) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	while (a < x->d->nsyms && strcmp(x->d->syms[x->ord[a]].name, name) == 0)
		a++;
	*hi = a;
}

static int push(double **v, size_t n, double x)
{
	if ((n & (n - 1)) == 0) { /* grow at powers of two */
		double *nv = realloc(*v, (n ? 2 * n : 1) * sizeof(double));
		if (!nv)
			return -1;
		*v = nv;
	}
	(*v)[n] = x;
	return 0;
}

/* One document's part of a function: counts, the histogram, and its
 * per-run values (each run of runs[], or the document as one run). */
static int side_add_doc(struct rp_side_fig *f, const struct index *x, const char *name,
			int *hist_ok)
{
	const struct rp_doc *d = x->d;
	size_t lo, hi;
	index_range(x, name, &lo, &hi);
	struct rp_bin *bins = NULL;
	size_t nb = 0;
	int lat = 0;
	for (size_t i = lo; i < hi; i++) {
		const struct rp_sym *s = &d->syms[x->ord[i]];
		f->present = 1;
		f->rule |= s->rule;
		f->calls += s->calls;
		f->ok += s->ok;
		f->failed += s->failed;
		f->total_ns += s->total_ns;
		lat |= s->has_lat;
		if (s->has_lat && !s->has_hist)
			*hist_ok = 0;
		if (s->has_hist && rp_bins_merge(&bins, &nb, s->hist, s->nhist) < 0)
			return -1;
	}
	int ret = 0;
	if (d->nruns) {
		for (size_t r = 0; r < d->nruns && !ret; r++) {
			const struct rp_runsym *rs = rp_run_find(&d->runs[r], name);
			if (!rs || !rs->has_lat || !rs->timed)
				continue;
			ret = push(&f->rp50, f->nrv, (double)rs->p50) ||
			      push(&f->rp99, f->nrv, (double)rs->p99);
			f->nrv++;
		}
	} else if (lat) {
		const struct rp_sym *s = &d->syms[x->ord[lo]];
		int one = hi - lo == 1 || !nb;
		ret = push(&f->rp50, f->nrv,
			   one ? (double)s->p50 : rp_bins_quantile(bins, nb, .5)) ||
		      push(&f->rp99, f->nrv,
			   one ? (double)s->p99 : rp_bins_quantile(bins, nb, .99));
		f->nrv++;
	}
	if (!ret && nb)
		ret = rp_bins_merge(&f->bins, &f->nbins, bins, nb);
	free(bins);
	return ret;
}

static int side_fill(struct rp_side_fig *f, const struct index *xs, size_t n, const char *name)
{
	int hist_ok = 1;
	for (size_t i = 0; i < n; i++) {
		f->runs += xs[i].d->nruns ? (double)xs[i].d->nruns : 1;
		if (side_add_doc(f, &xs[i], name, &hist_ok) < 0)
			return -1;
	}
	if (!hist_ok) { /* an older summary without histograms: per-run values only */
		free(f->bins);
		f->bins = NULL;
		f->nbins = 0;
	}
	if (f->nbins) {
		f->has_lat = 1;
		f->p50 = rp_bins_quantile(f->bins, f->nbins, 0.5);
		f->p99 = rp_bins_quantile(f->bins, f->nbins, 0.99);
	} else if (f->nrv) {
		double *t = malloc(f->nrv * sizeof(double));
		if (!t)
			return -1;
		memcpy(t, f->rp50, f->nrv * sizeof(double));
		f->p50 = (uint64_t)rp_median(t, f->nrv);
		memcpy(t, f->rp99, f->nrv * sizeof(double));
		f->p99 = (uint64_t)rp_median(t, f->nrv);
		free(t);
		f->has_lat = 1;
	}
	return 0;
}

/* p of a rank test over two sets of per-run values */
static double runs_p(const double *a, size_t na, const double *b, size_t nb)
{
	struct rp_bin *x = malloc((na + nb + 2) * sizeof(*x));
	struct rp_mwu r = {.p = 1};
	if (!x)
		return 1;
	size_t ka = rp_bins_of(a, na, x);
	size_t kb = rp_bins_of(b, nb, x + ka);
	rp_mwu(x, ka, x + ka, kb, &r);
	free(x);
	return r.p;
}

/* The tail: calls above the pooled p99 on each side, against the same
 * proportion (a quantile test, Mood's median test moved to the 99th). */
static double tail_p(const struct rp_side_fig *b, const struct rp_side_fig *n)
{
	struct rp_bin *all = NULL;
	size_t na = 0;
	if (rp_bins_merge(&all, &na, b->bins, b->nbins) < 0 ||
	    rp_bins_merge(&all, &na, n->bins, n->nbins) < 0) {
		free(all);
		return 1;
	}
	uint64_t t = rp_bins_quantile(all, na, 0.99);
	free(all);
	return rp_prop_test(rp_bins_above(b->bins, b->nbins, t), rp_bins_total(b->bins, b->nbins),
			    rp_bins_above(n->bins, n->nbins, t), rp_bins_total(n->bins, n->nbins));
}

static void latency_verdict(struct rp_row *w, const struct rp_diff_opts *o)
{
	const struct rp_side_fig *b = &w->b, *n = &w->n;
	if (!b->has_lat || !n->has_lat)
		return;
	if (b->nrv >= 3 && n->nrv >= 3 && rp_mwu_min_p(b->nrv, n->nrv) <= o->alpha) {
		w->test = RP_T_RUNS;
		w->p_p50 = runs_p(b->rp50, b->nrv, n->rp50, n->nrv);
		w->p_p99 = runs_p(b->rp99, b->nrv, n->rp99, n->nrv);
	} else if (b->nbins && n->nbins) {
		struct rp_mwu r;
		w->test = RP_T_CALLS;
		rp_mwu(b->bins, b->nbins, n->bins, n->nbins, &r);
		w->p_p50 = r.p;
		w->p_p99 = tail_p(b, n);
	} else {
		return;
	}
	int s50 = w->p_p50 <= o->alpha &&
		  rp_practical((double)b->p50, (double)n->p50, o->lat_rel, o->lat_abs_ns);
	int s99 = o->tail && w->p_p99 <= o->alpha &&
		  rp_practical((double)b->p99, (double)n->p99, o->lat_rel, o->lat_abs_ns);
	if ((s50 && n->p50 > b->p50) || (s99 && n->p99 > b->p99))
		w->verdict = RP_SLOWER;
	else if (s50 || s99)
		w->verdict = RP_FASTER;
}

static void error_verdict(struct rp_row *w, const struct rp_diff_opts *o)
{
	const struct rp_side_fig *b = &w->b, *n = &w->n;
	uint64_t jb = b->ok + b->failed, jn = n->ok + n->failed;
	if (!b->rule || !n->rule || !jb || !jn)
		return;
	double rb = (double)b->failed / (double)jb, rn = (double)n->failed / (double)jn;
	w->p_err = rp_prop_test(b->failed, jb, n->failed, jn);
	if (w->p_err <= o->alpha && rp_practical(rb, rn, o->err_rel, o->err_abs))
		w->errv = rn > rb ? RP_E_MORE : RP_E_FEWER;
}

static int row_fill(struct rp_row *w, const char *name, const struct index *xb, size_t nb,
		    const struct index *xn, size_t nn, const struct rp_diff_opts *o)
{
	w->name = name;
	w->p_p50 = w->p_p99 = w->p_err = -1;
	if (side_fill(&w->b, xb, nb, name) < 0 || side_fill(&w->n, xn, nn, name) < 0)
		return -1;
	w->order = fabs(w->n.total_ns / w->n.runs - w->b.total_ns / w->b.runs);
	if (!w->b.calls && w->n.calls)
		w->verdict = RP_NEW;
	else if (w->b.calls && !w->n.calls)
		w->verdict = RP_GONE;
	if (!w->b.calls || !w->n.calls)
		return 0;
	latency_verdict(w, o);
	error_verdict(w, o);
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Largest change of time first: what moved the most. */
static int by_order(const void *a, const void *b)
{
	const struct rp_row *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? 1 : -1;
	return strcmp(x->name, y->name);
}

static const char **all_names(struct rp_doc *b, size_t nb, struct rp_doc *n, size_t nn,
			      size_t *count)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < nb + nn; i++)
		total += (i < nb ? &b[i] : &n[i - nb])->nsyms;
	const char **v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < nb + nn; i++) {
		const struct rp_doc *d = i < nb ? &b[i] : &n[i - nb];
		for (size_t j = 0; j < d->nsyms; j++)
			v[k++] = d->syms[j].name;
	}
	qsort(v, k, sizeof(*v), by_str);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(v[u - 1], v[i]) != 0)
			v[u++] = v[i];
	*count = u;
	return v;
}

int rp_diff_build(struct rp_doc *base, size_t nb, struct rp_doc *now, size_t nn,
		  const struct rp_diff_opts *o, struct rp_diff *out)
{
	int ret = -1;
	size_t nnames = 0;
	memset(out, 0, sizeof(*out));
	struct index *x = calloc(nb + nn, sizeof(*x));
	const char **names = all_names(base, nb, now, nn, &nnames);
	if (!x || !names)
		goto out;
	for (size_t i = 0; i < nb + nn; i++)
		if (index_make(&x[i], i < nb ? &base[i] : &now[i - nb]) < 0)
			goto out;
	out->rows = calloc(nnames ? nnames : 1, sizeof(*out->rows));
	if (!out->rows)
		goto out;
	for (size_t i = 0; i < nnames; i++) {
		struct rp_row *w = &out->rows[out->nrows++];
		if (row_fill(w, names[i], x, nb, x + nb, nn, o) < 0)
			goto out;
		if (!w->b.calls && !w->n.calls) { /* never called on either side */
			free(w->b.bins), free(w->b.rp50), free(w->b.rp99);
			free(w->n.bins), free(w->n.rp50), free(w->n.rp99);
			memset(w, 0, sizeof(*w));
			out->nrows--;
		}
	}
	qsort(out->rows, out->nrows, sizeof(*out->rows), by_order);
	for (size_t i = 0; i < nb; i++)
		out->runs_b += base[i].nruns ? base[i].nruns : 1;
	for (size_t i = 0; i < nn; i++)
		out->runs_n += now[i].nruns ? now[i].nruns : 1;
	ret = 0;
out:
	for (size_t i = 0; x && i < nb + nn; i++)
		free(x[i].ord);
	free(x);
	free(names);
	return ret;
}

void rp_diff_free(struct rp_diff *d)
{
	for (size_t i = 0; i < d->nrows; i++) {
		struct rp_row *w = &d->rows[i];
		free(w->b.bins), free(w->b.rp50), free(w->b.rp99);
		free(w->n.bins), free(w->n.rp50), free(w->n.rp99);
	}
	free(d->rows);
	memset(d, 0, sizeof(*d));
}
