/* SPDX-License-Identifier: MIT */
/* Monitored functions that create or end processes inside them, and one
 * that blocks until told (tests/e2e/procs.sh, through tests/targets/procs). */
#include <sys/wait.h>
#include <unistd.h>

#include "procs.h"

long procs_leaf(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

/* Forks inside: the parent waits for the child and returns its exit code,
 * the child returns -1 and carries on from here. */
long procs_fork_inside(void)
{
	pid_t p = fork();
	if (p < 0)
		return -2;
	if (p == 0)
		return -1;
	int st;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st))
		return -3;
	return WEXITSTATUS(st);
}

/* Says it is inside (one byte on `ready`), then blocks until `gate` has
 * something to read or is closed. */
long procs_block(int ready, int gate)
{
	char c = 1;
	if (write(ready, &c, 1) != 1)
		return -1;
	return read(gate, &c, 1);
}
