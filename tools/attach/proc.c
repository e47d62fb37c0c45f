/* SPDX-License-Identifier: MIT */
/* What tmrun --attach reads about a process before it touches it: /proc
 * (status, maps, auxv) and the ELF files of its libc, dynamic linker and
 * of libtmshim (symbols, the signal restorer). Read-only. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "attach.h"

int tm_proc_status_field(pid_t pid, const char *field, char *out, size_t len)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t fl = strlen(field);
	int rc = -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			char *v = line + fl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* The file mapped at `path` in the target, opened through its root (so a
 * process in a container gets its own libc). */
static int tm_open_target_file(pid_t pid, const char *path)
{
	char p[4200];
	snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, path);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
}

struct tm_elf {
	const unsigned char *m;
	size_t size;
	const Elf64_Ehdr *eh;
};

static int tm_elf_open(const char *path, struct tm_elf *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	e->m = m;
	e->size = (size_t)st.st_size;
	e->eh = m;
	if (memcmp(e->eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->eh->e_phoff + (size_t)e->eh->e_phnum * sizeof(Elf64_Phdr) > e->size ||
	    e->eh->e_shoff + (size_t)e->eh->e_shnum * sizeof(Elf64_Shdr) > e->size) {
		munmap(m, e->size);
		return -1;
	}
	return 0;
}

static void tm_elf_close(struct tm_elf *e)
{
	munmap((void *)e->m, e->size);
}

/* The value of the defined function `name` in the file's .dynsym. */
int tm_elf_sym(const char *path, const char *name, uintptr_t *value)
{
	struct tm_elf e;
	if (tm_elf_open(path, &e) < 0)
		return -1;
	const Elf64_Shdr *sh = (const void *)(e.m + e.eh->e_shoff);
	int rc = -1;
	for (unsigned i = 0; i < e.eh->e_shnum && rc < 0; i++) {
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= e.eh->e_shnum)
			continue;
		const Elf64_Shdr *str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > e.size ||
		    str->sh_offset + str->sh_size > e.size)
			break;
		const Elf64_Sym *s = (const void *)(e.m + sh[i].sh_offset);
		size_t n = sh[i].sh_size / sizeof(*s);
		for (size_t k = 0; k < n; k++) {
			if (s[k].st_shndx == SHN_UNDEF || s[k].st_name >= str->sh_size ||
			    ELF64_ST_TYPE(s[k].st_info) != STT_FUNC)
				continue;
			const char *nm = (const char *)e.m + str->sh_offset + s[k].st_name;
			size_t max = str->sh_size - s[k].st_name;
			if (strnlen(nm, max) < max && strcmp(nm, name) == 0) {
				*value = s[k].st_value;
				rc = 0;
				break;
			}
		}
	}
	tm_elf_close(&e);
	return rc;
}

/* The virtual address of `bytes` in an executable segment of the file. */
int tm_elf_find(const char *path, const unsigned char *bytes, size_t n, uintptr_t *vaddr)
{
	struct tm_elf e;
	if (tm_elf_open(path, &e) < 0)
		return -1;
	const Elf64_Phdr *ph = (const void *)(e.m + e.eh->e_phoff);
	int rc = -1;
	for (unsigned i = 0; i < e.eh->e_phnum && rc < 0; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X) ||
		    ph[i].p_offset + ph[i].p_filesz > e.size)
			continue;
		const unsigned char *seg = e.m + ph[i].p_offset;
		void *hit = memmem(seg, ph[i].p_filesz, bytes, n);
		if (hit) {
			*vaddr = ph[i].p_vaddr + (uintptr_t)((const unsigned char *)hit - seg);
			rc = 0;
		}
	}
	tm_elf_close(&e);
	return rc;
}

/* The first PT_LOAD's page: what a mapping of file offset 0 stands for. */
static uintptr_t tm_elf_first_vaddr(const char *path)
{
	struct tm_elf e;
	if (tm_elf_open(path, &e) < 0)
		return 0;
	const Elf64_Phdr *ph = (const void *)(e.m + e.eh->e_phoff);
	uintptr_t v = 0;
	for (unsigned i = 0; i < e.eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			v = ph[i].p_vaddr & ~(uintptr_t)0xfff;
			break;
		}
	tm_elf_close(&e);
	return v;
}

