/* SPDX-License-Identifier: MIT */
/* TM_CONFIG: per-symbol rules in JSON, read with jansson. jansson is opened
 * privately (RTLD_LOCAL) and only when a config file is given, so its
 * symbols never enter the host's global scope (a host linked with json-c,
 * which shares names such as json_object_get, keeps its own). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

struct tm_jansson {
	json_t *(*loadb)(const char *, size_t, size_t, json_error_t *);
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
	SYM(loadb, "json_loadb");
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

/* "root" and "fail_if" are the collector's (a workflow's root): taken
 * here and left to it */
static const char *const tm_rule_keys[] = {"ret",	 "success", "error",   "codes",	  "bytes",
					   "size",	 "flow",    "name",    "slow_ms", "sample",
					   "count_only", "root",    "fail_if", "group",	  NULL};

static int tm_entry_load(struct tm_jansson *j, struct tm_state *g, const char *path,
			 const char *key, json_t *e)
{
	if (!json_is_object(e)) {
		tm_config_item(g,
			       "tm: TM_CONFIG %s: symbol \"%s\": expected an object; ignoring it",
			       path, key);
		return -1;
	}
	for (void *it = j->iter(e); it; it = j->iter_next(e, it)) {
		const char *k = j->iter_key(it);
		const char *const *known = tm_rule_keys;
		while (*known && strcmp(*known, k) != 0)
			known++;
		if (!*known) {
			tm_config_item(
				g,
				"tm: TM_CONFIG %s: symbol \"%s\": unknown field \"%s\" (ret, "
				"success, "
				"error, codes, bytes, size, flow, group, name, slow_ms, sample, "
				"count_only, root, fail_if); ignoring "
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
		{"flow", tmp.flow, sizeof(tmp.flow)},
		{"group", tmp.group, sizeof(tmp.group)},
		{"name", tmp.display, sizeof(tmp.display)},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (tm_json_str(j, e, fields[i].key, fields[i].dst, fields[i].len) < 0) {
			tm_config_item(g,
				       "tm: TM_CONFIG %s: symbol \"%s\": \"%s\" must be a string "
				       "under %zu "
				       "bytes; ignoring this symbol",
				       path, key, fields[i].key, fields[i].len);
			return -1;
		}
	}
	/* "size" is another name for "bytes" (an argument that is a size) */
	if (j->object_get(e, "size")) {
		if (tmp.bytes[0]) {
			tm_config_item(g,
				       "tm: TM_CONFIG %s: symbol \"%s\": \"bytes\" and \"size\" "
				       "are one field; ignoring this symbol",
				       path, key);
			return -1;
		}
		if (tm_json_str(j, e, "size", tmp.bytes, sizeof(tmp.bytes)) < 0) {
			tm_config_item(g,
				       "tm: TM_CONFIG %s: symbol \"%s\": \"size\" must be a string "
				       "under %zu bytes; ignoring this symbol",
				       path, key, sizeof(tmp.bytes));
			return -1;
		}
	}
	json_t *slow = j->object_get(e, "slow_ms");
	if (slow) {
		if (!json_is_number(slow) || j->number_value(slow) < 0) {
			tm_config_item(
				g,
				"tm: TM_CONFIG %s: symbol \"%s\": \"slow_ms\" must be a number >= "
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
			tm_config_item(
				g,
				"tm: TM_CONFIG %s: symbol \"%s\": \"sample\" must be an integer "
				"1..1000000000 (time one call in N); ignoring this symbol",
				path, key);
			return -1;
		}
		tmp.sample = (uint32_t)n;
	}
	json_t *count = j->object_get(e, "count_only");
	if (count) {
		if (!json_is_boolean(count)) {
			tm_config_item(
				g,
				"tm: TM_CONFIG %s: symbol \"%s\": \"count_only\" must be true or "
				"false; ignoring this symbol",
				path, key);
			return -1;
		}
		tmp.count_only = json_is_true(count);
	}
	if (tmp.count_only && tmp.sample > 1) {
		tm_config_item(g,
			       "tm: TM_CONFIG %s: symbol \"%s\": \"sample\" and \"count_only\" "
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
				 tmp.bytes[0] ? tmp.bytes : NULL, tmp.flow[0] ? tmp.flow : NULL,
				 tmp.group[0] ? tmp.group : NULL, err, sizeof(err)) < 0) {
		tm_config_item(g, "tm: TM_CONFIG %s: symbol \"%s\": %s; ignoring this symbol", path,
			       key, err);
		return -1;
	}
	if (tm_rule_captures(&r) && (tmp.sample > 1 || tmp.count_only)) {
		tm_config_item(g,
			       "tm: TM_CONFIG %s: symbol \"%s\": %s from arguments (\"%s\") need "
			       "every call timed: not with \"sample\" or \"count_only\"; ignoring "
			       "this symbol",
			       path, key, r.group_arg ? "a group" : "bytes",
			       r.group_arg ? tmp.group : tmp.bytes);
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
	memcpy(p->flow, tmp.flow, sizeof(p->flow));
	memcpy(p->group, tmp.group, sizeof(p->group));
	memcpy(p->display, tmp.display, sizeof(p->display));
	p->slow_ns = tmp.slow_ns;
	if (sample || count) {
		p->sample = tmp.sample;
		p->count_only = tmp.count_only;
	}
	p->has_rule = 1;
	return 0;
}

static const char *tm_file_kind(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
			     : "of unknown type";
}

/* Reads `path` whole into a malloc'd buffer (*len bytes, NUL-added), or
 * says in one line why not and returns NULL. Only a regular file of at most
 * TM_CONFIG_MAX_MB: a FIFO would block the host before main, /dev/stdin
 * (a pipe, a terminal) would eat its input, /dev/zero or a huge file would
 * cost it seconds and memory. stat() first, so that such a file is not even
 * opened (opening a FIFO wakes a writer waiting for a reader); the opened
 * file is checked again, non-blocking, in case the name changed meanwhile. */
static char *tm_config_read(const char *path, size_t *len)
{
	const uint64_t max = (uint64_t)TM_CONFIG_MAX_MB << 20;
	struct stat st;
	int fd = -1;
	char *buf = NULL;

	if (stat(path, &st) < 0)
		goto cannot_open;
	if (S_ISREG(st.st_mode)) {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			goto cannot_open;
		if (fstat(fd, &st) < 0)
			st.st_mode = 0;
	}
	if (!S_ISREG(st.st_mode)) {
		tm_log("tm: TM_CONFIG %s: %s, not a regular file; ignoring it", path,
		       tm_file_kind(st.st_mode));
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		tm_log("tm: TM_CONFIG %s: %llu bytes, more than the %d MiB a rules file may "
		       "have; ignoring the file",
		       path, (unsigned long long)st.st_size, TM_CONFIG_MAX_MB);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		tm_log("tm: TM_CONFIG %s: out of memory; ignoring the file", path);
		goto out;
	}
	/* st_size bytes at most: a file that grows meanwhile is cut there */
	size_t n = 0;
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			tm_log("tm: TM_CONFIG %s: cannot read: %s; ignoring the file", path,
			       strerror(errno));
			free(buf);
			buf = NULL;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
out:
	if (fd >= 0)
		close(fd);
	return buf;
cannot_open:
	tm_log("tm: TM_CONFIG %s: cannot open: %s; ignoring the file", path, strerror(errno));
	return NULL;
}

/* Loads `path`: {"symbols": {"pattern": {rule fields}, ...}}. Every pattern
 * is monitored; bad entries are reported and skipped. Returns the number of
 * entries taken, or -1 if the file is unusable. */
int tm_config_json(struct tm_state *g, const char *path)
{
	struct tm_jansson j;
	json_error_t jerr;
	int taken = 0;
	size_t len;

	char *text = tm_config_read(path, &len);
	if (!text)
		return -1;
	if (tm_jansson_open(&j) < 0) {
		tm_log("tm: TM_CONFIG %s: cannot load libjansson.so.4; ignoring the file", path);
		free(text);
		return -1;
	}
	json_t *root = j.loadb(text, len, 0, &jerr);
	free(text);
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
