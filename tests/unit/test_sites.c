// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Allocation sites in the model (model/sites.c), driven through agg with
 * records the way a trace brings them: frames and stacks interned from
 * EV_SITE_FRAME/STACK, per process the live sampled pages by stack, which
 * the memory records release (munmap, madvise, mremap, brk, exec), the
 * bounds, the history behind growth over a window.  Also the decoding gate
 * of the site records (input/decode.c). */
#include "check.h"
#include "agg.h"
#include "decode.h"
#include "sites.h"
#include "synth.h"

#define MS (1000ULL * 1000)
#define SEC (1000ULL * MS)
#define T0 (1000 * SEC)
#define PG 4096ULL /* agg's default page size */
#define HEAP 0x555555560000ULL
#define MAPS 0x7f1000000000ULL
#define MADV_AT 0x7f0000000000ULL /* where synth_madvise advises */

static struct agg *A;

static void to_agg(const struct ev_hdr *h)
{
	agg_event(A, h);
}

static void fresh(void)
{
	agg_free(A);
	A = agg_new(NULL);
	if (!A) {
		printf("FAIL agg_new: out of memory\n");
		exit(1);
	}
	synth_sink = to_agg;
}

static void proc(__u32 pid)
{
	synth_proc(T0, pid, 1, ROLE_OTHER, "app", "app", 3, 0);
}

static void sample(__u64 ts, __u32 pid, __u64 addr, __u64 pages, __u32 stack)
{
	synth_site_sample(ts, pid, addr, pages * PG, stack);
}

static const struct proc_sites *sites_of(__u32 pid)
{
	const struct agg_proc *p = agg_find(A, pid);

	return p ? p->sites : NULL;
}

/* a stack's live bytes now (its growth since the start of the trace) */
static __u64 live_of(__u32 pid, __u32 stack)
{
	static struct site_row rows[SITES_PER_PROC];
	size_t n = sites_top(sites_of(pid), 0, 0, rows, SITES_PER_PROC, NULL);

	for (size_t i = 0; i < n; i++)
		if (rows[i].stack == stack)
			return (__u64)rows[i].bytes;
	return 0;
}

static struct sites_proc_counts counts_of(__u32 pid)
{
	struct sites_proc_counts c;

	sites_proc_counts(sites_of(pid), &c);
	return c;
}

/* ---- frames and stacks ------------------------------------------------------------- */

