/* SPDX-License-Identifier: MIT */
/* The shim's only voice: one line per problem, to $TM_LOG or stderr, with a
 * fixed stack buffer and write(2); errno is preserved for the host. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* TM_LOG is opened anew for every line and closed after it, never held: a
 * held descriptor is one the host may close and reuse for a file of its
 * own (a daemon closing every fd >= 3), and the next line would land in
 * the host's data. O_NONBLOCK: a FIFO without a reader, or a full one,
 * loses the line instead of blocking the host; O_NOCTTY: a terminal never
 * becomes the host's controlling terminal. */
#define TM_LOG_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

/* Makes `path` the log: checks that it opens now and keeps it absolute, so
 * that a later chdir() of the host does not move it. 0, or -1 with errno. */
int tm_log_open(struct tm_state *g, const char *path)
{
	char abs[sizeof(g->log_path)];
	size_t n = 0;
	if (path[0] != '/') {
		if (!getcwd(abs, sizeof(abs)))
			return -1;
		n = strlen(abs);
		if (n > 1)
			abs[n++] = '/';
	}
	if (n + strlen(path) >= sizeof(abs)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(abs + n, path);
	int fd = open(abs, TM_LOG_FLAGS, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	memcpy(g->log_path, abs, sizeof(abs));
	return 0;
}

/* Writes one line. With TM_LOG, a line that cannot be written there (the
 * file gone with its directory, the host's chroot or dropped privileges) is
 * lost: the host's stderr is the host's, and the user asked for a file. */
static void tm_write_line(const char *line, int n);

void tm_vlog(const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[TM_LINE_MAX];

	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		goto out;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	buf[n] = '\0';
	tm_g.nlogged++;
	if (tm_g.hold && tm_g.nheld < TM_HELD_LINES) {
		memcpy(tm_g.held[tm_g.nheld++], buf, (size_t)n + 1);
		goto out;
	}
	tm_write_line(buf, n);
out:
	errno = saved;
}

static void tm_write_line(const char *line, int n)
{
	int fd = tm_g.log_path[0] ? open(tm_g.log_path, TM_LOG_FLAGS, 0600) : 2;
	if (fd < 0)
		return;
	for (const char *p = line; n > 0;) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (int)w;
	}
	if (fd != 2)
		close(fd);
}

/* Once per session. A line is said by the process that creates its marker
 * "<TM_DIR>/<session>.said.<digest of the line>" (O_EXCL: of processes
 * starting at once, exactly one). The marker names its creator (pid and
 * start time, which exec keeps): while the creator runs — the first
 * process of a make, a shell, a server's workers — the others of the
 * session leave the line out; once it has gone (a later run under the same
 * session name, a reused tmrun-PID) the next process says the line again and
 * takes the marker over. A different line has a different marker. */

static uint64_t tm_digest(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* One read of at most len - 1 bytes of path, NUL-terminated: the length
 * read, or <= 0. */
static ssize_t tm_read_small(const char *path, int flags, char *buf, size_t len)
{
	int fd = open(path, flags);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n > 0)
		buf[n] = '\0';
	return n;
}

uint64_t tm_starttime_of(long pid)
{
	char path[64], buf[1024];
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	if (tm_read_small(path, O_RDONLY | O_CLOEXEC, buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strrchr(buf, ')'); /* the command name may hold anything */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* 1: the marker's creator still runs. */
static int tm_marker_live(const char *path)
{
	char buf[64];
	if (tm_read_small(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, buf, sizeof(buf)) <=
	    0)
		return 0;
	long pid = 0;
	unsigned long long start = 0;
	if (sscanf(buf, "%ld %llu", &pid, &start) != 2 || pid <= 0)
		return 0;
	return start && tm_starttime_of(pid) == start;
}

/* 1 when another process of the session has said `line` already. */
static int tm_said(const struct tm_state *g, const char *line)
{
	char path[sizeof(g->dir) + sizeof(g->session) + 32];
	snprintf(path, sizeof(path), "%s/%s.said.%016llx", g->dir, g->session,
		 (unsigned long long)tm_digest(line));
	/* written whole under a name of our own, then linked into place: the
	 * marker is never seen half written, and link() fails if it exists */
	char tmp[sizeof(path) + 24], who[64];
	long me = (long)getpid();
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, me);
	int n = snprintf(who, sizeof(who), "%ld %llu\n", me,
			 (unsigned long long)tm_starttime_of(me));
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return 0; /* cannot tell: say it */
	int ok = write(fd, who, (size_t)n) == n;
	close(fd);
	int said = 0;
	for (int attempt = 0; ok && attempt < 2; attempt++) {
		if (link(tmp, path) == 0 || errno != EEXIST) {
			said = 0; /* ours (or cannot tell): say it */
			break;
		}
		said = 1;
		if (tm_marker_live(path))
			break;
		/* its creator has gone (a new session of that name): take it over,
		 * unless another process does so first */
		unlink(path);
	}
	unlink(tmp);
	return said;
}

/* The session's directory, quietly: only if it is ours and private (the
 * segment's creation says what is wrong with it, once). */
static int tm_dir_private(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return 0;
	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	       !(st.st_mode & 077);
}

void tm_log_release(struct tm_state *g)
{
	int saved = errno;
	g->hold = 0;
	int once = g->nheld && g->dir[0] && g->session[0] && tm_dir_private(g->dir);
	for (uint32_t i = 0; i < g->nheld; i++)
		if (!once || !tm_said(g, g->held[i]))
			tm_write_line(g->held[i], (int)strlen(g->held[i]));
	g->nheld = 0;
	errno = saved;
}

void tm_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tm_vlog(fmt, ap);
	va_end(ap);
}
