/* SPDX-License-Identifier: MIT */
/* Symbolic names of error codes: errno (ENOENT), SQLite result codes
 * (SQLITE_BUSY, extended ones such as SQLITE_CONSTRAINT_UNIQUE), plain
 * numbers otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

struct code_name {
	int32_t code;
	const char *name;
};

static const struct code_name sqlite_codes[] = {
	{0, "SQLITE_OK"},
	{1, "SQLITE_ERROR"},
	{2, "SQLITE_INTERNAL"},
	{3, "SQLITE_PERM"},
	{4, "SQLITE_ABORT"},
	{5, "SQLITE_BUSY"},
	{6, "SQLITE_LOCKED"},
	{7, "SQLITE_NOMEM"},
	{8, "SQLITE_READONLY"},
	{9, "SQLITE_INTERRUPT"},
	{10, "SQLITE_IOERR"},
	{11, "SQLITE_CORRUPT"},
	{12, "SQLITE_NOTFOUND"},
	{13, "SQLITE_FULL"},
	{14, "SQLITE_CANTOPEN"},
	{15, "SQLITE_PROTOCOL"},
	{16, "SQLITE_EMPTY"},
	{17, "SQLITE_SCHEMA"},
	{18, "SQLITE_TOOBIG"},
	{19, "SQLITE_CONSTRAINT"},
	{20, "SQLITE_MISMATCH"},
	{21, "SQLITE_MISUSE"},
	{22, "SQLITE_NOLFS"},
	{23, "SQLITE_AUTH"},
	{24, "SQLITE_FORMAT"},
	{25, "SQLITE_RANGE"},
	{26, "SQLITE_NOTADB"},
	{27, "SQLITE_NOTICE"},
	{28, "SQLITE_WARNING"},
	{100, "SQLITE_ROW"},
	{101, "SQLITE_DONE"},
	{261, "SQLITE_BUSY_RECOVERY"},
	{517, "SQLITE_BUSY_SNAPSHOT"},
	{773, "SQLITE_BUSY_TIMEOUT"},
	{262, "SQLITE_LOCKED_SHAREDCACHE"},
	{264, "SQLITE_READONLY_RECOVERY"},
	{266, "SQLITE_IOERR_READ"},
	{522, "SQLITE_IOERR_SHORT_READ"},
	{778, "SQLITE_IOERR_WRITE"},
	{1034, "SQLITE_IOERR_FSYNC"},
	{3338, "SQLITE_IOERR_LOCK"},
	{267, "SQLITE_CORRUPT_VTAB"},
	{270, "SQLITE_CANTOPEN_NOTEMPDIR"},
	{275, "SQLITE_CONSTRAINT_CHECK"},
	{531, "SQLITE_CONSTRAINT_COMMITHOOK"},
	{787, "SQLITE_CONSTRAINT_FOREIGNKEY"},
	{1043, "SQLITE_CONSTRAINT_FUNCTION"},
	{1299, "SQLITE_CONSTRAINT_NOTNULL"},
	{1555, "SQLITE_CONSTRAINT_PRIMARYKEY"},
	{1811, "SQLITE_CONSTRAINT_TRIGGER"},
	{2067, "SQLITE_CONSTRAINT_UNIQUE"},
	{2323, "SQLITE_CONSTRAINT_VTAB"},
	{2579, "SQLITE_CONSTRAINT_ROWID"},
	{3091, "SQLITE_CONSTRAINT_DATATYPE"},
};

static const char *find(const struct code_name *t, size_t n, int32_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

const char *tm_code_name(unsigned domain, int32_t code, char *buf, size_t len)
{
	const char *n = NULL;
	if (code == INT32_MIN) /* accumulator's "did not fit" bucket */
		return "other";
	switch (domain) {
	case TM_CODES_ERRNO:
		n = code > 0 ? strerrorname_np(code) : NULL;
		if (!n) {
			snprintf(buf, len, "errno_%d", (int)code);
			return buf;
		}
		return n;
	case TM_CODES_SQLITE:
		n = find(sqlite_codes, sizeof(sqlite_codes) / sizeof(sqlite_codes[0]), code);
		if (!n) {
			const char *prim = find(sqlite_codes, 29, code & 0xff);
			if (prim)
				snprintf(buf, len, "%s_%d", prim, (int)code);
			else
				snprintf(buf, len, "SQLITE_%d", (int)code);
			return buf;
		}
		return n;
	default: snprintf(buf, len, "%d", (int)code); return buf;
	}
}

