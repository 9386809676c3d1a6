// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What of a process's text is safe to show: the decoder, the policy and the
 * widths every output shares (textsafe.h). */
#include "textsafe.h"

#include <string.h>

size_t text_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0], need, lo = 0x80, hi = 0xbf;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/* lead byte: how many continuation bytes, and the narrower range of
	 * the first one that excludes overlongs, surrogates and > U+10FFFF */
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*cp = TEXT_BAD; /* continuation byte, C0, C1, F5..FF */
		return 1;
	}
	for (unsigned i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = TEXT_BAD; /* the valid prefix is one bad subpart */
			return i;
		}
		v = (v << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

bool text_cp_unsafe(uint32_t cp)
{
	return cp == TEXT_BAD || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || /* C0, DEL, C1 */
	       cp == 0x061c || cp == 0x200e || cp == 0x200f ||             /* bidi marks */
	       (cp >= 0x2028 && cp <= 0x202e) ||   /* line/paragraph separators, embeddings, overrides */
	       (cp >= 0x2066 && cp <= 0x2069);     /* bidi isolates */
}

int text_cp_width(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
			       (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
			       (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
			       (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
			       (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd)
		       ? 2
		       : 1;
}

char *text_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t n = strnlen((const char *)s, srclen), i = 0, o = 0;

	if (!dstlen)
		return dst;
	while (i < n) {
		uint32_t cp;
		size_t l = text_utf8_next(s + i, n - i, &cp);
		bool bad = text_cp_unsafe(cp);
		if (o + (bad ? 1 : l) >= dstlen)
			break;
		if (bad)
			dst[o++] = '?';
		else
			memcpy(dst + o, s + i, l), o += l;
		i += l;
	}
	dst[o] = 0;
	return dst;
}
