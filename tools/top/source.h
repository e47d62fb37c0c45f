/* SPDX-License-Identifier: MIT */
/* Where tmtop's figures come from: the collector's model in this process
 * (source_local.c), or a tmcollect --listen over HTTP (source_http.c).
 * Both fill the same view model (view.h); nothing downstream knows which. */
#ifndef TM_TOP_SOURCE_H
#define TM_TOP_SOURCE_H

#include <pthread.h>
#include <stddef.h>

#include "view.h"

struct tm_coll;

struct tm_top_src {
	/* Fills m afresh. `prev` (the model shown now, may be NULL) and `u`
	 * (its UI state, may be NULL) say which rows are on screen, for a
	 * source that fetches some figures per row. 0, or -errno with err. */
	int (*refresh)(struct tm_top_src *s, struct tm_top_model *m,
		       const struct tm_top_model *prev, const struct tm_top_ui *u, char *err,
		       size_t errlen);
	/* The detail pane's figures of row r of m, for window w. */
	int (*detail)(struct tm_top_src *s, const struct tm_top_model *m,
		      const struct tm_top_row *r, enum tm_top_win w, struct tm_top_detail *d,
		      char *err, size_t errlen);
	void (*free)(struct tm_top_src *s);
};

/* The model of c, read under lock (NULL: c is not shared). NULL and errno
 * when out of memory. */
struct tm_top_src *tm_top_src_local(struct tm_coll *c, pthread_mutex_t *lock);
/* tmcollect --listen at HOST:PORT (or [v6]:PORT). NULL with err when the
 * address is malformed; nothing is fetched yet. */
struct tm_top_src *tm_top_src_http(const char *hostport, char *err, size_t errlen);

/* run.c: a source and what it last gave, double-buffered: a refresh
 * that fails leaves the figures shown as they were, with the error. */
struct tm_top_opts;
struct tm_top_live {
	struct tm_top_src *src;
	struct tm_top_model m[2], *cur, *next;
	struct tm_top_ui u;
	struct tm_top_detail d;
	int have; /* cur holds a successful refresh */
};
/* The UI state from o (sort, window, filter, delay); -EINVAL with err
 * for a column or window that does not exist. */
int tm_top_live_init(struct tm_top_live *l, struct tm_top_src *src, const struct tm_top_opts *o,
		     char *err, size_t errlen);
/* 0, or -errno with err (also copied into the shown model's header). */
int tm_top_live_refresh(struct tm_top_live *l, char *err, size_t errlen);
/* The detail pane's figures for the selection, when the pane is open. */
void tm_top_live_detail(struct tm_top_live *l);
void tm_top_live_free(struct tm_top_live *l);

#endif
