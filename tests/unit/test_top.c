/* SPDX-License-Identifier: MIT */
/* tmtop's renderer on a fixed view model: whole screens against expected
 * text at 80x24 and 120x40, sorting, filtering, the detail pane with its
 * histogram bars, columns dropped on a narrow terminal, hostile names,
 * keys, the trend rule, batch text and JSON lines. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "view.h"

#define NS 1000000000ull
#define US 1000ull
#define MS 1000000ull

static struct tm_top_model M;
static struct tm_top_ui U;
static struct tm_top_detail D;

static void fig(struct tm_top_fig *f, uint32_t span, uint64_t calls, uint64_t failed, double sum_ns,
		uint64_t p50, uint64_t p99, uint64_t p999, uint64_t mx)
{
	*f = (struct tm_top_fig){span, calls, calls - failed, failed, sum_ns, p50, p99, p999, mx};
}

static struct tm_top_row *row(const char *name, const char *obj, int rule, uint64_t calls,
			      enum tm_health h)
{
	struct tm_top_row *r = tm_top_add_row(&M);
	cr_assert(r);
	tm_top_text(r->name, sizeof(r->name), name);
	snprintf(r->object, sizeof(r->object), "%s", obj);
	snprintf(r->session, sizeof(r->session), "svc");
	r->rule = rule;
	r->calls = calls;
	r->health = h;
	r->nspark = TM_TOP_SPARK;
	return r;
}

static void proc(int pid, const char *exe, const char *status, double cpu, uint64_t rss)
{
	struct tm_top_proc *p = tm_top_add_proc(&M);
	cr_assert(p);
	p->pid = pid;
	snprintf(p->exe, sizeof(p->exe), "%s", exe);
	snprintf(p->status, sizeof(p->status), "%s", status);
	p->cpu_pct = cpu;
	p->rss_bytes = rss;
}

static void pfn(uint32_t proc, uint32_t row, uint64_t calls, uint64_t failed, double sum)
{
	struct tm_top_pfn *f = tm_top_add_pfn(&M);
	cr_assert(f);
	*f = (struct tm_top_pfn){proc, row, calls, failed, sum};
}

static void alert(const char *name, const char *fn, const char *sev, const char *state,
		  uint64_t start, uint64_t end, const char *summary)
{
	struct tm_top_alert *a = tm_top_add_alert(&M);
	cr_assert(a);
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->function, sizeof(a->function), "%s", fn);
	snprintf(a->severity, sizeof(a->severity), "%s", sev);
	snprintf(a->state, sizeof(a->state), "%s", state);
	a->start_real_ns = start;
	a->end_real_ns = end;
	snprintf(a->summary, sizeof(a->summary), "%s", summary);
}

#define T0 1796126400000000000ull /* 2026-12-01 12:00:00 UTC */

/* Five functions of a service in two processes (and one that exited). */
static void fixture(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	cr_assert(setlocale(LC_CTYPE, "C.UTF-8"), "the C.UTF-8 locale");
	tm_top_model_init(&M);
	tm_top_ui_init(&U);
	U.utf8 = 1;
	struct tm_top_header *h = &M.h;
	snprintf(h->session, sizeof(h->session), "svc");
	snprintf(h->source, sizeof(h->source), "local");
	h->running = 2;
	h->exited = 1;
	h->cpu_pct = 12.5;
	h->rss_bytes = 5767168;
	h->loss[0] = 12; /* overflowed */
	h->health = TM_H_DEGRADED;
	snprintf(h->health_reason, sizeof(h->health_reason), "phase_work: p99 5.14 ms > 3 ms");
	h->now_real_ns = T0 + 125 * NS;
	h->uptime_ns = 125 * NS;
	M.interval_s = 1;
	h->nhealth[TM_H_HEALTHY] = 2;
	h->nhealth[TM_H_DEGRADED] = 1;
	h->nhealth[TM_H_UNKNOWN] = 2;

	struct tm_top_row *r = row("phase_work", "libphase.so", 1, 24000, TM_H_DEGRADED);
	fig(&r->fig[TM_TOP_W_INTERVAL], 1, 200, 20, 1.0e9, 5 * MS, 5140 * US, 5140 * US, 5900 * US);
	fig(&r->fig[TM_TOP_W_1M], 60, 12000, 1000, 6.0e10, 512 * US, 5140 * US, 6200 * US,
	    7900 * US);
	fig(&r->fig[TM_TOP_W_ALL], 125, 24000, 2000, 9.0e10, 505 * US, 4900 * US, 6100 * US,
	    7900 * US);
	r->in_flight = 1;
	r->oldest_ns = 2500 * MS;
	r->rising_lat = 1;
	for (int i = 0; i < TM_TOP_SPARK; i++)
		r->spark[i] = 200;

	r = row("read", "libc.so.6", 1, 500000, TM_H_HEALTHY);
	fig(&r->fig[TM_TOP_W_INTERVAL], 1, 1100, 0, 1.1e6, 1100, 2500, 3000, 4000);
	fig(&r->fig[TM_TOP_W_1M], 60, 60000, 12, 7.2e7, 1200, 2600, 9800, 41 * US);
	fig(&r->fig[TM_TOP_W_ALL], 125, 500000, 50, 6.0e8, 1180, 2700, 9900, 88 * US);
	for (int i = 0; i < TM_TOP_SPARK; i++)
		r->spark[i] = (uint32_t)(500 + 20 * i);

	r = row("write", "libc.so.6", 1, 120000, TM_H_HEALTHY);
	fig(&r->fig[TM_TOP_W_INTERVAL], 1, 900, 0, 2.7e6, 2900, 8000, 9000, 9500);
	fig(&r->fig[TM_TOP_W_1M], 60, 54000, 0, 1.6e8, 3000, 8100, 12 * US, 30 * US);
	fig(&r->fig[TM_TOP_W_ALL], 125, 120000, 0, 3.6e8, 3000, 8000, 12 * US, 30 * US);
	for (int i = 0; i < TM_TOP_SPARK; i++)
		r->spark[i] = i < 30 ? 0 : 1800;

	r = row("sqlite3_step", "libsqlite3.so.0", 1, 9000, TM_H_UNKNOWN);
	fig(&r->fig[TM_TOP_W_INTERVAL], 1, 10, 5, 1.0e5, 9 * US, 20 * US, 20 * US, 21 * US);
	fig(&r->fig[TM_TOP_W_1M], 60, 600, 30, 6.0e6, 8 * US, 19 * US, 25 * US, 40 * US);
	fig(&r->fig[TM_TOP_W_ALL], 125, 9000, 60, 9.0e7, 8 * US, 18 * US, 25 * US, 40 * US);
	r->rising_err = 1;
	r->nspark = 20; /* seen only for the last 20 s */
	for (int i = TM_TOP_SPARK - 20; i < TM_TOP_SPARK; i++)
		r->spark[i] = (uint32_t)(i % 5);

	/* a name with a terminal escape in it, from a hostile process */
	r = row("evil\x1b[2J\x9b"
		"31mname",
		"libx.so", 0, 3, TM_H_UNKNOWN);
	fig(&r->fig[TM_TOP_W_INTERVAL], 1, 0, 0, 0, TM_TOP_NA, TM_TOP_NA, TM_TOP_NA, TM_TOP_NA);
	fig(&r->fig[TM_TOP_W_1M], 60, 3, 0, 300, 100, 100, 100, 100);
	fig(&r->fig[TM_TOP_W_ALL], 125, 3, 0, 300, 100, 100, 100, 100);
	r->nspark = 0;

	proc(42, "service", "running", 10.0, 4 * 1048576);
	proc(43, "worker", "running", 2.5, 1572864);
	proc(41, "init", "exited", -1, 0);
	pfn(0, 0, 20000, 1800, 7.5e10);
	pfn(1, 0, 4000, 200, 1.5e10);
	pfn(0, 1, 500000, 50, 6.0e8);
	pfn(1, 2, 120000, 0, 3.6e8);
	pfn(2, 3, 9000, 60, 9.0e7);
	struct tm_top_stuck *s = tm_top_add_stuck(&M);
	*s = (struct tm_top_stuck){0, 42, 44, 2500 * MS};
	alert("phase_errors", "phase_work", "critical", "resolved", T0 + 20 * NS, T0 + 50 * NS,
	      "phase_work: error rate 18% > 10% over 10s, most EIO");
	alert("phase_slow", "phase_work", "warning", "firing", T0 + 100 * NS, 0,
	      "phase_work: p99 5.14 ms > 3 ms over 10s");
	tm_top_model_done(&M);

	memset(&D, 0, sizeof(D));
	D.have = 1;
	snprintf(D.hist_what, sizeof(D.hist_what), "last minute");
	/* 12 000 calls around 0.5 ms and a tail at 5 ms */
	static const struct {
		uint64_t lo, n;
	} bins[] = {{480 * US, 3000}, {496 * US, 4500}, {512 * US, 3000}, {528 * US, 1200},
		    {4900 * US, 200}, {5100 * US, 80},	{6200 * US, 15},  {7800 * US, 5}};
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
		cr_assert(tm_top_add_bin(&D, bins[i].lo, bins[i].lo + 15 * US, bins[i].n) == 0);
	D.err[0] = (struct tm_top_err){"EIO", "io", 1900};
	D.err[1] = (struct tm_top_err){"EINTR", "interrupted", 100};
	D.nerr = 2;
}

