/* SPDX-License-Identifier: MIT */
/* tmrun: run a command under libtmshim with a private collector (a thread of
 * this process), wait for it and every descendant, then write the JSON
 * summary, print the table to stderr and exit with the command's status. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach/attach.h"
#include "collector.h"
#include "health/health.h"
#include "loop.h"
#include "out/trace.h"
#include "procfs.h"
#include "repeat.h"
#include "top/top.h"

struct run_opts {
	const char *symbols, *config, *output, *session, *rules;
	const char *maint[64];
	size_t nmaint;
	double interval_s;
	int quiet;
	int subtract;
	size_t max_procs;
	uint32_t keep_s, keep_m; /* --keep-seconds / --keep-minutes */
	unsigned repeat;	 /* --repeat N; 0: run once, no runs[] */
	int top;		 /* --top: the live view while the command runs */
	int calls;		 /* --calls: the call structure */
	const char *top_output;	 /* --top-output FILE: the command's stdout and stderr */
};

static struct tm_loop loop;
static pid_t child_pid;

static void usage(FILE *f)
{
	fprintf(f, "usage: tmrun [options] -- COMMAND [ARG...]\n"
		   "  -s, --symbols LIST   functions to monitor: names, globs, lib.so:name\n"
		   "  -c, --config FILE    per-symbol rules (JSON, see docs/CONFIG.md)\n"
		   "      --rules FILE     the collector's rules: alerts, anomaly, maintenance\n"
		   "      --alertmanager URL  send alerts to this Alertmanager\n"
		   "      --on-alert CMD   run CMD when an alert fires or resolves\n"
		   "      --maintenance GLOB[=DUR]  functions in maintenance (alerts silenced)\n"
		   "  -o, --output FILE    write the JSON summary here\n"
		   "      --calls          keep the call structure: caller -> callee edges, self\n"
		   "                       time, stacks (implied by --folded, --trace, workflows)\n"
		   "      --folded FILE    folded stacks of monitored frames (flame graphs)\n"
		   "      --folded-weight self|calls  a line's weight: self ns (default), calls\n"
		   "      --trace FILE     timeline of the calls: Chrome Trace Event JSON\n"
		   "      --trace-max N    events kept, a uniform sample past it (default 200000)\n"
		   "      --cpu-budget PCT  sharing the command's CPU, the collector takes\n"
		   "                       at most PCT%% of it, folding calls past it: exact\n"
		   "                       counts, coarse durations (default 2, 0: no limit)\n"
		   "      --session NAME   session name (default: tmrun-PID)\n"
		   "  -q, --quiet          no table on stderr\n"
		   "      --subtract-overhead  take the shim's measured floor off every duration\n"
		   "      --listen HOST:PORT  serve /metrics and /api/v1/* while it runs\n"
		   "      --port-file FILE     write the port --listen bound to here\n"
		   "      --jsonl FILE     per-interval deltas and events as JSON lines\n"
		   "      --csv FILE       per-interval rows as CSV\n"
		   "      --textfile FILE  Prometheus exposition, rewritten every interval\n"
		   "      --interval SECONDS   for the outputs above (default: 1)\n"
		   "      --max-processes N    processes kept in detail (default: 256)\n"
		   "      --keep-seconds N     per-second series kept, 120..3600 (default: 900)\n"
		   "      --keep-minutes N     per-minute series kept, 60..10080 (default: 1440)\n"
		   "      --top            the live view (tmtop) while the command runs; the\n"
		   "                       command's input is /dev/null, its output goes to\n"
		   "                       --top-output FILE (default /dev/null)\n"
		   "      --repeat N       run the command N times, one after the other; the\n"
		   "                       summary keeps each run's figures (runs[])\n"
		   "  -h, --help           this text\n");
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option lo[] = {
		{"symbols", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"output", required_argument, NULL, 'o'},
		{"session", required_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},
		{"subtract-overhead", no_argument, NULL, 'O'},
		{"listen", required_argument, NULL, 'L'},
		{"port-file", required_argument, NULL, 'P'},
		{"jsonl", required_argument, NULL, 'J'},
		{"csv", required_argument, NULL, 'C'},
		{"textfile", required_argument, NULL, 'T'},
		{"interval", required_argument, NULL, 'I'},
		{"max-processes", required_argument, NULL, 'M'},
		{"keep-seconds", required_argument, NULL, TM_OPT_KEEP_SECS},
		{"keep-minutes", required_argument, NULL, TM_OPT_KEEP_MINS},
		{"rules", required_argument, NULL, 'R'},
		{"alertmanager", required_argument, NULL, 'A'},
		{"on-alert", required_argument, NULL, 'E'},
		{"maintenance", required_argument, NULL, 'W'},
		{"repeat", required_argument, NULL, 'N'},
		{"top", no_argument, NULL, 'U'},
		{"top-output", required_argument, NULL, 'V'},
		{"folded", required_argument, NULL, 'F'},
		{"calls", no_argument, NULL, 'K'},
		{"folded-weight", required_argument, NULL, 'G'},
		{"trace", required_argument, NULL, 'X'},
		{"trace-max", required_argument, NULL, 'Y'},
		{"cpu-budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	for (int c; (c = getopt_long(argc, argv, "+s:c:o:qh", lo, NULL)) != -1;) {
		switch (c) {
		case 's': o->symbols = optarg; break;
		case 'c': o->config = optarg; break;
		case 'o': o->output = optarg; break;
		case 'S': o->session = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'O': o->subtract = 1; break;
		case 'L': loop.sinks.o.listen = optarg; break;
		case 'P': loop.sinks.o.port_file = optarg; break;
		case 'J': loop.sinks.o.jsonl = optarg; break;
		case 'C': loop.sinks.o.csv = optarg; break;
		case 'T': loop.sinks.o.textfile = optarg; break;
		case 'R': o->rules = optarg; break;
		case 'U': o->top = 1; break;
		case 'V': o->top_output = optarg; break;
		case 'F': loop.folded = optarg; break;
		case 'K': o->calls = 1; break;
		case 'X': loop.trace = optarg; break;
		case 'B':
			if (tm_loop_parse_budget("tmrun", optarg, &loop.cpu_budget) < 0)
				return -1;
			break;
		case 'Y':
			if (tm_trace_parse_max(optarg, &loop.trace_max) < 0) {
				fprintf(stderr, "tmrun: --trace-max %s: expected 1..10000000\n",
					optarg);
				return -1;
			}
			break;
		case 'G':
			if (strcmp(optarg, "calls") != 0 && strcmp(optarg, "self") != 0) {
				fprintf(stderr, "tmrun: --folded-weight %s: self or calls\n",
					optarg);
				return -1;
			}
			loop.folded_calls = strcmp(optarg, "calls") == 0;
			break;
		case 'A': loop.sinks.o.alertmanager = optarg; break;
		case 'E': loop.sinks.o.on_alert = optarg; break;
		case 'W':
			if (o->nmaint == sizeof(o->maint) / sizeof(o->maint[0])) {
				fprintf(stderr, "tmrun: at most 64 --maintenance\n");
				return -1;
			}
			o->maint[o->nmaint++] = optarg;
			break;
		case 'I': {
			char *end;
			o->interval_s = strtod(optarg, &end);
			if (*end || !(o->interval_s > 0) || o->interval_s > 86400) {
				fprintf(stderr, "tmrun: --interval %s: expected seconds > 0\n",
					optarg);
				return -1;
			}
			break;
		}
		case TM_OPT_KEEP_SECS:
		case TM_OPT_KEEP_MINS:
			if (tm_parse_keep("tmrun", c == TM_OPT_KEEP_MINS, optarg, &o->keep_s,
					  &o->keep_m))
				return -1;
			break;
		case 'M':
			if (tm_parse_max_procs(optarg, &o->max_procs) < 0) {
				fprintf(stderr, "tmrun: --max-processes %s: expected 1..%u\n",
					optarg, TM_MAX_PROCS_LIMIT);
				return -1;
			}
			break;
		case 'N': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > 100000) {
				fprintf(stderr, "tmrun: --repeat %s: expected 1..100000\n", optarg);
				return -1;
			}
			o->repeat = (unsigned)n;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tmrun: no command given\n");
		usage(stderr);
		return -1;
	}
	if (!o->symbols && !o->config) {
		fprintf(stderr, "tmrun: nothing to monitor: give -s LIST and/or -c FILE\n");
		return -1;
	}
	return optind;
}

/* libtmshim next to this binary: build tree (../shim) or install (../lib). */
static int find_shim(char *out, size_t len)
{
	const char *env = getenv("TM_SHIM");
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, R_OK);
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	static const char *const rel[] = {"../shim/libtmshim.so", "../lib/libtmshim.so",
					  "libtmshim.so"};
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char cand[PATH_MAX + 64];
		snprintf(cand, sizeof(cand), "%s/%s", self, rel[i]);
		if (access(cand, R_OK) == 0 && realpath(cand, out))
			return 0;
	}
	return -1;
}

