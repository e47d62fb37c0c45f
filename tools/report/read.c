/* SPDX-License-Identifier: MIT */
/* Reading a summary: the file (regular, at most RP_FILE_MAX bytes), its
 * JSON (nesting and size checked before jansson sees it) and every field
 * the tool uses (type and range), into struct rp_doc. Nothing read is
 * trusted; the first problem is the one line the user sees. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "read.h"

/* A legit summary holds ~12 bytes of text per JSON value; jansson takes
 * ~50 bytes of memory for each. 8 M values is a ~100 MB summary (some
 * 20 000 functions) and ~400 MB of memory: more is refused, not parsed. */
#define RP_VALUES_MAX (8u << 20)

void rd_bad(struct rd *r, const char *where, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = 1;
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char shown[200];
	rp_term(shown, sizeof(shown), r->path, 60);
	if (where && *where)
		snprintf(r->err, r->errlen, "%s: %s: %s", shown, where, what);
	else
		snprintf(r->err, r->errlen, "%s: %s", shown, what);
}

/* The whole file, if it is a regular one of at most RP_FILE_MAX bytes. A
 * FIFO or device is refused without blocking (O_NONBLOCK, then fstat). */
static char *slurp(struct rd *r, size_t *len)
{
	int fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rd_bad(r, NULL, "%s", strerror(errno));
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) < 0) {
		rd_bad(r, NULL, "%s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rd_bad(r, NULL, "is a directory, not a summary");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rd_bad(r, NULL, "not a regular file (a FIFO, socket or device is not read)");
		goto out;
	}
	if ((uint64_t)st.st_size > RP_FILE_MAX) {
		rd_bad(r, NULL, "larger than %u MiB: not read", RP_FILE_MAX >> 20);
		goto out;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	buf = malloc(cap);
	if (!buf) {
		rd_bad(r, NULL, "out of memory");
		goto out;
	}
	for (;;) { /* the file may change while read: never past the cap */
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rd_bad(r, NULL, "%s", strerror(errno));
			free(buf);
			buf = NULL;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n == cap) {
			if (cap > RP_FILE_MAX) {
				rd_bad(r, NULL, "grew past %u MiB while read", RP_FILE_MAX >> 20);
				free(buf);
				buf = NULL;
				goto out;
			}
			char *nb =
				realloc(buf, cap * 2 > RP_FILE_MAX + 1 ? RP_FILE_MAX + 1 : cap * 2);
			if (!nb) {
				rd_bad(r, NULL, "out of memory");
				free(buf);
				buf = NULL;
				goto out;
			}
			cap = cap * 2 > RP_FILE_MAX + 1 ? RP_FILE_MAX + 1 : cap * 2;
			buf = nb;
		}
	}
	*len = n;
out:
	close(fd);
	return buf;
}

/* Nesting and the number of values, outside strings, before parsing:
 * jansson recurses per level and allocates per value. */
static int prescan(struct rd *r, const char *s, size_t n)
{
	unsigned depth = 0;
	size_t values = 0;
	int in_str = 0, esc = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\0') {
			rd_bad(r, NULL, "holds a NUL byte at offset %zu: not JSON text", i);
			return -1;
		}
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > RP_DEPTH_MAX) {
				rd_bad(r, NULL, "nested deeper than %d levels: not a summary",
				       RP_DEPTH_MAX);
				return -1;
			}
			values++;
		} else if (c == ']' || c == '}') {
			if (depth)
				depth--;
		} else if (c == ',') {
			values++;
		}
		if (values > RP_VALUES_MAX) {
			rd_bad(r, NULL, "more than %u JSON values: not read", RP_VALUES_MAX);
			return -1;
		}
	}
	return 0;
}

/* ---- typed fields: each records the first problem and gives a default ---- */

static void where_key(char *out, size_t len, const char *where, const char *key)
{
	snprintf(out, len, "%s%s%s", where && *where ? where : "", where && *where ? "." : "", key);
}