static void teardown(void)
{
	tm_top_model_free(&M);
	tm_top_ui_free(&U);
	tm_top_detail_free(&D);
}

static struct tm_top_canvas CV;

/* Renders the fixture at w x h; the canvas stays in CV. */
static void render(int w, int h)
{
	tm_cv_free(&CV);
	cr_assert(tm_cv_init(&CV, w, h, U.utf8) == 0);
	cr_assert(tm_top_view_update(&M, &U) == 0);
	tm_top_render(&CV, &M, &U, U.detail ? &D : NULL);
}

static const char *line(int y)
{
	static char buf[4096];
	tm_cv_line(&CV, y, buf, sizeof(buf));
	return buf;
}

/* The whole screen against expected lines, NULL-terminated. An entry
 * "~" stands for blank lines down to where the entries after it meet the
 * bottom of the screen; lines past the last entry must be blank. Prints
 * the screen when it differs. */
static void expect_screen(const char *const *want)
{
	int n = 0, gap = -1, bad = -1;
	while (want[n])
		n++;
	for (int i = 0; i < n; i++)
		if (strcmp(want[i], "~") == 0)
			gap = i;
	for (int y = 0, i = 0; y < CV.h && bad < 0; y++) {
		const char *w = "";
		if (i == gap && CV.h - y > n - gap - 1) {
			w = ""; /* inside the gap */
		} else {
			if (i == gap)
				i++;
			w = i < n ? want[i++] : "";
		}
		if (strcmp(line(y), w) != 0)
			bad = y;
	}
	if (bad >= 0) {
		fprintf(stderr, "---- screen %dx%d (first difference at line %d)\n", CV.w, CV.h,
			bad);
		for (int y = 0; y < CV.h; y++)
			fprintf(stderr, "\"%s\",\n", line(y));
		cr_assert_fail("line %d differs: '%s'", bad, line(bad));
	}
}

static uint8_t attr_at(int y, int x)
{
	return CV.cell[y * CV.w + x].attr;
}

TestSuite(top, .init = fixture, .fini = teardown);

Test(top, screen_80x24)
{
	static const char *const want[] = {
		"tmtop  svc  local  window 1 min  every 1s                               12:02:05",
		"procs 2 running, 1 exited, 0 crashed   calls/s 2.11k   cpu 12.5%   rss 5.5M",
		"health degraded  functions: 2 healthy 1 degraded 2 unknown  (phase_work: p99 5.1",
		"loss overflowed 12   alerts 1 firing: warning phase_work: p99 5.14 ms > 3 ms ove",
		"FUNCTION          CALLS/S▼   ERR%     P50     P99     CALLS HEALTH    LAST 60s",
		"read                 1.00k  0.02%  1.20us  2.60us    500000 healthy   ▃▄▄▅▆▆▇▇██",
		"write                900.0     0%  3.00us  8.10us    120000 healthy        █████",
		"phase_work           200.0  8.33%   512us 5.14ms↑     24000 degraded  ██████████",
		"sqlite3_step          10.0 5.00%↑  8.00us  19.0us      9000 unknown         ▁▇██",
		"evil\\x1b[2J\\x9b3…      0.1      -   100ns   100ns         3 unknown",
		"~",
		"h help  q quit  / filter  Enter detail  < > sort  w window     sort calls/s  5/5",
		NULL};
	render(80, 24);
	expect_screen(want);
}

