// SPDX-License-Identifier: MIT
// Exceptions through monitored frames. usage: throws N | throws thread
// | throws cxx N (C++ names)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "cxxlib.h"

extern "C" int may_throw(int), relay(int), level2(int), rethrown_count(void);

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "thread") == 0) {
		// escapes the thread: std::terminate, with or without the shim
		std::thread t([] { may_throw(3); });
		t.join();
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "cxx") == 0) {
		// C++ names: ns::Store::get/put and the twice overloads
		int n = atoi(argv[2]);
		ns::Store s{};
		long sum = 0;
		for (int i = 0; i < n; i++) {
			s.put(i, i);
			sum += s.get(i) + twice(i) + twice(0.5 * i);
		}
		printf("cxx sum=%ld\n", sum);
		return 0;
	}
	int n = argc > 1 ? atoi(argv[1]) : 300;
	long sum = 0;
	int caught1 = 0, caught2 = 0, caught3 = 0;
	for (int i = 0; i < n; i++) {
		try {
			sum += may_throw(i);
		} catch (const std::exception &e) {
			caught1++;
		}
		try {
			sum += relay(i);
		} catch (const std::runtime_error &e) {
			caught2++;
		}
		try {
			sum += level2(i);
		} catch (...) {
			caught3++;
		}
	}
	for (int i = 0; i < n; i++)
		sum += may_throw(1); // after all that, plain calls are recorded normally
	printf("caught=%d,%d,%d rethrown=%d sum=%ld\n", caught1, caught2, caught3, rethrown_count(),
	       sum);
	return 0;
}
