/* SPDX-License-Identifier: MIT */
/* The outputs that read the model: Prometheus exposition, the HTTP server,
 * the per-interval streams (JSON lines, CSV). */
#ifndef TM_OUT_H
#define TM_OUT_H

#include <stddef.h>
#include <stdint.h>

#ifndef TM_VERSION
#define TM_VERSION "0.5.0"
#endif

struct tm_coll;

/* prom.c: the exposition (malloc'd, *len bytes), or NULL */
char *tm_prom_render(const struct tm_coll *c, int openmetrics, size_t *len);
#define TM_PROM_CTYPE "text/plain; version=0.0.4; charset=utf-8"
#define TM_OM_CTYPE   "application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif
