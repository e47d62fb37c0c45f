/* SPDX-License-Identifier: MIT */
/* Processes that fork, exec and end in the ways that test the shim's
 * process life cycle (tests/e2e/procs.sh). Each mode prints what it did on
 * stdout; monitored calls are to libprocs (procs_*) and libc.
 *
 *   procs leaf N        N calls of procs_leaf, then exit 0
 *   procs fork N        fork(); the child makes N leaf calls and exits 0
 *   procs forkin N      procs_fork_inside(); in the child N leaf calls, exit 7
 *   procs daemon N      daemon(1, 1); the daemon makes N leaf calls, exits 0
 *   procs execl N       execl of "procs leaf N"
 *   procs execlenv N    execle of "procs leaf N" with an empty environment
 *   procs execfail N    execl of a path that does not exist, then N leaf calls
 *   procs execjoin N    the main thread waits in pthread_join for a thread
 *                       that execs "procs leaf N"
 *   procs _exit CODE    a forked child ends with _exit(CODE), then the
 *                       process itself does
 *   procs rawexit CODE  ends with the exit_group system call, no libc
 *   procs kill 0        ends killed by SIGKILL
 *   procs vforkthr N    a second thread vforks; the child makes N leaf calls
 *                       and one procs_block call, then _exit(0)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procs.h"

static const char *self;
static long n;

static long leaves(long k)
{
	long s = 0;
	for (long i = 0; i < k; i++)
		s += procs_leaf(i);
	return s;
}

static int wait_code(pid_t p)
{
	int st;
	if (waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int do_fork(void)
{
	fflush(stdout);
	pid_t p = fork();
	if (p < 0)
		return 2;
	if (p == 0) {
		leaves(n);
		exit(0);
	}
	printf("fork: child %d\n", wait_code(p));
	return 0;
}

static int do_forkin(void)
{
	fflush(stdout);
	long r = procs_fork_inside();
	if (r == -1) {
		leaves(n);
		exit(7);
	}
	printf("forkin: child %ld\n", r);
	return r == 7 ? 0 : 1;
}

static int do_daemon(void)
{
	fflush(stdout);
	if (daemon(1, 1) < 0)
		return 2;
	leaves(n);
	printf("daemon: done\n");
	return 0;
}

static char arg[32];

static int do_exec(int env)
{
	fflush(stdout);
	char *const none[] = {NULL};
	if (env)
		execle(self, self, "leaf", arg, (char *)NULL, none);
	else
		execl(self, self, "leaf", arg, (char *)NULL);
	return 3;
}

static int do_execfail(void)
{
	int r = execl("/nonexistent/procs", "procs", (char *)NULL);
	printf("execfail: %d\n", r);
	leaves(n);
	return 0;
}

/* The thread execs once the main thread is waiting in pthread_join: its
 * futex wait shows in /proc (system call 202). Bounded: 10 s. */
static pid_t main_tid;

static void *exec_thread(void *a)
{
	(void)a;
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)main_tid);
	for (int i = 0; i < 100000; i++) {
		FILE *f = fopen(path, "r");
		if (f) {
			int in = fgets(buf, sizeof(buf), f) && strncmp(buf, "202 ", 4) == 0;
			fclose(f);
			if (in)
				break;
		}
		usleep(100);
	}
	fflush(stdout);
	execl(self, self, "leaf", arg, (char *)NULL);
	return NULL;
}

static int do_execjoin(void)
{
	pthread_t t;
	main_tid = (pid_t)syscall(SYS_gettid);
	if (pthread_create(&t, NULL, exec_thread, NULL) != 0)
		return 2;
	pthread_join(t, NULL);
	return 3;
}

static int do__exit(void)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit((int)n);
	printf("_exit: child %d\n", wait_code(p));
	fflush(stdout);
	_exit((int)n);
}

static int do_rawexit(void)
{
	fflush(stdout);
	syscall(SYS_exit_group, (int)n);
	return 2;
}

static int do_kill(void)
{
	fflush(stdout);
	kill(getpid(), SIGKILL);
	return 2;
}

/* The vfork child runs on the parent thread's memory while that thread is
 * suspended; the main thread lets it go once it is inside procs_block. */
static int vpipe[2], vgate[2];

static void *vfork_thread(void *a)
{
	(void)a;
	pid_t p = vfork();
	if (p == 0) {
		leaves(n);
		procs_block(vpipe[1], vgate[0]);
		_exit(0);
	}
	return (void *)(long)wait_code(p);
}

static int do_vforkthr(void)
{
	pthread_t t;
	void *r;
	char c;
	if (pipe(vpipe) < 0 || pipe(vgate) < 0 || pthread_create(&t, NULL, vfork_thread, NULL))
		return 2;
	if (read(vpipe[0], &c, 1) != 1)
		return 2;
	/* PROCS_READY: a file made once the child is inside procs_block;
	 * PROCS_HOLD: a file to wait for (up to 30 s) before letting it out */
	const char *ready = getenv("PROCS_READY"), *hold = getenv("PROCS_HOLD");
	FILE *f = ready ? fopen(ready, "w") : NULL;
	if (f)
		fclose(f);
	for (int i = 0; hold && access(hold, F_OK) != 0 && i < 300000; i++)
		usleep(100);
	if (write(vgate[1], &c, 1) != 1)
		return 2;
	pthread_join(t, &r);
	printf("vforkthr: child %ld\n", (long)r);
	return 0;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc < 3)
		return 2;
	n = atol(argv[2]);
	snprintf(arg, sizeof(arg), "%ld", n);
	const char *m = argv[1];
	if (!strcmp(m, "leaf")) {
		printf("leaf: %ld\n", leaves(n));
		return 0;
	}
	if (!strcmp(m, "fork"))
		return do_fork();
	if (!strcmp(m, "forkin"))
		return do_forkin();
	if (!strcmp(m, "daemon"))
		return do_daemon();
	if (!strcmp(m, "execl") || !strcmp(m, "execlenv"))
		return do_exec(!strcmp(m, "execlenv"));
	if (!strcmp(m, "execfail"))
		return do_execfail();
	if (!strcmp(m, "execjoin"))
		return do_execjoin();
	if (!strcmp(m, "_exit"))
		return do__exit();
	if (!strcmp(m, "rawexit"))
		return do_rawexit();
	if (!strcmp(m, "kill"))
		return do_kill();
	if (!strcmp(m, "vforkthr"))
		return do_vforkthr();
	return 2;
}
