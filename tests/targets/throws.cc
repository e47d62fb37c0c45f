// SPDX-License-Identifier: MIT
// Exceptions through monitored frames. usage: throws N | throws thread
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

extern "C" int may_throw(int), relay(int), level2(int), rethrown_count(void);

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "thread") == 0) {
		// escapes the thread: std::terminate, with or without the shim
		std::thread t([] { may_throw(3); });
		t.join();
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
	printf("caught=%d,%d,%d rethrown=%d sum=%ld\n", caught1, caught2, caught3,
	       rethrown_count(), sum);
	return 0;
}
