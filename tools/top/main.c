/* SPDX-License-Identifier: MIT */
/* tmtop: the live view of a session. It collects the segments itself (an
 * embedded collector: struct tm_coll and its loop in a thread) or reads a
 * running `tmcollect --listen` (--connect), and shows them in the
 * terminal, or as text or JSON lines per refresh (batch mode). */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "health/health.h"
#include "loop.h"
#include "render.h"
#include "source.h"
#include "top.h"

static atomic_int stop;
static struct tm_loop loop;

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

enum {
	OPT_SESSION = 1,
	OPT_DIR,
	OPT_CONNECT,
	OPT_RULES,
	OPT_DELAY,
	OPT_SORT,
	OPT_REVERSE,
	OPT_WINDOW,
	OPT_FILTER,
	OPT_BATCH,
	OPT_ITER,
	OPT_UNTIL_IDLE,
	OPT_JSONL,
	OPT_WIDTH,
	OPT_NO_COLOR,
	OPT_CPU_BUDGET,
	OPT_HELP
};

static const struct {
	struct option opt;
	char short_opt;
	const char *arg, *help;
} options[] = {
	{{"session", required_argument, NULL, OPT_SESSION},
	 0,
	 "NAME|GLOB",
	 "the session(s) to show (default: $TM_SESSION or default)"},
	{{"dir", required_argument, NULL, OPT_DIR},
	 0,
	 "DIR",
	 "segment directory (default: $TM_DIR or /dev/shm/tm-$UID)"},
	{{"connect", required_argument, NULL, OPT_CONNECT},
	 0,
	 "HOST:PORT",
	 "read a running tmcollect --listen instead of the segments"},
	{{"rules", required_argument, NULL, OPT_RULES},
	 'c',
	 "FILE",
	 "the collector's rules (alerts, anomaly, maintenance: docs/CONFIG.md)"},
	{{"delay", required_argument, NULL, OPT_DELAY},
	 'd',
	 "SECONDS",
	 "refresh delay (default 1; 0.1 .. 60)"},
	{{"sort", required_argument, NULL, OPT_SORT},
	 's',
	 "COLUMN",
	 "sort by name calls/s err p50 p99 p99.9 max calls time inflight health"},
	{{"reverse", no_argument, NULL, OPT_REVERSE}, 'r', NULL, "reverse the sort"},
	{{"window", required_argument, NULL, OPT_WINDOW},
	 'w',
	 "WINDOW",
	 "interval (the last refresh delay, whole seconds), 1m (default) or all"},
	{{"filter", required_argument, NULL, OPT_FILTER},
	 'f',
	 "TEXT",
	 "show matching functions only (fn:, obj:, pid:, session:)"},
	{{"batch", no_argument, NULL, OPT_BATCH},
	 'b',
	 NULL,
	 "plain text every refresh (the default when stdout is not a terminal)"},
	{{"iterations", required_argument, NULL, OPT_ITER},
	 'n',
	 "N",
	 "batch: print N refreshes, then exit"},
	{{"until-idle", no_argument, NULL, OPT_UNTIL_IDLE},
	 0,
	 NULL,
	 "batch: exit after the refresh that sees every process finished"},
	{{"jsonl", no_argument, NULL, OPT_JSONL}, 0, NULL, "batch: one JSON object per refresh"},
	{{"width", required_argument, NULL, OPT_WIDTH},
	 0,
	 "N",
	 "batch: text width (default: every column in full)"},
	{{"no-color", no_argument, NULL, OPT_NO_COLOR}, 0, NULL, "no colours (also NO_COLOR=1)"},
	{{"cpu-budget", required_argument, NULL, OPT_CPU_BUDGET},
	 0,
	 "PCT",
	 "sharing a program's CPU, the collector takes at most PCT% of it (default 2, 0: none)"},
	{{"help", no_argument, NULL, OPT_HELP}, 'h', NULL, "this text"},
};
#define NOPTS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: tmtop [options]\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64], sh[8] = "    ";
		if (options[i].short_opt)
			snprintf(sh, sizeof(sh), "-%c, ", options[i].short_opt);
		snprintf(left, sizeof(left), "%s--%s%s%s", sh, options[i].opt.name,
			 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		fprintf(f, "  %-26s %s\n", left, options[i].help);
	}
	fprintf(f, "\nkeys:\n");
	for (size_t i = 0; tm_top_help[i]; i++)
		fprintf(f, "  %s\n", tm_top_help[i]);
}

struct args {
	struct tm_top_opts o;
	struct tm_coll_opts co;
	const char *connect, *rules;
	int batch, budget;
};

