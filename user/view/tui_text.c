// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "tui_text.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "format.h"
#include "textsafe.h"

/* One character of the n >= 1 bytes at s: its length in bytes (>= 1) and
 * its display width; width 1 with *bad set for anything shown as '?' (what
 * textsafe.h calls unsafe, and what wcwidth() cannot measure). */
static size_t next_char(const unsigned char *s, size_t n, bool utf8, int *width, bool *bad)
{
	uint32_t cp;
	size_t len;
	int w;

	*width = 1;
	if (!utf8 && s[0] >= 0x80) {
		*bad = true; /* a non-UTF-8 terminal would show several cells */
		return 1;
	}
	len = text_utf8_next(s, n, &cp);
	*bad = text_cp_unsafe(cp);
	if (*bad || cp < 0x80)
		return len;
	w = wcwidth((wchar_t)cp);
	if (w <= 0) {
		/* zero-width characters would make the cell narrower than measured */
		*bad = true;
		return len;
	}
	*width = w;
	return len;
}

int tt_fit(char *out, size_t outsz, const char *in, int cols, bool right_align, bool utf8)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t o = 0, left = strlen((const char *)s);
	int used = 0, w;
	bool bad;

	if (!outsz)
		return 0;
	if (cols < 0)
		cols = 0;
	while (left) {
		size_t n = next_char(s, left, utf8, &w, &bad);
		size_t bytes = bad ? 1 : n;

		if (used + w > cols || o + bytes + 1 > outsz)
			break;
		if (bad)
			out[o] = '?';
		else
			memcpy(out + o, s, n);
		o += bytes;
		used += w;
		s += n;
		left -= n;
	}
	out[o] = '\0';
	if (used < cols) {
		size_t pad = (size_t)(cols - used);
		if (o + pad + 1 > outsz)
			pad = outsz - o - 1;
		if (right_align) {
			memmove(out + pad, out, o + 1);
			memset(out, ' ', pad);
		} else {
			memset(out + o, ' ', pad);
			out[o + pad] = '\0';
		}
	}
	return used;
}

int tt_width(const char *in, bool utf8)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t left = strlen((const char *)s), n;
	int used = 0, w;
	bool bad;

	while (left) {
		n = next_char(s, left, utf8, &w, &bad);
		s += n;
		left -= n;
		used += w;
	}
	return used;
}

bool tt_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return true;
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

char *tt_elapsed(char *buf, size_t len, double secs)
{
	double s = secs > 0 ? secs : 0;

	if (s < 60)
		snprintf(buf, len, "%.1fs", floor(s * 10) / 10);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else if (s < 86400)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	else
		snprintf(buf, len, "%dd%02dh", (int)(s / 86400), (int)fmod(s / 3600, 24));
	return buf;
}

char *tt_signed_bytes(char *buf, size_t len, double bytes)
{
	char b[16];

	if (fabs(bytes) < 0.5) {
		snprintf(buf, len, "0");
		return buf;
	}
	fmt_bytes(b, sizeof(b), bytes);
	snprintf(buf, len, "%s%s", bytes > 0 ? "+" : "", b);
	return buf;
}

char *tt_pct(char *buf, size_t len, double pct)
{
	snprintf(buf, len, pct < 999.95 ? "%.1f" : "%.0f", pct > 0 ? pct : 0);
	return buf;
}

char *tt_ns(char *buf, size_t len, double ns)
{
	if (ns >= 99.95e6 && ns < 999.5e6)
		snprintf(buf, len, "%.0fms", ns / 1e6);
	else
		fmt_ns(buf, len, ns);
	return buf;
}
