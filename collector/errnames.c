/* SPDX-License-Identifier: MIT */
/* Symbolic names of error codes: errno (ENOENT), SQLite result codes
 * (SQLITE_BUSY, extended ones such as SQLITE_CONSTRAINT_UNIQUE), zlib
 * (Z_DATA_ERROR), libcurl (CURLE_COULDNT_CONNECT, CURLM_BAD_HANDLE),
 * getaddrinfo (EAI_NONAME), plain numbers otherwise. */
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

/* zlib.h's return codes */
static const struct code_name zlib_codes[] = {
	{0, "Z_OK"},	     {1, "Z_STREAM_END"},    {2, "Z_NEED_DICT"},
	{-1, "Z_ERRNO"},     {-2, "Z_STREAM_ERROR"}, {-3, "Z_DATA_ERROR"},
	{-4, "Z_MEM_ERROR"}, {-5, "Z_BUF_ERROR"},    {-6, "Z_VERSION_ERROR"},
};

/* libcurl's CURLcode (curl/curl.h, libcurl-errors(3)); the numbers curl
 * retired (CURLE_OBSOLETE*) are named as CURLE_<n> */
static const struct code_name curl_codes[] = {
	{0, "CURLE_OK"},
	{1, "CURLE_UNSUPPORTED_PROTOCOL"},
	{2, "CURLE_FAILED_INIT"},
	{3, "CURLE_URL_MALFORMAT"},
	{4, "CURLE_NOT_BUILT_IN"},
	{5, "CURLE_COULDNT_RESOLVE_PROXY"},
	{6, "CURLE_COULDNT_RESOLVE_HOST"},
	{7, "CURLE_COULDNT_CONNECT"},
	{8, "CURLE_WEIRD_SERVER_REPLY"},
	{9, "CURLE_REMOTE_ACCESS_DENIED"},
	{10, "CURLE_FTP_ACCEPT_FAILED"},
	{11, "CURLE_FTP_WEIRD_PASS_REPLY"},
	{12, "CURLE_FTP_ACCEPT_TIMEOUT"},
	{13, "CURLE_FTP_WEIRD_PASV_REPLY"},
	{14, "CURLE_FTP_WEIRD_227_FORMAT"},
	{15, "CURLE_FTP_CANT_GET_HOST"},
	{16, "CURLE_HTTP2"},
	{17, "CURLE_FTP_COULDNT_SET_TYPE"},
	{18, "CURLE_PARTIAL_FILE"},
	{19, "CURLE_FTP_COULDNT_RETR_FILE"},
	{21, "CURLE_QUOTE_ERROR"},
	{22, "CURLE_HTTP_RETURNED_ERROR"},
	{23, "CURLE_WRITE_ERROR"},
	{25, "CURLE_UPLOAD_FAILED"},
	{26, "CURLE_READ_ERROR"},
	{27, "CURLE_OUT_OF_MEMORY"},
	{28, "CURLE_OPERATION_TIMEDOUT"},
	{30, "CURLE_FTP_PORT_FAILED"},
	{31, "CURLE_FTP_COULDNT_USE_REST"},
	{33, "CURLE_RANGE_ERROR"},
	{34, "CURLE_HTTP_POST_ERROR"},
	{35, "CURLE_SSL_CONNECT_ERROR"},
	{36, "CURLE_BAD_DOWNLOAD_RESUME"},
	{37, "CURLE_FILE_COULDNT_READ_FILE"},
	{38, "CURLE_LDAP_CANNOT_BIND"},
	{39, "CURLE_LDAP_SEARCH_FAILED"},
	{41, "CURLE_FUNCTION_NOT_FOUND"},
	{42, "CURLE_ABORTED_BY_CALLBACK"},
	{43, "CURLE_BAD_FUNCTION_ARGUMENT"},
	{45, "CURLE_INTERFACE_FAILED"},
	{47, "CURLE_TOO_MANY_REDIRECTS"},
	{48, "CURLE_UNKNOWN_OPTION"},
	{49, "CURLE_SETOPT_OPTION_SYNTAX"},
	{52, "CURLE_GOT_NOTHING"},
	{53, "CURLE_SSL_ENGINE_NOTFOUND"},
	{54, "CURLE_SSL_ENGINE_SETFAILED"},
	{55, "CURLE_SEND_ERROR"},
	{56, "CURLE_RECV_ERROR"},
	{58, "CURLE_SSL_CERTPROBLEM"},
	{59, "CURLE_SSL_CIPHER"},
	{60, "CURLE_PEER_FAILED_VERIFICATION"},
	{61, "CURLE_BAD_CONTENT_ENCODING"},
	{63, "CURLE_FILESIZE_EXCEEDED"},
	{64, "CURLE_USE_SSL_FAILED"},
	{65, "CURLE_SEND_FAIL_REWIND"},
	{66, "CURLE_SSL_ENGINE_INITFAILED"},
	{67, "CURLE_LOGIN_DENIED"},
	{68, "CURLE_TFTP_NOTFOUND"},
	{69, "CURLE_TFTP_PERM"},
	{70, "CURLE_REMOTE_DISK_FULL"},
	{71, "CURLE_TFTP_ILLEGAL"},
	{72, "CURLE_TFTP_UNKNOWNID"},
	{73, "CURLE_REMOTE_FILE_EXISTS"},
	{74, "CURLE_TFTP_NOSUCHUSER"},
	{77, "CURLE_SSL_CACERT_BADFILE"},
	{78, "CURLE_REMOTE_FILE_NOT_FOUND"},
	{79, "CURLE_SSH"},
	{80, "CURLE_SSL_SHUTDOWN_FAILED"},
	{81, "CURLE_AGAIN"},
	{82, "CURLE_SSL_CRL_BADFILE"},
	{83, "CURLE_SSL_ISSUER_ERROR"},
	{84, "CURLE_FTP_PRET_FAILED"},
	{85, "CURLE_RTSP_CSEQ_ERROR"},
	{86, "CURLE_RTSP_SESSION_ERROR"},
	{87, "CURLE_FTP_BAD_FILE_LIST"},
	{88, "CURLE_CHUNK_FAILED"},
	{89, "CURLE_NO_CONNECTION_AVAILABLE"},
	{90, "CURLE_SSL_PINNEDPUBKEYNOTMATCH"},
	{91, "CURLE_SSL_INVALIDCERTSTATUS"},
	{92, "CURLE_HTTP2_STREAM"},
	{93, "CURLE_RECURSIVE_API_CALL"},
	{94, "CURLE_AUTH_ERROR"},
	{95, "CURLE_HTTP3"},
	{96, "CURLE_QUIC_CONNECT_ERROR"},
	{97, "CURLE_PROXY"},
	{98, "CURLE_SSL_CLIENTCERT"},
	{99, "CURLE_UNRECOVERABLE_POLL"},
	{100, "CURLE_TOO_LARGE"},
	{101, "CURLE_ECH_REQUIRED"},
};

