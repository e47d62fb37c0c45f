/* SPDX-License-Identifier: MIT */
/* libtmshim loaded into a running process (tmrun --attach): the two entry
 * points the attacher calls, and the hooks the rest of the shim calls. */
#ifndef TM_SHIM_ATTACH_H
#define TM_SHIM_ATTACH_H

#include <stdint.h>

#include "shim.h"

/* Exported (libtmshim.map): called by tmrun --attach / --detach on a thread
 * it has borrowed, with every signal blocked. `cfg` names a file of
 * KEY=VALUE lines (TM_SYMBOLS=..., TM_SESSION=..., TM_ATTACH_STATUS=...);
 * the result goes to the TM_ATTACH_STATUS file. 0, or -1. */
int tm_shim_attach(const char *cfg) __attribute__((visibility("default")));
int tm_shim_detach(const char *cfg) __attribute__((visibility("default")));

/* Slot mode bit (struct tm_slot.mode) of a slot left behind by a detach:
 * with TM_SM_COUNT, calls through a pointer the program copied while
 * attached pass straight through (tramp.S ignores this bit; hook.c's
 * tm_decide returns at once). */
#define TM_SM_OFF 8u

/* The configuration's environment (env.c): the attach file's values while
 * an attach reads its configuration (on), getenv otherwise. */
#define TM_ENV_KEYS 24
struct tm_envtab {
	int on;
	unsigned n;
	const char *key[TM_ENV_KEYS], *val[TM_ENV_KEYS];
};
extern struct tm_envtab tm_envtab TM_HIDDEN;
const char *tm_env(const char *name) TM_HIDDEN;

/* got.c, around every GOT write: begin returns -1 when the shim is
 * detached (nothing may be written any more); end records the slot's old
 * value so that detach can put it back. */
int tm_attach_write_begin(void) TM_HIDDEN;
void tm_attach_write_end(uintptr_t *got, uintptr_t old, uintptr_t val, int relro) TM_HIDDEN;
int tm_attach_loaded(void) TM_HIDDEN; /* loaded by dlopen (attach), not preloaded */

/* hook.c, slow path: a thread left without a segment (it first called while
 * the shim was detached) joins the current segment once attached again,
 * keeping its open frames. 1 if it did. attach_hot.c, general registers. */
int tm_attach_revive(struct tm_tls *t) TM_HIDDEN;

/* The shim is being loaded by tmrun --attach (dlopen of the link tmrun
 * made in its private directory): the constructor must not read the
 * process's environment. */
int tm_attach_loading(void) TM_HIDDEN;

/* shim.c */
void tm_setup(void) TM_HIDDEN;
void tm_declare_patterns(struct tm_state *g) TM_HIDDEN;

#endif
