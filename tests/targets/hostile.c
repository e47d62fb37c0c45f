/* SPDX-License-Identifier: MIT */
/* What return-address hijacking must survive. usage:
 *   hostile longjmp N    N x: call_cb -> callback longjmps (or siglongjmps) out
 *   hostile recurse D    recursion D levels deep, every level a monitored call
 *                        (down -> call_cb through the PLT -> down -> ...)
 *   hostile tail N       N calls of a monitored function that tail-calls another
 *   hostile malloc N     N x malloc + free through the PLT
 *   hostile threads N    pthread_exit and cancellation inside monitored calls,
 *                        then N short-lived threads, 64 at a time
 *   hostile signals N    N monitored calls while a 20 kHz timer's handler also
 *                        makes monitored calls; prints both counts */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "shapes.h"

static jmp_buf jb;
static sigjmp_buf sjb;

static long jump_out(long x)
{
	if (x % 2)
		siglongjmp(sjb, 1);
	longjmp(jb, 1);
}

static int do_longjmp(long n)
{
	volatile long jumped = 0, s = 0;
	for (volatile long i = 0; i < n; i++) {
		if (i % 2 ? sigsetjmp(sjb, 1) == 0 : setjmp(jb) == 0)
			s += call_cb(jump_out, i); /* never returns normally */
		else
			jumped++;
		s += work_noop(i); /* the shadow stack must be back in step */
	}
	printf("longjmp n=%ld jumped=%ld s=%ld\n", n, jumped, s);
	return jumped == n ? 0 : 1;
}

static long down(long n)
{
	return n <= 0 ? 0 : call_cb(down, n - 1);
}

static long exit_inside(long x)
{
	pthread_exit((void *)x); /* from inside call_cb's monitored frame */
}

static long block_inside(long fd)
{
	char c;
	return read((int)fd, &c, 1); /* a cancellation point, never satisfied */
}

static void *thread_exit_main(void *arg)
{
	call_cb(exit_inside, (long)arg);
	return NULL; /* not reached */
}

static void *thread_cancel_main(void *arg)
{
	return (void *)call_cb(block_inside, (long)arg);
}

static void *short_lived(void *arg)
{
	long s = 0;
	for (long i = 0; i < 100; i++)
		s += work_noop(i);
	return (void *)(s + (long)arg);
}

/* T threads exit with pthread_exit inside a monitored call, T are
 * cancelled while blocked inside one, then `many` short-lived threads run
 * 64 at a time, 100 calls each. */
static int do_threads(long many)
{
	enum { T = 8 };
	pthread_t th[64];
	int fds[2];
	if (pipe(fds) < 0)
		return 2;
	for (long i = 0; i < T; i++)
		pthread_create(&th[i], NULL, thread_exit_main, (void *)i);
	long exited = 0;
	for (int i = 0; i < T; i++) {
		void *r;
		pthread_join(th[i], &r);
		exited += (long)r;
	}
	for (int i = 0; i < T; i++)
		pthread_create(&th[i], NULL, thread_cancel_main, (void *)(long)fds[0]);
	int cancelled = 0;
	for (int i = 0; i < T; i++) {
		void *r;
		pthread_cancel(th[i]);
		pthread_join(th[i], &r);
		cancelled += r == PTHREAD_CANCELED;
	}
	long sum = 0;
	for (long done = 0; done < many;) {
		int k = 0;
		for (; k < 64 && done + k < many; k++)
			pthread_create(&th[k], NULL, short_lived, (void *)(done + k));
		for (int j = 0; j < k; j++) {
			void *r;
			pthread_join(th[j], &r);
			sum += (long)r;
		}
		done += k;
	}
	printf("threads exited=%ld cancelled=%d many=%ld sum=%ld\n", exited, cancelled, many, sum);
	return cancelled == T ? 0 : 1;
}

static volatile sig_atomic_t in_handler_calls;

static void on_alarm(int sig)
{
	(void)sig;
	work_noop(1);
	in_handler_calls++;
}

static int do_signals(long n)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 50}, {0, 50}};
	setitimer(ITIMER_REAL, &it, NULL);
	long s = 0;
	for (long i = 0; i < n; i++)
		s += work_noop(i) + call_cb(work_noop, i);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("signals n=%ld s=%ld\n", n, s);
	fprintf(stderr, "handler_calls=%ld\n", (long)in_handler_calls);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	if (strcmp(argv[1], "longjmp") == 0)
		return do_longjmp(n);
	if (strcmp(argv[1], "recurse") == 0) {
		printf("recurse depth=%ld\n", call_cb(down, n - 1));
		return 0;
	}
	if (strcmp(argv[1], "tail") == 0) {
		long s = 0;
		for (long i = 0; i < n; i++)
			s += tail_noop(i);
		printf("tail n=%ld s=%ld\n", n, s);
		return 0;
	}
	if (strcmp(argv[1], "threads") == 0)
		return do_threads(n);
	if (strcmp(argv[1], "malloc") == 0) {
		long s = 0;
		for (long i = 0; i < n; i++) {
			char *volatile p = malloc(32 + (size_t)(i & 255));
			p[0] = (char)i;
			s += p[0];
			free(p);
		}
		printf("malloc n=%ld s=%ld\n", n, s);
		return 0;
	}
	if (strcmp(argv[1], "signals") == 0)
		return do_signals(n);
	return 2;
}
