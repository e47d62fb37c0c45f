/* SPDX-License-Identifier: MIT */
/* The shim's only voice: one line per problem, to $TM_LOG or stderr, with a
 * fixed stack buffer and write(2); errno is preserved for the host. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "shim.h"

void tm_log(const char *fmt, ...)
{
	int saved = errno;
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto out;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	int fd = tm_g.logfd > 0 ? tm_g.logfd : 2;
	tm_g.nlogged++;
	for (char *p = buf; n > 0;) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (int)w;
	}
out:
	errno = saved;
}
