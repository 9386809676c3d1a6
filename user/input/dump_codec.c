// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Compact record encoding (dump format version 2).  One list per record
 * type (FIELDS_* below) names the fields after the header; the encoder and
 * the decoder are both expanded from it, so the two cannot disagree about a
 * layout, and the lists are what docs/dump-format.md tabulates.  Every byte
 * of every record is covered by the header or a field, so any record,
 * whatever its values, round-trips exactly.
 *
 * The encoding's byte order is explicit (varints, low bits first), so it
 * does not depend on the host; the offsets in the lists are events.h's,
 * pinned there by _Static_asserts.
 */
#include <string.h>

#include "decode.h"
#include "dump_codec.h"

/*
 * The fields after the 24-byte header, per type: F(kind, offset, ref).
 *   U16 U32 U64  unsigned varint of the value
 *   S32 S64      zigzag varint of the signed value
 *   D32 D64      zigzag varint of (value - the field at offset ref), wrapping
 *   ADR          zigzag varint of (value - the last ADR value of the chunk),
 *                wrapping; memory calls act on the addresses earlier ones
 *                returned (mmap's result is what munmap frees), so these
 *                deltas are small where the addresses need 6-7 bytes
 *   TEXT16       char[16]: n = bytes up to the last non-NUL one, then n bytes
 *   TAIL         the variable text: as many bytes as the u16 at ref says
 * Lists, not a table walked at run time: each type's encoder and decoder is
 * then straight-line code, where a loop over a table mispredicted its way
 * to ~35 ns per record.
 */
#define FIELDS_FAULTS(F) F(U32, 24, 0) F(U32, 28, 0) F(D64, 32, 8)
#define FIELDS_MMAP(F) F(U64, 24, 0) F(U64, 32, 0) F(U64, 40, 0) F(U64, 48, 0) \
	F(S64, 56, 0) F(U64, 64, 0) F(ADR, 72, 0)
#define FIELDS_MUNMAP(F) F(ADR, 24, 0) F(U64, 32, 0) F(S64, 40, 0)
#define FIELDS_MREMAP(F) F(ADR, 24, 0) F(U64, 32, 0) F(U64, 40, 0) F(U64, 48, 0) F(ADR, 56, 0)
#define FIELDS_MADVISE(F) F(ADR, 24, 0) F(U64, 32, 0) F(S32, 40, 0) F(U32, 44, 0) F(S64, 48, 0)
#define FIELDS_BRK(F) F(ADR, 24, 0) F(D64, 32, 24) F(D64, 40, 24)
#define FIELDS_RSS(F) F(S64, 24, 0) F(S64, 32, 0) F(S64, 40, 0) F(S64, 48, 0)
#define FIELDS_SWITCH(F) F(U32, 24, 0) F(D32, 28, 24) F(U32, 32, 0) F(U32, 36, 0)
#define FIELDS_WAKEUP(F) F(U32, 24, 0) F(U32, 28, 0)
#define FIELDS_MIGRATE(F) F(U32, 24, 0) F(U32, 28, 0)
#define FIELDS_FORK(F) F(U32, 24, 0) F(D32, 28, 24) F(TEXT16, 32, 0)
#define FIELDS_EXEC(F) F(U32, 24, 0) F(U16, 28, 0) F(U16, 30, 0) F(TEXT16, 32, 0) F(TAIL, 48, 28)
#define FIELDS_EXIT(F) F(S32, 24, 0) F(U32, 28, 0)
#define FIELDS_COMM(F) F(TEXT16, 24, 0)
#define FIELDS_LOST(F) F(U64, 24, 0)
#define FIELDS_PROC(F) F(U32, 24, 0) F(U16, 28, 0) F(U16, 30, 0) F(U64, 32, 0) F(TEXT16, 40, 0) \
	F(TAIL, 56, 30)

#define FIELDS_SITE_FRAME(F) F(U32, 24, 0) F(U32, 28, 0) F(U16, 32, 0) F(U16, 34, 0) \
	F(U32, 36, 0) F(U64, 40, 0) F(TAIL, 48, 34)
#define FIELDS_SITE_STACK(F) F(U32, 24, 0) F(U16, 28, 0) F(U16, 30, 0) F(TAIL, 32, 28)
#define FIELDS_SITE_SAMPLE(F) F(ADR, 24, 0) F(U64, 32, 0) F(U32, 40, 0) F(U32, 44, 0)

