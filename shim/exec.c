/* SPDX-License-Identifier: MIT */
/* exec: before the image is replaced its segment says so (TM_PROC_EXEC),
 * and the collector reports it as exec'd even when the new image never
 * loads the shim (a static program, a cleared environment) or is gone
 * before the collector looks. A failed exec puts the state back. The
 * list-argument forms are rebuilt as vectors on the stack: exec is
 * async-signal-safe and is called between fork and exec, where malloc is
 * not allowed. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "shim.h"

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execv)(const char *, char *const[]);
static int (*real_execvp)(const char *, char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_execveat)(int, const char *, char *const[], char *const[], int);

/* The segment's state is written, never read back: the pid that decides
 * whether this process owns the segment is the shim's own copy, and a
 * failed exec puts back RUNNING (the only state a live process has). */
static int tm_exec_begin(void)
{
	struct tm_seg_header *h = tm_g.seg;
	/* a vfork child shares our memory but not our segment */
	if (!h || tm_g.seg_pid != getpid())
		return 0;
	atomic_store_explicit(&h->state, TM_PROC_EXEC, memory_order_release);
	return 1;
}

static int tm_exec_failed(int marked)
{
	int saved = errno;
	struct tm_seg_header *h = tm_g.seg;
	if (marked && h && tm_g.seg_pid == getpid())
		atomic_store_explicit(&h->state, TM_PROC_RUNNING, memory_order_release);
	errno = saved;
	return -1;
}

static int tm_wrap_execve(const char *path, char *const argv[], char *const envp[])
{
	int marked = tm_exec_begin();
	real_execve(path, argv, envp);
	return tm_exec_failed(marked);
}

static int tm_wrap_execv(const char *path, char *const argv[])
{
	int marked = tm_exec_begin();
	real_execv(path, argv);
	return tm_exec_failed(marked);
}

static int tm_wrap_execvp(const char *file, char *const argv[])
{
	int marked = tm_exec_begin();
	real_execvp(file, argv);
	return tm_exec_failed(marked);
}

static int tm_wrap_execvpe(const char *file, char *const argv[], char *const envp[])
{
	int marked = tm_exec_begin();
	real_execvpe(file, argv, envp);
	return tm_exec_failed(marked);
}

static int tm_wrap_fexecve(int fd, char *const argv[], char *const envp[])
{
	int marked = tm_exec_begin();
	real_fexecve(fd, argv, envp);
	return tm_exec_failed(marked);
}

static int tm_wrap_execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
			    int flags)
{
	int marked = tm_exec_begin();
	real_execveat(dirfd, path, argv, envp, flags);
	return tm_exec_failed(marked);
}

/* execl, execlp, execle: count the list, copy it into a vector on the stack */
#define TM_ARGV_FROM_LIST(arg0, ap, argv, n)                                                       \
	size_t n = 1;                                                                              \
	va_start(ap, arg0);                                                                        \
	while (va_arg(ap, char *))                                                                 \
		n++;                                                                               \
	va_end(ap);                                                                                \
	char *argv[n + 1];                                                                         \
	argv[0] = (char *)(arg0);                                                                  \
	va_start(ap, arg0);                                                                        \
	for (size_t i_ = 1; i_ <= n; i_++)                                                         \
		argv[i_] = va_arg(ap, char *);

static int tm_wrap_execl(const char *path, const char *arg0, ...)
{
	va_list ap;
	TM_ARGV_FROM_LIST(arg0, ap, argv, n);
	va_end(ap);
	return tm_wrap_execve(path, argv, environ);
}

static int tm_wrap_execlp(const char *file, const char *arg0, ...)
{
	va_list ap;
	TM_ARGV_FROM_LIST(arg0, ap, argv, n);
	va_end(ap);
	return tm_wrap_execvp(file, argv);
}

static int tm_wrap_execle(const char *path, const char *arg0, ...)
{
	va_list ap;
	TM_ARGV_FROM_LIST(arg0, ap, argv, n);
	char *const *envp = va_arg(ap, char *const *);
	va_end(ap);
	return tm_wrap_execve(path, argv, envp);
}

/* The list forms forward to the vector forms: installed only when those
 * resolved. */
struct tm_internal tm_execs[] = {
	{"execve", (void *)tm_wrap_execve, (void **)&real_execve, 1},
	{"execv", (void *)tm_wrap_execv, (void **)&real_execv, 1},
	{"execvp", (void *)tm_wrap_execvp, (void **)&real_execvp, 1},
	{"execvpe", (void *)tm_wrap_execvpe, (void **)&real_execvpe, 1},
	{"fexecve", (void *)tm_wrap_fexecve, (void **)&real_fexecve, 1},
	{"execveat", (void *)tm_wrap_execveat, (void **)&real_execveat, 1},
	{"execl", (void *)tm_wrap_execl, (void **)&real_execve, 1},
	{"execle", (void *)tm_wrap_execle, (void **)&real_execve, 1},
	{"execlp", (void *)tm_wrap_execlp, (void **)&real_execvp, 1},
	{NULL, NULL, NULL, 0},
};

/* Resolved once at start: after fork, in the child about to exec, dlsym is
 * not safe to call. */
void tm_exec_install(void)
{
	*(void **)&real_execve = dlsym(RTLD_NEXT, "execve");
	*(void **)&real_execv = dlsym(RTLD_NEXT, "execv");
	*(void **)&real_execvp = dlsym(RTLD_NEXT, "execvp");
	*(void **)&real_execvpe = dlsym(RTLD_NEXT, "execvpe");
	*(void **)&real_fexecve = dlsym(RTLD_NEXT, "fexecve");
	*(void **)&real_execveat = dlsym(RTLD_NEXT, "execveat");
}