Test(top, screen_120x40)
{
	static const char *const want[] = {
		"tmtop  svc  local  window 1 min  every 1s                                       "
		"                                12:02:05",
		"procs 2 running, 1 exited, 0 crashed   calls/s 2.11k   cpu 12.5%   rss 5.5M",
		"health degraded  functions: 2 healthy 1 degraded 2 unknown  (phase_work: p99 5.14 "
		"ms "
		"> 3 ms)",
		"loss overflowed 12   alerts 1 firing: warning phase_work: p99 5.14 ms > 3 ms over "
		"10s",
		"FUNCTION               CALLS/S▼   ERR%     P50     P99   P99.9     MAX     CALLS  "
		"%TIME "
		" INFL HEALTH    LAST 60s",
		"read                      1.00k  0.02%  1.20us  2.60us  9.80us  41.0us    500000  "
		"0.12% "
		"    0 healthy   ▃▃▄▄▅▅▅▆▆▇▇▇███",
		"write                     900.0     0%  3.00us  8.10us  12.0us  30.0us    120000  "
		"0.27% "
		"    0 healthy          ▄███████",
		"phase_work                200.0  8.33%   512us 5.14ms↑  6.20ms  7.90ms     24000  "
		"99.6% "
		"    1 degraded  ███████████████",
		"sqlite3_step               10.0 5.00%↑  8.00us  19.0us  25.0us  40.0us      9000  "
		"0.01% "
		"    0 unknown             ▅▆▇██",
		"evil\\x1b[2J\\x9b31mname      0.1      -   100ns   100ns   100ns   100ns         "
		"3  "
		"0.00%     0 unknown",
		"~",
		"h help  q quit  / filter  Enter detail  < > sort  w window                        "
		"  "
		"                   sort calls/s  5/5",
		NULL};
	render(120, 40);
	expect_screen(want);
}

/* The names of the rows on screen, top to bottom, joined by spaces. */
static const char *order(void)
{
	static char buf[512];
	buf[0] = '\0';
	for (size_t i = 0; i < U.norder; i++) {
		const char *n = M.rows[U.order[i]].name;
		if (strncmp(n, "evil", 4) == 0)
			n = "evil"; /* the hostile one, by its first letters */
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", n);
	}
	for (int y = TM_TOP_HEADER_LINES + 1, i = 0; (size_t)i < U.norder; y++, i++)
		cr_assert(strncmp(line(y), M.rows[U.order[i]].name, 4) == 0, "line %d: %s", y,
			  line(y));
	return buf;
}

Test(top, sorting)
{
	render(120, 40);
	cr_expect_str_eq(order(), "read write phase_work sqlite3_step evil");
	tm_top_key(&U, &M, 'P'); /* p99, largest first */
	render(120, 40);
	cr_expect_str_eq(order(), "phase_work sqlite3_step write read evil");
	cr_expect(strstr(line(TM_TOP_HEADER_LINES), "P99▼"), "%s", line(TM_TOP_HEADER_LINES));
	cr_expect_eq(U.sel, 0, "no row picked yet: the selection stays on the first");
	cr_expect(attr_at(TM_TOP_HEADER_LINES + 1, 0) & TM_A_SEL);
	tm_top_key(&U, &M, 'r');
	render(120, 40);
	cr_expect_str_eq(order(), "evil read write sqlite3_step phase_work");
	cr_expect(strstr(line(TM_TOP_HEADER_LINES), "P99▲"));
	tm_top_key(&U, &M, 'N'); /* name: alphabetical */
	render(120, 40);
	cr_expect_str_eq(order(), "evil phase_work read sqlite3_step write");
	tm_top_key(&U, &M, '>'); /* next column: calls/s */
	render(120, 40);
	cr_expect_str_eq(order(), "read write phase_work sqlite3_step evil");
	tm_top_key(&U, &M, '>'); /* error %: the functions without a rule last */
	render(120, 40);
	cr_expect_str_eq(order(), "phase_work sqlite3_step read write evil");
	tm_top_key(&U, &M, 'H'); /* health: the worst first */
	render(120, 40);
	cr_expect_str_eq(order(), "phase_work evil sqlite3_step read write");
	tm_top_key(&U, &M, 'w'); /* the window: since start, then the last interval */
	tm_top_key(&U, &M, 'w');
	tm_top_key(&U, &M, 'F');
	render(120, 40);
	cr_expect_str_eq(order(), "phase_work sqlite3_step write read evil");
	cr_expect(strstr(line(0), "window last 1s"), "%s", line(0));
}

