/* SPDX-License-Identifier: MIT */
/* Two functions whose names are longer than a segment's 199 bytes and
 * share their first 224 (tests/e2e/longnames.sh), and a short one. */
#include "longnames.h"

long LN_ONE(long x)
{
	return x + 1;
}

long LN_TWO(long x)
{
	return x + 2;
}

long ln_short(long x)
{
	return x + 3;
}
