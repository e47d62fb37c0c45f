/* SPDX-License-Identifier: MIT */
/* The health part of the collector's rules file: "alerts", "anomaly",
 * "maintenance" and "defaults" (docs/CONFIG.md, "Alerts and health").
 * A rules file is not trusted: every entry is checked, a bad one is one
 * line naming the entry and the field and is skipped, the rest run. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "health.h"

static const char *const sev_names[TM_SEV_COUNT] = {"info", "warning", "error", "critical"};
static const char *const kind_names[TM_K_COUNT] = {
	"error_rate",	"latency", "slow", "burn_rate", "anomaly",  "stuck",
	"never_called", "crashed", "loss", "rate",	"in_flight"};
static const char *const health_names[TM_H_COUNT] = {"unknown", "healthy", "degraded", "unhealthy",
						     "maintenance"};

const char *tm_sev_name(enum tm_sev s)
{
	return (unsigned)s < TM_SEV_COUNT ? sev_names[s] : "?";
}

const char *tm_kind_name(enum tm_kind k)
{
	return (unsigned)k < TM_K_COUNT ? kind_names[k] : "?";
}

const char *tm_health_name(enum tm_health h)
{
	return (unsigned)h < TM_H_COUNT ? health_names[h] : "?";
}

int64_t tm_parse_duration_ns(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !(v >= 0) || !isfinite(v))
		return -1;
	double mult = 1e9;
	if (!*end || strcmp(end, "s") == 0)
		mult = 1e9;
	else if (strcmp(end, "ms") == 0)
		mult = 1e6;
	else if (strcmp(end, "m") == 0)
		mult = 60e9;
	else if (strcmp(end, "h") == 0)
		mult = 3600e9;
	else if (strcmp(end, "d") == 0)
		mult = 86400e9;
	else
		return -1;
	double ns = v * mult;
	if (ns > 366 * 86400e9) /* a year: anything longer is a typo */
		return -1;
	return (int64_t)ns;
}

/* The SRE workbook's three pairs for 30 days, scaled to `period_s`:
 * 1 h / 5 min at 14.4x and 6 h / 30 min at 6x page, 3 d / 6 h at 1x is a
 * ticket. The long window is the period / 720, / 120, / 10, at least 60 s
 * and at most 24 h (the minute buckets); the short one is 1/12 of it, at
 * least 10 s. */
unsigned tm_burn_pairs(uint64_t period_s, struct tm_burn_pair out[TM_BURN_PAIRS])
{
	static const struct {
		uint64_t div;
		double factor;
		enum tm_sev sev;
	} p[TM_BURN_PAIRS] = {
		{720, 14.4, TM_SEV_CRITICAL}, {120, 6, TM_SEV_CRITICAL}, {10, 1, TM_SEV_WARNING}};
	unsigned n = 0;
	for (unsigned i = 0; i < TM_BURN_PAIRS; i++) {
		uint64_t l = period_s / p[i].div;
		l = l < 60 ? 60 : l > 86400 ? 86400 : l;
		uint64_t sh = l / 12 < 10 ? 10 : l / 12;
		/* floored to the same windows as the pair before: the lower
		 * factor fires whenever the higher does, keep that one */
		if (n && out[n - 1].long_s == l && out[n - 1].short_s == sh)
			n--;
		out[n++] = (struct tm_burn_pair){l, sh, p[i].factor, p[i].sev};
	}
	return n;
}

double tm_burn_rate(uint64_t bad, uint64_t total, double objective)
{
	if (!total || !(objective < 1))
		return 0;
	return ((double)bad / (double)total) / (1 - objective);
}

void tm_hrules_defaults(struct tm_hrules *h)
{
	memset(h, 0, sizeof(*h));
	h->anomaly = h->crashed = h->stuck = h->loss = h->never_called = 1;
	h->stuck_ns = 30000000000ull;
	h->stuck_slow_mult = 100;
	h->health_min_calls = 10;
	h->flap_count = 3;
	h->flap_window_ns = 600000000000ull;
	h->never_ns = 60000000000ull;
}

void tm_hrules_free(struct tm_hrules *h)
{
	for (size_t i = 0; i < h->n; i++) {
		json_decref(h->r[i].labels);
		json_decref(h->r[i].annotations);
	}
	free(h->r);
	free(h->an);
	free(h->mt);
	h->r = NULL;
	h->an = NULL;
	h->mt = NULL;
	h->n = h->nan = h->nmt = 0;
}

