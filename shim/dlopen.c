/* SPDX-License-Identifier: MIT */
/* dlopen: objects loaded after start are patched as soon as they load.
 *
 * The catch: glibc searches a bare library name relative to the object that
 * *called* dlopen (its DT_RPATH, DT_RUNPATH, $ORIGIN), and a wrapper is a
 * different caller. So the wrapper, which still sees the true caller (it is
 * entered by the caller's PLT jump), does the caller-specific part of the
 * search itself, in glibc's order:
 *
 *   caller's DT_RPATH (if it has no DT_RUNPATH), the executable's DT_RPATH
 *   (likewise), LD_LIBRARY_PATH, caller's DT_RUNPATH
 *
 * and passes the path it found; when it finds nothing, the bare name goes on
 * to the parts of the search that do not depend on the caller (ld.so.cache,
 * default directories). A name already loaded is left to glibc, which
 * matches it by name before any search. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "shim.h"

static pthread_mutex_t tm_patch_lock = PTHREAD_MUTEX_INITIALIZER;

/* A loadable 64-bit x86-64 ELF file? glibc skips others and searches on. */
static int tm_elf_ok(const char *path)
{
	unsigned char e[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, e, sizeof(e));
	close(fd);
	return n == (ssize_t)sizeof(e) && memcmp(e, ELFMAG, SELFMAG) == 0 &&
	       e[EI_CLASS] == ELFCLASS64 && e[18] == EM_X86_64;
}

static const char *tm_dyn_str(const struct link_map *lm, ElfW(Sxword) tag)
{
	const char *strtab = NULL;
	ElfW(Addr) off = 0;
	int have = 0;
	for (const ElfW(Dyn) *d = lm->l_ld; d && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_STRTAB)
			strtab = (const char *)(d->d_un.d_ptr < lm->l_addr
							? lm->l_addr + d->d_un.d_ptr
							: d->d_un.d_ptr);
		if (d->d_tag == tag) {
			off = d->d_un.d_val;
			have = 1;
		}
	}
	return have && strtab ? strtab + off : NULL;
}

static void tm_origin(const struct link_map *lm, char *out, size_t len)
{
	char buf[PATH_MAX];
	const char *p = lm->l_name;
	if (!p || !*p) {
		ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		p = buf;
	}
	snprintf(out, len, "%s", p);
	char *slash = strrchr(out, '/');
	if (slash)
		*(slash == out ? slash + 1 : slash) = '\0';
	else
		snprintf(out, len, ".");
}

/* Tries each directory of the ':'-separated list; $ORIGIN is expanded,
 * entries with other dynamic string tokens are left to glibc. */
static int tm_try_dirs(const char *list, const struct link_map *lm, const char *file, char *out,
		       size_t len)
{
	char origin[PATH_MAX];
	int have_origin = 0;
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ":");
		char dir[PATH_MAX];
		size_t o = 0;
		int ok = n > 0;
		for (size_t i = 0; i < n && ok && o < sizeof(dir) - 1;) {
			if (p[i] != '$') {
				dir[o++] = p[i++];
				continue;
			}
			size_t tl = strncmp(p + i, "$ORIGIN", 7) == 0	  ? 7
				    : strncmp(p + i, "${ORIGIN}", 9) == 0 ? 9
									  : 0;
			if (!tl || !lm) {
				ok = 0;
				break;
			}
			if (!have_origin++)
				tm_origin(lm, origin, sizeof(origin));
			size_t ol = strlen(origin);
			if (o + ol >= sizeof(dir) - 1) {
				ok = 0;
				break;
			}
			memcpy(dir + o, origin, ol);
			o += ol;
			i += tl;
		}
		dir[o] = '\0';
		if (ok && snprintf(out, len, "%s/%s", dir, file) < (int)len && tm_elf_ok(out))
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* The caller-specific part of glibc's search for `file`; 1 with the path in
 * out when it finds the library there. */
static int tm_dl_search(const void *caller, const char *file, char *out, size_t len)
{
	Dl_info info;
	struct link_map *lm = NULL;
	if (!dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return 0;
	const char *runpath = tm_dyn_str(lm, DT_RUNPATH);
	if (!runpath) {
		if (tm_try_dirs(tm_dyn_str(lm, DT_RPATH), lm, file, out, len))
			return 1;
		struct link_map *main = _r_debug.r_map;
		if (main && main != lm && !tm_dyn_str(main, DT_RUNPATH) &&
		    tm_try_dirs(tm_dyn_str(main, DT_RPATH), main, file, out, len))
			return 1;
	}
	if (!getauxval(AT_SECURE) && tm_try_dirs(getenv("LD_LIBRARY_PATH"), NULL, file, out, len))
		return 1;
	return runpath && tm_try_dirs(runpath, lm, file, out, len);
}

/* Patches whatever was loaded since the last pass (slots already pointing
 * at a trampoline are skipped). Serialised: threads may dlopen at once. */
static void tm_patch_loaded(void)
{
	pthread_mutex_lock(&tm_patch_lock);
	tm_got_patch_all(&tm_g);
	pthread_mutex_unlock(&tm_patch_lock);
}

void *(*tm_real_dlopen)(const char *, int);

void *tm_wrap_dlopen(const char *file, int mode)
{
	const void *caller = __builtin_return_address(0);
	char path[PATH_MAX];
	const char *use = file;

	if (file && !strchr(file, '/') && !(mode & RTLD_NOLOAD)) {
		int saved = errno;
		void *loaded = tm_real_dlopen(file, RTLD_LAZY | RTLD_NOLOAD);
		if (loaded)
			dlclose(loaded); /* glibc finds it by name, whoever asks */
		else if (tm_dl_search(caller, file, path, sizeof(path)))
			use = path;
		dlerror(); /* our probe must not leave an error for the program */
		errno = saved;
	}
	void *h = tm_real_dlopen(use, mode);
	if (h && tm_g.active) {
		int saved = errno;
		tm_patch_loaded();
		dlerror(); /* a successful dlopen leaves no error to read */
		errno = saved;
	}
	return h;
}

void *tm_real_dlsym;

/* dlsym(handle or RTLD_DEFAULT, name): a configured function comes back as
 * its trampoline, so calls through the pointer (plugins, Python ctypes,
 * FFI) are monitored. (RTLD_NEXT never comes here: see tramp.S.) */
void *tm_dlsym_hook(void *handle, const char *name)
{
	void *r = ((void *(*)(void *, const char *))tm_real_dlsym)(handle, name);
	if (!r || !name || !tm_g.active)
		return r;
	int saved = errno;
	pthread_mutex_lock(&tm_patch_lock);
	r = tm_got_hook_pointer(&tm_g, name, r);
	pthread_mutex_unlock(&tm_patch_lock);
	errno = saved;
	return r;
}
