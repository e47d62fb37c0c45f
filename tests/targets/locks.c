/* SPDX-License-Identifier: MIT */
/* Locks that are held: a second thread tries a held mutex (EBUSY), waits
 * for it and for a condition with a deadline already past (ETIMEDOUT, at
 * once: no timing involved) and tries a write-held rwlock. Prints what
 * each call returned, for the test to compare with the summary.
 * usage: locks N   (N of each failing call) */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mine = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long n;
static long busy, timedout, cond_timedout, rw_busy, rw_timedout, other;

static void *contend(void *arg)
{
	struct timespec past = {0, 0}; /* 1970: long gone */
	(void)arg;
	for (long i = 0; i < n; i++) {
		int r = pthread_mutex_trylock(&held);
		busy += r == EBUSY;
		other += r != EBUSY;
		r = pthread_mutex_timedlock(&held, &past);
		timedout += r == ETIMEDOUT;
		other += r != ETIMEDOUT;
		r = pthread_rwlock_tryrdlock(&rw);
		rw_busy += r == EBUSY;
		other += r != EBUSY;
		r = pthread_rwlock_timedwrlock(&rw, &past);
		rw_timedout += r == ETIMEDOUT;
		other += r != ETIMEDOUT;
		other += pthread_mutex_lock(&mine) != 0;
		r = pthread_cond_timedwait(&cond, &mine, &past);
		cond_timedout += r == ETIMEDOUT;
		other += r != ETIMEDOUT;
		other += pthread_mutex_unlock(&mine) != 0;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	n = argc > 1 ? atol(argv[1]) : 10;
	if (pthread_mutex_lock(&held) || pthread_rwlock_wrlock(&rw))
		return 1;
	if (pthread_create(&t, NULL, contend, NULL) || pthread_join(t, NULL))
		return 1;
	pthread_rwlock_unlock(&rw);
	pthread_mutex_unlock(&held);
	printf("trylock_ebusy=%ld timedlock_etimedout=%ld cond_etimedout=%ld "
	       "tryrdlock_ebusy=%ld timedwrlock_etimedout=%ld other=%ld\n",
	       busy, timedout, cond_timedout, rw_busy, rw_timedout, other);
	return other != 0;
}