void tm_rules_say(void *log, const char *path, const char *fmt, ...)
{
	char t[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	fprintf(log ? (FILE *)log : stderr, "%s: rules %s: %s\n", tm_tool, path, t);
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= TM_RULE_NAME || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

int tm_rules_valid_pattern(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= 200)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int get_sev(const json_t *v, enum tm_sev *out)
{
	if (!json_is_string(v))
		return -1;
	for (unsigned i = 0; i < TM_SEV_COUNT; i++)
		if (strcmp(json_string_value(v), sev_names[i]) == 0) {
			*out = (enum tm_sev)i;
			return 0;
		}
	return -1;
}

static int get_dur(const json_t *v, uint64_t *out)
{
	int64_t ns = -1;
	if (json_is_string(v))
		ns = tm_parse_duration_ns(json_string_value(v));
	else if (json_is_number(v) && json_number_value(v) >= 0 &&
		 json_number_value(v) <= 366 * 86400.0)
		ns = (int64_t)(json_number_value(v) * 1e9);
	if (ns < 0)
		return -1;
	*out = (uint64_t)ns;
	return 0;
}

static int get_num(const json_t *v, double lo, double hi, double *out)
{
	if (!json_is_number(v))
		return -1;
	double d = json_number_value(v);
	if (!(d >= lo && d <= hi))
		return -1;
	*out = d;
	return 0;
}

/* labels/annotations: an object of at most 32 string values, names as
 * Prometheus label names, values at most 1 KiB; copied. */
static json_t *get_strmap(const json_t *v, int names_strict, const char **why)
{
	if (!json_is_object(v) || json_object_size(v) > 32) {
		*why = "must be an object of at most 32 strings";
		return NULL;
	}
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)v, k, x)
	{
		if (!json_is_string(x) || json_string_length(x) > 1024) {
			*why = "values must be strings of at most 1 KiB";
			return NULL;
		}
		if ((names_strict && !valid_name(k)) || strlen(k) > 63) {
			*why = "names must match [A-Za-z_][A-Za-z0-9_]*";
			return NULL;
		}
	}
	return json_deep_copy(v);
}

static const struct {
	const char *key;
	enum tm_measure m;
	enum tm_kind kind;
	enum tm_sev sev;
	double lo, hi, scale; /* accepted range, factor to the measure's unit */
} measures[] = {
	{"error_rate", TM_M_ERROR_RATE, TM_K_ERROR_RATE, TM_SEV_ERROR, 0, 1, 1},
	{"p99_ms", TM_M_P99, TM_K_LATENCY, TM_SEV_WARNING, 0, 86400e3, 1e6},
	{"latency_ms", TM_M_P99, TM_K_LATENCY, TM_SEV_WARNING, 0, 86400e3, 1e6}, /* = p99_ms */
	{"p95_ms", TM_M_P95, TM_K_LATENCY, TM_SEV_WARNING, 0, 86400e3, 1e6},
	{"slow_ratio", TM_M_SLOW_RATIO, TM_K_SLOW, TM_SEV_WARNING, 0, 1, 1},
	{"calls_per_s_below", TM_M_RATE_BELOW, TM_K_RATE, TM_SEV_WARNING, 0, 1e12, 1},
	{"calls_per_s_above", TM_M_RATE_ABOVE, TM_K_RATE, TM_SEV_WARNING, 0, 1e12, 1},
	{"in_flight", TM_M_IN_FLIGHT, TM_K_IN_FLIGHT, TM_SEV_WARNING, 0, 1e9, 1},
	{"stuck_s", TM_M_STUCK, TM_K_STUCK, TM_SEV_ERROR, 0, 86400 * 366.0, 1e9},
	{"objective", TM_M_BURN, TM_K_BURN_RATE, TM_SEV_CRITICAL, 0, 1, 1},
};
#define NMEASURES (sizeof(measures) / sizeof(measures[0]))

static const char *const rule_keys[] = {
	"name",	     "function", "window",	"for",	    "keep_firing_for", "severity",
	"min_calls", "labels",	 "annotations", "under_ms", "period",	       NULL};

static int known_rule_key(const char *k)
{
	for (size_t i = 0; rule_keys[i]; i++)
		if (strcmp(k, rule_keys[i]) == 0)
			return 1;
	for (size_t i = 0; i < NMEASURES; i++)
		if (strcmp(k, measures[i].key) == 0)
			return 1;
	return 0;
}

