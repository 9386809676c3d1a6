/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The hash map: a non-zero u64 key (a pid, a page address, a hash) to a
 * u32 value.  Open addressing with linear probing, deletion by backward
 * shift (no tombstones, so lookups stay short however many keys come and
 * go), grows up to a limit.  Keys are mixed before probing, so dense pids,
 * page addresses and hashes spread alike. */
#ifndef VIGIL_U64MAP_H
#define VIGIL_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys; /* 0 = empty */
	uint32_t *vals;
	size_t cap;     /* power of two, 0 before the first insert */
	size_t len;
	size_t max_len; /* refuse inserts beyond this; 0 = no bound */
};

void u64map_init(struct u64map *m, size_t max_len);
void u64map_free(struct u64map *m);
uint32_t *u64map_get(const struct u64map *m, uint64_t key);
/* inserts or overwrites; -ENOSPC past max_len, -ENOMEM, -EINVAL for key 0 */
int u64map_put(struct u64map *m, uint64_t key, uint32_t val);
bool u64map_del(struct u64map *m, uint64_t key);
/* Visits every entry; fn returns true to delete the entry it was given.
 * Entries moved by a deletion are not skipped: each is visited once. */
void u64map_filter(struct u64map *m, bool (*fn)(uint64_t key, uint32_t *val, void *arg), void *arg);

#endif
