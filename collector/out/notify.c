/* SPDX-License-Identifier: MIT */
/* Alert delivery off the collector's loop. tm_notify_post() only copies
 * the event into a bounded ring. A worker thread turns events into
 * --on-alert commands and into entries of the Alertmanager table; a sender
 * thread POSTs the entries that are due (curl easy: it may block, nobody
 * waits for it). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tm/wire.h>

#include "collector.h"
#include "notify.h"

#define NS	     1000000000ull
#define EV_QUEUE     1024	  /* events between post() and the worker */
#define CMD_MAX	     4		  /* --on-alert commands running at once */
#define CMD_QUEUE    64		  /* events waiting for a free slot */
#define AM_MAX	     4096	  /* alerts tracked for re-send */
#define AM_TRIES     10		  /* sends of a resolve before it is given up */
#define AM_CONNECT   2000L	  /* ms */
#define AM_TIMEOUT   5000L	  /* ms, the whole POST */
#define LOG_EVERY_NS (60ull * NS) /* one line per kind of failure per minute */

enum log_kind {
	LOG_AM_CURL,
	LOG_AM_HTTP,
	LOG_AM_FULL,
	LOG_AM_GIVEUP,
	LOG_CMD_EXIT,
	LOG_CMD_SIGNAL,
	LOG_CMD_TIMEOUT,
	LOG_CMD_SPAWN,
	LOG_CMD_SKIP,
	LOG_CMD_STDIN,
	LOG_EV_DROP,
	LOG_EV_BAD,
	LOG_N
};

struct ratelog {
	tm_ns last_ns; /* CLOCK_MONOTONIC of the last line said */
	uint64_t held; /* failures of this kind not said since */
	bool said;
};

/* What a supervisor reports about its command (see supervise()). */
enum { REP_EXIT, REP_SIGNAL, REP_TIMEOUT, REP_SPAWN, REP_LOST };
struct cmd_report {
	int32_t how, val; /* val: exit status, signal or errno */
};

struct cmd {
	pid_t pid;     /* the supervisor: a clone child with no exit signal */
	int report_fd; /* read end of its report pipe */
	char what[80]; /* "NAME STATE", for the log */
};

/* One alert as Alertmanager knows it, identified by its label set. */
struct am_alert {
	char *key; /* labels as canonical JSON */
	json_t *labels, *annotations;
	tm_ns starts_rt, ends_rt; /* CLOCK_REALTIME; ends_rt 0 while firing */
	tm_ns due;		  /* CLOCK_MONOTONIC of the next send */
	unsigned gen;		  /* bumped by every event: a send applies to the gen it carried */
	unsigned tries;		  /* failed sends of the resolve */
	bool resolved, sent;	  /* sent: this state reached Alertmanager */
};

struct counters {
	_Atomic uint64_t queued, dropped, am_sent, am_failed, am_dropped;
	_Atomic uint64_t cmd_run, cmd_failed, cmd_killed, cmd_skipped, cmd_done;
};

struct tm_notify {
	char *am_url;	/* ${base}/api/v2/alerts, NULL: off */
	char *am_shown; /* the base as logged, credentials left out */
	char *on_alert; /* NULL: off */
	char *session;	/* "" when none */
	tm_ns resend_ns, cmd_timeout_ns;

	pthread_mutex_t qlock; /* the ring and the stop request */
	json_t *ring[EV_QUEUE];
	unsigned head, len;
	bool stopping;
	tm_ns deadline; /* CLOCK_MONOTONIC: the stop's grace ends */
	int wake_fd;	/* eventfd: the worker's doorbell */

	/* the worker's own */
	json_t *pending[CMD_QUEUE];
	unsigned phead, plen;
	struct cmd run[CMD_MAX];
	unsigned nrun;
	uint64_t drops_said;

	pthread_mutex_t amlock; /* the table and the sender's stop */
	pthread_cond_t amcond;	/* CLOCK_MONOTONIC */
	struct am_alert *am;
	size_t nam, cap;
	bool am_stop, am_drained; /* drained: the worker has put every event in */
	bool sender_done;
	tm_ns am_deadline;
	atomic_bool am_abort; /* the grace is over: the POST in flight is cut */
	int am_sock;	      /* the socket curl is using, -1: none */

	pthread_t worker, sender;
	bool has_worker, has_sender, curl_inited;

	pthread_mutex_t loglock;
	struct ratelog log[LOG_N];
	struct counters st;
};

static tm_ns clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (tm_ns)ts.tv_sec * NS + (tm_ns)ts.tv_nsec;
}

static tm_ns mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static struct timespec ns_ts(tm_ns t)
{
	return (struct timespec){.tv_sec = (time_t)(t / NS), .tv_nsec = (long)(t % NS)};
}

/* RFC 3339, UTC, milliseconds: 2025-12-01T11:53:20.000Z */
static void rfc3339(tm_ns t, char *buf, size_t len)
{
	time_t s = (time_t)(t / NS);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03uZ", (unsigned)(t % NS / 1000000));
}

#define bump(n, field) atomic_fetch_add(&(n)->st.field, 1)

/* One line to stderr for a failure of kind k: the first, then at most one
 * a minute, which says how many were held back. Control characters (from
 * alert names) are shown as '?'. */
