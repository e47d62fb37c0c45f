/* SPDX-License-Identifier: MIT */
/* A program that closes every descriptor above stderr (as daemons do),
 * opens a data file of its own (which gets the lowest free descriptor),
 * then dlopens a library, which the shim may report on. The data file must
 * hold exactly what the program wrote. usage: fdreuse DATAFILE LIBRARY */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fdreuse DATAFILE LIBRARY\n");
		return 2;
	}
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	const char *a = "before dlopen\n", *b = "after dlopen\n";
	if (write(fd, a, strlen(a)) < 0)
		return 1;
	void *h = dlopen(argv[2], RTLD_NOW);
	printf("fd %d, dlopen %s\n", fd, h ? "ok" : "failed");
	if (write(fd, b, strlen(b)) < 0)
		return 1;
	close(fd);
	return h ? 0 : 1;
}
