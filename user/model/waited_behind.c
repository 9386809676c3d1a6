// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The waited_behind table (see waited_behind.h).  A charge is one hash probe; a
 * newcomer at a full table doubles it (rebuilding the hash) until WBH_MAX;
 * from there a shed (one in WBH_MAX / 2 newcomers) selects on a copy of the
 * dense ns values, compacts the kept half in place and rebuilds the hash
 * from it. */
#include <stdlib.h>
#include <string.h>
#include "waited_behind.h"

static size_t bytes_for(__u32 cap)
{
	/* slot_key, key: 4 B; ns, base: 8 B; slot_ent: 1 B */
	return (size_t)cap * (2 * 4 + 4 + 8 + 8 + 2 * 1);
}

/* entry e (already filled) into the hash */
static void slot_put(struct wbh *t, __u32 e)
{
	__u32 mask = 2 * t->cap - 1, i = wbh_home(t, t->key[e]);

	while (t->slot_key[i])
		i = (i + 1) & mask;
	t->slot_key[i] = t->key[e];
	t->slot_ent[i] = (__u8)e;
}

static inline void swap_u64(__u64 *x, __u64 *y)
{
	__u64 t = *x;

	*x = *y;
	*y = t;
}

/* The value at index k if v[0..n) were sorted largest first (k < n);
 * reorders v.  Quickselect with a three-way partition, so ties cannot make
 * it quadratic.  The first pivot is the caller's guess (the previous
 * shed's threshold: the entries kept then are still the largest, unless a
 * newcomer overtook them, so one pass usually settles it); when only the
 * smallest of a range is left to find, one scan finds it. */
static __u64 nth_largest(__u64 *v, __u32 n, __u32 k, __u64 guess)
{
	__u32 lo = 0, hi = n;
	__u64 pivot = guess;

	for (;;) {
		__u32 lt = lo, i = lo, gt = hi;

		if (k == hi - 1) {
			__u64 min = v[lo];

			for (i = lo + 1; i < hi; i++)
				min = v[i] < min ? v[i] : min;
			return min;
		}
		while (i < gt) { /* [lo,lt) > pivot, [lt,gt) == pivot, [gt,hi) < pivot */
			if (v[i] > pivot)
				swap_u64(&v[lt++], &v[i++]);
			else if (v[i] < pivot)
				swap_u64(&v[i], &v[--gt]);
			else
				i++;
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
		pivot = v[lo + (hi - lo) / 2];
	}
}

/* The hash, from the dense entries */
static void rehash(struct wbh *t)
{
	memset(t->slot_key, 0, 2 * (size_t)t->cap * sizeof(*t->slot_key));
	for (__u32 e = 0; e < t->n; e++)
		slot_put(t, e);
}

/* Keeps the n/2 entries with the most ns (of those equal to the smallest
 * kept value, the ones earlier in the table), compacted to the front in
 * their order, and adds the others to *out. */
static void wbh_shed(struct wbh *t, struct wbh_shed *out)
{
	__u64 v[WBH_MAX], thr;
	__u32 keep = t->n / 2, above = 0, ties, nk = 0;

	if (!keep) /* WBH_MAX < 2 only */
		return;
	memcpy(v, t->ns, t->n * sizeof(v[0]));
	thr = nth_largest(v, t->n, keep - 1, t->last_thr ? t->last_thr : v[t->n / 2]);
	t->last_thr = thr;
	for (__u32 e = 0; e < t->n; e++)
		above += t->ns[e] > thr;
	ties = keep - above;
	out->ns = out->base = 0;
	out->n = 0;
	for (__u32 e = 0; e < t->n; e++) {
		if (t->ns[e] > thr || (t->ns[e] == thr && ties && ties--)) {
			t->key[nk] = t->key[e];
			t->ns[nk] = t->ns[e];
			t->base[nk++] = t->base[e];
			continue;
		}
		out->ns += t->ns[e];
		out->base += t->base[e];
		out->n++;
	}
	t->n = nk;
	rehash(t);
}

/* Room for cap entries, the n in use kept; -1 when out of memory (t is
 * unchanged then).  The 8-byte arrays come first, so every array is
 * aligned for its type. */
static int resize(struct wbh *t, __u32 cap)
{
	char *m = malloc(bytes_for(cap));
	struct wbh o = *t;
	__u32 bits = 0;

	if (!m)
		return -1;
	while ((1u << bits) < 2 * cap)
		bits++;
	t->ns = (__u64 *)m;
	t->base = t->ns + cap;
	t->slot_key = (__u32 *)(t->base + cap);
	t->key = t->slot_key + 2 * cap;
	t->slot_ent = (__u8 *)(t->key + cap);
	t->cap = cap;
	t->shift = 32 - bits;
	if (o.n) {
		memcpy(t->ns, o.ns, o.n * sizeof(*t->ns));
		memcpy(t->base, o.base, o.n * sizeof(*t->base));
		memcpy(t->key, o.key, o.n * sizeof(*t->key));
	}
	free(o.ns);
	rehash(t);
	return 0;
}

void wbh_add(struct wbh *t, __u32 key, __u64 d, struct wbh_shed *shed)
{
	__u32 e;

	if (t->n >= t->cap && (t->cap >= WBH_MAX || resize(t, t->cap ? 2 * t->cap : WBH_FIRST))) {
		if (!t->cap) { /* nothing to shed into: d goes straight back */
			*shed = (struct wbh_shed){.ns = d, .n = 1};
			return;
		}
		wbh_shed(t, shed);
	}
	e = t->n++;
	t->key[e] = key;
	t->ns[e] = d;
	t->base[e] = 0;
	slot_put(t, e);
}

static inline int ent_before(const struct wbh_ent *x, const struct wbh_ent *y)
{
	return x->ns > y->ns || (x->ns == y->ns && x->key < y->key);
}

__u32 wbh_top(const struct wbh *t, struct wbh_ent *out, __u32 k, struct wbh_shed *rest)
{
	__u32 n = 0;

	*rest = (struct wbh_shed){0};
	if (!k)
		return 0;
	/* insertion into a sorted top k: at settle only, and an entry below the
	 * current k-th costs one compare */
	for (__u32 e = 0; e < t->n; e++) {
		struct wbh_ent x = {t->key[e], t->ns[e], t->base[e]}, out_k;
		__u32 j;

		if (n == k && !ent_before(&x, &out[k - 1])) {
			rest->ns += x.ns, rest->base += x.base, rest->n++;
			continue;
		}
		if (n == k) { /* the k-th drops out */
			out_k = out[k - 1];
			rest->ns += out_k.ns, rest->base += out_k.base, rest->n++;
			n--;
		}
		for (j = n++; j > 0 && ent_before(&x, &out[j - 1]); j--)
			out[j] = out[j - 1];
		out[j] = x;
	}
	return n;
}

void wbh_interval_start(struct wbh *t)
{
	if (t->n)
		memcpy(t->base, t->ns, t->n * sizeof(*t->base));
}

__u64 wbh_bytes(const struct wbh *t)
{
	return t->cap ? bytes_for(t->cap) : 0;
}

void wbh_free(struct wbh *t)
{
	free(t->ns);
	memset(t, 0, sizeof(*t));
}
