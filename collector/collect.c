/* SPDX-License-Identifier: MIT */
/* The collector's life cycle: find the session's segments in the
 * directory, drain them, notice when their process has exited, crashed or
 * exec'd, drain them one last time and remove them. */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "health/health.h"
#include "model/workflow.h"
#include "procfs.h"

#define TM_USER_TOP   "/dev/shm"
#define TM_USER_DIR   TM_USER_TOP "/tm-" /* + uid: the shim's default directory */
#define SESSION_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

/* The directory must be ours and private, as the shim requires
 * (shim/segment.c): another user who created it first could otherwise
 * plant entries in it, or read what we write. The same checks, so that a
 * collector never reads a directory the shim would refuse. */
static int dir_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char shown[200];
	tm_term_text(shown, sizeof(shown), dir);
	if (lstat(dir, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "TM_DIR %s: %s", shown, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "TM_DIR %s: not a directory (a symlink?); not reading it",
			 shown);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, errlen,
			 "TM_DIR %s: owned by uid %u with mode %04o; it must be owned by you "
			 "(uid %u) with mode 0700 (the shim refuses it too); not reading it",
			 shown, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
			 (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

int tm_coll_init(struct tm_coll *c, const struct tm_coll_opts *o, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->inotify_fd = -1;
	const char *dir = o->dir && *o->dir ? o->dir : getenv("TM_DIR");
	if (dir && *dir)
		snprintf(c->dir, sizeof(c->dir), "%s", dir);
	else
		snprintf(c->dir, sizeof(c->dir), TM_USER_DIR "%u", (unsigned)geteuid());
	/* root with the default directory also follows its session into the
	 * other users' default directories (a child that switched user) */
	c->follow_users = !(dir && *dir) && geteuid() == 0;
	c->max_procs = o->max_procs ? o->max_procs : TM_MAX_PROCS_DEFAULT;
	const char *s = o->session && *o->session ? o->session : getenv("TM_SESSION");
	if (!s || !*s)
		s = "default";
	if (strlen(s) > 64 || strspn(s, SESSION_CHARS "*?[]!") != strlen(s)) {
		snprintf(err, errlen,
			 "session '%s': use 1-64 of [A-Za-z0-9_-], or a glob of them ('*', '?', "
			 "'[...]')",
			 s);
		return -EINVAL;
	}
	snprintf(c->session, sizeof(c->session), "%s", s);
	c->subtract = o->subtract_overhead;
	/* the directory may not exist yet: make it (as the shim would) so it
	 * can be watched; a segment then shows up the moment it is created */
	if (mkdir(c->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", c->dir, strerror(errno));
		return -errno;
	}
	int r = dir_check(c->dir, err, errlen);
	if (r < 0)
		return r;
	c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->inotify_fd >= 0 &&
	    inotify_add_watch(c->inotify_fd, c->dir, IN_CREATE | IN_MOVED_TO) < 0) {
		close(c->inotify_fd);
		c->inotify_fd = -1;
	}
	c->ns_per_tick = tm_calibrate_tsc(&c->tsc_hz);
	c->start_mono_ns = tm_mono_ns();
	tm_wclock_init(&c->clock, c->start_mono_ns);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->start_real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

int tm_parse_max_procs(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < 1 || v > TM_MAX_PROCS_LIMIT)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

int tm_parse_keep(const char *tool, int minutes, const char *s, uint32_t *secs, uint32_t *mins)
{
	const char *opt = minutes ? "--keep-minutes" : "--keep-seconds";
	uint32_t *out = minutes ? mins : secs;
	uint32_t lo = minutes ? TM_WIN_MINS_MIN : TM_WIN_SECS_MIN;
	uint32_t hi = minutes ? TM_WIN_MINS_MAX : TM_WIN_SECS_MAX;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s %s: expected %u..%u\n", tool, opt, s, lo, hi);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* "<session>.<pid>.<hex nonce>.tm", the session matching c->session (a
 * name or a glob). */
static int name_matches(const struct tm_coll *c, const char *name)
{
	const char *dot = strchr(name, '.');
	size_t sl = dot ? (size_t)(dot - name) : 0;
	char sess[65];
	if (!sl || sl >= sizeof(sess) || strspn(name, SESSION_CHARS) != sl)
		return 0;
	memcpy(sess, name, sl);
	sess[sl] = '\0';
	if (fnmatch(c->session, sess, 0) != 0)
		return 0;
	const char *p = name + sl + 1;
	size_t n = strspn(p, "0123456789");
	if (!n || p[n] != '.')
		return 0;
	p += n + 1;
	n = strspn(p, "0123456789abcdef");
	return n && strcmp(p + n, ".tm") == 0;
}

/* The index of the session a segment's name starts with, interned. */
static uint32_t session_of(struct tm_coll *c, const char *name)
{
	size_t sl = strcspn(name, ".");
	for (size_t i = 0; i < c->nsess; i++)
		if (strlen(c->sessions[i]) == sl && strncmp(c->sessions[i], name, sl) == 0)
			return (uint32_t)i;
	char(*n)[65] = realloc(c->sessions, (c->nsess + 1) * sizeof(*n));
	if (!n)
		return 0;
	c->sessions = n;
	snprintf(c->sessions[c->nsess], sizeof(c->sessions[0]), "%.*s", (int)sl, name);
	return (uint32_t)c->nsess++;
}

/* Entries are looked up by path on every scan, for every name in the
 * directory: a hash (open addressing, 1 + index in procs, at most half
 * full) keeps a scan linear in the directory's size, whatever was planted
 * in it. Entries leave procs only when merged (tm_coll_compact, which rebuilds the
 * hash): finished, their segment removed, so never met again. */
static uint64_t path_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static struct tm_proc *find(const struct tm_coll *c, const char *path)
{
	if (!c->prochash)
		return NULL;
	size_t mask = c->capprochash - 1;
	for (size_t i = path_hash(path) & mask; c->prochash[i]; i = (i + 1) & mask) {
		struct tm_proc *p = c->procs[c->prochash[i] - 1];
		if (strcmp(p->path, path) == 0)
			return p;
	}
	return NULL;
}

static void hash_insert(uint32_t *tab, size_t cap, const char *path, uint32_t v)
{
	size_t i = path_hash(path) & (cap - 1);
	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = v;
}

static int add_proc(struct tm_coll *c, struct tm_proc *p)
{
	if (c->nprocs == c->capprocs) {
		size_t cap = c->capprocs ? c->capprocs * 2 : 16;
		struct tm_proc **n = realloc(c->procs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->procs = n;
		c->capprocs = cap;
	}
	if (2 * (c->nprocs + 1) > c->capprochash) {
		size_t cap = c->capprochash ? c->capprochash * 2 : 64;
		uint32_t *t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < c->nprocs; i++)
			hash_insert(t, cap, c->procs[i]->path, (uint32_t)i + 1);
		free(c->prochash);
		c->prochash = t;
		c->capprochash = cap;
	}
	hash_insert(c->prochash, c->capprochash, p->path, (uint32_t)c->nprocs + 1);
	c->procs[c->nprocs++] = p;
	return 0;
}

/* Start time (field 22) and state (field 3) of pid, or -1 if gone. */
static int proc_stat(int32_t pid, uint64_t *start, char *state)
{
	struct tm_pstat st;
	if (tm_procfs_stat(pid, 0, &st) < 0)
		return -1;
	*start = st.starttime;
	*state = st.state;
	return 0;
}

/* Every access to a mapped segment goes through guarded(): the mapping
 * can lose its pages at any time (a truncated file, a full tmpfs), and
 * the SIGBUS that follows must cost us that segment, not the collector. */
enum gop { G_DRAIN, G_SYNC, G_CHECK, G_FINISH };

struct gcall {
	struct tm_coll *c;
	struct tm_proc *p;
	enum gop op;
	uint64_t n;
};

static void check_one(struct tm_coll *c, struct tm_proc *p);
static void finish_one(struct tm_coll *c, struct tm_proc *p);

static void gcall_run(void *arg)
{
	struct gcall *g = arg;
	switch (g->op) {
	case G_DRAIN: g->n = tm_proc_drain(g->c, g->p); break;
	case G_SYNC: tm_proc_sync_syms(g->c, g->p, 0); break;
	case G_CHECK: check_one(g->c, g->p); break;
	case G_FINISH: finish_one(g->c, g->p); break;
	}
}

/* Gives up on p: counted as corrupt, reported once, never waited for. */
static void abandon(struct tm_coll *c, struct tm_proc *p, const char *why)
{
	char shown[600];
	tm_term_text(shown, sizeof(shown), p->path);
	fprintf(stderr, "%s: %s (pid %d): %s; detached from it\n", tm_tool, shown, (int)p->pid,
		why);
	p->closs[TM_CLOSS_CORRUPT]++;
	p->ignored = 1;
	c->abandoned++;
	tm_proc_detach(p, 0);
}

static uint64_t guarded(struct tm_coll *c, struct tm_proc *p, enum gop op)
{
	struct gcall g = {c, p, op, 0};
	if (!p->attached)
		return 0;
	if (tm_guard_run(p->h, p->size, gcall_run, &g) < 0 && p->attached)
		abandon(c, p, "its memory went away (truncated?)");
	return g.n;
}

/* The creator of a segment file made at ctime is gone: no process with
 * its pid, a zombie, or a process that started after the file was made
 * (the pid was reused; 2 s of slack for btime's rounding). */
static int creator_gone(int32_t pid, const struct timespec *ctime)
{
	uint64_t start, bt = tm_procfs_boot_time();
	char state;
	long hz = sysconf(_SC_CLK_TCK);
	if (pid <= 0 || proc_stat(pid, &start, &state) < 0 || state == 'Z' || state == 'X')
		return 1;
	if (!bt || hz <= 0)
		return 0;
	return (double)bt + (double)start / (double)hz > (double)ctime->tv_sec + 2.0;
}

/* A segment that has not been published after this long, by a creator
 * that is still alive, is reported and no longer waited for. */
#define TM_UNBORN_WAIT_S 10

/* An entry whose segment was never published (tm_proc_attach: -ENODATA).
 * Its creator is gone: garbage (killed during start-up, or its creation
 * failed on a full file system), removed if ours. Still alive: being
 * created (pending), or stuck for long (reported, retried, not waited
 * for). Returns 1 if p must be kept in the list. */
static int unborn(struct tm_coll *c, struct tm_proc *p, const char *path, const char *name)
{
	struct stat st;
	int32_t pid = (int32_t)strtol(name + strcspn(name, ".") + 1, NULL, 10);
	if (lstat(path, &st) < 0)
		return 0; /* gone already */
	int gone = creator_gone(pid, &st.st_ctim);
	if (gone && p->foreign) {
		/* another user's directory: we remove only what we collected */
		char shown[600];
		tm_term_text(shown, sizeof(shown), path);
		fprintf(stderr,
			"%s: %s: never published, pid %d gone; left in place (uid %u's "
			"directory)\n",
			tm_tool, shown, (int)pid, (unsigned)p->uid);
		p->unborn = 0;
		p->ignored = 1;
		p->pid = -1;
		return 1;
	}
	if (gone) {
		int r = tm_seg_remove_unborn(path);
		if (r == -EAGAIN || r == -EBUSY) {
			/* another collector is at it, or published after all */
			c->present++;
			c->pending++;
			return p->unborn;
		}
		c->garbage += r == 0;
		char shown[600];
		tm_term_text(shown, sizeof(shown), path);
		fprintf(stderr, "%s: %s: never published, pid %d gone: %s\n", tm_tool, shown,
			(int)pid, r == 0 ? "removed" : strerror(-r));
		p->unborn = 0;
		p->ignored = 1;
		p->pid = -1;
		return r < 0; /* left in place: remembered, so reported once */
	}
	if (time(NULL) - st.st_ctim.tv_sec <= TM_UNBORN_WAIT_S) {
		c->present++;
		c->pending++;
		return p->unborn;
	}
	if (!p->unborn) {
		char shown[600];
		tm_term_text(shown, sizeof(shown), path);
		fprintf(stderr, "%s: %s: not published after %d s; not waiting for it\n", tm_tool,
			shown, TM_UNBORN_WAIT_S);
	}
	p->unborn = 1;
	p->pid = -1;
	return 1;
}

/* Looks at one directory entry named like a segment of the session; p is
 * a fresh entry or one retried (unborn). Returns 1 if p must be kept. */
static int look_at(struct tm_coll *c, struct tm_proc *p, int dirfd, const char *path,
		   const char *name)
{
	char err[256];
	int r = p->foreign ? tm_proc_attach_at(p, dirfd, name, path, p->uid, err, sizeof(err))
			   : tm_proc_attach(p, path, err, sizeof(err));
	if (r == 0) {
		/* the image as we see it: the process's own view can differ
		 * (under valgrind it reads the program, we the tool) */
		if (tm_procfs_exe(p->pid, p->exe_seen, sizeof(p->exe_seen)) < 0)
			snprintf(p->exe_seen, sizeof(p->exe_seen), "%s", p->exe);
		p->unborn = 0;
		c->present++;
		p->sess = session_of(c, name);
		guarded(c, p, G_SYNC);
		return 1;
	}
	if (r == -EAGAIN) {
		c->present++;
		c->pending++;
		return p->unborn;
	}
	if (r == -ENODATA)
		return unborn(c, p, path, name);
	/* refused (a symlink, a FIFO, not ours, bad header): remembered, so it
	 * is reported once, never retried and never waited for */
	char shown[600];
	tm_term_text(shown, sizeof(shown), path);
	fprintf(stderr, "%s: %s: %s; ignoring it\n", tm_tool, shown, err);
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->status = TM_PS_CRASHED;
	p->closs[TM_CLOSS_CORRUPT] = 1;
	p->pid = -1;
	p->unborn = 0;
	p->ignored = 1;
	return 1;
}

/* One directory's segments of the session: ours (dirfd -1, read by
 * path), or another user's (foreign: uid, dirfd verified by the caller). */
static int scan_dir(struct tm_coll *c, const char *dir, int dirfd, int foreign, uint32_t uid)
{
	int added = 0, dfd = dirfd >= 0 ? fcntl(dirfd, F_DUPFD_CLOEXEC, 0) : -1;
	DIR *d = dirfd >= 0 ? (dfd >= 0 ? fdopendir(dfd) : NULL) : opendir(dir);
	if (!d) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return e == ENOENT ? 0 : -e;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!name_matches(c, e->d_name))
			continue;
		c->seen_any = 1;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct tm_proc *p = find(c, path);
		if (p && !p->unborn) {
			c->present += p->attached != 0;
			continue;
		}
		if (p) {
			int was = p->attached;
			look_at(c, p, dirfd, path, e->d_name);
			added += p->attached && !was;
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			break;
		snprintf(p->path, sizeof(p->path), "%s", path);
		p->dirfd = -1;
		p->foreign = foreign;
		p->uid = uid;
		if (!look_at(c, p, dirfd, path, e->d_name)) {
			free(p);
			continue;
		}
		if (add_proc(c, p) < 0) {
			tm_proc_detach(p, 0);
			free(p->psyms);
			free(p);
			break;
		}
		added += p->attached != 0;
	}
	closedir(d);
	return added;
}

/* Root following its session into the other users' default directories
 * (a child that switched user writes to /dev/shm/tm-<its uid>). Such a
 * directory is read only if it is exactly what the shim makes: a
 * directory, not a symlink, owned by the uid in its name, mode 0700; its
 * segments must be owned by that uid too. It is opened once per scan and
 * everything in it is reached through that fd. */
static int scan_users(struct tm_coll *c)
{
	DIR *d = opendir(TM_USER_TOP);
	int added = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *num = e->d_name + 3;
		if (strncmp(e->d_name, "tm-", 3) != 0 || !*num || (num[0] == '0' && num[1]) ||
		    strspn(num, "0123456789") != strlen(num) || strlen(num) > 10)
			continue;
		unsigned long uid = strtoul(num, NULL, 10);
		if (uid == geteuid() || uid > UINT32_MAX)
			continue;
		char path[256];
		struct stat st;
		snprintf(path, sizeof(path), TM_USER_DIR "%lu", uid);
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
		    (st.st_mode & 07777) == 0700) {
			if (c->inotify_fd >= 0) {
				char self[64];
				snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
				inotify_add_watch(c->inotify_fd, self, IN_CREATE | IN_MOVED_TO);
			}
			int r = scan_dir(c, path, fd, 1, (uint32_t)uid);
			added += r > 0 ? r : 0;
		}
		close(fd);
	}
	closedir(d);
	return added;
}

