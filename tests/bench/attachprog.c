/* SPDX-License-Identifier: MIT */
/* The program bench_attach attaches to: linked to the 30 libraries of
 * bench_startup_prog (300 functions), it calls all of them in a loop
 * forever and measures its own longest gap between two rounds — what a
 * pause of its thread costs it, seen from inside. Prints "ready"; SIGUSR1
 * prints "gap NS" (the longest gap since the last SIGUSR1) and starts
 * over; SIGTERM exits 0. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define F10(k)                                                                                     \
	long bs_##k##_0(long), bs_##k##_1(long), bs_##k##_2(long), bs_##k##_3(long),               \
		bs_##k##_4(long), bs_##k##_5(long), bs_##k##_6(long), bs_##k##_7(long),            \
		bs_##k##_8(long), bs_##k##_9(long);
#define C10(k)                                                                                     \
	s += bs_##k##_0(s) + bs_##k##_1(s) + bs_##k##_2(s) + bs_##k##_3(s) + bs_##k##_4(s) +       \
	     bs_##k##_5(s) + bs_##k##_6(s) + bs_##k##_7(s) + bs_##k##_8(s) + bs_##k##_9(s);
/* clang-format reflows this list differently on every pass */
// clang-format off
#define ALL(X) \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) \
	X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29)
// clang-format on
ALL(F10)

static atomic_int report, done;

static void on_usr1(int s)
{
	(void)s;
	atomic_store(&report, 1);
}

static void on_term(int s)
{
	(void)s;
	atomic_store(&done, 1);
}

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int main(void)
{
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	long s = 0, prev = now_ns(), gap = 0;
	while (!atomic_load(&done)) {
		ALL(C10)
		long t = now_ns();
		if (t - prev > gap)
			gap = t - prev;
		prev = t;
		if (atomic_exchange(&report, 0)) {
			printf("gap %ld\n", gap);
			gap = 0;
		}
	}
	return s == 42; /* keeps the calls */
}