Test(top, filter)
{
	tm_top_key(&U, &M, '/');
	for (const char *k = "libc"; *k; k++)
		tm_top_key(&U, &M, *k);
	render(80, 24);
	cr_expect_str_eq(order(), "read write");
	cr_expect_str_eq(line(23), "filter: libc_                                   "
				   "sort calls/s  filter 'libc'  2/5");
	tm_top_key(&U, &M, TM_KEY_ENTER);
	render(80, 24);
	cr_expect(strstr(line(23), "filter 'libc'  2/5"));
	struct {
		const char *f, *want;
	} cases[] = {
		{"fn:write", "write"},
		{"obj:sqlite", "sqlite3_step"},
		{"pid:43", "write phase_work"},
		{"pid:41", "sqlite3_step"},
		{"pid:43 obj:libc", "write"},
		{"PHASE", "phase_work"},
		{"session:svc fn:e", "read write phase_work sqlite3_step evil"},
		{"nothing", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(U.filter, sizeof(U.filter), "%s", cases[i].f);
		render(80, 24);
		cr_expect_str_eq(order(), cases[i].want, "filter %s", cases[i].f);
	}
	cr_expect_str_eq(line(5), "  no function matches the filter");
	tm_top_key(&U, &M, '/');
	tm_top_key(&U, &M, TM_KEY_ESC); /* Esc clears it */
	render(80, 24);
	cr_expect_eq(U.norder, 5);
}

Test(top, detail_120x40)
{
	static const char *const want[] = {
		"tmtop  svc  local  window 1 min  every 1s                                         "
		"                              12:02:05",
		"procs 2 running, 1 exited, 0 crashed   calls/s 2.11k   cpu 12.5%   rss 5.5M",
		"health degraded  functions: 2 healthy 1 degraded 2 unknown  (phase_work: p99 5.14 "
		"ms > 3 ms)",
		"loss overflowed 12   alerts 1 firing: warning phase_work: p99 5.14 ms > 3 ms over "
		"10s",
		"phase_work  libphase.so  session svc  degraded",
		"1 min: 12000 calls  200.0/s  1000 failed (8.33%)  since start: 24000 calls",
		"p50 512us  p99 5.14ms  p99.9 6.20ms  max 7.90ms  latency rising",
		"",
		"latency, last minute: 12000 calls                            errors, whole run",
		"   ≤495us █████████████████████████▍                  3000     EIO                "
		"      1900  io",
		"   ≤511us ██████████████████████████████████████      4500     EINTR              "
		"       100  interrupted",
		"   ≤527us █████████████████████████▍                  3000",
		"   ≤543us ██████████▏                                 1200   pid           calls  "
		"  failed      time  process",
		"  ≤4.92ms █▊                                           200   42            20000  "
		"    1800     75.0s  service",
		"  ≤5.12ms ▋                                             80   43             4000  "
		"     200     15.0s  worker",
		"  ≤6.21ms ▏                                             15",
		"  ≤7.82ms ▏                                              5   open calls: 1, "
		"oldest 2.50s",
		"                                                               stuck: pid 42 tid "
		"44 open for 2.50s",
		"",
		"                                                             alerts",
		"                                                               firing   warning  "
		"12:01:40- phase_work: p99 5.14 ms > 3 m",
		"                                                               resolved critical "
		"12:00:20-12:00:50 phase_work: error rat",
		"~",
		"Enter/Esc back  w window  h help  q quit                                          "
		"                         sort p99  5/5",
		NULL};
	U.sort = TM_TOP_C_P99;
	tm_top_view_update(&M, &U);
	cr_assert_eq(tm_top_key(&U, &M, TM_KEY_ENTER), TM_TOP_ACT_DETAIL);
	render(120, 40);
	expect_screen(want);
}

Test(top, detail_80x24)
{
	static const char *const want[] = {
		"tmtop  svc  local  window 1 min  every 1s                               12:02:05",
		"procs 2 running, 1 exited, 0 crashed   calls/s 2.11k   cpu 12.5%   rss 5.5M",
		"health degraded  functions: 2 healthy 1 degraded 2 unknown  (phase_work: p99 5.1",
		"loss overflowed 12   alerts 1 firing: warning phase_work: p99 5.14 ms > 3 ms ove",
		"phase_work  libphase.so  session svc  degraded",
		"1 min: 12000 calls  200.0/s  1000 failed (8.33%)  since start: 24000 calls",
		"p50 512us  p99 5.14ms  p99.9 6.20ms  max 7.90ms  latency rising",
		"latency, last minute: 12000 calls",
		"   ≤543us ███████████████████████████████████████████████████████████     11700",
		"  ≤1.47ms                                                                     0",
		"  ≤2.56ms                                                                     0",
		"  ≤4.47ms                                                                     0",
		"  ≤7.82ms █▌                                                                300",
		"errors, whole run",
		"  EIO                      1900  io",
		"  EINTR                     100  interrupted",
		"pid           calls    failed      time  process",
		"42            20000      1800     75.0s  service",
		"43             4000       200     15.0s  worker",
		"open calls: 1, oldest 2.50s",
		"  stuck: pid 42 tid 44 open for 2.50s",
		"alerts",
		"  firing   warning  12:01:40- phase_work: p99 5.14 ms > 3 ms over 10s",
		"~",
		"Enter/Esc back  w window  h help  q quit                           sort p99  5/5",
		NULL};
	U.sort = TM_TOP_C_P99;
	tm_top_view_update(&M, &U);
	tm_top_key(&U, &M, TM_KEY_ENTER);
	render(80, 24);
	expect_screen(want);
}

/* The column header's titles, in order. */
static const char *titles(void)
{
	return line(TM_TOP_HEADER_LINES);
}

Test(top, narrow_drops_columns)
{
	render(60, 20);
	cr_expect_str_eq(titles(), "FUNCTION         CALLS/S▼   ERR%     P99     CALLS HEALTH");
	cr_expect_str_eq(line(5), "read                1.00k  0.02%  2.60us    500000 healthy");
	render(40, 12);
	cr_expect_str_eq(titles(), "FUNCTION         CALLS/S▼   ERR%     P99");
	render(30, 10); /* what is left widens the names */
	cr_expect_str_eq(titles(), "FUNCTION              CALLS/S▼");
	for (int y = 0; y < CV.h; y++) /* nothing ever past the edge */
		cr_expect(tm_cv_width(&CV, line(y)) <= 30, "line %d: %s", y, line(y));
	render(200, 30); /* everything, and the whole minute of the sparkline */
	cr_expect_str_eq(titles(),
			 "FUNCTION               CALLS/S▼   ERR%     P50     P99   P99.9     "
			 "MAX     CALLS  %TIME  INFL HEALTH    LAST 60s");
	char spark[256] = " ";
	for (int i = 0; i < 30; i++) /* write: 30 s without calls, then 30 s of them */
		strcat(spark, " ");
	for (int i = 0; i < 30; i++)
		strcat(spark, "█");
	const char *w = line(6);
	cr_expect(strlen(w) > strlen(spark) && strcmp(w + strlen(w) - strlen(spark), spark) == 0 &&
			  tm_cv_width(&CV, w) == 164,
		  "%s", w);
}

/* No cell holds a control character (C0, DEL, C1) or a broken sequence. */
static void expect_inert(void)
{
	for (int i = 0; i < CV.w * CV.h; i++) {
		const unsigned char *c = (const unsigned char *)CV.cell[i].ch;
		cr_assert(!(c[0] < 0x20 && c[0]) && c[0] != 0x7f, "cell %d: byte %02x", i, c[0]);
		cr_assert(!(c[0] == 0xc2 && c[1] >= 0x80 && c[1] < 0xa0), "cell %d: C1", i);
		cr_assert(c[0] < 0x80 || (c[0] >= 0xc2 && c[0] <= 0xf4), "cell %d: %02x", i, c[0]);
	}
}

Test(top, hostile_names_are_inert)
{
	render(120, 40);
	expect_inert();
	cr_expect(strstr(line(9), "evil\\x1b[2J\\x9b31mname "), "%s", line(9));
	U.sel = 4; /* the detail of the hostile one */
	U.sel_name[0] = '\0';
	tm_top_key(&U, &M, TM_KEY_ENTER);
	render(120, 40);
	expect_inert();
	cr_expect_str_eq(line(4), "evil\\x1b[2J\\x9b31mname  libx.so  session svc  unknown");
	/* the canvas itself refuses what a caller might pass unescaped */
	tm_cv_clear(&CV);
	cr_expect_eq(tm_cv_put(&CV, 0, 0, -1, 0, "a\x1b[31mb\tc\x7f\xc2\x9b\xff!"), 13);
	cr_expect_str_eq(line(0), "a?[31mb?c??"
				  "?!");
	expect_inert();
	tm_cv_clear(&CV);
	cr_expect_eq(tm_cv_put(&CV, 0, 0, 3, 0, "日本語"), 2); /* never half a wide character */
	cr_expect_eq(tm_cv_put(&CV, 1, 0, -1, 0, "日本語"), 6);
	cr_expect_str_eq(line(1), "日本語");
	tm_cv_put(&CV, 1, 1, 1, 0, "x"); /* over the second half of 日 */
	cr_expect_str_eq(line(1), " x本語");
}

Test(top, attributes)
{
	render(120, 40);
	cr_expect_eq(attr_at(4, 0), TM_A_HEAD);
	cr_expect_eq(attr_at(39, 0), TM_A_HEAD);
	for (int x = 0; x < 120; x++) /* the selection: read, the first row */
		cr_expect(attr_at(5, x) & TM_A_SEL, "column %d", x);
	cr_expect_eq(attr_at(6, 0), TM_A_NORMAL);
	cr_expect_eq(attr_at(7, 0), TM_A_RISE);	 /* phase_work: latency rising */
	cr_expect_eq(attr_at(7, 48), TM_A_RISE); /* its p99 */
	cr_expect_eq(attr_at(7, 95), TM_A_WARN); /* degraded */
	cr_expect_eq(attr_at(6, 95), TM_A_GOOD); /* healthy */
	cr_expect_eq(attr_at(8, 32), TM_A_RISE); /* sqlite3_step's error % */
	cr_expect_eq(attr_at(8, 95), TM_A_DIM);	 /* unknown */
	cr_expect_eq(attr_at(3, 5), TM_A_BAD);	 /* loss overflowed 12 */
	cr_expect_eq(attr_at(3, 21), TM_A_NORMAL);
	cr_expect_eq(attr_at(3, 38), TM_A_BAD); /* an alert firing */
	cr_expect_eq(attr_at(7, 105), TM_A_BAR);
}

Test(top, ascii_without_utf8)
{
	U.utf8 = 0;
	render(120, 40);
	cr_expect(strstr(titles(), "CALLS/Sv"), "%s", titles());
	cr_expect(strstr(line(5), "healthy   --==+++**###@@@"), "%s", line(5));
	cr_expect(strstr(line(7), "5.14ms^"), "%s", line(7));
	U.sort = TM_TOP_C_P99;
	tm_top_view_update(&M, &U);
	tm_top_key(&U, &M, TM_KEY_ENTER);
	render(120, 40);
	cr_expect_str_eq(line(10), "  <=511us ######################################      4500     "
				   "EINTR                     100  interrupted");
	for (int y = 0; y < CV.h; y++)
		for (const unsigned char *c = (const unsigned char *)line(y); *c; c++)
			cr_assert(*c < 0x80, "line %d: %s", y, line(y));
}

Test(top, keys)
{
	tm_top_view_update(&M, &U);
	cr_expect_eq(tm_top_key(&U, &M, '+'), TM_TOP_ACT_REFRESH);
	cr_expect_float_eq(U.delay_s, 2, 1e-9);
	tm_top_key(&U, &M, '-');
	tm_top_key(&U, &M, '-');
	cr_expect_float_eq(U.delay_s, 0.5, 1e-9);
	tm_top_key(&U, &M, 'd');
	for (const char *k = "2x.5"; *k; k++) /* the x is refused */
		tm_top_key(&U, &M, *k);
	cr_expect_eq(tm_top_key(&U, &M, TM_KEY_ENTER), TM_TOP_ACT_REFRESH);
	cr_expect_float_eq(U.delay_s, 2.5, 1e-9);
	tm_top_key(&U, &M, 'd');
	cr_expect_eq(tm_top_key(&U, &M, TM_KEY_ENTER), TM_TOP_ACT_NONE); /* nothing typed */
	cr_expect_float_eq(U.delay_s, 2.5, 1e-9);
	cr_expect(strstr(U.msg, "expected seconds"));
	for (int i = 0; i < 20; i++)
		tm_top_key(&U, &M, '+');
	cr_expect_float_eq(U.delay_s, TM_TOP_DELAY_MAX, 1e-9);

	cr_expect_eq(tm_top_key(&U, &M, ' '), TM_TOP_ACT_NONE);
	render(80, 24);
	cr_expect(strstr(line(0), "PAUSED"), "%s", line(0));
	cr_expect_eq(tm_top_key(&U, &M, ' '), TM_TOP_ACT_REFRESH);

	tm_top_key(&U, &M, 'h');
	render(80, 24);
	cr_expect_str_eq(line(4), "tmtop keys");
	cr_expect_str_eq(line(5), "  q            quit");
	cr_expect_eq(tm_top_key(&U, &M, 'x'), TM_TOP_ACT_NONE); /* any key closes it */
	render(80, 24);
	cr_expect_str_eq(titles(), "FUNCTION          CALLS/S▼   ERR%     P50     P99     CALLS "
				   "HEALTH    LAST 60s");

	/* the selection moves, and stays on its function when the order changes */
	tm_top_key(&U, &M, TM_KEY_DOWN);
	tm_top_view_update(&M, &U);
	cr_expect_str_eq(U.sel_name, "write");
	tm_top_key(&U, &M, 'N');
	render(80, 24);
	cr_expect_str_eq(U.sel_name, "write");
	cr_expect_eq(U.sel, 4);
	cr_expect(attr_at(9, 0) & TM_A_SEL);
	tm_top_key(&U, &M, TM_KEY_HOME);
	tm_top_view_update(&M, &U);
	cr_expect_eq(U.sel, 0);
	tm_top_key(&U, &M, TM_KEY_END);
	tm_top_view_update(&M, &U);
	cr_expect_eq(U.sel, 4);
	cr_expect_eq(tm_top_key(&U, &M, TM_KEY_ENTER), TM_TOP_ACT_DETAIL);
	cr_expect_eq(tm_top_key(&U, &M, TM_KEY_UP), TM_TOP_ACT_DETAIL); /* another function */
	tm_top_view_update(&M, &U);
	render(80, 24);
	cr_expect(strncmp(line(4), "sqlite3_step  libsqlite3.so.0", 29) == 0, "%s", line(4));
	cr_expect_eq(tm_top_key(&U, &M, TM_KEY_ESC), TM_TOP_ACT_NONE);
	cr_expect_eq(U.detail, 0);
	cr_expect_eq(tm_top_key(&U, &M, 'q'), TM_TOP_ACT_QUIT);
}

Test(top, scrolling_keeps_the_selection_on_screen)
{
	for (int i = 0; i < 100; i++) {
		char n[32];
		snprintf(n, sizeof(n), "fn%03d", i);
		struct tm_top_row *r = row(n, "libm.so", 0, (uint64_t)(1000 - i), TM_H_HEALTHY);
		fig(&r->fig[TM_TOP_W_1M], 60, (uint64_t)(1000 - i), 0, 0, 1, 1, 1, 1);
	}
	tm_top_model_done(&M);
	U.sort = TM_TOP_C_CALLS;
	render(80, 24); /* 18 rows fit */
	cr_expect_eq(U.page, 18);
	for (int i = 0; i < 30; i++)
		tm_top_key(&U, &M, TM_KEY_DOWN);
	render(80, 24);
	cr_expect(attr_at(22, 0) & TM_A_SEL); /* the last line of the page */
	cr_expect_str_eq(U.sel_name, "fn026");
	tm_top_key(&U, &M, TM_KEY_PGDN);
	render(80, 24);
	cr_expect_str_eq(U.sel_name, "fn043");
	tm_top_key(&U, &M, TM_KEY_END);
	render(80, 24);
	cr_expect(strncmp(line(22), "evil", 4) == 0, "%s", line(22));
	tm_top_key(&U, &M, TM_KEY_HOME);
	render(80, 24);
	cr_expect(strncmp(line(5), "read", 4) == 0, "%s", line(5));
	cr_expect(attr_at(5, 0) & TM_A_SEL);
}

Test(top, empty_model)
{
	tm_top_model_free(&M);
	tm_top_model_init(&M);
	render(80, 24);
	cr_expect_str_eq(line(5), "  no monitored function yet (waiting for calls)");
	cr_expect_eq(tm_top_key(&U, &M, TM_KEY_ENTER), TM_TOP_ACT_NONE);
}

Test(top, batch_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tm_top_view_update(&M, &U);
	cr_assert(tm_top_print_batch(f, &M, &U, 0) == 0);
	fclose(f);
	cr_expect_eq(U.batch, 0);
	/* the header, the column titles, every row, a blank line */
	static const char *const want[] = {
		"procs 2 running, 1 exited, 0 crashed   calls/s 2.11k   cpu 12.5%   rss 5.5M",
		"health degraded  functions: 2 healthy 1 degraded 2 unknown  (phase_work: p99 5.14 "
		"ms "
		"> 3 ms)",
		"loss overflowed 12   alerts 1 firing: warning phase_work: p99 5.14 ms > 3 ms over "
		"10s",
		"FUNCTION               CALLS/S▼   ERR%     P50     P99   P99.9     MAX     CALLS  "
		"%TIME "
		" INFL HEALTH    LAST 60s",
		"read                      1.00k  0.02%  1.20us  2.60us  9.80us  41.0us    500000  "
		"0.12% "
		"    0 healthy   ▃▃▃▃▃▃▃▄▄▄▄▄▄▄▄▄▄▄▅▅▅▅▅▅▅▅▅▅▆▆▆▆▆▆▆▆▆▆▆▇▇▇▇▇▇▇▇▇▇███████████",
		"write ",
		"phase_work ",
		"sqlite3_step ",
		"evil\\x1b[2J\\x9b31mname ",
		"",
		NULL};
	cr_assert(len > 2 && strcmp(buf + len - 2, "\n\n") == 0, "a blank line ends the batch");
	char *save = NULL, *l = strtok_r(buf, "\n", &save);
	cr_assert(l && strncmp(l, "tmtop  svc  local  window 1 min  every 1s   ", 44) == 0, "%s",
		  l);
	cr_expect(strlen(l) == 164 && strcmp(l + 156, "12:02:05") == 0, "every column: %s", l);
	for (size_t i = 0; want[i] && want[i][0]; i++) {
		l = strtok_r(NULL, "\n", &save);
		cr_assert(l, "line %zu missing", i + 1);
		if (want[i][strlen(want[i]) - 1] == ' ')
			cr_expect(strncmp(l, want[i], strlen(want[i])) == 0, "%s", l);
		else
			cr_expect_str_eq(l, want[i]);
	}
	cr_expect(!strtok_r(NULL, "\n", &save), "nothing after the rows");
	free(buf);
}

Test(top, jsonl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	U.sort = TM_TOP_C_P99;
	tm_top_view_update(&M, &U);
	cr_assert(tm_top_print_jsonl(f, &M, &U) == 0);
	cr_assert(tm_top_print_jsonl(f, &M, &U) == 0);
	fclose(f);
	char *nl = strchr(buf, '\n');
	cr_assert(nl && nl[1] && strchr(nl + 1, '\n') == buf + len - 1, "two lines");
	json_error_t e;
	json_t *o = json_loadb(buf, (size_t)(nl - buf), 0, &e);
	cr_assert(o, "%s", e.text);
	cr_expect_str_eq(json_string_value(json_object_get(o, "type")), "tmtop");
	cr_expect_str_eq(json_string_value(json_object_get(o, "window")), "1m");
	cr_expect_eq(json_integer_value(json_object_get(o, "t_realtime_ns")), T0 + 125 * NS);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(o, "loss"), "overflowed")),
		     12);
	cr_expect_eq(json_array_size(json_object_get(o, "alerts_firing")), 1);
	json_t *rows = json_object_get(o, "rows");
	cr_assert_eq(json_array_size(rows), 5);
	json_t *r = json_array_get(rows, 0);
	cr_expect_str_eq(json_string_value(json_object_get(r, "function")), "phase_work");
	json_t *w = json_object_get(r, "window");
	cr_expect_eq(json_integer_value(json_object_get(w, "calls")), 12000);
	cr_expect_eq(json_integer_value(json_object_get(w, "p99_ns")), 5140 * US);
	cr_expect_float_eq(json_real_value(json_object_get(w, "error_rate")), 1000.0 / 12000, 1e-9);
	cr_expect(json_is_true(json_object_get(json_object_get(r, "rising"), "latency")));
	cr_expect_eq(json_array_size(json_object_get(r, "last_60s")), 60);
	r = json_array_get(rows, 4);
	cr_expect_str_eq(json_string_value(json_object_get(r, "function")),
			 "evil\\x1b[2J\\x9b31mname");
	cr_expect(json_is_null(json_object_get(json_object_get(r, "window"), "error_rate")));
	json_decref(o);
	free(buf);
}

