/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Compact record encoding of dump format version 2 (docs/dump-format.md,
 * "Record encoding"): an events.h record of 32-80 bytes becomes ~6-10 bytes
 * of fields plus ~2 bytes of timestamp, because deflate's cost grows with
 * its input and was most of `vigil record`'s CPU.  Fields are varints; the
 * timestamp, CPU, pid and tid are coded against the previous record of the
 * same chunk, so encoder and decoder each carry a small state that starts
 * at zero with every chunk.  Timestamps go to a stream of their own, stored
 * after the deflated fields: they are the one thing that differs between
 * otherwise equal records, and left among the fields they break every
 * deflate match (4-10x the deflate work, and bigger files).
 */
#ifndef VIGIL_DUMP_CODEC_H
#define VIGIL_DUMP_CODEC_H

#include <stddef.h>
#include "events.h"

/* Smallest encoding of a record's fields: tag and one field byte. */
#define DUMP_ENC_MIN 2
/* Bytes a decoder may read from a record's start, damaged or not: every
 * varint is read up to its 10-byte limit before its range is checked, so
 * for proc, the longest: tag 1 + cpu, pid, tid 30 + fields 40 + comm 17 +
 * command line 256 = 344, rounded up. */
#define DUMP_ENC_REC_MAX 384
/* ... and from its timestamp's start: one varint */
#define DUMP_ENC_TS_MAX 10
/* A record's fields and timestamp together never take more than twice the
 * record's size (a u32 field needs at most 5 bytes, a u64 10, the 24-byte
 * header 26). */
#define DUMP_ENC_MAX(size) (2 * (size_t)(size))

/* Tag byte: record type in the low 5 bits, then flags. */
#define DUMP_TAG_TYPE 0x1f
#define DUMP_TAG_SAME_CPU 0x20 /* cpu as in the previous record: not stored */
#define DUMP_TAG_TASK 0xc0     /* where pid and tid come from: */
#define DUMP_TASK_NEW 0x00     /*   stored in the record */
#define DUMP_TASK_LAST 0x40    /*   the previous record's */
#define DUMP_TASK_OTHER 0x80   /*   the task before that one (other_*) */
				/*   0xc0: invalid */

/* What the previous records of the chunk left behind; all zero at the start
 * of every chunk. */
struct dump_codec_state {
	__u64 ts;
	__u64 addr;                 /* the last address field (ADR) */
	__u32 cpu;
	__u32 pid, tid;             /* the previous record's task */
	__u32 other_pid, other_tid; /* the one before it that differs */
};

static inline void dump_codec_reset(struct dump_codec_state *s)
{
	s->ts = s->addr = 0;
	s->cpu = s->pid = s->tid = s->other_pid = s->other_tid = 0;
}

/* Encodes rec, which must have passed ev_check(): its fields at out, its
 * timestamp at ts_out (room for DUMP_ENC_MAX(rec->size) bytes in all).
 * Returns the bytes written at out; *ts_len says how many at ts_out. */
size_t dump_encode(struct dump_codec_state *s, const struct ev_hdr *rec, unsigned char *out,
		   unsigned char *ts_out, size_t *ts_len);

/* Decodes the record whose fields start at in and timestamp at ts_in into
 * out (VIGIL_REC_MAX bytes, 8-byte aligned).  in must be followed by
 * DUMP_ENC_REC_MAX readable bytes and ts_in by DUMP_ENC_TS_MAX (zeros past
 * the data are fine): a damaged encoding cannot make this read further, so
 * the caller checks the lengths used against what it had instead of every
 * byte being checked.  Returns the bytes of fields consumed (*ts_used: of
 * timestamp), or 0 with *why set for an encoding no writer produces (the
 * record is then unusable). */
size_t dump_decode(struct dump_codec_state *s, const unsigned char *in,
		   const unsigned char *ts_in, void *out, size_t *ts_used, const char **why);

#endif
