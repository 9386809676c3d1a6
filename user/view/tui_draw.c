// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live view's main screen: header, process table grouped by role,
 * findings pane, key bar, help.  Everything drawn comes from the copy in
 * t->snap and t->hdr; every text goes through tui_put() (tt_fit), so no
 * process-controlled byte reaches the terminal unfiltered. */
#define _GNU_SOURCE
#include "tui_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "spark.h"
#include "targets.h"
#include "tui_text.h"

#define CELL_MAX (4 * TUI_TEXT_MAX + 1)

void tui_put(struct tui *t, int y, int x, int cols, const char *text, enum tui_attr a, bool right)
{
	char cell[CELL_MAX];

	if (y < 0 || y >= LINES || x < 0 || x >= COLS)
		return;
	if (cols > COLS - x)
		cols = COLS - x;
	if (cols > TUI_TEXT_MAX)
		cols = TUI_TEXT_MAX;
	if (cols <= 0)
		return;
	tt_fit(cell, sizeof(cell), text, cols, right, t->utf8);
	attrset(t->attr[a]);
	mvaddstr(y, x, cell);
	attrset(A_NORMAL);
}

/* text at *x on line y if it fits before the right edge; moves *x past it
 * and a gap.  false when it did not fit (nothing drawn). */
static bool put_seg(struct tui *t, int y, int *x, const char *text, enum tui_attr a)
{
	int w = tt_width(text, t->utf8);

	if (*x + w > COLS)
		return false;
	tui_put(t, y, *x, w, text, a, false);
	*x += w + 2;
	return true;
}

/* ---- header ---- */

/* the left part of the title: the fuller variants first (v 0..3: with the
 * date, then the time of day only, then without the host as well) */
