/* SPDX-License-Identifier: MIT */
/* N calls of who_called(): counts the calls that saw their own caller's
 * address (not hijacked) and those that saw another one (hijacked).
 * usage: retaddr N   prints: self=S other=O */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shapes.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, self = 0, other = 0;
	Dl_info me, it;
	if (!dladdr((void *)main, &me))
		return 2;
	for (long i = 0; i < n; i++) {
		void *ra = who_called();
		if (dladdr(ra, &it) && it.dli_fbase == me.dli_fbase)
			self++;
		else
			other++;
	}
	printf("self=%ld other=%ld\n", self, other);
	return 0;
}
