/* SPDX-License-Identifier: MIT */
/* Prints errno where a monitor could disturb it: at main, around monitored
 * calls that succeed and fail, and on both sides of fork. The output must
 * be identical with and without the shim. */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shapes.h"

int main(void)
{
	printf("at main: %d\n", errno);
	errno = 1234;
	work_noop(1);
	printf("after ok call: %d\n", errno);
	fail_if(EPIPE);
	printf("after failing call: %d\n", errno);
	errno = 4321;
	pid_t p = fork();
	if (p == 0) {
		printf("child after fork: %d\n", errno);
		work_noop(2);
		printf("child after call: %d\n", errno);
		fflush(stdout);
		_exit(0);
	}
	int e = errno;
	waitpid(p, NULL, 0);
	printf("parent after fork: %d\n", e);
	return 0;
}
