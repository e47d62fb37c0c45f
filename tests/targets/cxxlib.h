// SPDX-License-Identifier: MIT
// C++-linkage functions in libthrow.so: configured by their source names.
#ifndef TM_CXXLIB_H
#define TM_CXXLIB_H
namespace ns
{
struct Store {
	int get(int k);
	void put(int k, int v);
	int data[16];
};
} // namespace ns
int twice(int x);
int twice(double x); // an overload: "twice(int)" must not match it
#endif