__attribute__((format(printf, 3, 4))) static void say(struct tm_notify *n, enum log_kind k,
						      const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	pthread_mutex_lock(&n->loglock);
	struct ratelog *r = &n->log[k];
	tm_ns now = mono_ns();
	if (r->said && now - r->last_ns < LOG_EVERY_NS) {
		r->held++;
	} else {
		if (r->held)
			fprintf(stderr, "%s: %s (and %llu more like it since the last line)\n",
				tm_tool, line, (unsigned long long)r->held);
		else
			fprintf(stderr, "%s: %s\n", tm_tool, line);
		r->said = true;
		r->last_ns = now;
		r->held = 0;
	}
	pthread_mutex_unlock(&n->loglock);
}

/* --- values of the event ------------------------------------------------- */

/* Shortest text that reads back as d. */
static void num_text(double d, char *buf, size_t len)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/* A scalar as text into buf ("" for null, absent, objects and arrays);
 * returns buf. */
static const char *text_of(json_t *v, char *buf, size_t len)
{
	buf[0] = 0;
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		num_text(json_real_value(v), buf, len);
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	return buf;
}

static const char *field_text(json_t *ev, const char *key, char *buf, size_t len)
{
	return text_of(json_object_get(ev, key), buf, len);
}

static tm_ns field_ns(json_t *ev, const char *key)
{
	json_t *v = json_object_get(ev, key);
	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (tm_ns)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > 0)
		return (tm_ns)json_real_value(v);
	return 0;
}

/* --- Alertmanager: the table (filled by the worker) ----------------------- */

/* Labels tm sets itself; an alert's own label of one of these names is
 * left out, so that the identity of an alert is tm's. */
static const char *const builtin_labels[] = {"alertname", "severity", "kind",	"session",
					     "function",  "pid",      "process"};

static bool label_name_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool is_builtin(const char *s)
{
	for (size_t i = 0; i < sizeof(builtin_labels) / sizeof(*builtin_labels); i++)
		if (!strcmp(s, builtin_labels[i]))
			return true;
	return false;
}

/* Sets key to the text of v unless that is empty (Alertmanager, like
 * Prometheus, treats an empty label as an absent one). */
static void set_text(json_t *obj, const char *key, json_t *v)
{
	char buf[1024];
	if (*text_of(v, buf, sizeof(buf)))
		json_object_set_new(obj, key, json_string(buf));
}

static json_t *am_labels(const struct tm_notify *n, json_t *ev)
{
	json_t *l = json_object(), *v, *proc = json_object_get(ev, "process");
	const char *k;
	json_object_foreach(json_object_get(ev, "labels"), k, v)
	{
		if (label_name_ok(k) && !is_builtin(k))
			set_text(l, k, v);
	}
	set_text(l, "alertname", json_object_get(ev, "name"));
	set_text(l, "severity", json_object_get(ev, "severity"));
	set_text(l, "kind", json_object_get(ev, "kind"));
	if (*n->session)
		json_object_set_new(l, "session", json_string(n->session));
	set_text(l, "function", json_object_get(ev, "function"));
	if (json_is_object(proc)) {
		set_text(l, "pid", json_object_get(proc, "pid"));
		set_text(l, "process", json_object_get(proc, "name"));
	}
	return l;
}

static json_t *am_annotations(json_t *ev)
{
	json_t *a = json_object(), *v;
	const char *k;
	json_object_foreach(json_object_get(ev, "annotations"), k, v)
	{
		set_text(a, k, v);
	}
	return a;
}

static struct am_alert *am_find(struct tm_notify *n, const char *key)
{
	for (size_t i = 0; i < n->nam; i++)
		if (!strcmp(n->am[i].key, key))
			return &n->am[i];
	return NULL;
}

/* A new entry for key (taken), or NULL when the table is full. */
static struct am_alert *am_add(struct tm_notify *n, char *key)
{
	if (n->nam == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 16;
		struct am_alert *a = cap <= AM_MAX ? realloc(n->am, cap * sizeof(*a)) : NULL;
		if (!a)
			return NULL;
		n->am = a;
		n->cap = cap;
	}
	struct am_alert *a = &n->am[n->nam++];
	memset(a, 0, sizeof(*a));
	a->key = key;
	return a;
}

static void am_forget(struct tm_notify *n, size_t i)
{
	struct am_alert *a = &n->am[i];
	free(a->key);
	json_decref(a->labels);
	json_decref(a->annotations);
	*a = n->am[--n->nam];
}

/* The worker's side: the alert's latest state replaces what the table
 * held for its label set and is due at once. */
static void am_update(struct tm_notify *n, json_t *ev, bool resolved)
{
	json_t *labels = am_labels(n, ev);
	char *key = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
	tm_ns now_rt = clock_ns(CLOCK_REALTIME);
	tm_ns starts = field_ns(ev, "starts_realtime_ns"), ends = field_ns(ev, "ends_realtime_ns");
	char name[256];
	if (!key) {
		json_decref(labels);
		return;
	}
	pthread_mutex_lock(&n->amlock);
	struct am_alert *a = am_find(n, key);
	if (!a && !(a = am_add(n, key))) {
		pthread_mutex_unlock(&n->amlock);
		bump(n, am_dropped);
		say(n, LOG_AM_FULL, "alertmanager %s: %d alerts tracked already: %s not sent",
		    n->am_shown, AM_MAX, field_text(ev, "name", name, sizeof(name)));
		free(key);
		json_decref(labels);
		return;
	}
	if (a->key != key)
		free(key);
	json_decref(a->labels);
	json_decref(a->annotations);
	a->labels = labels;
	a->annotations = am_annotations(ev);
	a->starts_rt = starts ? starts : now_rt;
	a->ends_rt = resolved ? (ends ? ends : now_rt) : 0;
	a->resolved = resolved;
	a->sent = false;
	a->tries = 0;
	a->due = 0;
	a->gen++;
	pthread_cond_broadcast(&n->amcond);
	pthread_mutex_unlock(&n->amlock);
}

