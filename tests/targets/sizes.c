/* SPDX-License-Identifier: MIT */
/* Calls libsizes N times each with known sizes and prints the exact
 * totals its rules should report (tests/e2e/sizes.sh).
 * usage: sizes N [THREADS]
 * sz_put32's first argument (an fd) cycles through -1, 0, 1: a group. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

long sz_put(const void *buf, unsigned long n);
/* declared wider than it is: the caller fills the whole register, the
 * callee reads its low half (what "arg2:u32" must take) */
int sz_put32(int fd, unsigned long n);
size_t sz_items(size_t size, size_t nmemb);
long sz_nest(unsigned long n);

static long n_calls;

struct tot {
	unsigned long long put, put32, items, nest;
	unsigned long long fd[3]; /* sz_put32's calls with fd -1, 0, 1 */
};

static void *run(void *arg)
{
	struct tot *t = arg;
	for (long i = 0; i < n_calls; i++) {
		unsigned long n = (unsigned long)(i % 1000); /* 0: sz_put fails */
		if (sz_put(NULL, n) > 0)
			t->put += n;
		sz_put32((int)(i % 3) - 1, 0xdead000000000000ul | (unsigned long)(i % 4096));
		t->put32 += (unsigned long)(i % 4096);
		t->fd[i % 3]++;
		size_t got = sz_items(12, (size_t)(i % 64));
		t->items += 12ull * got;
		if (sz_nest(7) > 0)
			t->nest += 7;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	n_calls = atol(argv[1]);
	int nt = argc > 2 ? atoi(argv[2]) : 1;
	if (nt < 1 || nt > 16)
		return 2;
	pthread_t th[16];
	struct tot t[16] = {{0}};
	for (int k = 1; k < nt; k++)
		pthread_create(&th[k], NULL, run, &t[k]);
	run(&t[0]);
	for (int k = 1; k < nt; k++)
		pthread_join(th[k], NULL);
	struct tot s = {0};
	for (int k = 0; k < nt; k++) {
		s.put += t[k].put;
		s.put32 += t[k].put32;
		s.items += t[k].items;
		s.nest += t[k].nest;
		for (int j = 0; j < 3; j++)
			s.fd[j] += t[k].fd[j];
	}
	/* sz_put's bytes include the nested calls' */
	printf("put=%llu put32=%llu items=%llu nest=%llu fd-1=%llu fd0=%llu fd1=%llu\n",
	       s.put + s.nest, s.put32, s.items, s.nest, s.fd[0], s.fd[1], s.fd[2]);
	return 0;
}
