/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live view: an htop-like terminal view of the model for `vigil live`
 * and `vigil replay`.  A header (host CPUs, runnable tasks, events/s, lost
 * events, page-fault source, vigil's own cost), the processes grouped by
 * role with their numbers over the last interval and their finding badges,
 * the findings, and a detail view per process.  docs/live-view.md describes
 * the screen and the keys.
 *
 * The view owns no clock, no files and no BPF: the caller feeds the model,
 * decides when an interval ends, and calls
 *
 *   tui_update()  once per interval, after agg_settle() and before
 *                 agg_interval_reset(): copies the numbers out of the model
 *                 (ignored for the table while the user paused the view);
 *   tui_draw()    to repaint: after tui_update(), and when tui_input()
 *                 returns TUI_REDRAW (a key changed the view);
 *   tui_input()   to wait for keys instead of sleeping.
 *
 * The view repaints on those calls only, never per event.  Scrolling,
 * sorting, filtering and the detail view work on the copy taken at the last
 * update, so they never show half an interval.
 *
 * Live loop (the session drains on the caller's timer, keys wake at once):
 *
 *   char why[128];
 *   struct tui *t = tui_open(TUI_LIVE, why, sizeof(why));
 *   if (!t) ... print text snapshots instead (not a terminal, TERM=dumb) ...
 *   while (!stop) {
 *           session_poll(s, 0);
 *           int act = tui_input(t, poll_ms);      // returns early on a key or a signal
 *           if (act == TUI_QUIT)
 *                   break;
 *           if (tick) {
 *                   agg_settle(a, 0);
 *                   tui_update(t, &status);  // status.m, status.interval_s
 *                   agg_interval_reset(a, 0);
 *                   agg_reap(a, 0, keep_ns);
 *                   act = TUI_REDRAW;
 *           }
 *           if (act == TUI_REDRAW)
 *                   tui_draw(t);
 *   }
 *   tui_close(t);
 *
 * The terminal is restored by tui_close(), at exit() (atexit) and on a
 * fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT: the
 * screen is restored, then the signal takes its default action).  SIGINT,
 * SIGTERM and SIGHUP stay the caller's: a handler that sets a flag makes
 * tui_input() return at once (poll is never restarted) for the loop to
 * check it.  One view at a time.
 */
#ifndef VIGIL_TUI_H
#define VIGIL_TUI_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>

struct model;
struct agg;
struct finding;
struct tui;

enum tui_mode { TUI_LIVE, TUI_REPLAY };

/* What tui_input() asks of the caller.  The replay actions come only in
 * TUI_REPLAY mode; in live mode `p` pauses the view itself. */
enum tui_action {
	TUI_NONE,    /* nothing to do (timeout, signal, a key that changed nothing) */
	TUI_REDRAW,  /* the view changed: call tui_draw() */
	TUI_QUIT,    /* q, F10 */
	TUI_PAUSE,   /* replay: space or p toggles playback */
	TUI_STEP,    /* replay: . or n, one interval (and pause) */
	TUI_FASTER,  /* replay: + */
	TUI_SLOWER,  /* replay: - */
	TUI_BACK,    /* replay: left arrow, 10 s back */
	TUI_FORWARD, /* replay: right arrow, 10 s on */
};

/* Takes over the terminal (stdin and stdout must both be terminals that can
 * address the cursor).  NULL with the reason in why when it cannot: the
 * caller falls back to text snapshots. */
struct tui *tui_open(enum tui_mode mode, char *why, size_t whylen);
/* Restores the terminal and frees t.  NULL is fine. */
void tui_close(struct tui *t);

/* Copies the numbers of the settled model (st->m) over the interval just
 * ended (st->interval_s long) and the status.  While the user paused a live view only
 * the status is taken.  st->interval_s <= 0: only the findings, the numbers of
 * the last interval stay (the end of a replay). */
void tui_update(struct tui *t, const struct run_status *st);
/* The same from an aggregator and its findings (newest first). */
void tui_update_agg(struct tui *t, const struct agg *a, const struct finding *const *f, size_t nf,
		    const struct run_status *st, double interval_s);
/* Header only (replay paused, speed changed, a note): the table stays. */
void tui_set_status(struct tui *t, const struct run_status *st);

void tui_draw(struct tui *t);

/* Waits up to timeout_ms for a key (0: only what is already typed), handles
 * every key typed so far, and returns what the caller must do
 * (enum tui_action).  Returns early on a signal. */
int tui_input(struct tui *t, int timeout_ms);

/* The user paused the view (live mode). */
bool tui_paused(const struct tui *t);

#endif