/* --- Alertmanager: the sender thread ---------------------------------------- */

struct reply {
	char text[256]; /* the start of the response body, for the log */
	size_t len;
};

static size_t on_reply(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t len = size * nmemb, room = sizeof(r->text) - 1 - r->len;
	memcpy(r->text + r->len, data, len < room ? len : room);
	r->len += len < room ? len : room;
	r->text[r->len] = 0;
	return len;
}

/* curl's sockets go through these so that tm_notify_stop can cut a POST
 * in flight at the end of its grace (shutdown() wakes curl's poll). */
static curl_socket_t on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct tm_notify *n = arg;
	curl_socket_t s = CURL_SOCKET_BAD;
	(void)purpose;
	pthread_mutex_lock(&n->amlock);
	if (!atomic_load(&n->am_abort) &&
	    (s = socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol)) >= 0)
		n->am_sock = s;
	pthread_mutex_unlock(&n->amlock);
	return s;
}

static int on_close(void *arg, curl_socket_t s)
{
	struct tm_notify *n = arg;
	pthread_mutex_lock(&n->amlock);
	if (n->am_sock == s)
		n->am_sock = -1;
	close(s);
	pthread_mutex_unlock(&n->amlock);
	return 0;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct tm_notify *n = arg;
	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&n->am_abort); /* non-zero: abort */
}

/* The options that stay for every POST. */
static CURL *am_handle(struct tm_notify *n)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, n->am_url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tmcollect");
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, n);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, on_close);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, n);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, n);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
	return h;
}

/* POSTs body; 0, or -1 with the kind of failure in *kind and why filled. */
static int am_post(struct tm_notify *n, CURL *h, const char *body, long timeout_ms, char *why,
		   size_t len, enum log_kind *kind)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct reply r = {.len = 0};
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	long status = 0;
	if (!h || !hdr) {
		curl_slist_free_all(hdr);
		snprintf(why, len, "out of memory");
		*kind = LOG_AM_CURL;
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < AM_CONNECT ? timeout_ms : AM_CONNECT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	CURLcode c = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	curl_slist_free_all(hdr);
	if (c != CURLE_OK) {
		snprintf(why, len, "%s%s", *errbuf ? errbuf : curl_easy_strerror(c),
			 atomic_load(&n->am_abort) ? " (cut at the end of the stop's grace)" : "");
		*kind = LOG_AM_CURL;
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status / 100 == 2)
		return 0;
	snprintf(why, len, "HTTP %ld%s%s", status, r.len ? ": " : "", r.text);
	*kind = LOG_AM_HTTP;
	return -1;
}

/* An entry as Alertmanager's API v2 takes it (postableAlert). A firing
 * one ends, unless re-sent, four re-send periods from now, as Prometheus
 * does: Alertmanager resolves it by itself if tm goes away. */
static json_t *am_postable(const struct am_alert *a, tm_ns firing_ends_rt)
{
	char starts[40], ends[40];
	rfc3339(a->starts_rt, starts, sizeof(starts));
	rfc3339(a->resolved ? a->ends_rt : firing_ends_rt, ends, sizeof(ends));
	return json_pack("{sOsOssss}", "labels", a->labels, "annotations", a->annotations,
			 "startsAt", starts, "endsAt", ends);
}

struct pick {
	size_t i;
	unsigned gen;
};

/* After a POST of picks: delivered resolves are forgotten, the rest wait
 * for the next re-send tick. An entry that changed meanwhile (gen) is due
 * again already and is left alone. */
static void am_settle(struct tm_notify *n, const struct pick *p, size_t np, bool ok, tm_ns now)
{
	char name[256];
	for (size_t k = np; k-- > 0;) { /* descending: am_forget moves the last entry */
		struct am_alert *a = &n->am[p[k].i];
		if (a->gen != p[k].gen)
			continue;
		a->due = now + n->resend_ns;
		if (ok)
			a->sent = true;
		if (!a->resolved)
			continue;
		if (ok) {
			am_forget(n, p[k].i);
		} else if (++a->tries >= AM_TRIES) {
			bump(n, am_dropped);
			say(n, LOG_AM_GIVEUP,
			    "alertmanager %s: the resolve of %s was not delivered in %d tries: "
			    "given up",
			    n->am_shown,
			    text_of(json_object_get(a->labels, "alertname"), name, sizeof(name)),
			    AM_TRIES);
			am_forget(n, p[k].i);
		}
	}
}

/* Sends every due entry in one POST, and with them those due within half
 * a period: after one round, the re-sends of all alerts fall on one tick.
 * Called and returns with amlock held; drops it for the POST. */
