/* SPDX-License-Identifier: MIT */
/* Loads one plugin with RTLD_LAZY | RTLD_LOCAL, calls its entry with N and
 * prints what it returns (the plugin's own count of its calls). The host
 * links neither libstdc++ nor libm: the plugin's DT_NEEDED libraries arrive
 * with the same dlopen, and its PLT slots to them are still unbound when
 * dlopen returns. Then dlcloses it and says whether it is gone.
 * usage: plugin_lazy_host PLUGIN ENTRY N */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	void *h = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		printf("dlopen failed: %s\n", dlerror());
		return 1;
	}
	long (*entry)(long) = (long (*)(long))dlsym(h, argv[2]);
	if (!entry)
		return 1;
	printf("%s: %ld\n", argv[2], entry(atol(argv[3])));
	dlclose(h);
	h = dlopen(argv[1], RTLD_LAZY | RTLD_NOLOAD);
	printf("after dlclose: %s\n", h ? "still loaded" : "unloaded");
	return 0;
}
