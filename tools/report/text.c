/* SPDX-License-Identifier: MIT */
/* Text out of a summary, escaped for where it goes. Strings from jansson
 * are valid UTF-8 without NUL, but may hold any control character (a
 * function name is bytes: docs/SUMMARY.md, "Names are bytes"). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* Length of the UTF-8 sequence at s and its code point (jansson checked
 * the encoding; a stray byte is taken as one character anyway). */
static size_t seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
	uint32_t v = len == 1 ? b : b & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = b;
			return 1;
		}
		v = v << 6 | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

static int is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

size_t rp_term(char *out, size_t len, const char *s, size_t cols)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, shown = 0;
	if (!len)
		return 0;
	for (size_t i = 0; u[i];) {
		uint32_t cp;
		size_t k = seq(u + i, &cp);
		int esc = is_control(cp);
		size_t need = esc ? 4 * k : k, width = esc ? 4 * k : 1;
		if (o + need >= len || shown + width > cols)
			break;
		if (esc)
			for (size_t j = 0; j < k; j++, o += 4)
				snprintf(out + o, 5, "\\x%02x", u[i + j]);
		else {
			memcpy(out + o, u + i, k);
			o += k;
		}
		i += k;
		shown += width;
	}
	out[o] = '\0';
	return shown;
}

void rp_html(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	for (size_t i = 0; u[i];) {
		uint32_t cp;
		size_t k = seq(u + i, &cp);
		if (is_control(cp) && cp != '\n' && cp != '\t') {
			for (size_t j = 0; j < k; j++)
				fprintf(f, "\\x%02x", u[i + j]);
		} else if (cp == '&') {
			fputs("&amp;", f);
		} else if (cp == '<') {
			fputs("&lt;", f);
		} else if (cp == '>') {
			fputs("&gt;", f);
		} else if (cp == '"') {
			fputs("&quot;", f);
		} else if (cp == '\'') {
			fputs("&#39;", f);
		} else {
			fwrite(u + i, 1, k, f);
		}
		i += k;
	}
}

void rp_csv(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	int quote = strpbrk((const char *)u, ",\"") != NULL;
	if (quote)
		fputc('"', f);
	for (size_t i = 0; u[i];) {
		uint32_t cp;
		size_t k = seq(u + i, &cp);
		if (is_control(cp))
			for (size_t j = 0; j < k; j++)
				fprintf(f, "\\x%02x", u[i + j]);
		else if (cp == '"')
			fputs("\"\"", f);
		else
			fwrite(u + i, 1, k, f);
		i += k;
	}
	if (quote)
		fputc('"', f);
}

/* As tmrun's table prints durations. */
void rp_fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

void rp_fmt_count(char *buf, size_t len, double n)
{
	if (n < 1e4)
		snprintf(buf, len, "%.0f", n);
	else if (n < 1e6)
		snprintf(buf, len, "%.1fk", n / 1e3);
	else if (n < 1e9)
		snprintf(buf, len, "%.2fM", n / 1e6);
	else
		snprintf(buf, len, "%.2fG", n / 1e9);
}
