/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A CPython code object's line table, decoded: the source line of the
 * instruction at a bytecode offset, for Python frames in allocation sites
 * (issue 14).  The table is bytes read out of another process, so it is
 * hostile input: any bytes give an answer or 0, never a read past the
 * table, and the work is linear in the table's length.
 *
 * The formats are CPython's (Objects/lnotab_notes.txt, Objects/locations.md);
 * tests/unit/test_py_linetable.c checks every offset of real code objects
 * against what each interpreter itself answers.
 */
#ifndef VIGIL_PY_LINETABLE_H
#define VIGIL_PY_LINETABLE_H

#include <stddef.h>

/* How a code object maps bytecode offsets to lines, by CPython version. */
enum py_linetable_kind {
	PY_LT_LNOTAB = 1,    /* 3.8, 3.9: co_lnotab (byte-offset / line increments) */
	PY_LT_LINETABLE = 2, /* 3.10: co_linetable (PEP 626: start/end deltas, line delta, 0x80 = none) */
	PY_LT_LOCATIONS = 3, /* 3.11, 3.12, 3.13: co_linetable location table (PEP 657 format) */
};

/* The line of the instruction at byte offset `offset` (from the start of co_code /
 * the adaptive code, 2 bytes per code unit) in a code object whose line table is
 * tab[0..len) and first line firstlineno.  0 when the table says it has no line
 * (or the offset is past the table).  Any bytes are safe input: never reads past len. */
unsigned py_linetable_line(enum py_linetable_kind kind, const unsigned char *tab, size_t len,
			   int firstlineno, unsigned offset);

#endif
