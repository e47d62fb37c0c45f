/* SPDX-License-Identifier: MIT */
/* The interval-driven outputs (sinks.c). */
#ifndef TM_SINKS_H
#define TM_SINKS_H

#include <stdio.h>

#include "collector.h"
#include "http.h"

struct tm_sinks_opts {
	const char *listen, *port_file, *textfile, *jsonl, *csv;
	const char *alertmanager, *on_alert; /* alert delivery (notify.c) */
	uint64_t interval_ns;
};

struct tm_prev {
	uint64_t calls, ok, failed, slow, bytes;
	double sum_ns;
	uint64_t outcomes;
};

struct tm_sinks {
	struct tm_sinks_opts o;
	struct tm_coll *c;
	struct tm_http http;
	struct tm_notify *notify;
	int http_on;
	FILE *jsonl, *csv;
	uint64_t next_ns;
	uint64_t interest[TM_DOC_COUNT]; /* keep rendering until then */
	uint64_t published[TM_DOC_COUNT];
	struct tm_prev *prev; /* per symbol: totals at the last interval */
	size_t nprev;
	uint64_t loss_prev[TM_LOSS_COUNT + 1];
	unsigned textfile_failed;
};

int tm_sinks_start(struct tm_sinks *s, struct tm_coll *c, pthread_mutex_t *lock, char *err,
		   size_t errlen);
/* Every loop turn, model lock held; final: the last one before exit. */
void tm_sinks_turn(struct tm_sinks *s, uint64_t now, int final);
void tm_sinks_stop(struct tm_sinks *s);

struct json_t;
void tm_sinks_line(FILE *f, struct json_t *o); /* one JSON line, consumes o */

#endif