static void am_send_due(struct tm_notify *n, CURL *h, tm_ns now)
{
	struct pick *p = malloc(n->nam * sizeof(*p));
	json_t *body = json_array();
	tm_ns firing_ends = clock_ns(CLOCK_REALTIME) + 4 * n->resend_ns;
	size_t np = 0;
	for (size_t i = 0; p && body && i < n->nam; i++) {
		if (n->am[i].due > now + n->resend_ns / 2)
			continue;
		json_array_append_new(body, am_postable(&n->am[i], firing_ends));
		p[np++] = (struct pick){i, n->am[i].gen};
	}
	char *text = np ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) { /* out of memory: try again at the next tick */
		for (size_t i = 0; i < n->nam; i++)
			if (n->am[i].due <= now)
				n->am[i].due = now + n->resend_ns;
		free(p);
		return;
	}
	long timeout_ms = AM_TIMEOUT;
	if (n->am_stop) {
		tm_ns left = n->am_deadline > now ? n->am_deadline - now : 0;
		timeout_ms = left / 1000000 < (tm_ns)AM_TIMEOUT ? (long)(left / 1000000) + 1
								: AM_TIMEOUT;
	}
	pthread_mutex_unlock(&n->amlock);

	char why[CURL_ERROR_SIZE + 300];
	enum log_kind kind = LOG_AM_CURL;
	int fail = am_post(n, h, text, timeout_ms, why, sizeof(why), &kind);
	free(text);
	if (fail) {
		bump(n, am_failed);
		say(n, kind, "alertmanager %s: %s; %zu alerts not delivered", n->am_shown, why, np);
	} else {
		bump(n, am_sent);
	}

	pthread_mutex_lock(&n->amlock);
	am_settle(n, p, np, !fail, mono_ns());
	free(p);
}

/* While stopping: is there a resolve, or a state never sent, that can
 * still go out before the deadline? */
static bool am_urgent(const struct tm_notify *n)
{
	for (size_t i = 0; i < n->nam; i++) {
		const struct am_alert *a = &n->am[i];
		if ((a->resolved || !a->sent) && a->due <= n->am_deadline)
			return true;
	}
	return false;
}

static tm_ns am_next_due(const struct tm_notify *n)
{
	tm_ns next = UINT64_MAX;
	for (size_t i = 0; i < n->nam; i++)
		if (n->am[i].due < next)
			next = n->am[i].due;
	return next;
}

static void *sender_main(void *arg)
{
	struct tm_notify *n = arg;
	CURL *h = am_handle(n);
	pthread_mutex_lock(&n->amlock);
	for (;;) {
		tm_ns now = mono_ns();
		if (n->am_stop && (now >= n->am_deadline || (n->am_drained && !am_urgent(n))))
			break;
		tm_ns next = am_next_due(n);
		if (next <= now) {
			am_send_due(n, h, now);
			continue;
		}
		if (n->am_stop && n->am_deadline < next)
			next = n->am_deadline;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&n->amcond, &n->amlock);
		} else {
			struct timespec ts = ns_ts(next);
			pthread_cond_timedwait(&n->amcond, &n->amlock, &ts);
		}
	}
	pthread_mutex_unlock(&n->amlock);
	curl_easy_cleanup(h);
	pthread_mutex_lock(&n->amlock);
	n->sender_done = true;
	pthread_cond_broadcast(&n->amcond);
	pthread_mutex_unlock(&n->amlock);
	return NULL;
}

/* --- --on-alert commands ----------------------------------------------------
 *
 * Each command runs under a supervisor: a copy of the collector made with
 * clone() and no exit signal, which never execs. Such a "clone child" is
 * invisible to waitpid(-1) without __WALL, so tmrun, which reaps every
 * child as a subreaper, neither steals its status nor waits for it, and
 * our waitpid(pid, __WCLONE) never takes one of tmrun's. The supervisor
 * starts `/bin/sh -c CMD` as its own child in a new process group, kills
 * that group at the timeout and writes one struct cmd_report to a pipe the
 * worker polls. Between clone() and exec only system calls run (no
 * malloc, no locks: the copy has one thread, the others' locks are held
 * forever in it). */

static pid_t clone_child(int exit_signal)
{
#ifdef __x86_64__
	return (pid_t)syscall(SYS_clone, (unsigned long)exit_signal, NULL, NULL, NULL, 0UL);
#else
#error "clone_child: the argument order of SYS_clone is x86_64's"
#endif
}

/* Ends a copy made by clone_child() at once: no exit handlers, nor a
 * sanitizer's end-of-process checks, which would judge the copy's
 * borrowed state (the threads it does not have). */
static _Noreturn void exit_copy(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

static void close_from(int fd)
{
	if (close_range((unsigned)fd, ~0u, 0) == 0)
		return;
	for (long max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
		close(fd);
}

/* The command itself: stdin the pipe (fd 0 already), stdout to the
 * collector's stderr, nothing else open, signals as a fresh process has. */
static _Noreturn void run_cmd(const char *cmd, char **envp)
{
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	sigset_t none;
	setpgid(0, 0);
	dup2(2, 1);
	close_from(3);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve("/bin/sh", argv, envp);
	exit_copy(127);
}

static struct cmd_report wait_cmd(pid_t c, tm_ns timeout_ns)
{
	struct cmd_report rep = {REP_EXIT, 0};
	sigset_t chld;
	int st = 0;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD); /* blocked: the worker blocks everything */
	tm_ns deadline = mono_ns() + timeout_ns;
	for (;;) {
		pid_t r = waitpid(c, &st, WNOHANG);
		if (r == c)
			break;
		if (r < 0 && errno != EINTR)
			return (struct cmd_report){REP_LOST, errno};
		tm_ns now = mono_ns();
		if (now >= deadline) {
			kill(-c, SIGKILL);
			kill(c, SIGKILL);
			while (waitpid(c, &st, 0) < 0 && errno == EINTR)
				;
			return (struct cmd_report){REP_TIMEOUT, 0};
		}
		struct timespec ts = ns_ts(deadline - now);
		sigtimedwait(&chld, NULL, &ts);
	}
	if (WIFSIGNALED(st))
		rep = (struct cmd_report){REP_SIGNAL, WTERMSIG(st)};
	else
		rep.val = WEXITSTATUS(st);
	return rep;
}

/* In the supervisor: fd 0 becomes the command's stdin, fd 3 the report
 * pipe, everything else (the collector's descriptors, the stdin pipe's
 * write end) is closed. */
static _Noreturn void supervise(const char *cmd, char **envp, int in_r, int rep_w, tm_ns timeout_ns)
{
	struct cmd_report rep;
	int in = fcntl(in_r, F_DUPFD_CLOEXEC, 4), out = fcntl(rep_w, F_DUPFD_CLOEXEC, 4);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 3) < 0)
		exit_copy(1); /* no report: the worker counts it as lost */
	close_from(4);
	signal(SIGCHLD, SIG_DFL); /* not SIG_IGN, which would reap for us */
	pid_t c = clone_child(SIGCHLD);
	if (c == 0)
		run_cmd(cmd, envp);
	if (c < 0) {
		rep = (struct cmd_report){REP_SPAWN, errno};
	} else {
		setpgid(c, c); /* also here: the group exists before any kill */
		close(0);
		rep = wait_cmd(c, timeout_ns);
	}
	(void)!write(3, &rep, sizeof(rep));
	exit_copy(0);
}

