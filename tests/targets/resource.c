/* SPDX-License-Identifier: MIT */
/* Known resources: touches MIB MiB of heap, burns CPU_MS of user CPU, makes
 * N monitored calls (and FAILS calls of fail_if(EAGAIN)), prints "ready",
 * then blocks on stdin: "b" burns CPU_MS more and prints "burnt", anything
 * else ends it.
 * usage: resource MIB CPU_MS N [FAILS] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shapes.h"

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	long cpu_ms = argc > 2 ? atol(argv[2]) : 500;
	long n = argc > 3 ? atol(argv[3]) : 1000;
	long fails = argc > 4 ? atol(argv[4]) : 0;
	char *m = malloc((size_t)mib << 20);
	if (!m)
		return 1;
	memset(m, 1, (size_t)mib << 20);
	static volatile unsigned long spin;
	clock_t until = clock() + cpu_ms * (CLOCKS_PER_SEC / 1000);
	while (clock() < until)
		spin = spin + 1;
	long s = 0;
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	for (long i = 0; i < fails; i++)
		s += fail_if(EAGAIN);
	printf("ready %ld %d\n", s, m[12345]);
	fflush(stdout);
	/* then, for each "b" read, CPU_MS more of user CPU and "burnt";
	 * anything else (or the end of the input) ends it */
	char c;
	for (;;) {
		ssize_t r = read(0, &c, 1);
		if (r < 0)
			continue;
		if (r == 0 || c != 'b')
			return 0;
		until = clock() + cpu_ms * (CLOCKS_PER_SEC / 1000);
		while (clock() < until)
			spin = spin + 1;
		printf("burnt\n");
		fflush(stdout);
	}
}