static int parse_window(const json_t *v, enum tm_window *w)
{
	static const char *const names[TM_WIN_NWINDOWS] = {"10s", "1m", "5m", "15m"};
	if (!json_is_string(v))
		return -1;
	for (unsigned i = 0; i < TM_WIN_NWINDOWS; i++)
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*w = (enum tm_window)i;
			return 0;
		}
	return -1;
}

/* One alert rule; 0, or -1 with *why set (the field in *field). */
static int parse_alert(const json_t *e, struct tm_arule *r, const char **field, const char **why)
{
	memset(r, 0, sizeof(*r));
	r->window = TM_W1M;
	r->min_calls = 1;
	r->period_s = 3600;
	snprintf(r->pattern, sizeof(r->pattern), "*");
	const char *k;
	json_t *v;
	int nm = 0, has_sev = 0;
	json_object_foreach((json_t *)e, k, v)
	{
		*field = k;
		if (!known_rule_key(k)) {
			*why = "unknown field";
			return -1;
		}
		if (strcmp(k, "name") == 0) {
			if (!json_is_string(v) || !valid_name(json_string_value(v))) {
				*why = "must be 1..63 of [A-Za-z0-9_], not starting with a digit";
				return -1;
			}
			snprintf(r->name, sizeof(r->name), "%s", json_string_value(v));
		} else if (strcmp(k, "function") == 0) {
			if (!json_is_string(v) || !tm_rules_valid_pattern(json_string_value(v))) {
				*why = "must be a name or glob of 1..199 bytes";
				return -1;
			}
			snprintf(r->pattern, sizeof(r->pattern), "%s", json_string_value(v));
		} else if (strcmp(k, "window") == 0) {
			if (parse_window(v, &r->window) < 0) {
				*why = "must be one of 10s, 1m, 5m, 15m";
				return -1;
			}
		} else if (strcmp(k, "for") == 0 || strcmp(k, "keep_firing_for") == 0) {
			if (get_dur(v, k[0] == 'f' ? &r->for_ns : &r->keep_ns) < 0) {
				*why = "must be a duration (\"30s\", \"5m\") or seconds";
				return -1;
			}
		} else if (strcmp(k, "severity") == 0) {
			if (get_sev(v, &r->sev) < 0) {
				*why = "must be one of info, warning, error, critical";
				return -1;
			}
			has_sev = 1;
		} else if (strcmp(k, "min_calls") == 0) {
			double d;
			if (get_num(v, 0, 1e9, &d) < 0 || d != floor(d)) {
				*why = "must be an integer 0..1e9";
				return -1;
			}
			r->min_calls = (uint32_t)d;
		} else if (strcmp(k, "labels") == 0 || strcmp(k, "annotations") == 0) {
			json_t *m = get_strmap(v, k[0] == 'l', why);
			if (!m)
				return -1;
			json_decref(k[0] == 'l' ? r->labels : r->annotations);
			if (k[0] == 'l')
				r->labels = m;
			else
				r->annotations = m;
		} else if (strcmp(k, "under_ms") == 0) {
			double d;
			if (get_num(v, 0, 86400e3, &d) < 0 || d == 0) {
				*why = "must be a number of milliseconds > 0";
				return -1;
			}
			r->under_ns = (uint64_t)(d * 1e6);
		} else if (strcmp(k, "period") == 0) {
			uint64_t ns;
			if (get_dur(v, &ns) < 0 || ns < 60000000000ull) {
				*why = "must be a duration of at least 1m";
				return -1;
			}
			r->period_s = ns / 1000000000ull;
		} else {
			for (size_t i = 0; i < NMEASURES; i++) {
				if (strcmp(k, measures[i].key) != 0)
					continue;
				double d;
				if (get_num(v, measures[i].lo, measures[i].hi, &d) < 0 ||
				    (measures[i].m == TM_M_BURN && (d <= 0 || d >= 1))) {
					*why = measures[i].hi == 1 ? "must be a number in [0, 1]"
								   : "must be a number >= 0";
					if (measures[i].m == TM_M_BURN)
						*why = "must be a number in (0, 1), e.g. 0.999";
					return -1;
				}
				nm++;
				r->m = measures[i].m;
				r->kind = measures[i].kind;
				if (!has_sev)
					r->sev = measures[i].sev;
				r->threshold = d * measures[i].scale;
				if (r->m == TM_M_BURN)
					r->objective = d;
			}
		}
	}
	*field = "";
	if (nm != 1) {
		*why = nm ? "has more than one measure: one of error_rate, p99_ms, p95_ms, "
			    "slow_ratio, calls_per_s_below, calls_per_s_above, in_flight, "
			    "stuck_s, objective per rule"
			  : "has no measure: one of error_rate, p99_ms, p95_ms, slow_ratio, "
			    "calls_per_s_below, calls_per_s_above, in_flight, stuck_s, objective";
		return -1;
	}
	if (r->under_ns && r->m != TM_M_BURN) {
		*field = "under_ms";
		*why = "only goes with \"objective\"";
		return -1;
	}
	if (!r->name[0])
		snprintf(r->name, sizeof(r->name), "%s", tm_kind_name(r->kind));
	if (r->m == TM_M_BURN)
		r->threshold = 1; /* a burn rate: the pairs' factors are the real thresholds */
	return 0;
}

