/* SPDX-License-Identifier: MIT */
/* tmsyms: which functions of a binary tm can monitor. Reads the ELF file
 * with libelf: the functions it calls through its GOT (JUMP_SLOT/GLOB_DAT
 * relocations: what a TM_SYMBOLS name or glob can hook in it) and the
 * functions it exports (what other objects may call through theirs). */
#include <errno.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <getopt.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SHOW_IMPORTS = 1, SHOW_EXPORTS = 2 };

struct dynsyms {
	Elf_Data *data;
	size_t strndx;
};

static int find_dynsym(Elf *e, struct dynsyms *d)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(e, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM) {
			d->data = elf_getdata(scn, NULL);
			d->strndx = sh.sh_link;
			return d->data ? 0 : -1;
		}
	}
	return -1;
}

/* An executable that needs no shared library is statically linked (also
 * a static PIE: ET_DYN with DF_1_PIE): the dynamic linker never loads a
 * preload library into it. A shared library is never statically linked,
 * even one with no DT_NEEDED of its own (linked with -nostdlib): its
 * imports are bound to whatever the process has loaded. */
static int is_static(Elf *e)
{
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh))
		return 1;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int needed = 0, pie = 0, dynamic = 0;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		dynamic = 1;
		Elf_Data *dd = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; dd && i < n; i++) {
			GElf_Dyn dyn;
			if (!gelf_getdyn(dd, (int)i, &dyn))
				continue;
			needed |= dyn.d_tag == DT_NEEDED;
			pie |= dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_PIE);
		}
	}
	if (!dynamic)
		return 1;
	if (needed)
		return 0;
	return eh.e_type == ET_EXEC || pie;
}

/* C++ names as people write them, through the C++ runtime's own
 * demangler when it is installed (it is wherever g++ programs run). */
typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);
static demangle_fn demangler;
static int mangled_only;

static void print_name(const char *kind, const char *name, const char *suffix)
{
	char *dem = NULL;
	int st = -1;
	if (!mangled_only && demangler && name[0] == '_' && name[1] == 'Z')
		dem = demangler(name, NULL, NULL, &st);
	if (dem && st == 0)
		printf("%s %s%s\n", kind, dem, suffix);
	else
		printf("%s %s%s\n", kind, name, suffix);
	free(dem);
}

/* -g GLOB against the name as printed and as mangled */
static int wanted(const char *name, const char *glob)
{
	if (!glob || fnmatch(glob, name, 0) == 0)
		return 1;
	if (mangled_only || !demangler || name[0] != '_' || name[1] != 'Z')
		return 0;
	int st = -1;
	char *dem = demangler(name, NULL, NULL, &st);
	int ok = dem && st == 0 && fnmatch(glob, dem, 0) == 0;
	free(dem);
	return ok;
}

static int is_func(const GElf_Sym *s)
{
	int t = GELF_ST_TYPE(s->st_info);
	return t == STT_FUNC || t == STT_GNU_IFUNC;
}

static void print_imports(Elf *e, const struct dynsyms *d, const char *glob)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA)
			continue;
		Elf_Data *rd = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; rd && i < n; i++) {
			GElf_Rela r;
			GElf_Sym s;
			if (!gelf_getrela(rd, (int)i, &r))
				continue;
			unsigned type = GELF_R_TYPE(r.r_info);
			if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
				continue;
			if (!gelf_getsym(d->data, (int)GELF_R_SYM(r.r_info), &s))
				continue;
			/* an undefined data reference (stdout) has type OBJECT */
			if (GELF_ST_TYPE(s.st_info) == STT_OBJECT ||
			    GELF_ST_TYPE(s.st_info) == STT_TLS)
				continue;
			const char *name = elf_strptr(e, d->strndx, s.st_name);
			if (name && *name && wanted(name, glob))
				print_name("import", name,
					   type == R_X86_64_GLOB_DAT ? " (GOT, no PLT)" : "");
		}
	}
}

static void print_exports(Elf *e, const struct dynsyms *d, const char *glob)
{
	size_t n = d->data->d_size / sizeof(Elf64_Sym);
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d->data, (int)i, &s) || s.st_shndx == SHN_UNDEF || !is_func(&s))
			continue;
		int bind = GELF_ST_BIND(s.st_info);
		int vis = GELF_ST_VISIBILITY(s.st_other);
		if ((bind != STB_GLOBAL && bind != STB_WEAK) || vis == STV_HIDDEN)
			continue;
		const char *name = elf_strptr(e, d->strndx, s.st_name);
		if (name && *name && wanted(name, glob))
			print_name("export", name, "");
	}
}

static int list(const char *path, int what, const char *glob)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tmsyms: %s: %s\n", path, strerror(errno));
		return -1;
	}
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	struct dynsyms d = {0};
	int ret = 0;
	if (!e || elf_kind(e) != ELF_K_ELF || gelf_getclass(e) != ELFCLASS64) {
		fprintf(stderr, "tmsyms: %s: not a 64-bit ELF file\n", path);
		ret = -1;
	} else if (find_dynsym(e, &d) < 0 || is_static(e)) {
		fprintf(stderr,
			"tmsyms: %s: statically linked (no dynamic symbols or needed libraries): "
			"LD_PRELOAD cannot reach it\n",
			path);
		ret = -1;
	} else {
		if (what & SHOW_IMPORTS)
			print_imports(e, &d, glob);
		if (what & SHOW_EXPORTS)
			print_exports(e, &d, glob);
	}
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tmsyms [-i|-e] [-m] [-g GLOB] FILE...\n"
		   "  lists the functions FILE calls through its GOT (import: hookable in\n"
		   "  FILE) and the functions it exports (export); C++ names demangled\n"
		   "  -i  imports only   -e  exports only   -g GLOB  only names matching GLOB\n"
		   "  -m  C++ names as the linker sees them (mangled)\n"
		   "  -h, --help  this text\n");
}

int main(int argc, char **argv)
{
	int what = SHOW_IMPORTS | SHOW_EXPORTS, rc = 0;
	const char *glob = NULL;
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	for (int o; (o = getopt_long(argc, argv, "iemg:h", lo, NULL)) != -1;) {
		switch (o) {
		case 'm': mangled_only = 1; break;
		case 'i': what = SHOW_IMPORTS; break;
		case 'e': what = SHOW_EXPORTS; break;
		case 'g': glob = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	void *cxx = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
	if (cxx)
		*(void **)&demangler = dlsym(cxx, "__cxa_demangle");
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "tmsyms: libelf: %s\n", elf_errmsg(-1));
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (argc - optind > 1)
			printf("# %s\n", argv[i]);
		if (list(argv[i], what, glob) < 0)
			rc = 1;
	}
	return rc;
}
