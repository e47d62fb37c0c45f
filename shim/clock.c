/* SPDX-License-Identifier: MIT */
/* Choice of clock: the invariant TSC where the CPU has one (rdtsc, ~25
 * cycles, no system call), otherwise CLOCK_MONOTONIC through the vDSO. The
 * collector converts ticks to ns with its own calibration. */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "shim.h"

static int tm_has_invariant_tsc(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
		return 0;
	__get_cpuid(0x80000007u, &a, &b, &c, &d);
	return (d >> 8) & 1;
}

int tm_clock_init(void)
{
	const char *force = tm_env("TM_CLOCK");
	if (force && strcmp(force, "mono") == 0)
		return TM_CLOCK_MONO;
	return tm_has_invariant_tsc() ? TM_CLOCK_TSC : TM_CLOCK_MONO;
}

tm_ticks tm_clock_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