static void test_interning(void)
{
	const struct site_model *m;
	struct site_frame_info fi;
	const __u32 *fr;
	bool trunc = true;
	static const __u32 s1[] = {1, 2, 3, 4}, s2[] = {3};

	fresh();
	m = agg_sites(A);
	CHECK(m != NULL);
	CHECK(!sites_present(m)); /* no site records: outputs leave sites out */
	synth_site_frame(T0, 1, SITE_FRAME_NATIVE, "libc.so.6", "__memcpy_avx_unaligned", "", 0, 0x1a2b3c);
	CHECK(sites_present(m));
	synth_site_frame(T0, 2, SITE_FRAME_NATIVE, "/usr/bin/app", "load_model", "/src/app/model.c", 120, 0x1140);
	synth_site_frame(T0, 3, SITE_FRAME_PYTHON, "/usr/bin/app", "main", "/src/app/main.c", 40, 0x1010);
	synth_site_frame(T0, 4, SITE_FRAME_NATIVE, "libc.so.6", "__libc_start_main", "", 0, 0x27000);
	synth_site_stack(T0, 1, 0, s1, 4);
	synth_site_stack(T0, 2, SITE_STACK_TRUNCATED, s2, 1);

	CHECK_EQ_U64(sites_stack_frames(m, 1, &fr, &trunc), 4);
	CHECK(fr && fr[0] == 1 && fr[1] == 2 && fr[2] == 3 && fr[3] == 4); /* innermost first, as sent */
	CHECK(!trunc);
	CHECK_EQ_U64(sites_stack_frames(m, 2, &fr, &trunc), 1);
	CHECK(trunc);
	CHECK_EQ_U64(sites_stack_frames(m, 7, &fr, &trunc), 0); /* never defined */
	CHECK(fr == NULL && !trunc);
	CHECK_EQ_U64(sites_stack_frames(m, 1u << 24, &fr, NULL), 0);

	sites_frame_info(m, 2, &fi);
	CHECK_STR(fi.module, "/usr/bin/app");
	CHECK_STR(fi.function, "load_model");
	CHECK_STR(fi.file, "/src/app/model.c");
	CHECK_EQ_U64(fi.line, 120);
	CHECK_EQ_U64(fi.offset, 0x1140);
	CHECK_EQ_U64(fi.kind, SITE_FRAME_NATIVE);
	sites_frame_info(m, 3, &fi);
	CHECK_EQ_U64(fi.kind, SITE_FRAME_PYTHON);
	sites_frame_info(m, 1, &fi);
	CHECK_STR(fi.file, ""); /* unknown: empty, never NULL */
	CHECK_EQ_U64(fi.line, 0);
	sites_frame_info(m, 9, &fi);
	CHECK_STR(fi.function, "[unknown]");
	CHECK(fi.module && fi.file);
	CHECK_EQ_U64(sites_inconsistent(m), 0);

	/* named twice: the first stays; id 0 and ids past the bound are refused */
	synth_site_frame(T0, 2, SITE_FRAME_NATIVE, "/usr/bin/other", "other_fn", "", 0, 0);
	synth_site_stack(T0, 1, 0, s2, 1);
	synth_site_frame(T0, 0, SITE_FRAME_NATIVE, "m", "f", "", 0, 0);
	synth_site_stack(T0, 0, 0, s2, 1);
	synth_site_frame(T0, 1u << 20, SITE_FRAME_NATIVE, "m", "f", "", 0, 0);
	synth_site_stack(T0, 1u << 20, 0, s2, 1);
	CHECK_EQ_U64(sites_inconsistent(m), 6);
	sites_frame_info(m, 2, &fi);
	CHECK_STR(fi.function, "load_model");
	CHECK_EQ_U64(sites_stack_frames(m, 1, &fr, NULL), 4);
	/* the largest id that fits, and a frame text with the file part missing */
	synth_site_frame(T0, (1u << 20) - 1, SITE_FRAME_KERNEL, "[kernel]", "clear_page_erms", "", 0, 0);
	sites_frame_info(m, (1u << 20) - 1, &fi);
	CHECK_STR(fi.function, "clear_page_erms");
	CHECK_EQ_U64(fi.kind, SITE_FRAME_KERNEL);
	CHECK_EQ_U64(sites_inconsistent(m), 6);
}

/* ---- live sampled pages -------------------------------------------------------------- */

/* Samples add their bytes (weight x page) to their stack; munmap of a
 * range releases exactly the sampled pages it covers, whichever way the
 * model looks them up (page by page for a short range, a walk of the set
 * for a long one); a failed munmap releases nothing. */
