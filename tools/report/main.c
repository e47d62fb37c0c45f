/* SPDX-License-Identifier: MIT */
/* tmreport: read saved summaries (tm.summary/1) — print the table, compare
 * runs (diff), write a self-contained HTML page. Exit status: 0, 1 when
 * --fail-on found such a row, 2 for a usage error or a file it cannot use
 * (one line on stderr). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct opts {
	struct rp_table_opts t;
	struct rp_diff_opts d;
	const char *output;
	unsigned fail_on; /* FAIL_* bits */
};

enum { FAIL_SLOWER = 1, FAIL_ERRORS = 2, FAIL_ANY = 4 };

enum {
	O_SORT = 256,
	O_TOP,
	O_CSV,
	O_JSON,
	O_ALPHA,
	O_THRESH,
	O_MIN,
	O_ERRT,
	O_ERRP,
	O_TAIL,
	O_FAIL
};

static const struct option long_opts[] = {
	{"sort", required_argument, NULL, O_SORT},
	{"reverse", no_argument, NULL, 'r'},
	{"top", required_argument, NULL, O_TOP},
	{"csv", no_argument, NULL, O_CSV},
	{"json", no_argument, NULL, O_JSON},
	{"alpha", required_argument, NULL, O_ALPHA},
	{"threshold", required_argument, NULL, O_THRESH},
	{"min-change", required_argument, NULL, O_MIN},
	{"error-threshold", required_argument, NULL, O_ERRT},
	{"error-points", required_argument, NULL, O_ERRP},
	{"tail", no_argument, NULL, O_TAIL},
	{"fail-on", required_argument, NULL, O_FAIL},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tmreport [--sort COLUMN] [-r] [--top N] [--csv|--json] SUMMARY.json\n"
		"       tmreport diff [OPTIONS] BASE.json NEW.json\n"
		"       tmreport diff [OPTIONS] BASE.json... -- NEW.json...\n"
		"       tmreport html [OPTIONS] SUMMARY.json [BASE.json] -o report.html\n"
		"       tmreport folded [--folded-weight self|calls] SUMMARY.json\n"
		"       tmreport folded [--folded-weight self|calls] --diff A.json B.json\n"
		"table:\n"
		"  --sort COLUMN        calls, failed, mean, p50, p95, p99, max, total (default),"
		" name\n"
		"  -r, --reverse        the other way round\n"
		"  --top N              the first N rows\n"
		"  --csv, --json        rows as CSV (# header, integer ns) or JSON\n"
		"diff (and html with BASE):\n"
		"  --alpha A            significance level (default 0.01)\n"
		"  --threshold PCT      latency change that counts, relative (default 10)\n"
		"  --min-change NS      ... and absolute (default 1000)\n"
		"  --error-threshold PCT  error-rate change that counts, relative (default 10)\n"
		"  --error-points PP    ... and absolute, in percentage points (default 0.1)\n"
		"  --tail               p99 decides slower/faster too, not only p50\n"
		"  --fail-on WHAT       exit 1 if a row is slower, has more errors, or any change\n"
		"                       (slower|errors|any, comma-separated)\n"
		"  --csv, --json        rows as CSV or JSON\n"
		"html:\n"
		"  -o, --output FILE    the page ('-': stdout)\n");
}

/* A number in [lo, hi], all of the argument. */
static int num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "tmreport: --%s %s: expected a number from %g to %g\n", opt, s, lo,
			hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int fail_on(const char *s, unsigned *out)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "slower") == 0)
			*out |= FAIL_SLOWER;
		else if (strcmp(t, "errors") == 0)
			*out |= FAIL_ERRORS;
		else if (strcmp(t, "any") == 0)
			*out |= FAIL_ANY;
		else {
			fprintf(stderr, "tmreport: --fail-on %s: expected slower, errors or any\n",
				s);
			return -1;
		}
	}
	return 0;
}

