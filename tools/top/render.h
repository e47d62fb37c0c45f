/* SPDX-License-Identifier: MIT */
/* tmtop's renderer: the view model (view.h) laid out on a canvas of
 * character cells with attributes (canvas.c). The terminal UI copies the
 * canvas to curses, batch mode prints its lines, the unit test compares
 * them with expected text: one layout for all three. */
#ifndef TM_TOP_RENDER_H
#define TM_TOP_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "view.h"

/* What a cell looks like; tui.c maps these to colours (or to bold,
 * reverse and dim without colour). */
enum tm_top_attr {
	TM_A_NORMAL = 0,
	TM_A_TITLE, /* bold */
	TM_A_HEAD,  /* the column header: reverse */
	TM_A_GOOD,  /* healthy: green */
	TM_A_WARN,  /* degraded: yellow */
	TM_A_BAD,   /* unhealthy, loss, errors: red */
	TM_A_DIM,   /* unknown, empty */
	TM_A_RISE,  /* latency or errors rising: magenta */
	TM_A_BAR,   /* histogram bars: cyan */
	TM_A_INFO,  /* maintenance: blue */
	TM_A_NATTR
};
#define TM_A_SEL 0x80 /* or'ed: the selected row (reverse video) */

struct tm_top_cell {
	char ch[5];   /* one character, UTF-8; "" continues a wide one */
	uint8_t attr; /* enum tm_top_attr, | TM_A_SEL */
};

struct tm_top_canvas {
	int w, h;
	int utf8; /* characters beyond ASCII allowed; else each becomes '?' */
	struct tm_top_cell *cell;
};

/* canvas.c */
int tm_cv_init(struct tm_top_canvas *cv, int w, int h, int utf8); /* 0 or -ENOMEM */
void tm_cv_free(struct tm_top_canvas *cv);
void tm_cv_clear(struct tm_top_canvas *cv);
/* Writes s at (y, x), at most maxw columns (and never past the edge); a
 * control character or an invalid sequence is drawn as '?', a character
 * of width 0 or one not printable too. Returns the columns written. */
int tm_cv_put(struct tm_top_canvas *cv, int y, int x, int maxw, uint8_t attr, const char *s);
int tm_cv_printf(struct tm_top_canvas *cv, int y, int x, int maxw, uint8_t attr, const char *fmt,
		 ...) __attribute__((format(printf, 6, 7)));
/* Right-aligned in [x, x + w). */
int tm_cv_rput(struct tm_top_canvas *cv, int y, int x, int w, uint8_t attr, const char *s);
/* Sets (or with `or`, adds) attr over w cells. */
void tm_cv_attr(struct tm_top_canvas *cv, int y, int x, int w, uint8_t attr, int or);
/* Display columns of s as tm_cv_put would draw it. */
int tm_cv_width(const struct tm_top_canvas *cv, const char *s);
/* Line y as text, trailing blanks removed; returns its length. */
size_t tm_cv_line(const struct tm_top_canvas *cv, int y, char *buf, size_t len);

/* render.c: the whole screen for u's state. Sets u->page (rows that fit)
 * and keeps u->first on the selection; call tm_top_view_update first.
 * `d` is the selected row's detail (may be NULL when the pane is closed). */
void tm_top_render(struct tm_top_canvas *cv, const struct tm_top_model *m, struct tm_top_ui *u,
		   const struct tm_top_detail *d);
/* The width that shows every column in full (batch mode). */
int tm_top_natural_width(const struct tm_top_canvas *cv, const struct tm_top_model *m,
			 const struct tm_top_ui *u);
/* Lines the header takes (the title, processes, health, loss and alerts). */
#define TM_TOP_HEADER_LINES 4

/* render_detail.c: the detail pane in lines [y0, y1). */
void tm_top_render_detail(struct tm_top_canvas *cv, int y0, int y1, const struct tm_top_model *m,
			  const struct tm_top_ui *u, const struct tm_top_detail *d);

/* batch.c: one refresh as plain text (every row, like top -b; width 0:
 * every column at its natural width) or as one JSON line. 0 or -errno. */
int tm_top_print_batch(FILE *f, const struct tm_top_model *m, struct tm_top_ui *u, int width);
int tm_top_print_jsonl(FILE *f, const struct tm_top_model *m, const struct tm_top_ui *u);

#endif