static void test_sample_and_munmap(void)
{
	struct site_row rows[4];
	__u64 total = 0;
	size_t n;

	fresh();
	proc(100);
	CHECK(sites_of(100) == NULL); /* allocated on the first sample */
	for (__u64 i = 0; i < 10; i++)
		sample(T0 + SEC, 100, HEAP + i * PG, 1, 1);
	for (__u64 i = 0; i < 5; i++)
		sample(T0 + SEC, 100, MAPS + i * PG + 123, 4, 2); /* a sample standing for 4 faults */
	CHECK_EQ_U64(live_of(100, 1), 10 * PG);
	CHECK_EQ_U64(live_of(100, 2), 20 * PG);
	n = sites_top(sites_of(100), 0, 0, rows, 4, &total);
	CHECK_EQ_U64(n, 2);
	CHECK(rows[0].stack == 2 && rows[1].stack == 1); /* largest first */
	CHECK_EQ_U64(rows[0].samples, 5);
	CHECK_EQ_U64(rows[0].live_bytes, 20 * PG);
	CHECK_EQ_U64(total, 30 * PG);
	CHECK_EQ_U64(sites_top(sites_of(100), 0, 0, rows, 1, &total), 1); /* max rows; total counts all */
	CHECK_EQ_U64(total, 30 * PG);
	CHECK_EQ_U64(counts_of(100).samples, 15);
	CHECK_EQ_U64(counts_of(100).live_pages, 15);
	CHECK_EQ_U64(counts_of(100).live_bytes, 30 * PG);

	synth_munmap(T0 + 2 * SEC, 100, MAPS + PG, 2 * PG, 0);
	CHECK_EQ_U64(live_of(100, 2), 12 * PG);
	synth_munmap(T0 + 2 * SEC, 100, MAPS, 5 * PG, -22); /* failed: nothing released */
	CHECK_EQ_U64(live_of(100, 2), 12 * PG);
	synth_munmap(T0 + 2 * SEC, 100, MAPS + 3 * PG, PG + 1, 0); /* the length rounds up to pages 3 and 4 */
	CHECK_EQ_U64(live_of(100, 2), 4 * PG);
	synth_munmap(T0 + 2 * SEC, 100, HEAP - (1ULL << 30), 2ULL << 30, 0); /* 512k pages around 10 */
	CHECK_EQ_U64(live_of(100, 1), 0);
	CHECK_EQ_U64(live_of(100, 2), 4 * PG);
	CHECK_EQ_U64(counts_of(100).live_pages, 1);
	CHECK_EQ_U64(counts_of(100).samples, 15); /* samples taken stay counted */
	synth_munmap(T0 + 2 * SEC, 100, 0, ~0ULL, 0); /* the whole address space: no overflow */
	CHECK_EQ_U64(counts_of(100).live_bytes, 0);
	CHECK_EQ_U64(sites_top(sites_of(100), 0, 0, rows, 4, &total), 0);
	CHECK_EQ_U64(total, 0);
	/* another process's pages are its own */
	proc(200);
	sample(T0 + 3 * SEC, 200, HEAP, 1, 1);
	synth_munmap(T0 + 3 * SEC, 100, HEAP, PG, 0);
	CHECK_EQ_U64(live_of(200, 1), PG);
}

/* A page faulted again counts once, under its latest stack. */
static void test_resample_counts_once(void)
{
	fresh();
	proc(100);
	sample(T0, 100, HEAP, 1, 1);
	sample(T0 + MS, 100, HEAP + 100, 1, 1); /* the same page */
	CHECK_EQ_U64(live_of(100, 1), PG);
	CHECK_EQ_U64(counts_of(100).live_pages, 1);
	CHECK_EQ_U64(counts_of(100).samples, 2);
	sample(T0 + 2 * MS, 100, HEAP + 5, 1, 2); /* faulted again, by other code */
	CHECK_EQ_U64(live_of(100, 1), 0);
	CHECK_EQ_U64(live_of(100, 2), PG);
	CHECK_EQ_U64(counts_of(100).live_bytes, PG);
	sample(T0 + 3 * MS, 100, HEAP + PG, 1, 2);
	CHECK_EQ_U64(live_of(100, 2), 2 * PG);
	/* a sample without a stack (id 0) is a site too: "[no stack]" */
	sample(T0 + 4 * MS, 100, HEAP + 2 * PG, 1, 0);
	CHECK_EQ_U64(live_of(100, 0), PG);
	/* a weight under a page still stands for one page */
	synth_site_sample(T0 + 5 * MS, 100, HEAP + 3 * PG, 100, 3);
	CHECK_EQ_U64(live_of(100, 3), PG);
}

/* MADV_DONTNEED and MADV_FREE give pages back; other advice does not,
 * nor does a failed call. */
