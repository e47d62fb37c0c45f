/* SPDX-License-Identifier: MIT */
/* The built-in error categories: every code name in docs/SUMMARY.md's
 * table maps to its row's category, and the summary's errors_by_category
 * sums failed calls of errno and SQLite functions that way (an SQLite
 * extended code by its primary one). */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "segfake.h"

#ifndef TM_SOURCE_DIR
#error "TM_SOURCE_DIR: the source tree, for docs/SUMMARY.md"
#endif

static const struct {
	const char *name, *cat;
} must[] = {
	{"ENOENT", "not_found"},
	{"EACCES", "permission"},
	{"EAGAIN", "busy"},
	{"EBUSY", "busy"},
	{"ENOMEM", "resource"},
	{"EMFILE", "resource"},
	{"ENOSPC", "resource"},
	{"EINTR", "interrupted"},
	{"EIO", "io"},
	{"SQLITE_BUSY", "busy"},
	{"SQLITE_LOCKED", "busy"},
	{"SQLITE_FULL", "resource"},
	{"SQLITE_ERROR", "other"},
	/* extended codes: their primary's category */
	{"SQLITE_BUSY_SNAPSHOT", "busy"},
	{"SQLITE_LOCKED_SHAREDCACHE", "busy"},
	{"SQLITE_IOERR_READ", "io"},
	{"SQLITE_CONSTRAINT_UNIQUE", "invalid_input"},
	{"SQLITE_CANTOPEN_NOTEMPDIR", "not_found"},
	{"SQLITE_FULL_1549", "resource"},
	{"ENOT_A_CODE", "other"},
};

/* The rows of the table under "## Error categories": category and code
 * names (the upper-case words of the other cells). */
Test(errcat, table_in_the_docs)
{
	FILE *f = fopen(TM_SOURCE_DIR "/docs/SUMMARY.md", "r");
	cr_assert(f, "docs/SUMMARY.md");
	char line[8192];
	int in = 0, rows = 0, names = 0;
	char seen_cat[16][32];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "## ", 3) == 0) {
			in = strncmp(line, "## Error categories", 19) == 0;
			continue;
		}
		if (!in || strncmp(line, "| `", 3) != 0)
			continue;
		char *cat = line + 3, *end = strchr(cat, '`');
		cr_assert(end);
		*end = '\0';
		cr_assert(tm_category_valid(cat), "row %s: not a category", cat);
		cr_assert_lt(rows, 16);
		snprintf(seen_cat[rows++], sizeof(seen_cat[0]), "%.31s", cat);
		char *p = strchr(end + 1, '|');
		cr_assert(p);
		while (*p) {
			while (*p && !(*p >= 'A' && *p <= 'Z'))
				p++;
			char *w = p;
			while ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')
				p++;
			if (p - w < 2)
				continue;
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(p - w), w);
			cr_expect_str_eq(tm_code_category(name), cat, "%s (docs: %s)", name, cat);
			names++;
		}
	}
	fclose(f);
	cr_assert_eq(rows, 10, "one row per category");
	cr_expect(names > 150, "%d code names in the table", names);
	for (int i = 0; i < rows; i++)
		for (int k = 0; k < i; k++)
			cr_expect_str_neq(seen_cat[i], seen_cat[k]);
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		cr_expect_str_eq(tm_code_category(must[i].name), must[i].cat, "%s", must[i].name);
}

static const char *const syms[] = {"ec_posix", "ec_sqlite"};

static uint64_t cat_of(json_t *sym, const char *cat)
{
	json_t *v = json_object_get(json_object_get(sym, "errors_by_category"), cat);
	return v ? (uint64_t)json_integer_value(v) : 0;
}

/* Failed calls with numeric codes, through the drain, named by their
 * function's domain and summed by category in the summary. */
Test(errcat, errors_by_category_in_the_summary)
{
	struct segfake f;
	struct tm_coll c;
	segfake_create(&f, "unit", 1024, 1, 8, syms, 2);
	segfake_wsym(&f, 1)->codes = TM_CODES_SQLITE;
	struct tm_coll_opts o = {.dir = f.dir, .session = "unit"};
	char err[128];
	cr_assert_eq(tm_coll_init(&c, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tm_coll_scan(&c), 1);
	static const struct {
		uint16_t sym;
		int32_t code;
		unsigned n;
	} fails[] = {
		{0, ENOENT, 3}, {0, EACCES, 4}, {0, EAGAIN, 5},	      {0, EBUSY, 6},
		{0, ENOMEM, 7}, {0, EMFILE, 8}, {0, ENOSPC, 9},	      {0, EINTR, 10},
		{0, EIO, 11},	{1, 5, 12},	{1, 6, 13},	      {1, 13, 14},
		{1, 517, 15},	{1, 266, 16},	{1, 13 | 6 << 8, 17}, {1, 1, 18},
	};
	for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++)
		for (unsigned k = 0; k < fails[i].n; k++)
			segfake_push(&f, 0, fails[i].sym, 1000, TM_ST_FAILED, -1, fails[i].code);
	tm_coll_drain(&c);
	json_t *root = tm_summary_json(&c);
	json_t *px = NULL, *sq = NULL, *s;
	size_t i;
	json_array_foreach(json_object_get(root, "symbols"), i, s)
	{
		const char *n = json_string_value(json_object_get(s, "name"));
		if (strcmp(n, "ec_posix") == 0)
			px = s;
		else if (strcmp(n, "ec_sqlite") == 0)
			sq = s;
	}
	cr_assert(px && sq);
	cr_expect_eq(cat_of(px, "not_found"), 3);
	cr_expect_eq(cat_of(px, "permission"), 4);
	cr_expect_eq(cat_of(px, "busy"), 5 + 6);
	cr_expect_eq(cat_of(px, "resource"), 7 + 8 + 9);
	cr_expect_eq(cat_of(px, "interrupted"), 10);
	cr_expect_eq(cat_of(px, "io"), 11);
	cr_expect_eq(json_object_size(json_object_get(px, "errors_by_category")), 6);
	/* SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT (517): busy;
	 * SQLITE_FULL and an extended code of it no table names: resource;
	 * SQLITE_IOERR_READ (266): io; SQLITE_ERROR: other */
	json_t *errs = json_object_get(sq, "errors");
	cr_expect_eq(json_integer_value(json_object_get(errs, "SQLITE_BUSY_SNAPSHOT")), 15);
	cr_expect_eq(json_integer_value(json_object_get(errs, "SQLITE_IOERR_READ")), 16);
	cr_expect_eq(cat_of(sq, "busy"), 12 + 13 + 15);
	cr_expect_eq(cat_of(sq, "resource"), 14 + 17);
	cr_expect_eq(cat_of(sq, "io"), 16);
	cr_expect_eq(cat_of(sq, "other"), 18);
	cr_expect_eq(json_object_size(json_object_get(sq, "errors_by_category")), 4);
	json_decref(root);
	tm_coll_free(&c);
	segfake_destroy(&f);
}
