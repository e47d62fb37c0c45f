/* SPDX-License-Identifier: MIT */
/* usage: longnames N: calls the first long-named function N times, the
 * second 2N times, ln_short 3N times, through the PLT; prints the sum. */
#include <stdio.h>
#include <stdlib.h>

#include "longnames.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10, s = 0;
	for (long i = 0; i < n; i++)
		s += LN_ONE(i);
	for (long i = 0; i < 2 * n; i++)
		s += LN_TWO(i);
	for (long i = 0; i < 3 * n; i++)
		s += ln_short(i);
	printf("longnames n=%ld s=%ld\n", n, s);
	return 0;
}
