/* SPDX-License-Identifier: MIT */
/* Three monitored functions doing the same, known work: tw_X(us) sleeps
 * us microseconds and returns us + 1 (> 0: success under
 * tests/e2e/data/twowork.json); tw_X(-us) sleeps as long, sets errno to
 * EIO and returns -1. What tmreport diff compares (tests/e2e/report.sh). */
#include <errno.h>
#include <time.h>

long tw_a(long us);
long tw_b(long us);
long tw_c(long us);

static long work(long us)
{
	long a = us < 0 ? -us : us;
	struct timespec t = {a / 1000000, (a % 1000000) * 1000};
	while (nanosleep(&t, &t) != 0)
		;
	if (us < 0) {
		errno = EIO;
		return -1;
	}
	return us + 1;
}

long tw_a(long us)
{
	return work(us);
}

long tw_b(long us)
{
	return work(us);
}

long tw_c(long us)
{
	return work(us);
}