/* libcurl's CURLMcode (curl/multi.h) */
static const struct code_name curlm_codes[] = {
	{-1, "CURLM_CALL_MULTI_PERFORM"},  {0, "CURLM_OK"},
	{1, "CURLM_BAD_HANDLE"},	   {2, "CURLM_BAD_EASY_HANDLE"},
	{3, "CURLM_OUT_OF_MEMORY"},	   {4, "CURLM_INTERNAL_ERROR"},
	{5, "CURLM_BAD_SOCKET"},	   {6, "CURLM_UNKNOWN_OPTION"},
	{7, "CURLM_ADDED_ALREADY"},	   {8, "CURLM_RECURSIVE_API_CALL"},
	{9, "CURLM_WAKEUP_FAILURE"},	   {10, "CURLM_BAD_FUNCTION_ARGUMENT"},
	{11, "CURLM_ABORTED_BY_CALLBACK"}, {12, "CURLM_UNRECOVERABLE_POLL"},
};

/* getaddrinfo and getnameinfo (glibc's netdb.h; the numbers are
 * glibc's, other C libraries number them differently) */
static const struct code_name eai_codes[] = {
	{-1, "EAI_BADFLAGS"},	  {-2, "EAI_NONAME"},	  {-3, "EAI_AGAIN"},
	{-4, "EAI_FAIL"},	  {-5, "EAI_NODATA"},	  {-6, "EAI_FAMILY"},
	{-7, "EAI_SOCKTYPE"},	  {-8, "EAI_SERVICE"},	  {-9, "EAI_ADDRFAMILY"},
	{-10, "EAI_MEMORY"},	  {-11, "EAI_SYSTEM"},	  {-12, "EAI_OVERFLOW"},
	{-100, "EAI_INPROGRESS"}, {-101, "EAI_CANCELED"}, {-102, "EAI_NOTCANCELED"},
	{-103, "EAI_ALLDONE"},	  {-104, "EAI_INTR"},	  {-105, "EAI_IDN_ENCODE"},
};