static void title_left(const struct tui *t, int v, char *buf, size_t len)
{
	const struct tui_hdr *h = &t->hdr;
	char when[32] = "", el[16];
	bool host = h->host[0] && v < 2;

	if (h->st.wall_ns) {
		time_t s = (time_t)(h->st.wall_ns / 1000000000ull);
		struct tm tm;
		if (localtime_r(&s, &tm))
			strftime(when, sizeof(when), v % 2 ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	}
	snprintf(buf, len, " vigil %s  %s%s%s  +%s", h->mode[0] ? h->mode : "LIVE", host ? h->host : "",
		 host ? "  " : "", when, tt_elapsed(el, sizeof(el), h->st.elapsed_s));
}

/* the right part: the page-fault source in full, or its first word, then
 * without the help hint */
static void title_right(const struct tui *t, int v, char *buf, size_t len)
{
	const char *pf = t->hdr.pf[0] ? t->hdr.pf : "?";
	int word = (int)strcspn(pf, " ");

	snprintf(buf, len, "pf: %.*s%s", v ? word : (int)strlen(pf), pf, v < 2 ? "  ? help " : " ");
}

static void title_line(struct tui *t, int y)
{
	char left[TUI_TEXT_MAX], right[96];
	int pause_w = t->paused ? 8 : 0;

	/* the page-fault source is part of what the numbers mean: drop the date and
	 * the host before it */
	for (int v = 0; v < 12; v++) {
		title_left(t, v / 3, left, sizeof(left));
		title_right(t, v % 3, right, sizeof(right));
		if (tt_width(left, t->utf8) + pause_w + 2 + tt_width(right, t->utf8) <= COLS || v == 11)
			break;
	}
	tui_put(t, y, 0, COLS, left, TA_TITLE, false);
	if (t->paused) /* the table no longer moves: say so where the eye is */
		tui_put(t, y, tt_width(left, t->utf8) + 2, 6, "PAUSED", TA_ALERT, false);
	if (tt_width(left, t->utf8) + pause_w + 2 + tt_width(right, t->utf8) <= COLS)
		tui_put(t, y, COLS - tt_width(right, t->utf8), tt_width(right, t->utf8), right, TA_TITLE, false);
}

/* per-CPU busy: percentages for a few CPUs, one bar glyph each for many */
static void cpu_seg(struct tui *t, int y, int *x)
{
	const struct tui_snap *s = &t->snap;
	char buf[TUI_TEXT_MAX];
	size_t n = 0;
	double sum = 0;

	if (!s->valid || !s->ncpus)
		return;
	for (unsigned c = 0; c < s->ncpus; c++)
		sum += s->cpu_busy_pct[c];
	if (s->ncpus <= 8) {
		n = (size_t)snprintf(buf, sizeof(buf), "CPU");
		for (unsigned c = 0; c < s->ncpus && n < sizeof(buf); c++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %.0f%%", s->cpu_busy_pct[c]);
		put_seg(t, y, x, buf, TA_NORMAL);
		return;
	}
	snprintf(buf, sizeof(buf), "CPU avg %.0f%%", sum / s->ncpus);
	if (!put_seg(t, y, x, buf, TA_NORMAL))
		return;
	*x -= 1;
	for (unsigned c = 0; c < s->ncpus && *x < COLS - 40; c++)
		tui_put(t, y, (*x)++, 1, spark_glyph(spark_level_of(s->cpu_busy_pct[c] / 100), t->utf8), TA_BAR,
			false);
	*x += 2;
}

static void numbers_line(struct tui *t, int y)
{
	const struct tui_hdr *h = &t->hdr;
	char buf[96], b1[16], b2[16];
	int x = 1;

	snprintf(buf, sizeof(buf), "events %s/s", fmt_count(b1, sizeof(b1), h->events_per_s));
	put_seg(t, y, &x, buf, TA_NORMAL);
	/* lost events are never hidden, and red as soon as there is one */
	snprintf(buf, sizeof(buf), "lost %llu", h->lost);
	put_seg(t, y, &x, buf, h->lost ? TA_ALERT : TA_NORMAL);
	cpu_seg(t, y, &x);
	if (t->snap.valid) {
		snprintf(buf, sizeof(buf), "runnable %.2f/%u", t->snap.runnable, t->snap.ncpus);
		put_seg(t, y, &x, buf, t->snap.runnable > t->snap.ncpus ? TA_NOTE : TA_NORMAL);
	}
	if (h->st.self_cpu_pct >= 0 || h->st.self_rss) {
		snprintf(buf, sizeof(buf), "vigil %.1f%% %s", h->st.self_cpu_pct >= 0 ? h->st.self_cpu_pct : 0,
			 h->st.self_rss ? fmt_bytes(b2, sizeof(b2), (double)h->st.self_rss) : "");
		put_seg(t, y, &x, buf, TA_NORMAL);
	}
	if (h->st.bpf_cpu_pct >= 0) {
		/* the in-kernel part, which the process's own CPU time does not hold */
		snprintf(buf, sizeof(buf), "BPF %.1f%%", h->st.bpf_cpu_pct);
		put_seg(t, y, &x, buf, TA_NORMAL);
	}
}

void tui_draw_header(struct tui *t, int *y)
{
	title_line(t, (*y)++);
	numbers_line(t, (*y)++);
	if (t->hdr.alert[0])
		tui_put(t, (*y)++, 0, COLS, t->hdr.alert, TA_ALERT, false);
	if (t->hdr.note[0])
		tui_put(t, (*y)++, 1, COLS - 1, t->hdr.note, TA_NOTE, false);
}

/* ---- the process table ---- */

int tui_layout(int width, int widths[TUI_COLS_MAX])
{
	size_t n;
	const struct tui_col *cols = tui_cols(&n);
	int vis = (1 << n) - 1, total = 0, last = (int)n - 1;

	for (size_t c = 0; c < n; c++)
		total += cols[c].width + 1;
	/* drop the least wanted column until the rest fits */
	while (total - 1 > width) {
		int worst = -1;
		for (int c = 0; c < (int)n; c++)
			if ((vis & (1 << c)) && cols[c].drop && (worst < 0 || cols[c].drop > cols[worst].drop))
				worst = c;
		if (worst < 0)
			break;
		vis &= ~(1 << worst);
		total -= cols[worst].width + 1;
	}
	for (int c = 0; c < TUI_COLS_MAX; c++)
		widths[c] = c < (int)n && (vis & (1 << c)) ? cols[c].width : 0;
	/* the last column (the command line) takes whatever is left */
	if (vis & (1 << last))
		widths[last] += width - (total - 1);
	return vis;
}

static void column_titles(struct tui *t, int y, const int w[TUI_COLS_MAX])
{
	size_t n;
	const struct tui_col *cols = tui_cols(&n);
	int x = 0;

	tui_put(t, y, 0, COLS, "", TA_COLHDR, false);
	for (int c = 0; c < (int)n; c++) {
		if (!w[c])
			continue;
		tui_put(t, y, x, w[c], cols[c].title, c == t->order.key ? TA_SORT : TA_COLHDR, cols[c].right);
		x += w[c] + 1;
	}
}

/* badge words (the detector table's) if they fit the cell, else initials */
static void badge_text(char *buf, size_t len, const struct tui_row *r, int width)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		buf[0] = '\0';
		for (unsigned k = 0; k < FIND_KIND_COUNT; k++) {
			char word[16];
			if (!(r->badges & TUI_BADGE(k)))
				continue;
			snprintf(word, sizeof(word), "%s", finding_kind_badge((enum finding_kind)k));
			if (pass)
				word[1] = '\0';
			if (!(r->badges_active & TUI_BADGE(k))) /* ended: lower case */
				for (char *p = word; *p; p++)
					*p = (char)(*p - 'A' + 'a');
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n && !pass ? " " : "", word);
		}
		if ((int)n <= width)
			break;
	}
	if (!r->badges && r->exited)
		snprintf(buf, len, "exited");
}

