// SPDX-License-Identifier: MIT
// C++ functions whose demangled names carry an ABI tag (they return a
// std::string: "ns::label[abi:cxx11](int)") beside an untagged overload,
// in libtmabitag.so.
#ifndef TM_ABITAG_H
#define TM_ABITAG_H
#include <string>
namespace ns
{
std::string label(int k);	 // ns::label[abi:cxx11](int)
long label(double x);		 // ns::label(double)
std::string pair(int k, char c); // ns::pair[abi:cxx11](int, char)
long pair(int k, long c);	 // ns::pair(int, long)
} // namespace ns
#endif
