/* SPDX-License-Identifier: MIT */
/* Prints what a segment holds that does not depend on the clock: every
 * thread slot's records (symbol, caller, status, depth, value, error; no
 * start or duration), its accumulators without their times, its counters
 * and losses. For a segment no collector has read (tail 0), so every record
 * since the start is still in the ring. tests/e2e/hotpath_same.sh compares
 * two runs' outputs.
 * usage: segdump SEGMENT */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tm/wire.h"

static const struct tm_wire_sym *syms;
static uint32_t nsyms;

static const char *name(uint32_t s, char *buf, size_t n)
{
	if (s == TM_NO_SYM)
		return "-";
	if (s < nsyms)
		return syms[s].name;
	snprintf(buf, n, "#%u", s);
	return buf;
}

static int whole_lap; /* -a: the last ring's worth of records, taken or not */

static void dump_slot(const struct tm_seg_header *h, const char *slot, const char *label)
{
	const struct tm_thread *thr = (const struct tm_thread *)slot;
	uint64_t head = atomic_load(&thr->head), tail = atomic_load(&thr->tail);
	printf("%s state=%u head=%llu tail=%llu live_depth=%u loss=", label,
	       (unsigned)atomic_load(&thr->state), (unsigned long long)head,
	       (unsigned long long)tail, (unsigned)atomic_load(&thr->live_depth));
	for (int k = 0; k < TM_LOSS_COUNT; k++)
		printf("%s%llu", k ? "," : "", (unsigned long long)atomic_load(&thr->loss[k]));
	printf(" epoch=%llu\n", (unsigned long long)atomic_load(&thr->acc_epoch));
	const struct tm_record *ring =
		(const struct tm_record *)(slot + tm_thr_ring_off(h->stack_cap, h->max_syms));
	/* the records past the published head (wire.h, "Publishing") */
	uint64_t end = tm_ring_end(ring, h->ring_cap, tail, head);
	printf("%s end=%llu\n", label, (unsigned long long)end);
	head = end;
	uint64_t from = head > h->ring_cap ? head - h->ring_cap : 0;
	if (from < tail && !whole_lap)
		from = tail;
	char a[16], b[16];
	for (uint64_t k = from; k < head; k++) {
		const struct tm_record *r = &ring[k & (h->ring_cap - 1)];
		unsigned st = (unsigned)(r->dur_meta >> 48) & 0xff;
		printf("rec %llu %s caller=%s status=%u%s depth=%u value=%lld err=%d%s",
		       (unsigned long long)k, name(r->sym, a, sizeof(a)),
		       name(r->caller, b, sizeof(b)), st & 0x3f, st & TM_ST_UNTIMED ? "u" : "",
		       TM_REC_DEPTH(r), (long long)r->value, r->err,
		       (r->dur_meta & TM_REC_LAP) == tm_rec_lap(k, h->ring_cap) ? ""
										: " lap=wrong");
		if ((st & 0x3f) == TM_ST_ARG)
			printf(" start=%llu", (unsigned long long)r->start);
		else if (!(st & TM_ST_UNTIMED) && !r->start)
			printf(" start=0");
		printf("\n");
	}
	const struct tm_acc *acc =
		(const struct tm_acc *)(slot + tm_thr_acc_off(h->stack_cap, h->max_syms));
	for (uint32_t s = 0; s < nsyms && s < h->max_syms; s++) {
		const struct tm_acc *x = &acc[s];
		if (!atomic_load(&x->calls))
			continue;
		uint64_t timed = 0;
		for (int k = 0; k < TM_ACC_BUCKETS; k++)
			timed += atomic_load(&x->hist[k]);
		printf("acc %s calls=%llu ok=%llu failed=%llu abnormal=%llu bytes=%llu "
		       "untimed=%llu timed=%llu errs=",
		       name(s, a, sizeof(a)), (unsigned long long)atomic_load(&x->calls),
		       (unsigned long long)atomic_load(&x->ok),
		       (unsigned long long)atomic_load(&x->failed),
		       (unsigned long long)atomic_load(&x->abnormal),
		       (unsigned long long)atomic_load(&x->bytes),
		       (unsigned long long)atomic_load(&x->untimed), (unsigned long long)timed);
		for (int k = 0; k < TM_ACC_ERRS; k++)
			printf("%d:%u,", atomic_load(&x->errs[k].code),
			       (unsigned)atomic_load(&x->errs[k].count));
		/* the times themselves differ run to run; that they are
		 * consistent does not: min (stored + 1) <= max <= sum */
		uint64_t mn = atomic_load(&x->min), mx = atomic_load(&x->max),
			 sum = atomic_load(&x->sum);
		int range = timed ? mn >= 1 && mn - 1 <= mx && mx <= sum : !mn && !mx && !sum;
		printf("other:%llu range=%s\n", (unsigned long long)atomic_load(&x->errs_other),
		       range ? "ok" : "bad");
	}
	if (!(h->flags & TM_SEG_COUNTERS))
		return;
	const struct tm_cnt *cnt =
		(const struct tm_cnt *)(slot + tm_thr_cnt_off(h->stack_cap, h->max_syms));
	for (uint32_t s = 0; s < nsyms && s < h->max_syms; s++)
		if (atomic_load(&cnt[s].calls))
			printf("cnt %s calls=%llu ok=%llu bytes=%llu\n", name(s, a, sizeof(a)),
			       (unsigned long long)atomic_load(&cnt[s].calls),
			       (unsigned long long)atomic_load(&cnt[s].ok),
			       (unsigned long long)atomic_load(&cnt[s].bytes));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-a")) {
		whole_lap = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: segdump [-a] SEGMENT\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(struct tm_seg_header)) {
		perror(argv[1]);
		return 1;
	}
	const char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	const struct tm_seg_header *h = (const struct tm_seg_header *)m;
	if (h->magic != TM_MAGIC || h->version != TM_WIRE_VERSION ||
	    h->record_size != sizeof(struct tm_record) || h->total_size > (uint64_t)st.st_size ||
	    !h->ring_cap || (h->ring_cap & (h->ring_cap - 1))) {
		fprintf(stderr, "%s: not a segment this build reads\n", argv[1]);
		return 1;
	}
	syms = (const struct tm_wire_sym *)(m + h->syms_off);
	nsyms = atomic_load(&h->nsyms);
	uint32_t hwm = atomic_load(&h->threads_hwm);
	printf("segment ring=%u stack=%u syms=%u threads=%u loss=", h->ring_cap, h->stack_cap,
	       nsyms, hwm);
	for (int k = 0; k < TM_LOSS_COUNT; k++)
		printf("%s%llu", k ? "," : "", (unsigned long long)atomic_load(&h->loss[k]));
	printf("\n");
	for (uint32_t s = 0; s < nsyms; s++)
		printf("sym %u %s flags=%#x\n", s, syms[s].name, syms[s].flags);
	char label[32];
	for (uint32_t i = 0; i < hwm && i < h->max_threads; i++) {
		snprintf(label, sizeof(label), "thread %u", i);
		dump_slot(h, m + h->threads_off + (uint64_t)i * h->thread_size, label);
	}
	dump_slot(h, m + h->threads_off + (uint64_t)h->max_threads * h->thread_size, "shared");
	return 0;
}
