/* SPDX-License-Identifier: MIT */
/* Configuration: environment, TM_SYMBOLS patterns, TM_CONFIG rules, the
 * built-in profiles and the refusal list. Any problem is one line on the log
 * and the shim goes on with what is valid, or stays dormant. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "profiles.h"
#include "shim.h"

/* Functions that break under return-address hijacking, never return in a
 * way the shadow stack can follow, or are the shim's own machinery. */
static const char *const tm_refused[] = {
	"vfork",
	"setjmp",
	"_setjmp",
	"sigsetjmp",
	"__sigsetjmp",
	"longjmp",
	"_longjmp",
	"siglongjmp",
	"__longjmp_chk",
	"__libc_start_main",
	"_init",
	"_fini",
	"getcontext",
	"setcontext",
	"swapcontext",
	"makecontext",
	"clone",
	"__clone",
	"clone3",
	"__errno_location",
	"__tls_get_addr",
	"__stack_chk_fail",
	"_Unwind_RaiseException",
	"_Unwind_Resume",
	"_Unwind_ForcedUnwind",
	"_Unwind_Resume_or_Rethrow",
	"__cxa_throw",
	"__cxa_rethrow",
	"__cxa_begin_catch",
	"__cxa_end_catch",
	"dlopen",
	"dlsym",
	"dlvsym",
	"dlclose",
	"dl_iterate_phdr",
	"_exit",
	"_Exit",
	NULL,
};

int tm_config_refused(const char *name)
{
	for (const char *const *p = tm_refused; *p; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

static int tm_profile_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tm_profile_entry *)elem)->name);
}

