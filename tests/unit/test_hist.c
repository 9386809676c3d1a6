// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hist: bucket geometry, percentiles against exact sorted percentiles on
 * random and adversarial inputs, merge, log2 slots. */
#include <math.h>
#include <stdint.h>
#include "check.h"
#include "hist.h"

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void) /* xorshift64*: deterministic across runs */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;
	return x < y ? -1 : x > y;
}

/* the same nearest-rank rule hist.h documents */
static __u64 exact_percentile(const __u64 *sorted, size_t n, double p)
{
	__u64 rank;

	if (p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	rank = (__u64)ceil(p * (double)n / 100.0 - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* same samples: the same header and the same count in every bucket,
 * however the storage of each happens to be laid out */
static int hist_same(const struct hist *a, const struct hist *b)
{
	if (a->count != b->count || a->sum != b->sum || hist_min(a) != hist_min(b) ||
	    hist_max(a) != hist_max(b))
		return 0;
	for (unsigned i = 0; i < HIST_NBUCKETS; i++)
		if (hist_bucket_count(a, i) != hist_bucket_count(b, i))
			return 0;
	return 1;
}

static const double probes[] = {0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};

/* Records v[0..n) and checks every probe percentile against the exact one:
 * within half a bucket, i.e. 1/64 of the value (+1 for integer middles). */
static int check_percentiles(__u64 *v, size_t n)
{
	struct hist *h = calloc(1, sizeof(*h));
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		hist_record(h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
		__u64 want = exact_percentile(v, n, probes[k]);
		__u64 got = hist_percentile(h, probes[k]);
		double err = fabs((double)got - (double)want);

		if (err > (double)want / 64.0 + 1.0) {
			printf("  p%g: got %llu want %llu\n", probes[k], (unsigned long long)got,
			       (unsigned long long)want);
			bad = 1;
		}
	}
	if (hist_count(h) != n || hist_min(h) != v[0] || hist_max(h) != v[n - 1])
		bad = 1;
	hist_free(h);
	free(h);
	return !bad;
}

static void test_geometry(void)
{
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		__u64 lo = hist_bucket_lo(i), w = hist_bucket_width(i);

		CHECK_EQ_U64(hist_bucket_of(lo), i);
		CHECK_EQ_U64(hist_bucket_of(lo + w - 1), i);
		if (i + 1 < HIST_NBUCKETS)
			CHECK_EQ_U64(hist_bucket_lo(i + 1), lo + w);
		if (i >= HIST_SUB)
			CHECK(w * HIST_SUB <= lo); /* at most 3.1 % wide */
	}
	CHECK_EQ_U64(hist_bucket_lo(HIST_NBUCKETS - 1) + hist_bucket_width(HIST_NBUCKETS - 1),
		     HIST_LIMIT);
	CHECK_EQ_U64(hist_bucket_of(HIST_LIMIT), HIST_NBUCKETS - 1);
	CHECK_EQ_U64(hist_bucket_of(UINT64_MAX), HIST_NBUCKETS - 1);
	/* the counts live outside: a process's histograms cost their header
	 * until samples arrive */
	CHECK(sizeof(struct hist) <= 64);
}

static void test_empty(void)
{
	struct hist h = {0};
	__u64 slots[8];

	CHECK_EQ_U64(hist_bytes(&h), 0);
	CHECK_EQ_U64(hist_percentile(&h, 50), 0);
	CHECK_EQ_U64(hist_min(&h), 0);
	CHECK_EQ_U64(hist_max(&h), 0);
	CHECK(hist_mean(&h) == 0.0);
	CHECK_EQ_U64(hist_log2(&h, 1, slots, 8), 0);
}

static void test_small_values_exact(void)
{
	__u64 v[64];

	for (unsigned i = 0; i < 64; i++)
		v[i] = 63 - i;
	CHECK(check_percentiles(v, 64));
	/* and exactly, not just within the bound: these buckets are 1 or 2 wide */
	struct hist h = {0};
	for (unsigned i = 0; i < 32; i++)
		hist_record(&h, i);
	for (unsigned p = 1; p <= 100; p++) {
		__u64 rank = (p * 32 + 99) / 100;
		CHECK_EQ_U64(hist_percentile(&h, p), rank - 1);
	}
	hist_free(&h);
}

static void test_uniform(void)
{
	size_t n = 200000;
	__u64 *v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = rnd() % 50000000; /* 0..50 ms in ns */
	CHECK(check_percentiles(v, n));
	free(v);
}

static void test_lognormal_wide(void)
{
	size_t n = 200000;
	__u64 *v = malloc(n * sizeof(*v));

	/* from ns to tens of seconds: every octave the histogram has */
	for (size_t i = 0; i < n; i++)
		v[i] = (__u64)exp(rnd01() * 24.0);
	CHECK(check_percentiles(v, n));
	free(v);
}

static void test_exponential_tail(void)
{
	size_t n = 100000;
	__u64 *v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = (__u64)(-log(1.0 - rnd01()) * 20000.0); /* mean 20 us */
	CHECK(check_percentiles(v, n));
	free(v);
}

/* Adversarial: every value sits on a bucket edge, where rounding goes wrong
 * first. */
static void test_bucket_edges(void)
{
	size_t n = 0, cap = 2 * HIST_NBUCKETS;
	__u64 *v = malloc(cap * sizeof(*v));

	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		v[n++] = hist_bucket_lo(i);
		v[n++] = hist_bucket_lo(i) + hist_bucket_width(i) - 1;
	}
	CHECK(check_percentiles(v, n));
	free(v);
}

static void test_powers_of_two(void)
{
	__u64 v[3 * 36];
	size_t n = 0;

	for (unsigned k = 1; k < 36; k++) {
		v[n++] = (1ULL << k) - 1;
		v[n++] = 1ULL << k;
		v[n++] = (1ULL << k) + 1;
	}
	CHECK(check_percentiles(v, n));
}

/* 99 % fast, 1 % very slow: p99 must not smear between the modes */
static void test_bimodal(void)
{
	size_t n = 100000;
	__u64 *v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = (i % 100 == 0) ? 900000000 + rnd() % 1000 : 3000 + rnd() % 50;
	CHECK(check_percentiles(v, n));
	free(v);
}

static void test_constant(void)
{
	struct hist h = {0};

	for (int i = 0; i < 1000; i++)
		hist_record(&h, 123456789);
	/* min == max clamps the bucket middle to the exact value */
	CHECK_EQ_U64(hist_percentile(&h, 50), 123456789);
	CHECK_EQ_U64(hist_percentile(&h, 99), 123456789);
	CHECK_EQ_U64(hist_sum(&h), 123456789ULL * 1000);
	CHECK(hist_mean(&h) == 123456789.0);
	CHECK_EQ_U64(hist_bytes(&h), HIST_SUB * sizeof(__u64)); /* one octave */
	hist_free(&h);
}

static void test_beyond_limit(void)
{
	struct hist h = {0};

	hist_record(&h, 5);
	hist_record(&h, HIST_LIMIT * 4);
	hist_record(&h, UINT64_MAX / 2);
	CHECK_EQ_U64(hist_count(&h), 3);
	CHECK_EQ_U64(hist_max(&h), UINT64_MAX / 2);
	CHECK_EQ_U64(hist_percentile(&h, 100), UINT64_MAX / 2);
	CHECK_EQ_U64(hist_percentile(&h, 30), 5);
	CHECK(hist_percentile(&h, 60) >= HIST_LIMIT - hist_bucket_width(HIST_NBUCKETS - 1));
	hist_free(&h);
}

static void test_merge_and_record_n(void)
{
	struct hist *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct hist *all = calloc(1, sizeof(*all)), *n3 = calloc(1, sizeof(*n3));

	for (int i = 0; i < 50000; i++) {
		__u64 x = rnd() % 100000000;
		hist_record(i & 1 ? a : b, x);
		hist_record(all, x);
	}
	hist_merge(a, b);
	CHECK(hist_same(a, all));
	hist_reset(b);
	hist_merge(a, b); /* merging an empty one changes nothing */
	CHECK(hist_same(a, all));
	hist_merge(b, a); /* into an empty one: a copy */
	CHECK(hist_same(b, all));

	hist_record_n(n3, 777, 3);
	hist_record_n(n3, 1, 0);
	hist_reset(a);
	for (int i = 0; i < 3; i++)
		hist_record(a, 777);
	CHECK(hist_same(a, n3));
	struct hist *hs[] = {a, b, all, n3};
	for (int i = 0; i < 4; i++) {
		hist_free(hs[i]);
		free(hs[i]);
	}
}

static size_t runqlat_slot(__u64 v)
{
	size_t s = 0;

	while (v >>= 1)
		s++;
	return s; /* 0 and 1 -> 0, [2^k, 2^(k+1)) -> k */
}

static void test_log2_exact_unit1(void)
{
	struct hist *h = calloc(1, sizeof(*h));
	__u64 want[HIST_LOG2_SLOTS] = {0}, got[HIST_LOG2_SLOTS];
	size_t top = 0;

	for (int i = 0; i < 100000; i++) {
		__u64 us = (__u64)exp(rnd01() * 16.0) - 1; /* 0 .. 8.8 s in us */
		size_t s = runqlat_slot(us);

		hist_record(h, us);
		want[s]++;
		if (s + 1 > top)
			top = s + 1;
	}
	CHECK_EQ_U64(hist_log2(h, 1, got, HIST_LOG2_SLOTS), top);
	CHECK(memcmp(want, got, sizeof(got)) == 0);
	hist_free(h);
	free(h);
}

/* ns recorded, us slots wanted: exact for values not near a slot edge */
static void test_log2_ns_to_us(void)
{
	struct hist *h = calloc(1, sizeof(*h));
	__u64 want[HIST_LOG2_SLOTS] = {0}, got[HIST_LOG2_SLOTS];
	int n = 0;

	while (n < 50000) {
		__u64 ns = (__u64)exp(rnd01() * 23.0);
		__u64 us = ns / 1000;
		size_t s = runqlat_slot(us);
		double lo = s ? (double)(1ULL << s) * 1000 : 0, hi = (double)(2ULL << s) * 1000;

		/* skip values within 4 % of a slot edge */
		if ((s && (double)ns < lo * 1.04) || (double)ns > hi * 0.96)
			continue;
		hist_record(h, ns);
		want[s]++;
		n++;
	}
	hist_log2(h, 1000, got, HIST_LOG2_SLOTS);
	CHECK(memcmp(want, got, sizeof(got)) == 0);
	/* a short slot array folds the tail into its last slot */
	__u64 few[4], sum = 0;
	hist_log2(h, 1000, few, 4);
	for (int i = 0; i < 4; i++)
		sum += few[i];
	CHECK_EQ_U64(sum, hist_count(h));
	hist_free(h);
	free(h);
}

/* The percentile a full table of every bucket gives (the histogram before
 * its storage was made to grow with the values): nearest rank, bucket
 * middle, clamped to [min, max]. */
static __u64 full_table_percentile(const __u64 *b, __u64 count, __u64 min, __u64 max, double p)
{
	__u64 rank = (__u64)ceil(p * (double)count / 100.0 - 1e-9), seen = 0;

	if (p <= 0)
		return min;
	if (p >= 100)
		return max;
	rank = rank < 1 ? 1 : rank > count ? count : rank;
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		__u64 lo = hist_bucket_lo(i), hi = lo + hist_bucket_width(i) - 1, mid;

		seen += b[i];
		if (seen < rank)
			continue;
		if (i == HIST_NBUCKETS - 1 && max > hi)
			hi = max;
		mid = lo + (hi - lo) / 2;
		return mid < min ? min : mid > max ? max : mid;
	}
	return max;
}