static void test_madvise(void)
{
	fresh();
	proc(100);
	for (__u64 i = 0; i < 8; i++)
		sample(T0, 100, MADV_AT + i * PG, 1, 1);
	synth_madvise(T0 + SEC, 100, 2 * PG, 4 /* MADV_DONTNEED */, 0);
	CHECK_EQ_U64(live_of(100, 1), 6 * PG);
	synth_madvise(T0 + SEC, 100, 4 * PG, 8 /* MADV_FREE */, 0);
	CHECK_EQ_U64(live_of(100, 1), 4 * PG);
	synth_madvise(T0 + SEC, 100, 8 * PG, 3 /* MADV_WILLNEED */, 0);
	CHECK_EQ_U64(live_of(100, 1), 4 * PG);
	synth_madvise(T0 + SEC, 100, 8 * PG, 14 /* MADV_HUGEPAGE */, 0);
	CHECK_EQ_U64(live_of(100, 1), 4 * PG);
	synth_madvise(T0 + SEC, 100, 8 * PG, 4, -22);
	CHECK_EQ_U64(live_of(100, 1), 4 * PG);
	synth_madvise(T0 + SEC, 100, 8 * PG, 4, 0);
	CHECK_EQ_U64(live_of(100, 1), 0);
}

/* mremap: growing in place keeps the pages, shrinking in place gives back
 * the tail, a move gives back the old range (the new addresses are
 * sampled again as they fault). */
static void test_mremap(void)
{
	const __u64 to = MAPS + (1ULL << 30);

	fresh();
	proc(100);
	for (__u64 i = 0; i < 8; i++)
		sample(T0, 100, MAPS + i * PG, 1, 1);
	synth_mremap(T0 + SEC, 100, MAPS, 8 * PG, 16 * PG, (__s64)MAPS);
	CHECK_EQ_U64(live_of(100, 1), 8 * PG);
	synth_mremap(T0 + SEC, 100, MAPS, 16 * PG, 6 * PG + 1, (__s64)MAPS); /* the kernel keeps 7 pages */
	CHECK_EQ_U64(live_of(100, 1), 7 * PG);
	synth_mremap(T0 + SEC, 100, MAPS, 6 * PG + 1, 5 * PG, (__s64)MAPS);
	CHECK_EQ_U64(live_of(100, 1), 5 * PG);
	synth_mremap(T0 + SEC, 100, MAPS, 5 * PG, 64 * PG, -12); /* ENOMEM: nothing moved */
	CHECK_EQ_U64(live_of(100, 1), 5 * PG);
	synth_mremap(T0 + SEC, 100, MAPS, 5 * PG, 64 * PG, (__s64)to);
	CHECK_EQ_U64(live_of(100, 1), 0);
	sample(T0 + 2 * SEC, 100, to, 1, 1);
	CHECK_EQ_U64(live_of(100, 1), PG);
}

/* A brk shrink gives back [new break, old break); growth and a failed
 * call give back nothing. */
static void test_brk(void)
{
	fresh();
	proc(100);
	synth_brk(T0, 100, HEAP, HEAP + 8 * PG, HEAP + 8 * PG);
	for (__u64 i = 0; i < 8; i++)
		sample(T0, 100, HEAP + i * PG, 1, 1);
	synth_brk(T0 + SEC, 100, HEAP + 8 * PG, HEAP + 12 * PG, HEAP + 12 * PG);
	CHECK_EQ_U64(live_of(100, 1), 8 * PG);
	synth_brk(T0 + SEC, 100, HEAP + 12 * PG, HEAP + 6 * PG, HEAP + 6 * PG);
	CHECK_EQ_U64(live_of(100, 1), 6 * PG);
	synth_brk(T0 + SEC, 100, HEAP + 6 * PG, HEAP + 2 * PG, HEAP + 6 * PG); /* refused: break unchanged */
	CHECK_EQ_U64(live_of(100, 1), 6 * PG);
	synth_brk(T0 + SEC, 100, HEAP + 6 * PG, HEAP + 5 * PG + 1, HEAP + 5 * PG + 1); /* keeps page 5 */
	CHECK_EQ_U64(live_of(100, 1), 6 * PG);
}

/* exec: a new address space, no page of the old one is live; the stacks
 * keep their sample counts, and sampling starts over. */