#define NCODES(t) (sizeof(t) / sizeof((t)[0]))

/* The table of a domain whose names are all listed; its prefix names the
 * codes it does not list (CURLE_20). NULL for errno, SQLite, numbers and
 * values no domain has (a newer shim's, or a hostile segment's). */
static const struct code_name *table_of(unsigned domain, size_t *n, const char **prefix)
{
	switch (domain) {
	case TM_CODES_ZLIB: *n = NCODES(zlib_codes), *prefix = "Z_"; return zlib_codes;
	case TM_CODES_CURL: *n = NCODES(curl_codes), *prefix = "CURLE_"; return curl_codes;
	case TM_CODES_CURLM: *n = NCODES(curlm_codes), *prefix = "CURLM_"; return curlm_codes;
	case TM_CODES_EAI: *n = NCODES(eai_codes), *prefix = "EAI_"; return eai_codes;
	default: return NULL;
	}
}

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
	default: break;
	}
	size_t nt;
	const char *prefix;
	const struct code_name *t = table_of(domain, &nt, &prefix);
	if (t && (n = find(t, nt, code)))
		return n;
	if (t)
		snprintf(buf, len, "%s%d", prefix, (int)code);
	else
		snprintf(buf, len, "%d", (int)code);
	return buf;
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
		return -ENOENT;
	}
	size_t nt = NCODES(sqlite_codes);
	const char *prefix;
	const struct code_name *t =
		domain == TM_CODES_SQLITE ? sqlite_codes : table_of(domain, &nt, &prefix);
	for (size_t i = 0; t && i < nt; i++)
		if (strcmp(t[i].name, name) == 0) {
			*out = t[i].code;
			return 0;
		}
	return -ENOENT;
}

