/* SPDX-License-Identifier: MIT */
/* What the terminal UI and batch mode share: a source with the figures it
 * last gave (struct tm_top_live), the batch loop, and tm_top_run, the
 * entry point for `tmrun --top`. */
#include <errno.h>
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "render.h"
#include "source.h"
#include "top.h"

int tm_top_live_init(struct tm_top_live *l, struct tm_top_src *src, const struct tm_top_opts *o,
		     char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->src = src;
	tm_top_model_init(&l->m[0]);
	tm_top_model_init(&l->m[1]);
	l->cur = &l->m[0];
	l->next = &l->m[1];
	tm_top_ui_init(&l->u);
	l->u.delay_s = o->delay_s > 0 ? o->delay_s : 1;
	if (l->u.delay_s < TM_TOP_DELAY_MIN)
		l->u.delay_s = TM_TOP_DELAY_MIN;
	if (l->u.delay_s > TM_TOP_DELAY_MAX)
		l->u.delay_s = TM_TOP_DELAY_MAX;
	if (o->sort) {
		int c = tm_top_col_parse(o->sort);
		if (c < 0) {
			snprintf(err, errlen, "no column '%s' to sort by (tmtop --help)", o->sort);
			return -EINVAL;
		}
		l->u.sort = (enum tm_top_col)c;
	}
	l->u.reverse = o->reverse != 0;
	if (o->window) {
		int w = tm_top_win_parse(o->window);
		if (w < 0) {
			snprintf(err, errlen, "no window '%s': interval, 1m or all", o->window);
			return -EINVAL;
		}
		l->u.win = (enum tm_top_win)w;
	}
	if (o->filter)
		snprintf(l->u.filter, sizeof(l->u.filter), "%s", o->filter);
	const char *cs = nl_langinfo(CODESET);
	l->u.utf8 = cs && strcmp(cs, "UTF-8") == 0;
	return 0;
}

int tm_top_live_refresh(struct tm_top_live *l, char *err, size_t errlen)
{
	int ret = l->src->refresh(l->src, l->next, l->have ? l->cur : NULL, l->have ? &l->u : NULL,
				  err, errlen);
	if (ret < 0) {
		/* the first line of the error, cut to the header's room */
		size_t n = strnlen(err, sizeof(l->cur->h.error) - 1);
		memcpy(l->cur->h.error, err, n);
		l->cur->h.error[n] = '\0';
	} else {
		struct tm_top_model *t = l->cur;
		l->cur = l->next;
		l->next = t;
		l->have = 1;
	}
	tm_top_view_update(l->cur, &l->u);
	return ret;
}

void tm_top_live_detail(struct tm_top_live *l)
{
	char err[256];
	long ri = tm_top_selected(l->cur, &l->u);
	if (!l->u.detail || ri < 0)
		return;
	if (l->src->detail(l->src, l->cur, &l->cur->rows[ri], l->u.win, &l->d, err, sizeof(err)) <
	    0)
		snprintf(l->u.msg, sizeof(l->u.msg), "detail: %.150s", err);
}

void tm_top_live_free(struct tm_top_live *l)
{
	tm_top_model_free(&l->m[0]);
	tm_top_model_free(&l->m[1]);
	tm_top_ui_free(&l->u);
	tm_top_detail_free(&l->d);
}

/* Sleeps s seconds in slices, returning early once *stop is set. */
static void nap(double s, atomic_int *stop)
{
	uint64_t end = tm_mono_ns() + (uint64_t)(s * 1e9);
	for (uint64_t now; (now = tm_mono_ns()) < end && !(stop && atomic_load(stop));) {
		uint64_t left = end - now, slice = left < 100000000ull ? left : 100000000ull;
		struct timespec ts = {0, (long)slice};
		nanosleep(&ts, NULL);
	}
}

int tm_top_batch(struct tm_top_src *src, const struct tm_top_opts *o, void *file, char *err,
		 size_t errlen)
{
	struct tm_top_live l;
	FILE *f = file;
	int ret = tm_top_live_init(&l, src, o, err, errlen);
	l.u.batch = 1;
	for (long i = 0; ret == 0; i++) {
		char e[256];
		if (tm_top_live_refresh(&l, e, sizeof(e)) < 0 && !l.have) {
			snprintf(err, errlen, "%s", e);
			ret = -EIO;
			break;
		}
		ret = o->jsonl ? tm_top_print_jsonl(f, l.cur, &l.u)
			       : tm_top_print_batch(f, l.cur, &l.u, o->width);
		if (ret < 0) {
			snprintf(err, errlen, "cannot write the output: %s", strerror(-ret));
			break;
		}
		if ((o->iterations && i + 1 >= o->iterations) || (o->until_idle && l.cur->h.idle) ||
		    (o->stop && atomic_load(o->stop)))
			break;
		nap(l.u.delay_s, o->stop);
		if (o->stop && atomic_load(o->stop))
			break;
	}
	tm_top_live_free(&l);
	return ret;
}

int tm_top_run(struct tm_coll *c, pthread_mutex_t *model_lock, const struct tm_top_opts *o,
	       char *err, size_t errlen)
{
	struct tm_top_src *src = tm_top_src_local(c, model_lock);
	if (!src) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int ret = tm_top_tui(src, o, err, errlen);
	src->free(src);
	return ret;
}
