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
 * The storage starts at WBH_FIRST holders and doubles up to WBH_MAX, so a
 * process that waited behind a few others holds ~0.5 KB, and one that
 * waits behind a crowd (sched messaging: 200 tasks take turns on 2 CPUs)
 * keeps them all instead of shedding and re-adding them at every turn,
 * which once cost an offline report most of its time.
 *
 * A zeroed struct wbh is an empty table; wbh_free() gives its storage back.
 */
#ifndef VIGIL_WAITED_BEHIND_H
#define VIGIL_WAITED_BEHIND_H

#include <linux/types.h>

#define WBH_FIRST 16 /* power of two */
#define WBH_MAX 256  /* power of two; entry indexes are bytes */

struct wbh_ent {
	__u32 key;
	__u64 ns, base;
};

/* Entries are dense (e[0..n)), so a shed reads them without scanning the
 * hash; the hash (2 * cap slots, so probes stay short) holds the keys (a
 * probe touches one array) and each key's entry index.  All five arrays
 * are one allocation. */
struct wbh {
	__u32 n, cap;      /* entries in use, and room (0: nothing allocated) */
	__u32 shift;       /* 32 - log2(slots) */
	__u32 *slot_key;   /* [2 * cap], 0: empty */
	__u8 *slot_ent;    /* [2 * cap] */
	__u32 *key;        /* [cap] */
	__u64 *ns, *base;  /* [cap] */
	__u64 last_thr;    /* the previous shed's threshold: the next one's first guess */
};
_Static_assert(WBH_MAX <= 256, "entry indexes are bytes");

/* What a charge shed: the sum of the shed entries' ns and base, and how many. */
struct wbh_shed {
	__u64 ns, base;
	__u32 n;
};

static inline __u32 wbh_home(const struct wbh *t, __u32 key)
{
	return (key * 2654435761u) >> t->shift;
}

/* Adds d ns to key if it is in t (returns 1), else returns 0 and leaves t
 * alone.  Inline: most charges find their holder. */
static inline int wbh_hit(struct wbh *t, __u32 key, __u64 d)
{
	__u32 mask = 2 * t->cap - 1;

	if (!t->cap)
		return 0;
	for (__u32 i = wbh_home(t, key);; i = (i + 1) & mask) {
		if (t->slot_key[i] == key) {
			t->ns[t->slot_ent[i]] += d;
			return 1;
		}
		if (!t->slot_key[i])
			return 0;
	}
}
/* A newcomer (not in t) with d ns: the table grows, or, at WBH_MAX (or out
 * of memory), sheds first; *shed gets what went (it is left alone
 * otherwise).  When no storage could be had at all, d itself is what went
 * (shed: ns = d, n = 1). */
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
/* bytes of storage held (for memory accounting and tests) */
__u64 wbh_bytes(const struct wbh *t);
/* Gives the storage back; t is an empty table again. */
void wbh_free(struct wbh *t);

#endif
