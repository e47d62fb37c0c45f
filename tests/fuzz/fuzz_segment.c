/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the collector's segment reader: a valid segment
 * (as the shim lays it out, with records, accumulators and open calls) is
 * built, the input then rewrites it — a list of edits, each
 *   u32 offset, u8 length, bytes…   (offset modulo the segment's size)
 * and optionally a final truncation (an edit at offset 0xffffffff: the
 * file is cut to the next u32 modulo its size) — and the collector scans,
 * drains, checks liveness, samples, renders the summary, the exposition
 * and a series, and finishes. Whatever the bytes, it must neither crash
 * nor report a negative or absurd count (ASan/UBSan and the asserts
 * below). The seed corpus (corpus/) holds the hostile layouts of the
 * tests: header fields at their limits, symbol ids out of range, heads a
 * ring ahead, absurd accumulator deltas, open-call depths past the stack,
 * a truncated file. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/segfake.h"
#include "collector.h"
#include "out/out.h"

static const char *const syms[] = {"read", "write", "sqlite3_step", "f"};

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Every integer of the summary is a count: never negative. The path of a
 * bad one is said before the abort, for the crash's report. */
static void check_counts(json_t *v, const char *path)
{
	if (json_is_integer(v) && json_integer_value(v) < 0) {
		fprintf(stderr, "fuzz_segment: negative count at %s: %lld\n", path,
			(long long)json_integer_value(v));
		abort();
	}
	size_t i;
	const char *k;
	json_t *x;
	char sub[512];
	if (json_is_object(v))
		json_object_foreach(v, k, x)
		{
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			check_counts(x, sub);
		}
	if (json_is_array(v))
		json_array_foreach(v, i, x)
		{
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			check_counts(x, sub);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct segfake f;
	segfake_create(&f, "fuzz", 64, 2, 8, syms, 4);
	for (int k = 0; k < 40; k++)
		segfake_push(&f, (uint32_t)(k & 1), (uint16_t)(k % 4), 100 + (uint64_t)k * 7,
			     k % 5 ? TM_ST_OK : TM_ST_FAILED, k, k % 5 ? 0 : 2);
	uint64_t cut = 0;
	for (size_t p = 0; p + 5 <= size;) {
		uint32_t off = u32(data + p);
		size_t n = data[p + 4];
		p += 5;
		if (off == 0xffffffffu) {
			if (p + 4 <= size)
				cut = 1 + u32(data + p) % f.size;
			break;
		}
		if (n > size - p)
			n = size - p;
		uint64_t o = off % f.size;
		if (n > f.size - o)
			n = (size_t)(f.size - o);
		memcpy((char *)f.h + o, data + p, n);
		p += n;
	}
	if (cut && truncate(f.path, (off_t)cut) != 0)
		abort();
	struct tm_coll c;
	struct tm_coll_opts o = {.dir = f.dir, .session = "fuzz"};
	char err[256];
	if (tm_coll_init(&c, &o, err, sizeof(err)) == 0) {
		tm_coll_scan(&c);
		for (int k = 0; k < 3; k++) {
			tm_coll_drain(&c);
			tm_model_tick(&c, tm_mono_ns() + (uint64_t)k * 2000000000ull);
			tm_coll_check(&c);
			tm_coll_sample(&c, tm_mono_ns());
		}
		json_t *s = tm_summary_json(&c);
		check_counts(s, "summary");
		json_decref(s);
		size_t len;
		free(tm_prom_render(&c, 0, &len));
		free(tm_prom_render(&c, 1, &len));
		tm_coll_finish(&c);
		tm_coll_free(&c);
	}
	segfake_destroy(&f);
	return 0;
}