/* Options of every command; the files left in argv[optind..argc). */
static int parse(int argc, char **argv, struct opts *o)
{
	double v;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "ro:h", long_opts, NULL)) != -1;) {
		switch (c) {
		case O_SORT:
			if (rp_col_parse(optarg, &o->t.sort) < 0) {
				fprintf(stderr,
					"tmreport: --sort %s: expected calls, failed, mean, "
					"p50, p95, p99, max, total or name\n",
					optarg);
				return -1;
			}
			break;
		case 'r': o->t.reverse = 1; break;
		case O_TOP:
			if (num("top", optarg, 1, 1e9, &v) < 0 || v != (double)(size_t)v)
				return -1;
			o->t.top = (size_t)v;
			break;
		case O_CSV: o->t.fmt = o->d.fmt = RP_CSV; break;
		case O_JSON: o->t.fmt = o->d.fmt = RP_JSON; break;
		case O_ALPHA:
			if (num("alpha", optarg, 1e-12, 0.5, &o->d.alpha) < 0)
				return -1;
			break;
		case O_THRESH:
			if (num("threshold", optarg, 0, 1e6, &v) < 0)
				return -1;
			o->d.lat_rel = v / 100;
			break;
		case O_MIN:
			if (num("min-change", optarg, 0, 1e15, &o->d.lat_abs_ns) < 0)
				return -1;
			break;
		case O_ERRT:
			if (num("error-threshold", optarg, 0, 1e6, &v) < 0)
				return -1;
			o->d.err_rel = v / 100;
			break;
		case O_ERRP:
			if (num("error-points", optarg, 0, 100, &v) < 0)
				return -1;
			o->d.err_abs = v / 100;
			break;
		case O_TAIL: o->d.tail = 1; break;
		case O_FAIL:
			if (fail_on(optarg, &o->fail_on) < 0)
				return -1;
			break;
		case 'o': o->output = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	return 0;
}

static int load_all(char **paths, size_t n, struct rp_doc *docs)
{
	char err[512];
	for (size_t i = 0; i < n; i++) {
		if (rp_doc_load(&docs[i], paths[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "tmreport: %s\n", err);
			for (size_t j = 0; j < i; j++)
				rp_doc_free(&docs[j]);
			return -1;
		}
	}
	return 0;
}

static int cmd_table(int argc, char **argv, struct opts *o)
{
	if (parse(argc, argv, o) < 0)
		return 2;
	if (argc - optind != 1) {
		fprintf(stderr, "tmreport: expected one summary file\n");
		usage(stderr);
		return 2;
	}
	struct rp_doc d;
	if (load_all(argv + optind, 1, &d) < 0)
		return 2;
	int ret = rp_table_print(&d, &o->t, stdout) < 0 ? 2 : 0;
	rp_doc_free(&d);
	return ret;
}

static int failing(const struct rp_diff *d, unsigned what)
{
	for (size_t i = 0; i < d->nrows; i++) {
		const struct rp_row *w = &d->rows[i];
		if ((what & (FAIL_SLOWER | FAIL_ANY)) && w->verdict == RP_SLOWER)
			return 1;
		if ((what & (FAIL_ERRORS | FAIL_ANY)) && w->errv == RP_E_MORE)
			return 1;
		if ((what & FAIL_ANY) && (w->verdict != RP_SAME || w->errv != RP_E_SAME))
			return 1;
	}
	return 0;
}

/* diff: BASE NEW, or BASE... -- NEW... (the "--" split before getopt
 * sees it: options may come anywhere before it). */
static int cmd_diff(int argc, char **argv, struct opts *o)
{
	int split = -1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	if (parse(split >= 0 ? split : argc, argv, o) < 0)
		return 2;
	char **files = argv + optind, **newf;
	size_t nb, nn;
	if (split >= 0) {
		nb = (size_t)(split - optind);
		newf = argv + split + 1;
		nn = (size_t)(argc - split - 1);
	} else {
		nb = nn = (size_t)(argc - optind) == 2 ? 1 : 0;
		newf = files + 1;
	}
	if (!nb || !nn) {
		fprintf(stderr, "tmreport diff: expected BASE.json NEW.json, or BASE.json... -- "
				"NEW.json...\n");
		return 2;
	}
	struct rp_doc *docs = calloc(nb + nn, sizeof(*docs));
	if (!docs || load_all(files, nb, docs) < 0 || load_all(newf, nn, docs + nb) < 0) {
		if (docs)
			for (size_t i = 0; i < nb; i++)
				rp_doc_free(&docs[i]);
		free(docs);
		return 2;
	}
	struct rp_diff d;
	int ret = 2;
	if (rp_diff_build(docs, nb, docs + nb, nn, &o->d, &d) == 0) {
		rp_diff_print(&d, &o->d, stdout);
		ret = o->fail_on && failing(&d, o->fail_on) ? 1 : 0;
	} else {
		fprintf(stderr, "tmreport diff: out of memory\n");
	}
	rp_diff_free(&d);
	for (size_t i = 0; i < nb + nn; i++)
		rp_doc_free(&docs[i]);
	free(docs);
	return ret;
}

static int cmd_html(int argc, char **argv, struct opts *o)
{
	if (parse(argc, argv, o) < 0)
		return 2;
	int n = argc - optind;
	if (n < 1 || n > 2 || !o->output) {
		fprintf(stderr, "tmreport html: expected SUMMARY.json [BASE.json] -o FILE\n");
		return 2;
	}
	struct rp_doc d[2];
	if (load_all(argv + optind, (size_t)n, d) < 0)
		return 2;
	struct rp_diff diff = {0};
	int ret = 2, have = n == 2;
	if (have && rp_diff_build(&d[1], 1, &d[0], 1, &o->d, &diff) < 0) {
		fprintf(stderr, "tmreport html: out of memory\n");
		goto out;
	}
	FILE *f = strcmp(o->output, "-") == 0 ? stdout : fopen(o->output, "w");
	if (!f) {
		perror("tmreport html: -o");
		goto out;
	}
	int bad = rp_html_write(&d[0], have ? &diff : NULL, &o->d, f) < 0;
	bad |= ferror(f) != 0;
	bad |= f != stdout ? fclose(f) != 0 : fflush(f) != 0;
	if (bad)
		fprintf(stderr, "tmreport html: cannot write %s\n", o->output);
	else
		ret = o->fail_on && have && failing(&diff, o->fail_on) ? 1 : 0;
out:
	rp_diff_free(&diff);
	for (int i = 0; i < n; i++)
		rp_doc_free(&d[i]);
	return ret;
}

/* folded [--folded-weight self|calls] SUMMARY, or --diff A B */
static int cmd_folded(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"folded-weight", required_argument, NULL, 'w'},
		{"diff", no_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	int by_calls = 0, diff = 0;
	(void)o;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
		if (c == 'd') {
			diff = 1;
		} else if (c == 'w' &&
			   (strcmp(optarg, "calls") == 0 || strcmp(optarg, "self") == 0)) {
			by_calls = strcmp(optarg, "calls") == 0;
		} else {
			fprintf(stderr, "tmreport folded: --folded-weight self|calls, --diff\n");
			return 2;
		}
	}
	size_t n = (size_t)(argc - optind);
	if (n != (diff ? 2u : 1u)) {
		fprintf(stderr,
			"tmreport folded: expected SUMMARY.json, or --diff A.json B.json\n");
		return 2;
	}
	struct rp_doc d[2];
	if (load_all(argv + optind, n, d) < 0)
		return 2;
	int ret = rp_folded_print(d, n, by_calls, stdout) < 0 ? 2 : 0;
	for (size_t i = 0; i < n; i++)
		rp_doc_free(&d[i]);
	return ret;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv, struct opts *o);
} cmds[] = {
	{"folded", cmd_folded},
	{"diff", cmd_diff},
	{"html", cmd_html},
};

int main(int argc, char **argv)
{
	struct opts o = {
		.t = {.sort = RP_C_TOTAL},
		.d = {.alpha = 0.01,
		      .lat_rel = 0.10,
		      .lat_abs_ns = 1000,
		      .err_rel = 0.10,
		      .err_abs = 0.001},
	};
	if (argc >= 2)
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(argv[1], cmds[i].name) == 0)
				return cmds[i].run(argc - 1, argv + 1, &o);
	return cmd_table(argc, argv, &o);
}
