/* SPDX-License-Identifier: MIT */
/* GOT patching: walk every loaded object's relocations, and point each
 * JUMP_SLOT / GLOB_DAT entry of a configured function at its trampoline.
 *
 *   caller --call--> PLT stub --jmp *GOT[n]--> real function      (before)
 *   caller --call--> PLT stub --jmp *GOT[n]--> tm stub i --> hook --> real
 *
 * The real target of a slot is what the dynamic linker bound for that very
 * object (symbol versions differ between callers); a lazy slot not yet bound
 * is resolved in the global scope with the version the object asks for,
 * then in the object itself.
 * Function pointers in initialised data (`&f` in a table, R_X86_64_64 with
 * no addend) are redirected the same way: SQLite reaches pread64 through
 * such a table.
 *
 * A non-PIE executable that takes `&f` owns the address of f: its PLT entry
 * is the "canonical" f, and every other object's GLOB_DAT / data pointer to
 * f holds that PLT address. Those are left alone (pointer equality with the
 * executable's own `&f` is preserved) because the executable's JUMP_SLOT
 * behind that PLT entry is patched, so calls through them are monitored.
 *
 * The names are read from the objects' in-memory dynamic tables: exactly the
 * references a GOT can redirect, no file I/O and no allocation.
 */
#include <dlfcn.h>
#include <elf.h>
#include <fnmatch.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attach.h"
#include "shim.h"

struct tm_obj {
	uintptr_t base;
	const char *name;
	const ElfW(Phdr) * phdr;
	unsigned phnum;
	const ElfW(Sym) * symtab;
	const char *strtab;
	size_t strsz;
	const ElfW(Rela) * jmprel;
	size_t jmprelsz;
	const ElfW(Rela) * rela;
	size_t relasz;
	const ElfW(Half) * versym;
	const ElfW(Verneed) * verneed;
	size_t verneednum;
	uintptr_t relro_lo, relro_hi;
};

static uintptr_t tm_dyn_ptr(const struct tm_obj *o, ElfW(Addr) v)
{
	/* glibc relocates most d_ptr entries in place; the vDSO's are not */
	return v < o->base ? o->base + v : v;
}

static int tm_obj_parse(struct tm_obj *o, struct dl_phdr_info *info)
{
	memset(o, 0, sizeof(*o));
	o->base = info->dlpi_addr;
	o->name = info->dlpi_name;
	o->phdr = info->dlpi_phdr;
	o->phnum = info->dlpi_phnum;
	const ElfW(Dyn) *dyn = NULL;
	for (unsigned i = 0; i < o->phnum; i++) {
		if (o->phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(o->base + o->phdr[i].p_vaddr);
		if (o->phdr[i].p_type == PT_GNU_RELRO) {
			o->relro_lo = o->base + o->phdr[i].p_vaddr;
			o->relro_hi = o->relro_lo + o->phdr[i].p_memsz;
		}
	}
	if (!dyn)
		return -1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: o->symtab = (const void *)tm_dyn_ptr(o, dyn->d_un.d_ptr); break;
		case DT_STRTAB: o->strtab = (const void *)tm_dyn_ptr(o, dyn->d_un.d_ptr); break;
		case DT_STRSZ: o->strsz = dyn->d_un.d_val; break;
		case DT_JMPREL: o->jmprel = (const void *)tm_dyn_ptr(o, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: o->jmprelsz = dyn->d_un.d_val; break;
		case DT_RELA: o->rela = (const void *)tm_dyn_ptr(o, dyn->d_un.d_ptr); break;
		case DT_RELASZ: o->relasz = dyn->d_un.d_val; break;
		case DT_VERSYM: o->versym = (const void *)tm_dyn_ptr(o, dyn->d_un.d_ptr); break;
		case DT_VERNEED: o->verneed = (const void *)tm_dyn_ptr(o, dyn->d_un.d_ptr); break;
		case DT_VERNEEDNUM: o->verneednum = dyn->d_un.d_val; break;
		}
	}
	return o->symtab && o->strtab ? 0 : -1;
}

/* The PT_LOAD segment of `o` holding `a`, or NULL. */
static const ElfW(Phdr) * tm_obj_segment(const struct tm_obj *o, uintptr_t a)
{
	for (unsigned i = 0; i < o->phnum; i++) {
		const ElfW(Phdr) *p = &o->phdr[i];
		if (p->p_type == PT_LOAD && a >= o->base + p->p_vaddr &&
		    a < o->base + p->p_vaddr + p->p_memsz)
			return p;
	}
	return NULL;
}

