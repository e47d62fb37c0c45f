/* SPDX-License-Identifier: MIT */
/* Health, alerts and anomaly detection over the model's time axis.
 *
 * rules.c reads the rules (alerts, anomaly parameters, maintenance,
 * built-in defaults) from the collector's rules file; engine.c evaluates
 * them once per sealed second against each function's windows, runs every
 * alert through Prometheus' lifecycle (inactive -> pending -> firing ->
 * resolved, `for`, `keep_firing_for`, a flap guard), feeds the anomaly
 * detector (anomaly.c) and derives health per function, process and
 * session; report.c turns it into the summary's alerts[], health and
 * findings; promrules.c prints equivalent Prometheus rules. Time is
 * CLOCK_MONOTONIC ns handed in by the caller (tests drive it). */
#ifndef TM_HEALTH_H
#define TM_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "anomaly.h"
#include "model/window.h"

struct tm_coll;
struct tm_proc;
struct json_t;

enum tm_sev { TM_SEV_INFO = 0, TM_SEV_WARNING, TM_SEV_ERROR, TM_SEV_CRITICAL, TM_SEV_COUNT };
enum tm_kind {
	TM_K_ERROR_RATE = 0,
	TM_K_LATENCY,
	TM_K_SLOW,
	TM_K_BURN_RATE,
	TM_K_ANOMALY,
	TM_K_STUCK,
	TM_K_NEVER_CALLED,
	TM_K_CRASHED,
	TM_K_LOSS,
	TM_K_RATE,
	TM_K_IN_FLIGHT,
	TM_K_COUNT
};
/* What a rule compares with its threshold. */
enum tm_measure {
	TM_M_ERROR_RATE = 0, /* failed / judged over the window */
	TM_M_P99,	     /* ns */
	TM_M_P95,	     /* ns */
	TM_M_SLOW_RATIO,     /* calls over slow_ms / calls */
	TM_M_RATE_BELOW,     /* calls per second below */
	TM_M_RATE_ABOVE,     /* calls per second above */
	TM_M_IN_FLIGHT,	     /* calls open now */
	TM_M_STUCK,	     /* age of the oldest open call, ns */
	TM_M_BURN,	     /* SLO burn rate, multiwindow */
	TM_M_ANOMALY,	     /* the detector fires on any series */
	TM_M_NEVER_CALLED,   /* hooked, no call a minute after the start */
	TM_M_CRASHED,	     /* a process died without exiting */
	TM_M_LOSS,	     /* calls that could not be counted */
	TM_M_COUNT
};
enum tm_health {
	TM_H_UNKNOWN = 0,
	TM_H_HEALTHY,
	TM_H_DEGRADED,
	TM_H_UNHEALTHY,
	TM_H_MAINTENANCE,
	TM_H_COUNT
};
enum tm_astate { TM_AS_INACTIVE = 0, TM_AS_PENDING, TM_AS_FIRING };

const char *tm_sev_name(enum tm_sev s);
const char *tm_kind_name(enum tm_kind k);
const char *tm_health_name(enum tm_health h);

#define TM_RULE_NAME  64
#define TM_RULES_MAXN 256 /* alert rules per file (beyond: one line, ignored) */

/* The SLO windows (SRE workbook, "Alerting on SLOs"): pairs of a long and
 * a short window with a burn-rate factor, both must exceed it. Scaled from
 * a 30-day period to the rule's `period`, with floors. */
#define TM_BURN_PAIRS 3
struct tm_burn_pair {
	uint64_t long_s, short_s;
	double factor;
	enum tm_sev sev;
};
/* Returns how many distinct pairs (floors can make two the same). */
unsigned tm_burn_pairs(uint64_t period_s, struct tm_burn_pair out[TM_BURN_PAIRS]);
/* bad / total / (1 - objective); 0 when total is 0. */
double tm_burn_rate(uint64_t bad, uint64_t total, double objective);

struct tm_arule {
	char name[TM_RULE_NAME];
	char pattern[200]; /* glob on the function's display name ("*" all) */
	enum tm_kind kind;
	enum tm_measure m;
	double threshold;      /* in the measure's unit (ns for latency) */
	enum tm_window window; /* for windowed measures */
	uint64_t for_ns, keep_ns;
	enum tm_sev sev;
	uint32_t min_calls; /* in the window, else the condition is false */
	double objective;   /* TM_M_BURN: 0.999 */
	uint64_t under_ns;  /* TM_M_BURN: good = duration <= under_ns; 0: good = ok */
	uint64_t period_s;  /* TM_M_BURN: the SLO period the windows scale to */
	struct json_t *labels, *annotations; /* owned; may be NULL */
	int builtin;			     /* one of the defaults */
};

/* Anomaly settings for functions matching `pattern` (first match wins). */
struct tm_anrule {
	char pattern[200];
	int enabled;
	enum tm_sev sev;
	struct tm_an_params p;
};

struct tm_maint {
	char pattern[200];
	uint64_t until_real_ns; /* CLOCK_REALTIME */
	char reason[128];
};

struct tm_hrules {
	struct tm_arule *r;
	size_t n;
	struct tm_anrule *an;
	size_t nan;
	struct tm_maint *mt;
	size_t nmt;
	/* the defaults (switchable in "defaults") */
	int anomaly, crashed, stuck, loss, never_called;
	uint64_t stuck_ns;	   /* open longer than this (30 s) ... */
	uint32_t stuck_slow_mult;  /* ... or slow_ms x this (100) */
	uint32_t health_min_calls; /* fewer calls in the last minute: unknown (10) */
	uint64_t never_ns;	   /* never_called: no call this long after it appeared (1 min) */
	uint64_t flap_window_ns;   /* flapping: this many firings ... (3) */
	uint32_t flap_count;	   /* ... within this long (10 min) */
	int loaded;
};
void tm_hrules_defaults(struct tm_hrules *h);
void tm_hrules_free(struct tm_hrules *h);
/* Reads the rules file's "alerts", "anomaly", "maintenance" and
 * "defaults" (root is the parsed file). Every bad entry is one line on
 * `log` (stderr) and is skipped; returns the number of bad entries. */
