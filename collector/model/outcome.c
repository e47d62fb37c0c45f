/* SPDX-License-Identifier: MIT */
/* Outcomes and blocking functions (outcome.h): the built-in table, the
 * rules file's "outcomes" and "blocking" sections, and resolving both for
 * one function when the collector first sees it. Nothing here runs per
 * call: a failed call of a function with outcome codes looks its code up
 * in the map made here (tm_outc_of). */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

static const char *const builtin_names[] = {
	[TM_OUTC_IN_PROG] = "in_progress",
	[TM_OUTC_WOULD_BLK] = "would_block",
	[TM_OUTC_EARLIER] = "reports_earlier_error",
	[TM_OUTC_NO_PROG] = "no_progress",
	[TM_OUTC_BUSY] = "busy",
	[TM_OUTC_TIMED_OUT] = "timed_out",
	[TM_OUTC_ENDED_EARLY] = "ended_early",
};
#define NBUILTIN_NAMES (sizeof(builtin_names) / sizeof(builtin_names[0]))

/* The built-in outcome codes, by function name and code domain.
 * - A non-blocking connect that has started returns EINPROGRESS (EALREADY
 *   while one is still under way, EAGAIN for a Unix socket whose backlog is
 *   full): the result comes later, through poll and SO_ERROR.
 * - Calls on non-blocking descriptors return EAGAIN (= EWOULDBLOCK) when
 *   they would have to wait: the program asked not to.
 * - sqlite3_finalize and sqlite3_reset return the error of the statement's
 *   most recent sqlite3_step (SQLite's documentation of both), which was
 *   counted as that step's failure: every code they return is that.
 * - deflate and inflate return Z_BUF_ERROR when they could make no
 *   progress (no input left or no room for output); zlib.h: "not fatal",
 *   call again with more (deflateParams: with more output space).
 *   deflateEnd's Z_DATA_ERROR says the stream was ended before Z_FINISH
 *   and pending data discarded: the stream is freed all the same, and
 *   programs that flush with Z_SYNC_FLUSH and write their own trailer
 *   (pigz) end every stream that way.
 * - A trylock's EBUSY (sem_trywait's EAGAIN) is the answer it was asked
 *   for: the lock is held. A timed wait's ETIMEDOUT is its deadline
 *   passing, which the caller chose.
 * - libcurl's curl_easy_send/curl_easy_recv return CURLE_AGAIN when the
 *   socket would block.
 * - OpenSSL's I/O functions fail with errno EAGAIN when the socket would
 *   block (SSL_ERROR_WANT_READ/WANT_WRITE: OpenSSL's socket BIO clears
 *   errno before each read and write, so EAGAIN is this call's); a 0
 *   from SSL_shutdown is "close_notify sent, the peer's not yet here":
 *   call it again. */
