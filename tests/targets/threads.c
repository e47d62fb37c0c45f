/* SPDX-License-Identifier: MIT */
/* T threads x N calls of work_noop (and N/10 fail_if failures each); with
 * CPU, each thread pins itself to that CPU first (the main thread stays
 * where it was started).
 * usage: threads T N [CPU] */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "shapes.h"

static long per;
static int pin = -1;

static void *run(void *arg)
{
	long s = (long)arg;
	if (pin >= 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(pin, &one);
		if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0)
			exit(3);
	}
	for (long i = 0; i < per; i++) {
		s += work_noop(i);
		if (i % 10 == 0)
			s += fail_if(5);
	}
	return (void *)s;
}

int main(int argc, char **argv)
{
	int t = argc > 1 ? atoi(argv[1]) : 8;
	per = argc > 2 ? atol(argv[2]) : 1000000;
	pin = argc > 3 ? atoi(argv[3]) : -1;
	pthread_t th[1024];
	if (t < 1 || t > 1024)
		return 2;
	for (int i = 0; i < t; i++)
		if (pthread_create(&th[i], NULL, run, (void *)(long)i))
			return 2;
	long sum = 0;
	for (int i = 0; i < t; i++) {
		void *r;
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	printf("threads=%d per=%ld sum=%ld\n", t, per, sum);
	return 0;
}
