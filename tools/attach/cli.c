/* SPDX-License-Identifier: MIT */
/* tmrun --attach PID: monitor a process that is already running, with a
 * private collector, then detach and leave it as it was; tmrun --detach
 * PID: detach a process left attached. A watchdog process started before
 * anything is touched detaches the target if tmrun dies on the way. */
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "collector.h"
#include "health/health.h"
#include "loop.h"
#include "tm/wire.h"

struct att_opts {
	pid_t pid;
	int detach;   /* --detach */
	int watchdog; /* --watchdog: tmrun died; retry a while, say little */
	const char *symbols, *config, *output, *session, *rules;
	double duration_s, interval_s;
	uint32_t keep_s, keep_m; /* --keep-seconds / --keep-minutes; 0: default */
	int quiet;
};

static struct tm_loop loop;

int tm_attach_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "--attach", 8) == 0 || strncmp(argv[i], "--detach", 8) == 0)
			return 1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tmrun --attach PID [options]   monitor a running process\n"
		   "       tmrun --detach PID              detach a process left attached\n"
		   "  -s, --symbols LIST   functions to monitor: names, globs, lib.so:name\n"
		   "  -c, --config FILE    per-symbol rules (JSON, see docs/CONFIG.md)\n"
		   "      --rules FILE     the collector's rules\n"
		   "  -o, --output FILE    write the JSON summary here\n"
		   "      --duration SECONDS  detach after this long (default: until SIGINT,\n"
		   "                       SIGTERM or SIGHUP, or until the process exits)\n"
		   "      --session NAME   session name (default: tmrun-PID)\n"
		   "  -q, --quiet          no table on stderr\n"
		   "      --listen HOST:PORT  serve /metrics and /api/v1/* while attached\n"
		   "      --port-file FILE     write the port --listen bound to here\n"
		   "      --jsonl FILE     per-interval deltas and events as JSON lines\n"
		   "      --interval SECONDS   for the outputs above (default: 1)\n"
		   "      --keep-seconds N     per-second series kept, 120..3600 (default: 900)\n"
		   "      --keep-minutes N     per-minute series kept, 60..10080 (default: 1440)\n"
		   "      --cpu-budget PCT  sharing the process's CPU, the collector takes\n"
		   "                       at most PCT%% of it, folding calls past it: exact\n"
		   "                       counts, coarse durations (default 2, 0: no limit)\n");
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v <= 0 || v > INT_MAX)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

