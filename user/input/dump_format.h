/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * On-disk layout of a vigil dump (docs/dump-format.md is the prose version;
 * keep the two in step).  A dump is
 *
 *     file header | chunk | chunk | ... | trailer
 *
 * All integers are little-endian.  Both architectures vigil builds for are
 * little-endian, so the structs below ARE the encoding: they are written and
 * read with memcpy, and the _Static_asserts pin every size and the offsets
 * that a reader in another language relies on.
 *
 * Changing anything here, or any record layout in events.h, means bumping
 * DUMP_VERSION: readers refuse versions newer than their own, and keep
 * reading the older ones.  Version 1 stored records raw in zlib streams;
 * version 2 (written now) stores them in the compact encoding of
 * dump_codec.h: the fields raw-deflated (a fifth of the bytes, and without
 * the timestamps far more repetitive), the timestamps after them.
 */
#ifndef VIGIL_DUMP_FORMAT_H
#define VIGIL_DUMP_FORMAT_H

#include <stddef.h>
#include <linux/types.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the dump encoding is the in-memory layout; a big-endian port needs explicit byte swapping"
#endif

#define DUMP_MAGIC "VIGILDMP" /* 8 bytes, no NUL on disk */
#define DUMP_MAGIC_LEN 8
#define DUMP_VERSION 3     /* what this build writes (3: version 2 plus the site records) */
#define DUMP_VERSION_MIN 1 /* oldest it reads */

#define DUMP_HEADER_SIZE 256  /* what this version writes */
#define DUMP_HEADER_MAX 4096  /* readers accept [DUMP_HEADER_SIZE, DUMP_HEADER_MAX] */

/* Header flags: the low 16 bits name features a reader must understand to
 * read the file (unknown ones: refuse); the high 16 bits are hints that a
 * reader may ignore.  Versions 1 and 2 define none. */
#define DUMP_FLAGS_REQUIRED_MASK 0x0000ffffu
#define DUMP_FLAGS_KNOWN 0u

#define DUMP_CHUNK_MAGIC 0x4b484356u   /* bytes "VCHK" */
#define DUMP_TRAILER_MAGIC 0x444e4556u /* bytes "VEND" */

/* The one codec each version allows */
#define DUMP_CODEC_ZLIB 1    /* version 1: RFC 1950 zlib stream of raw records */
#define DUMP_CODEC_COMPACT 2 /* version 2: RFC 1951 raw deflate of the records'
			      * encoded fields, then their timestamps; the chunk's
			      * CRC-32 makes zlib's adler32 redundant */

/* Hard limits: a reader rejects anything larger before allocating, so no
 * file can make it allocate more than about 8 MiB per open dump. */
#define DUMP_CHUNK_RAW_MAX (4u << 20) /* decompressed bytes; in version 2 also
				       * the records' total size once decoded */
/* compressed bytes: deflate can grow incompressible data by ~0.03 % plus a
 * few bytes, far less than the 64 KiB of slack */
#define DUMP_CHUNK_MAX (DUMP_CHUNK_RAW_MAX + (64u << 10))
#define DUMP_CHUNK_DEFAULT (256u << 10) /* raw bytes per chunk the writer aims for */
/* Timestamps are CLOCK_MONOTONIC ns: 2^62 ns is 146 years of uptime, a
 * value no recording can hold.  Readers refuse a chunk (and a header start
 * time) at or beyond it, so nothing downstream does arithmetic near 2^64. */
#define DUMP_TS_LIMIT (1ull << 62)

/* Host that recorded the dump.  Strings are NUL-terminated and NUL-padded. */
struct dump_host {
	char kernel[64];    /* uname -r */
	char arch[16];      /* "x86", "arm64" (uname -m for anything else) */
	char hostname[64];  /* uname -n */
	__u32 ncpus;        /* possible CPUs: the range of ev_hdr.cpu */
	__u32 page_size;
	__u64 mono_ns;      /* CLOCK_MONOTONIC and ... */
	__u64 real_ns;      /* ... CLOCK_REALTIME, sampled together at start:
			     * wall = ts - mono_ns + real_ns */
	__u32 pf_source;    /* enum vigil_pf_source */
	__u32 ringbuf_size; /* bytes */
	__u32 sources;      /* KSRC_* (ksources.h): what the kernel offered and vigil
			     * attached; 0 in dumps written before this field (these
			     * bytes were reserved, zero) */
	__u32 pad;          /* zero */
};