/* Attaches new segments of the session. present counts the entries that
 * idleness waits for: attached ones and those not ready yet; entries
 * finished, refused, abandoned or never to be published are not counted. */
int tm_coll_scan(struct tm_coll *c)
{
	c->present = 0;
	c->pending = 0;
	int added = scan_dir(c, c->dir, -1, 0, (uint32_t)geteuid());
	if (added < 0)
		c->present = 0;
	if (c->follow_users)
		added = (added > 0 ? added : 0) + scan_users(c);
	return added;
}

uint64_t tm_coll_drain(struct tm_coll *c)
{
	uint64_t n = 0;
	c->fill = 0;
	for (size_t i = 0; i < c->nprocs; i++)
		n += guarded(c, c->procs[i], G_DRAIN);
	return n;
}

static int superseded(const struct tm_coll *c, const struct tm_proc *p)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *q = c->procs[i];
		if (q != p && q->pid == p->pid && q->pid > 0 && q->starttime == p->starttime &&
		    q->created_ns > p->created_ns)
			return 1;
	}
	return 0;
}

/* code: the exit code when the process did not mark it (-1: the one it
 * marked). The calls still open when an image ends are counted as
 * unfinished: exited, crashed, or replaced by a successful exec (which
 * never returns: a failed one puts the state back to running first). */
