/* SPDX-License-Identifier: MIT */
/* tmtop's view model: what one refresh shows, as plain rows, filled by a
 * source (source_local.c from the collector's model, source_http.c from
 * tmcollect --listen) and read by the renderer (render.c) alone. Every
 * text in it is terminal-safe already (tm_top_text): the sources escape
 * the monitored process's bytes as they copy them in. The UI state (sort,
 * filter, window, selection, panes) lives beside it in struct tm_top_ui. */
#ifndef TM_TOP_VIEW_H
#define TM_TOP_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "health/health.h"

#define TM_TOP_NA	 UINT64_MAX /* a figure the source does not have */
#define TM_TOP_SPARK	 60	    /* seconds of the sparkline */
#define TM_TOP_NAME	 256	    /* display text of a name (cut at a character) */
#define TM_TOP_KEY	 832	    /* a source's own key for a function */
#define TM_TOP_RECENT_S	 10	    /* "rising": the last 10 s ... */
#define TM_TOP_DELAY_MIN 0.1	    /* refresh delay, seconds */
#define TM_TOP_DELAY_MAX 60.0

enum tm_top_win { TM_TOP_W_INTERVAL = 0, TM_TOP_W_1M, TM_TOP_W_ALL, TM_TOP_W_COUNT };

/* Columns, in the order they appear; `<`/`>` walk them. */
enum tm_top_col {
	TM_TOP_C_NAME = 0,
	TM_TOP_C_RATE, /* calls/s over the window */
	TM_TOP_C_ERR,  /* failed / judged over the window */
	TM_TOP_C_P50,
	TM_TOP_C_P99,
	TM_TOP_C_P999,
	TM_TOP_C_MAX,
	TM_TOP_C_CALLS, /* since the start */
	TM_TOP_C_TIME,	/* share of the monitored time over the window */
	TM_TOP_C_INFL,	/* calls open at the last sample */
	TM_TOP_C_HEALTH,
	TM_TOP_C_SPARK, /* calls per second, the last 60 s */
	TM_TOP_C_COUNT
};

/* One window of one function. */
struct tm_top_fig {
	uint32_t span_s; /* seconds covered */
	uint64_t calls, ok, failed;
	double sum_ns;				  /* time spent in it (for %TIME) */
	uint64_t p50_ns, p99_ns, p999_ns, max_ns; /* TM_TOP_NA: unknown */
};

struct tm_top_row {
	char name[TM_TOP_NAME];
	char object[64];
	char session[80];
	char key[TM_TOP_KEY]; /* source_http: the name as the API spells it */
	uint32_t id;	      /* source_local: the global symbol */
	int rule;	      /* a success rule judges its calls: error % means something */
	int blocking;	      /* its time is mostly waiting: no % time, left out of the total */
	int inner;	      /* monitored calls were made inside it: its time includes theirs */
	uint64_t calls;	      /* since the start */
	uint64_t in_flight, oldest_ns;
	enum tm_health health;
	struct tm_top_fig fig[TM_TOP_W_COUNT];
	uint32_t spark[TM_TOP_SPARK]; /* calls per sealed second, oldest first */
	uint32_t nspark;	      /* points held (the newest nspark of the 60) */
	int rising_lat, rising_err;
};

struct tm_top_proc {
	int32_t pid;
	char exe[64];
	char status[12]; /* running, exited, crashed, exec */
	int exit_code;	 /* for exited */
	double cpu_pct;	 /* of one core, the last 10 s; < 0: unknown */
	uint64_t rss_bytes;
	uint64_t calls, failed;
};

/* One function's calls in one process (the detail pane's process rows;
 * the filter's pid:N). */
struct tm_top_pfn {
	uint32_t proc, row; /* indices in the model */
	uint64_t calls, failed;
	double sum_ns;
};

struct tm_top_stuck {
	uint32_t row;
	int32_t pid, tid;
	uint64_t age_ns;
};

struct tm_top_alert {
	char name[64];
	char function[TM_TOP_NAME]; /* display name, "" for none */
	char severity[12];
	char state[12]; /* pending, firing, resolved */
	uint64_t start_real_ns, end_real_ns;
	char summary[256];
};

#define TM_TOP_NLOSS 6 /* overflowed noslot reentrant depth nomem corrupt */
extern const char *const tm_top_loss_names[TM_TOP_NLOSS];

