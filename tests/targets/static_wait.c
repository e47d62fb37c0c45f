/* SPDX-License-Identifier: MIT */
/* Built -static, runs until stdin closes: a static program to refuse to
 * attach to. Prints "ready", then "bye" and exits 4. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char c;
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	printf("bye\n");
	return 4;
}
