/* SPDX-License-Identifier: MIT */
/* One of the 30 libraries of bench_startup_prog: ten functions each,
 * bs_<K>_0 .. bs_<K>_9, with K given at compile time. */
#define CAT3(a, b, c) a##b##c
#define NAME(k, j)    CAT3(bs_, k, j)
#define FN(j)                                                                                      \
	long NAME(BS_K, _##j)(long x);                                                             \
	long NAME(BS_K, _##j)(long x)                                                              \
	{                                                                                          \
		return x + j;                                                                      \
	}
FN(0)
FN(1)
FN(2)
FN(3)
FN(4)
FN(5)
FN(6)
FN(7)
FN(8)
FN(9)
