/* SPDX-License-Identifier: MIT */
/* The HTML page's parts shared between html.c (the page and its tables)
 * and html_charts.c (the chart sections). */
#ifndef TM_REPORT_HTML_H
#define TM_REPORT_HTML_H

#include <stdio.h>

#include "report.h"

/* Functions drawn one by one (histogram, series): the most time first. */
#define RP_HTML_CHARTED 24

void h_text(FILE *f, const char *s); /* escaped; NULL: nothing */
void h_ns(FILE *f, double ns);
void h_diff_row(FILE *f, const struct rp_row *w);
void h_category_chart(FILE *f, const struct rp_doc *d);
void h_process_charts(FILE *f, const struct rp_doc *d);
void h_latency_section(FILE *f, const struct rp_doc *d);
void h_series_section(FILE *f, const struct rp_doc *d);

#endif
