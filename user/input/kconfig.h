/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel's build configuration, for the values the BPF side needs.
 * libbpf reads the same files for __kconfig externs but fails the whole
 * load when neither exists, as on many boards and minimal images; vigil
 * reads them itself and falls back value by value. */
#ifndef VIGIL_KCONFIG_H
#define VIGIL_KCONFIG_H

#include <stddef.h>

/* The value of "KEY=value" in the first of the config files that opens
 * (plain or gzip, NULL-terminated list), into out.  0, -ENOENT when no file
 * opens, -ESRCH when the files lack the key. */
int kconfig_value(const char *const *paths, const char *key, char *out, size_t outlen);

/* The usual CONFIG_HZ nearest to a tick rate derived from a tick's length. */
unsigned kconfig_hz_nearest(double measured);

/* HZ from CLOCK_MONOTONIC_COARSE's resolution (TICK_NSEC), 0 if unusable. */
unsigned kconfig_hz_from_clock(void);

/* The tick rate: CONFIG_HZ from /boot/config-RELEASE or /proc/config.gz;
 * without them from CLOCK_MONOTONIC_COARSE's resolution (one tick); else 250.
 * Returns 0 when the config said, 1 when it fell back, with a one-line
 * note saying how (for the warning). */
int kconfig_hz(unsigned *hz, char *note, size_t notelen);

#endif
