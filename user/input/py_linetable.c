// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Three formats, two walks: each table is a run of bytecode ranges in
 * offset order with line deltas accumulated from co_firstlineno, and the
 * answer is the line of the range holding the offset.  3.8/3.9's lnotab
 * has no range ends and no "no line"; 3.10's pairs and 3.11+'s location
 * entries are one range walk (range_next) over two encodings.
 *
 * The bytes come from another process and may be anything.  Lines are
 * carried in 64 bits and clamped, so no sum of hostile deltas overflows;
 * varint chunks past 36 bits are dropped (CPython's own never reach 32);
 * a range whose bytes are cut short or malformed ends the walk with 0
 * rather than a guess.
 */
#include "py_linetable.h"

#include <limits.h>
#include <stdbool.h>

/* |line| stays below this whatever the deltas: no int64 overflow, and far
 * past INT_MAX, so a clamped line is never mistaken for a real one */
#define LINE_CLAMP (1LL << 40)
#define VARINT_BITS 36

static long long line_add(long long line, long long delta)
{
	line += delta;
	if (line > LINE_CLAMP)
		return LINE_CLAMP;
	if (line < -LINE_CLAMP)
		return -LINE_CLAMP;
	return line;
}

/* a real line is 1 .. INT_MAX (co_firstlineno is an int); anything else
 * came from a table that is not CPython's */
static unsigned line_answer(long long line)
{
	return line >= 1 && line <= INT_MAX ? (unsigned)line : 0;
}

/* 3.8, 3.9 co_lnotab: (address increment, signed line increment) pairs; a
 * line lasts until the next pair's address, the last one forever.  An
 * increment of either kind may be split over several pairs, hence "the
 * first pair whose address passes the offset" rather than an exact match. */
static unsigned lnotab_line(const unsigned char *tab, size_t len, long long line, unsigned offset)
{
	unsigned long long addr = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += tab[i];
		if (addr > offset)
			break;
		line = line_add(line, (signed char)tab[i + 1]);
	}
	return line_answer(line);
}

/* The 3.10+ tables are both runs of ranges in offset order, each with a
 * line delta or "no line" (which leaves the line the next delta starts from
 * as it was); one walk over them, whatever the encoding. */
struct range_walk {
	long long line;
	unsigned long long start;
	unsigned offset;
	unsigned answer;
};

/* the next range, `len` bytes long: true when it holds the offset, whose
 * line is then w->answer */
static bool range_next(struct range_walk *w, unsigned long long len, long long delta, bool none)
{
	unsigned long long end = w->start + len;

	if (!none)
		w->line = line_add(w->line, delta);
	if (w->offset < end) {
		w->answer = none ? 0 : line_answer(w->line);
		return true;
	}
	w->start = end;
	return false;
}

/* 3.10 co_linetable: (range length in bytes, signed line delta) pairs, the
 * delta -128 meaning "no line".  A zero-length range holds no offset. */
static unsigned linetable_line(const unsigned char *tab, size_t len, long long line, unsigned offset)
{
	struct range_walk w = { .line = line, .offset = offset };

	for (size_t i = 0; i + 1 < len; i += 2) {
		signed char delta = (signed char)tab[i + 1];

		if (range_next(&w, tab[i], delta, delta == -128))
			return w.answer;
	}
	return 0;
}

/* Entry bytes after the first one never have bit 7 set: a byte that does is
 * the next entry's start, so a field running into it is cut short. */
static bool entry_byte(const unsigned char *tab, size_t len, size_t *i, unsigned char *b)
{
	if (*i >= len || (tab[*i] & 0x80))
		return false;
	*b = tab[(*i)++];
	return true;
}

/* varint: 6-bit chunks, least significant first, bit 6 = another follows */
static bool read_varint(const unsigned char *tab, size_t len, size_t *i, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned shift = 0;
	unsigned char b;

	do {
		if (!entry_byte(tab, len, i, &b))
			return false;
		if (shift < VARINT_BITS) {
			v |= (unsigned long long)(b & 63) << shift;
			shift += 6;
		}
	} while (b & 64);
	*out = v;
	return true;
}

/* svarint: a varint with the sign in bit 0 and the magnitude above it */
static bool read_svarint(const unsigned char *tab, size_t len, size_t *i, long long *out)
{
	unsigned long long v;

	if (!read_varint(tab, len, i, &v))
		return false;
	*out = (v & 1) ? -(long long)(v >> 1) : (long long)(v >> 1);
	return true;
}

/* skips n single-byte fields (column bytes: only their presence matters) */
static bool skip_bytes(const unsigned char *tab, size_t len, size_t *i, unsigned n)
{
	unsigned char b;

	while (n--)
		if (!entry_byte(tab, len, i, &b))
			return false;
	return true;
}

/* The line delta of one 3.11+ location entry whose first byte was `code`'s,
 * its other bytes consumed; false when they are missing or malformed. */
static bool location_delta(const unsigned char *tab, size_t len, size_t *i, unsigned code,
			   long long *delta, bool *none)
{
	unsigned long long skip;

	*delta = 0;
	*none = false;
	if (code <= 9) /* short form: same line, one column byte */
		return skip_bytes(tab, len, i, 1);
	if (code <= 12) { /* one-line form: delta 0..2, start and end columns */
		*delta = code - 10;
		return skip_bytes(tab, len, i, 2);
	}
	if (code == 13) /* no columns: the delta alone */
		return read_svarint(tab, len, i, delta);
	if (code == 14) /* long form: delta, end-line delta, column + 1, end column + 1 */
		return read_svarint(tab, len, i, delta) && read_varint(tab, len, i, &skip) &&
		       read_varint(tab, len, i, &skip) && read_varint(tab, len, i, &skip);
	*none = true; /* 15: no location */
	return true;
}

/* 3.11+ location table (PEP 657): entries whose first byte is 1, a 4-bit
 * code and the range's length in code units minus one; the code says how
 * the line delta and the columns follow (location_delta). */
static unsigned locations_line(const unsigned char *tab, size_t len, long long line, unsigned offset)
{
	struct range_walk w = { .line = line, .offset = offset };
	size_t i = 0;

	while (i < len) {
		unsigned char first = tab[i++];
		long long delta;
		bool none;

		if (!(first & 0x80) || !location_delta(tab, len, &i, (first >> 3) & 15, &delta, &none))
			return 0;
		if (range_next(&w, 2 * ((first & 7) + 1), delta, none))
			return w.answer;
	}
	return 0;
}

unsigned py_linetable_line(enum py_linetable_kind kind, const unsigned char *tab, size_t len,
			   int firstlineno, unsigned offset)
{
	if (!tab)
		len = 0;
	switch (kind) {
	case PY_LT_LNOTAB:
		return lnotab_line(tab, len, firstlineno, offset);
	case PY_LT_LINETABLE:
		return linetable_line(tab, len, firstlineno, offset);
	case PY_LT_LOCATIONS:
		return locations_line(tab, len, firstlineno, offset);
	}
	return 0;
}
