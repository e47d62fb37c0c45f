/* SPDX-License-Identifier: MIT */
/* A monitored function of known latency: phase_work(us) sleeps us
 * microseconds and returns us + 1 (> 0: success under phases.json). */
#include <time.h>

long phase_work(long us)
{
	struct timespec t = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&t, &t) != 0)
		;
	return us + 1;
}
