/* SPDX-License-Identifier: MIT */
/* Drives the alert notifier (collector/out/notify.c) for tests/e2e/notify.sh:
 * posts alert events read as lines, then stops it and prints its counters
 * as one JSON line on stdout.
 *
 *   notify_drive [--alertmanager URL] [--on-alert CMD] [--session S]
 *                [--resend-ms N] [--cmd-timeout-ms N] [--grace-ms N]
 *                [--in FILE] [LINE...]
 *
 * Lines come from the arguments, else from FILE (a FIFO the test feeds),
 * else from stdin:
 *   {JSON}          an alert event, posted ("now" as starts_realtime_ns or
 *                   ends_realtime_ns: the current time)
 *   wait MS         sleeps (pacing only)
 *   until F N MS    waits until counter F >= N, at most MS (exit status 1
 *                   at the end if it never got there)
 *   flood N         posts N copies of the last event, named NAME-1..NAME-N,
 *                   as fast as it can
 *   stats           prints the counters now
 * Posts happen under a mutex, as in the collector's loop; the time spent
 * in tm_notify_post is measured (post_max_ns, post_total_ns). */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "out/notify.h"

static struct tm_notify *n;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *last;
static uint64_t posted, post_max_ns, post_total_ns, flood_ns;
static int status;

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t counter(const struct tm_notify_stats *s, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
#define F(x) {#x, offsetof(struct tm_notify_stats, x)}
		F(queued),  F(dropped),	   F(am_sent),	  F(am_failed),	  F(am_dropped),
		F(cmd_run), F(cmd_failed), F(cmd_killed), F(cmd_skipped), F(cmd_done),
#undef F
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
		if (!strcmp(f[i].name, name))
			return *(const uint64_t *)((const char *)s + f[i].off);
	fprintf(stderr, "notify_drive: no counter %s\n", name);
	exit(2);
}

static void print_stats(const struct tm_notify_stats *s, uint64_t stop_ns, uint64_t elapsed_ns)
{
	printf("{\"queued\":%lu,\"dropped\":%lu,\"am_sent\":%lu,\"am_failed\":%lu,"
	       "\"am_dropped\":%lu,\"cmd_run\":%lu,\"cmd_failed\":%lu,\"cmd_killed\":%lu,"
	       "\"cmd_skipped\":%lu,\"cmd_done\":%lu,\"posted\":%lu,\"post_max_ns\":%lu,"
	       "\"post_total_ns\":%lu,\"flood_ns\":%lu,\"stop_ns\":%lu,\"elapsed_ns\":%lu}\n",
	       s->queued, s->dropped, s->am_sent, s->am_failed, s->am_dropped, s->cmd_run,
	       s->cmd_failed, s->cmd_killed, s->cmd_skipped, s->cmd_done, posted, post_max_ns,
	       post_total_ns, flood_ns, stop_ns, elapsed_ns);
	fflush(stdout);
}

static void post(json_t *ev)
{
	pthread_mutex_lock(&lock);
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	tm_notify_post(n, ev);
	uint64_t dt = now_ns(CLOCK_MONOTONIC) - t0;
	pthread_mutex_unlock(&lock);
	posted++;
	post_total_ns += dt;
	if (dt > post_max_ns)
		post_max_ns = dt;
}

static void fill_now(json_t *ev, const char *key)
{
	const char *v = json_string_value(json_object_get(ev, key));
	if (v && !strcmp(v, "now"))
		json_object_set_new(ev, key, json_integer((json_int_t)now_ns(CLOCK_REALTIME)));
}

static void flood(long count)
{
	const char *name = json_string_value(json_object_get(last, "name"));
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	for (long i = 1; i <= count; i++) {
		char buf[256];
		json_t *ev = json_deep_copy(last);
		snprintf(buf, sizeof(buf), "%s-%ld", name ? name : "flood", i);
		json_object_set_new(ev, "name", json_string(buf));
		post(ev);
	}
	flood_ns += now_ns(CLOCK_MONOTONIC) - t0;
}