static void finalize(struct tm_coll *c, struct tm_proc *p, enum tm_pstatus st, int code)
{
	p->gone = 1; /* its last drain takes every record there is */
	tm_proc_drain(c, p);
	tm_proc_sync_syms(c, p, 1);
	tm_proc_unfinished(c, p);
	tm_proc_header_loss(p);
	p->status = st;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	p->end_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (st == TM_PS_EXITED)
		/* the status exit was given, low 8 bits (what a segment says
		 * can be anything) */
		p->exit_code =
			(code >= 0 ? code
				   : atomic_load_explicit(&p->h->exit_code, memory_order_relaxed)) &
			0xff;
	tm_proc_detach(p, 1);
}

void tm_coll_note_exit(struct tm_coll *c, int32_t pid, uint64_t starttime, int wstatus)
{
	struct tm_reaped *r = &c->reaped[c->nreaped++ % TM_REAPED_MAX];
	r->pid = pid;
	r->starttime = starttime;
	r->wstatus = wstatus;
}

/* A process gone without marking its segment: how it ended, if its
 * launcher reaped it or it is still a zombie. EXITED with *code, CRASHED
 * (killed by a signal, or not known). */
static enum tm_pstatus unmarked_end(const struct tm_coll *c, const struct tm_proc *p, int *code)
{
	int ws = -1;
	size_t n = c->nreaped < TM_REAPED_MAX ? c->nreaped : TM_REAPED_MAX;
	for (size_t i = 0; i < n && ws < 0; i++)
		if (c->reaped[i].pid == p->pid && c->reaped[i].starttime == p->starttime)
			ws = c->reaped[i].wstatus;
	if (ws < 0 && tm_procfs_zombie_status(p->pid, p->starttime, &ws) < 0)
		return TM_PS_CRASHED;
	if (!WIFEXITED(ws))
		return TM_PS_CRASHED;
	*code = WEXITSTATUS(ws);
	return TM_PS_EXITED;
}

