/* SPDX-License-Identifier: MIT */
/* What each key does to the UI state (view.h, tm_top_key): pure, so the
 * unit test drives it without a terminal; tui.c redraws afterwards. The
 * help pane and `tmtop --help` print tm_top_help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

const char *const tm_top_help[] = {
	"q            quit",
	"h ?          this help (any key closes it)",
	"Up Down j k  select a function; PgUp PgDn Home End (g G) move faster",
	"Enter        detail of the selected function (Enter or Esc: back)",
	"< >          sort by the column to the left / right",
	"r            reverse the sort",
	"N R E F P X  sort by name, calls/s, error %, p50, p99, p99.9",
	"M C T I H    sort by max, calls, % time, in flight, health",
	"             % time: '+' the time includes monitored calls made inside;",
	"             '*' blocking (waiting: poll, accept...), left out of the total",
	"/            filter: words that must all match, e.g. read, fn:sql obj:libc pid:42",
	"             (Enter keeps it, Esc clears it)",
	"w            window: last interval / 1 min / since start",
	"space        pause (keys still work; the figures stay as they are)",
	"d + -        refresh delay: type seconds / longer / shorter",
	"Ctrl-L       repaint the screen",
	NULL,
};

static const struct {
	int key;
	enum tm_top_col col;
} sort_keys[] = {
	{'N', TM_TOP_C_NAME}, {'R', TM_TOP_C_RATE}, {'E', TM_TOP_C_ERR},    {'F', TM_TOP_C_P50},
	{'P', TM_TOP_C_P99},  {'X', TM_TOP_C_P999}, {'M', TM_TOP_C_MAX},    {'C', TM_TOP_C_CALLS},
	{'T', TM_TOP_C_TIME}, {'I', TM_TOP_C_INFL}, {'H', TM_TOP_C_HEALTH},
};

/* The delays + and - step through. */
static const double ladder[] = {0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 30, 60};
#define NLADDER (sizeof(ladder) / sizeof(ladder[0]))

static double step_delay(double d, int up)
{
	if (up) {
		for (size_t i = 0; i < NLADDER; i++)
			if (ladder[i] > d + 1e-9)
				return ladder[i];
		return ladder[NLADDER - 1];
	}
	for (size_t i = NLADDER; i-- > 0;)
		if (ladder[i] < d - 1e-9)
			return ladder[i];
	return ladder[0];
}

static void set_delay(struct tm_top_ui *u, double d)
{
	if (d < TM_TOP_DELAY_MIN)
		d = TM_TOP_DELAY_MIN;
	if (d > TM_TOP_DELAY_MAX)
		d = TM_TOP_DELAY_MAX;
	u->delay_s = d;
	snprintf(u->msg, sizeof(u->msg), "refresh every %.2g s", d);
}