/* errno names glibc's strerrorname_np never returns: the other name of
 * the same code. */
static const struct code_name errno_aliases[] = {
	{EWOULDBLOCK, "EWOULDBLOCK"},
	{EDEADLOCK, "EDEADLOCK"},
	{ENOTSUP, "ENOTSUP"},
};

static int decimal(const char *s, int32_t *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < INT32_MIN + 1 || v > INT32_MAX)
		return -ENOENT;
	*out = (int32_t)v;
	return 0;
}

int tm_code_value(unsigned domain, const char *name, int32_t *out)
{
	if (decimal(name, out) == 0)
		return 0;
	if (domain == TM_CODES_ERRNO) {
		for (size_t i = 0; i < sizeof(errno_aliases) / sizeof(errno_aliases[0]); i++)
			if (strcmp(errno_aliases[i].name, name) == 0) {
				*out = errno_aliases[i].code;
				return 0;
			}
		for (int32_t c = 1; c < 4096; c++) {
			const char *n = strerrorname_np(c);
			if (n && strcmp(n, name) == 0) {
				*out = c;
				return 0;
			}
		}
	} else if (domain == TM_CODES_SQLITE) {
		for (size_t i = 0; i < sizeof(sqlite_codes) / sizeof(sqlite_codes[0]); i++)
			if (strcmp(sqlite_codes[i].name, name) == 0) {
				*out = sqlite_codes[i].code;
				return 0;
			}
	}
	return -ENOENT;
}

/* Error categories, by symbolic name (docs/SUMMARY.md has the table).
 * SQLite's extended codes fall back to their primary code's category. */
struct name_cat {
	const char *name;
	const char *cat;
};