/* the colour of the first active kind, in the table's order */
static enum tui_attr badge_attr(const struct tui_row *r)
{
	if (r->badges_crit)
		return TA_CRIT;
	for (unsigned k = 0; k < FIND_KIND_COUNT; k++)
		if (r->badges_active & TUI_BADGE(k))
			return (enum tui_attr)(TA_KIND + k);
	return TA_DIM;
}

/* the text of cell c of row r: a field's was filled at the snapshot */
static const char *cell_text(char *buf, size_t len, const struct tui_row *r, const struct tui_col *col, int c,
			     int width)
{
	if (col->what == TUI_COL_FIELD)
		return r->cell[c];
	if (col->what == TUI_COL_CMDLINE)
		return r->cmdline;
	badge_text(buf, len, r, width);
	return buf;
}

static void process_line(struct tui *t, int y, const struct tui_row *r, bool sel, const int w[TUI_COLS_MAX])
{
	enum tui_attr base = sel ? TA_SEL : r->exited ? TA_DIM : TA_NORMAL;
	size_t n;
	const struct tui_col *cols = tui_cols(&n);
	char buf[TUI_TEXT_MAX];
	int x = 0;

	if (sel)
		tui_put(t, y, 0, COLS, "", TA_SEL, false);
	for (int c = 0; c < (int)n; c++) {
		enum tui_attr a = base;
		if (!w[c])
			continue;
		if (cols[c].what == TUI_COL_BADGES && !sel)
			a = badge_attr(r);
		tui_put(t, y, x, w[c], cell_text(buf, sizeof(buf), r, &cols[c], c, w[c]), a, cols[c].right);
		x += w[c] + 1;
	}
}

static void group_line(struct tui *t, int y, unsigned role)
{
	char buf[160], b1[16], b2[16], ex[32] = "";
	double cpu = 0, rss = 0;
	size_t n = 0, gone = 0;

	for (size_t i = 0; i < t->nord; i++) {
		const struct tui_row *r = &t->snap.rows[t->ord[i]];
		if (r->role != role)
			continue;
		n++;
		gone += r->exited;
		cpu += r->cpu_pct;
		if (!r->exited)
			rss += (double)r->rss;
	}
	if (gone)
		snprintf(ex, sizeof(ex), " (%zu exited)", gone);
	snprintf(buf, sizeof(buf), "%s: %zu process%s%s, CPU %s%%, RSS %s", role_name(role), n, n == 1 ? "" : "es",
		 ex, tt_pct(b1, sizeof(b1), cpu), fmt_bytes(b2, sizeof(b2), rss));
	tui_put(t, y, 0, COLS, buf, TA_GROUP, false);
}

static void table(struct tui *t, int y, int h)
{
	int w[TUI_COLS_MAX];

	t->visible_cols = tui_layout(COLS, w);
	column_titles(t, y++, w);
	h--;
	t->table_h = h > 0 ? h : 1;
	if (!t->snap.valid) {
		tui_put(t, y, 1, COLS - 1, "waiting for the first interval...", TA_DIM, false);
		return;
	}
	if (!t->nord) {
		tui_put(t, y, 1, COLS - 1,
			t->snap.nrows ? "no process matches the filter (Esc clears it, r changes the role)"
				      : "no traced process yet",
			TA_DIM, false);
		return;
	}
	/* the height may have changed since the selection was last kept in view */
	if (t->top + (size_t)t->table_h > t->ndisp)
		t->top = t->ndisp > (size_t)t->table_h ? t->ndisp - (size_t)t->table_h : 0;
	for (int i = 0; i < h && t->top + (size_t)i < t->ndisp; i++) {
		const struct tui_disp *d = &t->disp[t->top + (size_t)i];
		if (d->group)
			group_line(t, y + i, d->role);
		else
			process_line(t, y + i, &t->snap.rows[t->ord[d->pos]], d->pos == t->sel, w);
	}
}

