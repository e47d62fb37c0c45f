/* SPDX-License-Identifier: MIT */
/* tmreport html: one self-contained page — inline CSS, inline SVG (svg.c),
 * no script, nothing fetched from anywhere. Every chart and table has a
 * stable id (and data-chart / data-function attributes) for tests and
 * links; every string from the summary goes through rp_html. The page
 * reflows from a phone to a laptop (viewport meta, grid, scrolling
 * tables). Sections: html.c (page, tables), html_charts.c (charts). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "report.h"

static const char css[] =
	":root{--fg:#1d2330;--mute:#5b6474;--line:#e3e6eb;--bar:#3d6fd8;--bg:#f5f6f8}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:var(--fg);background:var(--bg)}\n"
	"header{background:#1d2330;color:#fff;padding:14px 18px}\n"
	"header h1{margin:0 0 4px;font-size:20px}header p{margin:0;color:#c9d0dc}\n"
	"main{max-width:1180px;margin:0 auto;padding:10px}\n"
	"section{background:#fff;border:1px solid var(--line);border-radius:8px;"
	"padding:12px 14px;margin:10px 0}\n"
	"h2{font-size:17px;margin:2px 0 10px}h3{font-size:14px;margin:4px 0;"
	"overflow-wrap:anywhere}\n"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
	"th,td{text-align:right;padding:4px 8px;border-bottom:1px solid var(--line);"
	"white-space:nowrap}\n"
	"th{color:var(--mute);font-weight:600}\n"
	"th:first-child,td:first-child,td.l,th.l{text-align:left}\n"
	"td.name{max-width:28em;overflow:hidden;text-overflow:ellipsis}\n"
	".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}\n"
	"figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}\n"
	"figcaption{font-size:13px;color:var(--mute);margin-bottom:4px;overflow-wrap:anywhere}\n"
	"svg{width:100%;max-width:760px;height:auto;display:block}\n"
	"svg[data-chart=bars],svg[data-chart=timeline]{max-width:640px}\n"
	"svg text{font-size:12px;fill:var(--mute)}\n"
	"svg .bg{fill:#fff}svg .grid{stroke:var(--line)}svg .tick{stroke:var(--mute)}\n"
	"svg .bar{fill:var(--bar)}svg .line{fill:none;stroke:var(--bar);stroke-width:2}\n"
	"svg .dot{fill:var(--bar)}\n"
	"svg .sev-critical,svg .sev-error{fill:#c62828}svg .sev-warning{fill:#e69500}\n"
	"svg .sev-info,svg .sev-none{fill:#6d7a8c}\n"
	".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;"
	"background:#e3e6eb}\n"
	".s-healthy{background:#d7f1de;color:#135c2b}.s-degraded{background:#ffecc7;"
	"color:#7a4b00}\n"
	".s-unhealthy{background:#fbd6d3;color:#8c1a12}.s-maintenance{background:#dde6ff}\n"
	".v-slower,.e-more{color:#b3261e;font-weight:600}.v-faster,.e-fewer{color:#1b7f3b;"
	"font-weight:600}\n"
	".v-new,.v-gone{color:#5a3fc0;font-weight:600}\n"
	".note{color:var(--mute);font-size:13px}\n"
	"@media (max-width:640px){body{font-size:13px}main{padding:4px}section{padding:10px 8px;"
	"margin:8px 0}.grid{grid-template-columns:1fr}header h1{font-size:18px}}\n";

void h_text(FILE *f, const char *s)
{
	rp_html(f, s ? s : "");
}

void h_ns(FILE *f, double ns)
{
	char b[24];
	rp_fmt_ns(b, sizeof(b), ns);
	fputs(b, f);
}

static void when(FILE *f, uint64_t real_ns)
{
	time_t t = (time_t)(real_ns / 1000000000ull);
	struct tm tm;
	char b[40];
	if (real_ns && gmtime_r(&t, &tm) && strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", &tm))
		fputs(b, f);
	else
		fputs("-", f);
}

static void badge(FILE *f, const char *state)
{
	fputs("<span class=\"badge s-", f);
	h_text(f, state ? state : "unknown");
	fputs("\">", f);
	h_text(f, state ? state : "not given");
	fputs("</span>", f);
}

static void head(FILE *f, const struct rp_doc *d)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>tm report: ",
	      f);
	h_text(f, d->session ? d->session : d->path);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header><h1>tm report</h1><p>",
		css);
	fputs("session <b>", f);
	h_text(f, d->session ? d->session : "-");
	fputs("</b> · started ", f);
	when(f, d->start_real_ns);
	fputs(" · ran ", f);
	h_ns(f, (double)d->duration_ns);
	fprintf(f, " · %zu functions · %zu processes", d->nsyms, d->nprocs);
	if (d->nruns)
		fprintf(f, " · %zu runs", d->nruns);
	fputs("</p></header>\n<main>\n", f);
}

static void health_section(FILE *f, const struct rp_doc *d)
{
	fputs("<section id=\"health\"><h2>Health</h2>\n<p id=\"health-state\">", f);
	badge(f, d->health);
	fputs(" ", f);
	h_text(f, d->health_reason ? d->health_reason : "the summary has no health");
	fputs("</p>\n<div class=\"scroll\"><table id=\"health-table\"><thead><tr>"
	      "<th>function</th><th class=\"l\">health</th><th class=\"l\">reason</th></tr></thead>"
	      "<tbody>\n",
	      f);
	for (size_t i = 0; i < d->nsyms; i++) {
		const struct rp_sym *s = &d->syms[i];
		fputs("<tr><td class=\"name\">", f);
		h_text(f, s->name);
		fputs("</td><td class=\"l\">", f);
		badge(f, s->health);
		fputs("</td><td class=\"l\">", f);
		h_text(f, s->health_reason);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div></section>\n", f);
}

static void functions_section(FILE *f, const struct rp_doc *d)
{
	struct rp_table_opts o = {.sort = RP_C_TOTAL};
	size_t n;
	size_t *v = rp_table_order(d, &o, &n);
	double total = 0; /* of the functions that work: blocking ones wait */
	int marks = 0;
	for (size_t i = 0; i < d->nsyms; i++) {
		if (!d->syms[i].blocking)
			total += d->syms[i].total_ns;
		marks |= d->syms[i].blocking || d->syms[i].inner_calls;
	}
	fputs("<section id=\"functions\"><h2>Functions</h2>\n<div class=\"scroll\">"
	      "<table id=\"summary-table\"><thead><tr><th>function</th><th>calls</th>"
	      "<th>failed</th><th>error %</th><th>mean</th><th>p50</th><th>p95</th><th>p99</th>"
	      "<th>max</th><th>total</th><th>% time</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; v && i < n; i++) {
		const struct rp_sym *s = &d->syms[v[i]];
		uint64_t j = s->ok + s->failed;
		fputs("<tr data-function=\"", f);
		h_text(f, s->name);
		fputs("\"><td class=\"name\">", f);
		h_text(f, s->name);
		fprintf(f, "%s</td><td>%llu</td>", s->sampled ? "~" : "",
			(unsigned long long)s->calls);
		if (s->rule && j)
			fprintf(f, "<td>%llu</td><td>%.2f</td>", (unsigned long long)s->failed,
				100.0 * (double)s->failed / (double)j);
		else if (s->rule)
			fprintf(f, "<td>%llu</td><td>-</td>", (unsigned long long)s->failed);
		else
			fputs("<td>-</td><td>-</td>", f);
		const double lat[] = {s->mean_ns, (double)s->p50, (double)s->p95, (double)s->p99,
				      (double)s->max_ns};
		for (unsigned k = 0; k < 5; k++) {
			fputs("<td>", f);
			if (s->has_lat)
				h_ns(f, lat[k]);
			else
				fputs("-", f);
			fputs("</td>", f);
		}
		fputs("<td>", f);
		h_ns(f, s->total_ns);
		if (s->blocking)
			fputs("</td><td class=\"blocking\" title=\"blocking: waiting, not "
			      "work\">*</td></tr>\n",
			      f);
		else
			fprintf(f, "</td><td%s>%.1f%s</td></tr>\n",
				s->inner_calls
					? " class=\"contains\" title=\"includes the monitored "
					  "calls made inside it\""
					: "",
				total > 0 ? 100 * s->total_ns / total : 0,
				s->inner_calls ? "+" : "");
	}
	fputs("</tbody></table></div>\n<p class=\"note\">Latency from a log-linear histogram "
	      "(&le;&nbsp;0.8&nbsp;% error); ~ sampled: latency from 1 call in N.",
	      f);
	if (marks)
		fputs(" % time: <b>+</b> the time includes the monitored calls made inside it; "
		      "<b>*</b> blocking (waiting: poll, accept, sleeps), left out of the total.",
		      f);
	if (d->floor_ns) {
		fputs(d->overhead_subtracted ? " The shim's floor of "
					     : " Durations include the "
					       "shim's floor of ",
		      f);
		h_ns(f, (double)d->floor_ns);
		fputs(d->overhead_subtracted ? " was subtracted." : " per call.", f);
	}
	fputs("</p></section>\n", f);
	free(v);
}

