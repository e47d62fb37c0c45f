/* SPDX-License-Identifier: MIT */
/* Benchmark only, not a collector: the most demanding consumer a ring can
 * have. Waits for the first segment to appear in DIR, maps it and spins
 * over its thread rings without ever sleeping: reads each head (acquire;
 * the shim publishes it every TM_HEAD_EVERY records, and this reader never
 * looks past it), reads every new record, publishes the tail (release), again and again,
 * until the segment's process has exited. What a live view or endpoint
 * would do if it polled instead of napping; tm's collector naps (loop.c).
 * Prints how many records it read and how many passes found nothing new.
 *
 * usage: spinreader DIR [SECONDS]   (gives up after SECONDS, default 120) */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tm/wire.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first published segment in dir, mapped; NULL until there is one. */
static const struct tm_seg_header *find(const char *dir, size_t *len)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	const struct tm_seg_header *h = NULL;
	struct dirent *e;
	while (!h && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 3, ".tm"))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		struct stat st;
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(*h)) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				       fd, 0);
			if (m != MAP_FAILED) {
				const struct tm_seg_header *x = m;
				if (x->magic == TM_MAGIC && x->version == TM_WIRE_VERSION &&
				    atomic_load(&x->state) == TM_PROC_RUNNING &&
				    x->total_size <= (uint64_t)st.st_size) {
					h = x;
					*len = (size_t)st.st_size;
				} else {
					munmap(m, (size_t)st.st_size);
				}
			}
		}
		close(fd);
	}
	closedir(d);
	return h;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: spinreader DIR [SECONDS]\n");
		return 2;
	}
	double limit = argc > 2 ? atof(argv[2]) : 120, t0 = now_s();
	size_t len = 0;
	const struct tm_seg_header *h;
	while (!(h = find(argv[1], &len))) {
		if (now_s() - t0 > limit) {
			fprintf(stderr, "spinreader: no segment in %s\n", argv[1]);
			return 1;
		}
		usleep(1000);
	}
	printf("spinreader found a segment\n"); /* a test may wait for this line */
	fflush(stdout);
	char *base = (char *)h;
	uint64_t records = 0, empty = 0, sum = 0;
	uint32_t mask = h->ring_cap - 1;
	for (unsigned long pass = 0;; pass++) {
		uint32_t hwm = atomic_load_explicit(&h->threads_hwm, memory_order_acquire);
		if (hwm > h->max_threads)
			hwm = h->max_threads;
		int got = 0;
		for (uint32_t s = 0; s < hwm; s++) {
			struct tm_thread *thr = (struct tm_thread *)(base + h->threads_off +
								     (uint64_t)s * h->thread_size);
			const struct tm_record *ring =
				(const void *)((char *)thr +
					       tm_thr_ring_off(h->stack_cap, h->max_syms));
			uint64_t head = atomic_load_explicit(&thr->head, memory_order_acquire);
			uint64_t tail = atomic_load_explicit(&thr->tail, memory_order_relaxed);
			if (head == tail || head - tail > h->ring_cap)
				continue;
			for (uint64_t i = tail; i != head; i++)
				sum += ring[i & mask].dur_meta; /* every record read */
			records += head - tail;
			got = 1;
			atomic_store_explicit(&thr->tail, head, memory_order_release);
		}
		if (!got) {
			empty++;
			if ((pass & 1023) == 0 &&
			    (atomic_load(&h->state) == TM_PROC_EXITED || now_s() - t0 > limit))
				break;
		}
	}
	printf("spinreader records=%llu empty_passes=%llu check=%llu\n",
	       (unsigned long long)records, (unsigned long long)empty,
	       (unsigned long long)(sum & 1));
	return 0;
}