struct dump_file_header {
	char magic[DUMP_MAGIC_LEN]; /* DUMP_MAGIC */
	__u16 version;              /* DUMP_VERSION */
	__u16 header_size;          /* bytes of the whole header, CRC included */
	__u32 flags;                /* DUMP_FLAGS_* */
	struct dump_host host;
	__u8 reserved[52];          /* zero */
	__u32 crc;                  /* CRC-32 of the header_size - 4 bytes before it */
};

/* Followed by comp_len bytes: version 1, one zlib stream whose output is
 * raw_len bytes of records, exactly as in events.h, back to back (each
 * hdr.size long); version 2, one raw deflate stream whose output is raw_len
 * bytes of the records' encoded fields, then up to comp_len their encoded
 * timestamps (dump_codec.h). */
struct dump_chunk_header {
	__u32 magic;       /* DUMP_CHUNK_MAGIC */
	__u32 seq;         /* 0, 1, 2, ...: a missing chunk is detected */
	__u32 comp_len;    /* 1 .. DUMP_CHUNK_MAX */
	__u32 raw_len;     /* v1: sizeof(struct ev_hdr) .., v2: DUMP_ENC_MIN .. DUMP_CHUNK_RAW_MAX */
	__u32 nevents;     /* records in raw_len, >= 1 */
	__u32 codec;       /* DUMP_CODEC_ZLIB (v1), DUMP_CODEC_COMPACT (v2) */
	__u64 ts_min;      /* earliest hdr.ts among the records */
	__u64 ts_max;      /* latest hdr.ts among the records */
	__u32 payload_crc; /* CRC-32 of the comp_len payload bytes */
	__u32 header_crc;  /* CRC-32 of the 44 bytes before this field */
};

/* Written once, on clean close; nothing follows it. */
struct dump_trailer {
	__u32 magic;        /* DUMP_TRAILER_MAGIC */
	__u32 size;         /* sizeof(struct dump_trailer) */
	__u64 events;       /* records in all chunks */
	__u64 chunks;
	__u64 lost;         /* sum of ev_lost.count over EV_LOST records */
	__u64 ts_min;       /* over all records; 0 when there are none */
	__u64 ts_max;
	__u64 offset;       /* file offset of this trailer */
	__u32 reserved;     /* zero */
	__u32 crc;          /* CRC-32 of the 60 bytes before this field */
};

_Static_assert(sizeof(struct dump_host) == 184, "dump_host layout");
_Static_assert(offsetof(struct dump_host, sources) == 176, "dump_host layout");
_Static_assert(offsetof(struct dump_host, ncpus) == 144, "dump_host layout");
_Static_assert(offsetof(struct dump_host, mono_ns) == 152, "dump_host layout");
_Static_assert(offsetof(struct dump_host, pf_source) == 168, "dump_host layout");
_Static_assert(sizeof(struct dump_file_header) == DUMP_HEADER_SIZE, "file header layout");
_Static_assert(offsetof(struct dump_file_header, host) == 16, "file header layout");
_Static_assert(offsetof(struct dump_file_header, crc) == DUMP_HEADER_SIZE - 4, "file header layout");
_Static_assert(sizeof(struct dump_chunk_header) == 48, "chunk header layout");
_Static_assert(offsetof(struct dump_chunk_header, ts_min) == 24, "chunk header layout");
_Static_assert(offsetof(struct dump_chunk_header, header_crc) == 44, "chunk header layout");
_Static_assert(sizeof(struct dump_trailer) == 64, "trailer layout");
_Static_assert(offsetof(struct dump_trailer, crc) == 60, "trailer layout");

#endif