static int tm_obj_contains(const struct tm_obj *o, uintptr_t a)
{
	return tm_obj_segment(o, a) != NULL;
}

static const char *tm_obj_version(const struct tm_obj *o, size_t idx);

/* The main program, parsed once (its tables never change). */
static struct tm_obj tm_main;
static int tm_main_ok;

/* Is `a` the main program's canonical PLT entry for `name`: an undefined
 * symbol with a value, which the dynamic linker hands out as `&name` to
 * every object? Sets *ver to the version the program asks for. */
static int tm_canonical_plt(const char *name, uintptr_t a, const char **ver)
{
	if (!tm_main_ok || !tm_obj_contains(&tm_main, a))
		return 0;
	const struct tm_obj *m = &tm_main;
	for (int pass = 0; pass < 2; pass++) {
		const ElfW(Rela) *r = pass ? m->rela : m->jmprel;
		size_t n = (pass ? m->relasz : m->jmprelsz) / sizeof(ElfW(Rela));
		for (size_t i = 0; r && i < n; i++) {
			size_t idx = ELF64_R_SYM(r[i].r_info);
			const ElfW(Sym) *s = &m->symtab[idx];
			if (!idx || s->st_shndx != SHN_UNDEF || !s->st_value ||
			    m->base + s->st_value != a || (m->strsz && s->st_name >= m->strsz) ||
			    strcmp(m->strtab + s->st_name, name) != 0)
				continue;
			*ver = tm_obj_version(m, idx);
			return 1;
		}
	}
	return 0;
}

/* The version string this object's reference to symbol `idx` asks for. */
static const char *tm_obj_version(const struct tm_obj *o, size_t idx)
{
	if (!o->versym || !o->verneed)
		return NULL;
	ElfW(Half) want = o->versym[idx] & 0x7fff;
	if (want < 2)
		return NULL;
	const ElfW(Verneed) *vn = o->verneed;
	for (size_t i = 0; i < o->verneednum; i++) {
		const ElfW(Vernaux) *va = (const void *)((const char *)vn + vn->vn_aux);
		for (unsigned k = 0; k < vn->vn_cnt; k++) {
			if (va->vna_other == want)
				return o->strtab + va->vna_name;
			va = (const void *)((const char *)va + va->vna_next);
		}
		if (!vn->vn_next)
			break;
		vn = (const void *)((const char *)vn + vn->vn_next);
	}
	return NULL;
}

static int tm_is_stub(uintptr_t a)
{
	return a >= (uintptr_t)tm_stubs && a < (uintptr_t)tm_stubs_end;
}

/* Accept only code: a GLOB_DAT of `stdout` or `environ` is data, and
 * pointing it at a trampoline would corrupt the program. */
static int tm_is_function(uintptr_t target, const char **objname)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (!dladdr1((void *)target, &info, (void **)&sym, RTLD_DL_SYMENT) || !info.dli_fname)
		return 0;
	*objname = info.dli_fname;
	if (sym) {
		int type = ELF64_ST_TYPE(sym->st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
			return 0;
	}
	/* executable mapping of the defining object? */
	const ElfW(Ehdr) *eh = info.dli_fbase;
	const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff);
	uintptr_t base = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			base = (uintptr_t)info.dli_fbase - (ph[i].p_vaddr & ~(uintptr_t)0xfff);
			break;
		}
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) &&
		    target >= base + ph[i].p_vaddr && target < base + ph[i].p_vaddr + ph[i].p_memsz)
			return 1;
	return 0;
}

