/* SPDX-License-Identifier: MIT */
/* Symbolic names of error codes: errno (ENOENT), SQLite result codes
 * (SQLITE_BUSY, extended ones such as SQLITE_CONSTRAINT_UNIQUE), plain
 * numbers otherwise. */
#include <stdio.h>
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
