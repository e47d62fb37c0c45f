/* SPDX-License-Identifier: MIT */
/* Alert delivery off the collector's loop: Alertmanager (POST
 * /api/v2/alerts, re-sent while firing, endsAt on resolve) and --on-alert
 * CMD (run per state change with the alert in its environment and as JSON
 * on stdin). A thread of its own does the work; the loop only queues. */
#ifndef TM_NOTIFY_H
#define TM_NOTIFY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;

struct tm_notify_opts {
	const char *alertmanager; /* base URL (http://127.0.0.1:9093), or NULL */
	const char *on_alert;	  /* shell command, or NULL */
	uint64_t resend_ns;	  /* re-send firing alerts this often (0: 30 s) */
	const char *session;	  /* label `session` on every alert */
	uint64_t cmd_timeout_ns;  /* --on-alert: killed after this long (0: 10 s) */
};

struct tm_notify_stats {
	uint64_t queued, dropped;	  /* events; dropped: the queue was full */
	uint64_t am_sent, am_failed;	  /* POSTs to Alertmanager */
	uint64_t cmd_run, cmd_failed;	  /* --on-alert runs; failed: non-zero, signal, timeout */
	uint64_t cmd_killed, cmd_skipped; /* killed at the timeout; not run: too many running */
	uint64_t am_dropped;		  /* alerts given up: resolve undelivered after 10
					   * tries, or more than 4096 alerts tracked */
	uint64_t cmd_done;		  /* --on-alert runs ended and reaped (any status) */
};

struct tm_notify; /* opaque */

/* NULL opts fields: that channel is off. 0 or -errno with err filled. */
int tm_notify_start(struct tm_notify **n, const struct tm_notify_opts *o, char *err, size_t errlen);
/* An alert changed state (to "firing" or "resolved"): `alert` is one
 * element of the summary's alerts[] (docs/SUMMARY.md), consumed. Never
 * blocks: copied into a bounded queue, dropped (and counted) when full. */
void tm_notify_post(struct tm_notify *n, struct json_t *alert);
void tm_notify_stats(struct tm_notify *n, struct tm_notify_stats *out);
/* Sends what is queued (resolved alerts included) for at most `grace_ns`
 * (a POST still in flight then is cut), stops the threads, leaves running
 * commands to finish on their own (their timeout still applies). */
void tm_notify_stop(struct tm_notify *n, uint64_t grace_ns);
/* tm_notify_stop, and the counters as it left them in *out (for a last
 * report: tm_notify_stats can no longer be called). */
void tm_notify_stop_stats(struct tm_notify *n, uint64_t grace_ns, struct tm_notify_stats *out);

#endif
