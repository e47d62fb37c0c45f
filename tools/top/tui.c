/* SPDX-License-Identifier: MIT */
/* The terminal UI: curses around the renderer. Each frame is drawn on the
 * canvas, copied to curses' screen after erase(), and refresh() sends only
 * what changed (no flicker; the screen is cleared only on Ctrl-L). Keys
 * are read with a timeout that ends at the next refresh, so a key is
 * answered at once and an idle view costs a wake-up per refresh (and one
 * every 200 ms to look at the stop flag). */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "render.h"
#include "source.h"
#include "top.h"

static chtype attrs[TM_A_NATTR];

static void init_attrs(int color)
{
	static const struct {
		short fg;
		chtype mono, extra;
	} a[TM_A_NATTR] = {
		[TM_A_NORMAL] = {-1, A_NORMAL, A_NORMAL},
		[TM_A_TITLE] = {-1, A_BOLD, A_BOLD},
		[TM_A_HEAD] = {-1, A_REVERSE, A_REVERSE},
		[TM_A_GOOD] = {COLOR_GREEN, A_NORMAL, 0},
		[TM_A_WARN] = {COLOR_YELLOW, A_BOLD, 0},
		[TM_A_BAD] = {COLOR_RED, A_BOLD, A_BOLD},
		[TM_A_DIM] = {-1, A_DIM, A_DIM},
		[TM_A_RISE] = {COLOR_MAGENTA, A_BOLD, A_BOLD},
		[TM_A_BAR] = {COLOR_CYAN, A_NORMAL, 0},
		[TM_A_INFO] = {COLOR_BLUE, A_NORMAL, 0},
	};
	for (int i = 0; i < TM_A_NATTR; i++) {
		attrs[i] = a[i].mono;
		if (!color || a[i].fg < 0)
			continue;
		init_pair((short)i, a[i].fg, -1);
		attrs[i] = COLOR_PAIR(i) | a[i].extra;
	}
}

/* The canvas onto curses' screen, runs of one attribute at a time. */
static void blit(const struct tm_top_canvas *cv)
{
	char run[4096];
	erase();
	for (int y = 0; y < cv->h && y < LINES; y++) {
		int x = 0;
		while (x < cv->w) {
			uint8_t at = cv->cell[y * cv->w + x].attr;
			int x0 = x;
			size_t n = 0;
			for (; x < cv->w && cv->cell[y * cv->w + x].attr == at; x++) {
				const char *ch = cv->cell[y * cv->w + x].ch;
				size_t k = strlen(ch);
				if (n + k + 1 > sizeof(run))
					break;
				memcpy(run + n, ch, k);
				n += k;
			}
			run[n] = '\0';
			chtype c = attrs[at & 0x7f] | ((at & TM_A_SEL) ? A_REVERSE : 0);
			attrset(c);
			mvaddstr(y, x0, run); /* the bottom-right cell returns ERR: drawn anyway */
		}
	}
	attrset(A_NORMAL);
}

static int map_key(int ch)
{
	switch (ch) {
	case KEY_UP: return TM_KEY_UP;
	case KEY_DOWN: return TM_KEY_DOWN;
	case KEY_PPAGE: return TM_KEY_PGUP;
	case KEY_NPAGE: return TM_KEY_PGDN;
	case KEY_HOME: return TM_KEY_HOME;
	case KEY_END: return TM_KEY_END;
	case KEY_LEFT: return TM_KEY_LEFT;
	case KEY_RIGHT: return TM_KEY_RIGHT;
	case KEY_ENTER:
	case '\n':
	case '\r': return TM_KEY_ENTER;
	case 27: return TM_KEY_ESC;
	case KEY_BACKSPACE:
	case 127:
	case 8: return TM_KEY_BACKSPACE;
	default: return ch;
	}
}

struct term {
	SCREEN *scr;
	char *old_ctype;
};

