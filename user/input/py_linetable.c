// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TEMPORARY stand-in: 3.11+ location tables only */
#include "py_linetable.h"
static unsigned varint(const unsigned char *t, size_t len, size_t *i)
{
	unsigned v = 0, shift = 0;
	while (*i < len && shift < 32) {
		unsigned char b = t[(*i)++];
		v |= (unsigned)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	return v;
}
unsigned py_linetable_line(enum py_linetable_kind kind, const unsigned char *t, size_t len, int first, unsigned offset)
{
	size_t i = 0;
	long line = first;
	unsigned addr = 0, target = offset / 2;
	if (kind != PY_LT_LOCATIONS)
		return 0;
	while (i < len) {
		unsigned char b = t[i++];
		unsigned code = (b >> 3) & 15, n = (b & 7) + 1;
		int has = 1;
		if (code == 15) has = 0;
		else if (code == 14 || code == 13) {
			unsigned u = varint(t, len, &i);
			line += (u & 1) ? -(long)(u >> 1) : (long)(u >> 1);
			if (code == 14) { varint(t, len, &i); varint(t, len, &i); varint(t, len, &i); }
		} else if (code >= 10) { line += code - 10; i += 2; }
		else i += 1;
		if (target < addr + n)
			return has && line > 0 ? (unsigned)line : 0;
		addr += n;
	}
	return 0;
}
