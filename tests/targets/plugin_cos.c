/* SPDX-License-Identifier: MIT */
/* libtmcosplug.so: a C plugin calling libm's cos, which the host does not
 * link: libm arrives with the plugin's dlopen. Built -fno-builtin so every
 * cos is a call through the plugin's lazily bound PLT; it counts them. */
#include <math.h>

static long calls;

long plugin_cos(long n)
{
	volatile double x = 0.5, s = 0;
	for (long i = 0; i < n; i++) {
		s += cos(x + (double)i);
		calls++;
	}
	return calls + (s > 1e300);
}
