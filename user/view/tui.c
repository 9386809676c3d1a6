// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live view: terminal set-up and restore, the copy of the model, keys.
 * Drawing is in tui_draw.c and tui_detail.c. */
#define _GNU_SOURCE
#include "tui_int.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#define KEY_ESC 27
#define KEY_CTRL(c) ((c) & 0x1f)

/* ---- restoring the terminal on every exit path ---- */

/* The one open view.  Restoring must work from atexit() and from a fatal
 * signal handler, where t cannot be passed in. */
static struct tui *open_tui;
static bool atexit_done;
static struct termios saved_tios;
static bool saved_tios_ok;
/* what endwin() would send, precomputed: a signal handler may only write() */
static char restore_seq[128];
static size_t restore_len;

static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};
static struct sigaction old_fatal[sizeof(fatal_sigs) / sizeof(fatal_sigs[0])];

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (restore_len + n < sizeof(restore_seq)) {
		memcpy(restore_seq + restore_len, s, n);
		restore_len += n;
	}
}

static void on_fatal(int sig)
{
	/* async-signal-safe only: write and tcsetattr */
	if (restore_len && write(STDOUT_FILENO, restore_seq, restore_len) < 0) {
		/* nothing more can be done from here */
	}
	if (saved_tios_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tios);
	raise(sig); /* SA_RESETHAND: the default action now */
}

static void install_fatal(void)
{
	struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND | SA_NODEFER};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		sigaction(fatal_sigs[i], &sa, &old_fatal[i]);
}

static void remove_fatal(void)
{
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		sigaction(fatal_sigs[i], &old_fatal[i], NULL);
}

static void restore_terminal(struct tui *t)
{
	if (!t->scr)
		return;
	endwin();
	delscreen(t->scr);
	t->scr = NULL;
	remove_fatal();
	if (t->old_ctype[0])
		setlocale(LC_CTYPE, t->old_ctype);
	open_tui = NULL;
}

/* exit() from anywhere (a fatal error path) must not leave the terminal raw */
static void at_exit(void)
{
	if (open_tui)
		restore_terminal(open_tui);
}

/* ---- set-up ---- */

static void setup_attrs(struct tui *t)
{
	static const struct {
		short fg, bg;
		attr_t extra;
	} pairs[TA_COUNT] = {
		[TA_TITLE] = {COLOR_BLACK, COLOR_CYAN, 0},   [TA_COLHDR] = {COLOR_BLACK, COLOR_GREEN, 0},
		[TA_SORT] = {COLOR_BLACK, COLOR_CYAN, A_BOLD}, [TA_SEL] = {COLOR_BLACK, COLOR_CYAN, 0},
		[TA_GROUP] = {COLOR_CYAN, -1, A_BOLD},
		[TA_CRIT] = {COLOR_WHITE, COLOR_RED, A_BOLD},  [TA_ALERT] = {COLOR_WHITE, COLOR_RED, A_BOLD},
		[TA_NOTE] = {COLOR_YELLOW, -1, 0},             [TA_BAR] = {COLOR_GREEN, -1, 0},
	};
	/* without colour: reverse video for bars and selection, bold for what must catch the eye */
	static const attr_t plain[TA_COUNT] = {
		[TA_TITLE] = A_REVERSE, [TA_COLHDR] = A_REVERSE, [TA_SORT] = A_REVERSE | A_BOLD | A_UNDERLINE,
		[TA_SEL] = A_REVERSE,   [TA_GROUP] = A_BOLD,     [TA_DIM] = A_DIM,
		[TA_CRIT] = A_BOLD | A_REVERSE, [TA_ALERT] = A_BOLD | A_REVERSE, [TA_NOTE] = A_BOLD,
		[TA_BOLD] = A_BOLD,
	};

	/* NO_COLOR (no-color.org): the user asked for plain attributes */
	t->colour = has_colors() && !getenv("NO_COLOR") && start_color() == OK && COLOR_PAIRS > TA_COUNT;
	if (t->colour && use_default_colors() != OK)
		t->colour = false; /* pairs below use the default background */
	for (int i = 0; i < TA_COUNT; i++) {
		short fg = pairs[i].fg, bg = pairs[i].bg;
		attr_t extra = pairs[i].extra;

		t->attr[i] = plain[i];
		if (i >= TA_KIND) { /* a finding kind: bold in its detector's colour */
			t->attr[i] = A_BOLD;
			fg = (short)finding_kind_colour((enum finding_kind)(i - TA_KIND));
			bg = -1;
			extra = A_BOLD;
		}
		if (!t->colour || (!fg && !bg && !extra))
			continue;
		init_pair((short)i, fg, bg);
		t->attr[i] = COLOR_PAIR(i) | extra;
	}
}

