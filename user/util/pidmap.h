/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A map from pid (u32, non-zero) to a u32 value: open addressing with
 * linear probing, deletion by backward shift (no tombstones), so lookups
 * stay short however many processes come and go.  Grows up to a limit. */
#ifndef VIGIL_PIDMAP_H
#define VIGIL_PIDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pidmap {
	uint32_t *keys; /* 0 = empty */
	uint32_t *vals;
	size_t cap;     /* power of two */
	size_t len;
	size_t max_len; /* refuse inserts beyond this */
};

/* max_len bounds the memory; 0 = no bound. */
int pidmap_init(struct pidmap *m, size_t max_len);
void pidmap_free(struct pidmap *m);
/* pointer to the value, or NULL */
uint32_t *pidmap_get(const struct pidmap *m, uint32_t key);
/* inserts or overwrites; -ENOSPC past max_len, -ENOMEM, -EINVAL for key 0 */
int pidmap_put(struct pidmap *m, uint32_t key, uint32_t val);
bool pidmap_del(struct pidmap *m, uint32_t key);

#endif
