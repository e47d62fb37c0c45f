/* SPDX-License-Identifier: MIT */
/* The collector's part of a rules file (the same JSON file the shim reads
 * as TM_CONFIG; the shim reads "symbols", the collector the rest):
 *   {"error_categories": {"ENOENT": "invalid_input", "SQLITE_BUSY": "timeout"},
 *    "alerts": [...], "anomaly": {...}, "maintenance": [...], "defaults": {...},
 *    "outcomes": [...], "blocking": {...}}
 * (the health part: health/hrules.c; outcomes and blocking: model/outcome.c).
 * A file the collector does not trust: a regular file of at most 1 MiB,
 * every entry checked, the first bad one named. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "health/health.h"
#include "model/workflow.h"

#define TM_RULES_MAX (1 << 20)

int tm_rules_load(struct tm_coll *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	json_error_t jerr;
	int ret = -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "--rules %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TM_RULES_MAX) {
		snprintf(err, errlen, "--rules %s: not a regular file of at most 1 MiB", path);
		close(fd);
		return -EINVAL;
	}
	json_t *root = json_loadfd(fd, 0, &jerr);
	close(fd);
	if (!root) {
		snprintf(err, errlen, "--rules %s: line %d: %s", path, jerr.line, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "--rules %s: expected a JSON object at the top", path);
		goto out;
	}
	json_t *cats = json_object_get(root, "error_categories");
	if (cats && !json_is_object(cats)) {
		snprintf(err, errlen, "--rules %s: \"error_categories\" must be an object", path);
		goto out;
	}
	const char *name;
	json_t *v;
	json_object_foreach(cats, name, v)
	{
		const char *cat = json_is_string(v) ? json_string_value(v) : "";
		int r = tm_category_set(name, cat);
		if (r < 0) {
			snprintf(err, errlen, "--rules %s: error_categories \"%.48s\": %s", path,
				 name,
				 r == -ENOSPC ? "too many overrides (256)"
				 : tm_category_valid(cat)
					 ? "name too long"
					 : "category must be one of not_found, permission, "
					   "invalid_input, timeout, network, resource, busy, io, "
					   "interrupted, other");
			goto out;
		}
	}
	if (!c->hrules) {
		if (!(c->hrules = calloc(1, sizeof(*c->hrules)))) {
			snprintf(err, errlen, "--rules %s: out of memory", path);
			goto out;
		}
		tm_hrules_defaults(c->hrules);
	}
	tm_hrules_parse(c->hrules, root, path, stderr);
	tm_outc_parse(c, root, path, stderr);
	if (tm_wf_parse(c, root, path, stderr) < 0) {
		snprintf(err, errlen, "--rules %s: out of memory", path);
		goto out;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}