/* ---- findings ---- */

static enum tui_attr kind_attr(const struct finding *f)
{
	if (!f->active)
		return TA_DIM;
	if (f->severity == SEV_CRIT)
		return TA_CRIT;
	return (unsigned)f->kind < FIND_KIND_COUNT ? (enum tui_attr)(TA_KIND + f->kind) : TA_NORMAL;
}

static const char *sev_word(const struct finding *f)
{
	return f->severity == SEV_CRIT ? "crit" : "warn";
}

static void finding_line(struct tui *t, int y, const struct finding *f)
{
	char buf[TUI_TEXT_MAX + 64], age[16], who[40];
	/* how long it has held, or held before it ended */
	__u64 until = f->active ? t->snap.ts : f->last_ts;
	__u64 since = f->since_ts && f->since_ts <= until ? until - f->since_ts : 0;

	tui_put(t, y, 1, 8, finding_kind_badge(f->kind), kind_attr(f), false);
	if (f->pid)
		snprintf(who, sizeof(who), "%u %s", f->pid, f->comm);
	else
		snprintf(who, sizeof(who), "host");
	snprintf(buf, sizeof(buf), "%-4s %-22.22s %6s%s %s", sev_word(f), who,
		 tt_elapsed(age, sizeof(age), (double)since / 1e9), f->active ? "" : " ended", f->summary);
	tui_put(t, y, 10, COLS - 10, buf, f->active ? TA_NORMAL : TA_DIM, false);
}

static void findings(struct tui *t, int y, int h)
{
	const struct tui_snap *s = &t->snap;
	char buf[96];
	size_t active = 0;

	for (size_t i = 0; i < s->nfindings; i++)
		active += s->findings[i].active;
	snprintf(buf, sizeof(buf), " FINDINGS  %zu active, %zu in all, newest first", active, s->nfindings);
	tui_put(t, y, 0, COLS, s->nfindings ? buf : " FINDINGS  none", TA_COLHDR, false);
	for (int i = 0; i + 1 < h && (size_t)i < s->nfindings; i++) {
		if (i + 2 == h && s->nfindings > (size_t)h - 1) {
			snprintf(buf, sizeof(buf), "  ... %zu more (the detail view of a process shows its own)",
				 s->nfindings - (size_t)i);
			tui_put(t, y + 1 + i, 0, COLS, buf, TA_DIM, false);
			break;
		}
		finding_line(t, y + 1 + i, &s->findings[i]);
	}
}

/* ---- key bar and help ---- */

void tui_draw_keybar(struct tui *t, const char *keys)
{
	tui_put(t, LINES - 1, 0, COLS, keys, TA_TITLE, false);
}

/* Key hints in order, as many as fit; the ones marked needed are kept
 * first, so q and ? never fall off an 80-column bar. */
struct hint {
	const char *text;
	bool needed;
};

static void hints_bar(struct tui *t, const char *prefix, const struct hint *h, size_t n)
{
	char buf[TUI_TEXT_MAX];
	int budget = COLS - 1 - tt_width(prefix, t->utf8), len = 0;
	bool keep[16] = {false};

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n && i < 16; i++) {
			int w = tt_width(h[i].text, t->utf8) + 2;
			if (keep[i] || h[i].needed != !pass || len + w > budget)
				continue;
			keep[i] = true;
			len += w;
		}
	len = snprintf(buf, sizeof(buf), " %s", prefix);
	for (size_t i = 0; i < n && i < 16 && len < (int)sizeof(buf); i++)
		if (keep[i])
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s  ", h[i].text);
	tui_draw_keybar(t, buf);
}