static int num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "tmtop: --%s %s: expected a number from %g to %g\n", opt, s, lo,
			hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
	struct option lo[NOPTS + 1];
	char shorts[64];
	size_t ns = 0;
	for (size_t i = 0; i < NOPTS; i++) {
		lo[i] = options[i].opt;
		if (options[i].short_opt) {
			shorts[ns++] = options[i].short_opt;
			if (options[i].arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	memset(&lo[NOPTS], 0, sizeof(lo[NOPTS]));
	a->o.color = -1;
	for (int c; (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1;) {
		double v;
		for (size_t i = 0; i < NOPTS; i++)
			if (c == options[i].short_opt)
				c = options[i].opt.val;
		switch (c) {
		case OPT_SESSION: a->co.session = optarg; break;
		case OPT_DIR: a->co.dir = optarg; break;
		case OPT_CONNECT: a->connect = optarg; break;
		case OPT_RULES: a->rules = optarg; break;
		case OPT_DELAY:
			if (num("delay", optarg, TM_TOP_DELAY_MIN, TM_TOP_DELAY_MAX,
				&a->o.delay_s) < 0)
				return -1;
			break;
		case OPT_SORT: a->o.sort = optarg; break;
		case OPT_REVERSE: a->o.reverse = 1; break;
		case OPT_WINDOW: a->o.window = optarg; break;
		case OPT_FILTER: a->o.filter = optarg; break;
		case OPT_BATCH: a->batch = 1; break;
		case OPT_ITER:
			if (num("iterations", optarg, 1, 1e9, &v) < 0)
				return -1;
			a->o.iterations = (long)v;
			a->batch = 1;
			break;
		case OPT_UNTIL_IDLE: a->o.until_idle = 1; break;
		case OPT_JSONL: a->o.jsonl = a->batch = 1; break;
		case OPT_WIDTH:
			if (num("width", optarg, 40, 1000, &v) < 0)
				return -1;
			a->o.width = (int)v;
			break;
		case OPT_NO_COLOR: a->o.color = 0; break;
		case OPT_CPU_BUDGET:
			if (tm_loop_parse_budget("tmtop", optarg, &loop.cpu_budget) < 0)
				return -1;
			a->budget = 1;
			break;
		case OPT_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tmtop: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (a->connect && (a->co.session || a->co.dir || a->rules || a->budget)) {
		fprintf(stderr, "tmtop: --connect reads the collector's own session, dir, rules "
				"and CPU budget\n");
		return -1;
	}
	const char *term = getenv("TERM");
	if (!isatty(STDOUT_FILENO) || !term || !*term || strcmp(term, "dumb") == 0)
		a->batch = 1;
	return 0;
}

static void *collector_main(void *arg)
{
	tm_coll_run(arg, &loop);
	return NULL;
}

/* The embedded collector, its loop in a thread that takes no signal. */
static int start_collector(struct tm_coll *c, struct args *a, pthread_t *th)
{
	char err[256];
	if (tm_coll_init(c, &a->co, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmtop: %s\n", err);
		return -1;
	}
	if (a->rules && tm_rules_load(c, a->rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmtop: %s\n", err);
		tm_coll_free(c);
		return -1;
	}
	if (tm_health_options(c, NULL, 0, "tmtop") < 0) {
		tm_coll_free(c);
		return -1;
	}
	double d = a->o.delay_s > 0 ? a->o.delay_s : 1;
	loop.interval_ns = (uint64_t)((d < 1 ? d : 1) * 1e9); /* open calls, /proc */
	loop.sinks.o.interval_ns = loop.interval_ns;
	pthread_mutex_init(&loop.lock, NULL);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(th, NULL, collector_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		fprintf(stderr, "tmtop: cannot start the collector thread\n");
		tm_coll_free(c);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct tm_coll c;
	pthread_t th;
	struct tm_top_src *src;
	char err[256];

	setlocale(LC_CTYPE, ""); /* UTF-8 block characters where the terminal has them */
	if (parse(argc, argv, &a) < 0)
		return 2;
	a.o.stop = &stop;
	struct sigaction sa = {0};
	sa.sa_handler = on_stop; /* no SA_RESTART: a wait ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (a.connect) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		src = tm_top_src_http(a.connect, err, sizeof(err));
	} else {
		if (start_collector(&c, &a, &th) < 0)
			return 1;
		src = tm_top_src_local(&c, &loop.lock);
		snprintf(err, sizeof(err), "out of memory");
	}
	int ret = 1;
	if (src) {
		ret = a.batch ? tm_top_batch(src, &a.o, stdout, err, sizeof(err))
			      : tm_top_tui(src, &a.o, err, sizeof(err));
		src->free(src);
	}
	if (!a.connect) {
		atomic_store(&loop.stop, 1);
		pthread_join(th, NULL);
		tm_coll_free(&c);
	} else {
		curl_global_cleanup();
	}
	if (ret == -EPIPE)
		return 0; /* the reader has gone (tmtop -b | head), as top -b */
	if (ret < 0 || !src) {
		fprintf(stderr, "tmtop: %s\n", err);
		return 1;
	}
	return 0;
}
