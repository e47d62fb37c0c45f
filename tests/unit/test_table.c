/* SPDX-License-Identifier: MIT */
/* tmrun's table (collector/out/table.c): calls per second, the top errors
 * of a row, the line of outcomes and bytes under it, the marks of rows
 * that contain monitored calls or block, %time without the blocking rows,
 * and names never cut. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "segfake.h"

#define LONG_NAME "a_function_name_well_past_the_twenty_eight_columns_of_old"

static const char *const names[] = {"connect", "epoll_wait", "work", "open", "read", LONG_NAME};

static char *table_of(struct tm_coll *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	tm_table_print(c, m);
	fclose(m);
	return buf;
}

/* The line that starts with `start` followed by a space or a mark. */
static const char *line_of(const char *t, const char *start)
{
	size_t n = strlen(start);
	for (const char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, start, n) == 0 && strchr(" ~+*", l[n]))
			return l;
	cr_assert_fail("no row %s in:\n%s", start, t);
	return NULL;
}

/* what is in l's line (its newline included) */
static int has_in_line(const char *l, const char *what)
{
	char line[2048];
	size_t n = strcspn(l, "\n");
	n = n + 1 < sizeof(line) - 1 ? n + 1 : sizeof(line) - 1;
	memcpy(line, l, n);
	line[n] = '\0';
	return strstr(line, what) != NULL;
}

Test(table, rates_errors_outcomes_marks)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 256, 1, 8, names, 6);
	struct tm_wire_sym *ws = (struct tm_wire_sym *)((char *)f.h + f.h->syms_off);
	ws[4].flags |= TM_RF_BYTES;
	for (int i = 0; i < 3; i++)
		segfake_push(&f, 0, 0, 1000, TM_ST_FAILED, -1, ECONNREFUSED);
	segfake_push(&f, 0, 0, 1000, TM_ST_FAILED, -1, ENOENT);
	segfake_push(&f, 0, 0, 1000, TM_ST_FAILED, -1, EACCES);
	segfake_push(&f, 0, 0, 1000, TM_ST_FAILED, -1, EINPROGRESS);
	segfake_push(&f, 0, 0, 1000, TM_ST_FAILED, -1, EINPROGRESS);
	segfake_push(&f, 0, 1, 900000, TM_ST_OK, 1, 0); /* the most time, and blocking */
	for (int i = 0; i < 2; i++) {
		segfake_push(&f, 0, 3, 100, TM_ST_OK, 3, 0);
		segfake_ring(&f, 0)[(segfake_thread(&f, 0)->head - 1) & 255].caller = 2;
	}
	segfake_push(&f, 0, 2, 5000, TM_ST_OK, 0, 0);
	segfake_push(&f, 0, 4, 100, TM_ST_OK, 3 << 20, 0);
	segfake_push(&f, 0, 5, 100, TM_ST_OK, 0, 0);
	struct tm_coll_opts o = {.dir = f.dir, .session = "unit"};
	char err[256];
	cr_assert_eq(tm_coll_init(&c, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tm_coll_scan(&c), 1);
	tm_coll_drain(&c);
	char *t = table_of(&c);

	cr_assert(strstr(t, "function ") == t, "%s", t);
	cr_assert(has_in_line(t, " calls/s ") && has_in_line(t, "%time  errors\n"), "%s", t);
	const char *con = line_of(t, "connect");
	cr_assert(has_in_line(con, "  ECONNREFUSED 3, ENOENT 1 +1 more\n"), "%s", t);
	cr_assert(strstr(con, "\n    in_progress 2 (EINPROGRESS, not failures)\n") ==
			  strchr(con, '\n'),
		  "the outcomes under the row:\n%s", t);
	/* calls/s: a number, 7 calls over the collector's life so far */
	char name[64], rate[32];
	unsigned long long calls, failed;
	cr_assert_eq(sscanf(con, "%63s %llu %31s %llu", name, &calls, rate, &failed), 4);
	cr_assert_eq(calls, 7);
	cr_assert_eq(failed, 5);
	cr_assert_gt(strtod(rate, NULL), 0, "calls/s %s", rate);

	const char *ep = line_of(t, "epoll_wait");
	cr_assert(strncmp(ep, "epoll_wait* ", 12) == 0, "%s", t);
	cr_assert(has_in_line(ep, "      -\n"), "a blocking row has no %%time: %s", t);
	cr_assert(strncmp(line_of(t, "work"), "work+ ", 6) == 0, "%s", t);
	cr_assert(strncmp(line_of(t, "open"), "open ", 5) == 0, "%s", t);
	cr_assert(strstr(line_of(t, "read"), "\n    bytes 3.00 MiB\n"), "%s", t);
	cr_assert(strstr(t, "note: + contains monitored calls"), "%s", t);
	cr_assert(strstr(t, "note: * blocking"), "%s", t);
	cr_assert(strstr(t, "note: outcomes"), "%s", t);
	/* %time over the rows that do not block: work has 5000 of 12400 ns */
	cr_assert(has_in_line(line_of(t, "work"), " 40.3%"), "%s", t);
	/* a long name whole, and the other rows padded to it */
	const char *ln = line_of(t, LONG_NAME);
	cr_assert(strncmp(ln, LONG_NAME " ", strlen(LONG_NAME) + 1) == 0, "%s", t);
	size_t end = strlen(LONG_NAME) + 10; /* the calls column's last character */
	cr_assert(con[end] == '7' && con[end + 1] == ' ' && ln[end] == '1' && ln[end + 1] == ' ',
		  "columns aligned:\n%s", t);
	free(t);
	tm_coll_free(&c);
	segfake_destroy(&f);
}