static void pts(struct tm_top_pt *p, size_t from, size_t to, uint64_t calls, uint64_t failed,
		uint64_t p99)
{
	for (size_t i = from; i < to; i++)
		p[i] = (struct tm_top_pt){calls, calls - failed, failed, p99};
}

Test(top, trend)
{
	struct tm_top_pt p[60];
	int lat, err;
	pts(p, 0, 60, 100, 0, 100 * US);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(!lat && !err, "steady");
	pts(p, 50, 60, 100, 0, 200 * US);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(lat && !err, "p99 doubled");
	pts(p, 50, 60, 100, 0, 140 * US);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(!lat, "1.4x is not rising");
	pts(p, 0, 50, 100, 0, 100);
	pts(p, 50, 60, 100, 0, 300);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(!lat, "3x of 100 ns is less than 1 us more");
	pts(p, 0, 60, 100, 0, 100 * US);
	pts(p, 57, 60, 100, 0, 900 * US);
	pts(p, 50, 57, 0, 0, TM_TOP_NA);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(lat, "three seconds with calls are enough");
	pts(p, 58, 60, 100, 0, 900 * US);
	pts(p, 50, 58, 0, 0, TM_TOP_NA);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(!lat, "two are not");
	pts(p, 0, 60, 100, 1, 100 * US);
	pts(p, 50, 60, 100, 10, 100 * US);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(err, "errors 1%% -> 10%%");
	tm_top_trend(p, 60, 0, &lat, &err);
	cr_expect(!err, "no rule, no error rate");
	pts(p, 0, 60, 1, 0, 100 * US);
	pts(p, 50, 60, 1, 1, 100 * US);
	tm_top_trend(p, 60, 1, &lat, &err);
	cr_expect(!err, "10 judged calls are too few");
	tm_top_trend(p, 10, 1, &lat, &err);
	cr_expect(!lat && !err, "nothing before the last 10 s");
}

