// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "format.h"

#include <math.h>
#include <stdio.h>

char *fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char units[] = "BKMGTP";
	double v = fabs(bytes);
	const char *sign = bytes < 0 ? "-" : "";
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%s%.0fB", sign, v);
	else if (v < 100)
		snprintf(buf, len, "%s%.1f%c", sign, v, units[u]);
	else
		snprintf(buf, len, "%s%.0f%c", sign, v, units[u]);
	return buf;
}

char *fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, ns < 1e7 ? "%.2fms" : "%.1fms", ns / 1e6);
	else if (ns < 60e9)
		snprintf(buf, len, "%.2fs", ns / 1e9);
	else
		snprintf(buf, len, "%.0fm%02.0fs", floor(ns / 60e9), fmod(ns / 1e9, 60));
	return buf;
}

char *fmt_count(char *buf, size_t len, double n)
{
	if (n < 1e3)
		snprintf(buf, len, "%.0f", n);
	else if (n < 1e6)
		snprintf(buf, len, "%.1fk", n / 1e3);
	else
		snprintf(buf, len, "%.1fM", n / 1e6);
	return buf;
}
