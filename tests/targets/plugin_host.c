/* SPDX-License-Identifier: MIT */
/* dlopen semantics under the shim: a plugin found only through this
 * program's DT_RUNPATH ($ORIGIN/plugins), dlclose and dlopen again,
 * RTLD_NOLOAD, a missing library's dlerror text. Prints every outcome so a
 * run under the shim can be compared with a native one. usage: plugin_host N */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static long run(long n, int mode)
{
	void *h = dlopen("libtmplugin.so", mode);
	if (!h) {
		printf("dlopen failed: %s\n", dlerror());
		return -1;
	}
	printf("dlerror after success: %s\n", dlerror() ? "set" : "none");
	long (*entry)(long) = (long (*)(long))dlsym(h, "plugin_entry");
	long r = entry ? entry(n) : -1;
	dlclose(h);
	return r;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	printf("first: %ld\n", run(n, RTLD_NOW | RTLD_LOCAL));
	printf("again: %ld\n", run(n, RTLD_LAZY | RTLD_GLOBAL));
	printf("deepbind: %ld\n", run(n, RTLD_NOW | RTLD_DEEPBIND));
	void *gone = dlopen("libtmplugin.so", RTLD_NOW | RTLD_NOLOAD);
	printf("noload after dlclose: %s\n", gone ? "loaded" : "not loaded");
	void *keep = dlopen("libtmplugin.so", RTLD_NOW);
	void *again = dlopen("libtmplugin.so", RTLD_NOW | RTLD_NOLOAD);
	printf("noload while open: %s\n", again == keep ? "same handle" : "different");
	void *none = dlopen("libtm-does-not-exist.so", RTLD_NOW);
	printf("missing: %s\n", none ? "loaded?!" : dlerror());
	return 0;
}