/* Storage that grows with the octaves seen answers exactly what the full
 * table did, in whatever order the octaves arrive (up, down, both ends). */
static void test_growing_storage_same_percentiles(void)
{
	static __u64 full[HIST_NBUCKETS];
	struct hist h = {0};
	__u64 min = UINT64_MAX, max = 0, n = 0;
	/* a run-queue-like middle first, then far below and far above it */
	const __u64 phase_lo[] = {20000, 3, 40, 5000000000ULL, 700};
	const __u64 phase_span[] = {200000, 10, 2000, 3000000000ULL, 100};

	memset(full, 0, sizeof(full));
	CHECK_EQ_U64(hist_bytes(&h), 0);
	for (int ph = 0; ph < 5; ph++) {
		for (int i = 0; i < 20000; i++) {
			__u64 v = phase_lo[ph] + rnd() % phase_span[ph];

			hist_record(&h, v);
			full[hist_bucket_of(v)]++;
			min = v < min ? v : min;
			max = v > max ? v : max;
			n++;
		}
		for (double p = 0; p <= 100; p += 0.5)
			CHECK_EQ_U64(hist_percentile(&h, p), full_table_percentile(full, n, min, max, p));
		for (unsigned i = 0; i < HIST_NBUCKETS; i++)
			CHECK_EQ_U64(hist_bucket_count(&h, i), full[i]);
	}
	/* only the octaves between the smallest and the largest value */
	CHECK_EQ_U64(hist_bytes(&h), ((hist_bucket_of(max) / HIST_SUB) - (hist_bucket_of(min) / HIST_SUB) + 1) *
					  HIST_SUB * sizeof(__u64));
	CHECK(hist_bytes(&h) < HIST_NBUCKETS * sizeof(__u64));
	hist_reset(&h);
	CHECK_EQ_U64(hist_bytes(&h), 0);
	CHECK_EQ_U64(hist_count(&h), 0);
}

