/* SPDX-License-Identifier: MIT */
/* tmcollect: drain the segments of one session and write the statistics. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "health/health.h"
#include "loop.h"
#include "out/trace.h"
#include "out/sinks.h"
#include "procfs.h"

static struct tm_loop loop;

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&loop.stop, 1);
}

static void on_dump(int sig)
{
	(void)sig;
	atomic_store(&loop.dump, 1);
}

enum {
	OPT_SESSION = 1,
	OPT_DIR,
	OPT_INTERVAL,
	OPT_SUMMARY,
	OPT_SUMMARY_EVERY,
	OPT_UNTIL_IDLE,
	OPT_SUBTRACT,
	OPT_LISTEN,
	OPT_PORT_FILE,
	OPT_TEXTFILE,
	OPT_JSONL,
	OPT_CSV,
	OPT_RULES,
	OPT_GC,
	OPT_MAX_PROCS,
	OPT_KEEP_SECS,
	OPT_KEEP_MINS,
	OPT_ALERTMANAGER,
	OPT_ON_ALERT,
	OPT_MAINTENANCE,
	OPT_PRINT_RULES,
	OPT_TABLE,
	OPT_CALLS,
	OPT_FOLDED,
	OPT_FOLDED_WEIGHT,
	OPT_TRACE,
	OPT_TRACE_MAX,
	OPT_CPU_BUDGET,
	OPT_HELP
};

static const struct {
	struct option opt;
	const char *arg, *help;
} options[] = {
	{{"session", required_argument, NULL, OPT_SESSION},
	 "NAME",
	 "session to collect (default: $TM_SESSION or default)"},
	{{"dir", required_argument, NULL, OPT_DIR},
	 "DIR",
	 "segment directory (default: $TM_DIR or /dev/shm/tm-$UID)"},
	{{"interval", required_argument, NULL, OPT_INTERVAL},
	 "SECONDS",
	 "report interval (default: 1)"},
	{{"summary", required_argument, NULL, OPT_SUMMARY},
	 "FILE",
	 "JSON summary at exit and on SIGUSR1 (- = stdout)"},
	{{"calls", no_argument, NULL, OPT_CALLS},
	 NULL,
	 "keep the call structure: edges, self time, stacks (implied by --folded, --trace, "
	 "workflows)"},
	{{"folded", required_argument, NULL, OPT_FOLDED},
	 "FILE",
	 "folded stacks of monitored frames at exit, for flame graphs (- = stdout)"},
	{{"folded-weight", required_argument, NULL, OPT_FOLDED_WEIGHT},
	 "self|calls",
	 "weight of a --folded line: self time in ns (default) or calls"},
	{{"trace", required_argument, NULL, OPT_TRACE},
	 "FILE",
	 "timeline of the calls at exit: Chrome Trace Event JSON (Perfetto, chrome://tracing)"},
	{{"trace-max", required_argument, NULL, OPT_TRACE_MAX},
	 "N",
	 "events --trace keeps: a uniform sample past it (default 200000)"},
	{{"cpu-budget", required_argument, NULL, OPT_CPU_BUDGET},
	 "PCT",
	 "share of a CPU it shares with the program that the collector takes at most; calls "
	 "past it are folded: exact counts, coarse durations (default 2, 0: no limit)"},
	{{"summary-every", no_argument, NULL, OPT_SUMMARY_EVERY},
	 NULL,
	 "also write the summary every interval"},
	{{"until-idle", no_argument, NULL, OPT_UNTIL_IDLE},
	 NULL,
	 "exit once every monitored process has exited and been drained"},
	{{"table", no_argument, NULL, OPT_TABLE},
	 NULL,
	 "print the table on stderr at exit (the default when no other output is named)"},
	{{"subtract-overhead", no_argument, NULL, OPT_SUBTRACT},
	 NULL,
	 "take the shim's measured floor off every duration"},
	{{"listen", required_argument, NULL, OPT_LISTEN},
	 "HOST:PORT",
	 "serve /metrics and /api/v1/* over HTTP (empty host: 127.0.0.1; port 0: any)"},
	{{"port-file", required_argument, NULL, OPT_PORT_FILE},
	 "FILE",
	 "write the port --listen bound to here"},
	{{"textfile", required_argument, NULL, OPT_TEXTFILE},
	 "FILE",
	 "Prometheus exposition written atomically every interval (node_exporter)"},
	{{"jsonl", required_argument, NULL, OPT_JSONL},
	 "FILE",
	 "per-interval deltas and events as JSON lines, tm.stream/1 (- = stdout)"},
	{{"csv", required_argument, NULL, OPT_CSV},
	 "FILE",
	 "per-interval rows as CSV (- = stdout)"},
	{{"rules", required_argument, NULL, OPT_RULES},
	 "FILE",
	 "-c FILE: JSON rules for the collector: alerts, anomaly, maintenance, defaults, "
	 "error_categories (docs/CONFIG.md)"},
	{{"alertmanager", required_argument, NULL, OPT_ALERTMANAGER},
	 "URL",
	 "send alerts to this Alertmanager (POST URL/api/v2/alerts)"},
	{{"on-alert", required_argument, NULL, OPT_ON_ALERT},
	 "CMD",
	 "run CMD (sh -c) when an alert fires or resolves: TM_ALERT_* and JSON on stdin"},
	{{"maintenance", required_argument, NULL, OPT_MAINTENANCE},
	 "GLOB[=DUR]",
	 "functions in maintenance for DUR (default 1h): health maintenance, alerts silenced"},
	{{"print-prometheus-rules", no_argument, NULL, OPT_PRINT_RULES},
	 NULL,
	 "print Prometheus alerting and recording rules equivalent to the rules, exit"},
	{{"max-processes", required_argument, NULL, OPT_MAX_PROCS},
	 "N",
	 "processes kept in detail; older finished ones are merged (default: 256)"},
	{{"keep-seconds", required_argument, NULL, OPT_KEEP_SECS},
	 "N",
	 "per-second series kept for every function, 120..3600 (default: 900, 15 min)"},
	{{"keep-minutes", required_argument, NULL, OPT_KEEP_MINS},
	 "N",
	 "per-minute series kept, 60..10080 (default: 1440, 24 h); memory: docs/ARCHITECTURE.md"},
	{{"gc", no_argument, NULL, OPT_GC},
	 NULL,
	 "collect what processes that are gone left behind (every session unless --session), "
	 "report and remove their segments, leave running ones alone, exit"},
	{{"help", no_argument, NULL, OPT_HELP}, NULL, "this text"},
};
#define NOPTS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: tmcollect [options]\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", options[i].opt.name,
			 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		fprintf(f, "  %-22s %s\n", left, options[i].help);
	}
}

/* 1 if pid runs with the start time `start` (0: any). */
static int pid_runs(long pid, unsigned long long start)
{
	struct tm_pstat ps;
	if (pid <= 0 || pid > INT32_MAX || tm_procfs_stat((int32_t)pid, 0, &ps) < 0)
		return 0;
	return ps.state != 'Z' && (!start || ps.starttime == start);
}

