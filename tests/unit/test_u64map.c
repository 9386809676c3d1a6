// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* u64map: open addressing with backward-shift deletion.  The probe chains
 * that matter are built from keys whose home slot the map itself reveals
 * (insert alone into an empty map, see where it lands), so the tests do not
 * restate the hash; then a long random run against a brute-force list. */
#include <errno.h>
#include "check.h"
#include "rand.h"
#include "u64map.h"

/* where key lands alone in an empty map of the first capacity */
static size_t home_of(uint64_t key, size_t *cap)
{
	struct u64map m;
	size_t at = (size_t)-1;

	u64map_init(&m, 0);
	if (u64map_put(&m, key, 1) == 0)
		for (size_t i = 0; i < m.cap; i++)
			if (m.keys[i] == key)
				at = i;
	*cap = m.cap;
	u64map_free(&m);
	return at;
}

/* n keys (from 1 up) whose home is slot `home` */
static size_t keys_homed_at(size_t home, uint64_t *out, size_t n)
{
	size_t got = 0, cap;

	for (uint64_t k = 1; got < n && k < 1000000; k++)
		if (home_of(k, &cap) == home)
			out[got++] = k;
	return got;
}

static size_t slot_of_key(const struct u64map *m, uint64_t key)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] == key)
			return i;
	return (size_t)-1;
}

static void test_basic(void)
{
	struct u64map m;
	uint32_t *v;

	u64map_init(&m, 0);
	CHECK(u64map_get(&m, 5) == NULL);
	CHECK(!u64map_del(&m, 5));
	CHECK(u64map_put(&m, 0, 1) == -EINVAL); /* 0 marks an empty slot */
	CHECK(u64map_get(&m, 0) == NULL);
	CHECK(u64map_put(&m, 5, 50) == 0);
	CHECK(u64map_put(&m, ~0ull, 7) == 0);
	CHECK_EQ_U64(m.len, 2);
	CHECK((v = u64map_get(&m, 5)) && *v == 50);
	CHECK(u64map_put(&m, 5, 51) == 0); /* overwrite: no second entry */
	CHECK_EQ_U64(m.len, 2);
	CHECK((v = u64map_get(&m, 5)) && *v == 51);
	*u64map_get(&m, ~0ull) = 8; /* the pointer is the value's home */
	CHECK((v = u64map_get(&m, ~0ull)) && *v == 8);
	CHECK(u64map_del(&m, 5));
	CHECK(!u64map_del(&m, 5));
	CHECK(u64map_get(&m, 5) == NULL);
	CHECK_EQ_U64(m.len, 1);
	u64map_free(&m);
	CHECK(m.cap == 0 && m.len == 0 && u64map_get(&m, ~0ull) == NULL);
}

/* Deleting in the middle of a chain of colliding keys, and the key of the
 * next home slot pushed behind them: every later key stays findable and
 * the chain closes up (no tombstone left where the deleted key was). */
static void test_collision_chain(void)
{
	uint64_t same[5], next[2];
	struct u64map m;
	size_t cap, h;

	home_of(1, &cap);
	h = 10;
	CHECK(keys_homed_at(h, same, 5) == 5);
	CHECK(keys_homed_at(h + 1, next, 2) == 2);
	u64map_init(&m, 0);
	/* home h: same[0..4] at h..h+4; home h+1 pushed to h+5, h+6 */
	for (int i = 0; i < 5; i++)
		CHECK(u64map_put(&m, same[i], (uint32_t)i) == 0);
	CHECK(u64map_put(&m, next[0], 100) == 0);
	CHECK(u64map_put(&m, next[1], 101) == 0);
	CHECK(m.cap == cap); /* still the capacity the homes were read at */
	for (int i = 0; i < 5; i++)
		CHECK_EQ_U64(slot_of_key(&m, same[i]), h + (size_t)i);
	CHECK_EQ_U64(slot_of_key(&m, next[0]), h + 5);

	CHECK(u64map_del(&m, same[1]));
	for (int i = 0; i < 5; i++)
		CHECK(i == 1 ? !u64map_get(&m, same[i]) : u64map_get(&m, same[i]) && *u64map_get(&m, same[i]) == (uint32_t)i);
	CHECK(u64map_get(&m, next[0]) && *u64map_get(&m, next[0]) == 100);
	CHECK(u64map_get(&m, next[1]) && *u64map_get(&m, next[1]) == 101);
	/* the run shifted back by one: contiguous h..h+5, h+6 empty */
	for (size_t i = h; i < h + 6; i++)
		CHECK(m.keys[i] != 0);
	CHECK(m.keys[h + 6] == 0);
	/* next[0]'s home is h+1: it may move as far back as that, never before */
	CHECK(slot_of_key(&m, next[0]) >= h + 1);

	/* the chain's head, then everything of home h: next[] end at their home */
	CHECK(u64map_del(&m, same[0]));
	CHECK(u64map_del(&m, same[2]) && u64map_del(&m, same[3]) && u64map_del(&m, same[4]));
	CHECK_EQ_U64(m.len, 2);
	CHECK_EQ_U64(slot_of_key(&m, next[0]), h + 1);
	CHECK_EQ_U64(slot_of_key(&m, next[1]), h + 2);
	CHECK(m.keys[h] == 0);
	u64map_free(&m);
}

