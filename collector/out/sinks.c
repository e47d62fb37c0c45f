/* SPDX-License-Identifier: MIT */
/* The outputs driven by the loop's interval: the sample (open calls,
 * /proc), the documents published to HTTP, the Prometheus textfile, and
 * the JSON-lines and CSV streams of per-interval deltas. Everything here
 * runs on the loop's thread with the model lock held. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "health/health.h"
#include "notify.h"
#include "out.h"
#include "sinks.h"

#define INTEREST_NS 10000000000ull /* a document asked for is kept fresh this long */

static const char *const pstatus[] = {"running", "exited", "crashed", "exec"};

static FILE *open_stream(const char *path, const char *what, char *err, size_t errlen)
{
	int fd = tm_out_open_stream(path, 0, err, errlen);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		close(fd);
	}
	return f;
}

int tm_sinks_start(struct tm_sinks *s, struct tm_coll *c, pthread_mutex_t *lock, char *err,
		   size_t errlen)
{
	s->c = c;
	if (s->o.jsonl && !(s->jsonl = open_stream(s->o.jsonl, "--jsonl", err, errlen)))
		return -EIO;
	if (s->o.csv && !(s->csv = open_stream(s->o.csv, "--csv", err, errlen)))
		return -EIO;
	/* a process is merged away (collect.c) only once its end was said */
	c->said_needed = s->jsonl != NULL;
	if (s->jsonl || s->csv)
		signal(SIGPIPE, SIG_IGN); /* a reader that went away is an error, not a death */
	if (s->o.listen) {
		s->http.c = c;
		s->http.model_lock = lock;
		s->http.interval_ns = s->o.interval_ns;
		int r = tm_http_start(&s->http, s->o.listen, err, errlen);
		if (r < 0)
			return r;
		s->http_on = 1;
		fprintf(stderr, "%s: listening on %s (port %u)\n", tm_tool, s->o.listen,
			s->http.port);
		if (s->o.port_file) {
			char num[16];
			int n = snprintf(num, sizeof(num), "%u\n", s->http.port);
			if (tm_out_replace(s->o.port_file, num, (size_t)n, err, errlen) < 0)
				return -EIO;
		}
	}
	if (s->o.alertmanager || s->o.on_alert) {
		struct tm_notify_opts no = {.alertmanager = s->o.alertmanager,
					    .on_alert = s->o.on_alert,
					    .session = c->session};
		int r = tm_notify_start(&s->notify, &no, err, errlen);
		if (r < 0)
			return r;
		tm_health_set_notify(c, s->notify);
	}
	if (s->jsonl) {
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("start"));
		json_object_set_new(o, "schema", json_string("tm.stream/1"));
		json_object_set_new(o, "session", tm_json_text(c->session));
		json_object_set_new(o, "interval_ns", json_integer((json_int_t)s->o.interval_ns));
		json_object_set_new(o, "start_realtime_ns",
				    json_integer((json_int_t)c->start_real_ns));
		tm_sinks_line(s->jsonl, o);
	}
	if (s->csv) {
		fputs("#t_realtime_ns,session,function,calls,ok,failed,slow,bytes,total_ns,"
		      "in_flight,oldest_in_flight_ns,p50_ns,p95_ns,p99_ns\n",
		      s->csv);
		fflush(s->csv);
	}
	return 0;
}

void tm_sinks_line(FILE *f, json_t *o)
{
	char *t = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (t) {
		fputs(t, f);
		fputc('\n', f);
		free(t);
	}
}

static uint64_t real_now(const struct tm_coll *c, uint64_t mono)
{
	return c->start_real_ns + (mono - c->start_mono_ns);
}

