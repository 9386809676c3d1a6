// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "pf_source.h"

#include <stdbool.h>
#include <stddef.h>

static const struct {
	const char *key, *desc;
} names[] = {
	[PF_SRC_TRACEPOINT] = {"tracepoint", "tracepoint exceptions:page_fault_user"},
	[PF_SRC_PERF] = {"perf", "perf software event page-faults"},
	[PF_SRC_COUNTERS] = {"counters", "task fault counters (min_flt/maj_flt)"},
};

static bool known(int pf)
{
	return pf > PF_SRC_NONE && (unsigned)pf < sizeof(names) / sizeof(names[0]) && names[pf].key;
}

const char *pf_source_key(int pf)
{
	return known(pf) ? names[pf].key : NULL;
}

const char *pf_source_desc(int pf)
{
	return known(pf) ? names[pf].desc : "none";
}
