// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live view as a sink of `vigil live`: the ncurses view (view/tui.h)
 * takes the terminal at open, redraws at each interval, and reads the
 * user's keys while the command waits (its wait op).  `vigil replay` drives
 * the view itself: its keys steer the playback, not only the view. */
#include "sink.h"

#include <errno.h>

#include "tui.h"

static int tui_sink_open(struct sink *s)
{
	s->state = tui_open(TUI_LIVE, s->why, sizeof(s->why));
	if (!s->state) {
		errno = ENOTTY;
		return -1;
	}
	return 0;
}

static int tui_sink_interval(struct sink *s, const struct run_status *t)
{
	tui_update(s->state, t);
	tui_draw(s->state);
	return 0;
}

static int tui_sink_wait(struct sink *s, int timeout_ms)
{
	int act = tui_input(s->state, timeout_ms);

	if (act == TUI_QUIT)
		return 1;
	if (act == TUI_REDRAW)
		tui_draw(s->state);
	return 0;
}

/* the terminal is the user's again */
static int tui_sink_close(struct sink *s, const struct run_status *t)
{
	(void)t;
	tui_close(s->state);
	s->state = NULL;
	return 0;
}

const struct sink_ops sink_live_tui = {
	.name = "tui",
	.use = SINK_LIVE,
	.open = tui_sink_open,
	.interval = tui_sink_interval,
	.wait = tui_sink_wait,
	.close = tui_sink_close,
};
