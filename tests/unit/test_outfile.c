/* SPDX-License-Identifier: MIT */
/* outfile.c: what is written where, and what is never touched. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tm-unit-out.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	umask(022);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

TestSuite(outfile, .init = setup, .fini = teardown);

Test(outfile, creates_0600_and_replaces)
{
	char path[128], err[256], buf[64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/a.json", dir);
	cr_assert_eq(tm_out_replace(path, "one\n", 4, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(tm_out_replace(path, "two\n", 4, err, sizeof(err)), 0, "%s", err);
	slurp(path, buf, sizeof(buf));
	cr_assert_str_eq(buf, "two\n");
}

Test(outfile, planted_temp_names_not_followed)
{
	char path[128], link[160], victim[128], err[256], buf[64];
	snprintf(path, sizeof(path), "%s/a.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(link, sizeof(link), "%s.tmp", path);
	FILE *f = fopen(victim, "w");
	fputs("victim", f);
	fclose(f);
	cr_assert_eq(symlink(victim, link), 0);
	cr_assert_eq(tm_out_replace(path, "x\n", 2, err, sizeof(err)), 0, "%s", err);
	slurp(victim, buf, sizeof(buf));
	cr_assert_str_eq(buf, "victim");
	slurp(path, buf, sizeof(buf));
	cr_assert_str_eq(buf, "x\n");
}

Test(outfile, fifo_in_place)
{
	char path[128], err[256], buf[16] = {0};
	struct stat st;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	int rd = open(path, O_RDONLY | O_NONBLOCK); /* a reader, so the write does not wait */
	cr_assert_geq(rd, 0);
	cr_assert_eq(tm_out_replace(path, "abc", 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(read(rd, buf, sizeof(buf) - 1), 3);
	cr_assert_str_eq(buf, "abc");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));
	close(rd);
}

Test(outfile, stream_appends_and_refuses_nothing_else)
{
	char path[128], err[256], buf[64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/s.jsonl", dir);
	for (int i = 0; i < 2; i++) {
		int fd = tm_out_open_stream(path, 1, err, sizeof(err));
		cr_assert_geq(fd, 0, "%s", err);
		cr_assert_eq(write(fd, "l\n", 2), 2);
		close(fd);
	}
	slurp(path, buf, sizeof(buf));
	cr_assert_str_eq(buf, "l\nl\n");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_lt(tm_out_replace(dir, "x", 1, err, sizeof(err)), 0); /* a directory */
}

Test(outfile, stdout_dash)
{
	char err[256];
	cr_redirect_stdout();
	cr_assert_eq(tm_out_replace("-", "{}\n", 3, err, sizeof(err)), 0, "%s", err);
	fflush(stdout);
	cr_assert_stdout_eq_str("{}\n");
}
