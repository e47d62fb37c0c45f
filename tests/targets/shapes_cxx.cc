/* SPDX-License-Identifier: MIT */
/* The shapes target compiled as C++: same calls, a C++ caller. */
#include "shapes.c"
