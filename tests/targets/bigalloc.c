/* SPDX-License-Identifier: MIT */
/* One large allocation, every page touched, then N monitored calls: a
 * program that fits under `ulimit -v` natively must fit under the shim too.
 * Optionally sleeps MS milliseconds at the end (to read /proc/PID/status).
 * usage: bigalloc MIB N [MS]   prints: ok mib=MIB calls=N sum=S */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shapes.h"

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 150;
	long n = argc > 2 ? atol(argv[2]) : 1000;
	long ms = argc > 3 ? atol(argv[3]) : 0;
	size_t len = (size_t)mib << 20;
	char *p = malloc(len);
	if (!p) {
		printf("malloc of %ld MiB failed\n", mib);
		return 3;
	}
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)i;
	long sum = 0;
	for (long i = 0; i < n; i++)
		sum += work_noop(i) + p[(size_t)i * 4096 % len];
	if (ms > 0) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	printf("ok mib=%ld calls=%ld sum=%ld\n", mib, n, sum);
	free(p);
	return 0;
}
