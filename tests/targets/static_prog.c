/* SPDX-License-Identifier: MIT */
/* Built -static: the dynamic linker never runs, so LD_PRELOAD cannot
 * reach it. */
#include <stdio.h>

int main(void)
{
	long s = 0;
	for (long i = 0; i < 1000; i++)
		s += i;
	printf("static s=%ld\n", s);
	return 6;
}