/* A key while a line is being typed (filter or delay). */
static enum tm_top_act input_key(struct tm_top_ui *u, int key)
{
	size_t n = strlen(u->inbuf);
	int filter = u->input == TM_TOP_IN_FILTER;
	if (key == TM_KEY_ESC) {
		if (filter)
			u->filter[0] = '\0';
		u->input = TM_TOP_IN_NONE;
		u->msg[0] = '\0';
		return TM_TOP_ACT_NONE;
	}
	if (key == TM_KEY_ENTER) {
		u->input = TM_TOP_IN_NONE;
		if (filter)
			return TM_TOP_ACT_NONE;
		char *end;
		double d = strtod(u->inbuf, &end);
		if (end == u->inbuf || *end || !(d > 0)) {
			snprintf(u->msg, sizeof(u->msg), "delay: expected seconds, e.g. 0.5 or 2");
			return TM_TOP_ACT_NONE;
		}
		set_delay(u, d);
		return TM_TOP_ACT_REFRESH;
	}
	if (key == TM_KEY_BACKSPACE || key == 127 || key == 8) {
		if (n)
			u->inbuf[n - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && n + 1 < sizeof(u->inbuf)) {
		if (!filter && !((key >= '0' && key <= '9') || key == '.'))
			return TM_TOP_ACT_NONE;
		u->inbuf[n] = (char)key;
		u->inbuf[n + 1] = '\0';
	} else {
		return TM_TOP_ACT_NONE;
	}
	if (filter) /* the list follows the typing */
		snprintf(u->filter, sizeof(u->filter), "%s", u->inbuf);
	return TM_TOP_ACT_NONE;
}

static enum tm_top_act move(struct tm_top_ui *u, long by)
{
	size_t old = u->sel;
	if (!u->norder)
		return TM_TOP_ACT_NONE;
	if (by < 0)
		u->sel = (size_t)-by > u->sel ? 0 : u->sel - (size_t)-by;
	else
		u->sel = u->sel + (size_t)by >= u->norder ? u->norder - 1 : u->sel + (size_t)by;
	u->sel_name[0] = '\0'; /* the position decides now: update takes the new name */
	u->follow = 1;
	return u->detail && u->sel != old ? TM_TOP_ACT_DETAIL : TM_TOP_ACT_NONE;
}

static enum tm_top_act sort_by(struct tm_top_ui *u, enum tm_top_col c)
{
	if (u->sort == c)
		u->reverse = !u->reverse;
	else {
		u->sort = c;
		u->reverse = 0;
	}
	snprintf(u->msg, sizeof(u->msg), "sort: %s%s", tm_top_col_key(c),
		 u->reverse ? " (reversed)" : "");
	return TM_TOP_ACT_NONE;
}

enum tm_top_act tm_top_key(struct tm_top_ui *u, const struct tm_top_model *m, int key)
{
	(void)m;
	if (u->input != TM_TOP_IN_NONE)
		return input_key(u, key);
	if (u->help && key != 'q') {
		u->help = 0;
		return TM_TOP_ACT_NONE;
	}
	long page = u->page > 1 ? (long)u->page - 1 : 1;
	switch (key) {
	case 'q': return TM_TOP_ACT_QUIT;
	case 'h':
	case '?': u->help = 1; return TM_TOP_ACT_NONE;
	case TM_KEY_ESC:
		u->detail = 0;
		u->msg[0] = '\0';
		return TM_TOP_ACT_NONE;
	case TM_KEY_ENTER:
		if (u->detail) {
			u->detail = 0;
			return TM_TOP_ACT_NONE;
		}
		if (!u->norder)
			return TM_TOP_ACT_NONE;
		u->detail = 1;
		u->follow = 1; /* the pane stays on this function */
		return TM_TOP_ACT_DETAIL;
	case TM_KEY_UP:
	case 'k': return move(u, -1);
	case TM_KEY_DOWN:
	case 'j': return move(u, 1);
	case TM_KEY_PGUP: return move(u, -page);
	case TM_KEY_PGDN: return move(u, page);
	case TM_KEY_HOME:
	case 'g': return move(u, -(long)u->norder);
	case TM_KEY_END:
	case 'G': return move(u, (long)u->norder);
	case '<':
	case TM_KEY_LEFT:
		if (u->sort > 0)
			sort_by(u, (enum tm_top_col)(u->sort - 1));
		return TM_TOP_ACT_NONE;
	case '>':
	case TM_KEY_RIGHT:
		if (u->sort + 1 < TM_TOP_C_COUNT)
			sort_by(u, (enum tm_top_col)(u->sort + 1));
		return TM_TOP_ACT_NONE;
	case 'r':
		u->reverse = !u->reverse;
		snprintf(u->msg, sizeof(u->msg), "sort: %s%s", tm_top_col_key(u->sort),
			 u->reverse ? " (reversed)" : "");
		return TM_TOP_ACT_NONE;
	case 'w':
		u->win = (enum tm_top_win)((u->win + 1) % TM_TOP_W_COUNT);
		return u->detail ? TM_TOP_ACT_DETAIL : TM_TOP_ACT_NONE;
	case ' ':
		u->paused = !u->paused;
		u->msg[0] = '\0';
		return u->paused ? TM_TOP_ACT_NONE : TM_TOP_ACT_REFRESH;
	case '+': set_delay(u, step_delay(u->delay_s, 1)); return TM_TOP_ACT_REFRESH;
	case '-': set_delay(u, step_delay(u->delay_s, 0)); return TM_TOP_ACT_REFRESH;
	case 'd':
		u->input = TM_TOP_IN_DELAY;
		u->inbuf[0] = '\0';
		return TM_TOP_ACT_NONE;
	case '/':
		u->input = TM_TOP_IN_FILTER;
		snprintf(u->inbuf, sizeof(u->inbuf), "%s", u->filter);
		return TM_TOP_ACT_NONE;
	case 'L' & 0x1f: return TM_TOP_ACT_REDRAW;
	default: break;
	}
	for (size_t i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++)
		if (key == sort_keys[i].key)
			return sort_by(u, sort_keys[i].col);
	return TM_TOP_ACT_NONE;
}
