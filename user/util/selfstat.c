// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "selfstat.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* kB value of a "Key:   123 kB" line of /proc/self/status */
static unsigned long long status_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	unsigned long long kb = 0;

	if (p)
		sscanf(p + strlen(key), " %llu", &kb);
	return kb;
}

int selfstat_read(struct selfstat *s)
{
	struct rusage ru;
	char buf[4096];
	size_t n;
	FILE *f;

	memset(s, 0, sizeof(*s));
	/* getrusage counts every thread, and is cheaper than parsing /proc */
	if (getrusage(RUSAGE_SELF, &ru))
		return -errno;
	s->cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
	s->wall_ns = clock_mono_ns();
	f = fopen("/proc/self/status", "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	s->rss = status_kb(buf, "VmRSS:") * 1024;
	s->peak_rss = status_kb(buf, "VmHWM:") * 1024;
	return 0;
}

double selfstat_cpu_pct(const struct selfstat *from, const struct selfstat *to)
{
	if (to->wall_ns <= from->wall_ns || to->cpu_ns < from->cpu_ns)
		return 0;
	return 100.0 * (double)(to->cpu_ns - from->cpu_ns) / (double)(to->wall_ns - from->wall_ns);
}
