/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Sparklines: a series of numbers drawn as one row of bar glyphs, e.g. a
 * process's RSS over the trace.  Pure functions (no terminal, no locale):
 * the live view picks the glyph set, tests check the levels. */
#ifndef VIGIL_SPARK_H
#define VIGIL_SPARK_H

#include <stdbool.h>
#include <stddef.h>

#define SPARK_LEVELS 8

/* Resamples v[0..n) into at most `width` columns and scales each column to
 * a level 0..SPARK_LEVELS-1 between the smallest and largest value of the
 * series (a flat series is all level 0).  With more values than columns,
 * each column covers an equal share of the values and shows their maximum,
 * so a short spike is never averaged away; with fewer, one column per value
 * (a short trace is not stretched into a fake trend).  *lo / *hi (either may
 * be NULL) receive the range used.  Returns the number of columns written. */
size_t spark_levels(const double *v, size_t n, size_t width, unsigned char *levels, double *lo,
		    double *hi);

/* Writes levels as text into buf (always NUL-terminated, whole glyphs only):
 * UTF-8 block elements (U+2581..U+2588, 3 bytes each) when utf8, else the
 * ASCII ramp "_.-=+*#@" for terminals and locales without UTF-8.  Returns buf. */
char *spark_text(char *buf, size_t len, const unsigned char *levels, size_t n, bool utf8);

/* The glyph of one level, as a NUL-terminated string. */
const char *spark_glyph(unsigned level, bool utf8);

/* Level of a fraction in [0, 1] (clamped): for bars such as per-CPU busy. */
unsigned spark_level_of(double frac);

#endif
