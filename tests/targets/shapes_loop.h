/* SPDX-License-Identifier: MIT */
/* The body of the shapes target, included once per way of calling:
 * SHAPES_RUN names the function, CALL(f) says how `f` is reached. */
static int SHAPES_RUN(long n, const struct shapes_ops *o, long *acc, double *dacc,
		      long double *lacc)
{
	int bad = 0;
	(void)o;
	for (long i = 0; i < n; i++) {
		*acc += CALL(work_noop)(i);
		*acc += CALL(add_int)((int)i, 7);
		*acc += (long)(char *)CALL(ptr_id)((char *)(__UINTPTR_TYPE__)i);
		*dacc += CALL(dmul)((double)i, 0.5f);
		*dacc += CALL(fneg)((float)i);
		*lacc += CALL(ldtwice)((long double)i / 3.0L);
		struct big b = CALL(big_make)(i);
		bad |= b.d != 4 * i || b.a != i;
		struct mixed m = CALL(mixed_pass)(mixed_of(1.5, i), 2.0);
		bad |= m.x != 3.0 || m.y != i + 1;
		struct dpair p = CALL(dpair_swap)(dpair_of((double)i, -1.0));
		bad |= p.a != -1.0 || p.b != (double)i;
		double v = CALL(vsum)(4, 1.0, 2.0, 3.0, (double)i);
		bad |= v != 6.0 + (double)i;
		long mv =
			CALL(many)(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, i, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
		bad |= mv != 385 + 11 * i + 55;
		errno = 0;
		int r = CALL(fail_if)(i % 10 == 0 ? ENOENT : (i % 10 == 1 ? EACCES : 0));
		if (i % 10 == 0)
			bad |= r != -1 || errno != ENOENT;
		else if (i % 10 == 1)
			bad |= r != -1 || errno != EACCES;
		else
			bad |= r != 0;
		*acc += CALL(sqlite_like)(i % 4 == 0 ? 5 : 101);
		float fx = (float)(i % 1000);
		struct f4 q = CALL(f4_scale)(f4_of(fx, 1.0f, -2.0f, 0.5f), 2.0f);
		bad |= q.a != 2 * fx || q.b != 2.0f || q.c != -4.0f || q.d != 1.0f;
		*dacc += q.a;
		struct f3 t = CALL(f3_rot)(f3_of(fx, 2.0f, 3.0f));
		bad |= t.a != 2.0f || t.b != 3.0f || t.c != fx;
		double ds = CALL(d3_sum)(d3_of((double)i, 0.25, 0.5), 2);
		bad |= ds != ((double)i + 0.75) * 2;
		*dacc += ds;
		struct fi fm = CALL(fi_mix)(fi_of(fx, (int)(i % 97)), fi_of(0.5f, 3));
		bad |= fm.f != fx + 0.5f || fm.i != (int)(i % 97) * 3;
		struct ll2 l2 = CALL(ll2_make)((long long)i << 33, 5);
		bad |= l2.a != ((long long)i << 33) + 5 || l2.b != ((long long)i << 33) - 5;
		*acc += (long)(l2.b & 0xffff);
		struct odd3 od = CALL(odd3_rot)(odd3_of((unsigned char)i, 2, 3));
		bad |= od.c[0] != 2 || od.c[1] != 3 || od.c[2] != (unsigned char)i;
		long vm = CALL(vmix)(3, 1L, 0.5, i, 2.0, -4L, (double)i);
		bad |= vm != 1 + 0 + i + 2 - 4 + i;
		*acc += vm;
	}
	return bad;
}