int tm_proc_check(pid_t pid, char *why, size_t len)
{
	char path[64], v[256];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (pid <= 0 || access(path, F_OK) < 0) {
		snprintf(why, len, "no process %d", (int)pid);
		return -1;
	}
	if (tm_proc_status_field(pid, "State", v, sizeof(v)) == 0 && (v[0] == 'Z' || v[0] == 'X')) {
		snprintf(why, len, "process %d has exited (%s)", (int)pid, v);
		return -1;
	}
	if (tm_proc_status_field(pid, "TracerPid", v, sizeof(v)) == 0 && atoi(v) != 0) {
		char comm[64] = "?", cp[64];
		snprintf(cp, sizeof(cp), "/proc/%d/comm", atoi(v));
		FILE *f = fopen(cp, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(why, len,
			 "process %d is already traced by process %s (%s): a process has one "
			 "tracer; detach that one first",
			 (int)pid, v, comm);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			return tm_proc_perm_reason(pid, why, len);
		snprintf(why, len, "process %d: %s: %s", (int)pid, path, strerror(errno));
		return -1;
	}
	Elf64_Ehdr eh;
	ssize_t n = pread(fd, &eh, sizeof(eh), 0);
	close(fd);
	if (n < (ssize_t)EI_NIDENT || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
		snprintf(why, len, "process %d: its executable is not an ELF file", (int)pid);
		return -1;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		snprintf(why, len,
			 "process %d is a 32-bit (or non-x86-64) program: tm monitors x86-64 "
			 "programs only",
			 (int)pid);
		return -1;
	}
	/* AT_SECURE (set-user-ID, file capabilities): the shim never runs there */
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	FILE *f = fopen(path, "re");
	if (f) {
		uint64_t kv[2];
		while (fread(kv, sizeof(kv), 1, f) == 1 && kv[0] != AT_NULL)
			if (kv[0] == AT_SECURE && kv[1]) {
				fclose(f);
				snprintf(why, len,
					 "process %d runs set-user-ID or with file capabilities "
					 "(AT_SECURE): tm does not monitor such programs",
					 (int)pid);
				return -1;
			}
		fclose(f);
	}
	return 0;
}

/* Reads the target's maps: libc, the dynamic linker and libtmshim. */
int tm_proc_maps(struct tm_target *t, char *why, size_t len)
{
	char path[64], line[4400];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->pid);
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(why, len, "process %d: %s: %s", (int)t->pid, path, strerror(errno));
		return -1;
	}
	memset(&t->libc, 0, sizeof(t->libc));
	memset(&t->ld, 0, sizeof(t->ld));
	memset(&t->shim, 0, sizeof(t->shim));
	char other[512] = ""; /* another libtmshim file the process has loaded */
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		unsigned long long off, ino;
		unsigned maj, min;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %llx %x:%x %llu %n", &lo, &hi,
			   perms, &off, &maj, &min, &ino, &pos) < 7 ||
		    !pos)
			continue;
		char *p = line + pos;
		p[strcspn(p, "\n")] = '\0';
		if (p[0] != '/')
			continue;
		const char *base = strrchr(p, '/') + 1;
		struct tm_obj_map *o = NULL;
		if (ino == t->shim_ino && makedev(maj, min) == t->shim_dev)
			o = &t->shim;
		else if (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-2.", 7) == 0)
			o = &t->libc;
		else if (strncmp(base, "ld-linux-x86-64.so", 18) == 0 ||
			 strncmp(base, "ld-2.", 5) == 0)
			o = &t->ld;
		else if (strncmp(base, "libtmshim", 9) == 0 && !other[0])
			snprintf(other, sizeof(other), "%s", p);
		if (!o)
			continue;
		if (!o->found) {
			snprintf(o->path, sizeof(o->path), "%s", p);
			o->found = 1;
		}
		if (off == 0 && !o->base)
			o->base = lo;
		if (strchr(perms, 'x')) {
			if (!o->lo || lo < o->lo)
				o->lo = lo;
			if (hi > o->hi)
				o->hi = hi;
		}
	}
	fclose(f);
	if (other[0] && !t->shim.found) {
		/* its static TLS is taken: a second copy cannot load */
		snprintf(why, len,
			 "process %d already holds another libtmshim (%s, from an earlier attach "
			 "or LD_PRELOAD): attach with that same file (TM_SHIM=...)",
			 (int)t->pid, other);
		return -1;
	}
	if (!t->libc.found || !t->ld.found) {
		snprintf(why, len,
			 "process %d is a static binary (no dynamic linker or libc mapped): "
			 "there is no GOT to patch",
			 (int)t->pid);
		return -1;
	}
	return 0;
}

