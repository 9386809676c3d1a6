// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "pidmap.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot_of(const struct pidmap *m, uint32_t key)
{
	/* Fibonacci hashing: pids are dense and sequential, spread them */
	return (size_t)((key * 2654435769u) & (m->cap - 1));
}

int pidmap_init(struct pidmap *m, size_t max_len)
{
	m->cap = 256;
	m->len = 0;
	m->max_len = max_len;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = calloc(m->cap, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		pidmap_free(m);
		return -ENOMEM;
	}
	return 0;
}

void pidmap_free(struct pidmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = m->vals = NULL;
	m->cap = m->len = 0;
}

uint32_t *pidmap_get(const struct pidmap *m, uint32_t key)
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

static int grow(struct pidmap *m)
{
	struct pidmap bigger = {.cap = m->cap * 2, .max_len = m->max_len};

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		pidmap_free(&bigger);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			pidmap_put(&bigger, m->keys[i], m->vals[i]);
	pidmap_free(m);
	*m = bigger;
	return 0;
}

int pidmap_put(struct pidmap *m, uint32_t key, uint32_t val)
{
	uint32_t *v;
	size_t i;

	if (!key)
		return -EINVAL;
	v = pidmap_get(m, key);
	if (v) {
		*v = val;
		return 0;
	}
	if (m->max_len && m->len >= m->max_len)
		return -ENOSPC;
	if ((m->len + 1) * 4 > m->cap * 3) { /* keep load under 3/4 */
		int err = grow(m);
		if (err)
			return err;
	}
	for (i = slot_of(m, key); m->keys[i]; i = (i + 1) & (m->cap - 1))
		;
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return 0;
}

bool pidmap_del(struct pidmap *m, uint32_t key)
{
	size_t mask = m->cap - 1, i, j;

	if (!key || !m->cap)
		return false;
	for (i = slot_of(m, key); m->keys[i] != key; i = (i + 1) & mask)
		if (!m->keys[i])
			return false;
	/* shift later members of the probe run back so no gap breaks it */
	for (j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m, m->keys[j]);
		/* move j into i unless its home lies cyclically in (i, j] */
		bool home_in_gap = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (home_in_gap)
			continue;
		m->keys[i] = m->keys[j];
		m->vals[i] = m->vals[j];
		i = j;
	}
	m->keys[i] = 0;
	m->vals[i] = 0;
	m->len--;
	return true;
}
