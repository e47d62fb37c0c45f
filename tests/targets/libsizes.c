/* SPDX-License-Identifier: MIT */
/* Functions whose bytes are in their arguments (tests/e2e/sizes.sh):
 *   sz_put(buf, n)         returns n, or -1 when n is 0 (a failure)
 *   sz_put32(fd, n)        n is an unsigned int: the register's upper half
 *                          is whatever the caller left there; returns 0
 *   sz_items(size, nmemb)  returns nmemb / 2 (items "done")
 *   sz_nest(n)             calls sz_put(NULL, n) through the PLT and
 *                          returns its result */
#include <stddef.h>

long sz_put(const void *buf, unsigned long n);

long sz_put(const void *buf, unsigned long n)
{
	(void)buf;
	return n ? (long)n : -1;
}

int sz_put32(int fd, unsigned n)
{
	(void)fd;
	(void)n;
	return 0;
}

size_t sz_items(size_t size, size_t nmemb)
{
	(void)size;
	return nmemb / 2;
}

long sz_nest(unsigned long n)
{
	return sz_put(NULL, n);
}