static bool can_address_cursor(void)
{
	char *cup = tigetstr("cup");
	return cup && cup != (char *)-1;
}

static void fail(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
}

/* UTF-8 glyphs only where the locale says the terminal speaks UTF-8 */
static void setup_locale(struct tui *t)
{
	const char *cur = setlocale(LC_CTYPE, NULL);

	snprintf(t->old_ctype, sizeof(t->old_ctype), "%s", cur ? cur : "");
	/* LC_CTYPE only: numbers must keep printing with '.' whatever LC_NUMERIC says */
	setlocale(LC_CTYPE, "");
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
}

static int start_curses(struct tui *t, char *why, size_t whylen)
{
	saved_tios_ok = tcgetattr(STDIN_FILENO, &saved_tios) == 0;
	t->scr = newterm(NULL, stdout, stdin); /* unlike initscr(), never exits the process */
	if (!t->scr) {
		fail(why, whylen, "cannot use this terminal (TERM unset or unknown)");
		return -1;
	}
	if (!can_address_cursor()) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
		fail(why, whylen, "the terminal cannot address the cursor (TERM=dumb?)");
		return -1;
	}
	restore_len = 0;
	add_cap("rmcup");
	add_cap("sgr0");
	add_cap("cnorm");
	cbreak(); /* ^C still raises SIGINT: the caller's stop flag */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE); /* tui_input() waits in poll(), not in getch() */
	set_escdelay(25);      /* Esc clears the filter at once, not after a second */
	curs_set(0);
	setup_attrs(t);
	return 0;
}

struct tui *tui_open(enum tui_mode mode, char *why, size_t whylen)
{
	struct tui *t;

	if (open_tui) {
		fail(why, whylen, "a view is already open");
		return NULL;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fail(why, whylen, "standard input and output are not both a terminal");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		fail(why, whylen, "out of memory");
		return NULL;
	}
	t->mode = mode;
	t->order = (struct tui_order){.key = tui_col_find("cpu_pct"), .role = -1, .filter = t->filter};
	setup_locale(t);
	if (start_curses(t, why, whylen)) {
		setlocale(LC_CTYPE, t->old_ctype);
		free(t);
		return NULL;
	}
	open_tui = t;
	if (!atexit_done)
		atexit_done = atexit(at_exit) == 0;
	install_fatal();
	return t;
}

void tui_close(struct tui *t)
{
	if (!t)
		return;
	restore_terminal(t);
	tui_snap_free(&t->snap);
	free(t->ord);
	free(t->disp);
	free(t);
}

bool tui_paused(const struct tui *t)
{
	return t->paused;
}

/* ---- the copy of the model ---- */

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* the status's strings into the header's own arrays */
void tui_set_status(struct tui *t, const struct run_status *st)
{
	struct tui_hdr *h = &t->hdr;

	if (!st)
		return;
	h->st = *st;
	h->st.m = NULL; /* the header outlives the tick: no model through it */
	copy_str(h->mode, sizeof(h->mode), st->mode);
	copy_str(h->host, sizeof(h->host), st->host);
	copy_str(h->pf, sizeof(h->pf), st->pf_source);
	copy_str(h->note, sizeof(h->note), st->note);
	copy_str(h->alert, sizeof(h->alert), st->alert);
	h->st.mode = h->mode;
	h->st.host = h->host;
	h->st.pf_source = h->pf;
	h->st.note = h->note;
	h->st.alert = h->alert;
}

