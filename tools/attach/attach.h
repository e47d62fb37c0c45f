/* SPDX-License-Identifier: MIT */
/* tmrun --attach / --detach: load libtmshim into a running process with
 * ptrace and call its entry points there (see docs/ARCHITECTURE.md,
 * "Attaching to a running process"). */
#ifndef TM_ATTACH_H
#define TM_ATTACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One object mapped in the target: its load base and executable range. */
struct tm_obj_map {
	uintptr_t base;	  /* address of file offset 0 */
	uintptr_t lo, hi; /* the executable mapping */
	char path[4096];  /* as the target sees it */
	int found;
};

/* What the attacher learns about the target before touching it. */
struct tm_target {
	pid_t pid;
	uid_t uid; /* effective */
	struct tm_obj_map libc, ld, shim;
	uintptr_t dlopen;    /* dlopen or __libc_dlopen_mode */
	int dlopen_private;  /* __libc_dlopen_mode: mode needs __RTLD_DLOPEN */
	uintptr_t restorer;  /* libc's signal restorer: mov $15, %rax; syscall */
	uintptr_t attach_fn; /* tm_shim_attach in the target (shim loaded) */
	uintptr_t detach_fn; /* tm_shim_detach */
	uint64_t shim_dev, shim_ino;
	pid_t borrowed;	   /* the thread the last tm_inject borrowed */
	uint64_t pause_ns; /* how long it was away from its own code */
};

/* proc.c: /proc and ELF. All return 0, or -1 with a one-line reason. */
int tm_proc_check(pid_t pid, char *why, size_t len); /* exists, 64-bit, dynamic, not traced */
int tm_proc_maps(struct tm_target *t, char *why, size_t len); /* libc, ld.so, the shim */
int tm_proc_resolve(struct tm_target *t, const char *shim, char *why, size_t len);
int tm_proc_perm_reason(pid_t pid, char *why, size_t len); /* after EPERM: which rule */
int tm_perm_explain(pid_t pid, unsigned ruid, unsigned euid, unsigned me, int have_cap, int scope,
		    char *why, size_t len); /* the rule, from what perm_reason read */
int tm_elf_sym(const char *path, const char *name, uintptr_t *value);
int tm_elf_find(const char *path, const unsigned char *bytes, size_t n, uintptr_t *vaddr);
int tm_proc_status_field(pid_t pid, const char *field, char *out, size_t len);

/* seccomp.c: would the thread's filters let the injected calls through? */
int tm_seccomp_check(pid_t tid, char *why, size_t len);

/* inject.c */
enum tm_inj_result {
	TM_INJ_OK = 0,
	TM_INJ_REFUSED = -1, /* why says; nothing was changed */
	TM_INJ_EXITED = -2,  /* the process exited (or exec'd) meanwhile */
	TM_INJ_FAILED = -3,  /* the call faulted: undone, why says */
	TM_INJ_PENDING = -4, /* the call did not return in time; it finishes on its own */
	TM_INJ_RETRY = -5,   /* inject.c only: the thread could not be set up; nothing ran */
};
/* Borrows one thread of t->pid and runs fn(str, arg) on it, restoring
 * every register, the signal mask and the FPU state after. With shim_path
 * set and the shim not loaded, dlopens it first and resolves t->attach_fn /
 * t->detach_fn. */
int tm_inject(struct tm_target *t, const char *shim_path, int which, const char *cfg, char *why,
	      size_t len);
#define TM_INJ_ATTACH 1
#define TM_INJ_DETACH 2

/* Test hooks: TM_ATTACH_KILL_AT=STEP makes the attacher SIGKILL itself at
 * STEP, TM_ATTACH_STOP_AT=STEP stop itself (SIGSTOP) there. */
void tm_attach_step(const char *step);

/* watchdog.c: forks the watchdog; returns the pipe's write end (-1 on
 * failure). tm_watchdog_done tells it all is well. */
int tm_watchdog_start(pid_t target, const char *files);
void tm_watchdog_done(int fd);

/* baseline.c */
void tm_seg_baseline(const char *dir, pid_t pid); /* earlier attachments' data: taken */
void tm_seg_settle(const char *seg);		  /* until no monitored call is open (1 s) */

/* cli.c: tmrun --attach / --detach. Returns the exit status. */
int tm_attach_wanted(int argc, char **argv);
int tm_attach_main(int argc, char **argv);

#endif
