// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* wbh: the waited_behind table grows from WBH_FIRST to WBH_MAX holders,
 * keeps every holder exactly up to WBH_MAX;
 * a newcomer at a full table sheds the smaller half (ties: the later
 * entries), what is shed is handed back whole, and the kept holders are
 * still found (charged) after the rebuild. */
#include "check.h"
#include "waited_behind.h"

static struct wbh T;         /* the table under test */
static struct wbh_shed shed; /* what the last shed gave back */

static void fresh(void)
{
	wbh_free(&T);
	memset(&shed, 0, sizeof(shed));
}

static __u64 table_ns(const struct wbh *t)
{
	__u64 s = 0;

	for (__u32 e = 0; e < t->n; e++)
		s += t->ns[e];
	return s;
}

static __u64 ns_of(const struct wbh *t, __u32 key)
{
	for (__u32 e = 0; e < t->n; e++)
		if (t->key[e] == key)
			return t->ns[e];
	return 0;
}

static void test_exact_until_full(void)
{
	struct wbh_ent out[WBH_MAX];
	struct wbh_shed rest;

	fresh();
	for (__u32 k = 1; k <= WBH_MAX; k++)
		wbh_charge(&T, k, k * 10, &shed);
	for (__u32 k = 1; k <= WBH_MAX; k++)
		wbh_charge(&T, k, 1, &shed); /* existing holders: no shed */
	CHECK_EQ_U64(T.n, WBH_MAX);
	CHECK_EQ_U64(shed.n, 0);
	CHECK_EQ_U64(wbh_top(&T, out, WBH_MAX, &rest), WBH_MAX);
	CHECK_EQ_U64(rest.n, 0);
	CHECK_EQ_U64(out[0].key, WBH_MAX);
	CHECK_EQ_U64(out[0].ns, WBH_MAX * 10 + 1);
	CHECK_EQ_U64(out[WBH_MAX - 1].key, 1);
}

/* Storage doubles from WBH_FIRST as holders arrive, nothing is shed while
 * it grows, every holder is still found after each rebuild, and wbh_free
 * leaves an empty table that works again. */
static void test_grows_then_frees(void)
{
	__u64 last = 0;

	fresh();
	CHECK_EQ_U64(wbh_bytes(&T), 0);
	CHECK(!wbh_hit(&T, 1, 5)); /* empty: nothing to find, nothing allocated */
	for (__u32 k = 1; k <= WBH_MAX; k++) {
		wbh_charge(&T, k, k, &shed);
		if (k == 1 || k == WBH_FIRST + 1 || k == WBH_MAX / 2 + 1)
			CHECK(wbh_bytes(&T) > last); /* grew at the first, and at a full table */
		CHECK(wbh_bytes(&T) >= last);
		last = wbh_bytes(&T);
		CHECK_EQ_U64(T.cap >= k, 1);
	}
	CHECK_EQ_U64(T.cap, WBH_MAX);
	CHECK_EQ_U64(shed.n, 0);
	for (__u32 k = 1; k <= WBH_MAX; k++) /* all found after the rebuilds */
		CHECK(wbh_hit(&T, k, 1));
	for (__u32 k = 1; k <= WBH_MAX; k++)
		CHECK_EQ_U64(ns_of(&T, k), k + 1);
	CHECK_EQ_U64(wbh_bytes(&T), last); /* full: no more growth */
	wbh_free(&T);
	CHECK_EQ_U64(T.n, 0);
	CHECK_EQ_U64(wbh_bytes(&T), 0);
	wbh_charge(&T, 7, 3, &shed);
	CHECK_EQ_U64(ns_of(&T, 7), 3);
	CHECK_EQ_U64(T.cap, WBH_FIRST);
}

