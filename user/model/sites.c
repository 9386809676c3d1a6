// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sites.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "u64map.h"

#define IDS_MAX (1u << 20) /* frame and stack ids a trace may define */
#define HISTORY_STEP_NS 1000000000ull

struct frame_ent {
	char *text; /* module NUL function NUL file NUL; NULL: not defined */
	const char *module, *function, *file;
	__u64 offset;
	__u32 line;
	__u16 kind;
};

struct stack_ent {
	__u32 *frames; /* NULL: not defined */
	__u32 n;
	bool truncated;
};

struct site_model {
	__u32 page_size;
	struct frame_ent *frames; /* [id] */
	__u32 nframes;            /* allocated */
	struct stack_ent *stacks; /* [id] */
	__u32 nstacks;
	__u64 inconsistent;
	__u64 records; /* site records seen */
};

struct hist_pt {
	__u64 ts;   /* first change of its step */
	__u64 live; /* live bytes after the step's last change */
};

struct psite {
	__u32 stack;
	__u32 npts;
	__u64 live;
	__u64 samples;
	__u64 step;
	struct hist_pt pts[SITES_HISTORY];
};

struct page_ent {
	__u32 site;   /* index in sites[] */
	__u32 weight; /* pages it stands for */
};

struct proc_sites {
	struct u64map pages;   /* page number + 1 -> index in ents[] */
	struct page_ent *ents; /* [cap_ents] (at most SITES_PAGES_MAX), a free list through .site */
	__u32 nents, cap_ents, free_head;
	struct u64map by_stack; /* stack + 1 -> index in sites[] */
	struct psite *sites;
	__u32 nsites, cap_sites;
	__u32 level; /* thinning: pages kept are those whose hash ends in level 0 bits */
	__u64 samples, dropped, thinned;
};

#define FREE_END 0xffffffffu

/* ---- frames and stacks ------------------------------------------------------ */

struct site_model *sites_new(__u32 page_size)
{
	struct site_model *m = calloc(1, sizeof(*m));

	if (m)
		m->page_size = page_size ? page_size : 4096;
	return m;
}

void sites_free(struct site_model *m)
{
	if (!m)
		return;
	for (__u32 i = 0; i < m->nframes; i++)
		free(m->frames[i].text);
	for (__u32 i = 0; i < m->nstacks; i++)
		free(m->stacks[i].frames);
	free(m->frames);
	free(m->stacks);
	free(m);
}

/* grows *arr (of *n elements of size sz) to hold index id */
static bool grow_to(void **arr, __u32 *n, size_t sz, __u32 id)
{
	__u32 want = *n ? *n : 256;
	void *p;

	if (id < *n)
		return true;
	if (id >= IDS_MAX)
		return false;
	while (want <= id)
		want *= 2;
	if (!(p = realloc(*arr, (size_t)want * sz)))
		return false;
	memset((char *)p + (size_t)*n * sz, 0, (size_t)(want - *n) * sz);
	*arr = p;
	*n = want;
	return true;
}

void sites_frame(struct site_model *m, const struct ev_site_frame *f)
{
	struct site_frame_text t;
	struct frame_ent *e;
	size_t lm, lf, lfile;

	m->records++;
	if (!f->id || !grow_to((void **)&m->frames, &m->nframes, sizeof(*m->frames), f->id)) {
		m->inconsistent++;
		return;
	}
	e = &m->frames[f->id];
	if (e->text) {
		m->inconsistent++; /* defined twice: the first stays */
		return;
	}
	ev_site_frame_text(f, &t);
	lm = strlen(t.module);
	lf = strlen(t.function);
	lfile = strlen(t.file);
	if (!(e->text = malloc(lm + lf + lfile + 3)))
		return;
	memcpy(e->text, t.module, lm + 1);
	memcpy(e->text + lm + 1, t.function, lf + 1);
	memcpy(e->text + lm + lf + 2, t.file, lfile + 1);
	e->module = e->text;
	e->function = e->text + lm + 1;
	e->file = e->text + lm + lf + 2;
	e->offset = f->offset;
	e->line = f->line;
	e->kind = f->kind;
}

