/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text for the live view's cells: fitted to a number of terminal columns,
 * never letting a control character or an invalid byte reach the terminal.
 * Pure apart from wcwidth(), which follows LC_CTYPE exactly as ncurses
 * does, so a cell is as wide on screen as it was measured here. */
#ifndef VIGIL_TUI_TEXT_H
#define VIGIL_TUI_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Copies in into out fitted to exactly cols display columns: cut after the
 * last character that fits (a double-width character that would straddle
 * the edge is left out) and padded with spaces, on the right, or on the
 * left when right_align.  Every byte that is not printable text becomes
 * '?': C0/C1 controls, DEL, invalid UTF-8, zero-width and unknown-width
 * characters; with utf8 false every byte >= 0x80 as well (a terminal in a
 * non-UTF-8 locale would show it as several cells).  out always ends with
 * NUL; outsz of 4 * cols + 1 never truncates.  Returns the columns taken
 * by the text, padding excluded. */
int tt_fit(char *out, size_t outsz, const char *in, int cols, bool right_align, bool utf8);

/* Columns the text takes on screen, as tt_fit would show it uncut. */
int tt_width(const char *in, bool utf8);

/* Case-insensitive (ASCII) substring test; an empty needle matches. */
bool tt_contains(const char *hay, const char *needle);

/* Seconds since start for the header: "12.3s", "4m05s", "2h03m", "3d04h". */
char *tt_elapsed(char *buf, size_t len, double secs);

/* A change in bytes with its sign, "0" when there is none: "+1.5M", "-320K"
 * (fmt_bytes with a '+' for growth, so a trend reads at a glance). */
char *tt_signed_bytes(char *buf, size_t len, double bytes);

/* A latency in at most 6 columns: fmt_ns, with whole milliseconds from
 * 100 ms on ("102ms" rather than "101.7ms"). */
char *tt_ns(char *buf, size_t len, double ns);

/* CPU percentage in 5 columns: "0.0", "45.2", "350.1", "1600" (threads of
 * one process can use more than one CPU). */
char *tt_pct(char *buf, size_t len, double pct);

#endif