Test(top, formats)
{
	char b[32];
	static const struct {
		uint64_t ns;
		const char *s;
	} ns[] = {{0, "0ns"},	       {999, "999ns"},	       {1000, "1.00us"},
		  {9994, "9.99us"},    {9996, "10.0us"},       {99949, "99.9us"},
		  {99951, "100us"},    {999499, "999us"},      {999500, "1.00ms"},
		  {5140000, "5.14ms"}, {12345678901, "12.3s"}, {TM_TOP_NA, "-"}};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		tm_top_fmt_ns(b, sizeof(b), ns[i].ns);
		cr_expect_str_eq(b, ns[i].s, "%llu", (unsigned long long)ns[i].ns);
	}
	tm_top_fmt_count(b, sizeof(b), 123456789, 9);
	cr_expect_str_eq(b, "123456789");
	tm_top_fmt_count(b, sizeof(b), 1234567890, 9);
	cr_expect_str_eq(b, "1.23G");
	tm_top_fmt_count(b, sizeof(b), 999999, 5);
	cr_expect_str_eq(b, "1.00M");
	tm_top_fmt_rate(b, sizeof(b), 999.9);
	cr_expect_str_eq(b, "999.9");
	tm_top_fmt_rate(b, sizeof(b), 21034);
	cr_expect_str_eq(b, "21.0k");
	tm_top_fmt_rate(b, sizeof(b), 1.5e6);
	cr_expect_str_eq(b, "1.50M");
	cr_expect_eq(tm_top_col_parse("p99.9"), TM_TOP_C_P999);
	cr_expect_eq(tm_top_col_parse("CALLS/S"), TM_TOP_C_RATE);
	cr_expect_eq(tm_top_col_parse("nope"), -1);
	cr_expect_eq(tm_top_win_parse("all"), TM_TOP_W_ALL);
	cr_expect_eq(tm_top_interval_s(0.1), 1);
	cr_expect_eq(tm_top_interval_s(2.4), 2);
	cr_expect_eq(tm_top_interval_s(600), 60);
}

