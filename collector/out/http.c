/* SPDX-License-Identifier: MIT */
/* The HTTP endpoint (GNU libmicrohttpd, one internal polling thread).
 * Handlers never touch the model while it is being drained: /metrics and
 * the JSON documents are rendered by the collector's loop once per
 * interval and published here (a scrape copies a published buffer under a
 * short lock); /api/v1/series copies one function's sealed buckets under
 * the model lock, which the loop releases between its turns. Requests are
 * bounded: connections, memory per connection and idle time. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "http.h"
#include "out.h"

#define CONN_LIMIT   512
#define CONN_TIMEOUT 10		  /* s idle before a connection is closed */
#define CONN_MEMORY  (256 * 1024) /* request line + headers per connection */

static const char landing[] =
	"<!doctype html><html><head><meta charset=\"utf-8\"><title>tmcollect</title></head>"
	"<body><h1>tmcollect</h1><ul>"
	"<li><a href=\"/metrics\">/metrics</a> Prometheus exposition</li>"
	"<li><a href=\"/api/v1/summary\">/api/v1/summary</a> tm.summary/1, live</li>"
	"<li><a href=\"/api/v1/processes\">/api/v1/processes</a> monitored processes</li>"
	"<li><a href=\"/api/v1/health\">/api/v1/health</a> health of the session, functions, "
	"processes</li>"
	"<li><a href=\"/api/v1/alerts\">/api/v1/alerts</a> every alert of the session</li>"
	"<li>/api/v1/series?function=NAME&amp;window=1m|15m|24h per-second or per-minute "
	"series</li>"
	"<li><a href=\"/healthz\">/healthz</a> the collector is alive</li>"
	"</ul></body></html>\n";

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tm_http_publish(struct tm_http *h, enum tm_doc_kind k, char *buf, size_t len)
{
	pthread_mutex_lock(&h->lock);
	free(h->doc[k].buf);
	h->doc[k].buf = buf;
	h->doc[k].len = len;
	h->doc[k].at_ns = mono_ns();
	pthread_cond_broadcast(&h->fresh);
	pthread_mutex_unlock(&h->lock);
}

int tm_http_wanted(struct tm_http *h, enum tm_doc_kind k)
{
	return atomic_exchange(&h->want[k], 0);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
			     const void *buf, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return reply(conn, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* A published document no older than two intervals; asks the loop for a
 * fresh one and waits (bounded) when it is older or missing. */
static enum MHD_Result serve_doc(struct tm_http *h, struct MHD_Connection *conn, enum tm_doc_kind k,
				 const char *ctype)
{
	uint64_t now = mono_ns(), max_age = 2 * h->interval_ns;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	pthread_mutex_lock(&h->lock);
	if (!h->doc[k].buf || now - h->doc[k].at_ns > max_age) {
		atomic_store(&h->want[k], 1); /* the loop's next turn renders it */
		while ((!h->doc[k].buf || h->doc[k].at_ns < now) &&
		       pthread_cond_timedwait(&h->fresh, &h->lock, &until) != ETIMEDOUT)
			;
	}
	enum MHD_Result ret;
	if (!h->doc[k].buf)
		ret = text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready yet\n");
	else
		ret = reply(conn, MHD_HTTP_OK, ctype, h->doc[k].buf, h->doc[k].len);
	pthread_mutex_unlock(&h->lock);
	return ret;
}

static int wants_openmetrics(struct MHD_Connection *conn)
{
	const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	return a && strstr(a, "application/openmetrics-text") != NULL;
}

static enum MHD_Result json_reply(struct MHD_Connection *conn, unsigned status, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!s)
		return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	size_t n = strlen(s);
	enum MHD_Result r = reply(conn, status, "application/json", s, n);
	free(s);
	return r;
}

static enum MHD_Result json_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(msg));
	return json_reply(conn, status, o);
}

static enum MHD_Result series(struct tm_http *h, struct MHD_Connection *conn)
{
	const char *fn = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "function");
	const char *win = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "window");
	const char *sess = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "session");
	const char *proc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "process");
	char *end = NULL;
	long pid = proc ? strtol(proc, &end, 10) : 0;
	if (proc && (fn || !*proc || *end || pid <= 0 || pid > 0x7fffffffL))
		return json_error(conn, MHD_HTTP_BAD_REQUEST,
				  "process=PID (a positive number), without function=");
	if (!proc && (!fn || !*fn || strlen(fn) >= 200))
		return json_error(conn, MHD_HTTP_BAD_REQUEST,
				  "function=NAME or process=PID is required");
	if (!win)
		win = "15m";
	int minutes;
	size_t n;
	if (tm_series_window(win, &minutes, &n) < 0)
		return json_error(
			conn, MHD_HTTP_BAD_REQUEST,
			"window must be a length such as 1m, 15m, 24h (s, m, h, d) "
			"within what the collector keeps (--keep-seconds, --keep-minutes)");
	json_t *doc = proc ? tm_proc_series_json(h->c, h->model_lock, pid, minutes, n)
			   : tm_series_json(h->c, h->model_lock, fn, sess, minutes, n);
	if (!doc)
		return json_error(conn, MHD_HTTP_NOT_FOUND,
				  proc ? "no running process with that pid" : "no such function");
	return json_reply(conn, MHD_HTTP_OK, doc);
}

