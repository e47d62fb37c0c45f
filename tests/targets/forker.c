/* SPDX-License-Identifier: MIT */
/* The parent makes N calls, forks C children that each make M calls while
 * the parent makes N more, then waits. usage: forker N C M */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shapes.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	int c = argc > 2 ? atoi(argv[2]) : 3;
	long m = argc > 3 ? atol(argv[3]) : 500;
	long s = 0;
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	for (int k = 0; k < c; k++) {
		pid_t p = fork();
		if (p < 0)
			return 2;
		if (p == 0) {
			for (long i = 0; i < m; i++)
				s += work_noop(i);
			_exit(0);
		}
	}
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	int failed = 0;
	for (int k = 0; k < c; k++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed++;
	}
	printf("forker n=%ld c=%d m=%ld s=%ld failed=%d\n", n, c, m, s, failed);
	return failed ? 1 : 0;
}