static const struct {
	const char *fn;
	uint16_t domain;
	const char *code; /* "*": every code */
	uint8_t o;
} builtin[] = {
	{"connect", TM_CODES_ERRNO, "EINPROGRESS", TM_OUTC_IN_PROG},
	{"connect", TM_CODES_ERRNO, "EALREADY", TM_OUTC_IN_PROG},
	{"connect", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"accept", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"accept4", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"read", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"readv", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"recv", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"recvfrom", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"recvmsg", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"write", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"writev", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"send", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"sendto", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"sendmsg", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"sqlite3_finalize", TM_CODES_SQLITE, "*", TM_OUTC_EARLIER},
	{"sqlite3_reset", TM_CODES_SQLITE, "*", TM_OUTC_EARLIER},
	{"deflate", TM_CODES_ZLIB, "Z_BUF_ERROR", TM_OUTC_NO_PROG},
	{"deflateParams", TM_CODES_ZLIB, "Z_BUF_ERROR", TM_OUTC_NO_PROG},
	{"deflateEnd", TM_CODES_ZLIB, "Z_DATA_ERROR", TM_OUTC_ENDED_EARLY},
	{"inflate", TM_CODES_ZLIB, "Z_BUF_ERROR", TM_OUTC_NO_PROG},
	{"pthread_mutex_trylock", TM_CODES_ERRNO, "EBUSY", TM_OUTC_BUSY},
	{"pthread_rwlock_tryrdlock", TM_CODES_ERRNO, "EBUSY", TM_OUTC_BUSY},
	{"pthread_rwlock_trywrlock", TM_CODES_ERRNO, "EBUSY", TM_OUTC_BUSY},
	{"pthread_spin_trylock", TM_CODES_ERRNO, "EBUSY", TM_OUTC_BUSY},
	{"sem_trywait", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_BUSY},
	{"pthread_mutex_timedlock", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"pthread_mutex_clocklock", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"pthread_rwlock_timedrdlock", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"pthread_rwlock_timedwrlock", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"pthread_rwlock_clockrdlock", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"pthread_rwlock_clockwrlock", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"pthread_cond_timedwait", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"pthread_cond_clockwait", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"sem_timedwait", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"sem_clockwait", TM_CODES_ERRNO, "ETIMEDOUT", TM_OUTC_TIMED_OUT},
	{"curl_easy_send", TM_CODES_CURL, "CURLE_AGAIN", TM_OUTC_WOULD_BLK},
	{"curl_easy_recv", TM_CODES_CURL, "CURLE_AGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_read", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_read_ex", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_peek", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_peek_ex", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_write", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_write_ex", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_connect", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_accept", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_do_handshake", TM_CODES_ERRNO, "EAGAIN", TM_OUTC_WOULD_BLK},
	{"SSL_shutdown", TM_CODES_NUMBER, "0", TM_OUTC_IN_PROG},
};

/* Functions whose time is mostly waiting for something else (I/O, a
 * timer, another thread or process): time spent there is not work. read
 * and write are not here: on a file they work, on a socket or pipe they
 * may wait, and a record does not say which (the rules file's "blocking"
 * can add them). recv* are always on sockets. */
static const char *const builtin_blocking[] = {
	"poll",
	"ppoll",
	"select",
	"pselect",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"accept",
	"accept4",
	"recv",
	"recvfrom",
	"recvmsg",
	"nanosleep",
	"clock_nanosleep",
	"sleep",
	"usleep",
	"pause",
	"sigsuspend",
	"sigwait",
	"sigwaitinfo",
	"sigtimedwait",
	"pthread_cond_wait",
	"pthread_cond_timedwait",
	"pthread_join",
	"sem_wait",
	"sem_timedwait",
	"wait",
	"waitpid",
	"waitid",
	"wait3",
	"wait4",
};

const char *tm_outc_name(const struct tm_coll *c, unsigned o)
{
	if (c->outcfg && o < c->outcfg->nnames)
		return c->outcfg->names[o];
	return o < NBUILTIN_NAMES ? builtin_names[o] : "?";
}

static void map_set(struct tm_outc_map *m, int32_t code, uint8_t o)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->e[i].code == code) {
			m->e[i].o = o;
			return;
		}
	if (m->n < TM_OUTC_CODES) {
		m->e[m->n].code = code;
		m->e[m->n++].o = o;
	}
}

static int is_blocking(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin_blocking) / sizeof(builtin_blocking[0]); i++)
		if (strcmp(builtin_blocking[i], name) == 0)
			return 1;
	return 0;
}