static void test_exec_clears(void)
{
	struct site_row rows[2];

	fresh();
	proc(100);
	for (__u64 i = 0; i < 6; i++)
		sample(T0, 100, HEAP + i * PG, 1, 1 + (__u32)(i & 1));
	CHECK_EQ_U64(counts_of(100).live_bytes, 6 * PG);
	synth_exec(T0 + SEC, 100, 100, "next", "next", 4);
	CHECK_EQ_U64(counts_of(100).live_bytes, 0);
	CHECK_EQ_U64(counts_of(100).live_pages, 0);
	CHECK_EQ_U64(sites_top(sites_of(100), 0, 0, rows, 2, NULL), 0);
	sample(T0 + 2 * SEC, 100, HEAP, 1, 2);
	CHECK_EQ_U64(live_of(100, 2), PG);
	CHECK_EQ_U64(counts_of(100).samples, 7);
}

/* ---- bounds -------------------------------------------------------------------------- */

static bool within(double got, double want, double rel)
{
	return got >= want * (1 - rel) && got <= want * (1 + rel);
}

/* distinct pages spread over 1 TiB, in no order (an odd multiplier is a
 * bijection modulo 2^28) */
static __u64 scattered(__u64 i)
{
	return MAPS + ((i * 0x9e3779b1ULL) & ((1ULL << 28) - 1)) * PG;
}

/* Past SITES_PAGES_MAX the set is thinned by address hash and survivors
 * weigh double: the estimate stays unbiased.  Four times the bound of
 * distinct pages, three stacks in known proportions: totals and shares
 * stay within a few percent of the truth, the set within its bound, and
 * releasing half the range releases half the estimate. */
static void test_thinning_unbiased(void)
{
	const __u64 n = 4 * SITES_PAGES_MAX + 1000;
	struct sites_proc_counts c;
	__u64 truth[3] = {0};

	fresh();
	proc(100);
	for (__u64 i = 0; i < n; i++) {
		__u32 stack = i % 8 == 0 ? 1 : i % 8 < 3 ? 2 : 3; /* 1/8, 2/8, 5/8 */
		sample(T0 + i * 10000, 100, scattered(i), 1, stack);
		truth[stack - 1] += PG;
		if (i == SITES_PAGES_MAX - 1) {
			c = counts_of(100);
			CHECK_EQ_U64(c.level, 0); /* at the bound, nothing thinned yet */
			CHECK_EQ_U64(c.live_pages, SITES_PAGES_MAX);
			CHECK_EQ_U64(c.live_bytes, SITES_PAGES_MAX * PG);
		}
		if (i == SITES_PAGES_MAX) {
			c = counts_of(100);
			CHECK_EQ_U64(c.level, 1);
			CHECK(within((double)c.thinned, SITES_PAGES_MAX / 2.0, 0.05));
			CHECK(within((double)c.live_bytes, (double)(i + 1) * PG, 0.03));
		}
	}
	c = counts_of(100);
	CHECK(c.level >= 2);
	CHECK(c.live_pages <= SITES_PAGES_MAX);
	CHECK(within((double)c.live_bytes, (double)n * PG, 0.03));
	for (__u32 s = 1; s <= 3; s++)
		CHECK(within((double)live_of(100, s), (double)truth[s - 1], 0.06));
	printf("# thinning: %llu pages sampled, level %u, %llu kept, estimate %.4f of the truth\n",
	       (unsigned long long)n, c.level, (unsigned long long)c.live_pages,
	       (double)c.live_bytes / (double)(n * PG));
	/* the survivors' weights are what they added: half the pages out, half the estimate */
	for (__u64 i = 0; i < n / 2; i++)
		synth_munmap(T0 + 1000 * SEC, 100, scattered(i), PG, 0);
	CHECK(within((double)counts_of(100).live_bytes, (double)(n - n / 2) * PG, 0.05));
	synth_munmap(T0 + 1000 * SEC, 100, MAPS, 1ULL << 40, 0);
	CHECK_EQ_U64(counts_of(100).live_bytes, 0);
	CHECK_EQ_U64(counts_of(100).live_pages, 0);
}

/* At most SITES_PER_PROC stacks per process: the samples of further
 * stacks are counted as dropped, the known stacks still account. */