/* The value at key: NULL if absent; an error if absent and required. */
json_t *rd_field(struct rd *r, json_t *o, const char *where, const char *key, int required)
{
	json_t *v = json_object_get(o, key);
	if (!v && required) {
		char w[200];
		where_key(w, sizeof(w), where, key);
		rd_bad(r, w, "missing");
	}
	return v;
}

/* 1: a value (in *out); 0: absent or null (when allowed). */
int rd_count(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags,
	     uint64_t *out)
{
	json_t *v = rd_field(r, o, where, key, flags & RD_REQ);
	*out = 0;
	if (!v || (json_is_null(v) && (flags & RD_NULL)))
		return 0;
	char w[200];
	where_key(w, sizeof(w), where, key);
	return rd_count_v(r, v, w, out);
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int rd_count_v(struct rd *r, json_t *v, const char *where, uint64_t *out)
{
	*out = 0;
	if (!json_is_integer(v)) {
		rd_bad(r, where, "expected a count (an integer), got %s", type_name(v));
		return 0;
	}
	json_int_t x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > RP_COUNT_MAX) {
		rd_bad(r, where, "%s", x < 0 ? "negative" : "out of range (above 2^62)");
		return 0;
	}
	*out = (uint64_t)x;
	return 1;
}

int rd_int(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags,
	   int64_t *out)
{
	json_t *v = rd_field(r, o, where, key, flags & RD_REQ);
	*out = 0;
	if (!v || (json_is_null(v) && (flags & RD_NULL)))
		return 0;
	if (!json_is_integer(v)) {
		char w[200];
		where_key(w, sizeof(w), where, key);
		rd_bad(r, w, "expected an integer");
		return 0;
	}
	*out = json_integer_value(v);
	return 1;
}

/* A number in [lo, hi]; integers are numbers too. */
int rd_real(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags, double lo,
	    double hi, double *out)
{
	json_t *v = rd_field(r, o, where, key, flags & RD_REQ);
	*out = 0;
	if (!v || (json_is_null(v) && (flags & RD_NULL)))
		return 0;
	char w[200];
	where_key(w, sizeof(w), where, key);
	return rd_real_v(r, v, w, lo, hi, out);
}

int rd_real_v(struct rd *r, json_t *v, const char *where, double lo, double hi, double *out)
{
	*out = 0;
	if (!json_is_number(v)) {
		rd_bad(r, where, "expected a number, got %s", type_name(v));
		return 0;
	}
	double x = json_number_value(v);
	if (!isfinite(x) || x < lo || x > hi) {
		rd_bad(r, where, "out of range");
		return 0;
	}
	*out = x;
	return 1;
}

const char *rd_str(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags)
{
	json_t *v = rd_field(r, o, where, key, flags & RD_REQ);
	if (!v || (json_is_null(v) && (flags & RD_NULL)))
		return NULL;
	char w[200];
	where_key(w, sizeof(w), where, key);
	if (!json_is_string(v)) {
		rd_bad(r, w, "expected a string, got %s", type_name(v));
		return NULL;
	}
	if (json_string_length(v) > RP_TEXT_MAX) {
		rd_bad(r, w, "a string longer than %u bytes", RP_TEXT_MAX);
		return NULL;
	}
	return json_string_value(v);
}

int rd_bool(struct rd *r, json_t *o, const char *where, const char *key)
{
	json_t *v = rd_field(r, o, where, key, 0);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		char w[200];
		where_key(w, sizeof(w), where, key);
		rd_bad(r, w, "expected true or false");
		return 0;
	}
	return json_is_true(v);
}

/* An object or array at key (NULL: absent, null when allowed, or wrong). */
json_t *rd_kind(struct rd *r, json_t *o, const char *where, const char *key, unsigned flags,
		int array, size_t max)
{
	json_t *v = rd_field(r, o, where, key, flags & RD_REQ);
	if (!v || (json_is_null(v) && (flags & RD_NULL)))
		return NULL;
	char w[200];
	where_key(w, sizeof(w), where, key);
	if (array ? !json_is_array(v) : !json_is_object(v)) {
		rd_bad(r, w, "expected %s, got %s", array ? "an array" : "an object", type_name(v));
		return NULL;
	}
	size_t n = array ? json_array_size(v) : json_object_size(v);
	if (n > max) {
		rd_bad(r, w, "more than %zu entries", max);
		return NULL;
	}
	return v;
}