/* every type with its field list (EV_SITE_RAW has none: it is never stored) */
#define ALL_TYPES(T) T(EV_FAULTS, FIELDS_FAULTS) T(EV_MMAP, FIELDS_MMAP) \
	T(EV_MUNMAP, FIELDS_MUNMAP) T(EV_MREMAP, FIELDS_MREMAP) T(EV_MADVISE, FIELDS_MADVISE) \
	T(EV_BRK, FIELDS_BRK) T(EV_RSS, FIELDS_RSS) T(EV_SWITCH, FIELDS_SWITCH) \
	T(EV_WAKEUP, FIELDS_WAKEUP) T(EV_MIGRATE, FIELDS_MIGRATE) T(EV_FORK, FIELDS_FORK) \
	T(EV_EXEC, FIELDS_EXEC) T(EV_EXIT, FIELDS_EXIT) T(EV_COMM, FIELDS_COMM) \
	T(EV_LOST, FIELDS_LOST) T(EV_PROC, FIELDS_PROC) T(EV_SITE_FRAME, FIELDS_SITE_FRAME) \
	T(EV_SITE_STACK, FIELDS_SITE_STACK) T(EV_SITE_SAMPLE, FIELDS_SITE_SAMPLE)

/* ---- fields of a record ------------------------------------------------ */

/* Records are host structs (events.h), so their fields are read and written
 * in host order; only the encoding's own bytes (varints) have a fixed order.
 * memcpy: records sit at any alignment. */
static inline __u64 get(const unsigned char *p, unsigned bytes)
{
	__u16 v16;
	__u32 v32;
	__u64 v64;

	switch (bytes) {
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	default: memcpy(&v64, p, 8); return v64;
	}
}