static void test_stack_bound(void)
{
	static struct site_row rows[SITES_PER_PROC + 100];
	struct sites_proc_counts c;

	fresh();
	proc(100);
	for (__u32 s = 1; s <= SITES_PER_PROC + 88; s++)
		sample(T0, 100, HEAP + s * PG, 1, s);
	sample(T0, 100, HEAP + 99999 * PG, 1, 3); /* a known stack still counts */
	c = counts_of(100);
	CHECK_EQ_U64(c.dropped, 88);
	CHECK_EQ_U64(agg_host(A)->drops.site_samples, 88); /* what the report shows */
	CHECK_EQ_U64(c.samples, SITES_PER_PROC + 1);
	CHECK_EQ_U64(c.live_pages, SITES_PER_PROC + 1);
	CHECK_EQ_U64(sites_top(sites_of(100), 0, 0, rows, SITES_PER_PROC + 100, NULL), SITES_PER_PROC);
	CHECK_EQ_U64(live_of(100, 3), 2 * PG);
	CHECK_EQ_U64(live_of(100, SITES_PER_PROC + 1), 0);
}

/* ---- history: growth over a window ----------------------------------------------------- */

/* Stack 1 grows 10 pages over 10 s then stops; stack 2 grows 20 pages
 * over the next 10 s; then stack 1 is unmapped.  Each window ranks the
 * stacks that grew in it, and only those. */
static void test_growth_windows(void)
{
	struct site_row rows[4];
	__u64 total;
	size_t n;

	fresh();
	proc(100);
	for (__u64 k = 1; k <= 10; k++)
		sample(T0 + k * SEC, 100, HEAP + k * PG, 1, 1);
	for (__u64 k = 1; k <= 10; k++)
		sample(T0 + (10 + k) * SEC + 500 * MS, 100, MAPS + k * PG, 2, 2);

	n = sites_top(sites_of(100), T0, T0 + 10 * SEC, rows, 4, &total);
	CHECK_EQ_U64(n, 1);
	CHECK(rows[0].stack == 1 && rows[0].bytes == (__s64)(10 * PG));
	CHECK_EQ_U64(total, 10 * PG);
	n = sites_top(sites_of(100), T0 + 10 * SEC, T0 + 21 * SEC, rows, 4, &total);
	CHECK_EQ_U64(n, 1);
	CHECK(rows[0].stack == 2 && rows[0].bytes == (__s64)(20 * PG));
	CHECK_EQ_U64(rows[0].live_bytes, 20 * PG);
	n = sites_top(sites_of(100), T0 + 5 * SEC, T0 + 15 * SEC + 600 * MS, rows, 4, &total);
	CHECK_EQ_U64(n, 2); /* stack 1's last 5 pages, stack 2's first 5 samples */
	CHECK(rows[0].stack == 2 && rows[0].bytes == (__s64)(10 * PG));
	CHECK(rows[1].stack == 1 && rows[1].bytes == (__s64)(5 * PG));
	CHECK_EQ_U64(total, 15 * PG);
	n = sites_top(sites_of(100), 0, T0 + 3 * SEC, rows, 4, &total); /* from 0: since the start */
	CHECK(n == 1 && rows[0].bytes == (__s64)(3 * PG));
	n = sites_top(sites_of(100), 0, 0, rows, 4, &total); /* the whole trace: live bytes */
	CHECK(n == 2 && rows[0].stack == 2 && rows[1].stack == 1);
	CHECK_EQ_U64(total, 30 * PG);

	synth_munmap(T0 + 25 * SEC, 100, HEAP, 64 * PG, 0);
	n = sites_top(sites_of(100), T0 + 21 * SEC, T0 + 30 * SEC, rows, 4, &total);
	CHECK_EQ_U64(n, 0); /* stack 1 shrank, stack 2 stood still: no growth to rank */
	CHECK_EQ_U64(total, 0);
	n = sites_top(sites_of(100), T0, 0, rows, 4, &total);
	CHECK(n == 1 && rows[0].stack == 2);
	CHECK(sites_top(NULL, 0, 0, rows, 4, &total) == 0 && total == 0);
}

/* A long trace: the history keeps SITES_HISTORY points by doubling its
 * step, so growth over an early window is still read, to within a step. */
