// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The names of a finding's values (finding.h). */
#include "finding.h"

const char *finding_severity_name(enum finding_severity s)
{
	return s == SEV_CRIT ? "crit" : "warn";
}

const char *leak_shape_name(enum leak_shape s)
{
	return s == LEAK_STEPWISE ? "stepwise" : "linear";
}