void tui_update_agg(struct tui *t, const struct agg *a, const struct finding *const *f, size_t nf,
		    const struct run_status *st, double interval_s)
{
	int rc;

	const struct agg_host *h = agg_host(a);

	tui_set_status(t, st);
	t->sites = agg_sites(a);
	/* what the model says of the interval: records per second, losses */
	if (interval_s > 0)
		t->hdr.events_per_s = (double)(h->tot.events - h->base.events) / interval_s;
	t->hdr.lost = h->tot.lost;
	if (t->paused)
		return;
	/* on failure the previous copy stays on screen: better old numbers than none */
	rc = interval_s > 0 || !t->snap.valid ? tui_snap_take(&t->snap, a, f, nf, interval_s)
					      : tui_snap_take_findings(&t->snap, f, nf);
	if (rc == 0)
		tui_reorder(t);
}

/* ---- order and selection ---- */

/* room for want elements in *p (which holds *cap); false when out of memory */
static bool reserve(void *pp, size_t *cap, size_t want, size_t size)
{
	void *old, *n;

	if (want <= *cap)
		return true;
	memcpy(&old, pp, sizeof(old));
	n = realloc(old, want * size);
	if (!n)
		return false;
	memcpy(pp, &n, sizeof(n));
	*cap = want;
	return true;
}

static void build_disp(struct tui *t)
{
	int last_role = -1;

	t->ndisp = 0;
	for (size_t i = 0; i < t->nord; i++) {
		unsigned role = t->snap.rows[t->ord[i]].role;

		if ((int)role != last_role) {
			t->disp[t->ndisp++] = (struct tui_disp){.group = true, .role = role};
			last_role = (int)role;
		}
		t->disp[t->ndisp++] = (struct tui_disp){.role = role, .pos = i};
	}
}

/* line of disp[] that shows ord[pos] */
static size_t line_of(const struct tui *t, size_t pos)
{
	for (size_t l = 0; l < t->ndisp; l++)
		if (!t->disp[l].group && t->disp[l].pos == pos)
			return l;
	return 0;
}

static void keep_visible(struct tui *t)
{
	size_t l, h = t->table_h > 0 ? (size_t)t->table_h : 1;

	if (!t->nord) {
		t->top = 0;
		return;
	}
	l = line_of(t, t->sel);
	/* show the role heading above the first process of a group */
	if (l > 0 && t->disp[l - 1].group && l - 1 < t->top)
		t->top = l - 1;
	if (l < t->top)
		t->top = l;
	if (l >= t->top + h)
		t->top = l - h + 1;
	if (t->ndisp <= h)
		t->top = 0;
	else if (t->top > t->ndisp - h)
		t->top = t->ndisp - h;
}

static void select_pos(struct tui *t, size_t pos)
{
	if (!t->nord)
		return;
	t->sel = pos < t->nord ? pos : t->nord - 1;
	t->sel_id = t->snap.rows[t->ord[t->sel]].id;
	keep_visible(t);
}

void tui_reorder(struct tui *t)
{
	size_t n = t->snap.nrows, pos = t->sel;

	/* a heading per role at most: 2n lines are always enough */
	if (!reserve(&t->ord, &t->ord_cap, n + 1, sizeof(*t->ord)) ||
	    !reserve(&t->disp, &t->disp_cap, 2 * n + 1, sizeof(*t->disp)))
		return;
	t->nord = tui_snap_order(&t->snap, &t->order, t->ord);
	build_disp(t);
	/* the selection follows its process when it moves in the order */
	for (size_t i = 0; i < t->nord; i++)
		if (t->snap.rows[t->ord[i]].id == t->sel_id)
			pos = i;
	select_pos(t, pos);
}

const struct tui_row *tui_selected(const struct tui *t)
{
	return t->nord && t->sel < t->nord ? &t->snap.rows[t->ord[t->sel]] : NULL;
}