/* Two readings of /proc/PID/exe name one image: equal but for the
 * " (deleted)" the kernel adds once the file is removed (a package
 * upgrade replacing a running server's binary is no exec). */
static int same_image(const char *a, const char *b)
{
	static const char del[] = " (deleted)";
	size_t la = strlen(a), lb = strlen(b), ld = sizeof(del) - 1;
	if (la >= ld && strcmp(a + la - ld, del) == 0)
		la -= ld;
	if (lb >= ld && strcmp(b + lb - ld, del) == 0)
		lb -= ld;
	return la == lb && memcmp(a, b, la) == 0;
}

/* How the process behind p is doing: running, or finished and how. */
static enum tm_pstatus probe(const struct tm_coll *c, const struct tm_proc *p, int *code)
{
	uint64_t start;
	char state;
	/* a later image of the same process (same pid and start time) means
	 * this one was replaced by exec, whatever has happened since */
	if (superseded(c, p))
		return TM_PS_EXEC;
	if (proc_stat(p->pid, &start, &state) < 0 || start != p->starttime || state == 'Z' ||
	    state == 'X') {
		/* gone: it said it was about to exec (and the exec'd image may
		 * have finished before we looked), or exited, or neither. Read
		 * only now that it is gone: read before, a state set just
		 * before the end would be missed. */
		uint32_t hs = atomic_load_explicit(&p->h->state, memory_order_acquire);
		return hs == TM_PROC_EXEC     ? TM_PS_EXEC
		       : hs == TM_PROC_EXITED ? TM_PS_EXITED
					      : unmarked_end(c, p, code);
	}
	char exe[256];
	if (tm_procfs_exe(p->pid, exe, sizeof(exe)) == 0 && !same_image(exe, p->exe_seen))
		return TM_PS_EXEC;
	return TM_PS_RUNNING;
}