/* The environment of a command: the collector's, TM_ALERT_* and
 * TM_SESSION replaced by the event's. env[0..owned) are allocated. */
struct cmd_env {
	char **v;
	size_t owned;
};

static int env_add(struct cmd_env *e, const char *name, const char *value)
{
	if (asprintf(&e->v[e->owned], "%s=%s", name, value) < 0)
		return -ENOMEM;
	e->owned++;
	return 0;
}

/* name=the text of obj[key] (a string as it is, however long) */
static int env_field(struct cmd_env *e, const char *name, json_t *obj, const char *key)
{
	char b[64];
	json_t *v = json_object_get(obj, key);
	return env_add(e, name,
		       json_is_string(v) ? json_string_value(v) : text_of(v, b, sizeof(b)));
}

static void env_free(struct cmd_env *e)
{
	for (size_t i = 0; i < e->owned; i++)
		free(e->v[i]);
	free(e->v);
}

/* LD_PRELOAD without libtmshim (entries split by ':' or ' ', as ld.so
 * splits them); nothing added when nothing else is left. */
static int no_shim(struct cmd_env *e, const char *v)
{
	size_t len = strlen(v);
	char *out = malloc(len + 1), *w = out;
	if (!out)
		return -ENOMEM;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ": ");
		const char *slash = memrchr(p, '/', n);
		const char *base = slash ? slash + 1 : p;
		if (n && !(strncmp(base, "libtmshim", 9) == 0)) {
			if (w != out)
				*w++ = ':';
			memcpy(w, p, n);
			w += n;
		}
		p += n;
		p += *p != '\0';
	}
	*w = '\0';
	int r = 0;
	if (w != out)
		r = env_add(e, "LD_PRELOAD", out);
	free(out);
	return r;
}

static int cmd_env(const struct tm_notify *n, json_t *ev, struct cmd_env *e)
{
	extern char **environ;
	json_t *proc = json_object_get(ev, "process");
	json_t *ann = json_object_get(ev, "annotations");
	char when[40] = "";
	size_t ne = 0, k;
	int r = 0;
	while (environ && environ[ne])
		ne++;
	e->owned = 0;
	if (!(e->v = calloc(ne + 16, sizeof(char *))))
		return -ENOMEM;
	r |= env_field(e, "TM_ALERT_NAME", ev, "name");
	r |= env_field(e, "TM_ALERT_KIND", ev, "kind");
	r |= env_field(e, "TM_ALERT_STATE", ev, "state");
	r |= env_field(e, "TM_ALERT_SEVERITY", ev, "severity");
	r |= env_field(e, "TM_ALERT_FUNCTION", ev, "function");
	r |= env_field(e, "TM_ALERT_PID", proc, "pid");
	r |= env_field(e, "TM_ALERT_PROCESS", proc, "name");
	r |= env_field(e, "TM_ALERT_VALUE", ev, "value");
	r |= env_field(e, "TM_ALERT_THRESHOLD", ev, "threshold");
	r |= env_field(e, "TM_ALERT_SUMMARY", ann, "summary");
	if (field_ns(ev, "starts_realtime_ns"))
		rfc3339(field_ns(ev, "starts_realtime_ns"), when, sizeof(when));
	r |= env_add(e, "TM_ALERT_STARTS", when);
	when[0] = 0;
	if (field_ns(ev, "ends_realtime_ns"))
		rfc3339(field_ns(ev, "ends_realtime_ns"), when, sizeof(when));
	r |= env_add(e, "TM_ALERT_ENDS", when);
	r |= env_add(e, "TM_SESSION", n->session);
	if (r < 0)
		return -ENOMEM;
	/* never the shim: under tmrun the environment preloads it, and a
	 * monitored command killed at its timeout would be a crashed process
	 * of the session, an alert, another command... */
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) == 0 && no_shim(e, environ[i] + 11) < 0)
			return -ENOMEM;
	k = e->owned;
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "TM_ALERT_", 9) && strncmp(environ[i], "TM_SESSION=", 11) &&
		    strncmp(environ[i], "TM_SYMBOLS=", 11) &&
		    strncmp(environ[i], "TM_CONFIG=", 10) && strncmp(environ[i], "LD_PRELOAD=", 11))
			e->v[k++] = environ[i];
	return 0;
}

