/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Internals of the live view, shared by tui.c (terminal, keys), tui_draw.c
 * (header, table, findings, help) and tui_detail.c (one process).  Not for
 * other modules: they use tui.h. */
#ifndef VIGIL_TUI_INT_H
#define VIGIL_TUI_INT_H

#include <curses.h>
#include <stdbool.h>

#include "tui.h"
#include "tui_snap.h"

/* Roles of text on screen; each maps to a colour pair or, on a terminal
 * without colour, to plain attributes (tui.c: setup_attrs). */
enum tui_attr {
	TA_NORMAL, TA_TITLE, TA_COLHDR, TA_SORT, TA_SEL, TA_GROUP, TA_DIM, TA_CRIT, TA_ALERT, TA_NOTE,
	TA_BAR, TA_BOLD,
	TA_KIND, /* a finding kind's own colour (the detector table's), TA_KIND + kind */
	TA_COUNT = TA_KIND + FIND_KIND_COUNT
};

enum tui_view { TV_TABLE, TV_DETAIL };

/* A line of the table: a role's heading or a process. */
struct tui_disp {
	bool group;
	unsigned role;
	size_t pos; /* process: index into order[] */
};

#define TUI_FILTER_MAX 64
#define TUI_TEXT_MAX 512 /* widest line drawn, in columns */

/* The header: the caller's run_status, its strings copied here (the
 * view draws long after the caller's buffers changed), and the event rate
 * and losses the view reads off the model. */
struct tui_hdr {
	struct run_status st; /* its strings point into the arrays below */
	char mode[48], host[64], pf[64], note[TUI_TEXT_MAX], alert[TUI_TEXT_MAX];
	double events_per_s;
	unsigned long long lost;
};

struct tui {
	enum tui_mode mode;
	SCREEN *scr;
	bool utf8;
	bool colour;
	bool no_input; /* stdin hung up: wait without reading */
	attr_t attr[TA_COUNT];
	char old_ctype[128]; /* LC_CTYPE before tui_open, restored at close */

	struct tui_snap snap;
	struct tui_hdr hdr;

	/* what the table shows */
	enum tui_view view;
	bool help, paused, editing;
	char filter[TUI_FILTER_MAX];
	struct tui_order order;
	size_t *ord;        /* tui_snap_order() result */
	size_t nord, ord_cap;
	struct tui_disp *disp; /* headings + rows */
	size_t ndisp, disp_cap;
	size_t sel;         /* index into ord[] */
	unsigned long long sel_id;
	size_t top;         /* first line of disp[] on screen */
	int table_h;        /* lines of the table at the last draw */
	int visible_cols;   /* bits of the columns (tui_cols) shown at the last draw */

	const struct site_model *sites; /* the aggregator's, for findings' sites (lives as long) */

	/* detail view */
	unsigned long long detail_id;
	int detail_top, detail_h, detail_lines;
};

/* tui_draw.c */
void tui_draw_table_view(struct tui *t);
void tui_draw_help(struct tui *t);
void tui_draw_header(struct tui *t, int *y);
void tui_draw_keybar(struct tui *t, const char *keys);
/* writes text fitted to cols columns at (y, x) in attribute a */
void tui_put(struct tui *t, int y, int x, int cols, const char *text, enum tui_attr a, bool right);
/* visible columns for a width (enum tui_col bits) and their widths */
int tui_layout(int width, int widths[TUI_COLS_MAX]);

/* tui_detail.c */
void tui_draw_detail(struct tui *t);

/* tui.c */
void tui_reorder(struct tui *t);
const struct tui_row *tui_selected(const struct tui *t);

#endif
