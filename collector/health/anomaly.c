/* SPDX-License-Identifier: MIT */
/* Anomaly detection (stub until the detector lands). */
#include <stdlib.h>

#include "anomaly.h"

struct tm_an {
	struct tm_an_state s[TM_AN_COUNT];
};

void tm_an_params_default(struct tm_an_params *p)
{
	*p = (struct tm_an_params){300, 10, 60, 20, 6, 3, 0.2, 0.05, 200, 4, 8, 30, 3, 5};
}

struct tm_an *tm_an_new(const struct tm_an_params *p)
{
	(void)p;
	return calloc(1, sizeof(struct tm_an));
}

void tm_an_free(struct tm_an *a)
{
	free(a);
}

unsigned tm_an_push(struct tm_an *a, const struct tm_an_point *pt)
{
	(void)pt;
	for (int i = 0; i < TM_AN_COUNT; i++)
		a->s[i].points++;
	return 0;
}

const struct tm_an_state *tm_an_state(const struct tm_an *a, enum tm_an_series s)
{
	return &a->s[s];
}

const char *tm_an_series_name(enum tm_an_series s)
{
	static const char *const n[] = {"p99", "p50", "rate", "error_ratio"};
	return (unsigned)s < TM_AN_COUNT ? n[s] : "?";
}
