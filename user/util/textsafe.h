/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Text that came from a process (comm, cmdline, holder names, paths,
 * summaries that quote them) is hostile: it may carry escape sequences, bidi
 * controls that reorder what a reader sees, or bytes that are no UTF-8 at
 * all.  This is the one place that decides what of it is safe to show,
 * used by every output (text, Markdown and JSON reports, `vigil dump`, the
 * snapshots and the live view):
 *  - one UTF-8 decoder: overlong forms, surrogates, code points beyond
 *    U+10FFFF and cut sequences are invalid, and each invalid sequence is
 *    one bad character (Unicode's "maximal subpart" practice);
 *  - one policy of unsafe code points: invalid sequences, C0 controls, DEL,
 *    C1 controls, the bidi marks, embeddings, overrides and isolates
 *    (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069) and the line and
 *    paragraph separators U+2028/U+2029 (they break a line, and JavaScript
 *    does not take them in strings);
 *  - one width for files: East Asian wide ranges count 2 columns.  The live
 *    view measures with wcwidth() instead, under LC_CTYPE, as ncurses does
 *    (tui_text.h).
 */
#ifndef VIGIL_TEXTSAFE_H
#define VIGIL_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_BAD 0xffffffffu /* an invalid sequence */

/* One UTF-8 sequence at s (n >= 1 bytes available): returns the bytes it
 * takes (>= 1) and sets *cp to its code point, or to TEXT_BAD when those
 * bytes are an invalid (maximal) subpart. */
size_t text_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* Is cp (or TEXT_BAD) unsafe to show as it is?  The policy above. */
bool text_cp_unsafe(uint32_t cp);

/* Columns a safe code point takes in a file's table: 2 for the East Asian
 * wide ranges, else 1. */
int text_cp_width(uint32_t cp);

/* Display-safe copy of src (at most srclen bytes, stops at NUL): every
 * unsafe character becomes '?'.  Never splits a character; dst always ends
 * with NUL (dstlen > 0); returns dst. */
char *text_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