static void diff_section(FILE *f, const struct rp_diff *diff, const struct rp_diff_opts *o)
{
	fputs("<section id=\"diff\"><h2>Against the base</h2>\n", f);
	if (!diff) {
		fputs("<p id=\"diff-none\" class=\"note\">No base summary given "
		      "(<code>tmreport html NEW.json BASE.json -o FILE</code> compares).</p>"
		      "</section>\n",
		      f);
		return;
	}
	fprintf(f,
		"<p class=\"note\">base %zu run(s), new %zu run(s). A change counts when it is "
		"significant (&alpha; %g) and at least %g&nbsp;%% and ",
		diff->runs_b, diff->runs_n, o->alpha, 100 * o->lat_rel);
	h_ns(f, o->lat_abs_ns);
	fputs(" (p50).</p>\n<div class=\"scroll\"><table id=\"diff-table\"><thead><tr>"
	      "<th>function</th><th>calls/run</th><th>error %</th><th>p50</th><th>p99</th>"
	      "<th>time/run</th><th class=\"l\">verdict</th><th class=\"l\">errors</th>"
	      "<th class=\"l\">test</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; i < diff->nrows; i++)
		h_diff_row(f, &diff->rows[i]);
	fputs("</tbody></table></div></section>\n", f);
}

/* Calls whose code is an outcome of its own (EINPROGRESS, EAGAIN, a
 * finalize repeating the step's error): not failures, shown apart. */
static void outcomes_table(FILE *f, const struct rp_doc *d)
{
	size_t rows = 0;
	for (size_t i = 0; i < d->nsyms; i++)
		rows += d->syms[i].noutc;
	if (!rows)
		return;
	fputs("<h3>Outcomes that are not failures</h3><div class=\"scroll\">"
	      "<table id=\"outcomes-table\"><thead><tr><th>function</th>"
	      "<th class=\"l\">outcome</th><th>calls</th><th class=\"l\">codes</th></tr></thead>"
	      "<tbody>\n",
	      f);
	for (size_t i = 0; i < d->nsyms; i++)
		for (size_t k = 0; k < d->syms[i].noutc; k++) {
			const struct rp_outc *o = &d->syms[i].outc[k];
			fputs("<tr><td class=\"name\">", f);
			h_text(f, d->syms[i].name);
			fputs("</td><td class=\"l\">", f);
			h_text(f, o->name);
			fprintf(f, "</td><td>%llu</td><td class=\"l\">",
				(unsigned long long)o->calls);
			for (size_t j = 0; j < o->ncodes; j++) {
				fputs(j ? ", " : "", f);
				h_text(f, o->codes[j].name);
				fprintf(f, " %llu", (unsigned long long)o->codes[j].n);
			}
			fputs("</td></tr>\n", f);
		}
	fputs("</tbody></table></div>\n<p class=\"note\">In the calls, not in the failures or "
	      "the error rate.</p>\n",
	      f);
}

static void errors_section(FILE *f, const struct rp_doc *d)
{
	fputs("<section id=\"errors\"><h2>Errors</h2>\n<div class=\"grid\"><div>"
	      "<h3>By name</h3><div class=\"scroll\"><table id=\"errors-by-name\"><thead><tr>"
	      "<th>function</th><th class=\"l\">error</th><th>calls</th></tr></thead><tbody>\n",
	      f);
	size_t rows = 0;
	for (size_t i = 0; i < d->nsyms; i++)
		for (size_t k = 0; k < d->syms[i].nerrs; k++, rows++) {
			fputs("<tr><td class=\"name\">", f);
			h_text(f, d->syms[i].name);
			fputs("</td><td class=\"l\">", f);
			h_text(f, d->syms[i].errs[k].name);
			fprintf(f, "</td><td>%llu</td></tr>\n",
				(unsigned long long)d->syms[i].errs[k].n);
		}
	if (!rows)
		fputs("<tr><td colspan=\"3\" class=\"l\">no failed calls</td></tr>\n", f);
	fputs("</tbody></table></div></div><div><h3>By category</h3><div class=\"scroll\">"
	      "<table id=\"errors-by-category\"><thead><tr><th>function</th>"
	      "<th class=\"l\">category</th><th>calls</th></tr></thead><tbody>\n",
	      f);
	rows = 0;
	for (size_t i = 0; i < d->nsyms; i++)
		for (size_t k = 0; k < d->syms[i].ncats; k++, rows++) {
			fputs("<tr><td class=\"name\">", f);
			h_text(f, d->syms[i].name);
			fputs("</td><td class=\"l\">", f);
			h_text(f, d->syms[i].cats[k].name);
			fprintf(f, "</td><td>%llu</td></tr>\n",
				(unsigned long long)d->syms[i].cats[k].n);
		}
	if (!rows)
		fputs("<tr><td colspan=\"3\" class=\"l\">no failed calls</td></tr>\n", f);
	fputs("</tbody></table></div></div></div>\n", f);
	h_category_chart(f, d);
	outcomes_table(f, d);
	fputs("</section>\n", f);
}

static void processes_section(FILE *f, const struct rp_doc *d)
{
	size_t shown = d->nprocs < 500 ? d->nprocs : 500;
	fputs("<section id=\"processes\"><h2>Processes</h2>\n<div class=\"scroll\">"
	      "<table id=\"processes-table\"><thead><tr><th>pid</th><th class=\"l\">program</th>"
	      "<th class=\"l\">status</th><th>exit</th><th>CPU user</th><th>CPU system</th>"
	      "<th>RSS</th><th>threads</th><th>fds</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; i < shown; i++) {
		const struct rp_proc *p = &d->procs[i];
		fprintf(f, "<tr><td>%lld</td><td class=\"l name\">", (long long)p->pid);
		h_text(f, p->exe);
		fputs("</td><td class=\"l\">", f);
		h_text(f, p->status);
		fputs("</td><td>", f);
		if (p->has_exit)
			fprintf(f, "%lld", (long long)p->exit_code);
		else
			fputs("-", f);
		if (p->has_res)
			fprintf(f,
				"</td><td>%.2f s</td><td>%.2f s</td><td>%.1f MiB</td><td>%llu</td>",
				p->cpu_user_s, p->cpu_sys_s, (double)p->rss_bytes / 1048576,
				(unsigned long long)p->threads);
		else
			fputs("</td><td>-</td><td>-</td><td>-</td><td>-</td>", f);
		if (p->has_res && p->fds >= 0)
			fprintf(f, "<td>%lld</td></tr>\n", (long long)p->fds);
		else
			fputs("<td>-</td></tr>\n", f);
	}
	if (!d->nprocs)
		fputs("<tr><td colspan=\"9\" class=\"l\">no process listed</td></tr>\n", f);
	fputs("</tbody></table></div>\n", f);
	if (shown < d->nprocs)
		fprintf(f, "<p class=\"note\">%zu more processes in the summary.</p>\n",
			d->nprocs - shown);
	h_process_charts(f, d);
	fputs("</section>\n", f);
}

static void alerts_section(FILE *f, const struct rp_doc *d)
{
	fputs("<section id=\"alerts\"><h2>Alerts</h2>\n", f);
	rp_svg_timeline(f, "alert-timeline", d);
	fputs("<div class=\"scroll\"><table id=\"alerts-table\"><thead><tr>"
	      "<th class=\"l\">alert</th><th class=\"l\">function</th><th class=\"l\">severity</th>"
	      "<th class=\"l\">state</th><th class=\"l\">started</th><th class=\"l\">ended</th>"
	      "<th class=\"l\">summary</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; i < d->nalerts; i++) {
		const struct rp_alert *a = &d->alerts[i];
		const char *cells[] = {a->name, a->function ? a->function : "-",
				       a->severity ? a->severity : "-", a->state};
		fputs("<tr>", f);
		for (unsigned k = 0; k < 4; k++) {
			fputs("<td class=\"l\">", f);
			h_text(f, cells[k]);
			fputs("</td>", f);
		}
		fputs("<td class=\"l\">", f);
		when(f, a->starts_ns);
		fputs("</td><td class=\"l\">", f);
		if (a->ends_ns)
			when(f, a->ends_ns);
		else
			fputs("firing", f);
		fputs("</td><td class=\"l\">", f);
		h_text(f, a->summary);
		fputs("</td></tr>\n", f);
	}
	if (!d->nalerts)
		fputs("<tr><td colspan=\"7\" class=\"l\">no alert fired</td></tr>\n", f);
	fputs("</tbody></table></div></section>\n", f);
}

static void findings_section(FILE *f, const struct rp_doc *d)
{
	fputs("<section id=\"findings\"><h2>Findings</h2>\n<ul id=\"findings-list\">\n", f);
	for (size_t i = 0; i < d->nfindings; i++) {
		fputs("<li data-kind=\"", f);
		h_text(f, d->findings[i].kind);
		fputs("\">", f);
		h_text(f, d->findings[i].text);
		fputs("</li>\n", f);
	}
	if (!d->nfindings)
		fputs("<li>nothing to report</li>\n", f);
	fputs("</ul>", f);
	if (d->findings_more)
		fprintf(f, "<p class=\"note\">%llu more in the summary.</p>",
			(unsigned long long)d->findings_more);
	fputs("</section>\n", f);
}

static void runs_section(FILE *f, const struct rp_doc *d)
{
	fputs("<section id=\"runs\"><h2>Runs</h2>\n", f);
	if (!d->nruns) {
		fputs("<p id=\"runs-none\" class=\"note\">One run (<code>tmrun --repeat N</code> "
		      "keeps each run's figures).</p></section>\n",
		      f);
		return;
	}
	fputs("<div class=\"scroll\"><table id=\"runs-table\"><thead><tr><th>run</th>"
	      "<th>exit status</th><th>duration</th><th>calls</th><th>functions</th></tr></thead>"
	      "<tbody>\n",
	      f);
	for (size_t i = 0; i < d->nruns; i++) {
		const struct rp_run *r = &d->runs[i];
		uint64_t calls = 0;
		for (size_t k = 0; k < r->nsyms; k++)
			calls += r->syms[k].calls;
		fprintf(f, "<tr><td>%zu</td><td>%lld</td><td>", i + 1, (long long)r->exit_status);
		h_ns(f, (double)r->duration_ns);
		fprintf(f, "</td><td>%llu</td><td>%zu</td></tr>\n", (unsigned long long)calls,
			r->nsyms);
	}
	fputs("</tbody></table></div></section>\n", f);
}

/* The hook for the flame graph: when the summary carries call edges
 * (the call-structure issue), draw them here from d; until then the
 * section says why there is none. */
static void flame_section(FILE *f, const struct rp_doc *d)
{
	(void)d;
	fputs("<section id=\"flamegraph\"><h2>Flame graph</h2>\n<p id=\"flamegraph-missing\" "
	      "class=\"note\">Not available: call edges (which monitored function called which) "
	      "are not in the summary yet, so there is nothing to draw a flame graph of "
	      "monitored frames from.</p></section>\n",
	      f);
}

int rp_html_write(const struct rp_doc *d, const struct rp_diff *diff, const struct rp_diff_opts *o,
		  FILE *f)
{
	head(f, d);
	health_section(f, d);
	functions_section(f, d);
	diff_section(f, diff, o);
	h_latency_section(f, d);
	h_series_section(f, d);
	errors_section(f, d);
	processes_section(f, d);
	alerts_section(f, d);
	findings_section(f, d);
	runs_section(f, d);
	flame_section(f, d);
	fputs("</main>\n<footer class=\"note\" style=\"padding:8px 14px\">tmreport, from ", f);
	h_text(f, d->path);
	fputs("</footer>\n</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}
