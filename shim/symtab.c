/* SPDX-License-Identifier: MIT */
/* The shim's symbol table: a symbol per configured function and per
 * function found, each with its rule, and its entry in the segment. What
 * the collector reads of an entry it reads once (segment.c), so an entry
 * is published whole, with its flags, and is never seen half rewritten. */
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "shim.h"

/* A symbol's name as the shim's table and the segment hold it (200
 * bytes with the NUL): a longer name (C++ templates reach thousands) is
 * cut to its first 182 bytes, followed by "~" and 16 hex digits of a
 * 64-bit FNV-1a hash of the whole name, so that two long names sharing a
 * prefix stay two functions, and the same name is found again. */
static void tm_sym_key(const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	if (n < size) {
		memcpy(out, name, n + 1);
		return;
	}
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
	size_t keep = size - 18; /* "~", 16 digits, NUL */
	memcpy(out, name, keep);
	snprintf(out + keep, 18, "~%016llx", (unsigned long long)h);
}

/* Returns the id of symbol `name`, creating it (and its rule) if new,
 * with `flags` (enum tm_rule_flags) among its own. A new symbol's entry
 * is published with its flags: the collector takes what it reads the
 * first time (the symbol's name, whether it is the shim's own) for good. */
int tm_sym_get(struct tm_state *g, const char *name, int pattern, uint32_t flags)
{
	char key[sizeof(g->syms[0].name)];
	tm_sym_key(name, key, sizeof(key));
	for (uint32_t i = 0; i < g->nsyms; i++)
		if (strcmp(g->syms[i].name, key) == 0) {
			if (flags & ~g->syms[i].flags) {
				g->syms[i].flags |= flags;
				tm_seg_publish_sym(g, i);
			}
			return (int)i;
		}
	if (g->nsyms >= g->max_syms) {
		static int warned;
		if (!warned++)
			tm_log("tm: more than %u symbols matched (TM_MAX_SYMBOLS); ignoring '%s' "
			       "and "
			       "later ones",
			       g->max_syms, name);
		return -1;
	}
	uint32_t id = g->nsyms;
	struct tm_symdef *sd = &g->syms[id];
	memset(sd, 0, sizeof(*sd));
	memcpy(sd->name, key, sizeof(sd->name));
	sd->pattern = (uint32_t)pattern;
	sd->flags = flags;
	tm_config_rule(g, name, pattern, &tm_rules[id]);
	g->nsyms++;
	tm_seg_publish_sym(g, id);
	return (int)id;
}

/* Creates a symbol up front for every pattern, so that a configured
 * function never found is still reported ("not found in any loaded
 * object"). A glob is reported under its own text until something matches
 * it (TM_RF_GLOB; the collector drops it once FOUND). */
void tm_declare_patterns(struct tm_state *g)
{
	for (uint32_t i = 0; i < g->npatterns; i++) {
		struct tm_pattern *p = &g->patterns[i];
		if (!p->glob) {
			p->own = (uint32_t)(tm_sym_get(g, p->name, (int)i, 0) + 1);
			continue;
		}
		char text[sizeof(g->syms->name)];
		int n = snprintf(text, sizeof(text), "%s%s%s", p->object, p->object[0] ? ":" : "",
				 p->name);
		if (n < 0 || (size_t)n >= sizeof(text))
			continue; /* too long to report under its own text */
		int id = tm_sym_get(g, text, (int)i, TM_RF_GLOB);
		if (id < 0)
			continue;
		p->hold = (uint32_t)id + 1;
	}
}

/* Symbol `sym` was found in a loaded object; so was its glob, if any. */
void tm_sym_found(struct tm_state *g, uint32_t sym, uint32_t flags)
{
	struct tm_symdef *sd = &g->syms[sym];
	sd->flags |= TM_RF_FOUND | flags;
	tm_seg_publish_sym(g, sym);
	uint32_t hold = sd->pattern < g->npatterns ? g->patterns[sd->pattern].hold : 0;
	if (hold && hold - 1 != sym && !(g->syms[hold - 1].flags & TM_RF_FOUND)) {
		g->syms[hold - 1].flags |= TM_RF_FOUND;
		tm_seg_publish_sym(g, hold - 1);
	}
}
