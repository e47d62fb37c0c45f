/* SPDX-License-Identifier: MIT */
/* Inline SVG charts for the HTML page, drawn here in C: no script, no
 * font or style from anywhere else, every text escaped. Each chart scales
 * to its container (viewBox, width 100%). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define W  480
#define H  200
#define ML 58 /* margins: left (labels), right, top, bottom */
#define MR 12
#define MT 12
#define MB 34

static void open_svg(FILE *f, const char *id, const char *kind, const char *label, int h)
{
	fprintf(f,
		"<svg id=\"%s\" data-chart=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		id, kind, W, h);
	rp_html(f, label);
	fprintf(f, "\" preserveAspectRatio=\"xMidYMid meet\">\n");
	fprintf(f, "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/>\n", W, h);
}

static void text(FILE *f, double x, double y, const char *anchor, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	rp_html(f, s);
	fputs("</text>\n", f);
}

static void nothing(FILE *f, int h, const char *what)
{
	text(f, W / 2.0, h / 2.0, "middle", what);
	fputs("</svg>\n", f);
}

/* A round axis top at or above v: 1, 2 or 5 times a power of ten. */
static double nice(double v)
{
	if (!(v > 0))
		return 1;
	double p = pow(10, floor(log10(v)));
	return v <= p ? p : v <= 2 * p ? 2 * p : v <= 5 * p ? 5 * p : 10 * p;
}

/* Axis labels: three significant digits at most (250us, 1.5ms). */
static void fmt_short_ns(char *b, size_t n, double v)
{
	static const char *const unit[] = {"ns", "us", "ms", "s"};
	unsigned u = 0;
	while (u < 3 && v >= 1000) {
		v /= 1000;
		u++;
	}
	snprintf(b, n, "%.3g%s", v, unit[u]);
}

static void fmt_axis(char *b, size_t n, double v, int ns, int pct)
{
	if (ns)
		fmt_short_ns(b, n, v);
	else if (pct)
		snprintf(b, n, "%g%%", v * 100);
	else
		rp_fmt_count(b, n, v);
}

/* y grid and labels from 0 to top, 4 steps */
static void y_axis(FILE *f, double top, int h, int ns, int pct)
{
	for (int i = 0; i <= 4; i++) {
		double y = h - MB - (double)i / 4 * (h - MB - MT);
		char b[24];
		fmt_axis(b, sizeof(b), top * i / 4, ns, pct);
		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
			ML, y, W - MR, y);
		text(f, ML - 6, y + 4, "end", b);
	}
}

/* Buckets regrouped into at most 64 columns of equal width in log(value). */
void rp_svg_histogram(FILE *f, const char *id, const struct rp_bin *b, size_t n)
{
	enum { COLS = 64 };
	open_svg(f, id, "histogram", "latency histogram, log scale", H);
	if (!n) {
		nothing(f, H, "no timed calls");
		return;
	}
	double lo = log10(fmax(1, (double)b[0].v * 0.99)), hi = log10((double)b[n - 1].v * 1.01);
	lo = floor(lo * 4) / 4;
	hi = fmax(ceil(hi * 4) / 4, lo + 0.25);
	double col[COLS] = {0}, top = 0;
	for (size_t i = 0; i < n; i++) {
		double x = (log10(fmax(1, (double)b[i].v)) - lo) / (hi - lo);
		int c = (int)(x * COLS);
		col[c < 0 ? 0 : c >= COLS ? COLS - 1 : c] += (double)b[i].n;
	}
	for (int c = 0; c < COLS; c++)
		top = fmax(top, col[c]);
	top = nice(top);
	y_axis(f, top, H, 0, 0);
	double pw = (double)(W - ML - MR) / COLS, ph = H - MB - MT;
	for (int c = 0; c < COLS; c++) {
		if (!col[c])
			continue;
		double hgt = fmax(1, col[c] / top * ph);
		fprintf(f,
			"<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			"<title>%.0f calls</title></rect>\n",
			ML + c * pw, H - MB - hgt, fmax(1, pw - 1), hgt, col[c]);
	}
	/* x: powers of ten (and 2, 5 between them when the range is short) */
	for (double e = floor(lo); e <= hi; e++)
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
			double v = log10(m) + e;
			if (v < lo || v > hi || (m > 1 && hi - lo > 3))
				continue;
			double x = ML + (v - lo) / (hi - lo) * (W - ML - MR);
			char lab[16];
			fmt_short_ns(lab, sizeof(lab), pow(10, v));
			fprintf(f,
				"<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				"y2=\"%d\"/>\n",
				x, H - MB, x, H - MB + 4);
			text(f, x, H - MB + 16, "middle", lab);
		}
	text(f, W - MR, H - 4, "end", "duration (log scale)");
	fputs("</svg>\n", f);
}