static int set_env(const struct run_opts *o, const char *shim, const char *session)
{
	char buf[PATH_MAX * 2];
	const char *old = getenv("LD_PRELOAD");
	snprintf(buf, sizeof(buf), "%s%s%s", shim, old && *old ? ":" : "", old ? old : "");
	if (setenv("LD_PRELOAD", buf, 1) || setenv("TM_SESSION", session, 1))
		return -1;
	if (o->symbols && setenv("TM_SYMBOLS", o->symbols, 1))
		return -1;
	if (o->config) {
		char abs[PATH_MAX];
		if (!realpath(o->config, abs)) {
			fprintf(stderr, "tmrun: config %s: %s\n", o->config, strerror(errno));
			return -1;
		}
		if (setenv("TM_CONFIG", abs, 1))
			return -1;
	}
	return 0;
}

/* --top: the view on its own thread while the main one waits for the
 * command; SIGCHLD and the stop signals stay blocked in it (the main
 * thread takes them), SIGWINCH reaches curses. */
static struct tm_top_opts top_opts;
static atomic_int top_stop;
static struct tm_coll *top_coll;
static int top_rc;
static char top_err[256];

static void *top_main(void *arg)
{
	(void)arg;
	top_rc = tm_top_run(top_coll, &loop.lock, &top_opts, top_err, sizeof(top_err));
	return NULL;
}