/* Error categories, by symbolic name (docs/SUMMARY.md has the table).
 * SQLite's extended codes fall back to their primary code's category.
 * Names are unique across the domains, so one table serves them all. */
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
	{"CURLE_REMOTE_FILE_NOT_FOUND", "not_found"},
	{"CURLE_TFTP_NOTFOUND", "not_found"},
	{"CURLE_FILE_COULDNT_READ_FILE", "not_found"},
	{"EAI_NONAME", "not_found"},
	{"EAI_NODATA", "not_found"},
	{"EAI_ADDRFAMILY", "not_found"},
	{"CURLE_REMOTE_ACCESS_DENIED", "permission"},
	{"CURLE_LOGIN_DENIED", "permission"},
	{"CURLE_AUTH_ERROR", "permission"},
	{"CURLE_PEER_FAILED_VERIFICATION", "permission"},
	{"CURLE_TFTP_PERM", "permission"},
	{"Z_STREAM_ERROR", "invalid_input"},
	{"Z_DATA_ERROR", "invalid_input"},
	{"Z_NEED_DICT", "invalid_input"},
	{"Z_VERSION_ERROR", "invalid_input"},
	{"CURLE_UNSUPPORTED_PROTOCOL", "invalid_input"},
	{"CURLE_URL_MALFORMAT", "invalid_input"},
	{"CURLE_NOT_BUILT_IN", "invalid_input"},
	{"CURLE_BAD_FUNCTION_ARGUMENT", "invalid_input"},
	{"CURLE_UNKNOWN_OPTION", "invalid_input"},
	{"CURLE_SETOPT_OPTION_SYNTAX", "invalid_input"},
	{"CURLE_BAD_CONTENT_ENCODING", "invalid_input"},
	{"CURLE_RECURSIVE_API_CALL", "invalid_input"},
	{"CURLM_BAD_HANDLE", "invalid_input"},
	{"CURLM_BAD_EASY_HANDLE", "invalid_input"},
	{"CURLM_BAD_SOCKET", "invalid_input"},
	{"CURLM_UNKNOWN_OPTION", "invalid_input"},
	{"CURLM_ADDED_ALREADY", "invalid_input"},
	{"CURLM_RECURSIVE_API_CALL", "invalid_input"},
	{"CURLM_BAD_FUNCTION_ARGUMENT", "invalid_input"},
	{"EAI_BADFLAGS", "invalid_input"},
	{"EAI_FAMILY", "invalid_input"},
	{"EAI_SOCKTYPE", "invalid_input"},
	{"EAI_SERVICE", "invalid_input"},
	{"EAI_OVERFLOW", "invalid_input"},
	{"CURLE_OPERATION_TIMEDOUT", "timeout"},
	{"CURLE_FTP_ACCEPT_TIMEOUT", "timeout"},
	{"CURLE_COULDNT_RESOLVE_PROXY", "network"},
	{"CURLE_COULDNT_RESOLVE_HOST", "network"},
	{"CURLE_COULDNT_CONNECT", "network"},
	{"CURLE_WEIRD_SERVER_REPLY", "network"},
	{"CURLE_HTTP2", "network"},
	{"CURLE_HTTP2_STREAM", "network"},
	{"CURLE_HTTP3", "network"},
	{"CURLE_QUIC_CONNECT_ERROR", "network"},
	{"CURLE_PARTIAL_FILE", "network"},
	{"CURLE_GOT_NOTHING", "network"},
	{"CURLE_SEND_ERROR", "network"},
	{"CURLE_RECV_ERROR", "network"},
	{"CURLE_SSL_CONNECT_ERROR", "network"},
	{"CURLE_PROXY", "network"},
	{"CURLE_NO_CONNECTION_AVAILABLE", "network"},
	{"EAI_AGAIN", "network"},
	{"EAI_FAIL", "network"},
	{"Z_MEM_ERROR", "resource"},
	{"Z_BUF_ERROR", "resource"},
	{"CURLE_OUT_OF_MEMORY", "resource"},
	{"CURLE_FILESIZE_EXCEEDED", "resource"},
	{"CURLE_REMOTE_DISK_FULL", "resource"},
	{"CURLE_TOO_LARGE", "resource"},
	{"CURLM_OUT_OF_MEMORY", "resource"},
	{"EAI_MEMORY", "resource"},
	{"CURLE_AGAIN", "busy"},
	{"Z_ERRNO", "io"},
	{"CURLE_WRITE_ERROR", "io"},
	{"CURLE_READ_ERROR", "io"},
	{"CURLE_ABORTED_BY_CALLBACK", "interrupted"},
	{"CURLM_ABORTED_BY_CALLBACK", "interrupted"},
	{"EAI_INTR", "interrupted"},
	{"EAI_CANCELED", "interrupted"},
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