static void test_shed_smaller_half(void)
{
	__u64 before, want_shed = 0;

	fresh();
	/* distinct ns in a scrambled order: key k has (k * 37 % WBH_MAX + 1) * 100 */
	for (__u32 k = 1; k <= WBH_MAX; k++)
		wbh_charge(&T, k, (k * 37 % WBH_MAX + 1) * 100, &shed);
	wbh_interval_start(&T);
	before = table_ns(&T);
	for (__u32 k = 1; k <= WBH_MAX; k++)
		if (k * 37 % WBH_MAX + 1 <= WBH_MAX / 2)
			want_shed += (k * 37 % WBH_MAX + 1) * 100;
	wbh_charge(&T, 1000, 5, &shed);
	CHECK_EQ_U64(shed.n, WBH_MAX / 2);
	CHECK_EQ_U64(shed.ns, want_shed);
	CHECK_EQ_U64(shed.base, want_shed); /* the bases go with them */
	CHECK_EQ_U64(T.n, WBH_MAX / 2 + 1);
	CHECK_EQ_U64(table_ns(&T) + shed.ns, before + 5);
	for (__u32 k = 1; k <= WBH_MAX; k++) /* exactly the larger half stayed */
		CHECK_EQ_U64(ns_of(&T, k), k * 37 % WBH_MAX + 1 > WBH_MAX / 2 ? (k * 37 % WBH_MAX + 1) * 100 : 0);
	CHECK_EQ_U64(ns_of(&T, 1000), 5);
	/* the rebuilt hash finds the kept holders: charges add, no new entry */
	for (__u32 k = 1; k <= WBH_MAX; k++)
		if (ns_of(&T, k))
			wbh_charge(&T, k, 1, &shed);
	CHECK_EQ_U64(T.n, WBH_MAX / 2 + 1);
	CHECK_EQ_U64(table_ns(&T), before + 5 - want_shed + WBH_MAX / 2);
}

static void test_shed_ties(void)
{
	struct wbh_ent out[WBH_MAX];
	struct wbh_shed rest;

	fresh();
	for (__u32 k = 1; k <= WBH_MAX; k++) /* all equal: half of them stay */
		wbh_charge(&T, k, 700, &shed);
	wbh_charge(&T, 999, 1, &shed);
	CHECK_EQ_U64(shed.n, WBH_MAX / 2);
	CHECK_EQ_U64(shed.ns, 700ULL * (WBH_MAX / 2));
	CHECK_EQ_U64(wbh_top(&T, out, WBH_MAX, &rest), WBH_MAX / 2 + 1);
	for (__u32 i = 0; i < WBH_MAX / 2; i++)
		CHECK_EQ_U64(out[i].ns, 700);
	/* ties in the sorted view: lower key first */
	for (__u32 i = 1; i < WBH_MAX / 2; i++)
		CHECK(out[i - 1].key < out[i].key);
}

/* The top k in order, and the rest summed: the same as the first k of the
 * whole table sorted (largest first, ties by lower key). */
static void test_top_k(void)
{
	struct wbh_shed rest;
	struct wbh_ent all[WBH_MAX], top[16];
	__u64 rest_ns = 0;

	fresh();
	for (__u32 k = 1; k <= 50; k++) /* ties on purpose: ns repeats every 7 keys */
		wbh_charge(&T, k, (k * 13 % 7 + 1) * 1000, &shed);
	CHECK_EQ_U64(wbh_top(&T, all, WBH_MAX, &rest), 50);
	for (__u32 i = 1; i < 50; i++)
		CHECK(all[i - 1].ns > all[i].ns || (all[i - 1].ns == all[i].ns && all[i - 1].key < all[i].key));
	for (__u32 i = 16; i < 50; i++)
		rest_ns += all[i].ns;
	CHECK_EQ_U64(wbh_top(&T, top, 16, &rest), 16);
	CHECK(memcmp(top, all, sizeof(top)) == 0);
	CHECK_EQ_U64(rest.ns, rest_ns);
	CHECK_EQ_U64(rest.n, 34);
	wbh_free(&T);
}

int main(void)
{
	RUN(test_exact_until_full);
	RUN(test_grows_then_frees);
	RUN(test_shed_smaller_half);
	RUN(test_shed_ties);
	RUN(test_top_k);
	CHECK_DONE();
}
