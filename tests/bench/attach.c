/* SPDX-License-Identifier: MIT */
/* Benchmark: how long tmrun --attach stops a process. bench_attach_prog
 * (30 shared libraries, 300 functions called in a loop by one thread) is
 * attached with 100 symbols (90 exact names, 10 globs of ten functions),
 * as in bench_startup. Each round starts a fresh process and attaches
 * twice: the first attach loads the shim (dlopen), the second reuses it.
 * Two figures per attach: the pause tmrun reports (attach.pause_ns: from
 * the borrowed thread's stop to its release) and the longest gap the
 * program saw between two rounds of its own loop (the pause as it felt
 * it, plus whatever else the machine did). Target: <= 50 ms of pause.
 * Every attach must count at least the 100 functions, or it fails (exit 2).
 * usage: bench_attach PROG TMRUN [ROUNDS] */
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define ROUNDS 15 /* the most; argv[3] may ask for fewer */

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* the program's longest gap since the last question, in ms */
static double gap_ms(pid_t pid, FILE *out)
{
	char line[128];
	kill(pid, SIGUSR1);
	while (fgets(line, sizeof(line), out))
		if (strncmp(line, "gap ", 4) == 0)
			return atol(line + 4) / 1e6;
	exit(2);
}

static double attach(const char *tmrun, pid_t pid, const char *syms, const char *json)
{
	char p[16];
	snprintf(p, sizeof(p), "%d", (int)pid);
	char *argv[] = {(char *)tmrun, "--attach", p,	 "-s",	       (char *)syms, "--duration",
			"0.1",	       "-q",	   "-o", (char *)json, NULL};
	pid_t t;
	if (posix_spawn(&t, tmrun, NULL, NULL, argv, environ) != 0)
		exit(2);
	int st;
	waitpid(t, &st, 0);
	json_t *j = json_load_file(json, 0, NULL);
	double ms =
		j ? json_integer_value(json_object_get(json_object_get(j, "attach"), "pause_ns")) /
				1e6
		  : -1;
	/* the attach did its work: every configured function was counted */
	size_t i, counted = 0;
	json_t *e;
	json_array_foreach(j ? json_object_get(j, "symbols") : NULL, i, e) counted +=
		json_integer_value(json_object_get(e, "calls")) > 0;
	json_decref(j);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || ms < 0) {
		fprintf(stderr, "bench_attach: tmrun --attach failed\n");
		exit(2);
	}
	if (counted < 100) {
		fprintf(stderr, "bench_attach: only %zu functions counted while attached\n",
			counted);
		exit(2);
	}
	return ms;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	static char syms[8192], json[64] = "/tmp/tmbench-attach.XXXXXX";
	size_t n = 0;
	for (int k = 0; k < 10; k++)
		n += (size_t)snprintf(syms + n, sizeof(syms) - n, "bs_%d_*,", k);
	for (int k = 10; k < 19; k++)
		for (int j = 0; j < 10; j++)
			n += (size_t)snprintf(syms + n, sizeof(syms) - n, "bs_%d_%d,", k, j);
	syms[n - 1] = '\0';
	int fd = mkstemp(json);
	if (fd < 0)
		return 2;
	close(fd);
	int rounds = argc > 3 ? atoi(argv[3]) : ROUNDS;
	if (rounds < 1 || rounds > ROUNDS)
		rounds = ROUNDS;
	double pause[2][ROUNDS], gap[2][ROUNDS], base[ROUNDS];
	for (int r = 0; r < rounds; r++) {
		int pp[2];
		if (pipe(pp) < 0)
			return 2;
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, pp[1], 1);
		posix_spawn_file_actions_addclose(&fa, pp[0]);
		char *pargv[] = {argv[1], NULL};
		pid_t pid;
		if (posix_spawn(&pid, argv[1], &fa, NULL, pargv, environ) != 0)
			return 2;
		close(pp[1]);
		FILE *out = fdopen(pp[0], "r");
		char line[64];
		if (!fgets(line, sizeof(line), out))
			return 2;
		gap_ms(pid, out);
		usleep(100000);
		base[r] = gap_ms(pid, out); /* 100 ms of the loop alone */
		for (int a = 0; a < 2; a++) {
			pause[a][r] = attach(argv[2], pid, syms, json);
			gap[a][r] = gap_ms(pid, out);
		}
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fclose(out);
	}
	unlink(json);
	const char *what[2] = {"first", "again"};
	for (int a = 0; a < 2; a++) {
		double mp = median(pause[a], rounds), mg = median(gap[a], rounds);
		double worst = pause[a][rounds - 1]; /* sorted by median() */
		printf("BENCH name=attach.pause.%s value=%.2f unit=ms baseline=0 ratio=0 "
		       "target=<=50 "
		       "ok=%d\n",
		       what[a], mp, mp <= 50);
		printf("attach (%s): pause median %.2f ms, max %.2f ms; longest gap the program "
		       "saw: "
		       "median %.2f ms (%.2f ms without attaching)\n",
		       what[a], mp, worst, mg, median(base, rounds));
	}
	return 0;
}