/* Merging histograms whose octaves do not overlap, both ways round. */
static void test_merge_disjoint(void)
{
	struct hist lo = {0}, hi = {0}, all = {0}, m1 = {0}, m2 = {0};

	for (int i = 0; i < 1000; i++) {
		__u64 a = 100 + rnd() % 50, b = 90000000 + rnd() % 1000000;

		hist_record(&lo, a);
		hist_record(&hi, b);
		hist_record(&all, a);
		hist_record(&all, b);
	}
	hist_merge(&m1, &lo);
	hist_merge(&m1, &hi);
	hist_merge(&m2, &hi);
	hist_merge(&m2, &lo);
	CHECK(hist_same(&m1, &all));
	CHECK(hist_same(&m2, &all));
	CHECK_EQ_U64(hist_percentile(&m2, 50), hist_percentile(&all, 50));
	struct hist *hs[] = {&lo, &hi, &all, &m1, &m2};
	for (int i = 0; i < 5; i++)
		hist_free(hs[i]);
}

int main(void)
{
	RUN(test_geometry);
	RUN(test_empty);
	RUN(test_small_values_exact);
	RUN(test_uniform);
	RUN(test_lognormal_wide);
	RUN(test_exponential_tail);
	RUN(test_bucket_edges);
	RUN(test_powers_of_two);
	RUN(test_bimodal);
	RUN(test_constant);
	RUN(test_beyond_limit);
	RUN(test_merge_and_record_n);
	RUN(test_log2_exact_unit1);
	RUN(test_log2_ns_to_us);
	RUN(test_growing_storage_same_percentiles);
	RUN(test_merge_disjoint);
	CHECK_DONE();
}
