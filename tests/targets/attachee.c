/* SPDX-License-Identifier: MIT */
/* A long-running program to attach to: W worker threads call work_noop
 * (through the PLT, from libshapes) in a loop forever and check every
 * result. The main thread takes signals synchronously:
 *   SIGUSR1  prints "count N": calls made so far (the program's own counter)
 *   SIGUSR2  pauses the workers (prints "paused N" once every worker has
 *            stopped between two calls) or resumes them ("resumed")
 *   SIGTERM  stops the workers, prints "checks ok" (or "checks BAD") and
 *            exits 3.
 *   SIGHUP   dlopens $ATTACHEE_PLUGIN (a library with plugin_entry), calls
 *            plugin_entry(10), dlcloses it and prints "plugin N" (N its
 *            result, or -1 if it could not be loaded) and "unloaded 1"
 *            if the library is gone from the process after dlclose.
 * usage: attachee [W [nodump|seccomp|reader]]: nodump makes the process not
 * dumpable (prctl), seccomp installs a filter that forbids ftruncate
 * (which the program never calls; attaching needs it), reader adds a
 * thread named "reader" that reads its standard input (a pipe) and prints
 * "read N TEXT" per read(2) (TEXT without its newline), "eof" at the end
 * (then SIGTERM waits for it) or "read failed: ERROR". */
#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "shapes.h"

#define MAXW 16

struct worker {
	_Alignas(64) atomic_long calls; /* written by its worker only */
	atomic_long bad;
};

static struct worker workers[MAXW];
static int nworkers;
static atomic_int paused, stopping, parked;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER, parked_cv = PTHREAD_COND_INITIALIZER;

static void *work(void *arg)
{
	struct worker *w = arg;
	for (long i = 0;; i++) {
		if (atomic_load_explicit(&paused, memory_order_acquire)) {
			pthread_mutex_lock(&mu);
			atomic_fetch_add(&parked, 1);
			pthread_cond_broadcast(&parked_cv);
			while (atomic_load(&paused))
				pthread_cond_wait(&cv, &mu);
			atomic_fetch_sub(&parked, 1);
			pthread_mutex_unlock(&mu);
		}
		if (atomic_load_explicit(&stopping, memory_order_relaxed))
			return NULL;
		if (work_noop(i) != i + 1)
			atomic_fetch_add_explicit(&w->bad, 1, memory_order_relaxed);
		atomic_store_explicit(&w->calls,
				      atomic_load_explicit(&w->calls, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	}
}

static long total(long *bad)
{
	long n = 0, b = 0;
	for (int i = 0; i < nworkers; i++) {
		n += atomic_load(&workers[i].calls);
		b += atomic_load(&workers[i].bad);
	}
	if (bad)
		*bad = b;
	return n;
}

static void set_paused(int on)
{
	pthread_mutex_lock(&mu);
	atomic_store(&paused, on);
	if (on)
		while (atomic_load(&parked) < nworkers)
			pthread_cond_wait(&parked_cv, &mu);
	else
		pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void no_ftruncate(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ftruncate, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		perror("seccomp");
}

static void *reader(void *arg)
{
	(void)arg;
	for (char buf[64];;) {
		ssize_t n = read(0, buf, sizeof(buf) - 1);
		if (n < 0) {
			printf("read failed: %s\n", strerror(errno));
			return NULL;
		}
		if (n == 0) {
			printf("eof\n");
			return NULL;
		}
		buf[n] = '\0';
		printf("read %zd %.*s\n", n, (int)strcspn(buf, "\n"), buf);
	}
}

static void plugin(void)
{
	const char *path = getenv("ATTACHEE_PLUGIN");
	void *h = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
	long (*entry)(long) = h ? (long (*)(long))dlsym(h, "plugin_entry") : NULL;
	printf("plugin %ld\n", entry ? entry(10) : -1L);
	if (h)
		dlclose(h);
	void *again = path ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
	printf("unloaded %d\n", path && !again);
	if (again)
		dlclose(again);
}

int main(int argc, char **argv)
{
	nworkers = argc > 1 ? atoi(argv[1]) : 3;
	if (argc > 2 && strcmp(argv[2], "nodump") == 0)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc > 2 && strcmp(argv[2], "seccomp") == 0)
		no_ftruncate(); /* before the threads: they inherit it */
	if (nworkers < 1 || nworkers > MAXW)
		nworkers = 3;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t th[MAXW], rd;
	for (int i = 0; i < nworkers; i++)
		pthread_create(&th[i], NULL, work, &workers[i]);
	int with_reader = argc > 2 && strcmp(argv[2], "reader") == 0;
	if (with_reader) {
		pthread_create(&rd, NULL, reader, NULL);
		pthread_setname_np(rd, "reader");
	}
	printf("started %d\n", nworkers);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig == SIGUSR1) {
			printf("count %ld\n", total(NULL));
		} else if (sig == SIGUSR2) {
			if (atomic_load(&paused)) {
				set_paused(0);
				printf("resumed\n");
			} else {
				set_paused(1);
				printf("paused %ld\n", total(NULL));
			}
		} else if (sig == SIGTERM) {
			break;
		} else if (sig == SIGHUP) {
			plugin();
		}
		/* sig < 0: EINTR would be a change a stop made visible */
		else
			printf("sigwaitinfo interrupted\n");
	}
	atomic_store(&stopping, 1);
	set_paused(0);
	for (int i = 0; i < nworkers; i++)
		pthread_join(th[i], NULL);
	if (with_reader)
		pthread_join(rd, NULL);
	long bad;
	long n = total(&bad);
	printf("checks %s\n", bad == 0 && n > 0 ? "ok" : "BAD");
	return 3;
}
