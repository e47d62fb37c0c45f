/* SPDX-License-Identifier: MIT */
/* Batch output, one refresh at a time: the screen's text with every row
 * (like top -b), or one JSON object per refresh (--jsonl) with the same
 * rows in the same order. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

int tm_top_print_batch(FILE *f, const struct tm_top_model *m, struct tm_top_ui *u, int width)
{
	struct tm_top_canvas cv;
	int was = u->batch;
	if (width <= 0) {
		if (tm_cv_init(&cv, 1, 1, u->utf8) < 0)
			return -ENOMEM;
		width = tm_top_natural_width(&cv, m, u);
		tm_cv_free(&cv);
	}
	int h = TM_TOP_HEADER_LINES + 2 + (int)u->norder + (m->h.error[0] ? 1 : 0);
	if (tm_cv_init(&cv, width, h, u->utf8) < 0)
		return -ENOMEM;
	u->batch = 1;
	tm_top_render(&cv, m, u, NULL);
	u->batch = was;
	size_t len = (size_t)width * 4 + 1;
	char *line = malloc(len);
	if (!line) {
		tm_cv_free(&cv);
		return -ENOMEM;
	}
	int last = h;
	while (last > 0 && tm_cv_line(&cv, last - 1, line, len) == 0)
		last--;
	for (int y = 0; y < last; y++) {
		tm_cv_line(&cv, y, line, len);
		fprintf(f, "%s\n", line);
	}
	fputc('\n', f);
	free(line);
	tm_cv_free(&cv);
	return fflush(f) == 0 ? 0 : -errno;
}

static json_t *str(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("");
}

static json_t *ns_or_null(uint64_t v)
{
	return v == TM_TOP_NA ? json_null() : json_integer((json_int_t)v);
}

static json_t *row_json(const struct tm_top_model *m, const struct tm_top_ui *u,
			const struct tm_top_row *r)
{
	const struct tm_top_fig *f = &r->fig[u->win];
	double e = tm_top_err_rate(r, u->win);
	json_t *w = json_pack("{sisIsIsIsf}", "span_s", (int)f->span_s, "calls",
			      (json_int_t)f->calls, "ok", (json_int_t)f->ok, "failed",
			      (json_int_t)f->failed, "calls_per_s", tm_top_rate(r, u->win));
	json_object_set_new(w, "error_rate", e < 0 ? json_null() : json_real(e));
	json_object_set_new(w, "p50_ns", ns_or_null(f->p50_ns));
	json_object_set_new(w, "p99_ns", ns_or_null(f->p99_ns));
	json_object_set_new(w, "p999_ns", ns_or_null(f->p999_ns));
	json_object_set_new(w, "max_ns", ns_or_null(f->max_ns));
	double share = tm_top_time_share(m, r, u->win);
	json_object_set_new(w, "time_share", share >= 0 ? json_real(share) : json_null());
	json_t *o = json_object();
	json_object_set_new(o, "function", str(r->name));
	json_object_set_new(o, "object", str(r->object));
	json_object_set_new(o, "session", str(r->session));
	json_object_set_new(o, "calls", json_integer((json_int_t)r->calls));
	json_object_set_new(o, "window", w);
	json_object_set_new(o, "in_flight", json_integer((json_int_t)r->in_flight));
	json_object_set_new(o, "oldest_in_flight_ns",
			    r->in_flight ? json_integer((json_int_t)r->oldest_ns) : json_null());
	json_object_set_new(o, "health", json_string(tm_health_name(r->health)));
	json_object_set_new(o, "blocking", json_boolean(r->blocking));
	json_object_set_new(o, "contains_monitored", json_boolean(r->inner));
	json_object_set_new(o, "rising",
			    json_pack("{sbsb}", "latency", r->rising_lat, "errors", r->rising_err));
	json_t *sp = json_array();
	for (uint32_t i = TM_TOP_SPARK - r->nspark; i < TM_TOP_SPARK; i++)
		json_array_append_new(sp, json_integer(r->spark[i]));
	json_object_set_new(o, "last_60s", sp);
	return o;
}

static json_t *header_json(const struct tm_top_model *m)
{
	const struct tm_top_header *h = &m->h;
	json_t *o = json_object();
	json_object_set_new(o, "running", json_integer(h->running));
	json_object_set_new(o, "exited", json_integer(h->exited));
	json_object_set_new(o, "crashed", json_integer(h->crashed));
	json_object_set_new(o, "exec", json_integer(h->execd));
	return o;
}

int tm_top_print_jsonl(FILE *f, const struct tm_top_model *m, const struct tm_top_ui *u)
{
	const struct tm_top_header *h = &m->h;
	static const char *const wn[TM_TOP_W_COUNT] = {"interval", "1m", "all"};
	json_t *o = json_pack("{ss}", "type", "tmtop");
	json_object_set_new(o, "t_realtime_ns", json_integer((json_int_t)h->now_real_ns));
	json_object_set_new(o, "session", str(h->session));
	json_object_set_new(o, "source", str(h->source));
	json_object_set_new(o, "window", json_string(wn[u->win]));
	json_object_set_new(o, "interval_s", json_integer(m->interval_s));
	json_object_set_new(o, "processes", header_json(m));
	json_object_set_new(o, "cpu_percent",
			    h->cpu_pct >= 0 ? json_real(h->cpu_pct) : json_null());
	json_object_set_new(o, "rss_bytes", json_integer((json_int_t)h->rss_bytes));
	json_t *loss = json_object();
	for (unsigned k = 0; k < TM_TOP_NLOSS; k++)
		json_object_set_new(loss, tm_top_loss_names[k],
				    json_integer((json_int_t)h->loss[k]));
	json_object_set_new(o, "loss", loss);
	json_object_set_new(o, "collector_cpu",
			    json_pack("{sosbsI}", "budget_pct",
				      h->budget_pct > 0 ? json_real(h->budget_pct) : json_null(),
				      "shared", h->shared_cpu, "budget_naps",
				      (json_int_t)h->budget_naps));
	json_t *hc = json_object();
	for (unsigned k = 0; k < TM_H_COUNT; k++)
		json_object_set_new(hc, tm_health_name((enum tm_health)k),
				    json_integer(h->nhealth[k]));
	json_object_set_new(o, "health",
			    json_pack("{sssoso}", "state", tm_health_name(h->health), "reason",
				      str(h->health_reason), "functions", hc));
	json_t *al = json_array();
	for (size_t i = 0; i < m->nalerts; i++) {
		const struct tm_top_alert *a = &m->alerts[i];
		if (strcmp(a->state, "firing") != 0)
			continue;
		json_array_append_new(al, json_pack("{sosososo}", "name", str(a->name), "function",
						    str(a->function), "severity", str(a->severity),
						    "summary", str(a->summary)));
	}
	json_object_set_new(o, "alerts_firing", al);
	if (h->error[0])
		json_object_set_new(o, "error", str(h->error));
	json_t *rows = json_array();
	for (size_t i = 0; i < u->norder; i++)
		json_array_append_new(rows, row_json(m, u, &m->rows[u->order[i]]));
	json_object_set_new(o, "rows", rows);
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	fprintf(f, "%s\n", text);
	free(text);
	return fflush(f) == 0 ? 0 : -errno;
}