void sites_stack(struct site_model *m, const struct ev_site_stack *s)
{
	struct stack_ent *e;
	__u32 n = s->frames_len / 4u;

	m->records++;
	if (!s->id || !grow_to((void **)&m->stacks, &m->nstacks, sizeof(*m->stacks), s->id)) {
		m->inconsistent++;
		return;
	}
	e = &m->stacks[s->id];
	if (e->frames) {
		m->inconsistent++;
		return;
	}
	if (!(e->frames = malloc(n ? n * sizeof(__u32) : 1)))
		return;
	memcpy(e->frames, s->frames, n * sizeof(__u32));
	e->n = n;
	e->truncated = s->flags & SITE_STACK_TRUNCATED;
}

size_t sites_stack_frames(const struct site_model *m, __u32 stack, const __u32 **frames, bool *truncated)
{
	if (!m || stack >= m->nstacks || !m->stacks[stack].frames) {
		*frames = NULL;
		if (truncated)
			*truncated = false;
		return 0;
	}
	*frames = m->stacks[stack].frames;
	if (truncated)
		*truncated = m->stacks[stack].truncated;
	return m->stacks[stack].n;
}

void sites_frame_info(const struct site_model *m, __u32 frame, struct site_frame_info *out)
{
	const struct frame_ent *e = m && frame < m->nframes ? &m->frames[frame] : NULL;

	if (!e || !e->text) {
		*out = (struct site_frame_info){.module = "", .function = "[unknown]", .file = ""};
		return;
	}
	*out = (struct site_frame_info){.line = e->line, .kind = e->kind, .offset = e->offset,
					.module = e->module, .function = e->function, .file = e->file};
}

bool sites_present(const struct site_model *m)
{
	return m && m->records;
}

__u64 sites_inconsistent(const struct site_model *m)
{
	return m ? m->inconsistent : 0;
}

/* ---- per process ------------------------------------------------------------- */

static __u64 mix(__u64 k)
{
	k ^= k >> 31;
	k *= 0x7fb5d329728ea185ull;
	k ^= k >> 27;
	return k;
}

static void hist_note(struct psite *s, __u64 ts)
{
	if (s->npts && ts < s->pts[s->npts - 1].ts + s->step) {
		s->pts[s->npts - 1].live = s->live;
		return;
	}
	if (s->npts == SITES_HISTORY) {
		/* pairs merge: the earlier start, the later value */
		for (__u32 i = 0; i < SITES_HISTORY / 2; i++) {
			s->pts[i].ts = s->pts[2 * i].ts;
			s->pts[i].live = s->pts[2 * i + 1].live;
		}
		s->npts = SITES_HISTORY / 2;
		s->step *= 2;
	}
	s->pts[s->npts++] = (struct hist_pt){ts, s->live};
}

static struct proc_sites *proc_new(void)
{
	struct proc_sites *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	u64map_init(&ps->pages, SITES_PAGES_MAX);
	u64map_init(&ps->by_stack, SITES_PER_PROC);
	ps->free_head = FREE_END;
	return ps;
}

void sites_proc_free(struct proc_sites *ps)
{
	if (!ps)
		return;
	u64map_free(&ps->pages);
	u64map_free(&ps->by_stack);
	free(ps->ents);
	free(ps->sites);
	free(ps);
}

static struct psite *site_for(struct proc_sites *ps, __u32 stack)
{
	uint32_t *v = u64map_get(&ps->by_stack, (__u64)stack + 1);
	struct psite *s;