static const char *const an_keys[] = {
	"enabled",   "severity",     "baseline_s", "warmup_s", "min_calls", "z",
	"z_resolve", "min_change",   "k",	   "n",	       "resolve_s", "err_sigma",
	"err_min",   "abs_floor_us", NULL};

static int parse_anomaly(const json_t *v, struct tm_anrule *a, const char **field, const char **why)
{
	a->enabled = 1;
	a->sev = TM_SEV_WARNING;
	tm_an_params_default(&a->p);
	if (json_is_boolean(v)) {
		a->enabled = json_is_true(v);
		return 0;
	}
	if (!json_is_object(v)) {
		*why = "must be true, false or an object";
		return -1;
	}
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)v, k, x)
	{
		*field = k;
		size_t i = 0;
		while (an_keys[i] && strcmp(an_keys[i], k) != 0)
			i++;
		if (!an_keys[i]) {
			*why = "unknown field";
			return -1;
		}
		double d = 0;
		if (i == 0) {
			if (!json_is_boolean(x)) {
				*why = "must be true or false";
				return -1;
			}
			a->enabled = json_is_true(x);
			continue;
		}
		if (i == 1) {
			if (get_sev(x, &a->sev) < 0) {
				*why = "must be one of info, warning, error, critical";
				return -1;
			}
			continue;
		}
		int integer = i == 2 || i == 3 || i == 4 || i == 8 || i == 9 || i == 10 || i == 12;
		double hi = i == 2 ? 900 : i == 3 ? 86400 : i == 8 || i == 9 ? 64 : 1e9;
		if (get_num(x, integer ? 1 : 0, hi, &d) < 0 || (integer && d != floor(d))) {
			*why = integer ? "must be a positive integer in range"
				       : "must be a number >= 0";
			return -1;
		}
		switch (i) {
		case 2: a->p.baseline = (uint32_t)d; break;
		case 3: a->p.warmup = (uint32_t)d; break;
		case 4: a->p.min_calls = (uint32_t)d; break;
		case 5: a->p.z_fire = d; break;
		case 6: a->p.z_resolve = d; break;
		case 7: a->p.min_change = d; break;
		case 8: a->p.k = (uint32_t)d; break;
		case 9: a->p.n = (uint32_t)d; break;
		case 10: a->p.resolve_s = (uint32_t)d; break;
		case 11: a->p.err_sigma = d; break;
		case 12: a->p.err_min = (uint32_t)d; break;
		case 13: a->p.abs_floor_ns = d * 1000; break;
		}
	}
	*field = "";
	if (a->p.k > a->p.n) {
		*why = "k must not exceed n";
		return -1;
	}
	if (a->p.z_resolve > a->p.z_fire) {
		*why = "z_resolve must not exceed z";
		return -1;
	}
	if (a->p.baseline <= a->p.exclude) {
		*why = "baseline_s must exceed 10";
		return -1;
	}
	return 0;
}

