// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The waited_behind table (see wbh.h).  A charge is one hash probe; a shed
 * (one in WBH_MAX / 2 newcomers once the table is full) selects on the ns
 * values alone and rebuilds the table from the kept half. */
#include <string.h>
#include "wbh.h"

static inline __u32 wbh_home(__u32 key)
{
	return (key * 2654435761u) >> 25; /* 7 bits: WBH_SLOTS */
}
_Static_assert(WBH_SLOTS == 1u << 7, "wbh_home hashes to 7 bits");

static __u32 wbh_insert(struct wbh *t, __u32 key, __u64 ns, __u64 base)
{
	__u32 i = wbh_home(key);

	while (t->key[i])
		i = (i + 1) & (WBH_SLOTS - 1);
	t->key[i] = key;
	t->ns[i] = ns;
	t->base[i] = base;
	t->n++;
	return i;
}

static inline void swap_u64(__u64 *x, __u64 *y)
{
	__u64 t = *x;

	*x = *y;
	*y = t;
}

/* The value at index k if v[0..n) were sorted largest first (k < n);
 * reorders v.  Quickselect with a three-way partition, so ties cannot make
 * it quadratic. */
static __u64 nth_largest(__u64 *v, __u32 n, __u32 k)
{
	__u32 lo = 0, hi = n;

	for (;;) {
		__u64 pivot = v[lo + (hi - lo) / 2];
		__u32 lt = lo, i = lo, gt = hi;

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
	}
}

/* Keeps the n/2 entries with the most ns (of those equal to the smallest
 * kept value, the ones earlier in the table) and adds the others to *out. */
static void wbh_shed(struct wbh *t, struct wbh_shed *out)
{
	__u64 v[WBH_SLOTS], thr;
	struct wbh_ent kept[WBH_SLOTS];
	__u32 n = 0, keep, above = 0, ties, nk = 0;

	for (__u32 i = 0; i < WBH_SLOTS; i++)
		if (t->key[i])
			v[n++] = t->ns[i];
	keep = n / 2;
	if (!keep) /* WBH_MAX < 2 only */
		return;
	thr = nth_largest(v, n, keep - 1);
	for (__u32 i = 0; i < keep; i++) /* v[0..keep) holds the kept values now */
		above += v[i] > thr;
	ties = keep - above;
	out->ns = out->base = 0;
	out->n = 0;
	for (__u32 i = 0; i < WBH_SLOTS; i++) {
		if (!t->key[i])
			continue;
		if (t->ns[i] > thr || (t->ns[i] == thr && ties && ties--)) {
			kept[nk++] = (struct wbh_ent){t->key[i], t->ns[i], t->base[i]};
			continue;
		}
		out->ns += t->ns[i];
		out->base += t->base[i];
		out->n++;
	}
	memset(t->key, 0, sizeof(t->key));
	t->n = 0;
	for (__u32 i = 0; i < nk; i++)
		wbh_insert(t, kept[i].key, kept[i].ns, kept[i].base);
}

void wbh_charge(struct wbh *t, __u32 key, __u64 d, struct wbh_shed *shed)
{
	for (__u32 i = wbh_home(key);; i = (i + 1) & (WBH_SLOTS - 1)) {
		if (t->key[i] == key) {
			t->ns[i] += d;
			return;
		}
		if (!t->key[i])
			break;
	}
	if (t->n >= WBH_MAX)
		wbh_shed(t, shed);
	wbh_insert(t, key, d, 0);
}

__u32 wbh_sorted(const struct wbh *t, struct wbh_ent *out)
{
	__u32 n = 0;

	/* insertion sort: at most WBH_MAX entries, and only at settle */
	for (__u32 i = 0; i < WBH_SLOTS; i++) {
		struct wbh_ent e = {t->key[i], t->ns[i], t->base[i]};
		__u32 k;

		if (!e.key)
			continue;
		for (k = n++; k > 0 && (out[k - 1].ns < e.ns ||
					(out[k - 1].ns == e.ns && out[k - 1].key > e.key)); k--)
			out[k] = out[k - 1];
		out[k] = e;
	}
	return n;
}

void wbh_interval_start(struct wbh *t)
{
	memcpy(t->base, t->ns, sizeof(t->base));
}
