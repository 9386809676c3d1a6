/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One process's waited_behind table as charged: CPU holder key (pid + 1,
 * never 0) -> ns, with the ns at the interval start (base).  At most
 * WBH_MAX holders are counted exactly; when a new holder arrives at a full
 * table, the smaller half (by ns; ties: the entries later in the table) is
 * shed and handed back to the caller to fold into runq_other_ns.  Halving
 * keeps a stream of one-off holders (kworkers, shells) O(1) amortised per
 * newcomer, while a heavy holder that arrives late still gets in: what it
 * displaces are the small ones.
 *
 * Allocated by the aggregator only for processes that waited behind
 * someone (2.5 KB), and freed once an exited process's numbers are final.
 */
#ifndef VIGIL_WBH_H
#define VIGIL_WBH_H

#include <linux/types.h>

#define WBH_SLOTS 128 /* power of two */
#define WBH_MAX 64    /* half full: probes stay short; then the smaller half is shed */

struct wbh_ent {
	__u32 key;
	__u64 ns, base;
};

/* Entries are dense (e[0..n)), so a shed reads them without scanning the
 * hash; the hash holds the keys (so a probe touches one array) and each
 * key's entry index. */
struct wbh {
	__u32 n;
	__u32 slot_key[WBH_SLOTS]; /* 0: empty */
	__u8 slot_ent[WBH_SLOTS];
	__u32 key[WBH_MAX];
	__u64 ns[WBH_MAX], base[WBH_MAX];
	__u64 last_thr; /* the previous shed's threshold: the next one's first guess */
};
_Static_assert(WBH_MAX <= 256, "entry indexes are bytes");

/* What a charge shed: the sum of the shed entries' ns and base, and how many. */
struct wbh_shed {
	__u64 ns, base;
	__u32 n;
};

static inline __u32 wbh_home(__u32 key)
{
	return (key * 2654435761u) >> 25; /* 7 bits: WBH_SLOTS */
}
_Static_assert(WBH_SLOTS == 1u << 7, "wbh_home hashes to 7 bits");

/* t must be zeroed.  Adds d ns to key if it is in t (returns 1), else
 * returns 0 and leaves t alone.  Inline: most charges find their holder. */
static inline int wbh_hit(struct wbh *t, __u32 key, __u64 d)
{
	for (__u32 i = wbh_home(key);; i = (i + 1) & (WBH_SLOTS - 1)) {
		if (t->slot_key[i] == key) {
			t->ns[t->slot_ent[i]] += d;
			return 1;
		}
		if (!t->slot_key[i])
			return 0;
	}
}
/* A newcomer (not in t) with d ns, after a shed when t is full: *shed gets
 * what went (it is left alone otherwise). */
void wbh_add(struct wbh *t, __u32 key, __u64 d, struct wbh_shed *shed);
/* wbh_hit, else wbh_add */
static inline void wbh_charge(struct wbh *t, __u32 key, __u64 d, struct wbh_shed *shed)
{
	if (!wbh_hit(t, key, d))
		wbh_add(t, key, d, shed);
}
/* The k entries with the most ns, largest first (ties: lower key first),
 * into out[k]; returns how many (min(k, entries)).  *rest gets the sums of
 * the others (its n: how many). */
__u32 wbh_top(const struct wbh *t, struct wbh_ent *out, __u32 k, struct wbh_shed *rest);
/* The interval starts now: base = ns for every entry. */
void wbh_interval_start(struct wbh *t);

#endif