/* ---- keys ---- */

static bool is_enter(int ch)
{
	return ch == '\n' || ch == '\r' || ch == KEY_ENTER;
}

static bool is_backspace(int ch)
{
	return ch == KEY_BACKSPACE || ch == 127 || ch == KEY_CTRL('h');
}

/* next visible sort column after the current one, wrapping */
static void cycle_sort(struct tui *t, int dir)
{
	size_t n;
	int k = t->order.key;

	tui_cols(&n);
	for (size_t i = 0; i < n; i++) {
		k = (k + dir + (int)n) % (int)n;
		if (!t->visible_cols || (t->visible_cols & (1 << k)))
			break;
	}
	t->order.key = k;
	t->order.invert = false;
}

static void cycle_role(struct tui *t)
{
	/* every role, then asr, avatar, camera, other: the order of the table */
	switch (t->order.role) {
	case -1: t->order.role = ROLE_ASR; break;
	case ROLE_ASR: t->order.role = ROLE_AVATAR; break;
	case ROLE_AVATAR: t->order.role = ROLE_CAMERA; break;
	case ROLE_CAMERA: t->order.role = ROLE_OTHER; break;
	default: t->order.role = -1; break;
	}
}

/* movement keys of the table; false when ch is not one */
static bool table_move(struct tui *t, int ch)
{
	size_t page = t->table_h > 1 ? (size_t)t->table_h - 1 : 1;

	switch (ch) {
	case KEY_UP: case 'k': select_pos(t, t->sel ? t->sel - 1 : 0); return true;
	case KEY_DOWN: case 'j': select_pos(t, t->sel + 1); return true;
	case KEY_PPAGE: select_pos(t, t->sel > page ? t->sel - page : 0); return true;
	case KEY_NPAGE: select_pos(t, t->sel + page); return true;
	case KEY_HOME: case 'g': select_pos(t, 0); return true;
	case KEY_END: case 'G': select_pos(t, t->nord ? t->nord - 1 : 0); return true;
	}
	return false;
}

/* the filter being typed: text keys edit it, the table follows each key */
static int filter_key(struct tui *t, int ch)
{
	size_t n = strlen(t->filter);

	if (is_enter(ch)) {
		t->editing = false;
	} else if (ch == KEY_ESC) {
		t->editing = false;
		t->filter[0] = '\0';
	} else if (is_backspace(ch)) {
		/* a whole UTF-8 character */
		while (n && ((unsigned char)t->filter[n - 1] & 0xc0) == 0x80)
			n--;
		if (n)
			n--;
		t->filter[n] = '\0';
	} else if (ch == KEY_CTRL('u')) {
		t->filter[0] = '\0';
	} else if (ch >= 0x20 && ch <= 0xff && ch != 0x7f) {
		if (n + 1 < sizeof(t->filter)) {
			t->filter[n] = (char)ch;
			t->filter[n + 1] = '\0';
		}
	} else if (table_move(t, ch)) {
		return TUI_REDRAW;
	} else {
		return TUI_NONE;
	}
	tui_reorder(t);
	return TUI_REDRAW;
}

static int detail_key(struct tui *t, int ch)
{
	int page = t->detail_h > 1 ? t->detail_h - 1 : 1;
	int max = t->detail_lines - t->detail_h;

	switch (ch) {
	case KEY_ESC: case KEY_BACKSPACE: case 127: case 'b':
		t->view = TV_TABLE;
		return TUI_REDRAW;
	case KEY_UP: case 'k': t->detail_top--; break;
	case KEY_DOWN: case 'j': t->detail_top++; break;
	case KEY_PPAGE: t->detail_top -= page; break;
	case KEY_NPAGE: case ' ': t->detail_top += page; break;
	case KEY_HOME: case 'g': t->detail_top = 0; break;
	case KEY_END: case 'G': t->detail_top = max; break;
	default:
		if (is_enter(ch)) {
			t->view = TV_TABLE;
			return TUI_REDRAW;
		}
		return TUI_NONE;
	}
	if (t->detail_top > max)
		t->detail_top = max;
	if (t->detail_top < 0)
		t->detail_top = 0;
	return TUI_REDRAW;
}