static void check_one(struct tm_coll *c, struct tm_proc *p)
{
	if (__atomic_load_n(&p->h->magic, __ATOMIC_RELAXED) != TM_MAGIC) {
		abandon(c, p, "its header was overwritten");
		return;
	}
	int code = -1;
	enum tm_pstatus st = probe(c, p, &code);
	if (st == TM_PS_RUNNING && c->gc_only)
		tm_proc_detach(p, 0); /* --gc: a running process is its collector's */
	else if (st == TM_PS_RUNNING) {
		tm_proc_sync_syms(c, p, 1);
		tm_proc_retire_threads(c, p);
	} else
		finalize(c, p, st, code);
}

/* The collector keeps per-process detail for at most max_procs
 * processes: past that, the oldest finished ones (detached, their segment
 * removed, and with a --jsonl stream their end said) are merged into
 * c->earlier and freed — about 4 KiB + max_syms x 32 B each. Function
 * totals live in c->syms and do not move; what the outputs sum over
 * processes (loss, calls, CPU by program) is kept in the aggregate.
 * Images never reported (the exec'd-away half of a fork+exec, no calls)
 * are merged as soon as they are finished. */
static int merge_ready(const struct tm_coll *c, const struct tm_proc *p)
{
	return !p->attached && p->removed && !p->unborn && !p->ignored &&
	       (!c->said_needed || p->pid <= 0 || p->said == 2);
}

