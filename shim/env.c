/* SPDX-License-Identifier: MIT */
/* Where the configuration's variables come from: the process's environment,
 * or, while tmrun --attach hands the shim its configuration, the attach
 * file's KEY=VALUE lines (attach.c fills tm_envtab). */
#include <stdlib.h>
#include <string.h>

#include "attach.h"

struct tm_envtab tm_envtab;

const char *tm_env(const char *name)
{
	if (!tm_envtab.on)
		return getenv(name);
	for (unsigned i = 0; i < tm_envtab.n; i++)
		if (strcmp(tm_envtab.key[i], name) == 0)
			return tm_envtab.val[i];
	return NULL;
}
