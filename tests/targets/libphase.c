/* SPDX-License-Identifier: MIT */
/* A monitored function of known latency: phase_work(us) sleeps us
 * microseconds and returns us + 1 (> 0: success under phases.json);
 * phase_work(-us) sleeps as long, sets errno to EIO and returns -1. */
#include <errno.h>
#include <time.h>

long phase_work(long us)
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
