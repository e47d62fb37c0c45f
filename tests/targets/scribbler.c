/* SPDX-License-Identifier: MIT */
/* A hostile writer: another process of the same user rewriting the segments
 * of running monitored programs (any such process can open them). Its
 * writes may change what is reported, never what the programs do.
 * usage:
 *   scribbler fuzz SECONDS ROUNDS
 *       waits (up to SECONDS) for a segment in $TM_DIR, then, round after
 *       round, writes over every byte of every segment there (new ones —
 *       fork children — are picked up as they appear): random bytes,
 *       all-ones, zeros, small integers (ids, depths, indices in range),
 *       pointer-like values (addresses inside the targets' code and
 *       stacks). Stops after SECONDS, ROUNDS rounds, or once every process
 *       it found is gone. Prints "rounds=R live=L" (L: rounds that started
 *       while a target was alive).
 *   scribbler frames DEPTH RET SYM
 *       waits (up to 10 s) for a thread with DEPTH open calls, then writes
 *       RET (if non-zero) where each open frame's return address used to
 *       be kept (offset 16 of a live[] entry) and SYM (if non-zero) as its
 *       symbol id. Prints "frames=N". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tm/wire.h"

#define MAX_SEGS  64
#define MAX_RANGE 256

struct seg {
	char name[256];
	char *map;
	size_t size;
	int pid;
};

static struct seg segs[MAX_SEGS];
static int nsegs;
static uint64_t ranges[MAX_RANGE][2]; /* [lo, hi) of the targets' code and stacks */
static int nranges;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_ranges(int pid)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && nranges < MAX_RANGE) {
		unsigned long long lo, hi;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3)
			continue;
		if (perms[2] == 'x' || strstr(line, "[stack]")) {
			ranges[nranges][0] = lo;
			ranges[nranges][1] = hi;
			nranges++;
		}
	}
	fclose(f);
}

/* Maps the segments in $TM_DIR not mapped yet. Returns how many are mapped. */
static int scan(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return nsegs;
	struct dirent *e;
	while ((e = readdir(d)) && nsegs < MAX_SEGS) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 3, ".tm") != 0 || n >= sizeof(segs[0].name))
			continue;
		int known = 0;
		for (int i = 0; i < nsegs; i++)
			known |= strcmp(segs[i].name, e->d_name) == 0;
		if (known)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		struct stat st;
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(struct tm_seg_header)) {
			close(fd); /* still being created: next time */
			continue;
		}
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			continue;
		struct seg *s = &segs[nsegs++];
		snprintf(s->name, sizeof(s->name), "%s", e->d_name);
		s->map = m;
		s->size = (size_t)st.st_size;
		/* <session>.<pid>.<nonce>.tm */
		const char *p = strchr(e->d_name, '.');
		s->pid = p ? atoi(p + 1) : 0;
		if (s->pid > 0)
			add_ranges(s->pid);
	}
	closedir(d);
	return nsegs;
}

static int any_alive(void)
{
	for (int i = 0; i < nsegs; i++)
		if (segs[i].pid > 0 && (kill(segs[i].pid, 0) == 0 || errno == EPERM))
			return 1;
	return 0;
}

static uint64_t pointer_like(void)
{
	if (!nranges)
		return next_rand() & 0x00007ffffffffff8ull;
	uint64_t *r = ranges[next_rand() % (uint64_t)nranges];
	return (r[0] + next_rand() % (r[1] - r[0])) & ~7ull;
}

static void scribble(struct seg *s, unsigned pattern)
{
	volatile uint64_t *p = (volatile uint64_t *)s->map;
	size_t n = s->size / 8;
	for (size_t i = 0; i < n; i++) {
		switch (pattern) {
		case 0: p[i] = next_rand(); break;
		case 1: p[i] = ~0ull; break;
		case 2: p[i] = 0; break;
		case 3: p[i] = (next_rand() & 0x3f) | (next_rand() & 0x3f) << 32; break;
		default: p[i] = pointer_like(); break;
		}
	}
}

static int fuzz(const char *dir, double secs, long max_rounds)
{
	double t0 = now_s();
	while (scan(dir) == 0) {
		if (now_s() - t0 > secs) {
			fprintf(stderr, "scribbler: no segment in %s\n", dir);
			printf("rounds=0 live=0\n");
			return 1;
		}
		usleep(200);
	}
	long rounds = 0, live = 0;
	while (rounds < max_rounds && now_s() - t0 < secs) {
		int alive = any_alive();
		if (!alive)
			break;
		for (int i = 0; i < nsegs; i++)
			scribble(&segs[i], (unsigned)(rounds % 5));
		rounds++;
		live += alive;
		scan(dir);
	}
	printf("rounds=%ld live=%ld\n", rounds, live);
	return 0;
}

/* Every open frame of every thread slot, from the header's geometry. */
static long rewrite_frames(struct seg *s, uint32_t depth, uint64_t ret, uint32_t sym, int apply)
{
	const struct tm_seg_header *h = (const void *)s->map;
	if (h->magic != TM_MAGIC || h->threads_off >= s->size || h->thread_size == 0)
		return 0;
	long n = 0;
	for (uint32_t i = 0; i <= h->max_threads; i++) {
		uint64_t off = h->threads_off + (uint64_t)i * h->thread_size;
		if (off + h->thread_size > s->size)
			break;
		struct tm_thread *thr = (void *)(s->map + off);
		uint32_t d = atomic_load(&thr->live_depth);
		if (d < depth || d > h->stack_cap)
			continue;
		char *live = (char *)thr + tm_thr_live_off();
		for (uint32_t k = 0; k < d; k++, n++) {
			char *f = live + (size_t)k * sizeof(struct tm_live);
			if (!apply)
				continue;
			if (ret) /* where the return address was kept, wire version 2 */
				*(volatile uint64_t *)(f + 16) = ret;
			if (sym)
				*(volatile uint32_t *)(f + offsetof(struct tm_live, sym)) = sym;
		}
	}
	return n;
}

static int frames(const char *dir, uint32_t depth, uint64_t ret, uint32_t sym)
{
	double t0 = now_s();
	while (now_s() - t0 < 10) {
		scan(dir);
		for (int i = 0; i < nsegs; i++) {
			if (rewrite_frames(&segs[i], depth, ret, sym, 0) >= depth) {
				printf("frames=%ld\n",
				       rewrite_frames(&segs[i], depth, ret, sym, 1));
				return 0;
			}
		}
		usleep(1000);
	}
	printf("frames=0\n");
	return 1;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("TM_DIR");
	if (!dir || argc < 2)
		return 2;
	rng ^= (uint64_t)getpid() << 17 ^ (uint64_t)time(NULL);
	if (strcmp(argv[1], "fuzz") == 0 && argc == 4)
		return fuzz(dir, atof(argv[2]), atol(argv[3]));
	if (strcmp(argv[1], "frames") == 0 && argc == 5)
		return frames(dir, (uint32_t)strtoul(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
			      (uint32_t)strtoul(argv[4], NULL, 0));
	return 2;
}
