/* SPDX-License-Identifier: MIT */
/* Functions of every signature shape, in libshapes.so, called through the
 * PLT by the targets. */
#ifndef TM_SHAPES_H
#define TM_SHAPES_H

#ifdef __cplusplus
extern "C" {
#endif

struct big {
	long a, b, c, d;
}; /* returned through memory */
struct mixed {
	double x;
	long y;
}; /* passed in xmm + gpr */
struct dpair {
	double a, b;
}; /* returned in xmm0:xmm1 */

long work_noop(long x);
long work_100ns(long x);
long work_noop_native(long x);
long work_100ns_native(long x);
int add_int(int a, int b);
void *ptr_id(void *p);
double dmul(double a, float b);
float fneg(float x);
long double ldtwice(long double x);
struct big big_make(long seed);
struct mixed mixed_pass(struct mixed m, double k);
struct dpair dpair_swap(struct dpair p);
double vsum(int n, ...);
long many(long a1, long a2, long a3, long a4, long a5, long a6, long a7, long a8, long a9, long a10,
	  long a11, double d1, double d2, double d3, double d4, double d5, double d6, double d7,
	  double d8, double d9, double d10);
long call_cb(long (*cb)(long), long arg);
long tail_noop(long x);
void *who_called(void);
int fail_if(int code);	   /* returns -1 with errno = code when code > 0, else 0 */
int sqlite_like(int code); /* returns code */

#ifdef __cplusplus
}
#endif

#endif