/* ---- the local source on a model built through its own way in ---- */

#include "collector.h"
#include "source.h"

/* Two functions of one process for 70 s of synthetic time: f_fast 10
 * calls a second of 1 us (one of them failing), f_slow one call a second
 * of 2 ms + 1 us per second elapsed. */
static void local_model(struct tm_coll *c, struct tm_proc *p)
{
	uint64_t t0 = 1000 * NS;
	memset(c, 0, sizeof(*c));
	c->ns_per_tick = 1;
	snprintf(c->session, sizeof(c->session), "unit");
	c->start_mono_ns = t0;
	c->start_real_ns = T0;
	tm_wclock_init(&c->clock, t0);
	p->psyms = calloc(2, sizeof(*p->psyms));
	p->pid = 77;
	snprintf(p->exe, sizeof(p->exe), "/usr/bin/unit\x1b");
	static const char *const names[2] = {"f_fast", "f_slow"};
	for (int i = 0; i < 2; i++) {
		int g = tm_coll_sym(c, 0, names[i]);
		c->syms[g].flags = TM_RF_FOUND | TM_RF_HAS_RULE;
		c->syms[g].codes = TM_CODES_ERRNO;
		p->psyms[i].gsym = (uint32_t)g;
	}
	p->npsyms = 2;
	for (uint64_t s = 0; s < 70; s++) {
		uint64_t t = t0 + s * NS + 1000;
		for (int k = 0; k < 10; k++) {
			struct tm_call k1 = {.end_ns = t + (uint64_t)k * 1000,
					     .dur_ns = 1000,
					     .timed = 1,
					     .status = k == 0 ? TM_ST_FAILED : TM_ST_OK,
					     .err = k == 0 ? 5 : 0};
			tm_model_call(c, p, 0, &k1);
		}
		struct tm_call k2 = {.end_ns = t + 50000,
				     .dur_ns = 2 * MS + s * US,
				     .timed = 1,
				     .status = TM_ST_OK};
		tm_model_call(c, p, 1, &k2);
		tm_model_tick(c, t + NS + TM_WIN_GRACE_NS);
	}
	c->procs = calloc(1, sizeof(*c->procs));
	c->procs[0] = p;
	c->nprocs = 1;
}

