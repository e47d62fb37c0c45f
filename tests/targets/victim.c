/* SPDX-License-Identifier: MIT */
/* The target of a hostile writer: prints the address of a function it never
 * calls, then blocks inside two monitored calls (call_cb -> read of stdin)
 * until a byte or EOF arrives, prints "done 1" and exits 0. If a rewritten
 * return address sent it to that function, it prints "hijacked" and exits
 * 42 instead. usage: victim */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "shapes.h"

/* entered by a ret, not a call: realign the stack for printf */
__attribute__((noinline, used, force_align_arg_pointer)) static void never_called(void)
{
	printf("hijacked\n");
	fflush(stdout);
	_exit(42);
}

static long block_read(long fd)
{
	char c;
	ssize_t n;
	while ((n = read((int)fd, &c, 1)) < 0 && errno == EINTR)
		;
	return n >= 0 ? 0 : -1;
}

int main(void)
{
	long s = 0;
	for (long i = 0; i < 100; i++)
		s += work_noop(i);
	printf("target=%p sum=%ld\n", (void *)never_called, s);
	fflush(stdout);
	long r = call_cb(block_read, 0);
	printf("done %ld\n", r);
	return 0;
}