void tm_outc_bind(struct tm_coll *c, struct tm_sym *s)
{
	struct tm_outc_map m = {.all = TM_OUTC_NONE, .primary = s->codes == TM_CODES_SQLITE};
	s->outc_bound = 1;
	s->outc_domain = s->codes;
	s->blocking = (uint8_t)is_blocking(s->name);
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		int32_t v;
		if (builtin[i].domain != s->codes || strcmp(builtin[i].fn, s->name) != 0)
			continue;
		if (strcmp(builtin[i].code, "*") == 0)
			m.all = builtin[i].o;
		else if (tm_code_value(s->codes, builtin[i].code, &v) == 0)
			map_set(&m, v, builtin[i].o);
	}
	const struct tm_outcfg *cfg = c->outcfg;
	const struct tm_retc_def *ret = NULL;
	struct tm_retc_def built;
	if (tm_retc_builtin(s->name, s->codes, &built))
		ret = &built;
	for (size_t i = 0; cfg && i < cfg->n; i++) {
		const struct tm_outc_rule *r = &cfg->r[i];
		if (fnmatch(r->pattern, s->name, 0) != 0)
			continue;
		if (r->blocking >= 0)
			s->blocking = (uint8_t)r->blocking;
		if (r->has_returns)
			ret = &r->ret;
		if (r->has_all)
			m.all = r->all;
		for (uint32_t k = 0; k < r->n; k++) {
			int32_t v;
			/* a name of another domain (EAGAIN for a SQLite function)
			 * names no code of this one */
			if (tm_code_value(s->codes, r->e[k].code, &v) == 0)
				map_set(&m, v, r->e[k].o);
		}
	}
	tm_retc_bind(s, ret);
	int any = m.all != TM_OUTC_NONE;
	for (uint32_t i = 0; i < m.n; i++)
		any |= m.e[i].o != TM_OUTC_NONE;
	if (!any) {
		free(s->outc);
		s->outc = NULL;
		return;
	}
	if (!s->outc && !(s->outc = malloc(sizeof(*s->outc))))
		return; /* its failed calls stay failures */
	*s->outc = m;
}

void tm_sym_outcome_add(struct tm_sym *s, unsigned o, int32_t code, uint64_t n)
{
	s->outcomes = s->outcomes + n < TM_COUNT_MAX ? s->outcomes + n : TM_COUNT_MAX;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->noutn; i++) {
			struct tm_outc_n *e = &s->outn[i];
			if (e->o != o || e->code != code)
				continue;
			e->n = e->n + n < TM_COUNT_MAX ? e->n + n : TM_COUNT_MAX;
			return;
		}
		/* past TM_SYM_ERRS entries (codes of "*" are any a segment
		 * sends) the rest count under the outcome without a code */
		if (s->noutn < TM_SYM_ERRS || code == INT32_MIN)
			break;
		code = INT32_MIN;
	}
	if (s->noutn == s->capoutn) {
		size_t cap = s->capoutn ? s->capoutn * 2 : 4;
		struct tm_outc_n *e = realloc(s->outn, cap * sizeof(*e));
		if (!e)
			return;
		s->outn = e;
		s->capoutn = cap;
	}
	s->outn[s->noutn++] = (struct tm_outc_n){.code = code, .o = (uint8_t)o, .n = n};
}

/* ---- the rules file ---- */

static struct tm_outcfg *cfg_of(struct tm_coll *c)
{
	if (c->outcfg)
		return c->outcfg;
	struct tm_outcfg *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	for (unsigned i = 0; i < NBUILTIN_NAMES; i++)
		snprintf(g->names[i], sizeof(g->names[i]), "%s", builtin_names[i]);
	g->nnames = NBUILTIN_NAMES;
	return c->outcfg = g;
}