static const char *tm_basename(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* plthook_replace's shape: find the slot, make it writable, write, restore.
 * Only slots in a writable segment or in RELRO are written: a text
 * relocation is left alone rather than made writable. */
static int tm_got_write(const struct tm_obj *o, uintptr_t *got, uintptr_t val)
{
	int relro = (uintptr_t)got >= o->relro_lo && (uintptr_t)got < o->relro_hi;
	const ElfW(Phdr) *seg = tm_obj_segment(o, (uintptr_t)got);
	if (!seg || (!relro && !(seg->p_flags & PF_W)))
		return -1;
	if (tm_attach_write_begin() < 0) /* detached: no more writes (attach.c) */
		return -1;
	long pg = sysconf(_SC_PAGESIZE);
	void *page = (void *)((uintptr_t)got & ~(uintptr_t)(pg - 1));
	uintptr_t old = __atomic_load_n(got, __ATOMIC_ACQUIRE);
	int rc = -1;
	if (!relro || mprotect(page, (size_t)pg, PROT_READ | PROT_WRITE) == 0) {
		__atomic_store_n(got, val, __ATOMIC_RELEASE);
		if (relro)
			mprotect(page, (size_t)pg, PROT_READ);
		rc = 0;
	}
	tm_attach_write_end(rc == 0 ? got : NULL, old, val, relro);
	return rc;
}

/* The shim's own interceptions (internal.c): the GOT slots of these
 * names point at its wrappers, which do their work and call the real
 * function. They are never monitored symbols. */
static int tm_internal_hook(const struct tm_state *g, const struct tm_obj *o, const ElfW(Rela) * r,
			    const char *name)
{
	struct tm_internal *in = tm_internal_find(name);
	if (!in || (in->preset && tm_config_match(g, name) >= 0))
		return 0;
	uintptr_t *got = (uintptr_t *)(o->base + r->r_offset);
	if (*got == (uintptr_t)in->wrapper)
		return 1;
	if (in->preset && !*in->real)
		return 1;
	if (!*in->real) {
		void *t = dlsym(RTLD_NEXT, name);
		/* loaded by dlopen, "next" is only the shim's own dependencies */
		if (!t && tm_attach_loaded())
			t = dlsym(g->main_handle, name);
		if (!t)
			return 1;
		*in->real = t;
	}
	tm_got_write(o, got, (uintptr_t)in->wrapper);
	return 1;
}

static int tm_reloc_patch(struct tm_state *g, const struct tm_obj *o, const ElfW(Rela) * r,
			  size_t idx, const char *name, const char *key, int pat,
			  const char **defobj);

/* The symbol pattern `j` reports under: its exact name, or its glob's own
 * entry; -1 if none. */
static int tm_pattern_sym(const struct tm_state *g, uint32_t j)
{
	const struct tm_pattern *p = &g->patterns[j];
	return (int)(p->glob ? p->hold : p->own) - 1;
}

/* The function `name` (demangled `dem`) of object `defobj` went to symbol
 * `sym` of pattern `pat`, the first that matches it; any other pattern that
 * matches it too, and has found nothing of its own, would otherwise be
 * reported "not found". It is marked as claimed (the summary says under
 * which name its calls are counted), and said once in one line. */
static void tm_claims(struct tm_state *g, int pat, int sym, const char *name, const char *dem,
		      const char *defobj)
{
	for (uint32_t j = 0; j < g->npatterns; j++) {
		/* most patterns have found something: cheap checks first */
		int own = (int)j == pat ? -1 : tm_pattern_sym(g, j);
		if (own < 0 || own == sym || (g->syms[own].flags & (TM_RF_FOUND | TM_RF_CLAIMED)) ||
		    !tm_config_matches(g, (int)j, name, dem, defobj))
			continue;
		struct tm_pattern *p = &g->patterns[j];
		g->syms[own].flags |= TM_RF_CLAIMED;
		g->syms[own].claimed_by = (uint32_t)sym + 1;
		tm_seg_publish_sym(g, (uint32_t)own);
		if (p->claim_said++)
			continue;
		const struct tm_pattern *q = &g->patterns[pat];
		const char *f = dem ? dem : name, *as = g->syms[sym].name;
		tm_config_item(g,
			       "tm: pattern '%s%s%.100s': the earlier pattern '%s%s%.100s' took "
			       "'%.100s'%s%.100s%s; list it first to count it on its own",
			       p->object, p->object[0] ? ":" : "", p->name, q->object,
			       q->object[0] ? ":" : "", q->name, f,
			       strcmp(f, as) ? " (counted as '" : "", strcmp(f, as) ? as : "",
			       strcmp(f, as) ? "')" : "");
	}
}

/* `name` is a large-file alias (open64 / open) of an exact pattern, and
 * both names are the same function in the global scope: the calls count
 * under the name the user configured. Pattern index or -1. */
static int tm_lfs_alias(struct tm_state *g, const char *name)
{
	int pat = tm_config_match_lfs(g, name);
	if (pat < 0)
		return -1;
	void *a = dlsym(g->main_handle, name);
	return a && a == dlsym(g->main_handle, g->patterns[pat].name) ? pat : -1;
}

static void tm_reloc(struct tm_state *g, const struct tm_obj *o, const ElfW(Rela) * r)
{
	unsigned type = ELF64_R_TYPE(r->r_info);
	if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
	    (type != R_X86_64_64 || r->r_addend != 0))
		return;
	size_t idx = ELF64_R_SYM(r->r_info);
	if (!idx)
		return;
	const ElfW(Sym) *s = &o->symtab[idx];
	if (o->strsz && s->st_name >= o->strsz)
		return;
	const char *name = o->strtab + s->st_name;
	if (!*name)
		return;
	if (type != R_X86_64_64 && tm_internal_hook(g, o, r, name))
		return;
	int pat = tm_config_match(g, name);
	char *dem = NULL;
	const char *key = name; /* what the symbol is called in reports */
	if (pat < 0 && g->ncxx && g->demangle && name[0] == '_' && name[1] == 'Z') {
		int st;
		dem = g->demangle(name, NULL, NULL, &st);
		pat = dem ? tm_config_match_cxx(g, dem) : -1;
		/* an exact pattern names the symbol as the user wrote it */
		if (pat >= 0)
			key = g->patterns[pat].glob ? dem : g->patterns[pat].name;
	}
	if (pat < 0 && (pat = tm_lfs_alias(g, name)) >= 0)
		key = g->patterns[pat].name;
	const char *defobj = "";
	int sym = pat >= 0 && !tm_config_refused(name)
			  ? tm_reloc_patch(g, o, r, idx, name, key, pat, &defobj)
			  : -1;
	if (sym >= 0 && g->npatterns > 1)
		tm_claims(g, pat, sym, name, dem, defobj);
	free(dem);
}