/* A line over evenly spaced points; y < 0 is a gap. */
void rp_svg_series(FILE *f, const char *id, const char *what, const struct rp_point *p, size_t n,
		   double xstep_s, int ns_axis, int pct_axis)
{
	open_svg(f, id, "series", what, H);
	double top = 0;
	size_t have = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].y >= 0) {
			top = fmax(top, p[i].y);
			have++;
		}
	if (!have) {
		nothing(f, H, "no points");
		return;
	}
	top = pct_axis && top <= 1 ? (top > 0 ? fmin(1, nice(top)) : 0.01) : nice(top);
	y_axis(f, top, H, ns_axis, pct_axis);
	double span = n > 1 ? (double)(n - 1) : 1, pw = W - ML - MR, ph = H - MB - MT;
	int open = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i].y < 0) {
			if (open)
				fputs("\"/>\n", f);
			open = 0;
			continue;
		}
		double x = ML + (double)i / span * pw, y = H - MB - p[i].y / top * ph;
		if (!open)
			fputs("<polyline class=\"line\" points=\"", f);
		fprintf(f, "%.1f,%.1f ", x, y);
		open = 1;
	}
	if (open)
		fputs("\"/>\n", f);
	if (have == 1) /* a single point has no line: a dot */
		for (size_t i = 0; i < n; i++)
			if (p[i].y >= 0)
				fprintf(f,
					"<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n",
					ML + (double)i / span * pw, H - MB - p[i].y / top * ph);
	for (int i = 0; i <= 4; i++) {
		char lab[24];
		double s = (double)i / 4 * span * xstep_s;
		snprintf(lab, sizeof(lab), s >= 120 ? "%.0f min" : "%.0f s", s >= 120 ? s / 60 : s);
		text(f, ML + i / 4.0 * pw, H - MB + 16,
		     i == 0   ? "start"
		     : i == 4 ? "end"
			      : "middle",
		     lab);
	}
	fputs("</svg>\n", f);
}

/* Horizontal bars, one per label. */
void rp_svg_bars(FILE *f, const char *id, const char *const *labels, const double *v, size_t n,
		 const char *unit)
{
	int h = MT + 8 + (int)(n ? n : 1) * 22 + 8;
	open_svg(f, id, "bars", unit, h);
	double top = 0;
	for (size_t i = 0; i < n; i++)
		top = fmax(top, v[i]);
	if (!n || !(top > 0)) {
		nothing(f, h, "nothing measured");
		return;
	}
	int lw = 170; /* label column */
	for (size_t i = 0; i < n; i++) {
		double y = MT + 8 + (double)i * 22, len = v[i] / top * (W - lw - 90);
		char shown[4 * 32 + 1], val[24];
		rp_term(shown, sizeof(shown), labels[i], 22);
		if (strcmp(unit, "bytes") == 0)
			snprintf(val, sizeof(val), "%.1f MiB", v[i] / 1048576);
		else if (strcmp(unit, "cpu seconds") == 0)
			snprintf(val, sizeof(val), "%.2f s", v[i]);
		else
			rp_fmt_count(val, sizeof(val), v[i]);
		text(f, lw - 8, y + 14, "end", shown);
		fprintf(f,
			"<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\"/>\n",
			lw, y, fmax(1, len));
		text(f, lw + fmax(1, len) + 6, y + 13, "start", val);
	}
	fputs("</svg>\n", f);
}

/* Alerts on the session's time axis: one row per episode, a bar from its
 * start to its end (or to the end of the session while it fires). */
void rp_svg_timeline(FILE *f, const char *id, const struct rp_doc *d)
{
	size_t rows = d->nalerts < 40 ? d->nalerts : 40;
	int h = MT + (int)(rows ? rows : 1) * 20 + MB;
	open_svg(f, id, "timeline", "alert timeline", h);
	uint64_t t0 = d->start_real_ns, t1 = t0 + d->duration_ns;
	for (size_t i = 0; i < d->nalerts; i++) {
		if (d->alerts[i].starts_ns && (!t0 || d->alerts[i].starts_ns < t0))
			t0 = d->alerts[i].starts_ns;
		t1 = d->alerts[i].ends_ns > t1 ? d->alerts[i].ends_ns : t1;
	}
	if (!rows || t1 <= t0) {
		nothing(f, h, rows ? "no time axis in the summary" : "no alerts");
		return;
	}
	int lw = 150;
	double pw = W - lw - MR, span = (double)(t1 - t0);
	for (size_t i = 0; i < rows; i++) {
		const struct rp_alert *a = &d->alerts[i];
		uint64_t s = a->starts_ns ? a->starts_ns : t0, e = a->ends_ns ? a->ends_ns : t1;
		double x = lw + (double)(s - t0) / span * pw;
		double len = e > s ? (double)(e - s) / span * pw : 2;
		double y = MT + (double)i * 20;
		char lab[4 * 40 + 1];
		rp_term(lab, sizeof(lab), a->function ? a->function : a->name, 20);
		text(f, lw - 8, y + 13, "end", lab);
		fprintf(f, "<rect class=\"sev-");
		rp_html(f, a->severity ? a->severity : "none");
		fprintf(f, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\"><title>", x, y,
			fmax(2, len));
		rp_html(f, a->summary ? a->summary : a->name);
		fprintf(f, "</title></rect>\n");
	}
	for (int i = 0; i <= 4; i++) {
		char lab[24];
		double sec = span / 1e9 * i / 4;
		snprintf(lab, sizeof(lab), sec >= 120 ? "+%.0f min" : "+%.0f s",
			 sec >= 120 ? sec / 60 : sec);
		text(f, lw + i / 4.0 * pw, h - MB + 16,
		     i == 0   ? "start"
		     : i == 4 ? "end"
			      : "middle",
		     lab);
	}
	fputs("</svg>\n", f);
}
