// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "kconfig.h"
#include "clock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <zlib.h>

int kconfig_value(const char *const *paths, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	bool opened = false;
	char line[512];

	for (; *paths; paths++) {
		gzFile f = gzopen(*paths, "rb"); /* reads plain files as they are */
		if (!f)
			continue;
		opened = true;
		while (gzgets(f, line, sizeof(line))) {
			if (strncmp(line, key, klen) || line[klen] != '=')
				continue;
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, outlen, "%s", line + klen + 1);
			gzclose(f);
			return 0;
		}
		gzclose(f);
		/* one config is the kernel's: a second file would be another's */
		break;
	}
	return opened ? -ESRCH : -ENOENT;
}

unsigned kconfig_hz_nearest(double measured)
{
	static const unsigned usual[] = {100, 250, 300, 1000};
	unsigned best = usual[0];

	for (size_t i = 1; i < sizeof(usual) / sizeof(usual[0]); i++) {
		double d = measured - usual[i], db = measured - best;
		if (d * d < db * db)
			best = usual[i];
	}
	return best;
}

/* the kernel's jiffies, as /proc/timer_list prints them; 0 when unreadable */
static unsigned long long read_jiffies(double *when)
{
	unsigned long long j = 0;
	char line[256];
	FILE *f = fopen("/proc/timer_list", "re");

	if (!f)
		return 0;
	*when = (double)clock_mono_ns() / 1e9;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "jiffies: %llu", &j) == 1)
			break;
	fclose(f);
	return j;
}

int kconfig_hz(unsigned *hz, char *note, size_t notelen)
{
	char boot[300], val[32];
	struct utsname u;
	double t0 = 0, t1 = 0;
	unsigned long long j0, j1;

	uname(&u);
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	const char *const paths[] = {boot, "/proc/config.gz", NULL};
	int err = kconfig_value(paths, "CONFIG_HZ", val, sizeof(val));
	if (!err && (*hz = (unsigned)strtoul(val, NULL, 10)) > 0)
		return 0;
	const char *why = err == -ENOENT ? "kernel config not found (no /boot/config-RELEASE, no /proc/config.gz)"
					 : "kernel config has no CONFIG_HZ";
	/* ~100 ms tell 250 from 300: 25 ticks from 30, give or take one */
	j0 = read_jiffies(&t0);
	if (j0) {
		struct timespec nap = {0, 100 * 1000 * 1000};
		nanosleep(&nap, NULL);
		j1 = read_jiffies(&t1);
		if (j1 > j0 && t1 > t0) {
			*hz = kconfig_hz_nearest((double)(j1 - j0) / (t1 - t0));
			snprintf(note, notelen, "%s: CONFIG_HZ=%u measured from /proc/timer_list", why, *hz);
			return 1;
		}
	}
	*hz = 250;
	snprintf(note, notelen, "%s: CONFIG_HZ assumed 250 (RSS and fault coalescing window may be off)", why);
	return 1;
}
