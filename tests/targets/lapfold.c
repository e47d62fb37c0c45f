/* SPDX-License-Identifier: MIT */
/* A ring of 64 with no reader (tests/e2e/hotpath_same.sh): a new thread
 * fills positions 0..62 with work_noop's records, then makes a call of a
 * symbol whose bytes come from an argument (sz_put: a call record and a
 * bytes record) with one slot left, so the pair folds, then one more
 * work_noop, which takes the last slot, position 63, through the fast
 * path: its record must carry lap 0's bit.
 * usage: lapfold */
#include <pthread.h>
#include <stdio.h>

#include "shapes.h"

long sz_put(const void *buf, unsigned long n);

static void *run(void *arg)
{
	long s = (long)arg;
	for (int i = 0; i < 63; i++)
		s += work_noop(i);
	s += sz_put(NULL, 5);
	s += work_noop(1);
	return (void *)s;
}

int main(void)
{
	pthread_t t;
	void *r;
	if (pthread_create(&t, NULL, run, NULL) != 0 || pthread_join(t, &r) != 0)
		return 1;
	printf("lapfold done %ld\n", (long)r);
	return 0;
}
