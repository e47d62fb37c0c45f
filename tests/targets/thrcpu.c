/* SPDX-License-Identifier: MIT */
/* Threads of known CPU: one thread per argument MS (monitored: makes 100
 * calls of work_noop, then burns MS ms of its own CPU) or u:MS (burns MS
 * ms, no monitored call). Each prints "thread TID monitored|unmonitored
 * MS"; then "ready", and all block until a byte (or EOF) arrives on
 * stdin. The main thread makes no monitored call.
 * usage: thrcpu [u:]MS... (at most 16) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shapes.h"

struct job {
	long ms;
	int monitored;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, done;

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	const struct job *j = arg;
	static volatile unsigned long spin;
	long s = 0;
	if (j->monitored)
		for (long i = 0; i < 100; i++)
			s += work_noop(i);
	double until = thread_cpu_s() + (double)j->ms / 1000;
	while (thread_cpu_s() < until)
		spin = spin + 1;
	pthread_mutex_lock(&mu);
	printf("thread %d %s %ld\n", (int)gettid(), j->monitored ? "monitored" : "unmonitored",
	       j->ms);
	fflush(stdout);
	done++;
	pthread_cond_broadcast(&cv);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return (void *)s;
}

int main(int argc, char **argv)
{
	struct job jobs[16];
	pthread_t th[16];
	int n = argc - 1;
	if (n < 1 || n > 16)
		return 2;
	for (int i = 0; i < n; i++) {
		const char *a = argv[i + 1];
		jobs[i].monitored = strncmp(a, "u:", 2) != 0;
		jobs[i].ms = atol(jobs[i].monitored ? a : a + 2);
		if (jobs[i].ms < 0 || pthread_create(&th[i], NULL, run, &jobs[i]))
			return 2;
	}
	pthread_mutex_lock(&mu);
	while (done < n)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("ready\n");
	fflush(stdout);
	char c;
	while (read(0, &c, 1) < 0)
		;
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