static int table_key(struct tui *t, int ch)
{
	if (table_move(t, ch))
		return TUI_REDRAW;
	switch (ch) {
	case 's': case KEY_F(6): case '>': cycle_sort(t, 1); break;
	case '<': cycle_sort(t, -1); break;
	case 'I': t->order.invert = !t->order.invert; break;
	case '/': case KEY_F(3): case KEY_F(4): t->editing = true; break;
	case KEY_ESC: t->filter[0] = '\0'; break;
	case 'r': cycle_role(t); break;
	default:
		if (is_enter(ch) && tui_selected(t)) {
			t->view = TV_DETAIL;
			t->detail_id = tui_selected(t)->id;
			t->detail_top = 0;
			return TUI_REDRAW;
		}
		return TUI_NONE;
	}
	tui_reorder(t);
	return TUI_REDRAW;
}

/* keys of the replay controls; TUI_NONE when ch is not one */
static int replay_key(int ch)
{
	switch (ch) {
	case ' ': case 'p': return TUI_PAUSE;
	case '.': case 'n': return TUI_STEP;
	case '+': case '=': return TUI_FASTER;
	case '-': case '_': return TUI_SLOWER;
	case KEY_LEFT: return TUI_BACK;
	case KEY_RIGHT: return TUI_FORWARD;
	}
	return TUI_NONE;
}

static int handle_key(struct tui *t, int ch)
{
	int act;

	if (ch == KEY_RESIZE)
		return TUI_REDRAW;
	if (ch == KEY_CTRL('l')) {
		clearok(curscr, TRUE);
		return TUI_REDRAW;
	}
	if (t->help) { /* any key closes the help */
		t->help = false;
		return TUI_REDRAW;
	}
	if (t->editing)
		return filter_key(t, ch);
	if (ch == 'q' || ch == 'Q' || ch == KEY_F(10))
		return TUI_QUIT;
	if (ch == '?' || ch == 'h' || ch == KEY_F(1)) {
		t->help = true;
		return TUI_REDRAW;
	}
	if (t->mode == TUI_REPLAY && (act = replay_key(ch)) != TUI_NONE)
		return act;
	if (t->mode == TUI_LIVE && (ch == 'p' || ch == ' ')) {
		t->paused = !t->paused;
		return TUI_REDRAW;
	}
	return t->view == TV_DETAIL ? detail_key(t, ch) : table_key(t, ch);
}

int tui_input(struct tui *t, int timeout_ms)
{
	int act = TUI_NONE;
	bool waited = false;

	for (;;) {
		int ch = t->no_input ? ERR : getch();

		if (ch != ERR) {
			int a = handle_key(t, ch);
			/* actions go back at once; keys typed after them wait for the next call */
			if (a != TUI_NONE && a != TUI_REDRAW)
				return a;
			if (a == TUI_REDRAW)
				act = TUI_REDRAW;
			continue;
		}
		if (act != TUI_NONE || waited || timeout_ms <= 0)
			return act;
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		/* EINTR: a signal.  The caller's stop flag, or SIGWINCH, which
		 * the next getch() reports as KEY_RESIZE. */
		if (poll(&p, t->no_input ? 0 : 1, timeout_ms) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
			t->no_input = true; /* the terminal is gone: the caller's SIGHUP ends the loop */
		waited = true;
	}
}

/* ---- drawing entry point ---- */

void tui_draw(struct tui *t)
{
	if (!t->scr)
		return;
	erase();
	if (COLS < 40 || LINES < 10) {
		tui_put(t, 0, 0, COLS, "vigil: the window is too small (needs 40x10, 80x24 is best)", TA_ALERT, false);
	} else if (t->view == TV_DETAIL) {
		tui_draw_detail(t);
	} else {
		tui_draw_table_view(t);
	}
	if (t->help)
		tui_draw_help(t);
	refresh();
}