/* Addresses in the target: dlopen, the restorer, the shim's entry points. */
int tm_proc_resolve(struct tm_target *t, const char *shim, char *why, size_t len)
{
	static const unsigned char restorer[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
						 0x00, 0x00, 0x0f, 0x05};
	char libc[4200];
	int fd = tm_open_target_file(t->pid, t->libc.path);
	if (fd < 0) {
		snprintf(why, len, "process %d: cannot read its libc %s", (int)t->pid,
			 t->libc.path);
		return -1;
	}
	snprintf(libc, sizeof(libc), "/proc/self/fd/%d", fd);
	uintptr_t v, first = tm_elf_first_vaddr(libc);
	int rc = 0;
	if (!t->dlopen) {
		if (tm_elf_sym(libc, "dlopen", &v) == 0) {
			t->dlopen = t->libc.base - first + v;
		} else if (tm_elf_sym(libc, "__libc_dlopen_mode", &v) == 0) {
			t->dlopen = t->libc.base - first + v;
			t->dlopen_private = 1;
		} else {
			snprintf(why, len,
				 "process %d: its libc has neither dlopen nor "
				 "__libc_dlopen_mode",
				 (int)t->pid);
			rc = -1;
		}
	}
	if (rc == 0 && !t->restorer) {
		if (tm_elf_find(libc, restorer, sizeof(restorer), &v) == 0) {
			t->restorer = t->libc.base - first + v;
		} else {
			snprintf(why, len, "process %d: no signal restorer found in its libc",
				 (int)t->pid);
			rc = -1;
		}
	}
	close(fd);
	if (rc == 0 && t->shim.found) {
		uintptr_t a, d, sf = tm_elf_first_vaddr(shim);
		if (tm_elf_sym(shim, "tm_shim_attach", &a) < 0 ||
		    tm_elf_sym(shim, "tm_shim_detach", &d) < 0) {
			snprintf(why, len, "%s: no tm_shim_attach/tm_shim_detach", shim);
			return -1;
		}
		t->attach_fn = t->shim.base - sf + a;
		t->detach_fn = t->shim.base - sf + d;
	}
	return rc;
}

static int tm_read_int(const char *path, int *v)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int rc = fscanf(f, "%d", v) == 1 ? 0 : -1;
	fclose(f);
	return rc;
}

/* ptrace was refused: say which rule refused it, and what to do. */
int tm_proc_perm_reason(pid_t pid, char *why, size_t len)
{
	char v[256];
	unsigned ruid = 0, euid = 0;
	if (tm_proc_status_field(pid, "Uid", v, sizeof(v)) == 0)
		sscanf(v, "%u %u", &ruid, &euid);
	int have_cap = 0;
	if (tm_proc_status_field(getpid(), "CapEff", v, sizeof(v)) == 0)
		have_cap = (strtoull(v, NULL, 16) >> 19) & 1; /* CAP_SYS_PTRACE */
	int scope = 0;
	tm_read_int("/proc/sys/kernel/yama/ptrace_scope", &scope);
	return tm_perm_explain(pid, ruid, euid, geteuid(), have_cap, scope, why, len);
}

/* The rule that refused, from what was read: the target's real and
 * effective uid, ours, CAP_SYS_PTRACE, kernel.yama.ptrace_scope. */
int tm_perm_explain(pid_t pid, unsigned ruid, unsigned euid, unsigned me, int have_cap, int scope,
		    char *why, size_t len)
{
	if (!have_cap && (ruid != me || euid != me)) {
		snprintf(why, len,
			 "not permitted to trace process %d: it runs as uid %u and tmrun as uid "
			 "%u; run tmrun as that user, or with CAP_SYS_PTRACE (sudo)",
			 (int)pid, euid, me);
	} else if (scope >= 3) {
		snprintf(why, len,
			 "not permitted to trace process %d: kernel.yama.ptrace_scope=3 forbids "
			 "ptrace until reboot",
			 (int)pid);
	} else if (!have_cap && scope == 2) {
		snprintf(why, len,
			 "not permitted to trace process %d: kernel.yama.ptrace_scope=2 allows it "
			 "only with CAP_SYS_PTRACE; run tmrun with sudo",
			 (int)pid);
	} else if (!have_cap && scope == 1) {
		snprintf(why, len,
			 "not permitted to trace process %d: kernel.yama.ptrace_scope=1 lets a "
			 "process trace only its descendants; run tmrun with CAP_SYS_PTRACE "
			 "(sudo), or set kernel.yama.ptrace_scope=0",
			 (int)pid);
	} else {
		snprintf(why, len,
			 "not permitted to trace process %d: it is not dumpable (set-user-ID, "
			 "or prctl(PR_SET_DUMPABLE, 0)) or a security module refuses; run tmrun "
			 "with CAP_SYS_PTRACE (sudo)",
			 (int)pid);
	}
	return -1;
}