struct tm_top_header {
	char session[80];
	char source[160]; /* "local" or HOST:PORT */
	uint32_t running, exited, crashed, execd;
	double cpu_pct; /* running processes, of one core; < 0: unknown */
	uint64_t rss_bytes;
	uint64_t loss[TM_TOP_NLOSS];
	/* the collector on a CPU it shares with the program (collector/loop.c) */
	double budget_pct;    /* the budget it keeps to there, percent; < 0: none */
	int shared_cpu;	      /* it has shared a CPU with a monitored process */
	uint64_t budget_naps; /* naps the budget made longer: calls past it folded */
	enum tm_health health;
	char health_reason[200];
	uint32_t nhealth[TM_H_COUNT]; /* functions in each state */
	uint64_t now_real_ns;	      /* CLOCK_REALTIME of the refresh */
	uint64_t uptime_ns;	      /* of the collector */
	int idle;		      /* every process seen has finished */
	uint32_t waiting;	      /* segments not attached yet (another collector's?) */
	char error[200];	      /* the last refresh failed: why (the rows are older) */
};

struct tm_top_model {
	struct tm_top_header h;
	struct tm_top_row *rows;
	size_t nrows, caprows;
	struct tm_top_proc *procs;
	size_t nprocs, capprocs;
	struct tm_top_pfn *pfn;
	size_t npfn, cappfn;
	struct tm_top_stuck *stuck;
	size_t nstuck, capstuck;
	struct tm_top_alert *alerts; /* every episode, oldest first */
	size_t nalerts, capalerts;
	uint32_t interval_s;		 /* what the "last interval" window covers */
	double total_ns[TM_TOP_W_COUNT]; /* every row's sum_ns (tm_top_model_done) */
};

/* The detail pane's figures of one function, fetched for the selected row. */
struct tm_top_bin {
	uint64_t lo_ns, hi_ns, count; /* calls with a duration in [lo, hi] */
};
struct tm_top_err {
	char name[48];
	char category[16];
	uint64_t count;
};
#define TM_TOP_DERRS 16
struct tm_top_detail {
	int have;
	char name[TM_TOP_NAME], session[80]; /* whose */
	char hist_what[64];		     /* "1m window", "whole run", ... */
	struct tm_top_bin *bins;
	size_t nbins, capbins;
	struct tm_top_err err[TM_TOP_DERRS]; /* whole run, most frequent first */
	size_t nerr;
	uint64_t err_more; /* failures under names beyond the list */
};

/* Keys, as the UI hands them to tm_top_key (tui.c maps curses' codes). */
enum {
	TM_KEY_UP = 0x10000,
	TM_KEY_DOWN,
	TM_KEY_PGUP,
	TM_KEY_PGDN,
	TM_KEY_HOME,
	TM_KEY_END,
	TM_KEY_ENTER,
	TM_KEY_ESC,
	TM_KEY_BACKSPACE,
	TM_KEY_LEFT,
	TM_KEY_RIGHT,
};

enum tm_top_input { TM_TOP_IN_NONE = 0, TM_TOP_IN_FILTER, TM_TOP_IN_DELAY };

struct tm_top_ui {
	enum tm_top_col sort;
	int reverse; /* against the column's natural order */
	enum tm_top_win win;
	char filter[128];
	double delay_s;
	int detail, help, paused;
	int batch;    /* render every row, no selection, no status line */
	int utf8;     /* block characters for sparklines and bars */
	size_t sel;   /* selected position in order */
	size_t first; /* first position shown (scrolling) */
	size_t page;  /* rows that fit, set by the renderer's caller */
	int follow;   /* the user picked a row: the selection follows its function */
	char sel_name[TM_TOP_NAME], sel_session[80]; /* the selection, across refreshes */
	enum tm_top_input input;
	char inbuf[128];
	char msg[160]; /* one line for the status bar */
	size_t *order; /* rows shown, sorted and filtered (tm_top_view_update) */
	size_t norder, caporder;
};