static void *tm_lookup(void *handle, const char *name, const char *ver)
{
	void *t = ver ? dlvsym(handle, name, ver) : NULL;
	return t ? t : dlsym(handle, name);
}

/* `name` in the local scope of `o`: the object and its dependencies, in the
 * order the dynamic linker searches them after the global scope. A library
 * that arrived with a plugin's dlopen (RTLD_LOCAL: libstdc++ for operator
 * new, libm for cos) is only there. The handle comes from RTLD_NOLOAD (the
 * object is loaded: this only takes and gives back a reference); a lookup
 * through a handle records no dependency, so dlclose still unloads them. */
static void *tm_lookup_local(const struct tm_obj *o, const char *name, const char *ver)
{
	if (!o->name || !o->name[0])
		return NULL; /* the main program: its scope is the global one */
	void *h = dlopen(o->name, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return NULL;
	void *t = tm_lookup(h, name, ver);
	dlclose(h);
	return t;
}

/* Redirects one GOT slot of `name` (reported as `key`) to its trampoline.
 * The symbol it now feeds, with the defining object's basename in
 * *defobj_out; -1 if the slot was left alone. */
static int tm_reloc_patch(struct tm_state *g, const struct tm_obj *o, const ElfW(Rela) * r,
			  size_t idx, const char *name, const char *key, int pat,
			  const char **defobj_out)
{
	const ElfW(Sym) *s = &o->symtab[idx];
	unsigned type = ELF64_R_TYPE(r->r_info);
	uintptr_t *got = (uintptr_t *)(o->base + r->r_offset);
	uintptr_t cur = __atomic_load_n(got, __ATOMIC_ACQUIRE);
	if (tm_is_stub(cur))
		return -1;
	uintptr_t target = cur;
	if (type != R_X86_64_JUMP_SLOT && !cur)
		return -1; /* unresolved weak reference */
	if (type == R_X86_64_JUMP_SLOT && (tm_obj_contains(o, cur) || !cur)) {
		/* lazy slot, not bound yet: bind as the dynamic linker would,
		 * global scope first, then the object's local scope (a library
		 * loaded RTLD_LOCAL calling itself or a library that arrived
		 * with it), then its own definition. The global scope is
		 * searched through the main program's handle: RTLD_DEFAULT
		 * would make glibc record a dependency of the shim on the
		 * defining object, and dlclose could no longer unload it. */
		const char *ver = tm_obj_version(o, idx);
		void *t = tm_lookup(g->main_handle, name, ver);
		if (!t)
			t = tm_lookup_local(o, name, ver);
		if (!t && s->st_shndx != SHN_UNDEF && ELF64_ST_TYPE(s->st_info) == STT_FUNC)
			t = (void *)(o->base + s->st_value);
		/* the global scope answers the program's canonical PLT entry,
		 * which jumps through the program's own slot: bind past it, to
		 * the definition the dynamic linker would bind a PLT slot to */
		const char *cver = NULL;
		if (t && tm_canonical_plt(name, (uintptr_t)t, &cver)) {
			t = cver ? dlvsym(RTLD_NEXT, name, cver) : NULL;
			if (!t)
				t = dlsym(RTLD_NEXT, name);
		}
		if (!t)
			return -1;
		target = (uintptr_t)t;
	} else {
		/* a pointer to the canonical PLT entry is monitored through the
		 * program's slot behind it, and must keep its value */
		const char *cver;
		if (tm_canonical_plt(name, cur, &cver))
			return -1;
	}
	const char *defobj = "";
	if (tm_is_stub(target) || !tm_is_function(target, &defobj))
		return -1;
	const struct tm_pattern *p = &g->patterns[pat];
	if (p->object[0] && fnmatch(p->object, tm_basename(defobj), 0) != 0)
		return -1;
	int sym = tm_sym_get(g, key, pat, 0);
	if (sym < 0)
		return -1;
	int slot = tm_slot_get(g, (uint32_t)sym, tm_internal_target(name, target));
	if (slot < 0)
		return -1;
	struct tm_symdef *sd = &g->syms[sym];
	if (!sd->object[0]) {
		strncpy(sd->object, tm_basename(defobj), sizeof(sd->object) - 1);
	}
	if (tm_got_write(o, got, (uintptr_t)tm_stubs + (uintptr_t)slot * TM_STUB_SIZE) < 0)
		return -1;
	tm_sym_found(g, (uint32_t)sym, TM_RF_PATCHED);
	*defobj_out = tm_basename(defobj);
	return sym;
}

void *tm_got_hook_pointer(struct tm_state *g, const char *name, void *target)
{
	const char *defobj = "", *cver, *key = name;
	int pat = tm_config_match(g, name);
	if (pat < 0 && (pat = tm_lfs_alias(g, name)) >= 0)
		key = g->patterns[pat].name;
	if (pat < 0 || tm_config_refused(name) || tm_is_stub((uintptr_t)target) ||
	    tm_canonical_plt(name, (uintptr_t)target, &cver) ||
	    !tm_is_function((uintptr_t)target, &defobj))
		return target;
	const struct tm_pattern *p = &g->patterns[pat];
	if (p->object[0] && fnmatch(p->object, tm_basename(defobj), 0) != 0)
		return target;
	int sym = tm_sym_get(g, key, pat, 0);
	int slot = sym < 0 ? -1
			   : tm_slot_get(g, (uint32_t)sym,
					 tm_internal_target(name, (uintptr_t)target));
	if (slot < 0)
		return target;
	struct tm_symdef *sd = &g->syms[sym];
	if (!sd->object[0])
		strncpy(sd->object, tm_basename(defobj), sizeof(sd->object) - 1);
	tm_sym_found(g, (uint32_t)sym, 0);
	return tm_stubs + (uintptr_t)slot * TM_STUB_SIZE;
}

static int tm_skip_object(const struct tm_state *g, struct dl_phdr_info *info)
{
	const char *n = info->dlpi_name ? info->dlpi_name : "";
	if (info->dlpi_addr == g->self_base && g->self_base)
		return 1;
	const char *b = tm_basename(n);
	return strncmp(b, "ld-linux", 8) == 0 || strncmp(b, "linux-vdso", 10) == 0 ||
	       strncmp(b, "ld64.so", 7) == 0;
}

static int tm_patch_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tm_state *g = arg;
	struct tm_obj o;
	(void)size;
	if (tm_skip_object(g, info) || tm_obj_parse(&o, info) < 0)
		return 0;
	for (size_t i = 0; o.jmprel && i < o.jmprelsz / sizeof(ElfW(Rela)); i++)
		tm_reloc(g, &o, &o.jmprel[i]);
	for (size_t i = 0; o.rela && i < o.relasz / sizeof(ElfW(Rela)); i++)
		tm_reloc(g, &o, &o.rela[i]);
	return 0;
}

static int tm_main_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	tm_main_ok = tm_obj_parse(&tm_main, info) == 0;
	return 1; /* the first object is the main program */
}

int tm_got_patch_all(struct tm_state *g)
{
	if (!tm_main_ok)
		dl_iterate_phdr(tm_main_cb, NULL);
	/* the demangler of a C++ program is in its global scope already; a C
	 * program is never made to load libstdc++ */
	if (g->ncxx && !g->demangle)
		*(void **)&g->demangle = dlsym(g->main_handle, "__cxa_demangle");
	return dl_iterate_phdr(tm_patch_cb, g);
}
