/* SPDX-License-Identifier: MIT */
/* The shim's own interceptions, installed in every object's GOT:
 *
 * - _exit, _Exit: mark the segment with the exit code (on_exit handlers do
 *   not run for them).
 * - _Unwind_RaiseException, _Unwind_Resume_or_Rethrow, _Unwind_ForcedUnwind:
 *   an unwinder walking through a hijacked return address would find
 *   tm_exit_tramp, which has no caller to unwind to, and end the program
 *   (std::terminate). Before it starts, every hijacked return address of
 *   the thread is put back.
 * - dlopen: patch what it loaded (dlopen.c).
 * - dlsym: a monitored function's address is its trampoline (dlopen.c).
 * - the exec family: mark the segment as exec'd (exec.c).
 * - daemon: its parent's internal _exit(0) marks the segment exited (fork.c).
 * - __cxa_begin_catch: the exception has landed. Frames below the catcher
 *   were unwound (recorded with status "exception"); frames above it are
 *   live again and get their return addresses hijacked back.
 */
#include <unistd.h>

#include "shim.h"

static void (*real_exit)(int), (*real_Exit)(int);
static int (*real_raise)(void *), (*real_rethrow)(void *);
static int (*real_forced)(void *, void *, void *);
static void *(*real_begin_catch)(void *);

static void tm_mark_exit_self(int code)
{
	/* a vfork child shares our memory but not our segment */
	if (tm_g.seg && tm_g.seg_pid == getpid())
		tm_seg_mark_exit(tm_g.seg, code & 0xff);
}

static __attribute__((noreturn)) void tm_wrap__exit(int code)
{
	tm_mark_exit_self(code);
	real_exit(code);
	__builtin_unreachable();
}

static __attribute__((noreturn)) void tm_wrap__Exit(int code)
{
	tm_mark_exit_self(code);
	real_Exit(code);
	__builtin_unreachable();
}

/* The unwinder starts from its caller's frame: these wrappers are ordinary
 * functions with unwind tables, so it steps through them like any other. */
static int tm_wrap_raise(void *exc)
{
	tm_frames_restore(1);
	return real_raise(exc);
}

static int tm_wrap_rethrow(void *exc)
{
	tm_frames_restore(1);
	return real_rethrow(exc);
}

static int tm_wrap_forced(void *exc, void *stop, void *arg)
{
	tm_frames_restore(0);
	return real_forced(exc, stop, arg);
}

static void *tm_wrap_begin_catch(void *exc)
{
	/* the catcher's frame lies at and above our CFA */
	tm_frames_caught((uintptr_t)__builtin_dwarf_cfa());
	return real_begin_catch(exc);
}

static struct tm_internal tm_internals[] = {
	{"_exit", (void *)tm_wrap__exit, (void **)&real_exit, 0},
	{"_Exit", (void *)tm_wrap__Exit, (void **)&real_Exit, 0},
	{"_Unwind_RaiseException", (void *)tm_wrap_raise, (void **)&real_raise, 0},
	{"_Unwind_Resume_or_Rethrow", (void *)tm_wrap_rethrow, (void **)&real_rethrow, 0},
	{"_Unwind_ForcedUnwind", (void *)tm_wrap_forced, (void **)&real_forced, 0},
	{"__cxa_begin_catch", (void *)tm_wrap_begin_catch, (void **)&real_begin_catch, 0},
	{"dlopen", (void *)tm_wrap_dlopen, (void **)&tm_real_dlopen, 0},
	{"dlsym", (void *)tm_wrap_dlsym, (void **)&tm_real_dlsym, 0},
};

/* A monitored symbol that is also one of the preset interceptions (the
 * exec family, daemon): its trampoline calls the wrapper instead of
 * `target`, so the call is timed and the segment still marked (exec'd, or
 * daemon's parent exiting) — the wrapper an unmonitored slot of the name
 * gets. When the wrapper is not installed (its real function was not
 * found at start), the target itself. */
uintptr_t tm_internal_target(const char *name, uintptr_t target)
{
	struct tm_internal *in = tm_internal_find(name);
	if (in && in->preset && *in->real)
		return (uintptr_t)in->wrapper;
	return target;
}

struct tm_internal *tm_internal_find(const char *name)
{
	for (size_t i = 0; i < sizeof(tm_internals) / sizeof(tm_internals[0]); i++)
		if (__builtin_strcmp(tm_internals[i].name, name) == 0)
			return &tm_internals[i];
	for (struct tm_internal *in = tm_execs; in->name; in++)
		if (__builtin_strcmp(in->name, name) == 0)
			return in;
	for (struct tm_internal *in = tm_forks; in->name; in++)
		if (__builtin_strcmp(in->name, name) == 0)
			return in;
	return NULL;
}