/* An outcome name: [a-z][a-z0-9_]*, under TM_OUTC_NAME bytes. */
static int valid_outcome(const char *s)
{
	if (!*s || strlen(s) >= TM_OUTC_NAME || !(*s >= 'a' && *s <= 'z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* The index of an outcome name, added if new; TM_OUTC_NONE for
 * "failed"; -1 with *why set. */
static int outcome_index(struct tm_outcfg *g, const char *name, const char **why)
{
	if (strcmp(name, "failed") == 0)
		return TM_OUTC_NONE;
	if (strcmp(name, "ok") == 0 || !valid_outcome(name)) {
		*why = "must be \"failed\" or an outcome name ([a-z][a-z0-9_]*, at most 31 "
		       "bytes, not \"ok\")";
		return -1;
	}
	for (unsigned i = 0; i < g->nnames; i++)
		if (strcmp(g->names[i], name) == 0)
			return (int)i;
	if (g->nnames >= TM_OUTC_NAMES) {
		*why = "too many outcome names (16)";
		return -1;
	}
	snprintf(g->names[g->nnames], TM_OUTC_NAME, "%s", name);
	return (int)g->nnames++;
}

/* A code as written: "*", a name some domain knows, or a number. */
static int valid_code(const char *k)
{
	int32_t v;
	if (strcmp(k, "*") == 0)
		return 1;
	if (strlen(k) >= sizeof(((struct tm_outc_rule *)0)->e[0].code))
		return 0;
	for (unsigned d = TM_CODES_ERRNO; d < TM_CODES_COUNT; d++)
		if (tm_code_value(d, k, &v) == 0)
			return 1;
	return 0;
}

/* An entry's "returns": 0..TM_RETC_MAX class: condition, in order. 0, or
 * -1 with *field and *why set (into fbuf and wbuf). */
static int parse_returns(const json_t *rets, struct tm_outc_rule *r, const char **field,
			 const char **why, char *fbuf, size_t flen, char *wbuf, size_t wlen)
{
	const char *k;
	json_t *v;
	*field = "returns";
	if (!json_is_object(rets) || json_object_size(rets) > TM_RETC_MAX) {
		*why = "must be an object of 0..8 class: condition (\"ret != NULL\")";
		return -1;
	}
	r->has_returns = 1;
	json_object_foreach((json_t *)rets, k, v)
	{
		/* the name and the parser's message quote the file: made one
		 * line of printable text */
		char t[41], raw[256];
		tm_term_text(t, sizeof(t), k);
		snprintf(fbuf, flen, "returns.%s", t);
		*field = fbuf;
		if (!json_is_string(v)) {
			*why = "must be a condition (a string: \"ret == 100\", \"ret != NULL\")";
			return -1;
		}
		if (tm_retc_add(&r->ret, k, json_string_value(v), raw, sizeof(raw)) < 0) {
			tm_term_text(wbuf, wlen, raw);
			*why = wbuf;
			return -1;
		}
	}
	return 0;
}

/* An entry's "codes": 1..TM_OUTC_CODES code: outcome. */
static int parse_codes(struct tm_outcfg *g, const json_t *codes, struct tm_outc_rule *r,
		       const char **field, const char **why)
{
	const char *k;
	json_t *v;
	*field = "codes";
	if (!json_is_object(codes) || !json_object_size(codes) ||
	    json_object_size(codes) > TM_OUTC_CODES) {
		*why = "must be an object of 1..32 code: outcome";
		return -1;
	}
	json_object_foreach((json_t *)codes, k, v)
	{
		*field = k;
		if (!valid_code(k)) {
			*why = "is not a code name (errno, SQLite, zlib, curl, EAI), a number or "
			       "\"*\"";
			return -1;
		}
		int o = json_is_string(v) ? outcome_index(g, json_string_value(v), why) : -1;
		if (!json_is_string(v))
			*why = "must be a string: \"failed\" or an outcome name";
		if (o < 0)
			return -1;
		if (strcmp(k, "*") == 0) {
			r->has_all = 1;
			r->all = (uint8_t)o;
			continue;
		}
		snprintf(r->e[r->n].code, sizeof(r->e[r->n].code), "%s", k);
		r->e[r->n++].o = (uint8_t)o;
	}
	return 0;
}

/* One "outcomes" entry: "function" and "codes", "returns" or both; 0, or
 * -1 with *field and *why set (possibly into fbuf and wbuf). */
static int parse_entry(struct tm_outcfg *g, const json_t *e, struct tm_outc_rule *r,
		       const char **field, const char **why, char *fbuf, size_t flen, char *wbuf,
		       size_t wlen)
{
	memset(r, 0, sizeof(*r));
	r->blocking = -1;
	r->all = TM_OUTC_NONE;
	const json_t *f = json_object_get(e, "function"), *codes = json_object_get(e, "codes");
	const json_t *rets = json_object_get(e, "returns");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)e, k, v)
	{
		if (strcmp(k, "function") != 0 && strcmp(k, "codes") != 0 &&
		    strcmp(k, "returns") != 0) {
			*field = k;
			*why = "unknown field (function, codes, returns)";
			return -1;
		}
	}
	*field = "function";
	if (!json_is_string(f) || !tm_rules_valid_pattern(json_string_value(f))) {
		*why = "must be a name or glob of 1..199 bytes";
		return -1;
	}
	snprintf(r->pattern, sizeof(r->pattern), "%s", json_string_value(f));
	if ((codes || !rets) && parse_codes(g, codes, r, field, why) < 0)
		return -1;
	if (rets && parse_returns(rets, r, field, why, fbuf, flen, wbuf, wlen) < 0)
		return -1;
	*field = "";
	return 0;
}

static int add_rule(struct tm_outcfg *g, const struct tm_outc_rule *r)
{
	if (g->n >= TM_OUTC_RULES)
		return -ENOSPC;
	struct tm_outc_rule *m = realloc(g->r, (g->n + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	g->r = m;
	g->r[g->n++] = *r;
	return 0;
}

static int parse_outcomes(struct tm_outcfg *g, const json_t *oc, const char *path, void *log)
{
	int bad = 0;
	size_t i;
	const json_t *e;
	if (!json_is_array(oc)) {
		tm_rules_say(log, path,
			     "\"outcomes\" must be an array of {\"function\", \"codes\" or "
			     "\"returns\"}; ignored");
		return 1;
	}
	json_array_foreach(oc, i, e)
	{
		struct tm_outc_rule r;
		const char *field = "", *why = "must be an object";
		char fbuf[64], wbuf[256];
		unsigned names = g->nnames;
		if (!json_is_object(e) || parse_entry(g, e, &r, &field, &why, fbuf, sizeof(fbuf),
						      wbuf, sizeof(wbuf)) < 0) {
			g->nnames = names; /* names of a refused entry are not kept */
			tm_rules_say(log, path, "outcomes[%zu]%s%.48s%s %s; entry ignored", i,
				     *field ? " \"" : "", field, *field ? "\":" : "", why);
			bad++;
			continue;
		}
		if (add_rule(g, &r) < 0) {
			tm_rules_say(log, path, "outcomes[%zu]: too many entries (%d); ignored", i,
				     TM_OUTC_RULES);
			bad++;
		}
	}
	return bad;
}

static int parse_blocking(struct tm_outcfg *g, const json_t *bl, const char *path, void *log)
{
	int bad = 0;
	const char *k;
	json_t *v;
	if (!json_is_object(bl)) {
		tm_rules_say(log, path,
			     "\"blocking\" must be an object of pattern: true/false; ignored");
		return 1;
	}
	json_object_foreach((json_t *)bl, k, v)
	{
		struct tm_outc_rule r = {.blocking = -1, .all = TM_OUTC_NONE};
		if (!tm_rules_valid_pattern(k) || !json_is_boolean(v)) {
			tm_rules_say(log, path, "blocking \"%.60s\": %s; ignored", k,
				     !tm_rules_valid_pattern(k) ? "a pattern must be 1..199 bytes"
								: "must be true or false");
			bad++;
			continue;
		}
		snprintf(r.pattern, sizeof(r.pattern), "%s", k);
		r.blocking = json_is_true(v);
		if (add_rule(g, &r) < 0) {
			tm_rules_say(log, path,
				     "blocking \"%.60s\": too many entries (%d); ignored", k,
				     TM_OUTC_RULES);
			bad++;
		}
	}
	return bad;
}

int tm_outc_parse(struct tm_coll *c, const json_t *root, const char *path, void *log)
{
	const json_t *oc = json_object_get(root, "outcomes");
	const json_t *bl = json_object_get(root, "blocking");
	int bad = 0;
	if (!oc && !bl)
		return 0;
	struct tm_outcfg *g = cfg_of(c);
	if (!g) {
		tm_rules_say(log, path, "out of memory: \"outcomes\" and \"blocking\" ignored");
		return 1;
	}
	if (oc)
		bad += parse_outcomes(g, oc, path, log);
	if (bl)
		bad += parse_blocking(g, bl, path, log);
	for (size_t i = 0; i < c->nsyms; i++)
		tm_outc_bind(c, &c->syms[i]);
	return bad;
}

void tm_outc_free(struct tm_coll *c)
{
	if (!c->outcfg)
		return;
	free(c->outcfg->r);
	free(c->outcfg);
	c->outcfg = NULL;
}
