/* SPDX-License-Identifier: MIT */
/* Calls every shape a known number of times and prints every result, so a
 * run under the shim can be compared byte for byte with a run without it.
 * usage: shapes [N [direct|table|dlsym]]  (default 1000, direct)
 *   direct  calls through the PLT (or the GOT with -fno-plt)
 *   table   calls through function pointers `&f` stored in initialised data
 *           (R_X86_64_64 relocations in a PIE, canonical PLT entries without)
 *   dlsym   calls through pointers from dlsym(RTLD_DEFAULT, "f")
 * It also prints whether `&f` is the same pointer in code, in data and from
 * dlsym (the shim must not break pointer equality).
 * Exit code 3 if a result is wrong, 4 if a dlsym lookup fails.
 * Also compiled as C++ (shapes_cxx.cc). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shapes.h"

struct shapes_ops {
	long (*work_noop)(long);
	int (*add_int)(int, int);
	void *(*ptr_id)(void *);
	double (*dmul)(double, float);
	float (*fneg)(float);
	long double (*ldtwice)(long double);
	struct big (*big_make)(long);
	struct mixed (*mixed_pass)(struct mixed, double);
	struct dpair (*dpair_swap)(struct dpair);
	double (*vsum)(int, ...);
	long (*many)(long, long, long, long, long, long, long, long, long, long, long, double,
		     double, double, double, double, double, double, double, double, double);
	int (*fail_if)(int);
	int (*sqlite_like)(int);
	struct f4 (*f4_scale)(struct f4, float);
	struct f3 (*f3_rot)(struct f3);
	double (*d3_sum)(struct d3, int);
	struct fi (*fi_mix)(struct fi, struct fi);
	struct ll2 (*ll2_make)(long long, long long);
	struct odd3 (*odd3_rot)(struct odd3);
	long (*vmix)(int, ...);
};

/* `&f` in initialised data */
static const struct shapes_ops shapes_table = {
	work_noop,  add_int,	ptr_id, dmul,	  fneg,	    ldtwice,	 big_make,
	mixed_pass, dpair_swap, vsum,	many,	  fail_if,  sqlite_like, f4_scale,
	f3_rot,	    d3_sum,	fi_mix, ll2_make, odd3_rot, vmix,
};

static struct mixed mixed_of(double x, long y)
{
	struct mixed m;
	m.x = x;
	m.y = y;
	return m;
}

static struct dpair dpair_of(double a, double b)
{
	struct dpair p;
	p.a = a;
	p.b = b;
	return p;
}

static struct f4 f4_of(float a, float b, float c, float d)
{
	struct f4 v;
	v.a = a, v.b = b, v.c = c, v.d = d;
	return v;
}

static struct f3 f3_of(float a, float b, float c)
{
	struct f3 v;
	v.a = a, v.b = b, v.c = c;
	return v;
}

static struct d3 d3_of(double a, double b, double c)
{
	struct d3 v;
	v.a = a, v.b = b, v.c = c;
	return v;
}

static struct fi fi_of(float f, int i)
{
	struct fi v;
	v.f = f, v.i = i;
	return v;
}

static struct odd3 odd3_of(unsigned char a, unsigned char b, unsigned char c)
{
	struct odd3 v;
	v.c[0] = a, v.c[1] = b, v.c[2] = c;
	return v;
}

#define SHAPES_RUN shapes_direct
#define CALL(f)	   f
#include "shapes_loop.h"
#undef SHAPES_RUN
#undef CALL
#define SHAPES_RUN shapes_via_table
#define CALL(f)	   o->f
#include "shapes_loop.h"

static int shapes_lookup(struct shapes_ops *o)
{
#define LOOKUP(f) (*(void **)&o->f = dlsym(RTLD_DEFAULT, #f)) != NULL
	return LOOKUP(work_noop) && LOOKUP(add_int) && LOOKUP(ptr_id) && LOOKUP(dmul) &&
	       LOOKUP(fneg) && LOOKUP(ldtwice) && LOOKUP(big_make) && LOOKUP(mixed_pass) &&
	       LOOKUP(dpair_swap) && LOOKUP(vsum) && LOOKUP(many) && LOOKUP(fail_if) &&
	       LOOKUP(sqlite_like) && LOOKUP(f4_scale) && LOOKUP(f3_rot) && LOOKUP(d3_sum) &&
	       LOOKUP(fi_mix) && LOOKUP(ll2_make) && LOOKUP(odd3_rot) && LOOKUP(vmix);
#undef LOOKUP
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	const char *mode = argc > 2 ? argv[2] : "direct";
	long acc = 0;
	double dacc = 0;
	long double lacc = 0;
	int bad;

	if (strcmp(mode, "table") == 0) {
		bad = shapes_via_table(n, &shapes_table, &acc, &dacc, &lacc);
	} else if (strcmp(mode, "dlsym") == 0) {
		struct shapes_ops o;
		if (!shapes_lookup(&o)) {
			fprintf(stderr, "dlsym: %s\n", dlerror());
			return 4;
		}
		bad = shapes_via_table(n, &o, &acc, &dacc, &lacc);
	} else {
		bad = shapes_direct(n, NULL, &acc, &dacc, &lacc);
	}
	/* volatile: the compiler must not fold the comparisons */
	const struct shapes_ops *volatile table = &shapes_table;
	int (*volatile code_ptr)(int, int) = add_int;
	void *dl_ptr = dlsym(RTLD_DEFAULT, "add_int");
	int eq = table->add_int == code_ptr && (void *)code_ptr == dl_ptr;
	printf("n=%ld acc=%ld dacc=%.6f lacc=%.6Lf bad=%d eq=%d\n", n, acc, dacc, lacc, bad, eq);
	return bad ? 3 : 0;
}