int tm_hrules_parse(struct tm_hrules *h, const struct json_t *root, const char *path, void *log);
/* --maintenance PATTERN[=DURATION]: 0 or -EINVAL */
int tm_hrules_maint_arg(struct tm_hrules *h, const char *arg, uint64_t now_real_ns);
/* A duration "30s", "5m", "1h", "1d", "250ms" or a number of seconds; -1 bad */
int64_t tm_parse_duration_ns(const char *s);

/* One episode of an alert: from firing to resolved (end 0: still firing). */
struct tm_episode {
	uint64_t start_real_ns, end_real_ns;
	double value, peak; /* at the start; the worst while firing */
	double threshold;
	char summary[200];
	int flapping;
	enum tm_sev sev; /* the highest while firing */
};

/* One alert: a rule applied to one function or one process. */
struct tm_alert {
	uint32_t rule; /* index in the rules, or TM_ALERT_ANOMALY + series */
	int32_t sym;   /* global symbol, or -1 */
	int32_t pid;   /* process alerts, or 0 */
	char proc[64]; /* its program */
	enum tm_astate state;
	enum tm_sev sev;      /* of the last firing (burn-rate pairs differ) */
	uint64_t since_ns;    /* pending: since when the condition holds */
	uint64_t false_since; /* firing: since when it no longer holds (0: holds) */
	uint64_t fired_ns[4]; /* the last firings (flap guard), mono */
	int flapping;
	double value, threshold;
	char summary[200];     /* what a person reads */
	struct tm_episode *ep; /* every episode, oldest first */
	size_t nep, capep;
	int changed; /* 1: to firing, 2: resolved, since the last take */
};

/* The lifecycle, one evaluation. `cond` with `value` now; returns 1 when it
 * started firing, 2 when it resolved, 0 otherwise. Pure: unit-tested. */
int tm_alert_step(struct tm_alert *a, const struct tm_arule *r, const struct tm_hrules *h, int cond,
		  double value, uint64_t now_ns, uint64_t now_real_ns);

/* Health of one function (or process) and why. */
struct tm_hstate {
	enum tm_health state;
	char reason[200];
	uint64_t since_real_ns;
};

/* The rules in c->hrules made (defaults) if none were read, and the
 * --maintenance arguments added; -1 after one line on stderr. */
int tm_health_options(struct tm_coll *c, const char *const *maint, size_t n, const char *prog);

struct tm_health_eng;
/* NULL rules: the defaults only. */
struct tm_health_eng *tm_health_new(const struct tm_hrules *rules);
void tm_health_free(struct tm_health_eng *e);
/* Evaluates every second the model sealed since the last call (model lock
 * held, after tm_model_tick); `final` at the end of the run. */
void tm_health_eval(struct tm_coll *c, uint64_t now_ns, int final);
/* What outputs read (model lock held). */
const struct tm_hstate *tm_health_sym(const struct tm_coll *c, size_t gsym);
const struct tm_hstate *tm_health_proc(const struct tm_coll *c, const struct tm_proc *p);
const struct tm_hstate *tm_health_session(const struct tm_coll *c);
struct json_t *
tm_health_json(const struct tm_hstate *h); /* {"state","reason","since_realtime_ns"} */
struct json_t *tm_alerts_json(const struct tm_coll *c, int active_only);
struct json_t *tm_health_doc(const struct tm_coll *c);	/* /api/v1/health */
struct json_t *tm_report_json(const struct tm_coll *c); /* the summary's "report" */
/* A duration for people: "850 ns", "12.3 µs", "4.56 ms", "1.2 s". */
void tm_fmt_dur(char *out, size_t len, double ns);
void tm_report_print(const struct tm_coll *c, void *file); /* the table's footer */
/* Alerts and health changes since the last call, as tm.stream/1 event
 * lines (json objects appended to `arr`), and to the notifier. */
void tm_health_take_events(struct tm_coll *c, struct json_t *arr);
/* Each alert that fired or resolved since the last call, once, to fn. */
void tm_health_each_change(struct tm_coll *c, void (*fn)(void *, struct json_t *), void *arg);
/* for out/prom.c */
size_t tm_health_nalerts(const struct tm_coll *c);
const struct tm_alert *tm_health_alert(const struct tm_coll *c, size_t i);
const char *tm_alert_name(const struct tm_coll *c, const struct tm_alert *a);
enum tm_sev tm_alert_sev(const struct tm_coll *c, const struct tm_alert *a);
enum tm_kind tm_alert_kind(const struct tm_coll *c, const struct tm_alert *a);
const struct json_t *tm_alert_labels(const struct tm_coll *c, const struct tm_alert *a);
struct tm_notify;
void tm_health_set_notify(struct tm_coll *c, struct tm_notify *n);
/* the rules in force (the user's first: nuser of them), NULL before the
 * first evaluation */
const struct tm_hrules *tm_health_rules(const struct tm_coll *c, size_t *nuser);
/* promrules.c: Prometheus alerting and recording rules equivalent to the
 * active rules, as YAML on f. */
void tm_prom_rules_print(const struct tm_hrules *h, void *file);

#endif