static void table_keybar(struct tui *t)
{
	char buf[TUI_TEXT_MAX], view[TUI_FILTER_MAX + 64] = "", sort[32];
	size_t ncols;
	const struct tui_col *cols = tui_cols(&ncols);
	int n = 0;

	if (t->editing) {
		snprintf(buf, sizeof(buf), " filter: %s_   Enter keep  Esc clear", t->filter);
		tui_draw_keybar(t, buf);
		return;
	}
	if (t->filter[0])
		n += snprintf(view + n, sizeof(view) - (size_t)n, "[/%s] ", t->filter);
	if (t->order.role >= 0)
		snprintf(view + n, sizeof(view) - (size_t)n, "[%s] ", role_name((enum vigil_role)t->order.role));
	snprintf(sort, sizeof(sort), "s sort:%s%s", t->order.key >= 0 && (size_t)t->order.key < ncols
		 ? cols[t->order.key].title : "?", t->order.invert ? "^" : "");
	if (t->mode == TUI_REPLAY) {
		const struct hint h[] = {
			{"spc pause", true}, {". step", false}, {"+- speed", false},
			{t->utf8 ? "\u2190\u2192 10s" : "<- -> 10s", false}, {"Enter detail", false}, {sort, true},
			{"/ filter", false}, {"r role", false}, {"? help", true}, {"q quit", true},
		};
		hints_bar(t, view, h, sizeof(h) / sizeof(h[0]));
	} else {
		const struct hint h[] = {
			{"Enter detail", true}, {sort, true}, {"/ filter", true}, {"r role", true},
			{t->paused ? "p resume" : "p pause", true}, {"? help", true}, {"q quit", true},
		};
		hints_bar(t, view, h, sizeof(h) / sizeof(h[0]));
	}
}

void tui_draw_table_view(struct tui *t)
{
	int y = 0, h, fh, nf = (int)t->snap.nfindings;

	tui_draw_header(t, &y);
	h = LINES - y - 1; /* minus the key bar */
	/* findings: a title line and up to a quarter of the screen, never all of it */
	fh = 1 + (nf < 1 ? 0 : nf);
	if (fh > 1 + (h - 4) / 3)
		fh = 1 + (h - 4) / 3;
	if (fh < 1)
		fh = 1;
	table(t, y, h - fh);
	findings(t, y + h - fh, fh);
	table_keybar(t);
}

void tui_draw_help(struct tui *t)
{
	static const char *const common[] = {
		"Up/Down PgUp/PgDn Home/End   move (j/k g/G too)",
		"Enter          details of the selected process (Esc back)",
		"s, F6, > / <   sort by the next / previous column;  I  invert",
		"/              filter on name or command line (Esc clears)",
		"r              show one role: asr, avatar, camera, other, all",
		"?  F1          this help;   q  F10  quit;   ^L  repaint",
		"",
		"CPU%     on-CPU time over the interval (100 = one CPU)",
		"RQ-P50/99 run-queue wait percentiles over the interval",
		"INV/s    involuntary switches (preempted) per second",
		"RSS/m    resident-set change per minute (last minute)",
		"FLT/s    user page faults per second",
		"MAPPED   live anonymous mappings;  HEAP  brk heap",
		"FINDING  LEAK, RETAIN, CONTEND (lower case: ended)",
	};
	static const char *const live[] = {"p  space     pause the numbers (keys keep working)"};
	static const char *const replay[] = {
		"space  p     pause / play;   .  n   one interval on",
		"+  -         play faster / slower",
		"Left Right   10 s back / on",
	};
	const char *const *extra = t->mode == TUI_REPLAY ? replay : live;
	int nextra = t->mode == TUI_REPLAY ? 3 : 1, ncommon = (int)(sizeof(common) / sizeof(common[0]));
	int h = ncommon + nextra + 4, w = COLS - 4 < 70 ? COLS - 4 : 70;
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2, y = y0 + 1;

	if (y0 < 0)
		y0 = 0, y = 1;
	for (int i = 0; i < h && y0 + i < LINES; i++)
		tui_put(t, y0 + i, x0, w, "", TA_NORMAL, false);
	attrset(t->attr[TA_BOLD]);
	mvhline(y0, x0, ACS_HLINE, w);
	if (y0 + h - 1 < LINES)
		mvhline(y0 + h - 1, x0, ACS_HLINE, w);
	attrset(A_NORMAL);
	tui_put(t, y0, x0 + 2, tt_width(" vigil keys (any key closes) ", false), " vigil keys (any key closes) ", TA_BOLD,
		false);
	for (int i = 0; i < nextra; i++)
		tui_put(t, ++y, x0 + 2, w - 4, extra[i], TA_NORMAL, false);
	for (int i = 0; i < ncommon; i++)
		tui_put(t, ++y, x0 + 2, w - 4, common[i], TA_NORMAL, false);
}