	if (v)
		return &ps->sites[*v];
	if (ps->nsites == SITES_PER_PROC)
		return NULL;
	if (ps->nsites == ps->cap_sites) {
		__u32 cap = ps->cap_sites ? ps->cap_sites * 2 : 8;
		struct psite *grown = realloc(ps->sites, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		ps->sites = grown;
		ps->cap_sites = cap;
	}
	if (u64map_put(&ps->by_stack, (__u64)stack + 1, ps->nsites))
		return NULL;
	s = &ps->sites[ps->nsites++];
	memset(s, 0, sizeof(*s));
	s->stack = stack;
	s->step = HISTORY_STEP_NS;
	return s;
}

static void ent_free(struct proc_sites *ps, __u32 i)
{
	ps->ents[i].site = ps->free_head;
	ps->free_head = i;
}

static __u32 ent_alloc(struct proc_sites *ps)
{
	__u32 i;

	if (ps->free_head != FREE_END) {
		i = ps->free_head;
		ps->free_head = ps->ents[i].site;
		return i;
	}
	if (ps->nents == ps->cap_ents) {
		__u32 cap = ps->cap_ents ? ps->cap_ents * 2 : 64;
		struct page_ent *grown;

		if (cap > SITES_PAGES_MAX)
			cap = SITES_PAGES_MAX;
		if (cap == ps->cap_ents || !(grown = realloc(ps->ents, cap * sizeof(*grown))))
			return FREE_END;
		ps->ents = grown;
		ps->cap_ents = cap;
	}
	return ps->nents++;
}

struct release_ctx {
	struct site_model *m;
	struct proc_sites *ps;
	__u64 lo, hi; /* page keys in [lo, hi) */
	__u64 ts;
	__u32 level;  /* thinning: keep when the hash's bit level-1 is clear */
};

static void page_gone(struct release_ctx *c, __u32 idx)
{
	struct page_ent *e = &c->ps->ents[idx];
	struct psite *s = &c->ps->sites[e->site];
	__u64 bytes = (__u64)e->weight * c->m->page_size;

	s->live = s->live > bytes ? s->live - bytes : 0;
	hist_note(s, c->ts);
	ent_free(c->ps, idx);
}

static bool in_range(uint64_t key, uint32_t *val, void *arg)
{
	struct release_ctx *c = arg;

	if (key < c->lo || key >= c->hi)
		return false;
	page_gone(c, *val);
	return true;
}

void sites_release(struct site_model *m, struct proc_sites *ps, __u64 addr, __u64 len, __u64 ts)
{
	struct release_ctx c = {.m = m, .ps = ps, .ts = ts};
	__u64 pg = m->page_size, end = addr + len < addr ? ~0ull : addr + len, pages;

	if (!ps || !len || !ps->pages.len)
		return;
	/* whole pages only: a brk or mremap shrink to an unaligned end keeps
	 * the page it ends in; the range's last page goes (munmap rounds up) */
	c.lo = addr / pg + (addr % pg != 0) + 1;
	c.hi = end / pg + (end % pg != 0) + 1;
	if (c.hi <= c.lo)
		return;
	pages = c.hi - c.lo;
	/* probe the range page by page, or walk the set, whichever is shorter */
	if (pages <= ps->pages.len) {
		for (__u64 k = c.lo; k < c.hi; k++) {
			uint32_t *v = u64map_get(&ps->pages, k);
			if (v) {
				__u32 idx = *v;
				u64map_del(&ps->pages, k);
				page_gone(&c, idx);
			}
		}
	} else {
		u64map_filter(&ps->pages, in_range, &c);
	}
}

static bool clear_all(uint64_t key, uint32_t *val, void *arg)
{
	(void)key;
	page_gone(arg, *val);
	return true;
}

void sites_clear(struct site_model *m, struct proc_sites *ps, __u64 ts)
{
	struct release_ctx c = {.m = m, .ps = ps, .ts = ts};

	if (ps)
		u64map_filter(&ps->pages, clear_all, &c);
}

static bool thin_one(uint64_t key, uint32_t *val, void *arg)
{
	struct release_ctx *c = arg;
	struct page_ent *e = &c->ps->ents[*val];

	if (mix(key) >> (c->level - 1) & 1) {
		page_gone(c, *val);
		c->ps->thinned++;
		return true;
	}
	/* the survivor stands for its departed twin too */
	struct psite *s = &c->ps->sites[e->site];
	s->live += (__u64)e->weight * c->m->page_size;
	e->weight *= 2;
	hist_note(s, c->ts);
	return false;
}

static void thin(struct site_model *m, struct proc_sites *ps, __u64 ts)
{
	struct release_ctx c = {.m = m, .ps = ps, .ts = ts, .level = ++ps->level};

	u64map_filter(&ps->pages, thin_one, &c);
}

bool sites_sample(struct site_model *m, struct proc_sites **psp, const struct ev_site_sample *smp)
{
	struct proc_sites *ps = *psp;
	__u64 key = smp->addr / m->page_size + 1;
	__u64 weight = smp->bytes / m->page_size;
	struct release_ctx c = {.m = m, .ts = smp->h.ts};
	struct psite *s;
	uint32_t *v;
	__u32 idx;

	m->records++;
	if (!ps && !(ps = *psp = proc_new()))
		return false;
	c.ps = ps;
	if (!weight)
		weight = 1;
	if (ps->level && (mix(key) & ((1ull << ps->level) - 1)))
		return true; /* thinned out: its twin stands for it */
	weight <<= ps->level;
	if (!(s = site_for(ps, smp->stack))) {
		ps->dropped++;
		return false;
	}
	ps->samples++;
	s->samples++;
	/* faulted again (after a DONTNEED, or a COW break): it counts once */
	if ((v = u64map_get(&ps->pages, key))) {
		idx = *v;
		u64map_del(&ps->pages, key);
		page_gone(&c, idx);
	}
	if (ps->pages.len >= SITES_PAGES_MAX) {
		thin(m, ps, smp->h.ts);
		if (mix(key) & ((1ull << ps->level) - 1))
			return true;
		weight <<= 1;
	}
	if ((idx = ent_alloc(ps)) == FREE_END || u64map_put(&ps->pages, key, idx)) {
		if (idx != FREE_END)
			ent_free(ps, idx);
		ps->dropped++;
		return false;
	}
	ps->ents[idx] = (struct page_ent){.site = (__u32)(s - ps->sites),
					  .weight = weight > 0xffffffffu ? 0xffffffffu : (__u32)weight};
	s->live += (__u64)ps->ents[idx].weight * m->page_size;
	hist_note(s, smp->h.ts);
	return true;
}

/* ---- queries ------------------------------------------------------------------ */

static __u64 live_at(const struct psite *s, __u64 ts)
{
	if (!ts)
		return 0;
	for (__u32 i = s->npts; i-- > 0;)
		if (s->pts[i].ts <= ts)
			return s->pts[i].live;
	return 0;
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct site_row *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

size_t sites_top(const struct proc_sites *ps, __u64 from_ts, __u64 to_ts, struct site_row *rows, size_t max,
		 __u64 *total)
{
	struct site_row *all;
	size_t n = 0;
	__u64 sum = 0;

	if (total)
		*total = 0;
	if (!ps || !ps->nsites || !max)
		return 0;
	if (!(all = malloc(ps->nsites * sizeof(*all))))
		return 0;
	for (__u32 i = 0; i < ps->nsites; i++) {
		const struct psite *s = &ps->sites[i];
		__s64 g = (__s64)(to_ts ? live_at(s, to_ts) : s->live) - (__s64)live_at(s, from_ts);
		if (g <= 0)
			continue;
		sum += (__u64)g;
		all[n++] = (struct site_row){.stack = s->stack, .bytes = g, .live_bytes = s->live,
					     .samples = s->samples};
	}
	qsort(all, n, sizeof(*all), by_bytes_desc);
	if (n > max)
		n = max;
	memcpy(rows, all, n * sizeof(*rows));
	free(all);
	if (total)
		*total = sum;
	return n;
}

void sites_proc_counts(const struct proc_sites *ps, struct sites_proc_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (!ps)
		return;
	out->samples = ps->samples;
	out->dropped = ps->dropped;
	out->thinned = ps->thinned;
	out->live_pages = ps->pages.len;
	out->level = ps->level;
	for (__u32 i = 0; i < ps->nsites; i++)
		out->live_bytes += ps->sites[i].live;
}