static const struct tm_profile_entry *tm_profile_find(const char *name)
{
	return bsearch(name, tm_profile_entries, tm_profile_count, sizeof(tm_profile_entries[0]),
		       tm_profile_cmp);
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* The rule for `name`: the built-in profile's, with the fields the matching
 * TM_CONFIG pattern sets laid over it. */
int tm_config_rule(struct tm_state *g, const char *name, int pat, struct tm_rule *out)
{
	const struct tm_profile_entry *pe = tm_profile_find(name);
	const struct tm_pattern *p = pat >= 0 ? &g->patterns[pat] : NULL;
	const char *type = pe ? pe->type : NULL, *success = pe ? pe->success : NULL;
	const char *error = pe ? pe->error : NULL, *codes = pe ? pe->codes : NULL;
	const char *bytes = pe ? pe->bytes : NULL, *flow = pe ? pe->flow : NULL, *group = NULL;
	char err[256];

	if (p && p->has_rule) {
		type = nz(p->type) ? p->type : type;
		success = nz(p->success) ? p->success : success;
		error = nz(p->error) ? p->error : error;
		codes = nz(p->codes) ? p->codes : codes;
		bytes = nz(p->bytes) ? p->bytes : bytes;
		flow = nz(p->flow) ? p->flow : flow;
		group = nz(p->group);
		if (p->success[0] == '-') /* "success": null */
			success = NULL;
	}
	int ret = 0;
	if (tm_rule_from_strings(out, type, success, error, codes, bytes, flow, group, err,
				 sizeof(err)) < 0) {
		tm_config_item(g, "tm: rule for %s: %s; calls counted without a success rule", name,
			       err);
		memset(out, 0, sizeof(*out));
		ret = -1;
	} else if (p) {
		out->slow_ns = p->slow_ns;
	}
	if (p) { /* timing mode holds with or without a rule */
		out->sample = p->sample;
		out->count_only = p->count_only;
	}
	if (tm_rule_captures(out) && (out->sample > 1 || out->count_only)) {
		/* arguments are read on every call's entry: a sampled or
		 * count-only function (the profile's capture under the user's
		 * mode; the two given together are refused when read) keeps
		 * no bytes from them and no group */
		if (out->bytes == TM_BYTES_ARG)
			out->bytes = TM_BYTES_NONE;
		out->ncap = out->cap_ret = 0;
		out->group_arg = 0;
	}
	return ret;
}

/* How deep `c` nests brackets: ( [ open, ) ] close. A ':' or ',' inside
 * them belongs to the name ("f[abi:cxx11]", "f(int, char)",
 * "lib[[:digit:]].so:f"), not to the list or the scope. Not < >: they are
 * also operators ("operator<<(std::ostream&, T)" would never close). */
static int tm_nest(char c, int depth)
{
	if (c == '(' || c == '[')
		return depth + 1;
	if ((c == ')' || c == ']') && depth > 0)
		return depth - 1;
	return depth;
}

/* Splits "object:name" at a single ':' outside brackets (C++ "::" is part
 * of the name, and so is the ':' of an ABI tag "[abi:cxx11]"). */
static const char *tm_scope_split(const char *s)
{
	int depth = 0;
	for (const char *c = s; *c; c++) {
		depth = tm_nest(*c, depth);
		if (depth)
			continue;
		if (c[0] == ':' && c[1] == ':') {
			c++;
			continue;
		}
		if (c[0] == ':')
			return c;
	}
	return NULL;
}

/* Is `name` a glob? '*', '?' and '[' make one, except the '[' of an ABI
 * tag ("name[abi:cxx11]"), which is part of a C++ name as demangled. */
static int tm_is_glob(const char *name)
{
	for (const char *c = name; *c; c++) {
		if (c[0] == '[' && strncmp(c, "[abi:", 5) == 0) {
			const char *e = strchr(c, ']');
			if (e) {
				c = e;
				continue;
			}
		}
		if (*c == '*' || *c == '?' || *c == '[')
			return 1;
	}
	return 0;
}

/* The pattern already taken for object `obj` (olen bytes) and `name`. */
static int tm_pattern_find(const struct tm_state *g, const char *obj, size_t olen, const char *name)
{
	if (olen >= sizeof(g->patterns[0].object))
		return -1;
	for (uint32_t i = 0; i < g->npatterns; i++) {
		const struct tm_pattern *p = &g->patterns[i];
		if (strncmp(p->object, obj, olen) == 0 && p->object[olen] == '\0' &&
		    strcmp(p->name, name) == 0)
			return (int)i;
	}
	return -1;
}

void tm_config_item(struct tm_state *g, const char *fmt, ...)
{
	if (g->item_lines < TM_ITEM_LINES) {
		g->item_lines++;
		va_list ap;
		va_start(ap, fmt);
		tm_vlog(fmt, ap);
		va_end(ap);
		return;
	}
	/* after start (dlopen, glob matches): said once, when it begins */
	if (g->items_hidden++ == 0 && g->loaded)
		tm_log("tm: more problems with configured symbols; not naming them");
}

/* Adds a pattern ("name", "glob*", "libx.so.1:name"); returns its index or
 * -1 after logging why not. */
int tm_pattern_add(struct tm_state *g, const char *spec, const char *origin)
{
	const char *colon = tm_scope_split(spec);
	const char *name = colon ? colon + 1 : spec;
	size_t olen = colon ? (size_t)(colon - spec) : 0;
	int found = tm_pattern_find(g, spec, olen, name);
	if (found >= 0)
		return found;
	if (g->npatterns == TM_MAX_PATTERNS) {
		/* counted, and said in one line once everything is read */
		if (g->over_patterns++ == 0)
			snprintf(g->over_first, sizeof(g->over_first), "%s '%.32s%s'", origin, spec,
				 strlen(spec) > 32 ? "..." : "");
		return -1;
	}
	struct tm_pattern *p = &g->patterns[g->npatterns];
	memset(p, 0, sizeof(*p));
	if (!*name || olen >= sizeof(p->object) || strlen(name) >= sizeof(p->name)) {
		tm_config_item(g, "tm: %s: bad symbol '%.80s' (empty or too long); ignoring it",
			       origin, spec);
		return -1;
	}
	memcpy(p->object, spec, olen);
	strcpy(p->name, name);
	p->glob = (uint8_t)tm_is_glob(name);
	p->cxx = strstr(name, "::") || strchr(name, '(') || strstr(name, "[abi:");
	g->ncxx += p->cxx;
	if (!p->glob && tm_config_refused(name)) {
		/* collected, and said in one line once the list is read */
		size_t used = strlen(g->refused);
		snprintf(g->refused + used, sizeof(g->refused) - used, "%s'%s'", used ? ", " : "",
			 name);
		return -1;
	}
	return (int)g->npatterns++;
}

/* What was collected while reading the configuration, one line each. */
static void tm_say_collected(struct tm_state *g)
{
	if (g->refused[0])
		tm_log("tm: refusing to monitor %s (cannot be hooked safely); ignoring %s",
		       g->refused, strchr(g->refused, ',') ? "them" : "it");
	if (g->over_patterns)
		tm_log("tm: more than %d symbol patterns; ignoring the other %u, from %s on",
		       TM_MAX_PATTERNS, g->over_patterns, g->over_first);
	if (g->items_hidden)
		tm_log("tm: %u more problems with configured symbols not shown (the first %d "
		       "are above)",
		       g->items_hidden, TM_ITEM_LINES);
	g->items_hidden = 0;
	g->loaded = 1;
}

/* "name/N" (time one call in N) or "name/count" (count only): splits the
 * suffix off spec. Returns 0, or -1 after logging a bad suffix. */
static int tm_parse_mode(struct tm_state *g, char *spec, uint32_t *sample, uint8_t *count_only)
{
	*sample = 0;
	*count_only = 0;
	char *slash = strrchr(spec, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	const char *m = slash + 1;
	if (strcmp(m, "count") == 0) {
		*count_only = 1;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long n = strtoul(m, &end, 10);
	if (*m < '0' || *m > '9' || *end || errno || n < 1 || n > 1000000000ul) {
		tm_config_item(g,
			       "tm: TM_SYMBOLS: '%.80s/%.20s': after '/' expected a number "
			       "1..1000000000 (time one call in N) or 'count'; ignoring it",
			       spec, m);
		return -1;
	}
	*sample = (uint32_t)n;
	return 0;
}

/* The length of the first item of a TM_SYMBOLS list: up to a ',' outside
 * brackets ("f(int, char),g" is two items). */
static size_t tm_list_item(const char *p)
{
	int depth = 0;
	size_t n = 0;
	for (; p[n] && (depth || p[n] != ','); n++)
		depth = tm_nest(p[n], depth);
	return n;
}

static void tm_parse_symbols(struct tm_state *g, const char *list)
{
	char spec[300];
	const char *p = list;
	while (*p) {
		size_t n = tm_list_item(p);
		const char *s = p, *e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			if ((size_t)(e - s) >= sizeof(spec)) {
				tm_config_item(g,
					       "tm: TM_SYMBOLS: symbol '%.40s...' too long; "
					       "ignoring it",
					       s);
			} else {
				memcpy(spec, s, (size_t)(e - s));
				spec[e - s] = '\0';
				uint32_t sample;
				uint8_t count_only;
				int idx = tm_parse_mode(g, spec, &sample, &count_only) < 0
						  ? -1
						  : tm_pattern_add(g, spec, "TM_SYMBOLS");
				if (idx >= 0 && (sample || count_only)) {
					g->patterns[idx].sample = sample;
					g->patterns[idx].count_only = count_only;
				}
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

int tm_config_match(const struct tm_state *g, const char *name)
{
	for (uint32_t i = 0; i < g->npatterns; i++) {
		const struct tm_pattern *p = &g->patterns[i];
		if (p->glob ? fnmatch(p->name, name, 0) == 0 : strcmp(p->name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* The exact pattern `name` is a large-file alias of: `open64` for a
 * configured `open`, or `open` for a configured `open64`. The caller checks
 * that both names are one function in the defining library. */
int tm_config_match_lfs(const struct tm_state *g, const char *name)
{
	char alt[sizeof(g->patterns[0].name)];
	size_t n = strlen(name);
	if (n >= 3 && strcmp(name + n - 2, "64") == 0) {
		memcpy(alt, name, n - 2);
		alt[n - 2] = '\0';
	} else if (n + 3 <= sizeof(alt)) {
		memcpy(alt, name, n);
		memcpy(alt + n, "64", 3);
	} else {
		return -1;
	}
	for (uint32_t i = 0; i < g->npatterns; i++) {
		const struct tm_pattern *p = &g->patterns[i];
		if (!p->glob && !p->cxx && strcmp(p->name, alt) == 0)
			return (int)i;
	}
	return -1;
}

/* Copies a C++ name into out (len bytes) in one spelling: no space next to
 * punctuation ("f(int, char)" and "f(int,char)" are one name), and with
 * strip, no ABI tags ("f[abi:cxx11](int)" -> "f(int)"); with glob, the tags'
 * brackets escaped for fnmatch. 0, or -1 if it does not fit. */
static int tm_cxx_norm(const char *in, int strip, int glob, char *out, size_t len)
{
	size_t o = 0;
	for (const char *c = in; *c; c++) {
		if (strncmp(c, "[abi:", 5) == 0 && strchr(c, ']')) {
			const char *e = strchr(c, ']');
			if (strip) {
				c = e;
				continue;
			}
			if (glob) { /* "\[abi:cxx11\]": literal for fnmatch */
				if (o + (size_t)(e - c) + 4 >= len)
					return -1;
				out[o++] = '\\';
				memcpy(out + o, c, (size_t)(e - c));
				o += (size_t)(e - c);
				out[o++] = '\\';
				out[o++] = ']';
				c = e;
				continue;
			}
		}
		if (*c == ' ') {
			unsigned char a = o ? (unsigned char)out[o - 1] : ' ';
			unsigned char b = (unsigned char)c[1];
			int wa = a == '_' || (a >= '0' && a <= '9') ||
				 ((a | 32) >= 'a' && (a | 32) <= 'z');
			int wb = b == '_' || (b >= '0' && b <= '9') ||
				 ((b | 32) >= 'a' && (b | 32) <= 'z');
			if (!wa || !wb)
				continue; /* a space that separates no two words */
		}
		if (o + 1 >= len)
			return -1;
		out[o++] = *c;
	}
	out[o] = '\0';
	return 0;
}

/* Does C++ pattern p match the demangled name d (normalised, ABI tags kept
 * or not): the whole name or the name without its parameter list. */
static int tm_cxx_hit(const struct tm_pattern *p, const char *pat, const char *d)
{
	char base[512];
	const char *paren = strchr(d, '(');
	size_t n = paren ? (size_t)(paren - d) : strlen(d);
	if (n >= sizeof(base))
		return 0;
	memcpy(base, d, n);
	base[n] = '\0';
	return p->glob ? fnmatch(pat, base, 0) == 0 || fnmatch(pat, d, 0) == 0
		       : strcmp(pat, base) == 0 || strcmp(pat, d) == 0;
}

/* A pattern written with its ABI tag matches the tagged name only; one
 * written without matches it too ("label" and "label[abi:cxx11]" both name
 * "label[abi:cxx11](int)"; only "label" names "label(double)"). In a glob
 * the tag's brackets are literal. */
static int tm_cxx_pattern(const struct tm_pattern *p, const char *d, const char *bare)
{
	char pat[sizeof(p->name)];
	if (!p->cxx || tm_cxx_norm(p->name, 0, p->glob, pat, sizeof(pat)) < 0)
		return 0;
	return tm_cxx_hit(p, pat, d) || tm_cxx_hit(p, pat, bare);
}

int tm_config_match_cxx(const struct tm_state *g, const char *demangled)
{
	char d[512], bare[512];
	if (tm_cxx_norm(demangled, 0, 0, d, sizeof(d)) < 0 ||
	    tm_cxx_norm(demangled, 1, 0, bare, sizeof(bare)) < 0)
		return -1;
	for (uint32_t i = 0; i < g->npatterns; i++)
		if (tm_cxx_pattern(&g->patterns[i], d, bare))
			return (int)i;
	return -1;
}

int tm_config_matches(const struct tm_state *g, int pat, const char *name, const char *dem,
		      const char *defobj)
{
	const struct tm_pattern *p = &g->patterns[pat];
	char d[512], bare[512];
	if (p->object[0] && fnmatch(p->object, defobj, 0) != 0)
		return 0;
	if (p->glob ? fnmatch(p->name, name, 0) == 0 : strcmp(p->name, name) == 0)
		return 1;
	return dem && tm_cxx_norm(dem, 0, 0, d, sizeof(d)) == 0 &&
	       tm_cxx_norm(dem, 1, 0, bare, sizeof(bare)) == 0 && tm_cxx_pattern(p, d, bare);
}

static long tm_env_num(const char *var, long def, long lo, long hi, int pow2)
{
	const char *s = tm_env(var);
	if (!s || !*s)
		return def;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi || (pow2 && (v & (v - 1)))) {
		tm_log("tm: %s=%s: expected %s%ld..%ld; using %ld", var, s,
		       pow2 ? "a power of two in " : "", lo, hi, def);
		return def;
	}
	return v;
}

static int tm_session_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* Reads everything. Returns 0 when there is something to monitor, -1 when
 * the shim should stay dormant (nothing configured, or unusable settings). */
int tm_config_load(struct tm_state *g)
{
	const char *syms = tm_env("TM_SYMBOLS");
	const char *cfg = tm_env("TM_CONFIG");
	const char *logp = tm_env("TM_LOG");

	if ((!syms || !*syms) && (!cfg || !*cfg))
		return -1;
	if (logp && *logp && tm_log_open(g, logp) < 0)
		tm_log("tm: TM_LOG %s: %s; logging to stderr", logp, strerror(errno));

	const char *session = tm_env("TM_SESSION");
	if (!session || !*session)
		session = "default";
	if (!tm_session_ok(session)) {
		tm_log("tm: TM_SESSION '%.80s': use 1-64 of [A-Za-z0-9_-]; not monitoring",
		       session);
		return -1;
	}
	snprintf(g->session, sizeof(g->session), "%s", session);

	const char *dir = tm_env("TM_DIR");
	if (dir && *dir) {
		if (strlen(dir) >= sizeof(g->dir) - 100 || dir[0] != '/') {
			tm_log("tm: TM_DIR '%.80s': must be an absolute path under 150 bytes; not "
			       "monitoring",
			       dir);
			return -1;
		}
		snprintf(g->dir, sizeof(g->dir), "%s", dir);
	} else {
		snprintf(g->dir, sizeof(g->dir), "/dev/shm/tm-%u", (unsigned)geteuid());
	}

	g->ring_cap = (uint32_t)tm_env_num("TM_RING", 16384, 64, TM_RING_LIMIT, 1);
	g->max_threads = (uint32_t)tm_env_num("TM_MAX_THREADS", 64, 1, 1024, 0);
	g->max_syms = (uint32_t)tm_env_num("TM_MAX_SYMBOLS", 1024, 1, TM_MAX_SYMS_LIMIT - 1, 0);
	g->stack_cap = (uint32_t)tm_env_num("TM_STACK", 1024, 4, TM_STACK_LIMIT, 0);

	if (cfg && *cfg)
		tm_config_json(g, cfg);
	if (syms && *syms)
		tm_parse_symbols(g, syms);
	tm_say_collected(g);
	if (g->npatterns == 0) {
		if (!g->nlogged) /* one line per problem: the cause was already said */
			tm_log("tm: no usable symbols configured; not monitoring");
		return -1;
	}
	return 0;
}