static void until(const char *field, uint64_t want, long ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000;
	struct tm_notify_stats s;
	for (;;) {
		tm_notify_stats(n, &s);
		if (counter(&s, field) >= want)
			return;
		if (now_ns(CLOCK_MONOTONIC) >= end)
			break;
		sleep_ms(10);
	}
	fprintf(stderr, "notify_drive: %s stayed at %lu, below %lu, for %ld ms\n", field,
		counter(&s, field), want, ms);
	status = 1;
}

static void line(char *l)
{
	char field[32];
	unsigned long long a;
	long b;
	l[strcspn(l, "\n")] = 0;
	if (!*l || *l == '#')
		return;
	if (*l == '{') {
		json_error_t e;
		json_t *ev = json_loads(l, 0, &e);
		if (!json_is_object(ev)) {
			fprintf(stderr, "notify_drive: bad event: %s\n", e.text);
			exit(2);
		}
		fill_now(ev, "starts_realtime_ns");
		fill_now(ev, "ends_realtime_ns");
		json_decref(last);
		last = json_deep_copy(ev);
		post(ev);
	} else if (sscanf(l, "wait %ld", &b) == 1) {
		sleep_ms(b);
	} else if (sscanf(l, "until %31s %llu %ld", field, &a, &b) == 3) {
		until(field, a, b);
	} else if (sscanf(l, "flood %ld", &b) == 1 && last) {
		flood(b);
	} else if (!strcmp(l, "stats")) {
		struct tm_notify_stats s;
		tm_notify_stats(n, &s);
		print_stats(&s, 0, 0);
	} else {
		fprintf(stderr, "notify_drive: cannot read line: %s\n", l);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct tm_notify_opts o = {0};
	const char *in = NULL;
	long grace_ms = 5000;
	char err[512];
	int i = 1;
	for (; i < argc && !strncmp(argv[i], "--", 2) && i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--alertmanager"))
			o.alertmanager = v;
		else if (!strcmp(k, "--on-alert"))
			o.on_alert = v;
		else if (!strcmp(k, "--session"))
			o.session = v;
		else if (!strcmp(k, "--resend-ms"))
			o.resend_ns = strtoull(v, NULL, 10) * 1000000;
		else if (!strcmp(k, "--cmd-timeout-ms"))
			o.cmd_timeout_ns = strtoull(v, NULL, 10) * 1000000;
		else if (!strcmp(k, "--grace-ms"))
			grace_ms = strtol(v, NULL, 10);
		else if (!strcmp(k, "--in"))
			in = v;
		else
			break;
	}
	if (i < argc && !strncmp(argv[i], "--", 2)) {
		fprintf(stderr, "usage: notify_drive [--alertmanager URL] [--on-alert CMD] "
				"[--session S] [--resend-ms N] [--cmd-timeout-ms N] [--grace-ms N] "
				"[--in FILE] [LINE...]\n");
		return 2;
	}
	FILE *f = i == argc && in ? fopen(in, "re") : stdin;
	if (!f) {
		fprintf(stderr, "notify_drive: %s: %s\n", in, strerror(errno));
		return 2;
	}
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	if (tm_notify_start(&n, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "notify_drive: %s\n", err);
		return 2;
	}
	if (i < argc) {
		for (; i < argc; i++)
			line(argv[i]);
	} else {
		char *buf = NULL;
		size_t cap = 0;
		while (getline(&buf, &cap, f) >= 0)
			line(buf);
		free(buf);
		if (f != stdin)
			fclose(f);
	}
	uint64_t t1 = now_ns(CLOCK_MONOTONIC);
	struct tm_notify_stats s;
	tm_notify_stop_stats(n, (uint64_t)grace_ms * 1000000, &s);
	uint64_t t2 = now_ns(CLOCK_MONOTONIC);
	print_stats(&s, t2 - t1, t2 - t0);
	json_decref(last);
	return status;
}
