/* SPDX-License-Identifier: MIT */
/* tmtop, the live view, as a library: the terminal UI and batch output
 * over a source of figures (source.h). tmtop's main.c uses it with an
 * embedded collector or a remote one; `tmrun --top` uses tm_top_run on
 * the collector it already runs. Link the `tmtopui` library. */
#ifndef TM_TOP_H
#define TM_TOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct tm_coll;
struct tm_top_src;

struct tm_top_opts {
	double delay_s;	    /* refresh delay in seconds; 0: 1 s (clamped to 0.1 .. 60) */
	const char *sort;   /* column key (tmtop --help lists them); NULL: calls/s */
	int reverse;	    /* reverse the sort */
	const char *window; /* "interval", "1m" (default) or "all" */
	const char *filter; /* initial filter (view.h: tm_top_row_matches) */
	atomic_int *stop;   /* may be NULL; once non-zero the UI returns within 0.2 s */
	int color;	    /* -1: automatic (off with NO_COLOR or a terminal without), 0, 1 */
	/* batch mode only */
	long iterations; /* -n: refreshes to print; 0: until stopped (or idle) */
	int until_idle;	 /* stop after the refresh that sees every process finished */
	int jsonl;	 /* one JSON object per refresh instead of text */
	int width;	 /* text width; 0: every column in full */
};

/* `tmrun --top`: the live view on a collector that is already running
 * (the caller owns the thread in tm_coll_run and the terminal). The view
 * reads c only with model_lock held (the loop's `struct tm_loop.lock`),
 * for a few milliseconds per refresh. It takes over the terminal on
 * stdin/stdout with curses, and gives it back as it found it before
 * returning:
 *   1   the user quit (q);
 *   0   *o->stop became non-zero (the caller's command ended, a signal);
 *   < 0 -errno: no terminal to draw on (err says why; nothing changed).
 * It installs no signal handler (curses' own SIGWINCH handling aside) and
 * starts no thread. The command's own output to the same terminal would
 * be drawn over at the next refresh (Ctrl-L repaints): send it elsewhere.
 * After the loop has ended the view keeps showing its last figures until
 * the user quits or the stop flag is set.
 *
 *     struct tm_top_opts o = {.delay_s = 1, .stop = &top_stop};
 *     char err[256];
 *     int r = tm_top_run(&c, &loop.lock, &o, err, sizeof(err));
 *     if (r < 0)
 *             fprintf(stderr, "tmrun: --top: %s\n", err);
 */
int tm_top_run(struct tm_coll *c, pthread_mutex_t *model_lock, const struct tm_top_opts *o,
	       char *err, size_t errlen);

/* tui.c: the terminal UI over any source (same returns as tm_top_run).
 * The first refresh happens before the terminal is touched: when it
 * fails, -EIO with err set and the terminal unchanged. */
int tm_top_tui(struct tm_top_src *src, const struct tm_top_opts *o, char *err, size_t errlen);
/* batch.c's loop: text or JSON lines on f every delay, o->iterations
 * times, until *o->stop, or (o->until_idle) after the refresh that sees
 * every process finished. 0, or -errno with err set (a refresh failed
 * before anything was printed; later failures are reported in the output
 * and retried). */
int tm_top_batch(struct tm_top_src *src, const struct tm_top_opts *o, void *file, char *err,
		 size_t errlen);

#endif
