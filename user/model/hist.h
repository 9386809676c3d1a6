/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Log-linear latency histogram of u64 values (ns or us; the histogram does
 * not care which).
 *
 * Buckets: values below 2*HIST_SUB are counted exactly; above, every power of
 * two [2^k, 2^(k+1)) is split into HIST_SUB equal sub-buckets, so a bucket is
 * at most 1/HIST_SUB (3.1 %) of its lower bound wide.  A percentile is
 * answered with the middle of the bucket holding the wanted rank, clamped to
 * [min, max], which puts it within 1/(2*HIST_SUB) (1.6 %) of the exact
 * nearest-rank percentile.  Values >= HIST_LIMIT share the last bucket; for
 * them only count, sum, min and max stay exact (2^36 ns is 68 s, 2^36 us is
 * 19 h: far beyond any run-queue latency).
 *
 * Storage grows with the values actually seen, not with the range the
 * buckets could cover: counts are kept for a run of whole octaves (HIST_SUB
 * buckets each, 256 bytes), allocated at the first sample and widened when a
 * sample falls outside it.  Run-queue waits of a process typically span
 * 6-12 octaves (1.5-3 KB instead of the 8 KB a full table takes), and an
 * empty histogram costs only its header.  The geometry, hence every
 * percentile, is the same as with a full table.
 *
 * A zeroed struct hist is an empty histogram; hist_reset() empties one and
 * gives its storage back (call it, or hist_free(), before dropping one).  If
 * the storage cannot grow (out of memory) the sample still counts in count,
 * sum, min and max, and percentiles then lean towards max.  record is O(1)
 * (amortised: at most one reallocation per octave), merge and percentile are
 * O(octaves stored), independent of the sample count.
 */
#ifndef VIGIL_HIST_H
#define VIGIL_HIST_H

#include <stddef.h>
#include <linux/types.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_LIMIT_BITS 36
#define HIST_LIMIT (1ULL << HIST_LIMIT_BITS)
#define HIST_NOCT (HIST_LIMIT_BITS - HIST_SUB_BITS + 1) /* octave 0: the exact range */
#define HIST_NBUCKETS (HIST_NOCT * HIST_SUB)

/* runqlat's log2 slots: slot 0 holds 0 and 1, slot k >= 1 holds
 * [2^k, 2^(k+1)).  64 slots cover every u64. */
#define HIST_LOG2_SLOTS 64

struct hist {
	__u64 count;
	__u64 sum; /* wraps only after 2^64 of the unit (584 years of ns) */
	__u64 min; /* meaningful when count > 0 (hist_min() says 0 otherwise) */
	__u64 max;
	__u64 *b;       /* counts of buckets [lo * HIST_SUB, (lo + noct) * HIST_SUB); NULL: none */
	__u8 lo, noct;  /* the octaves stored */
};

void hist_reset(struct hist *h);
static inline void hist_free(struct hist *h) { hist_reset(h); }
void hist_record(struct hist *h, __u64 v);
/* n samples of value v at once (n == 0 records nothing) */
void hist_record_n(struct hist *h, __u64 v, __u64 n);
/* dst += src (dst's storage grows to src's octaves; if it cannot, as in
 * hist_record) */
void hist_merge(struct hist *dst, const struct hist *src);

/* Nearest-rank percentile, p in [0, 100] (clamped): the value at rank
 * ceil(p/100 * count), rank >= 1.  p = 0 gives min, p = 100 gives max
 * exactly.  0 when the histogram is empty. */
__u64 hist_percentile(const struct hist *h, double p);

static inline __u64 hist_count(const struct hist *h) { return h->count; }
static inline __u64 hist_sum(const struct hist *h) { return h->sum; }
static inline __u64 hist_max(const struct hist *h) { return h->count ? h->max : 0; }
static inline __u64 hist_min(const struct hist *h) { return h->count ? h->min : 0; }
static inline double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

/* Fills slots[0..nslots) with runqlat-style log2 counts of value/unit
 * (unit 0 is taken as 1): slot 0 = {0, 1}, slot k = [2^k, 2^(k+1)).
 * Returns the number of slots up to the highest non-empty one (0 when
 * empty); values beyond the last slot are added to it.  With unit 1 the
 * result is exact (sub-buckets never straddle a power of two).  With another
 * unit (ns recorded, us wanted: unit 1000) a sub-bucket is placed by its
 * middle, so only values within 3.2 % of a slot boundary can land one slot
 * off. */
size_t hist_log2(const struct hist *h, __u64 unit, __u64 *slots, size_t nslots);

/* Bucket geometry, for tests and for sinks that draw the histogram:
 * the index of value v, and the lowest value / width of bucket i. */
unsigned hist_bucket_of(__u64 v);
/* the count of bucket i (0 outside the octaves stored) */
static inline __u64 hist_bucket_count(const struct hist *h, unsigned i)
{
	unsigned q = i / HIST_SUB;

	return q >= h->lo && q < h->lo + h->noct ? h->b[i - h->lo * HIST_SUB] : 0;
}
/* bytes of bucket storage held (for memory accounting and tests) */
static inline size_t hist_bytes(const struct hist *h)
{
	return (size_t)h->noct * HIST_SUB * sizeof(__u64);
}
__u64 hist_bucket_lo(unsigned i);
__u64 hist_bucket_width(unsigned i);

#endif
