/* SPDX-License-Identifier: MIT */
/* The page's chart sections: latency histograms and time series of the
 * functions with the most time, errors by category, per-process CPU and
 * RSS, and the diff table's rows. */
#include <stdlib.h>
#include <string.h>

#include "html.h"

/* The functions charted: the most time first, at most RP_HTML_CHARTED. */
static size_t *charted(const struct rp_doc *d, size_t *n)
{
	struct rp_table_opts o = {.sort = RP_C_TOTAL, .top = RP_HTML_CHARTED};
	return rp_table_order(d, &o, n);
}

static void fig_open(FILE *f, const struct rp_sym *s)
{
	fputs("<figure data-function=\"", f);
	h_text(f, s->name);
	fputs("\"><h3>", f);
	h_text(f, s->name);
	fputs("</h3>\n", f);
}

static void more_note(FILE *f, const struct rp_doc *d, size_t n)
{
	if (n < d->nsyms)
		fprintf(f,
			"<p class=\"note\">The %zu functions with the most time; %zu more are in "
			"the table.</p>\n",
			n, d->nsyms - n);
}

void h_latency_section(FILE *f, const struct rp_doc *d)
{
	size_t n = 0;
	size_t *v = charted(d, &n);
	fputs("<section id=\"latency\"><h2>Latency</h2>\n<div class=\"grid\">\n", f);
	for (size_t i = 0; v && i < n; i++) {
		const struct rp_sym *s = &d->syms[v[i]];
		char id[32];
		snprintf(id, sizeof(id), "hist-%zu", i);
		fig_open(f, s);
		fputs("<figcaption>", f);
		if (s->has_lat) {
			fputs("p50 ", f);
			h_ns(f, (double)s->p50);
			fputs(" · p99 ", f);
			h_ns(f, (double)s->p99);
			fprintf(f, " · %llu timed calls", (unsigned long long)s->timed);
		} else {
			fputs("no timed calls", f);
		}
		if (!s->has_hist)
			fputs(" · no histogram in this summary (written before tm kept one)", f);
		fputs("</figcaption>\n", f);
		rp_svg_histogram(f, id, s->hist, s->nhist);
		fputs("</figure>\n", f);
	}
	fputs("</div>\n", f);
	if (!n)
		fputs("<p class=\"note\">No function in the summary.</p>\n", f);
	more_note(f, d, n);
	fputs("</section>\n", f);
	free(v);
}

/* calls, p99 and error rate of one function: per second when the
 * summary has its seconds, else per minute (the trend). */
static void series_fig(FILE *f, const struct rp_sym *s, size_t k)
{
	const struct rp_series *x = s->sec.n ? &s->sec : &s->min;
	struct rp_point *p = calloc(x->n ? x->n : 1, sizeof(*p));
	char id[40];
	if (!p)
		return;
	fig_open(f, s);
	if (!x->n)
		fputs("<figcaption>no calls in the summary's seconds or trend</figcaption>\n", f);
	else
		fprintf(f, "<figcaption>%s, %zu points</figcaption>\n",
			x == &s->sec ? "per second" : "per minute (the summary's trend)", x->n);
	for (size_t i = 0; i < x->n; i++)
		p[i] = (struct rp_point){(double)i, (double)x->calls[i]};
	snprintf(id, sizeof(id), "series-calls-%zu", k);
	fputs("<p class=\"note\">calls</p>\n", f);
	rp_svg_series(f, id, "calls", p, x->n, x->res_s, 0, 0);
	for (size_t i = 0; i < x->n; i++)
		p[i].y = (double)x->p99[i];
	snprintf(id, sizeof(id), "series-p99-%zu", k);
	fputs("<p class=\"note\">p99</p>\n", f);
	rp_svg_series(f, id, "p99", p, x->n, x->res_s, 1, 0);
	for (size_t i = 0; i < x->n; i++) {
		if (!s->rule)
			p[i].y = -1;
		else if (x->failed)
			p[i].y = x->calls[i] ? (double)x->failed[i] / (double)x->calls[i] : -1;
		else
			p[i].y = x->sr && x->sr[i] >= 0 ? 1 - x->sr[i] : -1;
	}
	snprintf(id, sizeof(id), "series-errors-%zu", k);
	fprintf(f, "<p class=\"note\">error rate%s</p>\n", s->rule ? "" : " (no success rule)");
	rp_svg_series(f, id, "error rate", p, x->n, x->res_s, 0, 1);
	fputs("</figure>\n", f);
	free(p);
}