static int grow_to(void **v, size_t *n, size_t want, size_t size)
{
	if (want <= *n)
		return 0;
	void *m = realloc(*v, want * size);
	if (!m)
		return -ENOMEM;
	memset((char *)m + *n * size, 0, (want - *n) * size);
	*v = m;
	*n = want;
	return 0;
}

static int earlier_add(struct tm_coll *c, const struct tm_proc *p)
{
	struct tm_earlier *e = &c->earlier;
	size_t k = 0;
	char name[64];
	if (grow_to((void **)&e->sess, &e->nsess, (size_t)p->sess + 1, sizeof(*e->sess)) < 0)
		return -ENOMEM;
	if (p->res.valid) {
		tm_proc_name(p, name, sizeof(name));
		while (k < e->nprogs &&
		       !(e->progs[k].sess == p->sess && strcmp(e->progs[k].name, name) == 0))
			k++;
		size_t n = e->nprogs;
		if (k == n && grow_to((void **)&e->progs, &n, k + 1, sizeof(*e->progs)) < 0)
			return -ENOMEM;
		if (k == e->nprogs) {
			e->progs[k].sess = p->sess;
			memcpy(e->progs[k].name, name, sizeof(name));
			e->nprogs = n;
		}
		e->progs[k].user_s += p->res.cpu_user_s;
		e->progs[k].sys_s += p->res.cpu_sys_s;
	}
	struct tm_esess *es = &e->sess[p->sess];
	for (unsigned i = 0; i < TM_LOSS_COUNT; i++) {
		es->loss[i] += p->loss[i];
		e->loss[i] += p->loss[i];
	}
	es->corrupt += p->closs[TM_CLOSS_CORRUPT];
	e->corrupt += p->closs[TM_CLOSS_CORRUPT];
	if (!tm_proc_reported(p))
		return 0;
	e->count++;
	e->calls += p->calls;
	e->records += p->records;
	e->overflowed += p->overflowed;
	e->status[p->status]++;
	for (uint32_t i = 0; i < p->npsyms; i++) {
		if (!tm_sym_reported(&c->syms[p->psyms[i].gsym]))
			continue;
		e->ok += p->psyms[i].ok;
		e->failed += p->psyms[i].failed;
	}
	return 0;
}

static void proc_free(struct tm_proc *p)
{
	tm_proc_detach(p, 0);
	free(p->psyms);
	tm_proc_free_sample(p);
	free(p);
}

