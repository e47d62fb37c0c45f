/* SPDX-License-Identifier: MIT */
/* TM_CONFIG: per-symbol rules in JSON, read with jansson. jansson is opened
 * privately (RTLD_LOCAL) and only when a config file is given, so its
 * symbols never enter the host's global scope (a host linked with json-c,
 * which shares names such as json_object_get, keeps its own). */
#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"

struct tm_jansson {
	json_t *(*load_file)(const char *, size_t, json_error_t *);
	json_t *(*object_get)(const json_t *, const char *);
	void *(*iter)(json_t *);
	void *(*iter_next)(json_t *, void *);
	const char *(*iter_key)(void *);
	json_t *(*iter_value)(void *);
	const char *(*string_value)(const json_t *);
	json_int_t (*integer_value)(const json_t *);
	double (*number_value)(const json_t *);
	void (*delete_)(json_t *);
};

static int tm_jansson_open(struct tm_jansson *j)
{
	void *h = dlopen("libjansson.so.4", RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return -1;
#define SYM(f, n)                                                                                  \
	if (!(*(void **)&j->f = dlsym(h, n)))                                                      \
		return -1;
	SYM(load_file, "json_load_file");
	SYM(object_get, "json_object_get");
	SYM(iter, "json_object_iter");
	SYM(iter_next, "json_object_iter_next");
	SYM(iter_key, "json_object_iter_key");
	SYM(iter_value, "json_object_iter_value");
	SYM(string_value, "json_string_value");
	SYM(integer_value, "json_integer_value");
	SYM(number_value, "json_number_value");
	SYM(delete_, "json_delete");
#undef SYM
	return 0;
}

static void tm_json_put(struct tm_jansson *j, json_t *v)
{
	if (v && v->refcount != (size_t)-1 && --v->refcount == 0)
		j->delete_(v);
}

/* Copies string field `key` of `o` into dst; 0 if absent, -1 if not a string. */
static int tm_json_str(struct tm_jansson *j, json_t *o, const char *key, char *dst, size_t len)
{
	json_t *v = j->object_get(o, key);
	if (!v)
		return 0;
	if (json_is_null(v) && strcmp(key, "success") == 0) {
		snprintf(dst, len, "-");
		return 1;
	}
	if (!json_is_string(v))
		return -1;
	const char *s = j->string_value(v);
	if (strlen(s) >= len)
		return -1;
	snprintf(dst, len, "%s", s);
	return 1;
}

static const char *const tm_rule_keys[] = {"ret",  "success", "error",	"codes",      "bytes",
					   "name", "slow_ms", "sample", "count_only", NULL};

static int tm_entry_load(struct tm_jansson *j, struct tm_state *g, const char *path,
			 const char *key, json_t *e)
{
	if (!json_is_object(e)) {
		tm_log("tm: TM_CONFIG %s: symbol \"%s\": expected an object; ignoring it", path,
		       key);
		return -1;
	}
	for (void *it = j->iter(e); it; it = j->iter_next(e, it)) {
		const char *k = j->iter_key(it);
		const char *const *known = tm_rule_keys;
		while (*known && strcmp(*known, k) != 0)
			known++;
		if (!*known) {
			tm_log("tm: TM_CONFIG %s: symbol \"%s\": unknown field \"%s\" (ret, "
			       "success, "
			       "error, codes, bytes, name, slow_ms, sample, count_only); ignoring "
			       "this symbol",
			       path, key, k);
			return -1;
		}
	}
	struct tm_pattern tmp;
	memset(&tmp, 0, sizeof(tmp));
	struct {
		const char *key;
		char *dst;
		size_t len;
	} fields[] = {
		{"ret", tmp.type, sizeof(tmp.type)},
		{"success", tmp.success, sizeof(tmp.success)},
		{"error", tmp.error, sizeof(tmp.error)},
		{"codes", tmp.codes, sizeof(tmp.codes)},
		{"bytes", tmp.bytes, sizeof(tmp.bytes)},
		{"name", tmp.display, sizeof(tmp.display)},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (tm_json_str(j, e, fields[i].key, fields[i].dst, fields[i].len) < 0) {
			tm_log("tm: TM_CONFIG %s: symbol \"%s\": \"%s\" must be a string under %zu "
			       "bytes; ignoring this symbol",
			       path, key, fields[i].key, fields[i].len);
			return -1;
		}
	}
	json_t *slow = j->object_get(e, "slow_ms");
	if (slow) {
		if (!json_is_number(slow) || j->number_value(slow) < 0) {
			tm_log("tm: TM_CONFIG %s: symbol \"%s\": \"slow_ms\" must be a number >= "
			       "0; "
			       "ignoring this symbol",
			       path, key);
			return -1;
		}
		tmp.slow_ns = (uint64_t)(j->number_value(slow) * 1e6);
	}
	json_t *sample = j->object_get(e, "sample");
	if (sample) {
		double n = json_is_integer(sample) ? j->number_value(sample) : 0;
		if (n < 1 || n > 1e9) {
			tm_log("tm: TM_CONFIG %s: symbol \"%s\": \"sample\" must be an integer "
			       "1..1000000000 (time one call in N); ignoring this symbol",
			       path, key);
			return -1;
		}
		tmp.sample = (uint32_t)n;
	}
	json_t *count = j->object_get(e, "count_only");
	if (count) {
		if (!json_is_boolean(count)) {
			tm_log("tm: TM_CONFIG %s: symbol \"%s\": \"count_only\" must be true or "
			       "false; ignoring this symbol",
			       path, key);
			return -1;
		}
		tmp.count_only = json_is_true(count);
	}
	if (tmp.count_only && tmp.sample > 1) {
		tm_log("tm: TM_CONFIG %s: symbol \"%s\": \"sample\" and \"count_only\" "
		       "exclude each other; ignoring this symbol",
		       path, key);
		return -1;
	}
	/* check the fields parse before taking the pattern */
	struct tm_rule r;
	char err[256];
	if (tm_rule_from_strings(&r, tmp.type[0] ? tmp.type : NULL,
				 tmp.success[0] && tmp.success[0] != '-' ? tmp.success : NULL,
				 tmp.error[0] ? tmp.error : NULL, tmp.codes[0] ? tmp.codes : NULL,
				 tmp.bytes[0] ? tmp.bytes : NULL, err, sizeof(err)) < 0) {
		tm_log("tm: TM_CONFIG %s: symbol \"%s\": %s; ignoring this symbol", path, key, err);
		return -1;
	}
	int idx = tm_pattern_add(g, key, "TM_CONFIG");
	if (idx < 0)
		return -1;
	struct tm_pattern *p = &g->patterns[idx];
	memcpy(p->type, tmp.type, sizeof(p->type));
	memcpy(p->success, tmp.success, sizeof(p->success));
	memcpy(p->error, tmp.error, sizeof(p->error));
	memcpy(p->codes, tmp.codes, sizeof(p->codes));
	memcpy(p->bytes, tmp.bytes, sizeof(p->bytes));
	memcpy(p->display, tmp.display, sizeof(p->display));
	p->slow_ns = tmp.slow_ns;
	if (sample || count) {
		p->sample = tmp.sample;
		p->count_only = tmp.count_only;
	}
	p->has_rule = 1;
	return 0;
}

/* Loads `path`: {"symbols": {"pattern": {rule fields}, ...}}. Every pattern
 * is monitored; bad entries are reported and skipped. Returns the number of
 * entries taken, or -1 if the file is unusable. */
int tm_config_json(struct tm_state *g, const char *path)
{
	struct tm_jansson j;
	json_error_t jerr;
	int taken = 0;

	if (tm_jansson_open(&j) < 0) {
		tm_log("tm: TM_CONFIG %s: cannot load libjansson.so.4; ignoring the file", path);
		return -1;
	}
	json_t *root = j.load_file(path, 0, &jerr);
	if (!root) {
		if (jerr.line > 0)
			tm_log("tm: TM_CONFIG %s: line %d: %s", path, jerr.line, jerr.text);
		else
			tm_log("tm: TM_CONFIG %s: %s", path, jerr.text);
		return -1;
	}
	json_t *syms = json_is_object(root) ? j.object_get(root, "symbols") : NULL;
	if (!json_is_object(syms)) {
		tm_log("tm: TM_CONFIG %s: expected {\"symbols\": {...}} at the top; ignoring the "
		       "file",
		       path);
		tm_json_put(&j, root);
		return -1;
	}
	for (void *it = j.iter(syms); it; it = j.iter_next(syms, it))
		if (tm_entry_load(&j, g, path, j.iter_key(it), j.iter_value(it)) == 0)
			taken++;
	tm_json_put(&j, root);
	return taken;
}