void h_series_section(FILE *f, const struct rp_doc *d)
{
	size_t n = 0;
	size_t *v = charted(d, &n);
	fputs("<section id=\"series\"><h2>Over time</h2>\n<div class=\"grid\">\n", f);
	for (size_t i = 0; v && i < n; i++)
		series_fig(f, &d->syms[v[i]], i);
	fputs("</div>\n", f);
	more_note(f, d, n);
	fputs("</section>\n", f);
	free(v);
}

void h_category_chart(FILE *f, const struct rp_doc *d)
{
	enum { MAXC = 32 };
	const char *names[MAXC];
	double tot[MAXC];
	size_t n = 0;
	for (size_t i = 0; i < d->nsyms; i++)
		for (size_t k = 0; k < d->syms[i].ncats; k++) {
			const struct rp_named *c = &d->syms[i].cats[k];
			size_t j = 0;
			while (j < n && strcmp(names[j], c->name) != 0)
				j++;
			if (j == n && n == MAXC)
				j = n - 1; /* past 32 categories: added to the last one */
			if (j == n) {
				names[n] = c->name;
				tot[n++] = 0;
			}
			tot[j] += (double)c->n;
		}
	fputs("<h3>Failed calls by category, all functions</h3>\n", f);
	rp_svg_bars(f, "chart-error-categories", names, tot, n, "calls");
}

static const struct rp_doc *by_doc;
static int by_cpu(const void *a, const void *b)
{
	const struct rp_proc *x = &by_doc->procs[*(const size_t *)a];
	const struct rp_proc *y = &by_doc->procs[*(const size_t *)b];
	double cx = x->cpu_user_s + x->cpu_sys_s, cy = y->cpu_user_s + y->cpu_sys_s;
	return cx < cy ? 1 : cx > cy ? -1 : 0;
}

/* The 20 processes that used the most CPU: their CPU and RSS. */
void h_process_charts(FILE *f, const struct rp_doc *d)
{
	enum { MAXP = 20 };
	size_t *ord = malloc((d->nprocs ? d->nprocs : 1) * sizeof(size_t));
	char lab[MAXP][96];
	const char *labels[MAXP];
	double cpu[MAXP], rss[MAXP];
	size_t n = 0;
	if (!ord)
		return;
	for (size_t i = 0; i < d->nprocs; i++)
		ord[i] = i;
	by_doc = d;
	qsort(ord, d->nprocs, sizeof(size_t), by_cpu);
	for (size_t i = 0; i < d->nprocs && n < MAXP; i++) {
		const struct rp_proc *p = &d->procs[ord[i]];
		if (!p->has_res)
			continue;
		const char *exe = p->exe ? p->exe : "?", *slash = strrchr(exe, '/');
		snprintf(lab[n], sizeof(lab[n]), "%lld %s", (long long)p->pid,
			 slash ? slash + 1 : exe);
		labels[n] = lab[n];
		cpu[n] = p->cpu_user_s + p->cpu_sys_s;
		rss[n++] = (double)p->rss_bytes;
	}
	fputs("<div class=\"grid\"><div><h3>CPU (user + system)</h3>\n", f);
	rp_svg_bars(f, "chart-cpu", labels, cpu, n, "cpu seconds");
	fputs("</div><div><h3>RSS (the last sample)</h3>\n", f);
	rp_svg_bars(f, "chart-rss", labels, rss, n, "bytes");
	fputs("</div></div>\n", f);
	free(ord);
}

void h_diff_row(FILE *f, const struct rp_row *w)
{
	char c[RP_DIFF_COLS][RP_DIFF_CELL];
	rp_diff_cells(c, w);
	fputs("<tr data-function=\"", f);
	h_text(f, w->name);
	fprintf(f, "\" data-verdict=\"%s\" data-errors=\"%s\"><td class=\"name\">",
		rp_verdict_name(w->verdict), rp_errv_name(w->errv));
	h_text(f, w->name);
	fputs("</td>", f);
	for (unsigned k = 1; k < 6; k++) {
		fputs("<td>", f);
		h_text(f, c[k]);
		fputs("</td>", f);
	}
	fprintf(f, "<td class=\"l v-%s\">", rp_verdict_name(w->verdict));
	h_text(f, c[6]);
	fprintf(f, "</td><td class=\"l e-%s\">", rp_errv_name(w->errv));
	h_text(f, c[7]);
	fputs("</td><td class=\"l\">", f);
	h_text(f, c[8]);
	fputs("</td></tr>\n", f);
}
