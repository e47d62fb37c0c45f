// SPDX-License-Identifier: MIT
// libtmabitag.so: see abitag.h.
#include "abitag.h"

namespace ns
{
std::string label(int k)
{
	return std::string(1, (char)('a' + k % 26));
}
long label(double x)
{
	return (long)x + 1;
}
std::string pair(int k, char c)
{
	return std::string(1, c) + (char)('0' + k % 10);
}
long pair(int k, long c)
{
	return k + c;
}
} // namespace ns