static void test_history_doubling(void)
{
	struct site_row rows[2];
	size_t n;

	fresh();
	proc(100);
	for (__u64 k = 1; k <= 600; k++)
		sample(T0 + k * SEC, 100, HEAP + k * PG, 1, 1); /* a page a second for 10 minutes */
	/* 600 s of 1 s points in 64: the step is 16 s by now */
	n = sites_top(sites_of(100), T0 + 100 * SEC, T0 + 200 * SEC, rows, 2, NULL);
	CHECK_EQ_U64(n, 1);
	CHECK(n && rows[0].bytes >= (__s64)(100 - 16) * (__s64)PG && rows[0].bytes <= (__s64)(100 + 16) * (__s64)PG);
	if (n)
		printf("# history: growth over (100 s, 200 s] of a 600 s trace read as %lld pages (truth 100)\n",
		       (long long)(rows[0].bytes / (__s64)PG));
	n = sites_top(sites_of(100), T0 + 400 * SEC, T0 + 600 * SEC, rows, 2, NULL);
	CHECK(n && rows[0].bytes >= (__s64)(200 - 16) * (__s64)PG && rows[0].bytes <= (__s64)(200 + 16) * (__s64)PG);
	n = sites_top(sites_of(100), 0, T0 + 600 * SEC, rows, 2, NULL);
	CHECK(n && rows[0].bytes == (__s64)(600 * PG)); /* the end point is exact */
	n = sites_top(sites_of(100), 0, T0, rows, 2, NULL);
	CHECK_EQ_U64(n, 0); /* before the first sample: nothing yet */
}

/* ---- decoding the site records --------------------------------------------------------- */

static union {
	struct ev_hdr h;
	struct ev_site_frame f;
	struct ev_site_stack s;
	struct ev_site_sample smp;
	char buf[1024];
} R;

static enum ev_check check_rec(size_t len)
{
	size_t size = 0;
	enum ev_check c = ev_check(&R, len, &size);

	if (c == EV_OK && size != R.h.size)
		return (enum ev_check)-1;
	return c;
}

static void test_decode_site_records(void)
{
	memset(&R, 0, sizeof(R));
	synth_hdr(&R.h, EV_SITE_FRAME, sizeof(R.f) + 10, T0, 0, 0, 0);
	R.f.id = 1;
	R.f.text_len = 10;
	CHECK(check_rec(sizeof(R.buf)) == EV_OK);
	CHECK(check_rec(sizeof(R.f) + 9) == EV_ERR_SHORT); /* the buffer ends inside the text */
	R.f.text_len = 11; /* beyond the record */
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_SIZE);
	R.f.text_len = VIGIL_CMDLINE_MAX + 1;
	R.h.size = sizeof(R.f) + VIGIL_CMDLINE_MAX + 1;
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_TEXT_LEN);
	R.f.text_len = VIGIL_CMDLINE_MAX;
	R.h.size = sizeof(R.f) + VIGIL_CMDLINE_MAX;
	CHECK(check_rec(sizeof(R.buf)) == EV_OK);
	R.h.size = sizeof(R.f) - 8; /* shorter than its fixed part */
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_SIZE);

	memset(&R, 0, sizeof(R));
	synth_hdr(&R.h, EV_SITE_STACK, sizeof(R.s) + 12, T0, 0, 0, 0);
	R.s.id = 1;
	R.s.frames_len = 12;
	CHECK(check_rec(sizeof(R.buf)) == EV_OK);
	R.s.frames_len = 16;
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_SIZE);
	R.s.frames_len = 4 * 65; /* more than a record's tail holds */
	R.h.size = (__u16)(sizeof(R.s) + 4 * 65);
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_TEXT_LEN);
	R.h.size = sizeof(R.s) - 1;
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_SIZE);

	memset(&R, 0, sizeof(R));
	synth_hdr(&R.h, EV_SITE_SAMPLE, sizeof(R.smp), T0, 0, 5, 5);
	CHECK(check_rec(sizeof(R.buf)) == EV_OK);
	R.h.size = sizeof(R.smp) + 8;
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_SIZE);
	R.h.size = sizeof(R.smp) - 8;
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_SIZE);
	CHECK(check_rec(sizeof(R.smp) - 1) == EV_ERR_SIZE || check_rec(sizeof(R.smp) - 1) == EV_ERR_SHORT);

	/* the raw sample is never a stored record: too big for one */
	memset(&R, 0, sizeof(R));
	synth_hdr(&R.h, EV_SITE_RAW, 512, T0, 0, 5, 5);
	CHECK(check_rec(sizeof(R.buf)) == EV_ERR_SIZE);
	CHECK(ev_fixed_size(EV_SITE_RAW) > VIGIL_REC_MAX);
	CHECK_STR(ev_type_name(EV_SITE_FRAME), "site_frame");
	CHECK_STR(ev_type_name(EV_SITE_STACK), "site_stack");
	CHECK_STR(ev_type_name(EV_SITE_SAMPLE), "site_sample");
}

