/* SPDX-License-Identifier: MIT */
/* Makes N calls, prints "ready PID", then ignores SIGINT, SIGTERM and SIGHUP
 * (printing "caught SIG" for each) until killed otherwise. usage: stubborn N */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shapes.h"

static void on_sig(int sig)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "caught %d\n", sig);
	if (write(1, buf, (size_t)n) < 0)
		_exit(3);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	long s = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	printf("ready %d %ld\n", (int)getpid(), s);
	fflush(stdout);
	for (;;)
		pause();
}
