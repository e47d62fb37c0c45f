/* SPDX-License-Identifier: MIT */
/* The shim's configuration: TM_SYMBOLS patterns, TM_CONFIG rules over the
 * built-in profiles, environment limits, and one log line per problem. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

struct tm_state tm_g; /* the shim's global, normally in shim.c */

static char logpath[64];

static void setup(void)
{
	memset(&tm_g, 0, sizeof(tm_g));
	snprintf(logpath, sizeof(logpath), "/tmp/tm-unit-log.%d", (int)getpid());
	unlink(logpath);
	setenv("TM_LOG", logpath, 1);
	unsetenv("TM_CONFIG");
}

static void teardown(void)
{
	unlink(logpath);
}

static char *log_text(void)
{
	static char buf[4096];
	FILE *f = fopen(logpath, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static const struct tm_pattern *pat(const char *name)
{
	for (uint32_t i = 0; i < tm_g.npatterns; i++)
		if (strcmp(tm_g.patterns[i].name, name) == 0)
			return &tm_g.patterns[i];
	return NULL;
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, symbols_list_is_parsed)
{
	setenv("TM_SYMBOLS",
	       " read , write,,libsqlite3.so.0:sqlite3_*, ns::Store::get,lib.so:ns::A::b,read", 1);
	cr_assert_eq(tm_config_load(&tm_g), 0);
	cr_assert_eq(tm_g.npatterns, 5, "duplicates and empties dropped");
	cr_assert_not_null(pat("read"));
	cr_assert_not_null(pat("write"));
	const struct tm_pattern *s = pat("sqlite3_*");
	cr_assert_not_null(s);
	cr_assert_str_eq(s->object, "libsqlite3.so.0");
	cr_assert(s->glob);
	const struct tm_pattern *cpp = pat("ns::Store::get");
	cr_assert_not_null(cpp, "C++ '::' is not a scope separator");
	cr_assert_str_eq(cpp->object, "");
	cr_assert_str_eq(pat("ns::A::b")->object, "lib.so");
	cr_assert_eq(tm_config_match(&tm_g, "sqlite3_step"), (int)(s - tm_g.patterns));
	cr_assert_eq(tm_config_match(&tm_g, "readv"), -1, "exact names are not prefixes");
	cr_assert_str_eq(tm_g.session, "default");
	cr_assert_eq(tm_g.ring_cap, 16384);
	cr_assert_str_eq(log_text(), "");
}

Test(config, brackets_hold_scope_and_list_separators)
{
	setenv("TM_SYMBOLS",
	       "ns::f[abi:cxx11],lib.so:ns::g[abi:cxx11](int),h(int, char),lib[[:digit:]].so:k,"
	       "ns::*[abi:cxx11]*,ns::operator<<(std::ostream&, int),after",
	       1);
	cr_assert_eq(tm_config_load(&tm_g), 0);
	cr_assert_eq(tm_g.npatterns, 7);
	cr_assert_not_null(pat("ns::operator<<(std::ostream&, int)"));
	cr_assert_not_null(pat("after"), "'<<' opens no bracket");
	const struct tm_pattern *f = pat("ns::f[abi:cxx11]");
	cr_assert_not_null(f, "the tag's ':' is not a scope");
	cr_assert_str_eq(f->object, "");
	cr_assert(!f->glob && f->cxx, "an ABI tag is no glob");
	cr_assert_str_eq(pat("ns::g[abi:cxx11](int)")->object, "lib.so");
	cr_assert_not_null(pat("h(int, char)"), "a ',' in a signature does not split");
	cr_assert_str_eq(pat("k")->object, "lib[[:digit:]].so");
	cr_assert(pat("ns::*[abi:cxx11]*")->glob);
	int fi = (int)(f - tm_g.patterns);
	cr_assert_eq(tm_config_match_cxx(&tm_g, "ns::f[abi:cxx11](int)"), fi);
	cr_assert_eq(tm_config_match_cxx(&tm_g, "ns::f(double)"), -1, "with the tag: tagged only");
	cr_assert_eq(tm_config_match_cxx(&tm_g, "h(int,char)"),
		     (int)(pat("h(int, char)") - tm_g.patterns));
	cr_assert_eq(tm_config_match_cxx(&tm_g, "ns::q[abi:cxx11]()"),
		     (int)(pat("ns::*[abi:cxx11]*") - tm_g.patterns), "the glob's tag is literal");
	cr_assert_eq(tm_config_match_cxx(&tm_g, "ns::qa()"), -1);
	cr_assert_str_eq(log_text(), "");
}

Test(config, nothing_configured_is_dormant_and_silent)
{
	unsetenv("TM_SYMBOLS");
	cr_assert_eq(tm_config_load(&tm_g), -1);
	cr_assert_str_eq(log_text(), "");
}

Test(config, refused_and_oversized_names_one_line_each)
{
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char list[400];
	snprintf(list, sizeof(list), "longjmp,%s,work", big);
	setenv("TM_SYMBOLS", list, 1);
	cr_assert_eq(tm_config_load(&tm_g), 0);
	cr_assert_eq(tm_g.npatterns, 1);
	char *t = log_text();
	cr_assert_eq(lines(t), 2, "%s", t);
	cr_assert(strstr(t, "refusing to monitor 'longjmp'"), "%s", t);
	cr_assert(strstr(t, "too long"), "%s", t);
	cr_assert_eq(tm_config_match(&tm_g, "longjmp"), -1);
}

Test(config, bad_limits_fall_back_with_a_line)
{
	setenv("TM_SYMBOLS", "read", 1);
	setenv("TM_RING", "1000", 1);
	setenv("TM_MAX_THREADS", "-3", 1);
	cr_assert_eq(tm_config_load(&tm_g), 0);
	cr_assert_eq(tm_g.ring_cap, 16384);
	cr_assert_eq(tm_g.max_threads, 64);
	cr_assert_eq(lines(log_text()), 2);
}

Test(config, bad_session_is_dormant)
{
	setenv("TM_SYMBOLS", "read", 1);
	setenv("TM_SESSION", "../etc", 1);
	cr_assert_eq(tm_config_load(&tm_g), -1);
	cr_assert(strstr(log_text(), "TM_SESSION"));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(config, rules_layer_over_profiles)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/tm-unit-cfg.%d.json", (int)getpid());
	write_file(
		path,
		"{\"symbols\": {\"read\": {\"slow_ms\": 5, \"name\": \"READ\"},"
		" \"free\": {},"
		" \"malloc\": {\"success\": null},"
		" \"my_*\": {\"ret\": \"int\", \"success\": \"ret == 0\", \"error\": \"-ret\"}}}");
	setenv("TM_CONFIG", path, 1);
	unsetenv("TM_SYMBOLS");
	cr_assert_eq(tm_config_load(&tm_g), 0);
	unlink(path);
	cr_assert_eq(tm_g.npatterns, 4);
	struct tm_rule r;
	int p = tm_config_match(&tm_g, "read");
	tm_config_rule(&tm_g, "read", p, &r);
	cr_assert(r.has_rule, "profile rule kept");
	cr_assert(r.bytes);
	cr_assert_eq(r.type, TM_RET_LONG);
	cr_assert_eq(r.slow_ns, 5000000);
	cr_assert_str_eq(tm_g.patterns[p].display, "READ");
	tm_config_rule(&tm_g, "malloc", tm_config_match(&tm_g, "malloc"), &r);
	cr_assert_not(r.has_rule, "\"success\": null removes the profile rule");
	tm_config_rule(&tm_g, "my_open", tm_config_match(&tm_g, "my_open"), &r);
	cr_assert(r.has_rule);
	cr_assert_eq(r.err_src, TM_ERR_NEGRET);
	tm_config_rule(&tm_g, "unknown_fn", -1, &r);
	cr_assert_not(r.has_rule, "no invented rule");
	cr_assert_str_eq(log_text(), "");
}

Test(config, broken_json_one_line_with_position)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/tm-unit-bad.%d.json", (int)getpid());
	write_file(path, "{\n \"symbols\": {\n  \"read\": {\"ret\": \"int\",}\n }\n}\n");
	setenv("TM_CONFIG", path, 1);
	setenv("TM_SYMBOLS", "write", 1);
	cr_assert_eq(tm_config_load(&tm_g), 0, "TM_SYMBOLS still used");
	unlink(path);
	char *t = log_text();
	cr_assert_eq(lines(t), 1, "%s", t);
	cr_assert(strstr(t, "line 3"), "%s", t);
	cr_assert_eq(tm_g.npatterns, 1);
}