/* A chain that wraps from the last slot to the first: deleting the entry
 * in the last slot pulls the wrapped ones back across the end. */
static void test_wrap(void)
{
	uint64_t last[3], first[1];
	struct u64map m;
	size_t cap;

	home_of(1, &cap);
	CHECK(keys_homed_at(cap - 1, last, 3) == 3);
	CHECK(keys_homed_at(0, first, 1) == 1);
	u64map_init(&m, 0);
	for (int i = 0; i < 3; i++)
		CHECK(u64map_put(&m, last[i], (uint32_t)i) == 0);
	CHECK(u64map_put(&m, first[0], 9) == 0); /* home 0 is taken by the wrap: lands at 2 */
	CHECK_EQ_U64(slot_of_key(&m, last[2]), 1);
	CHECK_EQ_U64(slot_of_key(&m, first[0]), 2);
	CHECK(u64map_del(&m, last[0]));
	CHECK_EQ_U64(slot_of_key(&m, last[1]), cap - 1);
	CHECK_EQ_U64(slot_of_key(&m, last[2]), 0);
	CHECK_EQ_U64(slot_of_key(&m, first[0]), 1);
	CHECK(u64map_get(&m, first[0]) && *u64map_get(&m, first[0]) == 9);
	CHECK(u64map_get(&m, last[2]) && *u64map_get(&m, last[2]) == 2);
	u64map_free(&m);
}

static void test_growth_and_bound(void)
{
	struct u64map m;
	bool all = true;

	u64map_init(&m, 0);
	for (uint64_t k = 1; k <= 20000; k++)
		all &= u64map_put(&m, k * 4096, (uint32_t)k) == 0; /* page addresses: low bits all 0 */
	CHECK(all);
	CHECK_EQ_U64(m.len, 20000);
	CHECK(m.cap >= 2 * m.len && (m.cap & (m.cap - 1)) == 0); /* at most half full, a power of two */
	for (uint64_t k = 1; k <= 20000; k++)
		all &= u64map_get(&m, k * 4096) && *u64map_get(&m, k * 4096) == k;
	CHECK(all);
	CHECK(u64map_get(&m, 4095) == NULL);
	u64map_free(&m);

	u64map_init(&m, 3);
	CHECK(u64map_put(&m, 1, 1) == 0 && u64map_put(&m, 2, 2) == 0 && u64map_put(&m, 3, 3) == 0);
	CHECK(u64map_put(&m, 4, 4) == -ENOSPC);
	CHECK(u64map_get(&m, 4) == NULL);
	CHECK(u64map_put(&m, 2, 20) == 0); /* overwriting at the bound is fine */
	CHECK(u64map_del(&m, 1) && u64map_put(&m, 4, 4) == 0);
	CHECK_EQ_U64(m.len, 3);
	u64map_free(&m);
	CHECK(m.max_len == 3); /* free keeps the bound for reuse */
}

/* filter: each entry visited once, even when a deletion shifts the next
 * entry into the slot just visited, and chains across the end included */
struct visits {
	uint64_t keys[4096];
	unsigned count[4096];
	size_t n;
};

static bool drop_odd(uint64_t key, uint32_t *val, void *arg)
{
	struct visits *v = arg;

	for (size_t i = 0; i < v->n; i++)
		if (v->keys[i] == key)
			v->count[i]++;
	*val += 1000; /* survivors keep what fn wrote */
	return key & 1;
}

