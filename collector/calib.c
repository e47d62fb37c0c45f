/* SPDX-License-Identifier: MIT */
/* TSC calibration against CLOCK_MONOTONIC. Segments store raw TSC ticks;
 * the collector converts them to ns. Each end of a 5 ms interval is the
 * tightest of several rdtsc/clock_gettime/rdtsc brackets (about 20 ns
 * wide), so the error is under 1e-5 (the histogram's is 0.8%). The
 * interval is slept, not spun: it is the collector's start-up latency. */
#include <time.h>

#include "collector.h"

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

uint64_t tm_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	*tsc = *ns = 0;
	for (int i = 0; i < 16; i++) {
		uint64_t a = rdtsc(), n = tm_mono_ns(), b = rdtsc();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = n;
		}
	}
}

double tm_calibrate_tsc(uint64_t *hz)
{
	uint64_t t0, n0, t1, n1;
	pair(&t0, &n0);
	struct timespec d = {0, 5000000};
	while (nanosleep(&d, &d) != 0)
		;
	pair(&t1, &n1);
	double npt = (double)(n1 - n0) / (double)(t1 - t0);
	if (hz)
		*hz = (uint64_t)(1e9 / npt);
	return npt;
}

/* The calibration over the collector's whole life: from the first pair to
 * now. Over seconds the brackets' 20 ns are 1e-8 of the interval, and the
 * slope follows CLOCK_MONOTONIC's own (NTP-slewed) rate, so durations and
 * the seconds calls are put in agree with CLOCK_MONOTONIC as programs
 * read it. Called at most once a second. */
void tm_calib_refine(struct tm_coll *c, uint64_t now_ns)
{
	if (!c->tsc_hz)
		return;
	if (!c->cal_t0) {
		pair(&c->cal_t0, &c->cal_n0);
		c->cal_next = now_ns + 1000000000ull;
		return;
	}
	if (now_ns < c->cal_next)
		return;
	uint64_t t1, n1;
	pair(&t1, &n1);
	if (t1 > c->cal_t0 && n1 > c->cal_n0 + 500000000ull) {
		c->ns_per_tick = (double)(n1 - c->cal_n0) / (double)(t1 - c->cal_t0);
		c->tsc_hz = (uint64_t)(1e9 / c->ns_per_tick);
	}
	c->cal_next = now_ns + 1000000000ull;
}