static const struct name_cat categories[] = {
	{"ENOENT", "not_found"},
	{"ENOTDIR", "not_found"},
	{"ENXIO", "not_found"},
	{"ESRCH", "not_found"},
	{"ENODEV", "not_found"},
	{"ENOTSOCK", "invalid_input"},
	{"EACCES", "permission"},
	{"EPERM", "permission"},
	{"EROFS", "permission"},
	{"EINVAL", "invalid_input"},
	{"EBADF", "invalid_input"},
	{"EFAULT", "invalid_input"},
	{"ENAMETOOLONG", "invalid_input"},
	{"EISDIR", "invalid_input"},
	{"ERANGE", "invalid_input"},
	{"EDOM", "invalid_input"},
	{"EEXIST", "invalid_input"},
	{"ENOTEMPTY", "invalid_input"},
	{"ENOTTY", "invalid_input"},
	{"ESPIPE", "invalid_input"},
	{"EILSEQ", "invalid_input"},
	{"EOVERFLOW", "invalid_input"},
	{"E2BIG", "invalid_input"},
	{"ENOSYS", "invalid_input"},
	{"EOPNOTSUPP", "invalid_input"},
	{"ETIMEDOUT", "timeout"},
	{"ETIME", "timeout"},
	{"ECONNREFUSED", "network"},
	{"ECONNRESET", "network"},
	{"ECONNABORTED", "network"},
	{"ENETDOWN", "network"},
	{"ENETUNREACH", "network"},
	{"ENETRESET", "network"},
	{"EHOSTUNREACH", "network"},
	{"EHOSTDOWN", "network"},
	{"EPIPE", "network"},
	{"ENOTCONN", "network"},
	{"EADDRINUSE", "network"},
	{"EADDRNOTAVAIL", "network"},
	{"EAFNOSUPPORT", "network"},
	{"EPROTO", "network"},
	{"EISCONN", "network"},
	{"EMSGSIZE", "network"},
	{"ENOMEM", "resource"},
	{"EMFILE", "resource"},
	{"ENFILE", "resource"},
	{"ENOSPC", "resource"},
	{"EDQUOT", "resource"},
	{"ENOBUFS", "resource"},
	{"EFBIG", "resource"},
	{"EMLINK", "resource"},
	{"EAGAIN", "busy"},
	{"EBUSY", "busy"},
	{"EALREADY", "busy"},
	{"EINPROGRESS", "busy"},
	{"EDEADLK", "busy"},
	{"ETXTBSY", "busy"},
	{"EIO", "io"},
	{"EREMOTEIO", "io"},
	{"ENOLCK", "io"},
	{"EINTR", "interrupted"},
	{"ECANCELED", "interrupted"},
	{"SQLITE_BUSY", "busy"},
	{"SQLITE_LOCKED", "busy"},
	{"SQLITE_FULL", "resource"},
	{"SQLITE_NOMEM", "resource"},
	{"SQLITE_TOOBIG", "resource"},
	{"SQLITE_PERM", "permission"},
	{"SQLITE_AUTH", "permission"},
	{"SQLITE_READONLY", "permission"},
	{"SQLITE_NOTFOUND", "not_found"},
	{"SQLITE_CANTOPEN", "not_found"},
	{"SQLITE_IOERR", "io"},
	{"SQLITE_CORRUPT", "io"},
	{"SQLITE_NOTADB", "io"},
	{"SQLITE_INTERRUPT", "interrupted"},
	{"SQLITE_ABORT", "interrupted"},
	{"SQLITE_CONSTRAINT", "invalid_input"},
	{"SQLITE_MISMATCH", "invalid_input"},
	{"SQLITE_MISUSE", "invalid_input"},
	{"SQLITE_RANGE", "invalid_input"},
	{"SQLITE_FORMAT", "invalid_input"},
	{"SQLITE_SCHEMA", "invalid_input"},
	{"SQLITE_ERROR", "other"},
};

static const char *const category_names[] = {
	"not_found", "permission", "invalid_input", "timeout", "network", "resource",
	"busy",	     "io",	   "interrupted",   "other",
};

/* User overrides (tm_category_set), looked up first. Set before any
 * thread reads them. */
#define TM_CAT_OVERRIDES 256
static struct {
	char name[48];
	const char *cat;
} overrides[TM_CAT_OVERRIDES];
static size_t noverrides;

const char *tm_category_valid(const char *cat)
{
	for (size_t i = 0; i < sizeof(category_names) / sizeof(category_names[0]); i++)
		if (strcmp(cat, category_names[i]) == 0)
			return category_names[i];
	return NULL;
}

int tm_category_set(const char *name, const char *cat)
{
	const char *c = tm_category_valid(cat);
	if (!c || strlen(name) >= sizeof(overrides[0].name))
		return -EINVAL;
	for (size_t i = 0; i < noverrides; i++)
		if (strcmp(overrides[i].name, name) == 0) {
			overrides[i].cat = c;
			return 0;
		}
	if (noverrides == TM_CAT_OVERRIDES)
		return -ENOSPC;
	snprintf(overrides[noverrides].name, sizeof(overrides[0].name), "%s", name);
	overrides[noverrides++].cat = c;
	return 0;
}

const char *tm_code_category(const char *name)
{
	for (size_t i = 0; i < noverrides; i++)
		if (strcmp(overrides[i].name, name) == 0)
			return overrides[i].cat;
	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
		if (strcmp(categories[i].name, name) == 0)
			return categories[i].cat;
	/* SQLITE_BUSY_SNAPSHOT -> SQLITE_BUSY */
	if (strncmp(name, "SQLITE_", 7) == 0) {
		const char *u = strchr(name + 7, '_');
		if (u) {
			char prim[48];
			size_t n = (size_t)(u - name);
			if (n < sizeof(prim)) {
				memcpy(prim, name, n);
				prim[n] = '\0';
				return tm_code_category(prim);
			}
		}
	}
	return "other";
}