static inline void put(unsigned char *p, __u64 v, unsigned bytes)
{
	__u16 v16 = (__u16)v;
	__u32 v32 = (__u32)v;

	switch (bytes) {
	case 2: memcpy(p, &v16, 2); break;
	case 4: memcpy(p, &v32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

static __u64 zigzag(__s64 v)
{
	return ((__u64)v << 1) ^ (__u64)(v >> 63);
}

static __s64 unzigzag(__u64 v)
{
	return (__s64)(v >> 1) ^ -(__s64)(v & 1);
}

/* ---- varints: 7 bits per byte, low bits first, high bit = more follow --- */

static unsigned char *put_varint(unsigned char *p, __u64 v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* At most 10 bytes; NULL when longer or beyond 64 bits.  Never reads past
 * the 10th byte, which is what bounds DUMP_ENC_REC_MAX. */
static const unsigned char *get_varint(const unsigned char *p, __u64 *v)
{
	__u64 x = 0;

	if (p[0] < 0x80) { /* most fields are small: one byte */
		*v = p[0];
		return p + 1;
	}
	for (unsigned shift = 0; shift < 70; shift += 7) {
		unsigned char b = *p++;

		if (shift == 63 && b > 1)
			return NULL;
		x |= (__u64)(b & 0x7f) << shift;
		if (b < 0x80) {
			*v = x;
			return p;
		}
	}
	return NULL;
}

/* A varint that must fit `bytes` bytes of field. */
static const unsigned char *get_field(const unsigned char *p, __u64 *v, unsigned bytes)
{
	p = get_varint(p, v);
	if (p && bytes < 8 && *v >> (8 * bytes))
		return NULL;
	return p;
}

/* Scheduler records come in pairs of tasks (a switch from A to B, the
 * wakeup of B by A, ...), so the last two distinct tasks are remembered. */
static inline void set_task(struct dump_codec_state *s, __u32 pid, __u32 tid)
{
	if (pid == s->pid && tid == s->tid)
		return;
	s->other_pid = s->pid;
	s->other_tid = s->tid;
	s->pid = pid;
	s->tid = tid;
}

/* ---- encoding: one function per field kind, inlined into each type ---- */

static unsigned text16_len(const unsigned char *p)
{
	unsigned n = VIGIL_COMM_LEN;

	while (n && !p[n - 1])
		n--;
	return n;
}

typedef unsigned char u8;

/* Every kind's function takes the same arguments, whether it needs them or
 * not, so that one macro can expand a field list into calls. */
#define MAYBE_UNUSED __attribute__((unused))
#define ENC_ARGS u8 *p, const u8 *r, MAYBE_UNUSED unsigned off, MAYBE_UNUSED unsigned ref, \
	MAYBE_UNUSED __u64 *adr
#define DEC_ARGS const u8 *p, u8 *r, MAYBE_UNUSED unsigned off, MAYBE_UNUSED unsigned ref, \
	MAYBE_UNUSED size_t *size, MAYBE_UNUSED __u64 *adr

static inline u8 *enc_U16(ENC_ARGS)
{
	return put_varint(p, get(r + off, 2));
}
static inline u8 *enc_U32(ENC_ARGS)
{
	return put_varint(p, get(r + off, 4));
}
static inline u8 *enc_U64(ENC_ARGS)
{
	return put_varint(p, get(r + off, 8));
}
static inline u8 *enc_S32(ENC_ARGS)
{
	return put_varint(p, zigzag((__s32)get(r + off, 4)));
}
static inline u8 *enc_S64(ENC_ARGS)
{
	return put_varint(p, zigzag((__s64)get(r + off, 8)));
}
static inline u8 *enc_D32(ENC_ARGS)
{
	return put_varint(p, zigzag((__s32)(__u32)(get(r + off, 4) - get(r + ref, 4))));
}
static inline u8 *enc_D64(ENC_ARGS)
{
	return put_varint(p, zigzag((__s64)(get(r + off, 8) - get(r + ref, 8))));
}
static inline u8 *enc_TEXT16(ENC_ARGS)
{
	unsigned n = text16_len(r + off);

	*p++ = (u8)n;
	memcpy(p, r + off, n);
	return p + n;
}
static inline u8 *enc_TAIL(ENC_ARGS)
{
	unsigned n = (unsigned)get(r + ref, 2);

	memcpy(p, r + off, n);
	return p + n;
}
static inline u8 *enc_ADR(ENC_ARGS)
{
	__u64 v = get(r + off, 8), last = *adr;

	*adr = v;
	return put_varint(p, zigzag((__s64)(v - last)));
}

#define ENC_FIELD(kind, off, ref) p = enc_##kind(p, r, off, ref, &s->addr);
#define ENC_TYPE(type, fields) case type: fields(ENC_FIELD) break;

size_t dump_encode(struct dump_codec_state *s, const struct ev_hdr *rec, unsigned char *out,
		   unsigned char *ts_out, size_t *ts_len)
{
	const u8 *r = (const u8 *)rec;
	u8 *p = out + 1;
	u8 tag = (u8)rec->type;

	if (rec->cpu == s->cpu)
		tag |= DUMP_TAG_SAME_CPU;
	else
		p = put_varint(p, rec->cpu);
	if (rec->pid == s->pid && rec->tid == s->tid) {
		tag |= DUMP_TASK_LAST;
	} else if (rec->pid == s->other_pid && rec->tid == s->other_tid) {
		tag |= DUMP_TASK_OTHER;
	} else {
		p = put_varint(p, rec->pid);
		p = put_varint(p, zigzag((__s32)(rec->tid - rec->pid)));
	}
	*out = tag;
	switch (rec->type) {
	ALL_TYPES(ENC_TYPE)
	}
	/* the one field that differs between otherwise equal records goes to
	 * its own stream: without it, repeated records are long deflate matches */
	*ts_len = (size_t)(put_varint(ts_out, zigzag((__s64)(rec->ts - s->ts))) - ts_out);
	s->ts = rec->ts;
	s->cpu = rec->cpu;
	set_task(s, rec->pid, rec->tid);
	return (size_t)(p - out);
}

/* ---- decoding: the same, backwards; NULL for an impossible encoding ---- */

static inline const u8 *dec_U16(DEC_ARGS)
{
	__u64 v;

	if ((p = get_field(p, &v, 2)))
		put(r + off, v, 2);
	return p;
}
static inline const u8 *dec_U32(DEC_ARGS)
{
	__u64 v;

	if ((p = get_field(p, &v, 4)))
		put(r + off, v, 4);
	return p;
}
static inline const u8 *dec_U64(DEC_ARGS)
{
	__u64 v;

	if ((p = get_varint(p, &v)))
		put(r + off, v, 8);
	return p;
}
static inline const u8 *dec_D32(DEC_ARGS)
{
	__u64 v;

	if ((p = get_field(p, &v, 4)))
		put(r + off, (__u64)unzigzag(v) + get(r + ref, 4), 4);
	return p;
}
/* S32 is D32 against nothing, S64 D64 against nothing */
static inline const u8 *dec_S32(DEC_ARGS)
{
	__u64 v;

	if ((p = get_field(p, &v, 4)))
		put(r + off, (__u64)unzigzag(v), 4);
	return p;
}
static inline const u8 *dec_D64(DEC_ARGS)
{
	__u64 v;

	if ((p = get_varint(p, &v)))
		put(r + off, (__u64)unzigzag(v) + get(r + ref, 8), 8);
	return p;
}
static inline const u8 *dec_S64(DEC_ARGS)
{
	__u64 v;

	if ((p = get_varint(p, &v)))
		put(r + off, (__u64)unzigzag(v), 8);
	return p;
}
static inline const u8 *dec_TEXT16(DEC_ARGS)
{
	unsigned n = *p++;

	if (n > VIGIL_COMM_LEN)
		return NULL;
	memcpy(r + off, p, n);
	memset(r + off + n, 0, VIGIL_COMM_LEN - n);
	return p + n;
}
static inline const u8 *dec_TAIL(DEC_ARGS)
{
	unsigned n = (unsigned)get(r + ref, 2);

	if (n > VIGIL_CMDLINE_MAX)
		return NULL;
	memcpy(r + off, p, n);
	*size += n;
	return p + n;
}
static inline const u8 *dec_ADR(DEC_ARGS)
{
	__u64 v;

	if ((p = get_varint(p, &v))) {
		*adr += (__u64)unzigzag(v);
		put(r + off, *adr, 8);
	}
	return p;
}

#define DEC_FIELD(kind, off, ref) \
	if (!(p = dec_##kind(p, r, off, ref, &size, &s->addr))) \
		goto bad_field;
#define DEC_TYPE(type, fields) case type: fields(DEC_FIELD) break;

size_t dump_decode(struct dump_codec_state *s, const unsigned char *in,
		   const unsigned char *ts_in, void *out, size_t *ts_used, const char **why)
{
	u8 *r = out;
	struct ev_hdr *h = out;
	const u8 *p = in + 1, *p_ts;
	unsigned type = in[0] & DUMP_TAG_TYPE;
	size_t size;
	__u64 v, d;

	if (type == 0 || type >= EV_TYPE_MAX || type == EV_SITE_RAW) {
		*why = "unknown record tag";
		return 0;
	}
	size = ev_fixed_size(type);
	/* first: a field may be coded against it (faults' first_ts) */
	if (!(p_ts = get_varint(ts_in, &v)))
		goto bad_field;
	*ts_used = (size_t)(p_ts - ts_in);
	h->ts = s->ts + (__u64)unzigzag(v);
	h->cpu = s->cpu;
	if (!(in[0] & DUMP_TAG_SAME_CPU)) {
		if (!(p = get_field(p, &v, 4)))
			goto bad_field;
		h->cpu = (__u32)v;
	}
	switch (in[0] & DUMP_TAG_TASK) {
	case DUMP_TASK_NEW:
		if (!(p = get_field(p, &v, 4)) || !(p = get_field(p, &d, 4)))
			goto bad_field;
		h->pid = (__u32)v;
		h->tid = (__u32)v + (__u32)unzigzag(d);
		break;
	case DUMP_TASK_LAST:
		h->pid = s->pid;
		h->tid = s->tid;
		break;
	case DUMP_TASK_OTHER:
		h->pid = s->other_pid;
		h->tid = s->other_tid;
		break;
	default:
		*why = "unknown record tag";
		return 0;
	}
	switch (type) {
	ALL_TYPES(DEC_TYPE)
	}
	h->type = (__u16)type;
	h->size = (__u16)size;
	s->ts = h->ts;
	s->cpu = h->cpu;
	set_task(s, h->pid, h->tid);
	return (size_t)(p - in);
bad_field:
	*why = "a field's value is out of range";
	return 0;
}
