// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tui_update(): the view fed from the model (aggregator + detectors).  Kept
 * apart from tui.c so that the view itself depends on the aggregator only. */
#include "tui_int.h"

#include "model.h"

void tui_update(struct tui *t, const struct run_status *st)
{
	struct detector *d = model_detector(st->m);
	size_t n = d ? detector_nfindings(d) : 0;
	const struct finding *f[TUI_FINDINGS_MAX];

	if (n > TUI_FINDINGS_MAX)
		n = TUI_FINDINGS_MAX; /* newest first: the oldest are left out */
	for (size_t i = 0; i < n; i++)
		f[i] = detector_finding(d, i);
	tui_update_agg(t, model_agg(st->m), f, n, st, st->interval_s);
}