/* RFC 3339 UTC ("2026-12-01T14:00:00Z", fractional seconds allowed) */
static int parse_rfc3339(const char *s, uint64_t *ns)
{
	struct tm t = {0};
	char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &t);
	if (!e)
		return -1;
	if (*e == '.')
		for (e++; isdigit((unsigned char)*e); e++)
			;
	if (strcmp(e, "Z") != 0 && strcmp(e, "+00:00") != 0)
		return -1;
	time_t secs = timegm(&t);
	if (secs < 0)
		return -1;
	*ns = (uint64_t)secs * 1000000000ull;
	return 0;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int add_maint(struct tm_hrules *h, const char *pattern, uint64_t until, const char *reason)
{
	if (h->nmt >= TM_RULES_MAXN)
		return -ENOSPC;
	struct tm_maint *m = realloc(h->mt, (h->nmt + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	h->mt = m;
	struct tm_maint *x = &h->mt[h->nmt++];
	memset(x, 0, sizeof(*x));
	snprintf(x->pattern, sizeof(x->pattern), "%s", pattern);
	snprintf(x->reason, sizeof(x->reason), "%s", reason ? reason : "maintenance");
	x->until_real_ns = until;
	return 0;
}

int tm_hrules_maint_arg(struct tm_hrules *h, const char *arg, uint64_t now_real_ns)
{
	char pat[200];
	const char *eq = strrchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (!n || n >= sizeof(pat))
		return -EINVAL;
	memcpy(pat, arg, n);
	pat[n] = '\0';
	if (!tm_rules_valid_pattern(pat))
		return -EINVAL;
	int64_t d = eq ? tm_parse_duration_ns(eq + 1) : (int64_t)3600000000000ll;
	if (d <= 0)
		return -EINVAL;
	h->loaded = 1;
	return add_maint(h, pat, now_real_ns + (uint64_t)d, "set with --maintenance");
}

static int parse_defaults(struct tm_hrules *h, const json_t *d, const char *path, void *log)
{
	int bad = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)d, k, v)
	{
		int *flag = strcmp(k, "anomaly") == 0	     ? &h->anomaly
			    : strcmp(k, "crashed") == 0	     ? &h->crashed
			    : strcmp(k, "stuck") == 0	     ? &h->stuck
			    : strcmp(k, "loss") == 0	     ? &h->loss
			    : strcmp(k, "never_called") == 0 ? &h->never_called
							     : NULL;
		double x;
		uint64_t ns;
		if (flag) {
			if (!json_is_boolean(v)) {
				tm_rules_say(log, path,
					     "defaults \"%s\": must be true or false; ignored", k);
				bad++;
			} else {
				*flag = json_is_true(v);
			}
		} else if (strcmp(k, "stuck_s") == 0) {
			if (get_num(v, 0.001, 86400 * 366.0, &x) < 0) {
				tm_rules_say(log, path,
					     "defaults \"stuck_s\": must be seconds > 0; ignored");
				bad++;
			} else {
				h->stuck_ns = (uint64_t)(x * 1e9);
			}
		} else if (strcmp(k, "stuck_slow_mult") == 0 ||
			   strcmp(k, "health_min_calls") == 0 || strcmp(k, "flap_count") == 0) {
			if (get_num(v, 1, 1e9, &x) < 0 || x != floor(x)) {
				tm_rules_say(log, path,
					     "defaults \"%s\": must be a positive integer; ignored",
					     k);
				bad++;
			} else if (k[0] == 's') {
				h->stuck_slow_mult = (uint32_t)x;
			} else if (k[0] == 'h') {
				h->health_min_calls = (uint32_t)x;
			} else {
				h->flap_count = (uint32_t)x > 4 ? 4 : (uint32_t)x;
			}
		} else if (strcmp(k, "flap_window") == 0 || strcmp(k, "never_called_after") == 0) {
			if (get_dur(v, &ns) < 0 || !ns) {
				tm_rules_say(log, path,
					     "defaults \"%s\": must be a duration; ignored", k);
				bad++;
			} else if (k[0] == 'f') {
				h->flap_window_ns = ns;
			} else {
				h->never_ns = ns;
			}
		} else {
			tm_rules_say(
				log, path,
				"defaults: unknown field \"%.40s\" (anomaly, crashed, stuck, loss, "
				"never_called, stuck_s, stuck_slow_mult, health_min_calls, "
				"flap_count, "
				"flap_window, never_called_after); ignored",
				k);
			bad++;
		}
	}
	return bad;
}

