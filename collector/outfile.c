/* SPDX-License-Identifier: MIT */
/* Output files written safely: what the user named is written, nothing
 * else. A regular file is replaced atomically through a temporary file
 * with an unpredictable name, created O_EXCL|O_NOFOLLOW in the same
 * directory; an existing destination that is not a regular file (a FIFO,
 * a terminal, /dev/null, /dev/stdout) is written in place; "-" is standard
 * output. Files are created 0600: outputs carry command lines. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"

/* Writes all of buf. SIGPIPE is held off for the call so that a FIFO's
 * reader going away is an error (EPIPE), not the death of the collector. */
static int write_all(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	int ret = 0;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	int had_pipe = sigismember(&pending, SIGPIPE);
	for (const char *p = buf; len;) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (ret == -EPIPE && !had_pipe) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero); /* the one we caused */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static int fail(char *err, size_t errlen, const char *path, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s%s%s", path, what, *what ? ": " : "", strerror(e));
	return -e;
}

/* The file a regular destination really is: a symlink the user named is
 * followed (its target is replaced, the link stays); a dangling one is an
 * error rather than a guess. */
static int resolve(const char *path, char *out, size_t len)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char real[PATH_MAX];
		if (!realpath(path, real))
			return -errno;
		path = real;
		if ((size_t)snprintf(out, len, "%s", path) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	if ((size_t)snprintf(out, len, "%s", path) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Opens an existing non-regular destination for writing, in place.
 * Returns the fd, -EEXIST if it is (now) a regular file or does not
 * exist (the caller creates or replaces it), or -errno. */
static int open_in_place(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -EEXIST : -errno;
	if (S_ISREG(st.st_mode))
		return -EEXIST;
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC); /* never O_CREAT here */
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || S_ISREG(st.st_mode)) {
		close(fd); /* swapped for a regular file meanwhile: replace that */
		return -EEXIST;
	}
	return fd;
}

/* "<dir>/.<base>.<16 hex>.tmp": created O_EXCL|O_NOFOLLOW, so a name
 * planted in advance (a symlink, anything) is never opened. */
static int create_temp(const char *target, char *tmp, size_t len)
{
	const char *slash = strrchr(target, '/');
	int dlen = slash ? (int)(slash - target + 1) : 0;
	const char *base = slash ? slash + 1 : target;
	for (int attempt = 0; attempt < 16; attempt++) {
		uint64_t r;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r)) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			r = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
		}
		if ((size_t)snprintf(tmp, len, "%.*s.%s.%016llx.tmp", dlen, target, base,
				     (unsigned long long)r) >= len)
			return -ENAMETOOLONG;
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

static int replace_regular(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	char target[PATH_MAX], tmp[PATH_MAX + 64];
	struct stat old;
	int fd = -1, ret = resolve(path, target, sizeof(target));
	if (ret < 0)
		return fail(err, errlen, path, "", -ret);
	fd = create_temp(target, tmp, sizeof(tmp));
	if (fd < 0) {
		ret = fail(err, errlen, path, "cannot create a temporary file", -fd);
		fd = -1;
		goto out;
	}
	/* an existing file keeps its permission bits; a new one stays 0600 */
	if (stat(target, &old) == 0 && S_ISREG(old.st_mode))
		fchmod(fd, old.st_mode & 07777);
	ret = write_all(fd, buf, len);
	if (ret == 0 && close(fd) < 0)
		ret = -errno;
	fd = -1;
	if (ret == 0 && rename(tmp, target) < 0)
		ret = -errno;
	if (ret < 0) {
		fail(err, errlen, path, "", -ret);
		unlink(tmp);
	}
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int tm_out_replace(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	int fd, ret;
	if (strcmp(path, "-") == 0) {
		fflush(stdout); /* whatever stdio holds goes first */
		ret = write_all(STDOUT_FILENO, buf, len);
		return ret < 0 ? fail(err, errlen, "stdout", "", -ret) : 0;
	}
	fd = open_in_place(path);
	if (fd == -EEXIST)
		return replace_regular(path, buf, len, err, errlen);
	if (fd < 0)
		return fail(err, errlen, path, "", -fd);
	ret = write_all(fd, buf, len);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret < 0 ? fail(err, errlen, path, "", -ret) : 0;
}

int tm_out_open_stream(const char *path, int append, char *err, size_t errlen)
{
	char target[PATH_MAX];
	struct stat st;
	int fd, ret;
	if (strcmp(path, "-") == 0) {
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? fail(err, errlen, "stdout", "", errno) : fd;
	}
	fd = open_in_place(path);
	if (fd >= 0)
		return fd;
	if (fd != -EEXIST)
		return fail(err, errlen, path, "", -fd);
	ret = resolve(path, target, sizeof(target));
	if (ret < 0)
		return fail(err, errlen, path, "", -ret);
	fd = open(target,
		  O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC |
			  (append ? O_APPEND : O_TRUNC),
		  0600);
	if (fd < 0)
		return fail(err, errlen, path, "", errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, path, "", EINVAL);
	}
	return fd;
}

const char *tm_tool = "tmcollect";

int tm_out_check(const char *path, char *err, size_t errlen)
{
	char target[PATH_MAX], tmp[PATH_MAX + 64];
	struct stat st;
	if (strcmp(path, "-") == 0)
		return 0;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* written in place; never opened here: closing a FIFO would
		 * end its reader's input, opening a device can act on it */
		if (S_ISDIR(st.st_mode))
			return fail(err, errlen, path, "", EISDIR);
		return access(path, W_OK) == 0 ? 0 : fail(err, errlen, path, "", errno);
	}
	int ret = resolve(path, target, sizeof(target));
	if (ret < 0)
		return fail(err, errlen, path, "", -ret);
	int fd = create_temp(target, tmp, sizeof(tmp));
	if (fd < 0)
		return fail(err, errlen, path, "cannot be written", -fd);
	close(fd);
	unlink(tmp);
	return 0;
}

void *tm_out_mem_open(struct tm_out_mem *m, char *err, size_t errlen)
{
	m->buf = NULL;
	m->len = 0;
	FILE *f = open_memstream(&m->buf, &m->len);
	if (!f)
		fail(err, errlen, "output", "", errno);
	return f;
}

int tm_out_mem_close(void *file, struct tm_out_mem *m, const char *path, char *err, size_t errlen)
{
	FILE *f = file;
	int bad = ferror(f);
	if (fclose(f) != 0)
		bad = 1;
	int r = bad ? fail(err, errlen, path, "", ENOMEM)
		    : tm_out_replace(path, m->buf, m->len, err, errlen);
	free(m->buf);
	m->buf = NULL;
	return r;
}