void tm_coll_compact(struct tm_coll *c)
{
	size_t detail = 0, eager = 0, j = 0;
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct tm_proc *p = c->procs[i];
		if (p->ignored || p->unborn)
			continue;
		detail++;
		eager += merge_ready(c, p) && !tm_proc_reported(p);
	}
	if (detail <= c->max_procs && !eager)
		return;
	size_t over = detail > c->max_procs ? detail - c->max_procs : 0;
	for (size_t i = 0; i < c->nprocs; i++) {
		struct tm_proc *p = c->procs[i];
		if (merge_ready(c, p) && (over || !tm_proc_reported(p)) && earlier_add(c, p) == 0) {
			over -= over > 0;
			proc_free(p);
			continue;
		}
		c->procs[j++] = p;
	}
	c->nprocs = j;
	memset(c->prochash, 0, c->capprochash * sizeof(*c->prochash));
	for (size_t i = 0; i < c->nprocs; i++)
		hash_insert(c->prochash, c->capprochash, c->procs[i]->path, (uint32_t)i + 1);
}

void tm_coll_check(struct tm_coll *c)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		struct tm_proc *p = c->procs[i];
		struct stat st;
		if (!p->attached)
			continue;
		/* a segment never changes size: one that did was truncated (and
		 * maybe grown again, zeroed) under us */
		if (fstat(p->fd, &st) < 0 || (uint64_t)st.st_size != p->size) {
			char why[96];
			snprintf(why, sizeof(why), "its size changed from %llu to %llu bytes",
				 (unsigned long long)p->size, (unsigned long long)st.st_size);
			abandon(c, p, why);
			continue;
		}
		guarded(c, p, G_CHECK);
	}
	tm_coll_compact(c);
}

/* Idle: we saw the session at work, and nothing of it is left to drain —
 * neither here nor in segments another collector holds. */
int tm_coll_idle(const struct tm_coll *c)
{
	size_t attached = 0;
	for (size_t i = 0; i < c->nprocs; i++)
		attached += c->procs[i]->attached != 0;
	if (attached || !c->seen_any)
		return 0;
	/* segments we finished are removed; any left belong to another collector */
	return c->present == 0;
}

static void finish_one(struct tm_coll *c, struct tm_proc *p)
{
	tm_proc_drain(c, p);
	tm_proc_sync_syms(c, p, 1);
	tm_proc_header_loss(p);
}

void tm_coll_finish(struct tm_coll *c)
{
	tm_coll_scan(c);
	tm_coll_drain(c);
	tm_coll_check(c);
	for (size_t i = 0; i < c->nprocs; i++) {
		struct tm_proc *p = c->procs[i];
		guarded(c, p, G_FINISH);
		tm_proc_detach(p, 0); /* still running: a later collector continues */
	}
}

int tm_coll_wait(struct tm_coll *c, uint64_t timeout_ns)
{
	struct pollfd pfd = {.fd = c->inotify_fd, .events = POLLIN};
	struct timespec ts = {(time_t)(timeout_ns / 1000000000ull),
			      (long)(timeout_ns % 1000000000ull)};
	if (c->inotify_fd < 0) {
		ppoll(NULL, 0, &ts, NULL);
		return 0;
	}
	if (ppoll(&pfd, 1, &ts, NULL) <= 0)
		return 0;
	char buf[4096];
	while (read(c->inotify_fd, buf, sizeof(buf)) > 0)
		;
	return 1;
}

void tm_coll_free(struct tm_coll *c)
{
	if (c->inotify_fd >= 0)
		close(c->inotify_fd);
	for (size_t i = 0; i < c->nprocs; i++)
		proc_free(c->procs[i]);
	free(c->procs);
	free(c->earlier.sess);
	free(c->earlier.progs);
	for (size_t i = 0; i < c->nsyms; i++)
		tm_sym_free(&c->syms[i]);
	free(c->syms);
	tm_calls_free(&c->calls);
	tm_wf_free(c);
	free(c->symhash);
	free(c->prochash);
	free(c->sessions);
	tm_health_free(c->health);
	if (c->hrules)
		tm_hrules_free(c->hrules);
	free(c->hrules);
	tm_outc_free(c);
	memset(c, 0, sizeof(*c));
}
