/* SPDX-License-Identifier: MIT */
/* Makes N calls, prints "ready", then blocks until a byte (or EOF) arrives
 * on stdin, makes M more calls (none by default) and exits 0.
 * usage: blocker N [M] */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shapes.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	long m = argc > 2 ? atol(argv[2]) : 0;
	long s = 0;
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	printf("ready %ld\n", s);
	fflush(stdout);
	char c;
	while (read(0, &c, 1) < 0)
		;
	for (long i = 0; i < m; i++)
		s += work_noop(i);
	return 0;
}
