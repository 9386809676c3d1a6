// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "clock.h"

unsigned long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}
