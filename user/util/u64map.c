// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "u64map.h"

#include <errno.h>
#include <stdlib.h>

static inline size_t slot_of(const struct u64map *m, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (m->cap - 1);
}

void u64map_init(struct u64map *m, size_t max_len)
{
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->len = 0;
	m->max_len = max_len;
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	u64map_init(m, m->max_len);
}

uint32_t *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!key || !m->cap)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return &m->vals[i];
		if (!m->keys[i])
			return NULL;
	}
}

static int grow(struct u64map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct u64map n = {.cap = ncap, .max_len = m->max_len};

	n.keys = calloc(ncap, sizeof(*n.keys));
	n.vals = malloc(ncap * sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = slot_of(&n, m->keys[i]);
		while (n.keys[j])
			j = (j + 1) & (ncap - 1);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	n.len = m->len;
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	uint32_t *v;

	if (!key)
		return -EINVAL;
	if ((v = u64map_get(m, key))) {
		*v = val;
		return 0;
	}
	if (m->max_len && m->len >= m->max_len)
		return -ENOSPC;
	/* at most half full: probes stay short */
	if ((m->len + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	size_t i = slot_of(m, key);
	while (m->keys[i])
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return 0;
}

/* Empties slot i and shifts back the entries of the run after it that
 * would otherwise be cut off from their home slot.  Returns whether an
 * entry moved into slot i. */
static bool remove_at(struct u64map *m, size_t i)
{
	size_t mask = m->cap - 1, hole = i, j = i;
	bool refilled = false;

	m->len--;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->keys[j])
			break;
		size_t home = slot_of(m, m->keys[j]);
		/* j's entry may fill the hole if its home is not in (hole, j] */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			m->keys[hole] = m->keys[j];
			m->vals[hole] = m->vals[j];
			if (hole == i)
				refilled = true;
			hole = j;
		}
	}
	m->keys[hole] = 0;
	return refilled;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	if (!key || !m->cap)
		return false;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			remove_at(m, i);
			return true;
		}
		if (!m->keys[i])
			return false;
	}
}

void u64map_filter(struct u64map *m, bool (*fn)(uint64_t key, uint32_t *val, void *arg), void *arg)
{
	size_t i = 0, start;

	if (!m->cap)
		return;
	/* start after an empty slot: a backward shift never moves an entry
	 * across one, so nothing wraps from the end of the walk to its start */
	for (start = 0; start < m->cap && m->keys[start]; start++)
		;
	if (start == m->cap)
		start = 0;
	for (size_t n = 0; n < m->cap; n++) {
		i = (start + n) & (m->cap - 1);
		while (m->keys[i] && fn(m->keys[i], &m->vals[i], arg)) {
			if (!remove_at(m, i))
				break;
		}
	}
}
