/* SPDX-License-Identifier: MIT */
/* Calls on non-blocking descriptors that would have to wait, beside calls
 * that succeed and calls that fail: N reads of an empty non-blocking pipe,
 * M reads that get a byte, A accept4s on a non-blocking listening loopback
 * socket nobody connects to, R recvs on a non-blocking socketpair with no
 * data, a non-blocking pipe written until full then W more writes, and B
 * reads of a closed descriptor. Every result is checked (exit 1 if one is
 * not what it must be) and counted; the counts are printed as "NAME COUNT"
 * lines. usage: nonblock N M A R W B */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long read_wb, read_ok, read_bad, accept_wb, recv_wb, write_ok, write_wb;

static void die(const char *what)
{
	fprintf(stderr, "nonblock: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* a call that must fail with EAGAIN */
static void want_eagain(long r, const char *what, long *count)
{
	if (r != -1 || errno != EAGAIN)
		die(what);
	(*count)++;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: nonblock N M A R W B\n");
		return 2;
	}
	long n = atol(argv[1]), m = atol(argv[2]), a = atol(argv[3]), r = atol(argv[4]),
	     w = atol(argv[5]), b = atol(argv[6]);
	char c = 'x', buf[4096];
	memset(buf, 'y', sizeof(buf));

	int empty[2], data[2], full[2], pair[2];
	if (pipe2(empty, O_NONBLOCK) || pipe2(data, O_NONBLOCK) || pipe2(full, O_NONBLOCK))
		die("pipe2");
	for (long i = 0; i < n; i++)
		want_eagain(read(empty[0], &c, 1), "read of an empty pipe", &read_wb);
	for (long i = 0; i < m; i++) {
		if (write(data[1], &c, 1) != 1)
			die("write of one byte");
		write_ok++;
		if (read(data[0], &c, 1) != 1)
			die("read of one byte");
		read_ok++;
	}

	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
		die("listening socket");
	for (long i = 0; i < a; i++)
		want_eagain(accept4(l, NULL, NULL, SOCK_CLOEXEC), "accept4", &accept_wb);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair))
		die("socketpair");
	for (long i = 0; i < r; i++)
		want_eagain(recv(pair[0], &c, 1, 0), "recv", &recv_wb);

	/* fill: whole buffers while there is room, then the first EAGAIN */
	for (;;) {
		ssize_t k = write(full[1], buf, sizeof(buf));
		if (k < 0) {
			want_eagain(k, "write filling a pipe", &write_wb);
			break;
		}
		write_ok++;
	}
	for (long i = 0; i < w; i++)
		want_eagain(write(full[1], buf, sizeof(buf)), "write of a full pipe", &write_wb);

	int gone = dup(0);
	if (gone < 0 || close(gone))
		die("closed descriptor");
	for (long i = 0; i < b; i++) {
		if (read(gone, &c, 1) != -1 || errno != EBADF)
			die("read of a closed descriptor");
		read_bad++;
	}

	printf("read_would_block %ld\nread_ok %ld\nread_failed %ld\naccept4_would_block %ld\n"
	       "recv_would_block %ld\nwrite_ok %ld\nwrite_would_block %ld\n",
	       read_wb, read_ok, read_bad, accept_wb, recv_wb, write_ok, write_wb);
	return 0;
}