/* The event on the command's stdin, as much as the pipe takes at once
 * (grown to fit when the line is long): the command that does not read it
 * is not waited for. */
static void cmd_feed(struct tm_notify *n, int fd, json_t *ev, const char *what)
{
	char *line = json_dumps(ev, JSON_COMPACT);
	size_t len = line ? strlen(line) : 0;
	if (line && (line = realloc(line, len + 2))) {
		memcpy(line + len, "\n", 2);
		len++;
		if (len > 65536)
			fcntl(fd, F_SETPIPE_SZ, (int)len);
		ssize_t w = write(fd, line, len);
		if (w < 0 && errno == EPIPE) { /* SIGPIPE is blocked here: take the one we caused */
			sigset_t pipe_set;
			struct timespec zero = {0, 0};
			sigemptyset(&pipe_set);
			sigaddset(&pipe_set, SIGPIPE);
			sigtimedwait(&pipe_set, NULL, &zero);
		} else if (w < (ssize_t)len) {
			say(n, LOG_CMD_STDIN, "--on-alert (%s): stdin: %zd of %zu bytes written",
			    what, w < 0 ? 0 : w, len);
		}
	}
	free(line);
}

static void cmd_spawn(struct tm_notify *n, json_t *ev)
{
	struct cmd_env env = {NULL, 0};
	int in[2] = {-1, -1}, rep[2] = {-1, -1}, e = 0;
	char name[64], state[16];
	struct cmd *c = &n->run[n->nrun];
	snprintf(c->what, sizeof(c->what), "%s %s", field_text(ev, "name", name, sizeof(name)),
		 field_text(ev, "state", state, sizeof(state)));
	bump(n, cmd_run);
	if (cmd_env(n, ev, &env) < 0) {
		e = ENOMEM;
		goto fail;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		e = errno;
		goto fail;
	}
	pid_t pid = clone_child(0);
	if (pid == 0)
		supervise(n->on_alert, env.v, in[0], rep[1], n->cmd_timeout_ns);
	if (pid < 0) {
		e = errno;
		goto fail;
	}
	close(in[0]);
	close(rep[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	cmd_feed(n, in[1], ev, c->what);
	close(in[1]);
	env_free(&env);
	c->pid = pid;
	c->report_fd = rep[0];
	n->nrun++;
	return;
fail:
	bump(n, cmd_failed);
	say(n, LOG_CMD_SPAWN, "--on-alert (%s): cannot start: %s", c->what, strerror(e));
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (rep[i] >= 0)
			close(rep[i]);
	}
	env_free(&env);
}

/* Run i reported (or its supervisor died): reaped, counted, logged. */
static void cmd_finish(struct tm_notify *n, unsigned i)
{
	struct cmd *c = &n->run[i];
	struct cmd_report rep;
	ssize_t r;
	while ((r = read(c->report_fd, &rep, sizeof(rep))) < 0 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof(rep))
		rep = (struct cmd_report){REP_LOST, 0};
	int st;
	while (waitpid(c->pid, &st, __WCLONE) < 0 && errno == EINTR)
		;
	close(c->report_fd);
	bump(n, cmd_done);
	double t = (double)n->cmd_timeout_ns / 1e9;
	switch (rep.how) {
	case REP_EXIT:
		if (rep.val == 0)
			break;
		bump(n, cmd_failed);
		say(n, LOG_CMD_EXIT, "--on-alert (%s): exit status %d", c->what, rep.val);
		break;
	case REP_SIGNAL:
		bump(n, cmd_failed);
		say(n, LOG_CMD_SIGNAL, "--on-alert (%s): killed by signal %d (SIG%s)", c->what,
		    rep.val, sigabbrev_np(rep.val) ? sigabbrev_np(rep.val) : "?");
		break;
	case REP_TIMEOUT:
		bump(n, cmd_failed);
		bump(n, cmd_killed);
		say(n, LOG_CMD_TIMEOUT, "--on-alert (%s): still running after %g s: killed",
		    c->what, t);
		break;
	case REP_SPAWN:
		bump(n, cmd_failed);
		say(n, LOG_CMD_SPAWN, "--on-alert (%s): cannot start: %s", c->what,
		    strerror(rep.val));
		break;
	default:
		bump(n, cmd_failed);
		say(n, LOG_CMD_SPAWN, "--on-alert (%s): its supervisor ended without a report",
		    c->what);
	}
	*c = n->run[--n->nrun];
}

static void cmd_enqueue(struct tm_notify *n, json_t *ev)
{
	char name[64], state[16];
	if (n->plen == CMD_QUEUE) {
		bump(n, cmd_skipped);
		say(n, LOG_CMD_SKIP, "--on-alert: %d running, %d waiting: %s %s skipped", CMD_MAX,
		    CMD_QUEUE, field_text(ev, "name", name, sizeof(name)),
		    field_text(ev, "state", state, sizeof(state)));
		json_decref(ev);
		return;
	}
	n->pending[(n->phead + n->plen++) % CMD_QUEUE] = ev;
}

static void cmd_start_pending(struct tm_notify *n)
{
	while (n->nrun < CMD_MAX && n->plen) {
		json_t *ev = n->pending[n->phead];
		n->phead = (n->phead + 1) % CMD_QUEUE;
		n->plen--;
		cmd_spawn(n, ev);
		json_decref(ev);
	}
}

/* --- the worker ------------------------------------------------------------ */

static void dispatch(struct tm_notify *n, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "name"));
	const char *state = json_string_value(json_object_get(ev, "state"));
	bool resolved = state && !strcmp(state, "resolved");
	if (!name || !*name || !state || (!resolved && strcmp(state, "firing"))) {
		say(n, LOG_EV_BAD,
		    "alert event without a name, or a state other than "
		    "firing/resolved: ignored");
		json_decref(ev);
		return;
	}
	if (n->am_url)
		am_update(n, ev, resolved);
	if (n->on_alert)
		cmd_enqueue(n, ev);
	else
		json_decref(ev);
}

