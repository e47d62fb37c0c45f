/* SPDX-License-Identifier: MIT */
/* SIGUSR1 forks a child that calls work_noop in a loop until SIGTERM
 * (prints "child PID"); SIGTERM ends the child, prints "child exited N"
 * and exits 6. The parent waits for signals in between. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shapes.h"

static atomic_int done;

static void on_term(int s)
{
	(void)s;
	atomic_store(&done, 1);
}

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("started\n");
	pid_t child = -1;
	for (;;) {
		int sig;
		sigwait(&set, &sig);
		if (sig == SIGTERM)
			break;
		if (child > 0)
			continue;
		child = fork();
		if (child == 0) {
			signal(SIGTERM, on_term);
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			long bad = 0;
			for (long i = 0; !atomic_load(&done); i++)
				bad += work_noop(i) != i + 1;
			_exit(bad ? 1 : 9);
		}
		printf("child %d\n", (int)child);
	}
	int st = 0;
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &st, 0);
	}
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 6;
}
