/* SPDX-License-Identifier: MIT */
/* tmtop --connect (source_http.c, source_http_rows.c): what the two
 * halves of the HTTP source share. */
#ifndef TM_TOP_SOURCE_HTTP_H
#define TM_TOP_SOURCE_HTTP_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>

#include "source.h"

struct tm_top_body {
	char *buf; /* NUL-terminated */
	size_t len, cap;
};

struct tm_top_http {
	struct tm_top_src src;
	CURL *curl;
	char url[256];	    /* http://HOST:PORT */
	char hostport[160]; /* as given, for messages */
	struct tm_top_body body;
	json_t *last; /* the last summary: the detail pane's errors */
};

/* libcurl's write callback into a struct tm_top_body (capped). */
size_t tm_top_http_write(char *p, size_t size, size_t n, void *arg);
/* GET url + path into h->body: 0, or -errno with err ("HOST:PORT: ..."). */
int tm_top_http_get(struct tm_top_http *h, const char *path, char *err, size_t errlen);
/* The same, parsed: a JSON object, or NULL with err. */
json_t *tm_top_http_json(struct tm_top_http *h, const char *path, char *err, size_t errlen);
/* /api/v1/summary's document into m (rows, processes, header). */
int tm_top_http_summary(struct tm_top_http *h, const json_t *doc, struct tm_top_model *m, char *err,
			size_t errlen);

/* The summary's entry of row r, or NULL. */
const json_t *tm_top_http_sym(const json_t *doc, const struct tm_top_row *r);

/* Values as the server sent them, checked. */
uint64_t tm_top_ju64(const json_t *v, uint64_t dflt); /* count or ns: >= 0 */
double tm_top_jnum(const json_t *v, double dflt);
const char *tm_top_jstr(const json_t *v); /* "" unless a string */

/* Rows by (key, session), sorted: find is a binary search; session ""
 * matches the first row of that key. */
struct tm_top_keyidx {
	const struct tm_top_model *m;
	size_t *ix, n;
};
int tm_top_keyidx_build(struct tm_top_keyidx *k, const struct tm_top_model *m);
long tm_top_keyidx_find(const struct tm_top_keyidx *k, const char *key, const char *sess);

#endif