/* Takes every queued event; returns whether a stop was asked for. */
static bool drain(struct tm_notify *n, tm_ns *deadline)
{
	json_t *evs[EV_QUEUE];
	unsigned k = 0;
	pthread_mutex_lock(&n->qlock);
	for (; n->len; n->len--, n->head = (n->head + 1) % EV_QUEUE)
		evs[k++] = n->ring[n->head];
	bool stopping = n->stopping;
	*deadline = n->deadline;
	pthread_mutex_unlock(&n->qlock);
	for (unsigned i = 0; i < k; i++)
		dispatch(n, evs[i]);
	uint64_t dropped = atomic_load(&n->st.dropped);
	if (dropped > n->drops_said) {
		say(n, LOG_EV_DROP, "alert queue full (%d events): %llu dropped so far", EV_QUEUE,
		    (unsigned long long)dropped);
		n->drops_said = dropped;
	}
	return stopping;
}

static void *worker_main(void *arg)
{
	struct tm_notify *n = arg;
	struct pollfd pfd[1 + CMD_MAX];
	tm_ns deadline = 0;
	bool stopping = false;
	for (;;) {
		int timeout = -1;
		if (stopping) {
			tm_ns now = mono_ns();
			if ((!n->plen && !n->nrun) || now >= deadline)
				break;
			timeout = (int)((deadline - now + 999999) / 1000000);
		}
		pfd[0] = (struct pollfd){.fd = n->wake_fd, .events = POLLIN};
		for (unsigned i = 0; i < n->nrun; i++)
			pfd[1 + i] = (struct pollfd){.fd = n->run[i].report_fd, .events = POLLIN};
		poll(pfd, 1 + n->nrun, timeout);
		if (pfd[0].revents) {
			uint64_t v;
			(void)!read(n->wake_fd, &v, sizeof(v));
		}
		for (unsigned i = n->nrun; i-- > 0;) /* descending: cmd_finish moves the last */
			if (pfd[1 + i].revents)
				cmd_finish(n, i);
		bool was_stopping = stopping;
		stopping = drain(n, &deadline);
		if (stopping && !was_stopping) { /* every event is in: the sender may finish */
			pthread_mutex_lock(&n->amlock);
			n->am_drained = true;
			pthread_cond_broadcast(&n->amcond);
			pthread_mutex_unlock(&n->amlock);
		}
		cmd_start_pending(n);
	}
	for (; n->plen; n->plen--, n->phead = (n->phead + 1) % CMD_QUEUE) {
		bump(n, cmd_skipped);
		json_decref(n->pending[n->phead]);
	}
	for (unsigned i = 0; i < n->nrun; i++)
		close(n->run[i].report_fd); /* left to finish; their supervisors still time them */
	n->nrun = 0;
	return NULL;
}

/* --- start, stop, stats ----------------------------------------------------- */

/* Checks the base URL and derives the POST address and the logged form. */
static int am_url_init(struct tm_notify *n, const char *base, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL, *user = NULL;
	int r = -EINVAL;
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		snprintf(err, errlen,
			 "--alertmanager %s: not an http:// or https:// URL (like "
			 "http://127.0.0.1:9093)",
			 base);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		snprintf(err, errlen, "--alertmanager %s: a base URL has no query or fragment",
			 base);
		goto out;
	}
	size_t len = strlen(base);
	while (len && base[len - 1] == '/')
		len--;
	if (asprintf(&n->am_url, "%.*s/api/v2/alerts", (int)len, base) < 0) {
		n->am_url = NULL;
		r = -ENOMEM;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		char *shown = NULL;
		curl_url_get(u, CURLUPART_URL, &shown, 0);
		n->am_shown = strdup(shown ? shown : "(URL)");
		curl_free(shown);
	} else {
		n->am_shown = strndup(base, len);
	}
	r = n->am_shown ? 0 : -ENOMEM;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_free(user);
	curl_url_cleanup(u);
	return r;
}

static void notify_free(struct tm_notify *n)
{
	for (; n->len; n->len--, n->head = (n->head + 1) % EV_QUEUE)
		json_decref(n->ring[n->head]);
	while (n->nam)
		am_forget(n, n->nam - 1);
	free(n->am);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	if (n->curl_inited)
		curl_global_cleanup();
	pthread_mutex_destroy(&n->qlock);
	pthread_mutex_destroy(&n->amlock);
	pthread_mutex_destroy(&n->loglock);
	pthread_cond_destroy(&n->amcond);
	free(n->am_url);
	free(n->am_shown);
	free(n->on_alert);
	free(n->session);
	free(n);
}

static int notify_init(struct tm_notify *n, const struct tm_notify_opts *o)
{
	pthread_condattr_t ca;
	n->wake_fd = -1;
	n->am_sock = -1;
	pthread_mutex_init(&n->qlock, NULL);
	pthread_mutex_init(&n->amlock, NULL);
	pthread_mutex_init(&n->loglock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->amcond, &ca);
	pthread_condattr_destroy(&ca);
	n->resend_ns = o->resend_ns ? o->resend_ns : 30 * NS;
	n->cmd_timeout_ns = o->cmd_timeout_ns ? o->cmd_timeout_ns : 10 * NS;
	n->session = strdup(o->session ? o->session : "");
	if (o->on_alert && !(n->on_alert = strdup(o->on_alert)))
		return -ENOMEM;
	return n->session ? 0 : -ENOMEM;
}

