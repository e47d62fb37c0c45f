/* SPDX-License-Identifier: MIT */
/* Looks up N keys in libcache, of which the i-th is held when
 * i % 10 < HITS_OF_10 (the rest miss): cache [N [HITS_OF_10]], default
 * 1000 and 7. Prints "hits=H misses=M", counted from what cache_get
 * returned (the oracle of tests/e2e/retclass.sh). */
#include <stdio.h>
#include <stdlib.h>

void *cache_get(long key);

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, of10 = argc > 2 ? atol(argv[2]) : 7;
	long hits = 0, misses = 0;
	for (long i = 0; i < n; i++) {
		if (cache_get(i % 10 < of10 ? i % 4096 : -1 - i))
			hits++;
		else
			misses++;
	}
	printf("hits=%ld misses=%ld\n", hits, misses);
	return 0;
}