/* 1 if `name` is a shim's said-once marker whose creator has gone
 * (shim/log.c): "<session>.said.<16 hex>", a regular file holding "PID
 * STARTTIME" of a process that no longer runs with that start time; or
 * its creator's temporary "<marker>.<PID>", while it is written, of a PID
 * that no longer runs (its content may not be there yet). Read as
 * untrusted: at most 63 bytes, no symlink, no FIFO. */
static int said_marker_stale(int dfd, const char *name)
{
	const char *m = strstr(name, ".said.");
	if (!m || m == name || strspn(m + 6, "0123456789abcdef") != 16)
		return 0;
	const char *rest = m + 6 + 16;
	if (*rest) { /* a temporary: ".<pid>" and nothing else */
		char *end = (char *)rest;
		long pid = rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9'
				   ? strtol(rest + 1, &end, 10)
				   : 0;
		return pid > 0 && !*end && !pid_runs(pid, 0);
	}
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	char buf[64];
	ssize_t n =
		fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	long pid = 0;
	unsigned long long start = 0;
	if (sscanf(buf, "%ld %llu", &pid, &start) != 2 || !start)
		return 1; /* not what the shim writes (it links the marker whole) */
	return !pid_runs(pid, start);
}

/* --gc: the markers of lines said once per session whose creator has gone
 * (a session ended without tmrun, which removes its own): removed, so that
 * a later session of the same name says them again at once. */
