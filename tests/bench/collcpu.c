/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: the collector's CPU use while a program makes a
 * steady RATE monitored calls per second. Starts tmcollect (default
 * interval) and bench_paced under the shim, waits for both, and divides the
 * collector's user+system time by the program's run time. Also checks the
 * summary counted every call.
 * usage: bench_collcpu TMCOLLECT SHIM PACED RATE SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: bench_collcpu TMCOLLECT SHIM PACED RATE SECONDS\n");
		return 2;
	}
	const char *coll = argv[1], *shim = argv[2], *paced = argv[3];
	long rate = atol(argv[4]);
	char dir[] = "/dev/shm/tmcpu.XXXXXX", shm[64], summary[96];
	if (!mkdtemp(dir))
		return 2;
	snprintf(shm, sizeof(shm), "%s/shm", dir);
	snprintf(summary, sizeof(summary), "%s/s.json", dir);
	pid_t cp = fork();
	if (cp == 0) {
		execl(coll, coll, "--dir", shm, "--session", "cpu", "--until-idle", "--summary",
		      summary, (char *)NULL);
		_exit(127);
	}
	double t0 = bench_now_ns();
	pid_t pp = fork();
	if (pp == 0) {
		setenv("LD_PRELOAD", shim, 1);
		setenv("TM_SYMBOLS", "work_noop", 1);
		setenv("TM_SESSION", "cpu", 1);
		setenv("TM_DIR", shm, 1);
		execl(paced, paced, argv[4], argv[5], (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pp, &st, 0);
	double wall = bench_now_ns() - t0;
	struct rusage ru;
	if (wait4(cp, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_collcpu: tmcollect failed\n");
		return 1;
	}
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "jq -r '.totals.calls' %s", summary);
	FILE *p = popen(cmd, "r");
	long calls = 0;
	if (!p || fscanf(p, "%ld", &calls) != 1)
		calls = -1;
	if (p)
		pclose(p);
	long expect = rate / 1000 * (long)(atof(argv[5]) * 1000);
	printf("RAW collector_cpu_ns=%.0f program_wall_ns=%.0f calls=%ld expected=%ld\n", cpu, wall,
	       calls, expect);
	double pct = 100.0 * cpu / wall;
	char name[64];
	snprintf(name, sizeof(name), "collector_cpu.%ldk_calls_per_s", rate / 1000);
	bench_line(name, pct, "%", wall / 1e9, "<=5", pct <= 5 && calls == expect,
		   "collector_cpu_share_of_one_core_default_interval");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