int tm_hrules_parse(struct tm_hrules *h, const json_t *root, const char *path, void *log)
{
	int bad = 0;
	const json_t *al = json_object_get(root, "alerts");
	const json_t *an = json_object_get(root, "anomaly");
	const json_t *mt = json_object_get(root, "maintenance");
	const json_t *df = json_object_get(root, "defaults");
	if (al || an || mt || df)
		h->loaded = 1;
	if (df && !json_is_object(df)) {
		tm_rules_say(log, path, "\"defaults\" must be an object; ignored");
		bad++;
	} else if (df) {
		bad += parse_defaults(h, df, path, log);
	}
	if (al && !json_is_array(al)) {
		tm_rules_say(log, path, "\"alerts\" must be an array of rules; ignored");
		bad++;
		al = NULL;
	}
	size_t i;
	const json_t *e;
	json_array_foreach(al, i, e)
	{
		if (h->n >= TM_RULES_MAXN) {
			tm_rules_say(log, path, "more than %d alert rules; ignoring the other %zu",
				     TM_RULES_MAXN, json_array_size(al) - i);
			bad++;
			break;
		}
		struct tm_arule r;
		const char *field = "", *why = "must be an object";
		if (!json_is_object(e) || parse_alert(e, &r, &field, &why) < 0) {
			if (json_is_object(e)) {
				json_decref(r.labels);
				json_decref(r.annotations);
			}
			tm_rules_say(log, path, "alerts[%zu]%s%.40s%s %s; rule ignored", i,
				     *field ? " \"" : "", field, *field ? "\":" : "", why);
			bad++;
			continue;
		}
		struct tm_arule *m = realloc(h->r, (h->n + 1) * sizeof(*m));
		if (!m) {
			json_decref(r.labels);
			json_decref(r.annotations);
			break;
		}
		h->r = m;
		h->r[h->n++] = r;
	}
	if (an && !json_is_object(an) && !json_is_boolean(an)) {
		tm_rules_say(log, path,
			     "\"anomaly\" must be an object of pattern: settings; ignored");
		bad++;
	} else if (json_is_boolean(an)) {
		h->anomaly = json_is_true(an);
	} else if (an) {
		const char *pat;
		json_t *v;
		json_object_foreach((json_t *)an, pat, v)
		{
			struct tm_anrule a = {0};
			const char *field = "", *why = "";
			if (!tm_rules_valid_pattern(pat)) {
				tm_rules_say(log, path,
					     "anomaly: a pattern must be 1..199 bytes; ignored");
				bad++;
				continue;
			}
			if (h->nan >= TM_RULES_MAXN || parse_anomaly(v, &a, &field, &why) < 0) {
				tm_rules_say(log, path, "anomaly \"%.60s\"%s%.40s%s %s; ignored",
					     pat, *field ? " \"" : "", field, *field ? "\":" : "",
					     h->nan >= TM_RULES_MAXN ? "too many entries (256)"
								     : why);
				bad++;
				continue;
			}
			snprintf(a.pattern, sizeof(a.pattern), "%s", pat);
			struct tm_anrule *m = realloc(h->an, (h->nan + 1) * sizeof(*m));
			if (!m)
				break;
			h->an = m;
			h->an[h->nan++] = a;
		}
	}
	if (mt && !json_is_array(mt)) {
		tm_rules_say(log, path, "\"maintenance\" must be an array; ignored");
		bad++;
		mt = NULL;
	}
	json_array_foreach(mt, i, e)
	{
		const json_t *f = json_object_get(e, "function"), *u = json_object_get(e, "until"),
			     *d = json_object_get(e, "for"), *why = json_object_get(e, "reason");
		uint64_t until = 0, dur = 0;
		const char *err = NULL;
		if (!json_is_object(e))
			err = "must be an object";
		else if (json_object_size(e) != (size_t)(!!f + !!u + !!d + !!why))
			err = "unknown field (function, until, for, reason)";
		else if (!json_is_string(f) || !tm_rules_valid_pattern(json_string_value(f)))
			err = "\"function\" must be a name or glob";
		else if (!!u == !!d)
			err = "needs one of \"until\" (RFC 3339, UTC) or \"for\" (a duration)";
		else if (u &&
			 (!json_is_string(u) || parse_rfc3339(json_string_value(u), &until) < 0))
			err = "\"until\" must be RFC 3339 in UTC, e.g. 2026-12-01T14:00:00Z";
		else if (d && (get_dur(d, &dur) < 0 || !dur))
			err = "\"for\" must be a duration";
		else if (why && (!json_is_string(why) || json_string_length(why) > 120))
			err = "\"reason\" must be a string of at most 120 bytes";
		if (err) {
			tm_rules_say(log, path, "maintenance[%zu]: %s; ignored", i, err);
			bad++;
			continue;
		}
		if (d)
			until = real_ns() + dur;
		if (add_maint(h, json_string_value(f), until, why ? json_string_value(why) : NULL) <
		    0) {
			tm_rules_say(log, path, "maintenance[%zu]: too many entries (256); ignored",
				     i);
			bad++;
		}
	}
	return bad;
}
