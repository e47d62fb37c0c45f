/* SPDX-License-Identifier: MIT */
/* Call structure rebuilt from each thread's records: self time, caller ->
 * callee edges and stacks of monitored frames. A thread's records arrive in
 * completion order (children before their parent) with their depth, so the
 * next record at depth d-1 is the parent of every record at depth d since
 * the last one (docs/ARCHITECTURE.md, "Call structure"). */
#ifndef TM_MODEL_CALLS_H
#define TM_MODEL_CALLS_H

#include <stdint.h>

#include "hist.h"

struct tm_coll;
struct tm_proc;

/* depth is 8 bits on the wire and saturates at 255: a record at 255 or
 * deeper cannot be placed, so levels stop below it */
#define TM_CALLS_LEVELS 255
#define TM_CALLS_PEND	8    /* distinct pending stacks per level; more are dropped, counted */
#define TM_EDGES_MAX	1024 /* distinct caller -> callee pairs; more are counted as dropped */
#define TM_STACK_NODES	4096 /* distinct stack suffixes (nodes); more are counted as dropped */
#define TM_EDGES_TOP	32   /* edges the summary lists; the rest summed */
#define TM_STACKS_TOP	512  /* stacks the summary lists; the rest summed */

/* A stack suffix: `sym` on top of the frames of node `next` (1 + index,
 * 0: none). A node whose top frame had no monitored caller is a full
 * stack and carries its weight. */
struct tm_snode {
	uint32_t sym;  /* global symbol */
	uint32_t next; /* 1 + node below it; 0: sym is the leaf */
	uint32_t hnext;
	uint32_t pad;
	uint64_t calls;
	double self_ns;
};

struct tm_edge {
	uint32_t caller1; /* 1 + global symbol of the caller; 0: no monitored caller */
	uint32_t callee;
	uint32_t hnext;
	uint32_t pad;
	uint64_t calls, timed;
	double sum_ns;
	uint64_t max_ns;
	struct tm_hist hist; /* the callee's durations under this caller */
};

struct tm_calls {
	struct tm_edge *edges;
	uint32_t nedges;
	uint32_t *ehash; /* [2 * TM_EDGES_MAX] 1 + index; 0: empty */
	struct tm_snode *nodes;
	uint32_t nnodes;
	uint32_t *nhash;	  /* [2 * TM_STACK_NODES] */
	uint64_t edges_dropped;	  /* calls of pairs past TM_EDGES_MAX */
	uint64_t stacks_dropped;  /* calls whose stack could not be kept */
	double stacks_dropped_ns; /* their self time */
	uint64_t mismatched;	  /* records whose caller or depth contradicts the others */
	uint64_t unplaced;	  /* records at depth 255 or past the shadow stack */
	uint64_t resets;	  /* a thread's reconstruction restarted after lost records */
};

/* One pending stack of a level: the completed calls under a parent that
 * has not returned yet. */
struct tm_cpend {
	uint32_t node;
	uint32_t pad;
	uint64_t calls;
	double self_ns;
};

struct tm_clev {
	uint64_t child_ns; /* durations of the completed calls at this depth */
	uint32_t parent1;  /* 1 + the local caller they named; 0: none yet */
	uint8_t inexact;   /* a call at this depth was lost or untimed */
	uint8_t npend;
	uint16_t pad;
	struct tm_cpend pend[TM_CALLS_PEND];
};

/* What a (callee, caller) pair of local ids resolves to, cached per
 * thread: the edge and the callee's leaf node. */
#define TM_CALLS_CACHE 64
struct tm_ccache {
	uint64_t tag; /* (1 + local callee) << 32 | local caller; 0: empty */
	struct tm_edge *e;
	struct tm_sym *s; /* the callee */
	uint32_t leaf;	  /* node of the callee alone; 0: none */
	uint32_t g;	  /* the callee's global symbol */
	uint32_t caller1; /* 1 + global caller; 0: none */
};

/* One thread slot's reconstruction. */
struct tm_cthr {
	struct tm_ccache *cache; /* [TM_CALLS_CACHE], with the first level */
	struct tm_clev *lev;
	uint32_t nlev;
	uint32_t gen;	    /* the slot's claim it belongs to */
	uint8_t taint;	    /* records were lost: new levels start inexact */
	uint64_t cnt_calls; /* counted (unrecorded) calls seen on the slot */
	uint64_t acc_epoch; /* the slot's acc_epoch at the last look */
	/* workflows (model/workflow.h), allocated when configured */
	struct tm_wflog *wlog;
	uint32_t *wsub; /* [TM_CALLS_LEVELS + 1] where the next call at a depth begins */
	uint32_t nlog;
	uint32_t wlev; /* wsub[0, wlev) kept */
	int wfull;
};

int tm_calls_init(struct tm_calls *m);
void tm_calls_free(struct tm_calls *m);

/* One record of thread state t (after the drain's checks: lsym is a valid
 * local id, ns the net duration when timed). Never fails: what cannot be
 * placed is counted. */
void tm_calls_rec(struct tm_coll *c, const struct tm_proc *p, struct tm_cthr *t, uint32_t lsym,
		  uint32_t caller, unsigned depth, uint64_t ns, int timed, int failed);
/* Records of the thread were lost (ring overflow, counted untimed calls,
 * corrupt records): what is pending cannot be trusted; every open parent
 * is flagged as inexact. */
void tm_cthr_lost(struct tm_coll *c, struct tm_cthr *t);
void tm_cthr_reset(struct tm_cthr *t, uint32_t gen);
void tm_cthr_free(struct tm_cthr *t);

/* Writes the stack of node n (1 + index) top-down, frames joined by ';',
 * into buf. Returns the length, or -1 if it did not fit. */
int tm_calls_stack_str(const struct tm_coll *c, uint32_t n, char *buf, size_t len);

#endif