/* The threads start with every signal blocked: the collector's handlers
 * run in its own threads, and a write to a command's closed stdin is
 * EPIPE here, not a SIGPIPE that ends the collector. */
static int notify_threads(struct tm_notify *n)
{
	sigset_t all, old;
	int r = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((r = pthread_create(&n->worker, NULL, worker_main, n)) == 0) {
		n->has_worker = true;
		if (n->am_url && (r = pthread_create(&n->sender, NULL, sender_main, n)) == 0)
			n->has_sender = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

int tm_notify_start(struct tm_notify **np, const struct tm_notify_opts *o, char *err, size_t errlen)
{
	struct tm_notify *n = calloc(1, sizeof(*n));
	int r;
	*np = NULL;
	if (!n) {
		snprintf(err, errlen, "alert delivery: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((r = notify_init(n, o)) < 0)
		goto fail;
	if (o->alertmanager && (r = am_url_init(n, o->alertmanager, err, errlen)) < 0) {
		if (r == -EINVAL)
			goto out;
		goto fail;
	}
	if (!n->am_url && !n->on_alert) {
		*np = n; /* nothing to deliver to: post() only frees */
		return 0;
	}
	if ((n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}
	if (n->am_url) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "alert delivery: curl_global_init failed");
			r = -EIO;
			goto out;
		}
		n->curl_inited = true;
	}
	if ((r = notify_threads(n)) < 0)
		goto fail;
	*np = n;
	return 0;
fail:
	snprintf(err, errlen, "alert delivery: %s", strerror(-r));
out:
	if (n->has_worker) { /* the sender did not start: stop the worker at once */
		tm_notify_stop(n, 0);
		return r;
	}
	notify_free(n);
	return r;
}

void tm_notify_post(struct tm_notify *n, json_t *alert)
{
	if (!n || !alert || !n->has_worker) {
		json_decref(alert);
		return;
	}
	json_t *copy = json_deep_copy(alert); /* the caller's objects stay the caller's */
	json_decref(alert);
	bool queued = false;
	pthread_mutex_lock(&n->qlock);
	if (copy && n->len < EV_QUEUE && !n->stopping) {
		n->ring[(n->head + n->len++) % EV_QUEUE] = copy;
		queued = true;
	}
	pthread_mutex_unlock(&n->qlock);
	if (!queued) {
		json_decref(copy);
		bump(n, dropped);
		return;
	}
	bump(n, queued);
	uint64_t one = 1;
	(void)!write(n->wake_fd, &one, sizeof(one)); /* non-blocking eventfd */
}

void tm_notify_stats(struct tm_notify *n, struct tm_notify_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	out->queued = atomic_load(&n->st.queued);
	out->dropped = atomic_load(&n->st.dropped);
	out->am_sent = atomic_load(&n->st.am_sent);
	out->am_failed = atomic_load(&n->st.am_failed);
	out->am_dropped = atomic_load(&n->st.am_dropped);
	out->cmd_run = atomic_load(&n->st.cmd_run);
	out->cmd_failed = atomic_load(&n->st.cmd_failed);
	out->cmd_killed = atomic_load(&n->st.cmd_killed);
	out->cmd_skipped = atomic_load(&n->st.cmd_skipped);
	out->cmd_done = atomic_load(&n->st.cmd_done);
}

void tm_notify_stop(struct tm_notify *n, uint64_t grace_ns)
{
	tm_notify_stop_stats(n, grace_ns, NULL);
}

void tm_notify_stop_stats(struct tm_notify *n, uint64_t grace_ns, struct tm_notify_stats *out)
{
	if (out)
		memset(out, 0, sizeof(*out));
	if (!n)
		return;
	tm_ns now = mono_ns(), deadline = now + grace_ns;
	if (n->has_worker) {
		pthread_mutex_lock(&n->qlock);
		n->stopping = true;
		n->deadline = deadline;
		pthread_mutex_unlock(&n->qlock);
		uint64_t one = 1;
		(void)!write(n->wake_fd, &one, sizeof(one));
	}
	if (n->has_sender) {
		pthread_mutex_lock(&n->amlock);
		n->am_stop = true;
		n->am_deadline = deadline;
		for (size_t i = 0; i < n->nam; i++) /* one more try for resolves within the grace */
			if ((n->am[i].resolved || !n->am[i].sent) && n->am[i].due > now)
				n->am[i].due = now;
		pthread_cond_broadcast(&n->amcond);
		pthread_mutex_unlock(&n->amlock);
	}
	if (n->has_worker)
		pthread_join(n->worker, NULL);
	if (n->has_sender) {
		pthread_mutex_lock(&n->amlock);
		struct timespec ts = ns_ts(deadline);
		while (!n->sender_done &&
		       pthread_cond_timedwait(&n->amcond, &n->amlock, &ts) != ETIMEDOUT)
			;
		if (!n->sender_done) { /* a POST outlives the grace: cut it */
			atomic_store(&n->am_abort, true);
			if (n->am_sock >= 0)
				shutdown(n->am_sock, SHUT_RDWR);
		}
		pthread_mutex_unlock(&n->amlock);
		pthread_join(n->sender, NULL);
	}
	if (out)
		tm_notify_stats(n, out);
	notify_free(n);
}
