/* SPDX-License-Identifier: MIT */
/* Benchmark, not a test: the collector's memory with 100 processes x 8
 * threads x 1000 symbols, and that it does not grow with the number of
 * calls. A child lays out 100 segments exactly as the shim does (one
 * directory, one session), each thread calling all 1000 symbols with
 * durations spread over six decades and 2% failures; the parent is the
 * collector (the library tmcollect is built from), draining after every
 * round. Reports the collector's own memory (RssAnon) after the first
 * round and after the last (10x the calls), and the segment pages it maps
 * (RssShmem: the processes' memory, by the formula in ARCHITECTURE.md).
 * usage: bench_memory [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../collector/collector.h"
#include "../unit/segfake.h"
#include "bench.h"

#define PROCS	100
#define THREADS 8
#define SYMS	1000
#define RING	2048

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

static void child(const char *dir, int go, int done, int rounds)
{
	static char names[SYMS][16];
	static const char *syms[SYMS];
	for (int i = 0; i < SYMS; i++) {
		snprintf(names[i], sizeof(names[i]), "fn%04d", i);
		syms[i] = names[i];
	}
	static struct segfake f[PROCS];
	for (int p = 0; p < PROCS; p++)
		segfake_create_in(&f[p], dir, (unsigned)p, "mem", RING, THREADS, 1024, syms, SYMS);
	uint64_t x = 88172645463325252ull;
	char b = 1;
	for (int r = 0; r < rounds; r++) {
		for (int p = 0; p < PROCS; p++)
			for (int t = 0; t < THREADS; t++)
				for (int k = 0; k < RING; k++) {
					x ^= x << 13, x ^= x >> 7, x ^= x << 17;
					int fail = (x >> 20) % 50 == 0;
					segfake_push(&f[p], (uint32_t)t, (uint16_t)(x % SYMS),
						     50ull << ((x >> 32) % 20) | (x >> 40) % 50,
						     fail ? TM_ST_FAILED : TM_ST_OK, 0,
						     fail ? (int32_t)(1 + x % 8) : 0);
				}
		if (write(done, &b, 1) != 1 || read(go, &b, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 10;
	char dir[] = "/dev/shm/tmmem.XXXXXX";
	int to_child[2], to_parent[2];
	if (!mkdtemp(dir) || pipe(to_child) || pipe(to_parent))
		return 2;
	pid_t pid = fork();
	if (pid == 0)
		child(dir, to_child[0], to_parent[1], rounds);
	struct tm_coll c;
	struct tm_coll_opts o = {.dir = dir, .session = "mem"};
	char err[256], b;
	long first = 0, shm_first = 0;
	uint64_t calls = 0;
	if (tm_coll_init(&c, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_memory: %s\n", err);
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		if (read(to_parent[0], &b, 1) != 1)
			return 2;
		tm_coll_scan(&c);
		calls += tm_coll_drain(&c);
		if (r == 0) {
			first = status_kb("RssAnon");
			shm_first = status_kb("RssShmem");
		}
		if (write(to_child[1], &b, 1) != 1)
			return 2;
	}
	waitpid(pid, NULL, 0);
	long last = status_kb("RssAnon"), shm = status_kb("RssShmem");
	printf("RAW procs=%zu threads=%d symbols=%zu calls=%llu rss_anon_kb_first=%ld "
	       "rss_anon_kb_last=%ld rss_shmem_kb_first=%ld rss_shmem_kb_last=%ld\n",
	       c.nprocs, THREADS, c.nsyms, (unsigned long long)calls, first, last, shm_first, shm);
	int ok = c.nprocs == PROCS && c.nsyms == SYMS &&
		 calls == (uint64_t)rounds * PROCS * THREADS * RING;
	bench_line("memory.collector_100procs_8threads_1000syms", (double)last / 1024, "MiB",
		   (double)first / 1024, "flat", ok && last <= first + first / 20,
		   "collector_rss_anon_after_10x_calls_vs_after_1x");
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	tm_coll_free(&c);
	return system(cmd) == 0 && ok ? 0 : 1;
}
