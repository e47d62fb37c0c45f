/* SPDX-License-Identifier: MIT */
/* Benchmark: what the shim adds to a program's start. bench_startup_prog is
 * linked to 30 shared libraries (300 functions) and exits at once. It is
 * started 200 times in each of three ways, interleaved: natively; with the
 * shim preloaded and nothing configured; with 100 symbols configured (90
 * exact names and 10 globs, each matching ten functions). Median wall time
 * of each; the figures are the differences (targets: <= 5 ms with 100
 * symbols; nothing measurable with none). Segments go to a fresh directory
 * in /dev/shm, as by default.
 * usage: bench_startup PROG SHIM */
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define RUNS 200

extern char **environ;

static double run(const char *prog, char **env)
{
	char *argv[] = {(char *)prog, NULL};
	pid_t pid;
	double t0 = bench_now_ns();
	if (posix_spawn(&pid, prog, NULL, NULL, argv, env) != 0)
		exit(2);
	int st;
	waitpid(pid, &st, 0);
	return (bench_now_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	static char syms[8192], preload[4200], dir[64] = "/dev/shm/tmbench.XXXXXX", tmdir[96];
	if (!mkdtemp(dir))
		return 2;
	size_t n = 0;
	n += (size_t)snprintf(syms + n, sizeof(syms) - n, "TM_SYMBOLS=");
	for (int k = 0; k < 10; k++) /* ten globs: all of libraries 0-9 */
		n += (size_t)snprintf(syms + n, sizeof(syms) - n, "bs_%d_*,", k);
	for (int k = 10; k < 19; k++) /* 90 exact names: libraries 10-18 */
		for (int j = 0; j < 10; j++)
			n += (size_t)snprintf(syms + n, sizeof(syms) - n, "bs_%d_%d,", k, j);
	syms[n - 1] = '\0';
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", argv[2]);
	snprintf(tmdir, sizeof(tmdir), "TM_DIR=%s", dir);
	char *native[] = {NULL}, *none[] = {preload, tmdir, NULL};
	char *full[] = {preload, tmdir, syms, "TM_SESSION=startup", NULL};
	double a[RUNS], b[RUNS], c[RUNS];
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -f %s/*.tm", dir);
	for (int i = 0; i < RUNS; i++) {
		a[i] = run(argv[1], native);
		b[i] = run(argv[1], none);
		c[i] = run(argv[1], full);
		if (i % 20 == 19 && system(cmd) != 0) /* no collector: segments stay */
			return 2;
	}
	double na = bench_median(a, RUNS), no = bench_median(b, RUNS), fu = bench_median(c, RUNS);
	printf("RAW native_ms=%.3f shim_nothing_ms=%.3f shim_100_symbols_ms=%.3f\n", na, no, fu);
	bench_line("startup.100_symbols_30_libs", fu - na, "ms", na, "<=5", fu - na <= 5,
		   "added_to_process_start_100_symbols");
	bench_line("startup.nothing_configured", no - na, "ms", na, "~0", no - na <= 0.2,
		   "added_to_process_start_shim_loaded_nothing_configured");
	if (system(cmd) != 0)
		return 2;
	rmdir(dir);
	return 0;
}
