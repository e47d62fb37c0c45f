/* SPDX-License-Identifier: MIT */
/* Threads in every state an attach may find them in, each checking that
 * nothing changed for it:
 *   reader   blocked in read(2) on a pipe (monitored or not)
 *   poller   blocked in epoll_wait on another pipe; EINTR would be a change
 *   handler  inside a signal handler that calls work_noop in a loop
 *   worker   inside work_100ns, called in a loop
 *   forker   forks children in a loop; each calls work_noop and exits 7
 * Prints "ready" once they are all in place; on SIGTERM it wakes them,
 * prints what each saw and exits 5. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shapes.h"

static int rpipe[2], epipe[2];
static atomic_int stop, in_handler, forks_bad, worker_bad, handler_bad;
static atomic_long forks, handler_calls;
static char read_result[64], poll_result[64];

static void *reader(void *arg)
{
	(void)arg;
	char c;
	ssize_t n = read(rpipe[0], &c, 1);
	snprintf(read_result, sizeof(read_result), "read %zd %s", n,
		 n == 1 && c == 'r' ? "ok" : strerror(errno));
	return NULL;
}

static void *poller(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, epipe[0], &ev);
	int n = epoll_wait(ep, &out, 1, -1);
	snprintf(poll_result, sizeof(poll_result), "epoll_wait %d %s", n,
		 n == 1 ? "ok" : strerror(errno));
	close(ep);
	return NULL;
}

static void on_usr2(int sig)
{
	(void)sig;
	atomic_store(&in_handler, 1);
	for (long i = 0; !atomic_load(&stop); i++) {
		if (work_noop(i) != i + 1)
			atomic_store(&handler_bad, 1);
		atomic_fetch_add(&handler_calls, 1);
	}
}

static void *handler(void *arg)
{
	(void)arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	pthread_kill(pthread_self(), SIGUSR2);
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	for (long i = 0; !atomic_load(&stop); i++)
		if (work_100ns(i) != work_100ns_native(i))
			atomic_store(&worker_bad, 1);
	return NULL;
}

static void *forker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		pid_t p = fork();
		if (p == 0)
			_exit(work_noop(6) == 7 ? 7 : 1);
		int st;
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
			atomic_store(&forks_bad, 1);
		atomic_fetch_add(&forks, 1);
	}
	return NULL;
}

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct sigaction sa = {0};
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	if (pipe(rpipe) || pipe(epipe))
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t th[5];
	void *(*fn[5])(void *) = {reader, poller, handler, worker, forker};
	for (int i = 0; i < 5; i++)
		pthread_create(&th[i], NULL, fn[i], NULL);
	while (!atomic_load(&in_handler) || atomic_load(&forks) < 3)
		usleep(1000);
	printf("ready\n");
	sigdelset(&set, SIGUSR2);
	int sig;
	sigwait(&set, &sig);
	atomic_store(&stop, 1);
	if (write(rpipe[1], "r", 1) != 1 || write(epipe[1], "e", 1) != 1)
		return 1;
	for (int i = 0; i < 5; i++)
		pthread_join(th[i], NULL);
	printf("%s\n%s\n", read_result, poll_result);
	printf("handler %s\n", !handler_bad && handler_calls > 0 ? "ok" : "BAD");
	printf("worker %s\n", !worker_bad ? "ok" : "BAD");
	printf("forks %s\n", !forks_bad && forks > 0 ? "ok" : "BAD");
	return 5;
}
