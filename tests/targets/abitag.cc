// SPDX-License-Identifier: MIT
// Calls each function of libtmabitag.so N times through the PLT and prints
// a checksum. usage: abitag N
#include <cstdio>
#include <cstdlib>

#include "abitag.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10, sum = 0;
	for (long i = 0; i < n; i++) {
		sum += (long)ns::label((int)i).size();
		sum += ns::label((double)i);
		sum += (long)ns::pair((int)i, 'x').size();
		sum += ns::pair((int)i, i);
	}
	printf("abitag %ld: %ld\n", n, sum);
	return 0;
}