static int term_open(struct term *t, const struct tm_top_opts *o, char *err, size_t errlen)
{
	const char *term = getenv("TERM");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "not a terminal (use -b for batch output)");
		return -ENOTTY;
	}
	if (!term || !*term || strcmp(term, "dumb") == 0) {
		snprintf(err, errlen, "TERM=%s cannot draw the view (use -b)", term ? term : "");
		return -ENOTTY;
	}
	const char *cur = setlocale(LC_CTYPE, NULL);
	t->old_ctype = cur ? strdup(cur) : NULL;
	if (cur && strcmp(cur, "C") == 0)
		setlocale(LC_CTYPE, ""); /* the user's, for UTF-8 (tmrun may not have asked) */
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr) {
		char tt[64];
		tm_top_text(tt, sizeof(tt), term);
		snprintf(err, errlen, "cannot use the terminal (TERM=%s)", tt);
		if (t->old_ctype)
			setlocale(LC_CTYPE, t->old_ctype);
		free(t->old_ctype);
		return -ENOTTY;
	}
	set_term(t->scr);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	int color = o->color > 0 || (o->color < 0 && !getenv("NO_COLOR"));
	color = color && has_colors() && start_color() == OK;
	if (color)
		use_default_colors();
	init_attrs(color);
	return 0;
}

static void term_close(struct term *t)
{
	endwin();
	delscreen(t->scr);
	if (t->old_ctype)
		setlocale(LC_CTYPE, t->old_ctype);
	free(t->old_ctype);
}

static void frame(struct tm_top_live *l, struct tm_top_canvas *cv)
{
	if (cv->w != COLS || cv->h != LINES || !cv->cell) {
		tm_cv_free(cv);
		tm_cv_init(cv, COLS, LINES, l->u.utf8);
	}
	if (!cv->cell)
		return;
	tm_top_view_update(l->cur, &l->u);
	tm_top_render(cv, l->cur, &l->u, l->u.detail ? &l->d : NULL);
	blit(cv);
	refresh();
}

int tm_top_tui(struct tm_top_src *src, const struct tm_top_opts *o, char *err, size_t errlen)
{
	struct tm_top_live l;
	struct tm_top_canvas cv = {0};
	struct term t = {0};
	int ret = tm_top_live_init(&l, src, o, err, errlen);
	if (ret == 0 && tm_top_live_refresh(&l, err, errlen) < 0)
		ret = -EIO; /* before the terminal is touched: one plain line */
	if (ret == 0)
		ret = term_open(&t, o, err, errlen);
	if (ret < 0) {
		tm_top_live_free(&l);
		return ret;
	}
	const char *cs = nl_langinfo(CODESET); /* term_open may have set the locale */
	l.u.utf8 = cs && strcmp(cs, "UTF-8") == 0;
	uint64_t next = tm_mono_ns() + (uint64_t)(l.u.delay_s * 1e9);
	for (;;) {
		uint64_t now = tm_mono_ns();
		if (!l.u.paused && now >= next) {
			char e[256];
			tm_top_live_refresh(&l, e, sizeof(e));
			tm_top_live_detail(&l);
			next = tm_mono_ns() + (uint64_t)(l.u.delay_s * 1e9);
		}
		frame(&l, &cv);
		now = tm_mono_ns();
		uint64_t wait = l.u.paused || next <= now ? 200 : (next - now) / 1000000 + 1;
		timeout((int)(wait < 200 ? wait : 200));
		int ch = getch();
		if (o->stop && atomic_load(o->stop)) {
			ret = 0;
			break;
		}
		if (ch == ERR || ch == KEY_RESIZE)
			continue;
		enum tm_top_act a = tm_top_key(&l.u, l.cur, map_key(ch));
		tm_top_view_update(l.cur, &l.u);
		if (a == TM_TOP_ACT_QUIT) {
			ret = 1;
			break;
		}
		if (a == TM_TOP_ACT_REFRESH)
			next = 0;
		else if (a == TM_TOP_ACT_DETAIL)
			tm_top_live_detail(&l);
		else if (a == TM_TOP_ACT_REDRAW)
			clearok(curscr, TRUE);
	}
	term_close(&t);
	tm_cv_free(&cv);
	tm_top_live_free(&l);
	return ret;
}
