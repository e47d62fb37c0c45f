/* SPDX-License-Identifier: MIT */
/* The shim's only voice: one line per problem, to $TM_LOG or stderr, with a
 * fixed stack buffer and write(2); errno is preserved for the host. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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
void tm_vlog(const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[512];

	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		goto out;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	tm_g.nlogged++;
	int fd = tm_g.log_path[0] ? open(tm_g.log_path, TM_LOG_FLAGS, 0600) : 2;
	if (fd < 0)
		goto out;
	for (char *p = buf; n > 0;) {
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
out:
	errno = saved;
}

void tm_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tm_vlog(fmt, ap);
	va_end(ap);
}
