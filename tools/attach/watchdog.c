/* SPDX-License-Identifier: MIT */
/* tmrun --attach's watchdog: a process of its own that detaches the target
 * if tmrun dies before saying it is done. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach.h"

/* The watchdog: a process of its own (its own session, deaf to the
 * terminal's signals) that waits for tmrun to say "done"; if tmrun goes
 * away without saying it, it runs tmrun --detach PID, then removes the
 * files tmrun made for the attach (the directory `files`). */
int tm_watchdog_start(pid_t target, const char *files)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t w = fork();
	if (w < 0)
		return -1;
	if (w > 0) {
		close(p[0]);
		return p[1];
	}
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	close(p[1]);
	const char *pf = getenv("TM_ATTACH_WATCHDOG_PIDFILE"); /* for the tests */
	if (pf) {
		FILE *f = fopen(pf, "we");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	char c;
	for (;;) {
		ssize_t n = read(p[0], &c, 1);
		if (n == 1 && c == 'D')
			_exit(0);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)target);
	unsetenv("TM_ATTACH_KILL_AT");
	pid_t d = fork();
	if (d == 0) {
		execl("/proc/self/exe", "tmrun", "--detach", pid, "--watchdog", (char *)NULL);
		_exit(127);
	}
	int st = 127 << 8;
	while (d > 0 && waitpid(d, &st, 0) < 0 && errno == EINTR)
		;
	/* tmrun's files for the process, once nothing of the attach runs */
	if (files && *files) {
		static const char *const names[] = {"config", "status", "log", "libtmshim.so"};
		char p[256];
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", files, names[i]);
			unlink(p);
		}
		rmdir(files);
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

void tm_watchdog_done(int fd)
{
	if (fd >= 0) {
		ssize_t w = write(fd, "D", 1);
		(void)w;
		close(fd);
	}
}
