/* SPDX-License-Identifier: MIT */
/* A second LD_PRELOAD library of the classic kind: it wraps work_noop and
 * reaches the real one with dlsym(RTLD_NEXT, ...). Its wrapper adds 1000 so
 * the program's output shows that it ran. */
#include <dlfcn.h>

long work_noop(long x)
{
	static long (*next)(long);
	if (!next)
		next = (long (*)(long))dlsym(RTLD_NEXT, "work_noop");
	return next ? next(x) + 1000 : -1;
}
