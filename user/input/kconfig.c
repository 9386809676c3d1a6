// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "kconfig.h"

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

/* The tick as the kernel states it: CLOCK_MONOTONIC_COARSE advances once a
 * tick, and clock_getres() gives its step, TICK_NSEC = 1e9 / HZ rounded.
 * No lock, no privilege (an earlier version measured jiffies in
 * /proc/timer_list, which walks every CPU's timers with interrupts off and
 * locked up emulated guests).  0 when the clock says nothing useful. */
unsigned kconfig_hz_from_clock(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec || res.tv_nsec <= 0)
		return 0;
	return kconfig_hz_nearest(1e9 / (double)res.tv_nsec);
}

int kconfig_hz(unsigned *hz, char *note, size_t notelen)
{
	char boot[300], val[32];
	struct utsname u;

	uname(&u);
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	const char *const paths[] = {boot, "/proc/config.gz", NULL};
	int err = kconfig_value(paths, "CONFIG_HZ", val, sizeof(val));
	if (!err && (*hz = (unsigned)strtoul(val, NULL, 10)) > 0)
		return 0;
	const char *why = err == -ENOENT ? "kernel config not found (no /boot/config-RELEASE, no /proc/config.gz)"
					 : "kernel config has no CONFIG_HZ";
	*hz = kconfig_hz_from_clock();
	if (*hz) {
		snprintf(note, notelen, "%s: CONFIG_HZ=%u from the coarse clock's resolution", why, *hz);
		return 1;
	}
	*hz = 250;
	snprintf(note, notelen, "%s: CONFIG_HZ assumed 250 (RSS and fault coalescing window may be off)", why);
	return 1;
}
