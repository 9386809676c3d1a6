// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "spark.h"

#include <math.h>
#include <string.h>

static const char *const utf8_glyphs[SPARK_LEVELS] = {
	"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
};

const char *spark_glyph(unsigned level, bool utf8)
{
	/* low to high as the eye reads them on a plain terminal */
	static const char *const ascii[SPARK_LEVELS] = {"_", ".", "-", "=", "+", "*", "#", "@"};

	if (level >= SPARK_LEVELS)
		level = SPARK_LEVELS - 1;
	return utf8 ? utf8_glyphs[level] : ascii[level];
}

unsigned spark_level_of(double frac)
{
	if (!(frac > 0)) /* also NaN */
		return 0;
	if (frac >= 1)
		return SPARK_LEVELS - 1;
	/* round, so 50 % sits in the middle of the ramp */
	return (unsigned)lround(frac * (SPARK_LEVELS - 1));
}

/* max of v[from..to) */
static double column_max(const double *v, size_t from, size_t to)
{
	double m = v[from];

	for (size_t i = from + 1; i < to; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

size_t spark_levels(const double *v, size_t n, size_t width, unsigned char *levels, double *lo,
		    double *hi)
{
	size_t cols = n < width ? n : width;
	double mn = 0, mx = 0;

	for (size_t i = 0; i < n; i++) {
		if (!i || v[i] < mn)
			mn = v[i];
		if (!i || v[i] > mx)
			mx = v[i];
	}
	if (lo)
		*lo = mn;
	if (hi)
		*hi = mx;
	for (size_t c = 0; c < cols; c++) {
		/* column c covers values [c*n/cols, (c+1)*n/cols): every value in exactly one column */
		size_t from = c * n / cols, to = (c + 1) * n / cols;
		double x = column_max(v, from, to > from ? to : from + 1);

		levels[c] = (unsigned char)(mx > mn ? spark_level_of((x - mn) / (mx - mn)) : 0);
	}
	return cols;
}

char *spark_text(char *buf, size_t len, const unsigned char *levels, size_t n, bool utf8)
{
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *g = spark_glyph(levels[i], utf8);
		size_t gl = strlen(g);

		if (used + gl + 1 > len)
			break;
		memcpy(buf + used, g, gl + 1);
		used += gl;
	}
	return buf;
}