static void test_decode_site_raw(void)
{
	static struct ev_site_raw r;

	memset(&r, 0, sizeof(r));
	synth_hdr(&r.h, EV_SITE_RAW, 0, T0, 0, 5, 5);
	r.h.size = (__u16)sizeof(r);
	r.flags = SITE_RAW_DWARF;
	r.nregs = 17;
	r.data_len = VIGIL_SITE_STACK_BYTES;
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_OK);
	CHECK(ev_check_site_raw(&r, sizeof(r) - 1) == EV_ERR_SHORT);
	r.nregs = VIGIL_SITE_NREGS + 1;
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_ERR_TEXT_LEN);
	r.nregs = VIGIL_SITE_NREGS;
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_OK);
	r.data_len = VIGIL_SITE_STACK_BYTES + 1;
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_ERR_TEXT_LEN);
	r.flags = SITE_RAW_FP;
	r.data_len = 8 * 5;
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_OK);
	r.data_len = 8 * 5 + 4; /* return addresses are whole u64s */
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_ERR_TEXT_LEN);
	r.data_len = 0;
	r.h.size = (__u16)(sizeof(r) - 8);
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_ERR_SIZE);
	r.h.size = (__u16)sizeof(r);
	r.h.type = EV_SITE_SAMPLE;
	CHECK(ev_check_site_raw(&r, sizeof(r)) == EV_ERR_TYPE);
}

static void test_frame_text(void)
{
	struct site_frame_text t;

	memset(&R, 0, sizeof(R));
	memcpy(R.f.text, "libfoo.so\0do_work\0/src/foo.c", 28);
	R.f.text_len = 28;
	ev_site_frame_text(&R.f, &t);
	CHECK_STR(t.module, "libfoo.so");
	CHECK_STR(t.function, "do_work");
	CHECK_STR(t.file, "/src/foo.c");

	/* the file part left out, then the function too: empty, never past the text */
	memcpy(R.f.text, "libfoo.so\0do_work\0XXXXXXXX", 27);
	R.f.text_len = 17;
	ev_site_frame_text(&R.f, &t);
	CHECK_STR(t.function, "do_work");
	CHECK_STR(t.file, "");
	R.f.text_len = 9;
	ev_site_frame_text(&R.f, &t);
	CHECK_STR(t.module, "libfoo.so");
	CHECK_STR(t.function, "");
	CHECK_STR(t.file, "");
	R.f.text_len = 0;
	ev_site_frame_text(&R.f, &t);
	CHECK(!*t.module && !*t.function && !*t.file);
	/* a length past the bound is cut to it */
	memset(R.f.text, 'a', 600);
	R.f.text_len = 600;
	ev_site_frame_text(&R.f, &t);
	CHECK_EQ_U64(strlen(t.module), VIGIL_CMDLINE_MAX);
	CHECK_STR(t.function, "");
}

int main(void)
{
	RUN(test_interning);
	RUN(test_sample_and_munmap);
	RUN(test_resample_counts_once);
	RUN(test_madvise);
	RUN(test_mremap);
	RUN(test_brk);
	RUN(test_exec_clears);
	RUN(test_thinning_unbiased);
	RUN(test_stack_bound);
	RUN(test_growth_windows);
	RUN(test_history_doubling);
	RUN(test_decode_site_records);
	RUN(test_decode_site_raw);
	RUN(test_frame_text);
	agg_free(A);
	CHECK_DONE();
}
