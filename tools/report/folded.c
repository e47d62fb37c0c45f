/* SPDX-License-Identifier: MIT */
/* tmreport folded: a summary's stacks[] as folded stacks ("a;b;c N"), by
 * self time or by calls; --diff A B: the two-column form ("a;b;c NA NB")
 * that differential flame-graph tools read. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define LINE_MAX_LEN 8192

struct fline {
	char *stack;
	uint64_t w[2];
};

struct flines {
	struct fline *v;
	size_t n, cap;
};

/* A frame as folded text: ';' and line ends would split it. */
static int put_stack(char *out, size_t len, json_t *frames)
{
	size_t k = 0, i;
	json_t *fr;
	json_array_foreach(frames, i, fr)
	{
		const char *s = json_is_string(fr) ? json_string_value(fr) : "?";
		if (k + (i ? 1 : 0) + strlen(s) + 1 > len)
			return -1;
		if (i)
			out[k++] = ';';
		for (; *s; s++)
			out[k++] = *s == ';' || *s == '\n' || *s == '\r' ? '_' : *s;
	}
	out[k] = '\0';
	return k ? 0 : -1;
}

static int add(struct flines *l, const char *stack, int col, uint64_t w)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].stack, stack) == 0) {
			l->v[i].w[col] += w;
			return 0;
		}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct fline *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	char *s = strdup(stack);
	if (!s)
		return -1;
	l->v[l->n++] = (struct fline){.stack = s, .w = {col == 0 ? w : 0, col == 1 ? w : 0}};
	return 0;
}

static uint64_t weight(json_t *o, int by_calls)
{
	json_t *v = json_object_get(o, by_calls ? "calls" : "self_ns");
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

/* The stacks of one summary into column col; -1 when it has none. */
static int collect(const struct rp_doc *d, struct flines *l, int col, int by_calls)
{
	json_t *stacks = json_object_get(d->root, "stacks");
	if (!json_is_array(stacks)) {
		fprintf(stderr, "tmreport folded: %s: no stacks[] (a summary older than them)\n",
			d->path);
		return -1;
	}
	char buf[LINE_MAX_LEN];
	size_t i;
	json_t *o;
	json_array_foreach(stacks, i, o)
	{
		if (put_stack(buf, sizeof(buf), json_object_get(o, "stack")) < 0)
			continue;
		if (add(l, buf, col, weight(o, by_calls)) < 0)
			return -1;
	}
	/* stacks past the summary's list, so the totals still add up */
	uint64_t w = weight(json_object_get(d->root, "stacks_other"), by_calls);
	if (w && add(l, "[other]", col, w) < 0)
		return -1;
	return 0;
}

static int by_stack(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->stack, ((const struct fline *)b)->stack);
}

int rp_folded_print(const struct rp_doc *d, size_t nd, int by_calls, FILE *f)
{
	struct flines l = {0};
	int ret = 0;
	for (size_t i = 0; i < nd && ret == 0; i++)
		ret = collect(&d[i], &l, (int)i, by_calls);
	if (ret == 0) {
		qsort(l.v, l.n, sizeof(*l.v), by_stack);
		for (size_t i = 0; i < l.n; i++) {
			if (nd == 1 && !l.v[i].w[0])
				continue;
			if (nd == 1)
				fprintf(f, "%s %llu\n", l.v[i].stack,
					(unsigned long long)l.v[i].w[0]);
			else
				fprintf(f, "%s %llu %llu\n", l.v[i].stack,
					(unsigned long long)l.v[i].w[0],
					(unsigned long long)l.v[i].w[1]);
		}
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].stack);
	free(l.v);
	return ret;
}
