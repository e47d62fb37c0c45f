/* SPDX-License-Identifier: MIT */
/* The HTTP endpoint (http.c) and the documents the loop publishes to it. */
#ifndef TM_HTTP_H
#define TM_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct tm_coll;
struct MHD_Daemon;

enum tm_doc_kind {
	TM_DOC_METRICS = 0, /* text format 0.0.4 */
	TM_DOC_OPENMETRICS,
	TM_DOC_SUMMARY,
	TM_DOC_PROCESSES,
	TM_DOC_HEALTH, /* /api/v1/health */
	TM_DOC_ALERTS, /* /api/v1/alerts */
	TM_DOC_COUNT
};

struct tm_http {
	struct MHD_Daemon *d;
	uint16_t port; /* bound */
	uint64_t interval_ns;
	struct tm_coll *c;
	pthread_mutex_t *model_lock; /* held by the loop while it works on c */
	pthread_mutex_t lock;	     /* the documents */
	pthread_cond_t fresh;
	struct {
		char *buf;
		size_t len;
		uint64_t at_ns; /* CLOCK_MONOTONIC when published */
	} doc[TM_DOC_COUNT];
	atomic_int want[TM_DOC_COUNT]; /* a request is waiting for this one */
	_Atomic uint64_t loop_ns;      /* the loop's last turn */
	_Atomic uint64_t requests;
};

int tm_http_start(struct tm_http *h, const char *addr, char *err, size_t errlen);
void tm_http_stop(struct tm_http *h);
/* Takes ownership of buf (malloc'd). */
void tm_http_publish(struct tm_http *h, enum tm_doc_kind k, char *buf, size_t len);
/* A request asked for k since the last call. */
int tm_http_wanted(struct tm_http *h, enum tm_doc_kind k);

/* series.c: one function's sealed buckets as JSON (json_t *), copied under
 * the model lock; NULL when there is no such function. */
struct json_t *tm_series_json(struct tm_coll *c, pthread_mutex_t *model_lock, const char *fn,
			      const char *session, int minutes, size_t n);
/* The same for a running process (calls, failures, CPU %, RSS, threads,
 * descriptors per unit); NULL when no running process has that pid. */
struct json_t *tm_proc_series_json(struct tm_coll *c, pthread_mutex_t *model_lock, long pid,
				   int minutes, size_t n);
/* A series' window= (a count and s, m, h or d): per second when it fits
 * in the seconds kept, else per minute when it fits in the minutes kept,
 * n units; -1 when it is malformed, empty or longer than what is kept. */
int tm_series_window(const char *win, int *minutes, size_t *n);

#endif
