// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"

static inline unsigned msb64(__u64 v) /* v != 0 */
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static inline unsigned bucket_of(__u64 v)
{
	unsigned m;

	if (v < HIST_SUB)
		return (unsigned)v;
	m = msb64(v);
	if (m >= HIST_LIMIT_BITS)
		return HIST_NBUCKETS - 1;
	/* octave number above the exact range, then the HIST_SUB_BITS bits
	 * that follow the leading one */
	return ((m - HIST_SUB_BITS + 1) << HIST_SUB_BITS) |
	       (unsigned)((v >> (m - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

unsigned hist_bucket_of(__u64 v)
{
	return bucket_of(v);
}

__u64 hist_bucket_lo(unsigned i)
{
	unsigned q = i >> HIST_SUB_BITS, s = i & (HIST_SUB - 1);

	if (q == 0)
		return i;
	return (__u64)(HIST_SUB + s) << (q - 1);
}

__u64 hist_bucket_width(unsigned i)
{
	unsigned q = i >> HIST_SUB_BITS;

	return q == 0 ? 1 : 1ULL << (q - 1);
}

void hist_reset(struct hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}

/* Widens the storage to hold octaves [lo, hi) as well; -1 when out of
 * memory (the histogram is unchanged then). */
__attribute__((noinline)) /* the rare path: keep record() small */
static int hist_cover(struct hist *h, unsigned lo, unsigned hi)
{
	unsigned olo = h->lo, ohi = h->lo + h->noct, shift;
	__u64 *b;

	if (h->noct) {
		if (lo >= olo && hi <= ohi)
			return 0;
		lo = lo < olo ? lo : olo;
		hi = hi > ohi ? hi : ohi;
	}
	b = realloc(h->b, (size_t)(hi - lo) * HIST_SUB * sizeof(*b));
	if (!b)
		return -1;
	/* the old counts move up by the octaves added below them */
	shift = h->noct ? (olo - lo) * HIST_SUB : 0;
	if (h->noct)
		memmove(b + shift, b, (size_t)h->noct * HIST_SUB * sizeof(*b));
	memset(b, 0, shift * sizeof(*b));
	memset(b + shift + h->noct * HIST_SUB, 0,
	       ((size_t)(hi - lo) * HIST_SUB - shift - h->noct * HIST_SUB) * sizeof(*b));
	h->b = b;
	h->lo = (__u8)lo;
	h->noct = (__u8)(hi - lo);
	return 0;
}

/* The one recording path; inlined into both entry points so the common
 * single sample (every run-queue wait) is a handful of instructions. */
static inline void record(struct hist *h, __u64 v, __u64 n)
{
	unsigned i, q;

	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count += n;
	h->sum += v * n;
	i = bucket_of(v);
	q = i / HIST_SUB;
	/* unsigned: an octave below lo wraps past noct too */
	if (__builtin_expect(q - h->lo >= h->noct, 0) && hist_cover(h, q, q + 1))
		return;
	h->b[i - h->lo * HIST_SUB] += n;
}

void hist_record_n(struct hist *h, __u64 v, __u64 n)
{
	if (n)
		record(h, v, n);
}

void hist_record(struct hist *h, __u64 v)
{
	record(h, v, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	int stored;

	if (!src->count)
		return;
	stored = src->noct && !hist_cover(dst, src->lo, src->lo + src->noct);
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	if (!stored)
		return;
	__u64 *d = dst->b + (src->lo - dst->lo) * HIST_SUB;
	for (unsigned i = 0; i < (unsigned)src->noct * HIST_SUB; i++)
		d[i] += src->b[i];
}

/* The value that stands for bucket i: its middle, except that the last
 * bucket also holds everything past HIST_LIMIT and so reaches up to max. */
static __u64 bucket_mid(const struct hist *h, unsigned i)
{
	__u64 lo = hist_bucket_lo(i), hi = lo + hist_bucket_width(i) - 1;

	if (i == HIST_NBUCKETS - 1 && h->max > hi)
		hi = h->max;
	return lo + (hi - lo) / 2;
}

static __u64 clamp_u64(__u64 v, __u64 lo, __u64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

__u64 hist_percentile(const struct hist *h, double p)
{
	__u64 rank, seen = 0;

	if (!h->count)
		return 0;
	if (!(p > 0)) /* also catches NaN */
		return h->min;
	if (p >= 100)
		return h->max;
	/* the epsilon keeps p*count/100 that should be an integer from
	 * rounding up one rank */
	rank = (__u64)ceil(p * (double)h->count / 100.0 - 1e-9);
	rank = clamp_u64(rank, 1, h->count);
	for (unsigned k = 0; k < (unsigned)h->noct * HIST_SUB; k++) {
		seen += h->b[k];
		if (seen >= rank)
			return clamp_u64(bucket_mid(h, h->lo * HIST_SUB + k), h->min, h->max);
	}
	return h->max; /* only when storage failed to grow: the buckets miss samples */
}

static size_t log2_slot(__u64 v)
{
	return v < 2 ? 0 : msb64(v);
}

size_t hist_log2(const struct hist *h, __u64 unit, __u64 *slots, size_t nslots)
{
	size_t used = 0;

	if (!nslots)
		return 0;
	memset(slots, 0, nslots * sizeof(*slots));
	if (!unit)
		unit = 1;
	for (unsigned k = 0; k < (unsigned)h->noct * HIST_SUB; k++) {
		size_t s;

		if (!h->b[k])
			continue;
		s = log2_slot(clamp_u64(bucket_mid(h, h->lo * HIST_SUB + k), h->min, h->max) / unit);
		if (s >= nslots)
			s = nslots - 1;
		slots[s] += h->b[k];
		if (s + 1 > used)
			used = s + 1;
	}
	return used;
}
