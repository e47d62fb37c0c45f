// SPDX-License-Identifier: MIT
// libthrow.so: C++ functions that throw through monitored frames.
#include <stdexcept>

extern "C" {
int may_throw(int x)
{
	if (x % 3 == 0)
		throw std::runtime_error("multiple of three");
	return x;
}

// calls may_throw through the PLT: an exception crosses two monitored frames
int relay(int x)
{
	return may_throw(x) + 1;
}

// catches, counts and rethrows: caught again two levels up
static int rethrown;
int level2(int x)
{
	try {
		return may_throw(x);
	} catch (...) {
		rethrown++;
		throw;
	}
}

int rethrown_count(void)
{
	return rethrown;
}
}

#include "cxxlib.h"

int ns::Store::get(int k)
{
	return data[k & 15];
}

void ns::Store::put(int k, int v)
{
	data[k & 15] = v;
}

int twice(int x)
{
	return 2 * x;
}

int twice(double x)
{
	return (int)(2 * x);
}
