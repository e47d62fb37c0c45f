/* SPDX-License-Identifier: MIT */
/* libtmcxxplug.so: a C++ plugin whose libstdc++ arrives with its own dlopen
 * (the host is C and links no libstdc++). Its calls of operator new go
 * through its lazily bound PLT; it counts them itself. */
#include <new>

static long made;

extern "C" long plugin_news(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = ::operator new(16 + (std::size_t)i % 8);
		made++;
		::operator delete(p);
	}
	return made;
}