static void *collector_main(void *arg)
{
	tm_coll_run(arg, &loop);
	return NULL;
}

static void on_child(int sig)
{
	(void)sig; /* SIGCHLD stays blocked and is taken by sigwaitinfo */
}

/* Waits for the command and, as subreaper, every orphaned descendant; the
 * command's status: its exit code, or 128 + the signal that killed it.
 * `set` (blocked) holds SIGCHLD and the stop signals. The first SIGTERM,
 * SIGHUP or SIGINT sent to tmrun is passed to the command; a second one,
 * or one after the command has ended (only orphans are left), stops the
 * wait (*stopped = 1): 128 + that signal. A SIGINT from the terminal (^C) reached the
 * command already and is ignored, as time(1) does: an interactive
 * command that handles ^C keeps running under tmrun. SIGUSR1 asks for the
 * figures so far, as it does of tmcollect: the summary is written now (-o),
 * or without -o the table is printed on stderr; the wait goes on. */
/* Reaps one child that has ended, if any: its pid (0: none ended yet, -1:
 * no children). Before it is reaped — while its pid and start time still
 * name it — the collector is told how it ended: a process that ends
 * without marking its segment (exit_group, a libc-internal _exit) is
 * reported with its real exit code rather than as crashed. */
static pid_t reap_one(struct tm_coll *c, int *st)
{
	siginfo_t si;
	si.si_pid = 0;
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return -1;
	if (si.si_pid == 0)
		return 0;
	struct tm_pstat ps;
	pid_t p = si.si_pid;
	if (tm_procfs_stat(p, 0, &ps) == 0) {
		int ws = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8
						  : si.si_status & 0x7f; /* killed, dumped */
		pthread_mutex_lock(&loop.lock);
		tm_coll_note_exit(c, p, ps.starttime, ws);
		pthread_mutex_unlock(&loop.lock);
	}
	return waitpid(p, st, 0);
}

