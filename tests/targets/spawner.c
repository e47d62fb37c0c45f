/* SPDX-License-Identifier: MIT */
/* Process creation under the shim. usage: spawner SHAPES_BIN
 * Makes 100 calls, then: vfork + exec of SHAPES_BIN 10, posix_spawn of
 * SHAPES_BIN 20, system("SHAPES_BIN 30"), and finally execs itself as
 * "spawner - again", which makes 7 calls and exits 4.
 * usage: spawner SHAPES_BIN clear
 * Makes 100 calls, then execs SHAPES_BIN 10 with execle and an empty
 * environment: the new image runs without the shim. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shapes.h"

extern char **environ;

static long calls(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += work_noop(i);
	return s;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[2], "again") == 0) {
		printf("again: %ld\n", calls(7));
		return 4;
	}
	if (argc < 2)
		return 2;
	if (argc > 2 && strcmp(argv[2], "clear") == 0) {
		printf("parent: %ld\n", calls(100));
		fflush(stdout);
		char *const none[] = {NULL};
		execle(argv[1], argv[1], "10", (char *)NULL, none);
		return 3;
	}
	printf("parent: %ld\n", calls(100));
	fflush(stdout);
	char *const a10[] = {argv[1], "10", NULL};
	pid_t p = vfork();
	if (p == 0) {
		execve(argv[1], a10, environ);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	printf("vfork child: %d\n", WEXITSTATUS(st));
	char *const a20[] = {argv[1], "20", NULL};
	if (posix_spawn(&p, argv[1], NULL, NULL, a20, environ) == 0)
		waitpid(p, &st, 0);
	printf("posix_spawn child: %d\n", WEXITSTATUS(st));
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "%s 30", argv[1]);
	fflush(stdout);
	printf("system: %d\n", WEXITSTATUS(system(cmd)));
	fflush(stdout);
	char *const self[] = {argv[0], "-", "again", NULL};
	execve("/proc/self/exe", self, environ);
	return 3;
}
