/* SPDX-License-Identifier: MIT */
/* Drives libnest (tests/e2e/calls.sh): nest [a|r|t|j|all|units|units-root] N — N outer
 * calls of each chosen shape. Prints a checksum, the same with and
 * without the shim. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long nest_a(long n);
long nest_r(long n);
long nest_t(long n);
long nest_j(long n);
long nest_handle(long i, long root_fails);

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	long n = argc > 2 ? atol(argv[2]) : 100, sum = 0;
	int all = strcmp(what, "all") == 0;
	if (strcmp(what, "units") == 0 || strcmp(what, "units-root") == 0) {
		/* n units of work */
		for (long i = 0; i < n; i++)
			sum += nest_handle(i, strcmp(what, "units-root") == 0);
		printf("%ld\n", sum);
		return 0;
	}
	for (long i = 0; i < n; i++) {
		if (all || strcmp(what, "a") == 0)
			sum += nest_a(200);
		if (all || strcmp(what, "r") == 0)
			sum += nest_r(3);
		if (all || strcmp(what, "t") == 0)
			sum += nest_t(200);
		if (all || strcmp(what, "j") == 0)
			sum += nest_j(200);
	}
	printf("%ld\n", sum);
	return 0;
}