static int parse_secs(const char *opt, const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	if (*end || !(*out > 0) || *out > 86400 * 365) {
		fprintf(stderr, "tmrun: %s %s: expected seconds > 0\n", opt, s);
		return -1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct att_opts *o)
{
	static const struct option lo[] = {
		{"attach", required_argument, NULL, 'a'},
		{"detach", required_argument, NULL, 'd'},
		{"watchdog", no_argument, NULL, 'w'},
		{"symbols", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"output", required_argument, NULL, 'o'},
		{"session", required_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},
		{"duration", required_argument, NULL, 'D'},
		{"listen", required_argument, NULL, 'L'},
		{"port-file", required_argument, NULL, 'P'},
		{"jsonl", required_argument, NULL, 'J'},
		{"interval", required_argument, NULL, 'I'},
		{"keep-seconds", required_argument, NULL, TM_OPT_KEEP_SECS},
		{"keep-minutes", required_argument, NULL, TM_OPT_KEEP_MINS},
		{"rules", required_argument, NULL, 'R'},
		{"cpu-budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	for (int c; (c = getopt_long(argc, argv, "s:c:o:qh", lo, NULL)) != -1;) {
		switch (c) {
		case 'a':
		case 'd':
			if (parse_pid(optarg, &o->pid) < 0) {
				fprintf(stderr, "tmrun: --%s %s: expected a process id\n",
					c == 'a' ? "attach" : "detach", optarg);
				return -1;
			}
			o->detach = c == 'd';
			break;
		case 'w': o->watchdog = 1; break;
		case 's': o->symbols = optarg; break;
		case 'c': o->config = optarg; break;
		case 'o': o->output = optarg; break;
		case 'S': o->session = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'R': o->rules = optarg; break;
		case 'L': loop.sinks.o.listen = optarg; break;
		case 'P': loop.sinks.o.port_file = optarg; break;
		case 'J': loop.sinks.o.jsonl = optarg; break;
		case 'D':
			if (parse_secs("--duration", optarg, &o->duration_s) < 0)
				return -1;
			break;
		case 'I':
			if (parse_secs("--interval", optarg, &o->interval_s) < 0)
				return -1;
			break;
		case TM_OPT_KEEP_SECS:
		case TM_OPT_KEEP_MINS:
			if (tm_parse_keep("tmrun", c == TM_OPT_KEEP_MINS, optarg, &o->keep_s,
					  &o->keep_m))
				return -1;
			break;
		case 'B':
			if (tm_loop_parse_budget("tmrun", optarg, &loop.cpu_budget) < 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tmrun: --attach/--detach take no command\n");
		return -1;
	}
	if (!o->detach && !o->symbols && !o->config) {
		fprintf(stderr, "tmrun: nothing to monitor: give -s LIST and/or -c FILE\n");
		return -1;
	}
	return 0;
}

/* libtmshim next to this binary: the build tree (../shim) or an install. */
static int find_shim(char *out, size_t len)
{
	const char *env = getenv("TM_SHIM");
	char self[PATH_MAX], cand[PATH_MAX + 64];
	if (env && *env)
		return realpath(env, out) ? 0 : -1;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	static const char *const rel[] = {"../shim/libtmshim.so", "../lib/libtmshim.so",
					  "libtmshim.so"};
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(cand, sizeof(cand), "%s/%s", self, rel[i]);
		if (access(cand, R_OK) == 0 && realpath(cand, out))
			return 0;
	}
	(void)len;
	return -1;
}

/* The files the shim reads and writes: in a private directory the target
 * (which may run as another user) can use. */
struct att_files {
	char dir[64], cfg[128], status[128], log[128];
	char link[128]; /* what the process dlopens: the shim sees it loads for an attach */
	uid_t uid;
};

static int files_make(struct att_files *f, uid_t uid)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/tm-attach.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->uid = uid;
	if (uid != geteuid() && chown(f->dir, uid, (gid_t)-1) < 0)
		return -1;
	snprintf(f->cfg, sizeof(f->cfg), "%s/config", f->dir);
	snprintf(f->status, sizeof(f->status), "%s/status", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	snprintf(f->link, sizeof(f->link), "%s/libtmshim.so", f->dir);
	return 0;
}

static void files_remove(struct att_files *f)
{
	unlink(f->cfg);
	unlink(f->status);
	unlink(f->log);
	unlink(f->link);
	rmdir(f->dir);
}

static int write_cfg(const struct att_files *f, const struct att_opts *o, const char *session)
{
	FILE *w = fopen(f->cfg, "we");
	if (!w)
		return -1;
	fprintf(w, "TM_ATTACH_STATUS=%s\nTM_LOG=%s\n", f->status, f->log);
	if (session)
		fprintf(w, "TM_SESSION=%s\n", session);
	if (o->symbols)
		fprintf(w, "TM_SYMBOLS=%s\n", o->symbols);
	if (o->config) {
		char abs[PATH_MAX];
		if (!realpath(o->config, abs)) {
			fclose(w);
			fprintf(stderr, "tmrun: config %s: %s\n", o->config, strerror(errno));
			return -1;
		}
		fprintf(w, "TM_CONFIG=%s\n", abs);
	}
	static const char *const pass[] = {"TM_DIR",	     "TM_RING",	 "TM_MAX_THREADS",
					   "TM_MAX_SYMBOLS", "TM_STACK", "TM_CLOCK"};
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		const char *v = getenv(pass[i]);
		if (v && *v && !strchr(v, '\n'))
			fprintf(w, "%s=%s\n", pass[i], v);
	}
	int rc = fclose(w);
	unlink(f->status);
	if (rc == 0 && f->uid != geteuid() && chown(f->cfg, f->uid, (gid_t)-1) < 0)
		rc = -1;
	return rc;
}

/* The shim's answer ("ok PATH", "busy: ...", "error: ..."), and its log:
 * printed after a success (warnings), else its first line is the reason
 * (*reason). */
static char reason[600];
static int read_status(const struct att_files *f, char *out, size_t len, int quiet)
{
	FILE *r = fopen(f->log, "re");
	char line[600];
	reason[0] = '\0';
	out[0] = '\0';
	FILE *s = fopen(f->status, "re");
	if (s) {
		if (fgets(out, (int)len, s))
			out[strcspn(out, "\n")] = '\0';
		fclose(s);
	}
	if (r) {
		while (fgets(line, sizeof(line), r)) {
			line[strcspn(line, "\n")] = '\0';
			if (!reason[0])
				snprintf(reason, sizeof(reason), "%s", line);
			if (!quiet && strncmp(out, "ok ", 3) == 0)
				fprintf(stderr, "tmrun: the shim says: %s\n", line);
		}
		fclose(r);
		unlink(f->log);
	}
	return out[0] ? 0 : -1;
}

static int target_init(struct tm_target *t, pid_t pid, const char *shim, char *why, size_t len)
{
	struct stat st;
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (stat(shim, &st) < 0) {
		snprintf(why, len, "%s: %s", shim, strerror(errno));
		return -1;
	}
	t->shim_dev = st.st_dev;
	t->shim_ino = st.st_ino;
	if (tm_proc_check(pid, why, len) < 0 || tm_proc_maps(t, why, len) < 0 ||
	    tm_proc_resolve(t, shim, why, len) < 0)
		return -1;
	char v[128];
	if (tm_proc_status_field(pid, "Uid", v, sizeof(v)) == 0) {
		unsigned r, e;
		if (sscanf(v, "%u %u", &r, &e) == 2)
			t->uid = e;
	}
	if (tm_proc_status_field(pid, "State", v, sizeof(v)) == 0 && (v[0] == 'T' || v[0] == 't')) {
		snprintf(why, len, "process %d is stopped (%s): continue it first (kill -CONT %d)",
			 (int)pid, v, (int)pid);
		return -1;
	}
	return 0;
}

static const char *inj_word(int rc)
{
	return rc == TM_INJ_EXITED ? "exited" : "failed";
}

/* Detaches one process: 0, or -1 (message said unless quiet). `session`
 * goes to the status of the detach call only. */
static int detach_pid(pid_t pid, const char *shim, const struct att_opts *o)
{
	struct tm_target t;
	struct att_files f;
	char why[512], st[512];
	if (target_init(&t, pid, shim, why, sizeof(why)) < 0) {
		if (!o->watchdog)
			fprintf(stderr, "tmrun: cannot detach: %s\n", why);
		return -1;
	}
	if (!t.shim.found) {
		if (!o->watchdog)
			fprintf(stderr,
				"tmrun: process %d is not attached (libtmshim is not loaded)\n",
				(int)pid);
		return -1;
	}
	if (files_make(&f, t.uid) < 0 || write_cfg(&f, &(struct att_opts){0}, NULL) < 0) {
		fprintf(stderr, "tmrun: cannot write the detach file: %s\n", strerror(errno));
		return -1;
	}
	int rc = tm_inject(&t, shim, TM_INJ_DETACH, f.cfg, why, sizeof(why));
	read_status(&f, st, sizeof(st), 1);
	files_remove(&f);
	if (rc != TM_INJ_OK) {
		if (!o->watchdog)
			fprintf(stderr, "tmrun: cannot detach: %s\n", why);
		return -1;
	}
	if (strncmp(st, "ok", 2) != 0) {
		if (!o->watchdog)
			fprintf(stderr, "tmrun: process %d was not attached\n", (int)pid);
		return 1;
	}
	return 0;
}

/* tmrun died: keep trying for a few seconds (an attach call it left
 * running may not have finished yet). */
static int watchdog_detach(pid_t pid, const char *shim, const struct att_opts *o)
{
	for (int i = 0; i < 30; i++) {
		int rc = detach_pid(pid, shim, o);
		if (rc == 0)
			return 0;
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d", (int)pid);
		if (access(p, F_OK) < 0)
			return 0;
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL); /* the attach call left behind may still run */
	}
	return 1;
}

static void *collector_main(void *arg)
{
	tm_coll_run(arg, &loop);
	return NULL;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int alive(pid_t pid)
{
	char v[64];
	return tm_proc_status_field(pid, "State", v, sizeof(v)) == 0 && v[0] != 'Z' && v[0] != 'X';
}

/* Other live processes of our session: the target's children forked while
 * attached. They are detached too. */
static void detach_children(const char *dir, const char *session, pid_t target, const char *shim,
			    const struct att_opts *o)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t sl = strlen(session);
	for (struct dirent *e; (e = readdir(d));) {
		if (strncmp(e->d_name, session, sl) != 0 || e->d_name[sl] != '.')
			continue;
		pid_t pid = (pid_t)atoi(e->d_name + sl + 1);
		if (pid > 0 && pid != target && alive(pid))
			detach_pid(pid, shim, &(struct att_opts){.watchdog = 1, .quiet = o->quiet});
	}
	closedir(d);
}

static int attach_main(struct att_opts *o, const char *shim)
{
	struct tm_target t;
	struct tm_coll c;
	struct tm_coll_opts co = {0};
	struct att_files f;
	char why[512], st[512], session[80], err[256], dirbuf[64];
	pthread_t th;
	int th_on = 0;

	if (o->output && tm_out_check(o->output, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmrun: %s\n", err);
		return 2;
	}
	if (target_init(&t, o->pid, shim, why, sizeof(why)) < 0) {
		fprintf(stderr, "tmrun: cannot attach: %s\n", why);
		return 1;
	}
	if (o->session)
		snprintf(session, sizeof(session), "%s", o->session);
	else
		snprintf(session, sizeof(session), "tmrun-%d", (int)getpid());
	co.session = session;
	tm_win_keep_set(o->keep_s ? o->keep_s : TM_WIN_SECS, o->keep_m ? o->keep_m : TM_WIN_MINS);
	/* the target's segment directory; the collector's default follows
	 * other users' directories when tmrun runs as root */
	co.dir = getenv("TM_DIR");
	const char *tdir = co.dir;
	if (!tdir || !*tdir) {
		snprintf(dirbuf, sizeof(dirbuf), "/dev/shm/tm-%u", (unsigned)t.uid);
		tdir = dirbuf;
	}
	if (tm_coll_init(&c, &co, err, sizeof(err)) < 0) {
		fprintf(stderr, "tmrun: %s\n", err);
		return 2;
	}
	if ((o->config && tm_rules_load(&c, o->config, err, sizeof(err)) < 0) ||
	    (o->rules && tm_rules_load(&c, o->rules, err, sizeof(err)) < 0)) {
		fprintf(stderr, "tmrun: %s\n", err);
		return 2;
	}
	if (tm_health_options(&c, NULL, 0, "tmrun") < 0)
		return 2;
	loop.summary = o->output;
	loop.table = !o->quiet;
	loop.interval_ns = (uint64_t)((o->interval_s > 0 ? o->interval_s : 1) * 1e9);
	loop.sinks.o.interval_ns = loop.interval_ns;
	pthread_mutex_init(&loop.lock, NULL);
	sigset_t all, old, waitset;
	sigfillset(&all);
	/* the outputs (a port taken, a stream that cannot be opened) are said
	 * before the process is touched; their threads take no signal */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int sinks = tm_sinks_start(&loop.sinks, &c, &loop.lock, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (sinks < 0) {
		fprintf(stderr, "tmrun: %s\n", err);
		tm_coll_free(&c);
		return 2;
	}
	if (files_make(&f, t.uid) < 0 || write_cfg(&f, o, session) < 0) {
		fprintf(stderr, "tmrun: cannot write the attach file: %s\n", strerror(errno));
		return 2;
	}
	if (t.shim.found)
		tm_seg_baseline(tdir, o->pid);
	if (symlink(shim, f.link) < 0) {
		fprintf(stderr, "tmrun: %s: %s\n", f.link, strerror(errno));
		files_remove(&f);
		return 2;
	}
	int wd = tm_watchdog_start(o->pid, f.dir);
	int rc = tm_inject(&t, f.link, TM_INJ_ATTACH, f.cfg, why, sizeof(why));
	read_status(&f, st, sizeof(st), o->quiet);
	if (rc != TM_INJ_OK || strncmp(st, "ok ", 3) != 0) {
		if (rc == TM_INJ_OK)
			fprintf(stderr, "tmrun: cannot attach to process %d: the shim says: %s\n",
				(int)o->pid,
				reason[0] && strncmp(st, "busy", 4) != 0 ? reason
				: st[0]					 ? st
									 : "nothing");
		else if (rc == TM_INJ_EXITED)
			fprintf(stderr, "tmrun: cannot attach: process %d %s during the attach\n",
				(int)o->pid, inj_word(rc));
		else
			fprintf(stderr, "tmrun: cannot attach: %s\n", why);
		/* a refused attach changed nothing: the watchdog has nothing to do */
		if (rc == TM_INJ_REFUSED || rc == TM_INJ_EXITED || rc == TM_INJ_OK)
			tm_watchdog_done(wd);
		files_remove(&f);
		tm_sinks_stop(&loop.sinks);
		tm_coll_free(&c);
		return 1;
	}
	c.attached_pid = o->pid;
	c.attached_real_ns = real_ns();
	c.attach_pause_ns = t.pause_ns;
	tm_attach_step("attached");
	if (!o->quiet)
		fprintf(stderr, "tmrun: attached to process %d (thread %d borrowed for %.2f ms)\n",
			(int)o->pid, (int)t.borrowed, t.pause_ns / 1e6);

	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (!(th_on = pthread_create(&th, NULL, collector_main, &c) == 0))
		fprintf(stderr, "tmrun: cannot start the collector thread\n");
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGINT);
	sigaddset(&waitset, SIGTERM);
	sigaddset(&waitset, SIGHUP);
	sigaddset(&waitset, SIGUSR1);

	uint64_t end = o->duration_s > 0 ? tm_mono_ns() + (uint64_t)(o->duration_s * 1e9) : 0;
	int exited = 0;
	for (;;) {
		struct timespec tmo = {0, 100 * 1000 * 1000};
		int sig = sigtimedwait(&waitset, NULL, &tmo);
		if (sig == SIGUSR1) {
			atomic_store(&loop.dump, 1);
			continue;
		}
		if (sig > 0)
			break;
		if (!alive(o->pid)) {
			exited = 1;
			break;
		}
		if (end && tm_mono_ns() >= end)
			break;
	}
	int status = 0;
	if (!exited) {
		tm_attach_step("detach");
		write_cfg(&f, o, session);
		rc = tm_inject(&t, shim, TM_INJ_DETACH, f.cfg, why, sizeof(why));
		char seg[512];
		read_status(&f, seg, sizeof(seg), o->quiet);
		if (rc == TM_INJ_OK && strncmp(seg, "ok ", 3) == 0) {
			tm_seg_settle(seg + 3);
			c.detached_real_ns = real_ns();
			detach_children(tdir, session, o->pid, shim, o);
			if (!o->quiet)
				fprintf(stderr, "tmrun: detached from process %d\n", (int)o->pid);
		} else if (rc == TM_INJ_EXITED || !alive(o->pid)) {
			exited = 1;
		} else {
			fprintf(stderr, "tmrun: cannot detach: %s; the watchdog will retry\n", why);
			status = 1;
			wd = -1; /* not done: the watchdog takes over when we exit */
		}
	}
	if (exited) {
		/* children it forked while attached are still attached */
		detach_children(tdir, session, o->pid, shim, o);
		if (!o->quiet)
			fprintf(stderr, "tmrun: process %d exited while attached\n", (int)o->pid);
	}
	atomic_store(&loop.stop, 1);
	if (th_on)
		pthread_join(th, NULL);
	tm_sinks_stop(&loop.sinks);
	if (!o->quiet)
		tm_table_print(&c, stderr);
	tm_coll_free(&c);
	files_remove(&f);
	tm_watchdog_done(wd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}

int tm_attach_main(int argc, char **argv)
{
	struct att_opts o = {0};
	char shim[PATH_MAX];
	tm_tool = "tmrun";
	if (parse(argc, argv, &o) < 0)
		return 2;
	if (find_shim(shim, sizeof(shim)) < 0) {
		fprintf(stderr, "tmrun: cannot find libtmshim.so (set TM_SHIM)\n");
		return 2;
	}
	if (!o.detach)
		return attach_main(&o, shim);
	if (o.watchdog)
		return watchdog_detach(o.pid, shim, &o);
	int rc = detach_pid(o.pid, shim, &o);
	if (rc == 0 && !o.quiet)
		fprintf(stderr, "tmrun: detached from process %d\n", (int)o.pid);
	return rc == 0 ? 0 : 1;
}