static void csv_field(FILE *f, const char *v)
{
	if (!strpbrk(v, ",\"\n\r")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

static int grow(struct tm_sinks *s, size_t nsyms)
{
	if (nsyms > s->nprev) {
		struct tm_prev *p = realloc(s->prev, nsyms * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memset(p + s->nprev, 0, (nsyms - s->nprev) * sizeof(*p));
		s->prev = p;
		s->nprev = nsyms;
	}
	return 0;
}

static void proc_events(struct tm_sinks *s, uint64_t t)
{
	const struct tm_coll *c = s->c;
	for (size_t i = 0; i < c->nprocs; i++) {
		/* what was said lives in the process (c->procs is compacted) */
		struct tm_proc *p = c->procs[i];
		if (p->pid <= 0)
			continue;
		for (;;) {
			const char *ev = NULL;
			if (p->said == 0) {
				ev = "started";
				p->said = 1;
			} else if (p->said == 1 && !p->attached) {
				ev = pstatus[p->status];
				p->said = 2;
			}
			if (!ev)
				break;
			json_t *o = json_object();
			json_object_set_new(o, "type", json_string("process"));
			json_object_set_new(o, "t_realtime_ns", json_integer((json_int_t)t));
			json_object_set_new(o, "event", json_string(ev));
			json_object_set_new(o, "pid", json_integer(p->pid));
			json_object_set_new(o, "exe", tm_json_text(tm_proc_exe(p)));
			if (p->said == 2 && p->status == TM_PS_EXITED)
				json_object_set_new(o, "exit_code", json_integer(p->exit_code));
			json_object_set_new(o, "calls", json_integer((json_int_t)p->calls));
			tm_sinks_line(s->jsonl, o);
		}
	}
}

static void loss_events(struct tm_sinks *s, uint64_t t)
{
	static const char *const names[TM_LOSS_COUNT + 1] = {"overflowed", "reentrant", "depth",
							     "noslot",	   "nomem",	"corrupt"};
	uint64_t now[TM_LOSS_COUNT + 1] = {0};
	now[TM_LOSS_COUNT] = s->c->closs[TM_CLOSS_CORRUPT] + s->c->earlier.corrupt;
	for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
		now[k] = s->c->earlier.loss[k];
	for (size_t i = 0; i < s->c->nprocs; i++) {
		for (unsigned k = 0; k < TM_LOSS_COUNT; k++)
			now[k] += s->c->procs[i]->loss[k];
		now[TM_LOSS_COUNT] += s->c->procs[i]->closs[TM_CLOSS_CORRUPT];
	}
	for (unsigned k = 0; k <= TM_LOSS_COUNT; k++) {
		if (now[k] <= s->loss_prev[k])
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("loss"));
		json_object_set_new(o, "t_realtime_ns", json_integer((json_int_t)t));
		json_object_set_new(o, "reason", json_string(names[k]));
		json_object_set_new(o, "delta",
				    json_integer((json_int_t)(now[k] - s->loss_prev[k])));
		json_object_set_new(o, "total", json_integer((json_int_t)now[k]));
		tm_sinks_line(s->jsonl, o);
		s->loss_prev[k] = now[k];
	}
}

/* One line per function that did anything this interval. */
static void deltas(struct tm_sinks *s, uint64_t t)
{
	const struct tm_coll *c = s->c;
	for (size_t i = 0; i < c->nsyms; i++) {
		const struct tm_sym *y = &c->syms[i];
		struct tm_prev *p = &s->prev[i];
		if (!tm_sym_reported(y) || (y->calls == p->calls && !y->in_flight))
			continue;
		uint64_t d_calls = y->calls - p->calls, d_ok = y->ok - p->ok,
			 d_failed = y->failed - p->failed, d_slow = y->slow - p->slow,
			 d_bytes = y->bytes - p->bytes;
		uint64_t d_ns = y->sum_ns > p->sum_ns ? (uint64_t)(y->sum_ns - p->sum_ns + 0.5) : 0;
		struct tm_wfig w;
		tm_win_figures(&y->win, &c->clock, TM_W10S, &w);
		const char *sess = c->sessions ? c->sessions[y->sess] : c->session;
		if (s->jsonl) {
			json_t *o = json_object();
			json_object_set_new(o, "type", json_string("interval"));
			json_object_set_new(o, "t_realtime_ns", json_integer((json_int_t)t));
			json_object_set_new(o, "session", tm_json_text(sess));
			json_object_set_new(o, "function", tm_json_text(y->name));
			json_object_set_new(o, "calls", json_integer((json_int_t)d_calls));
			json_object_set_new(o, "ok", json_integer((json_int_t)d_ok));
			json_object_set_new(o, "failed", json_integer((json_int_t)d_failed));
			json_object_set_new(o, "outcome_calls",
					    json_integer((json_int_t)(y->outcomes - p->outcomes)));
			json_object_set_new(o, "slow", json_integer((json_int_t)d_slow));
			json_object_set_new(o, "bytes", json_integer((json_int_t)d_bytes));
			json_object_set_new(o, "total_ns", json_integer((json_int_t)d_ns));
			json_object_set_new(o, "calls_total", json_integer((json_int_t)y->calls));
			json_object_set_new(o, "in_flight", json_integer((json_int_t)y->in_flight));
			json_object_set_new(o, "oldest_in_flight_ns",
					    json_integer((json_int_t)y->oldest_ns));
			json_object_set_new(o, "window_10s", tm_window_json(y, &w));
			tm_sinks_line(s->jsonl, o);
		}
		if (s->csv) {
			fprintf(s->csv, "%llu,", (unsigned long long)t);
			csv_field(s->csv, sess);
			fputc(',', s->csv);
			csv_field(s->csv, y->name);
			fprintf(s->csv, ",%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
				(unsigned long long)d_calls, (unsigned long long)d_ok,
				(unsigned long long)d_failed, (unsigned long long)d_slow,
				(unsigned long long)d_bytes, (unsigned long long)d_ns,
				(unsigned long long)y->in_flight, (unsigned long long)y->oldest_ns,
				(unsigned long long)w.p50_ns, (unsigned long long)w.p95_ns,
				(unsigned long long)w.p99_ns);
		}
		*p = (struct tm_prev){y->calls, y->ok,	   y->failed,  y->slow,
				      y->bytes, y->sum_ns, y->outcomes};
	}
}

static void publish(struct tm_sinks *s, enum tm_doc_kind k, uint64_t now)
{
	char *buf = NULL;
	size_t len = 0;
	if (k == TM_DOC_METRICS || k == TM_DOC_OPENMETRICS) {
		buf = tm_prom_render(s->c, k == TM_DOC_OPENMETRICS, &len);
	} else {
		json_t *o;
		if (k == TM_DOC_SUMMARY) {
			o = tm_summary_json_n(s->c, TM_LIVE_SECONDS);
		} else if (k == TM_DOC_HEALTH) {
			o = tm_health_doc(s->c);
		} else if (k == TM_DOC_ALERTS) {
			o = tm_alerts_json(s->c, 0);
		} else {
			o = json_array();
			for (size_t i = 0; i < s->c->nprocs; i++)
				if (tm_proc_reported(s->c->procs[i]))
					json_array_append_new(o,
							      tm_proc_json(s->c, s->c->procs[i]));
		}
		buf = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		len = buf ? strlen(buf) : 0;
	}
	if (buf)
		tm_http_publish(&s->http, k, buf, len);
	s->published[k] = now;
}

void tm_sinks_turn(struct tm_sinks *s, uint64_t now, int final)
{
	struct tm_coll *c = s->c;
	int wanted = 0;
	if (s->http_on) {
		atomic_store(&s->http.loop_ns, now);
		for (unsigned k = 0; k < TM_DOC_COUNT; k++)
			if (tm_http_wanted(&s->http, k)) {
				s->interest[k] = now + INTEREST_NS;
				wanted = 1;
			}
	}
	int tick = final || now >= s->next_ns;
	if (!tick && !wanted)
		return;
	if (tick) {
		uint64_t every = s->o.interval_ns ? s->o.interval_ns : 1000000000ull;
		s->next_ns = (s->next_ns && now < s->next_ns + every ? s->next_ns : now) + every;
	}
	tm_coll_sample(c, now);
	if (s->http_on) {
		for (unsigned k = 0; k < TM_DOC_COUNT; k++) {
			/* /metrics every interval; the rest while somebody reads them */
			int keep = k == TM_DOC_METRICS || now < s->interest[k];
			if ((tick && keep) ||
			    (wanted && now < s->interest[k] && s->published[k] < now - 1000000))
				publish(s, (enum tm_doc_kind)k, now);
		}
	}
	if (!tick)
		return;
	if (s->o.textfile) {
		size_t len;
		char err[256], *buf = tm_prom_render(c, 0, &len);
		if (buf && tm_out_replace(s->o.textfile, buf, len, err, sizeof(err)) < 0 &&
		    !s->textfile_failed++)
			fprintf(stderr, "%s: --textfile: %s\n", tm_tool, err);
		free(buf);
	}
	if (!s->jsonl && !s->csv)
		return;
	if (grow(s, c->nsyms) < 0)
		return;
	uint64_t t = real_now(c, now);
	if (s->jsonl) {
		proc_events(s, t);
		loss_events(s, t);
		json_t *ev = json_array();
		tm_health_take_events(c, ev);
		size_t i;
		json_t *x;
		json_array_foreach(ev, i, x) tm_sinks_line(s->jsonl, json_incref(x));
		json_decref(ev);
		tm_coll_compact(c); /* what was held for its end event can go now */
	}
	deltas(s, t);
	if (s->jsonl && final) {
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("end"));
		json_object_set_new(o, "t_realtime_ns", json_integer((json_int_t)t));
		tm_sinks_line(s->jsonl, o);
	}
	if (s->jsonl)
		fflush(s->jsonl);
	if (s->csv)
		fflush(s->csv);
}

void tm_sinks_stop(struct tm_sinks *s)
{
	if (s->notify) {
		if (s->c)
			tm_health_set_notify(s->c, NULL);
		tm_notify_stop(s->notify, 2000000000ull); /* resolved alerts still go out */
		s->notify = NULL;
	}
	if (s->http_on)
		tm_http_stop(&s->http);
	s->http_on = 0;
	if (s->jsonl)
		fclose(s->jsonl);
	if (s->csv)
		fclose(s->csv);
	s->jsonl = s->csv = NULL;
	free(s->prev);
	s->prev = NULL;
}
