/* SPDX-License-Identifier: MIT */
/* libtmshim in a process that was already running: tmrun --attach makes the
 * process dlopen the shim and call tm_shim_attach, later tm_shim_detach.
 *
 * The configuration comes from a file the attacher names, never from the
 * process's environment. Attaching runs the constructor's steps; the GOT
 * writes are recorded (slot, old value) so that detach can put every one
 * back. Detach never unloads anything: a thread may still be inside a
 * monitored call and return through the exit trampoline, and the program
 * may hold a trampoline's address (dlsym, a patched function table). The
 * trampolines therefore stay, their slots switched to pass straight
 * through; the segment stays mapped and is reused by the next attach,
 * which renames it into its own session. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attach.h"

#define TM_ATT_CFG_MAX 65536
#define TM_ATT_WRITES  32768 /* GOT writes remembered for detach */

struct tm_att_write {
	uintptr_t *got;
	uintptr_t old, val;
	int relro;
	int mapped; /* detach: the slot lies in a loaded object as it did */
};

/* Attach state: written under `lock` by the attach and detach calls. */
static struct {
	pthread_mutex_t lock;
	int loaded;   /* tm_shim_attach was called: the shim came in by dlopen */
	int started;  /* the first attach got a segment: the shim's setup is done */
	int detached; /* no GOT write may happen (between detach and attach) */
	char *cfg;    /* the file's text, KEY=VALUE lines made NUL-terminated */
	char status[512];
	struct tm_att_write *writes;
	size_t nwrites, lost_writes;
} tm_att = {.lock = PTHREAD_MUTEX_INITIALIZER};

int tm_attach_loaded(void)
{
	return tm_att.loaded;
}

int tm_attach_loading(void)
{
	Dl_info self;
	if (!dladdr((void *)tm_attach_loading, &self) || !self.dli_fname)
		return 0;
	return strncmp(self.dli_fname, "/tmp/tm-attach.", 15) == 0 &&
	       strstr(self.dli_fname, "/libtmshim.so") != NULL;
}