static void within(uint64_t got, uint64_t want, const char *what)
{
	double e = ((double)got - (double)want) / (double)want;
	cr_expect(e < 0.01 && e > -0.01, "%s: %llu, want %llu", what, (unsigned long long)got,
		  (unsigned long long)want);
}

Test(top_local, figures_from_the_model)
{
	struct tm_coll c;
	struct tm_proc *p = calloc(1, sizeof(*p));
	struct tm_top_model m;
	struct tm_top_ui u;
	struct tm_top_detail d = {0};
	char err[256];
	local_model(&c, p);
	struct tm_top_src *src = tm_top_src_local(&c, NULL);
	tm_top_model_init(&m);
	tm_top_ui_init(&u);
	u.delay_s = 5; /* the last interval: 5 s */
	cr_assert(src->refresh(src, &m, NULL, &u, err, sizeof(err)) == 0, "%s", err);
	cr_assert_eq(m.nrows, 2);
	cr_expect_eq(m.interval_s, 5);
	const struct tm_top_row *fast = &m.rows[0], *slow = &m.rows[1];
	cr_expect_str_eq(fast->name, "f_fast");
	cr_expect_eq(fast->calls, 700);
	cr_expect(fast->rule);
	const struct tm_top_fig *f = &fast->fig[TM_TOP_W_1M];
	cr_expect_eq(f->span_s, 60);
	cr_expect_eq(f->calls, 600);
	cr_expect_eq(f->failed, 60);
	within(f->p50_ns, 1000, "f_fast 1m p50");
	f = &fast->fig[TM_TOP_W_INTERVAL];
	cr_expect_eq(f->span_s, 5);
	cr_expect_eq(f->calls, 50);
	cr_expect_eq(f->failed, 5);
	f = &slow->fig[TM_TOP_W_INTERVAL]; /* seconds 65..69: 2.065 .. 2.069 ms */
	within(f->p50_ns, 2 * MS + 67 * US, "f_slow interval p50");
	within(f->max_ns, 2 * MS + 69 * US, "f_slow interval max");
	f = &slow->fig[TM_TOP_W_1M]; /* seconds 10..69 */
	within(f->p50_ns, 2 * MS + 39 * US, "f_slow 1m p50");
	within(f->p999_ns, 2 * MS + 69 * US, "f_slow 1m p99.9");
	f = &slow->fig[TM_TOP_W_ALL];
	cr_expect_eq(f->calls, 70);
	cr_expect_eq(f->max_ns, 2 * MS + 69 * US); /* exact */
	within(f->p50_ns, 2 * MS + 34 * US, "f_slow p50 since start");
	cr_expect_eq(fast->nspark, 60);
	for (int i = 0; i < TM_TOP_SPARK; i++)
		cr_expect_eq(fast->spark[i], 10);
	cr_expect_eq(slow->rising_lat, 0);
	cr_assert_eq(m.nprocs, 1);
	cr_expect_str_eq(m.procs[0].exe, "unit\\x1b"); /* terminal-safe */
	cr_expect_eq(m.npfn, 2);
	cr_expect_eq(m.h.running, 1);

	/* one second: its own histogram */
	u.delay_s = 1;
	cr_assert(src->refresh(src, &m, NULL, &u, err, sizeof(err)) == 0);
	within(m.rows[1].fig[TM_TOP_W_INTERVAL].p50_ns, 2 * MS + 69 * US, "f_slow 1 s p50");
	cr_expect_eq(m.rows[0].fig[TM_TOP_W_INTERVAL].calls, 10);

	cr_assert(src->detail(src, &m, &m.rows[0], TM_TOP_W_ALL, &d, err, sizeof(err)) == 0);
	cr_expect_str_eq(d.hist_what, "whole run");
	uint64_t n = 0;
	for (size_t i = 0; i < d.nbins; i++)
		n += d.bins[i].count;
	cr_expect_eq(n, 700);
	cr_expect_eq(d.nerr, 1);
	cr_expect_str_eq(d.err[0].name, "EIO");
	cr_expect_str_eq(d.err[0].category, "io");
	cr_expect_eq(d.err[0].count, 70);
	cr_assert(src->detail(src, &m, &m.rows[1], TM_TOP_W_1M, &d, err, sizeof(err)) == 0);
	n = 0;
	for (size_t i = 0; i < d.nbins; i++) {
		n += d.bins[i].count;
		cr_expect(d.bins[i].lo_ns <= d.bins[i].hi_ns);
	}
	cr_expect_eq(n, 60);
	tm_top_detail_free(&d);
	tm_top_model_free(&m);
	tm_top_ui_free(&u);
	src->free(src);
	tm_coll_free(&c);
}
