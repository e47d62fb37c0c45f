/* SPDX-License-Identifier: MIT */
/* A fixed sequence of monitored calls (libhotseq.so) for tests/e2e/
 * hotpath_same.sh: ok and failed calls with their error from errno, from
 * the return value and from minus it; int, unsigned, long and pointer
 * returns; rules of several intervals; nested calls, so that callers and
 * depths vary; a recursion deeper than a record's depth can say (255); a
 * signal raised inside a monitored call whose handler makes monitored
 * calls; longjmps that leave frames behind, out of a monitored call and
 * inside one; the same sequence on a second thread.
 * usage: hotseq [ROUNDS] */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hotseq.h"

static volatile unsigned long sink; /* sums wrap: unsigned */
static jmp_buf env;

static void on_usr1(int sig)
{
	(void)sig;
	int saved = errno;
	sink += hs_errno(EINTR);
	sink += hs_nest(2);
	errno = saved;
}

static long jump_out(long v)
{
	longjmp(env, (int)v);
}

static void sequence(int rounds)
{
	static const int codes[] = {0, 100, 101, 5, 21, -1, 102, 99};
	static const unsigned uvals[] = {0, 7, 8, 4000000000u, 4294967295u, 3999999999u};
	static const int ivals[] = {0, 1, -1, -3, -2, INT_MIN, INT_MAX};
	static const long lvals[] = {-101, -100, 0, 50, 100, 101, LONG_MIN, LONG_MAX};
	static const uintptr_t pvals[] = {
		0, 1, 0x7fffffffffffull, 0x8000000000000000ull, 0xffff800000001000ull, UINTPTR_MAX};
	for (int r = 0; r < rounds; r++) {
		sink += hs_errno(0);
		sink += hs_errno(EAGAIN);
		sink += hs_errno(-4);
		sink += hs_errno(ENOENT + r);
		sink += hs_negret(0);
		sink += hs_negret(5);
		sink += hs_negret(-3);
		sink += hs_negret(r + 1);
		for (unsigned i = 0; i < sizeof(codes) / sizeof(*codes); i++)
			sink += hs_code(codes[i]);
		for (unsigned i = 0; i < sizeof(uvals) / sizeof(*uvals); i++)
			sink += hs_uint(uvals[i]);
		for (unsigned i = 0; i < sizeof(ivals) / sizeof(*ivals); i++)
			sink += hs_int(ivals[i]);
		for (unsigned i = 0; i < sizeof(lvals) / sizeof(*lvals); i++)
			sink += hs_long(lvals[i]);
		for (unsigned i = 0; i < sizeof(pvals) / sizeof(*pvals); i++)
			sink += (uintptr_t)hs_ptr((void *)pvals[i]);
		sink += hs_norule(r);
		sink += hs_norule(-r);
		sink += hs_nest(4 + r);
		sink += hs_recurse(r == 0 ? 300 : 20);
		sink += hs_raise(SIGUSR1);
		if (setjmp(env) == 0)
			sink += hs_call(jump_out, 3); /* its frame is left behind */
		sink += hs_errno(0);		      /* whose entry retires it */
		sink += hs_catch(2 * r);
		sink += hs_catch(2 * r + 1);
	}
}

static void *worker(void *arg)
{
	sequence((int)(intptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	if (argc > 2) { /* a gate: wait until the test has a reader on our segment */
		char go;
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, &go, 1) != 1)
			return 1;
		close(fd);
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sequence(rounds);
	pthread_t t;
	if (pthread_create(&t, NULL, worker, (void *)(intptr_t)rounds) != 0)
		return 1;
	pthread_join(t, NULL);
	printf("hotseq rounds=%d\n", rounds);
	return 0;
}