/* Reads the attach file: KEY=VALUE per line, nothing else. 0, or -1. */
static int tm_att_read(const char *path)
{
	if (!tm_att.cfg) {
		void *m = mmap(NULL, TM_ATT_CFG_MAX, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -1;
		tm_att.cfg = m;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n < TM_ATT_CFG_MAX - 1) {
		ssize_t r = read(fd, tm_att.cfg + n, TM_ATT_CFG_MAX - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	tm_att.cfg[n] = '\0';
	tm_envtab.n = 0;
	for (char *line = tm_att.cfg; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *eq = strchr(line, '=');
		if (eq && tm_envtab.n < TM_ENV_KEYS) {
			*eq = '\0';
			tm_envtab.key[tm_envtab.n] = line;
			tm_envtab.val[tm_envtab.n++] = eq + 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* The result for the attacher: one line in the TM_ATTACH_STATUS file. */
static void tm_att_say(const char *fmt, const char *arg)
{
	snprintf(tm_att.status, sizeof(tm_att.status), fmt, arg);
	const char *path = tm_env("TM_ATTACH_STATUS");
	if (!path || path[0] != '/')
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	size_t len = strlen(tm_att.status);
	tm_att.status[len] = '\n';
	ssize_t w = write(fd, tm_att.status, len + 1);
	(void)w;
	tm_att.status[len] = '\0';
	close(fd);
}

int tm_attach_write_begin(void)
{
	if (!tm_att.loaded)
		return 0;
	pthread_mutex_lock(&tm_att.lock);
	if (tm_att.detached) {
		pthread_mutex_unlock(&tm_att.lock);
		return -1;
	}
	return 0;
}

void tm_attach_write_end(uintptr_t *got, uintptr_t old, uintptr_t val, int relro)
{
	if (!tm_att.loaded)
		return;
	if (!got) {
		pthread_mutex_unlock(&tm_att.lock);
		return;
	}
	if (!tm_att.writes) {
		void *m = mmap(NULL, TM_ATT_WRITES * sizeof(struct tm_att_write),
			       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		tm_att.writes = m == MAP_FAILED ? NULL : m;
	}
	if (tm_att.writes && tm_att.nwrites < TM_ATT_WRITES)
		tm_att.writes[tm_att.nwrites++] = (struct tm_att_write){got, old, val, relro, 0};
	else
		tm_att.lost_writes++;
	pthread_mutex_unlock(&tm_att.lock);
}

/* A slot's mode under the current rules of its symbol (tm_slot_get's). */
/* The segment keeps its file; its name takes the new session, so that the
 * new collector finds it. The shim reopens it by this path for new slots. */
static int tm_att_rename(struct tm_state *g, const char *old_session)
{
	if (strcmp(old_session, g->session) == 0)
		return 0;
	char prefix[96], path[sizeof(g->seg_path)];
	int n = snprintf(prefix, sizeof(prefix), "%s/%s.", g->dir, old_session);
	if (n < 0 || strncmp(g->seg_path, prefix, (size_t)n) != 0)
		return -1;
	const char *rest = g->seg_path + n; /* "<pid>.<nonce>.tm" */
	if (snprintf(path, sizeof(path), "%s/%s.%s", g->dir, g->session, rest) >=
		    (int)sizeof(path) ||
	    rename(g->seg_path, path) < 0)
		return -1;
	memcpy(g->seg_path, path, sizeof(path));
	return 0;
}

static void tm_att_reset_config(struct tm_state *g)
{
	g->npatterns = 0;
	g->ncxx = 0;
	g->over_patterns = 0;
	g->refused[0] = '\0';
	g->item_lines = g->items_hidden = g->loaded = 0;
	g->nlogged = 0;
}

/* A later attach: the shim's setup is done, the segment exists. New rules,
 * the slots of configured symbols switched back on, the GOTs patched. */
static int tm_att_again(struct tm_state *g)
{
	uint32_t ring = g->ring_cap, thr = g->max_threads, syms = g->max_syms, stack = g->stack_cap;
	char dir[sizeof(g->dir)], session[sizeof(g->session)];
	memcpy(dir, g->dir, sizeof(dir));
	memcpy(session, g->session, sizeof(session));
	tm_att_reset_config(g);
	int rc = tm_config_load(g);
	/* the segment's geometry and place are those it was made with */
	g->ring_cap = ring, g->max_threads = thr, g->max_syms = syms, g->stack_cap = stack;
	memcpy(g->dir, dir, sizeof(dir));
	if (rc < 0) {
		memcpy(g->session, session, sizeof(session));
		return -1;
	}
	/* symbols known from earlier attachments take the rules of now,
	 * before the segment enters the new session: its collector takes
	 * what an entry says the first time it reads it */
	for (uint32_t i = 0; i < g->nsyms; i++) {
		if (g->syms[i].flags & TM_RF_INTERNAL)
			continue;
		int pat = tm_config_match(g, g->syms[i].name);
		if (pat < 0)
			continue;
		g->syms[i].pattern = (uint32_t)pat;
		tm_config_rule(g, g->syms[i].name, pat, &tm_rules[i]);
		tm_seg_publish_sym(g, i);
	}
	if (!g->seg) { /* a fork child of a detached process has none yet */
		if (tm_seg_create(g) < 0)
			return -1;
	} else if (tm_att_rename(g, session) < 0) {
		tm_log("tm: cannot rename segment %s into session %s; not monitoring", g->seg_path,
		       g->session);
		memcpy(g->session, session, sizeof(session));
		return -1;
	}
	tm_declare_patterns(g);
	for (uint32_t i = 0; i < g->nslots; i++) {
		struct tm_slot *s = &tm_slots[i];
		if (!(s->mode & TM_SM_OFF) || (g->syms[s->sym].flags & TM_RF_INTERNAL))
			continue;
		if (tm_config_match(g, g->syms[s->sym].name) >= 0)
			__atomic_store_n(&s->mode, tm_slot_mode(&tm_rules[s->sym]),
					 __ATOMIC_RELEASE);
	}
	g->active = 1;
	tm_got_patch_all(g);
	return 0;
}

/* An entry point's start: the attachment's lock, and the configuration
 * of the file the attacher named (the environment is not read). 0, or -1
 * with nothing held. */
static int tm_att_enter(const char *cfg)
{
	pthread_mutex_lock(&tm_att.lock);
	tm_envtab.on = 1;
	if (tm_att_read(cfg) < 0) {
		tm_envtab.on = 0;
		pthread_mutex_unlock(&tm_att.lock);
		return -1;
	}
	return 0;
}

static void tm_att_leave(void)
{
	tm_envtab.on = 0;
	pthread_mutex_unlock(&tm_att.lock);
}

int tm_shim_attach(const char *cfg)
{
	int saved = errno;
	struct tm_state *g = &tm_g;
	if (tm_att_enter(cfg) < 0) {
		errno = saved;
		return -1;
	}
	int rc = -1;
	if (g->active) {
		tm_att_say("busy: %s", tm_att.loaded ? "already attached"
						     : "already monitored "
						       "(preloaded)");
		goto out;
	}
	tm_att.loaded = 1;
	tm_att.detached = 0;
	if (!tm_att.started) {
		tm_att_reset_config(g);
		g->nsyms = 0;
		/* counters always: a later attach may ask for sampled symbols */
		g->counters = 1;
		pthread_mutex_unlock(&tm_att.lock); /* the GOT writes take it */
		tm_setup();
		pthread_mutex_lock(&tm_att.lock);
		tm_att.started = g->active;
	} else {
		pthread_mutex_unlock(&tm_att.lock);
		tm_att_again(g);
		pthread_mutex_lock(&tm_att.lock);
	}
	if (g->active) {
		tm_att_say("ok %s", g->seg_path);
		rc = 0;
	} else {
		tm_att.detached = 1;
		tm_att_say("error: %s", "not monitoring (see the log)");
	}
out:
	tm_att_leave();
	errno = saved;
	return rc;
}

/* Marks the writes whose slot still lies in a writable segment of a
 * loaded object, inside its RELRO range exactly when it was written as
 * RELRO: a library the program dlclose'd since is unmapped (a write there
 * faults), and another object loaded at its address has other pages
 * (making a data page read-only would break the program). */
static int tm_att_mapped_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	uintptr_t rlo = 0, rhi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			rlo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			rhi = rlo + info->dlpi_phdr[i].p_memsz;
		}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD || !(p->p_flags & PF_W))
			continue;
		uintptr_t lo = info->dlpi_addr + p->p_vaddr, hi = lo + p->p_memsz;
		for (size_t k = 0; k < tm_att.nwrites; k++) {
			struct tm_att_write *w = &tm_att.writes[k];
			uintptr_t a = (uintptr_t)w->got;
			if (a >= lo && a + sizeof(uintptr_t) <= hi &&
			    (a >= rlo && a + sizeof(uintptr_t) <= rhi) == !!w->relro)
				w->mapped = 1;
		}
	}
	return 0;
}

/* Puts one GOT slot back, unless something else wrote it since or its
 * object is gone. */
static void tm_att_restore(const struct tm_att_write *w, long pg)
{
	if (!w->mapped)
		return;
	void *page = (void *)((uintptr_t)w->got & ~(uintptr_t)(pg - 1));
	if (w->relro && mprotect(page, (size_t)pg, PROT_READ | PROT_WRITE) < 0)
		return;
	uintptr_t expect = w->val;
	__atomic_compare_exchange_n(w->got, &expect, w->old, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	if (w->relro)
		mprotect(page, (size_t)pg, PROT_READ);
}

int tm_shim_detach(const char *cfg)
{
	int saved = errno;
	struct tm_state *g = &tm_g;
	if (tm_att_enter(cfg) < 0) {
		errno = saved;
		return -1;
	}
	int rc = -1;
	if (!tm_att.loaded || !g->active) {
		tm_att_say("%s", tm_att.loaded ? "not-attached" : "preloaded");
		goto out;
	}
	/* new threads and dlopen'd objects are left alone from here */
	g->active = 0;
	tm_att.detached = 1;
	long pg = sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < tm_att.nwrites; i++)
		tm_att.writes[i].mapped = 0;
	dl_iterate_phdr(tm_att_mapped_cb, NULL);
	size_t gone = 0;
	for (size_t i = tm_att.nwrites; i-- > 0;) {
		gone += !tm_att.writes[i].mapped;
		tm_att_restore(&tm_att.writes[i], pg);
	}
	if (gone || tm_att.lost_writes)
		tm_log("tm: detach: %zu GOT slots of unloaded objects left alone, %zu writes past "
		       "the %d remembered not restored (their calls keep a counter increment)",
		       gone, tm_att.lost_writes, TM_ATT_WRITES);
	tm_att.nwrites = 0;
	tm_att.lost_writes = 0;
	for (uint32_t i = 0; i < g->nslots; i++)
		__atomic_store_n(&tm_slots[i].mode, TM_SM_COUNT | TM_SM_OFF, __ATOMIC_RELEASE);
	/* later lines of the shim go nowhere: the attacher's log is gone */
	snprintf(g->log_path, sizeof(g->log_path), "/dev/null");
	tm_att_say("ok %s", g->seg_path);
	rc = 0;
out:
	tm_att_leave();
	errno = saved;
	return rc;
}