static uint64_t gc_said_markers(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	uint64_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (said_marker_stale(dirfd(d), e->d_name) && unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	closedir(d);
	return n;
}

/* --gc: segments of processes that are gone (exited, killed, exec'd) are
 * drained — their calls go into --summary if one is given, so nothing is
 * thrown away unseen — and removed, one line each; running processes'
 * segments are left for their collector. */
static int collect_orphans(struct tm_coll *c)
{
	char err[256];
	uint64_t n = 0, calls = 0;
	c->gc_only = 1;
	tm_coll_scan(c);
	tm_coll_check(c); /* the gone: drained and removed; the running: left */
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		if (p->attached || p->pid <= 0 || p->status == TM_PS_RUNNING)
			continue;
		char shown[600];
		tm_term_text(shown, sizeof(shown), p->path);
		fprintf(stderr, "tmcollect: gc: %s: pid %d %s, %llu calls collected; removed\n",
			shown, (int)p->pid,
			p->status == TM_PS_EXITED ? "exited"
			: p->status == TM_PS_EXEC ? "exec'd"
						  : "gone",
			(unsigned long long)p->calls);
		n++;
		calls += p->calls;
	}
	tm_model_tick(c, tm_mono_ns() + 1000000000ull + TM_WIN_GRACE_NS);
	fprintf(stderr, "tmcollect: gc: %llu segments of finished processes removed (%llu calls)\n",
		(unsigned long long)n, (unsigned long long)calls);
	uint64_t said = gc_said_markers(c->dir);
	if (said)
		fprintf(stderr,
			"tmcollect: gc: %llu markers of lines said once by processes that have "
			"gone removed\n",
			(unsigned long long)said);
	int ret = 0;
	if (loop.summary && tm_summary_write(c, loop.summary, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmcollect: %s\n", err);
		ret = 1;
	}
	tm_coll_free(c);
	return ret;
}

int main(int argc, char **argv)
{
	struct option longopts[NOPTS + 1];
	struct tm_coll_opts co = {0};
	struct tm_coll c;
	char err[256];
	const char *rules = NULL;
	int gc = 0, table = 0, calls = 0;
	uint32_t keep_s = TM_WIN_SECS, keep_m = TM_WIN_MINS;

	for (size_t i = 0; i < NOPTS; i++)
		longopts[i] = options[i].opt;
	memset(&longopts[NOPTS], 0, sizeof(longopts[NOPTS]));
	const char *maint[64];
	size_t nmaint = 0;
	int print_rules = 0;
	for (int o; (o = getopt_long(argc, argv, "c:", longopts, NULL)) != -1;) {
		switch (o) {
		case OPT_SESSION: co.session = optarg; break;
		case OPT_DIR: co.dir = optarg; break;
		case OPT_INTERVAL: {
			char *end;
			double s = strtod(optarg, &end);
			if (*end || !(s > 0) || s > 86400) {
				fprintf(stderr, "tmcollect: --interval %s: expected seconds > 0\n",
					optarg);
				return 2;
			}
			loop.interval_ns = (uint64_t)(s * 1e9);
			break;
		}
		case OPT_SUMMARY: loop.summary = optarg; break;
		case OPT_SUMMARY_EVERY: loop.summary_every = 1; break;
		case OPT_FOLDED: loop.folded = optarg; break;
		case OPT_CALLS: calls = 1; break;
		case OPT_TRACE: loop.trace = optarg; break;
		case OPT_CPU_BUDGET:
			if (tm_loop_parse_budget("tmcollect", optarg, &loop.cpu_budget) < 0)
				return 2;
			break;
		case OPT_TRACE_MAX:
			if (tm_trace_parse_max(optarg, &loop.trace_max) < 0) {
				fprintf(stderr, "tmcollect: --trace-max %s: expected 1..10000000\n",
					optarg);
				return 2;
			}
			break;
		case OPT_FOLDED_WEIGHT:
			if (strcmp(optarg, "calls") != 0 && strcmp(optarg, "self") != 0) {
				fprintf(stderr, "tmcollect: --folded-weight %s: self or calls\n",
					optarg);
				return 2;
			}
			loop.folded_calls = strcmp(optarg, "calls") == 0;
			break;
		case OPT_UNTIL_IDLE: loop.until_idle = 1; break;
		case OPT_SUBTRACT: co.subtract_overhead = 1; break;
		case OPT_LISTEN: loop.sinks.o.listen = optarg; break;
		case OPT_PORT_FILE: loop.sinks.o.port_file = optarg; break;
		case OPT_TEXTFILE: loop.sinks.o.textfile = optarg; break;
		case OPT_JSONL: loop.sinks.o.jsonl = optarg; break;
		case OPT_CSV: loop.sinks.o.csv = optarg; break;
		case 'c':
		case OPT_RULES: rules = optarg; break;
		case OPT_ALERTMANAGER: loop.sinks.o.alertmanager = optarg; break;
		case OPT_ON_ALERT: loop.sinks.o.on_alert = optarg; break;
		case OPT_MAINTENANCE:
			if (nmaint == sizeof(maint) / sizeof(maint[0])) {
				fprintf(stderr, "tmcollect: at most 64 --maintenance\n");
				return 2;
			}
			maint[nmaint++] = optarg;
			break;
		case OPT_PRINT_RULES: print_rules = 1; break;
		case OPT_GC: gc = 1; break;
		case OPT_TABLE: table = 1; break;
		case OPT_MAX_PROCS:
			if (tm_parse_max_procs(optarg, &co.max_procs) < 0) {
				fprintf(stderr, "tmcollect: --max-processes %s: expected 1..%u\n",
					optarg, TM_MAX_PROCS_LIMIT);
				return 2;
			}
			break;
		case OPT_KEEP_SECS:
		case OPT_KEEP_MINS:
			if (tm_parse_keep("tmcollect", o == OPT_KEEP_MINS, optarg, &keep_s,
					  &keep_m))
				return 2;
			break;
		case OPT_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	tm_win_keep_set(keep_s, keep_m); /* both checked: before any window is used */
	if (gc && !co.session)
		co.session = "*"; /* every session's leftovers */
	if (optind < argc) {
		fprintf(stderr, "tmcollect: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (print_rules) {
		/* the rules only: no directory, no segments */
		struct tm_coll rc;
		memset(&rc, 0, sizeof(rc));
		if (rules && tm_rules_load(&rc, rules, err, sizeof(err)) < 0) {
			fprintf(stderr, "tmcollect: %s\n", err);
			return 2;
		}
		if (tm_health_options(&rc, maint, nmaint, "tmcollect") < 0)
			return 2;
		tm_prom_rules_print(rc.hrules, stdout);
		tm_hrules_free(rc.hrules);
		free(rc.hrules);
		tm_outc_free(&rc);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	/* outputs that cannot be written are said now, before anything is drained */
	const char *outs[] = {loop.summary, loop.sinks.o.textfile, loop.folded, loop.trace};
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		if (outs[i] && tm_out_check(outs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "tmcollect: %s\n", err);
			return 2;
		}
	}
	/* before the calibration: a stop that early still drains and writes */
	struct sigaction sa = {0};
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_dump;
	sigaction(SIGUSR1, &sa, NULL);
	if (tm_coll_init(&c, &co, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmcollect: %s\n", err);
		return 2;
	}
	if (rules && tm_rules_load(&c, rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmcollect: %s\n", err);
		return 2;
	}
	c.calls_on |= calls || loop.folded || loop.trace;
	if (tm_health_options(&c, maint, nmaint, "tmcollect") < 0)
		return 2;
	if (gc)
		return collect_orphans(&c);
	/* draining removes what it drained: without an output the figures
	 * would be gone, so the table goes to stderr at exit */
	if (!gc && !table && !loop.summary && !loop.folded && !loop.trace && !loop.sinks.o.listen &&
	    !loop.sinks.o.jsonl && !loop.sinks.o.csv && !loop.sinks.o.textfile) {
		fprintf(stderr, "tmcollect: no output named (--summary, --listen, --jsonl, --csv, "
				"--textfile, --table): the table is printed on stderr at exit\n");
		table = 1;
	}
	pthread_mutex_init(&loop.lock, NULL);
	loop.sinks.o.interval_ns = loop.interval_ns ? loop.interval_ns : 1000000000ull;
	if (tm_sinks_start(&loop.sinks, &c, &loop.lock, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmcollect: %s\n", err);
		tm_sinks_stop(&loop.sinks);
		return 2;
	}
	loop.table = table;
	tm_coll_run(&c, &loop);
	tm_sinks_stop(&loop.sinks);
	if (table)
		tm_table_print(&c, stderr);
	tm_coll_free(&c);
	return 0;
}