struct req {
	int body; /* the request carried a body */
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct tm_http *h = cls;
	(void)version;
	(void)upload;
	static struct req first, body;
	if (!*con_cls) {
		*con_cls = &first;
		return MHD_YES;
	}
	if (*upload_size) { /* GET with a body: read and refuse it */
		*upload_size = 0;
		*con_cls = &body;
		return MHD_YES;
	}
	atomic_fetch_add(&h->requests, 1);
	int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	int known = strcmp(url, "/") == 0 || strcmp(url, "/metrics") == 0 ||
		    strcmp(url, "/healthz") == 0 || strcmp(url, "/api/v1/summary") == 0 ||
		    strcmp(url, "/api/v1/processes") == 0 || strcmp(url, "/api/v1/series") == 0 ||
		    strcmp(url, "/api/v1/health") == 0 || strcmp(url, "/api/v1/alerts") == 0;
	if (!known)
		return text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	if (!get && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (*con_cls == &body)
		return text(conn, MHD_HTTP_BAD_REQUEST, "no body expected\n");
	if (strcmp(url, "/") == 0)
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", landing,
			     sizeof(landing) - 1);
	if (strcmp(url, "/healthz") == 0) {
		uint64_t last = atomic_load(&h->loop_ns);
		if (last && mono_ns() - last > 10 * h->interval_ns + 5000000000ull)
			return text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "collector loop stalled\n");
		return text(conn, MHD_HTTP_OK, "ok\n");
	}
	if (strcmp(url, "/metrics") == 0)
		return wants_openmetrics(conn) ? serve_doc(h, conn, TM_DOC_OPENMETRICS, TM_OM_CTYPE)
					       : serve_doc(h, conn, TM_DOC_METRICS, TM_PROM_CTYPE);
	if (strcmp(url, "/api/v1/summary") == 0)
		return serve_doc(h, conn, TM_DOC_SUMMARY, "application/json");
	if (strcmp(url, "/api/v1/processes") == 0)
		return serve_doc(h, conn, TM_DOC_PROCESSES, "application/json");
	if (strcmp(url, "/api/v1/health") == 0)
		return serve_doc(h, conn, TM_DOC_HEALTH, "application/json");
	if (strcmp(url, "/api/v1/alerts") == 0)
		return serve_doc(h, conn, TM_DOC_ALERTS, "application/json");
	return series(h, conn);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Percent-decoding of the path and the arguments, in place. An encoded
 * NUL would cut the string short ("/%00" would be "/"): it becomes 0x7f,
 * which matches no path and no function. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (*r == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
			char c = (char)(hi * 16 + lo);
			*w++ = c ? c : 0x7f;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* "HOST:PORT", "[V6]:PORT" or "PORT"; an empty host is loopback. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[128] = "127.0.0.1";
	const char *port = s;
	const char *colon = strrchr(s, ':');
	memset(ss, 0, sizeof(*ss));
	if (colon) {
		size_t n = (size_t)(colon - s);
		if (n >= sizeof(host))
			goto bad;
		if (n) {
			memcpy(host, s, n);
			host[n] = '\0';
		}
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535)
		goto bad;
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (void *)ss;
		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		return 0;
	}
	struct sockaddr_in *a4 = (void *)ss;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)p);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "--listen %s: expected HOST:PORT (IPv4, [IPv6] or empty host for "
		 "127.0.0.1)",
		 s);
	return -EINVAL;
}

int tm_http_start(struct tm_http *h, const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int r = parse_addr(addr, &ss, err, errlen);
	if (r < 0)
		return r;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->fresh, NULL);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "--listen %s: cannot listen (%s)", addr,
			 errno ? strerror(errno) : "address in use or not available");
		return -EADDRNOTAVAIL;
	}
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = i ? i->port : 0;
	return 0;
}

void tm_http_stop(struct tm_http *h)
{
	if (!h->d)
		return;
	MHD_stop_daemon(h->d);
	h->d = NULL;
	for (unsigned k = 0; k < TM_DOC_COUNT; k++)
		free(h->doc[k].buf);
	pthread_cond_destroy(&h->fresh);
	pthread_mutex_destroy(&h->lock);
}
