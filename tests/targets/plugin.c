/* SPDX-License-Identifier: MIT */
/* libtmplugin.so: loaded with dlopen by plugin_host, found only through the
 * host's $ORIGIN/plugins run path. Its calls go through its own PLT. */
#include "shapes.h"

long plugin_helper(long n)
{
	return n * 2;
}

long plugin_entry(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	return s + plugin_helper(n); /* through the PLT: interposable */
}