/* view.c */
void tm_top_model_init(struct tm_top_model *m);
void tm_top_model_clear(struct tm_top_model *m); /* rows gone, memory kept */
void tm_top_model_free(struct tm_top_model *m);
/* After a source filled m: the totals the columns divide by. */
void tm_top_model_done(struct tm_top_model *m);
/* Appended zeroed entries, NULL when out of memory. */
struct tm_top_row *tm_top_add_row(struct tm_top_model *m);
struct tm_top_proc *tm_top_add_proc(struct tm_top_model *m);
struct tm_top_pfn *tm_top_add_pfn(struct tm_top_model *m);
struct tm_top_stuck *tm_top_add_stuck(struct tm_top_model *m);
struct tm_top_alert *tm_top_add_alert(struct tm_top_model *m);
void tm_top_detail_free(struct tm_top_detail *d);
int tm_top_add_bin(struct tm_top_detail *d, uint64_t lo, uint64_t hi, uint64_t count);
/* A figure with every latency unknown. */
void tm_top_fig_na(struct tm_top_fig *f);

/* Text from a monitored process (or from a server that relays it) made
 * terminal-safe: tm_term_text (collector/summary.c), cut to fit out. */
void tm_top_text(char *out, size_t len, const char *s);

/* One sealed second, for the trend: calls, judged outcomes and p99. */
struct tm_top_pt {
	uint64_t calls, ok, failed;
	uint64_t p99_ns; /* TM_TOP_NA without timed calls */
};
/* Rising over pts (oldest first): the last TM_TOP_RECENT_S seconds
 * against the ones before. Latency: the median per-second p99 of the last
 * 10 s is 1.5x that of the rest and 1 us more (3 seconds with calls on
 * each side at least); errors: the error rate is 5 points higher (20
 * judged calls on each side at least; rule: a success rule exists). */
void tm_top_trend(const struct tm_top_pt *pts, size_t n, int rule, int *lat, int *err);

void tm_top_ui_init(struct tm_top_ui *u);
void tm_top_ui_free(struct tm_top_ui *u);
/* Recomputes u->order (filter, then sort), keeps the selection on the
 * same function once the user has picked one (until then on the first
 * row), and keeps it on screen. */
int tm_top_view_update(const struct tm_top_model *m, struct tm_top_ui *u);
/* Filter syntax: words, all of which must match; `fn:TEXT` (function
 * name), `obj:TEXT` (object), `pid:N`, `session:TEXT`, plain TEXT: name
 * or object. Case-insensitive substrings. */
int tm_top_row_matches(const struct tm_top_model *m, size_t row, const char *filter);
/* The selected row's index in m->rows, or -1. */
long tm_top_selected(const struct tm_top_model *m, const struct tm_top_ui *u);

/* Column names and sort keys (-s NAME): "name", "calls/s", ... */
const char *tm_top_col_title(enum tm_top_col c);
const char *tm_top_col_key(enum tm_top_col c);
int tm_top_col_parse(const char *s); /* enum tm_top_col, or -1 */
const char *tm_top_win_name(enum tm_top_win w, uint32_t interval_s, char *buf, size_t len);
int tm_top_win_parse(const char *s); /* "interval", "1m", "all"; or -1 */
/* The "last interval" window for a refresh delay: whole seconds, 1 .. 60. */
unsigned tm_top_interval_s(double delay_s);

/* Formatting into buf (NUL-terminated, at most `width` characters). */
void tm_top_fmt_ns(char *buf, size_t len, uint64_t ns); /* 123ns 1.23us 12.3ms */
void tm_top_fmt_count(char *buf, size_t len, uint64_t n, unsigned width);
void tm_top_fmt_rate(char *buf, size_t len, double per_s);
void tm_top_fmt_bytes(char *buf, size_t len, uint64_t b); /* 5.4M */
/* What a row shows for a column in the UI's window. */
double tm_top_rate(const struct tm_top_row *r, enum tm_top_win w);
double tm_top_err_rate(const struct tm_top_row *r, enum tm_top_win w); /* < 0: none */
double tm_top_time_share(const struct tm_top_model *m, const struct tm_top_row *r,
			 enum tm_top_win w); /* 0..1 */

/* keys.c: what a key does to the UI (pure: the caller redraws). */
enum tm_top_act {
	TM_TOP_ACT_NONE = 0,
	TM_TOP_ACT_QUIT,
	TM_TOP_ACT_REFRESH, /* fetch now (window, delay, pause changed) */
	TM_TOP_ACT_DETAIL,  /* the detail pane opened or its function changed */
	TM_TOP_ACT_REDRAW,  /* repaint the whole screen (Ctrl-L) */
};
enum tm_top_act tm_top_key(struct tm_top_ui *u, const struct tm_top_model *m, int key);
/* The help text, one line per entry, NULL-terminated. */
extern const char *const tm_top_help[];

#endif
