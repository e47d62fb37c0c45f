/* SPDX-License-Identifier: MIT */
/* A lookup whose return value says what happened: cache_get(key) returns
 * the entry of a key it holds (0 <= key < CACHE_KEYS) and NULL for any
 * other key. What tests/e2e/retclass.sh classifies as hit and miss. */
#include <stddef.h>

#define CACHE_KEYS 4096

static long entries[CACHE_KEYS];

void *cache_get(long key);

void *cache_get(long key)
{
	if (key < 0 || key >= CACHE_KEYS)
		return NULL;
	entries[key] = key;
	return &entries[key];
}
