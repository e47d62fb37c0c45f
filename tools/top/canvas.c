/* SPDX-License-Identifier: MIT */
/* A grid of character cells with attributes (render.h): what the renderer
 * draws on, before curses or a batch line sees it. Text is decoded as
 * UTF-8 here once more, so nothing that reaches a cell can be a control
 * character, whatever a caller passed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "render.h"

int tm_cv_init(struct tm_top_canvas *cv, int w, int h, int utf8)
{
	memset(cv, 0, sizeof(*cv));
	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	cv->cell = calloc((size_t)w * (size_t)h, sizeof(*cv->cell));
	if (!cv->cell)
		return -ENOMEM;
	cv->w = w;
	cv->h = h;
	cv->utf8 = utf8;
	tm_cv_clear(cv);
	return 0;
}

void tm_cv_free(struct tm_top_canvas *cv)
{
	free(cv->cell);
	memset(cv, 0, sizeof(*cv));
}

void tm_cv_clear(struct tm_top_canvas *cv)
{
	for (int i = 0; i < cv->w * cv->h; i++) {
		cv->cell[i].ch[0] = ' ';
		cv->cell[i].ch[1] = '\0';
		cv->cell[i].attr = TM_A_NORMAL;
	}
}

/* The next character of s: its bytes (*n) and display width (1 or 2), or
 * width 1 with *n bytes to skip and *bad set when it must show as '?'. */
static int next_char(const struct tm_top_canvas *cv, const unsigned char *s, size_t *n, int *bad)
{
	unsigned char b = s[0];
	*bad = 0;
	*n = 1;
	if (b < 0x80) {
		*bad = b < 0x20 || b == 0x7f;
		return 1;
	}
	size_t len = b >= 0xc2 && b <= 0xdf   ? 2
		     : b >= 0xe0 && b <= 0xef ? 3
		     : b >= 0xf0 && b <= 0xf4 ? 4
					      : 0;
	uint32_t cp = len == 2 ? b & 0x1fu : len == 3 ? b & 0x0fu : b & 0x07u;
	size_t i = 1;
	for (; i < len && (s[i] & 0xc0) == 0x80; i++)
		cp = cp << 6 | (s[i] & 0x3fu);
	if (!len || i < len || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
		*bad = 1;
		*n = i > 1 ? i : 1;
		return 1;
	}
	*n = len;
	int w = cv->utf8 ? wcwidth((wchar_t)cp) : -1;
	if (w < 1 || w > 2 || cp < 0xa0) { /* C1, zero-width, unprintable */
		*bad = 1;
		return 1;
	}
	return w;
}

int tm_cv_put(struct tm_top_canvas *cv, int y, int x, int maxw, uint8_t attr, const char *s)
{
	if (y < 0 || y >= cv->h || x < 0 || x >= cv->w || !s)
		return 0;
	int end = maxw >= 0 && x + maxw < cv->w ? x + maxw : cv->w, col = x;
	const unsigned char *u = (const unsigned char *)s;
	while (*u && col < end) {
		size_t n;
		int bad, w = next_char(cv, u, &n, &bad);
		if (col + w > end)
			break;
		struct tm_top_cell *c = &cv->cell[y * cv->w + col];
		/* never half of a wide character left behind */
		if (!c->ch[0] && col > 0)
			strcpy(c[-1].ch, " ");
		if (col + w < cv->w && !c[w].ch[0])
			strcpy(c[w].ch, " ");
		if (bad) {
			c->ch[0] = '?';
			c->ch[1] = '\0';
		} else {
			memcpy(c->ch, u, n);
			c->ch[n] = '\0';
		}
		c->attr = attr;
		if (w == 2) {
			c[1].ch[0] = '\0';
			c[1].attr = attr;
		}
		col += w;
		u += n;
	}
	return col - x;
}

int tm_cv_printf(struct tm_top_canvas *cv, int y, int x, int maxw, uint8_t attr, const char *fmt,
		 ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tm_cv_put(cv, y, x, maxw, attr, buf);
}

int tm_cv_width(const struct tm_top_canvas *cv, const char *s)
{
	int w = 0;
	for (const unsigned char *u = (const unsigned char *)s; *u;) {
		size_t n;
		int bad;
		w += next_char(cv, u, &n, &bad);
		u += n;
	}
	return w;
}

int tm_cv_rput(struct tm_top_canvas *cv, int y, int x, int w, uint8_t attr, const char *s)
{
	int sw = tm_cv_width(cv, s);
	return tm_cv_put(cv, y, sw < w ? x + w - sw : x, w, attr, s);
}

void tm_cv_attr(struct tm_top_canvas *cv, int y, int x, int w, uint8_t attr, int or)
{
	if (y < 0 || y >= cv->h)
		return;
	for (int i = x < 0 ? 0 : x; i < x + w && i < cv->w; i++) {
		struct tm_top_cell *c = &cv->cell[y * cv->w + i];
		c->attr = or ? (uint8_t)(c->attr | attr) : attr;
	}
}

size_t tm_cv_line(const struct tm_top_canvas *cv, int y, char *buf, size_t len)
{
	size_t o = 0, keep = 0;
	if (!len)
		return 0;
	for (int x = 0; y >= 0 && y < cv->h && x < cv->w; x++) {
		const char *ch = cv->cell[y * cv->w + x].ch;
		size_t n = strlen(ch);
		if (o + n + 1 > len)
			break;
		memcpy(buf + o, ch, n);
		o += n;
		if (n && strcmp(ch, " ") != 0)
			keep = o;
	}
	buf[keep] = '\0';
	return keep;
}
