/* SPDX-License-Identifier: MIT */
/* Calls every shape a known number of times and prints every result, so a
 * run under the shim can be compared byte for byte with a run without it.
 * usage: shapes [N]  (default 1000). Exit code 3 if a result is wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shapes.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	int bad = 0;
	long acc = 0;
	double dacc = 0;
	long double lacc = 0;

	for (long i = 0; i < n; i++) {
		acc += work_noop(i);
		acc += add_int((int)i, 7);
		acc += (long)(char *)ptr_id((char *)0 + i);
		dacc += dmul((double)i, 0.5f);
		dacc += fneg((float)i);
		lacc += ldtwice((long double)i / 3.0L);
		struct big b = big_make(i);
		bad |= b.d != 4 * i || b.a != i;
		struct mixed m = mixed_pass((struct mixed){1.5, i}, 2.0);
		bad |= m.x != 3.0 || m.y != i + 1;
		struct dpair p = dpair_swap((struct dpair){(double)i, -1.0});
		bad |= p.a != -1.0 || p.b != (double)i;
		double v = vsum(4, 1.0, 2.0, 3.0, (double)i);
		bad |= v != 6.0 + (double)i;
		long mv = many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, i, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
		bad |= mv != 385 + 11 * i + 55;
		errno = 0;
		int r = fail_if(i % 10 == 0 ? ENOENT : (i % 10 == 1 ? EACCES : 0));
		if (i % 10 == 0)
			bad |= r != -1 || errno != ENOENT;
		else if (i % 10 == 1)
			bad |= r != -1 || errno != EACCES;
		else
			bad |= r != 0;
		acc += sqlite_like(i % 4 == 0 ? 5 : 101);
	}
	printf("n=%ld acc=%ld dacc=%.6f lacc=%.6Lf bad=%d\n", n, acc, dacc, lacc, bad);
	return bad ? 3 : 0;
}