static int wait_all(struct tm_coll *c, pid_t cmd, const sigset_t *set, int *stopped)
{
	int result = 0, forwarded = 0, cmd_done = 0;
	for (;;) {
		int st;
		pid_t p;
		while ((p = reap_one(c, &st)) > 0) {
			if (p != cmd)
				continue;
			result = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			cmd_done = 1;
		}
		if (p < 0 && errno != EINTR)
			break; /* ECHILD: nobody left */
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0 || sig == SIGCHLD)
			continue;
		if (sig == SIGUSR1) {
			atomic_store(&loop.dump, 1); /* the collector thread: <= 20 ms */
			continue;
		}
		if (sig == SIGINT && si.si_code == SI_KERNEL)
			continue;
		if (cmd_done || forwarded) {
			*stopped = 1;
			return 128 + sig;
		}
		forwarded = 1;
		kill(cmd, sig);
	}
	return result;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The command, in a child with the signal mask tmrun started with. */
/* in_fd, out_fd >= 0 (--top): the command's stdin, and stdout and stderr */
static pid_t launch(char **cmd, const sigset_t *old, int in_fd, int out_fd)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tmrun: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		pthread_sigmask(SIG_SETMASK, old, NULL);
		if (in_fd >= 0 &&
		    (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0))
			_exit(127);
		execvp(cmd[0], cmd);
		fprintf(stderr, "tmrun: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* The session is over: the shim's markers of the lines it said once for
 * the session ("<session>.said.<digest>") go, so that a later session of
 * the same name says them again. */
static void forget_said(const char *dir, const char *session)
{
	char prefix[96];
	int n = snprintf(prefix, sizeof(prefix), "%s.said.", session);
	DIR *d = opendir(dir);
	if (!d || n < 0 || (size_t)n >= sizeof(prefix)) {
		if (d)
			closedir(d);
		return;
	}
	for (struct dirent *e; (e = readdir(d));)
		if (strncmp(e->d_name, prefix, (size_t)n) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int main(int argc, char **argv)
{
	struct run_opts o = {0};
	struct tm_coll c;
	struct tm_coll_opts co = {0};
	char shim[PATH_MAX], session[80], err[256];
	pthread_t th;

	tm_tool = "tmrun";
	if (tm_attach_wanted(argc, argv)) /* --attach PID, --detach PID: tools/attach/ */
		return tm_attach_main(argc, argv);
	int first = parse(argc, argv, &o);
	if (first < 0)
		return 2;
	/* an output that cannot be written is said now, before the command runs */
	const char *outs[] = {o.output, loop.sinks.o.textfile, loop.folded, loop.trace};
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		if (outs[i] && tm_out_check(outs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "tmrun: %s\n", err);
			return 2;
		}
	}
	if (find_shim(shim, sizeof(shim)) < 0) {
		fprintf(stderr, "tmrun: cannot find libtmshim.so (set TM_SHIM)\n");
		return 2;
	}
	if (o.session)
		snprintf(session, sizeof(session), "%s", o.session);
	else
		snprintf(session, sizeof(session), "tmrun-%d", (int)getpid());
	co.session = session;
	co.dir = getenv("TM_DIR");
	co.subtract_overhead = o.subtract;
	tm_win_keep_set(o.keep_s ? o.keep_s : TM_WIN_SECS, o.keep_m ? o.keep_m : TM_WIN_MINS);
	co.max_procs = o.max_procs;
	if (tm_coll_init(&c, &co, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmrun: %s\n", err);
		return 2;
	}
	if (set_env(&o, shim, session) < 0)
		return 2;
	/* the rules file carries the collector's part too (error categories) */
	if (o.config && tm_rules_load(&c, o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmrun: %s\n", err);
		return 2;
	}
	if (o.rules && tm_rules_load(&c, o.rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmrun: %s\n", err);
		return 2;
	}
	c.calls_on |= o.calls || loop.folded || loop.trace;
	if (tm_health_options(&c, o.maint, o.nmaint, "tmrun") < 0)
		return 2;
	loop.summary = o.repeat ? NULL : o.output; /* --repeat: written with runs[] below */
	loop.table = !o.quiet;
	loop.interval_ns = (uint64_t)((o.interval_s > 0 ? o.interval_s : 1) * 1e9);
	loop.sinks.o.interval_ns = loop.interval_ns;
	pthread_mutex_init(&loop.lock, NULL);

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* the HTTP server's thread too starts with every signal blocked */
	if (tm_sinks_start(&loop.sinks, &c, &loop.lock, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmrun: %s\n", err);
		return 2;
	}
	if (pthread_create(&th, NULL, collector_main, &c) != 0) {
		fprintf(stderr, "tmrun: cannot start the collector thread\n");
		return 2;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	/* taken synchronously by wait_all; the command gets the mask back */
	sigset_t waitset;
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGCHLD);
	sigaddset(&waitset, SIGINT);
	sigaddset(&waitset, SIGTERM);
	sigaddset(&waitset, SIGHUP);
	sigaddset(&waitset, SIGUSR1);
	struct sigaction sa = {0};
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	pthread_sigmask(SIG_BLOCK, &waitset, &old);

	/* like time(1): the terminal's ^\\ reaches the command; we outlive it */
	signal(SIGQUIT, SIG_IGN);

	/* --top: the terminal is the view's; the command gets /dev/null and a file */
	int top_in = -1, top_out = -1;
	pthread_t ui;
	int ui_on = 0;
	if (o.top) {
		const char *out = o.top_output ? o.top_output : "/dev/null";
		top_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		top_out = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
		if (top_in < 0 || top_out < 0) {
			fprintf(stderr, "tmrun: --top-output %s: %s\n", out, strerror(errno));
			return 2;
		}
		top_opts.delay_s = loop.interval_ns / 1e9;
		top_opts.stop = &top_stop;
		top_coll = &c;
		ui_on = pthread_create(&ui, NULL, top_main, NULL) == 0;
	}
	int stopped = 0, status = 0;
	struct tm_repeat *rep = NULL;
	if (o.repeat && !(rep = tm_repeat_new())) {
		fprintf(stderr, "tmrun: out of memory\n");
		return 2;
	}
	for (unsigned run = 0; run < (o.repeat ? o.repeat : 1) && !stopped; run++) {
		uint64_t t0 = tm_mono_ns(), r0 = real_ns();
		child_pid = launch(argv + first, &old, top_in, top_out);
		if (child_pid < 0)
			return 2;
		int st = wait_all(&c, child_pid, &waitset, &stopped);
		if (!rep) {
			status = st;
			break;
		}
		/* --repeat: the first failing run's status, or the signal that stopped us */
		status = stopped || !status ? st : status;
		uint64_t t1 = tm_mono_ns();
		tm_repeat_settle(&c, &loop.lock, t1);
		if (tm_repeat_record(rep, &c, &loop.lock, st, t0, t1, r0) < 0)
			fprintf(stderr, "tmrun: out of memory: run %u not recorded\n", run + 1);
		/* a run ended by ^C (or SIGTERM, SIGHUP) ends the repeats too */
		if (st == 128 + SIGINT || st == 128 + SIGTERM || st == 128 + SIGHUP)
			break;
	}
	if (ui_on) {
		atomic_store(&top_stop,
			     1); /* the command is done: the view gives the terminal back */
		pthread_join(ui, NULL);
		if (top_rc < 0)
			fprintf(stderr, "tmrun: --top: %s\n", top_err);
	}
	if (top_in >= 0)
		close(top_in);
	if (top_out >= 0)
		close(top_out);
	if (stopped)
		atomic_store(&loop.stop, 1); /* stopped waiting: final drain, summary */
	else
		atomic_store(&loop.launched_done, 1);
	pthread_join(th, NULL);
	if (rep && o.output && tm_repeat_write(rep, &c, &loop.lock, o.output, err, sizeof(err)) < 0)
		fprintf(stderr, "tmrun: %s\n", err);
	tm_sinks_stop(&loop.sinks);
	if (!o.quiet) {
		tm_table_print(&c, stderr);
		if (rep)
			tm_repeat_print(rep, stderr);
	}
	tm_repeat_free(rep);
	forget_said(c.dir, session);
	tm_coll_free(&c);
	return status;
}