/* ---- the top level ---- */

static void load_clock(struct rd *r, json_t *root, struct rp_doc *d)
{
	json_t *c = rd_kind(r, root, "", "clock", 0, 0, 64);
	if (c) {
		rd_count(r, c, "clock", "floor_ns", RD_NULL, &d->floor_ns);
		d->overhead_subtracted = rd_bool(r, c, "clock", "overhead_subtracted");
	}
	json_t *l = rd_kind(r, root, "", "loss", 0, 0, 64);
	if (l) {
		rd_count(r, l, "loss", "overflowed", 0, &d->loss_overflowed);
		rd_count(r, l, "loss", "reentrant", 0, &d->loss_reentrant);
		rd_count(r, l, "loss", "depth", 0, &d->loss_depth);
	}
	rd_count(r, root, "", "start_realtime_ns", 0, &d->start_real_ns);
	rd_count(r, root, "", "duration_ns", 0, &d->duration_ns);
	d->session = rd_str(r, root, "", "session", 0);
	json_t *h = rd_kind(r, root, "", "health", 0, 0, 64);
	if (h) {
		d->health = rd_str(r, h, "health", "state", RD_REQ);
		d->health_reason = rd_str(r, h, "health", "reason", 0);
	}
}

int rp_doc_load(struct rp_doc *d, const char *path, char *err, size_t errlen)
{
	struct rd r = {.path = path, .err = err, .errlen = errlen};
	size_t len = 0;
	memset(d, 0, sizeof(*d));
	d->path = path;
	char *buf = slurp(&r, &len);
	if (!buf)
		return -1;
	if (len == 0) {
		rd_bad(&r, NULL, "empty file");
		free(buf);
		return -1;
	}
	if (prescan(&r, buf, len) < 0) {
		free(buf);
		return -1;
	}
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!root) {
		char text[120];
		rp_term(text, sizeof(text), je.text, 80);
		rd_bad(&r, NULL, "not valid JSON (line %d, column %d: %s)", je.line, je.column,
		       text);
		return -1;
	}
	d->root = root;
	if (!json_is_object(root)) {
		rd_bad(&r, NULL, "not a tm summary (the document is not an object)");
		goto fail;
	}
	json_t *sc = json_object_get(root, "schema");
	if (!json_is_string(sc) || strcmp(json_string_value(sc), "tm.summary/1") != 0) {
		char shown[80] = "none";
		if (json_is_string(sc))
			rp_term(shown, sizeof(shown), json_string_value(sc), 40);
		rd_bad(&r, NULL, "not a tm summary (schema %s, expected tm.summary/1)", shown);
		goto fail;
	}
	load_clock(&r, root, d);
	rd_load_symbols(&r, root, d);
	rd_load_processes(&r, root, d);
	rd_load_alerts(&r, root, d);
	rd_load_runs(&r, root, d);
	if (r.failed)
		goto fail;
	return 0;
fail:
	rp_doc_free(d);
	return -1;
}

static void series_free(struct rp_series *s)
{
	free(s->calls);
	free(s->failed);
	free(s->p99);
	free(s->sr);
}

void rp_doc_free(struct rp_doc *d)
{
	for (size_t i = 0; i < d->nsyms; i++) {
		struct rp_sym *s = &d->syms[i];
		free(s->hist);
		free(s->errs);
		free(s->cats);
		for (size_t k = 0; k < s->noutc; k++)
			free(s->outc[k].codes);
		free(s->outc);
		series_free(&s->sec);
		series_free(&s->min);
	}
	free(d->syms);
	free(d->procs);
	free(d->alerts);
	free(d->findings);
	for (size_t i = 0; i < d->nruns; i++)
		free(d->runs[i].syms);
	free(d->runs);
	if (d->root)
		json_decref(d->root);
	const char *path = d->path;
	memset(d, 0, sizeof(*d));
	d->path = path;
}
