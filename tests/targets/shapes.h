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
/* The shapes of ltrace's parameter tests that the ones above leave out */
struct f4 {
	float a, b, c, d;
}; /* four floats: two per xmm register, in and out */
struct f3 {
	float a, b, c;
}; /* 12 bytes: xmm0 holds two, xmm1 one */
struct d3 {
	double a, b, c;
}; /* 24 bytes of doubles: passed in memory */
struct fi {
	float f;
	int i;
}; /* one eightbyte of mixed classes: a general register */
struct ll2 {
	long long a, b;
}; /* returned in rax:rdx */
struct odd3 {
	unsigned char c[3];
}; /* an odd size, in part of a register */

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
struct f4 f4_scale(struct f4 v, float k);
struct f3 f3_rot(struct f3 v);
double d3_sum(struct d3 v, int k);
struct fi fi_mix(struct fi a, struct fi b);
struct ll2 ll2_make(long long a, long long b);
struct odd3 odd3_rot(struct odd3 v);
long vmix(int n, ...); /* n pairs (long, double): the sum of long + (long)double */

#ifdef __cplusplus
}
#endif

#endif
