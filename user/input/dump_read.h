/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Dump reader: streams the records of a dump back, one chunk in memory at a
 * time, trusting nothing in the file (layout: dump_format.h,
 * docs/dump-format.md). */
#ifndef VIGIL_DUMP_READ_H
#define VIGIL_DUMP_READ_H

#include <stddef.h>
#include "dump_format.h"
#include "events.h"

struct dump_reader;

/* Totals over the chunks read so far (all of the file once next() has
 * returned 0). */
struct dump_totals {
	__u64 events;
	__u64 chunks;
	__u64 lost;   /* sum of ev_lost.count */
	__u64 ts_min; /* 0 while there are no events */
	__u64 ts_max;
};

/* Opens path and checks its header.  Not a dump, empty, truncated or
 * damaged header, a version newer than this build: -1 with a message that
 * names the offset (and both versions) in err. */
int dump_reader_open(struct dump_reader **out, const char *path, char *err, size_t errlen);

const struct dump_host *dump_reader_host(const struct dump_reader *r);
/* Header flags (DUMP_FLAGS_*). */
unsigned dump_reader_flags(const struct dump_reader *r);

/* 1: *rec is the next record, checked by ev_check(), 8-byte aligned, valid
 *    until the next call.
 * 0: clean end: the trailer was read and agrees with the chunks.
 * -1: truncation or damage: dump_reader_error() says what,
 *    dump_reader_error_offset() where (the start of the block that could not
 *    be used).  Every record before that block has been returned, none from
 *    it: a chunk is verified whole before its first record comes out.
 * 0 and -1 repeat on further calls. */
int dump_reader_next(struct dump_reader *r, const struct ev_hdr **rec);

const char *dump_reader_error(const struct dump_reader *r);
unsigned long long dump_reader_error_offset(const struct dump_reader *r);
int dump_reader_has_trailer(const struct dump_reader *r);
const struct dump_totals *dump_reader_totals(const struct dump_reader *r);

void dump_reader_close(struct dump_reader *r);

#endif