static void test_filter(void)
{
	static struct visits v;
	struct u64map m;
	uint64_t wrap[6];
	size_t cap;
	bool ok = true;

	home_of(1, &cap);
	u64map_init(&m, 0);
	memset(&v, 0, sizeof(v));
	/* a chain of colliding keys over the end of the table, odd and even mixed */
	CHECK(keys_homed_at(cap - 2, wrap, 6) == 6);
	for (int i = 0; i < 6; i++)
		v.keys[v.n++] = wrap[i];
	for (uint64_t k = 1; k <= 20; k++)
		v.keys[v.n++] = k * 7919;
	for (size_t i = 0; i < v.n; i++)
		ok &= u64map_put(&m, v.keys[i], (uint32_t)i) == 0;
	CHECK(ok);
	CHECK(m.cap == cap);
	u64map_filter(&m, drop_odd, &v);
	for (size_t i = 0; i < v.n; i++) {
		uint32_t *val = u64map_get(&m, v.keys[i]);
		ok &= v.count[i] == 1;
		ok &= (v.keys[i] & 1) ? val == NULL : val && *val == i + 1000;
	}
	CHECK(ok);
	u64map_free(&m);
	u64map_filter(&m, drop_odd, &v); /* empty map: nothing to do, no crash */
}

/* ---- against a brute-force reference ----------------------------------------------- */

#define REF_KEYS 3000

struct ref {
	uint64_t key[REF_KEYS];
	uint32_t val[REF_KEYS];
	bool in[REF_KEYS];
	size_t len;
	unsigned visits[REF_KEYS];
	uint64_t cut; /* filter: delete keys of residue cut mod 5 */
};

static int ref_index(const struct ref *r, uint64_t key)
{
	for (int i = 0; i < REF_KEYS; i++)
		if (r->key[i] == key)
			return i;
	return -1;
}

static bool drop_residue(uint64_t key, uint32_t *val, void *arg)
{
	struct ref *r = arg;
	int i = ref_index(r, key);

	(void)val;
	if (i >= 0)
		r->visits[i]++;
	return key % 5 == r->cut;
}

/* 100k random puts, deletes and gets over 3000 keys (a third of them page
 * addresses, low bits all zero; the table is at most half full, so chains
 * collide often), a filter every 10k ops; the map must agree with the list
 * after every op, and in full after every filter. */
static void test_random_vs_reference(void)
{
	static struct ref r;
	struct u64map m;
	__u64 rng = 0x2545f4914f6cdd1dull;
	size_t bad = 0, filters = 0;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < REF_KEYS; i++)
		r.key[i] = i % 3 ? (xorshift64(&rng) >> (i % 7)) | 1 : (__u64)(i + 1) << 12;
	u64map_init(&m, 0);
	for (int op = 0; op < 100000; op++) {
		int i = (int)(xorshift64(&rng) % REF_KEYS);
		uint64_t k = r.key[i];
		unsigned what = (unsigned)(xorshift64(&rng) % 10);

		if (op % 10000 == 9999) {
			r.cut = xorshift64(&rng) % 5;
			memset(r.visits, 0, sizeof(r.visits));
			u64map_filter(&m, drop_residue, &r);
			filters++;
			for (int j = 0; j < REF_KEYS; j++) {
				if (r.in[j] && r.visits[j] != 1)
					bad++;
				if (!r.in[j] && r.visits[j])
					bad++;
				if (r.in[j] && r.key[j] % 5 == r.cut) {
					r.in[j] = false;
					r.len--;
				}
			}
		} else if (what < 5) {
			uint32_t val = (uint32_t)xorshift64(&rng);
			if (u64map_put(&m, k, val))
				bad++;
			if (!r.in[i])
				r.len++;
			r.in[i] = true;
			r.val[i] = val;
		} else if (what < 8) {
			if (u64map_del(&m, k) != r.in[i])
				bad++;
			if (r.in[i])
				r.len--;
			r.in[i] = false;
		} else {
			uint32_t *v = u64map_get(&m, k);
			if (r.in[i] ? !v || *v != r.val[i] : v != NULL)
				bad++;
		}
		if (m.len != r.len)
			bad++;
		if (op % 10000 == 9999)
			for (int j = 0; j < REF_KEYS; j++) {
				uint32_t *v = u64map_get(&m, r.key[j]);
				if (r.in[j] ? !v || *v != r.val[j] : v != NULL)
					bad++;
			}
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(filters, 10);
	u64map_free(&m);
}

int main(void)
{
	RUN(test_basic);
	RUN(test_collision_chain);
	RUN(test_wrap);
	RUN(test_growth_and_bound);
	RUN(test_filter);
	RUN(test_random_vs_reference);
	CHECK_DONE();
}
