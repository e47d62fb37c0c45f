/* SPDX-License-Identifier: MIT */
/* Makes monitored calls when asked: prints "ready", then for each line
 * "N" on stdin makes N calls of work_noop and prints "did N total T" (T:
 * every call so far); exits 0 at EOF or on a line "q".
 * usage: ondemand */
#include <stdio.h>
#include <stdlib.h>

#include "shapes.h"

int main(void)
{
	long total = 0, s = 0;
	char line[64];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q') {
		long n = atol(line);
		for (long i = 0; i < n; i++)
			s += work_noop(i);
		total += n;
		printf("did %ld total %ld\n", n, total);
		fflush(stdout);
	}
	return s == -1; /* s is used: the calls are not optimised away */
}
