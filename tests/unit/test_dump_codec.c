// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The compact record encoding of dump format version 2 (dump_codec.h):
 * every record type round-trips exactly, edge values included (timestamps
 * going backwards, 0 and all-ones in every field, full and empty texts,
 * command lines of 0 and 256 bytes); encodings stay within their bounds; a
 * damaged encoding is refused, never read beyond DUMP_ENC_REC_MAX. */
#include <stdint.h>

#include "check.h"
#include "rand.h"
#include "decode.h"
#include "dump_codec.h"

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void) { return xorshift64(&rng); }

/* A value for a field: the extremes half of the time, else random of a
 * random width (so varints of every length occur). */
static __u64 edge(void)
{
	static const __u64 pick[] = {0, 1, 0x7f, 0x80, 0xffffffffULL, 0x100000000ULL,
				     INT64_MAX, (__u64)INT64_MIN, UINT64_MAX, UINT64_MAX - 1};

	if (rnd() % 2)
		return pick[rnd() % (sizeof(pick) / sizeof(pick[0]))];
	return rnd() >> (rnd() % 64);
}

/* Record of `type` with every byte after the header set from edge(), then
 * the text lengths made valid. */
static size_t make_record(unsigned char *buf, unsigned type, __u64 ts, unsigned text_len)
{
	struct ev_hdr *h = (struct ev_hdr *)buf;
	size_t fixed = ev_fixed_size(type), size = fixed;

	for (size_t i = sizeof(*h); i < fixed; i += 8) {
		__u64 v = edge();

		memcpy(buf + i, &v, fixed - i < 8 ? fixed - i : 8);
	}
	if (type == EV_EXEC) {
		((struct ev_exec *)buf)->cmdline_len = (__u16)text_len;
		size += text_len;
	} else if (type == EV_PROC) {
		((struct ev_proc *)buf)->cmdline_len = (__u16)text_len;
		size += text_len;
	} else if (type == EV_SITE_FRAME) {
		((struct ev_site_frame *)buf)->text_len = (__u16)text_len;
		size += text_len;
	} else if (type == EV_SITE_STACK) {
		text_len &= ~3u; /* whole frame ids */
		((struct ev_site_stack *)buf)->frames_len = (__u16)text_len;
		size += text_len;
	}
	for (size_t i = fixed; i < size; i++)
		buf[i] = (unsigned char)(rnd() % 3 ? 'a' + rnd() % 26 : 0);
	h->type = (__u16)type;
	h->size = (__u16)size;
	h->cpu = (__u32)(rnd() % 3 ? rnd() % 4 : edge());
	h->ts = ts;
	h->pid = (__u32)(rnd() % 3 ? 1000 + rnd() % 3 : edge());
	h->tid = (__u32)(rnd() % 2 ? h->pid : edge());
	return size;
}

#define NREC 20000

static unsigned char recs[NREC][VIGIL_REC_MAX] __attribute__((aligned(8)));
static unsigned char enc[NREC * 2 * VIGIL_REC_MAX + DUMP_ENC_REC_MAX];
static unsigned char tss[NREC * DUMP_ENC_TS_MAX + DUMP_ENC_TS_MAX];

/* Encodes n records, decodes them back, compares byte for byte. */
static int round_trip(size_t n)
{
	struct dump_codec_state es, ds;
	unsigned char out[VIGIL_REC_MAX] __attribute__((aligned(8)));
	size_t pos = 0, dpos = 0, tpos = 0, dtpos = 0, size;
	int ok = 1;

	dump_codec_reset(&es);
	for (size_t i = 0; i < n; i++) {
		const struct ev_hdr *h = (const struct ev_hdr *)recs[i];
		size_t len, ts_len;

		if (ev_check(h, h->size, &size) != EV_OK)
			return 0;
		len = dump_encode(&es, h, enc + pos, tss + tpos, &ts_len);
		if (len < DUMP_ENC_MIN || len + ts_len > DUMP_ENC_MAX(h->size) ||
		    len > DUMP_ENC_REC_MAX || ts_len > DUMP_ENC_TS_MAX) {
			printf("# record %zu (type %u): encoding of %zu + %zu bytes\n", i, h->type,
			       len, ts_len);
			ok = 0;
		}
		pos += len;
		tpos += ts_len;
	}
	memset(enc + pos, 0, DUMP_ENC_REC_MAX);
	memset(tss + tpos, 0, DUMP_ENC_TS_MAX);
	dump_codec_reset(&ds);
	for (size_t i = 0; i < n && ok; i++) {
		const char *why = NULL;
		size_t ts_used = 0, used = dump_decode(&ds, enc + dpos, tss + dtpos, out, &ts_used, &why);
		const struct ev_hdr *h = (const struct ev_hdr *)recs[i];

		if (!used || memcmp(out, h, h->size)) {
			printf("# record %zu (type %u) did not round-trip: %s\n", i, h->type,
			       why ? why : "different bytes");
			ok = 0;
		}
		dpos += used;
		dtpos += ts_used;
	}
	return ok && dpos == pos && dtpos == tpos;
}

static void test_every_type(void)
{
	size_t n = 0;

	/* each type with the text lengths at their ends and in between */
	for (unsigned type = 1; type < EV_TYPE_MAX; type++)
		for (unsigned len = 0; ev_type_stored(type) && len <= VIGIL_CMDLINE_MAX; len += 64, n++)
			make_record(recs[n], type, 1000000 + n, len);
	CHECK(round_trip(n));
}

static void test_edge_values(void)
{
	size_t n;

	/* random types, timestamps anywhere: backwards, 0, the top of 64 bits */
	for (n = 0; n < NREC; n++) {
		unsigned type = 1 + (unsigned)(rnd() % (EV_TYPE_MAX - 1));
		if (!ev_type_stored(type))
			type = EV_SITE_SAMPLE;
		__u64 ts = rnd() % 4 ? 5000000000ULL + n * 1000 - rnd() % 5000 : edge();

		make_record(recs[n], type, ts, (unsigned)(rnd() % (VIGIL_CMDLINE_MAX + 1)));
	}
	CHECK(round_trip(n));
}

/* Texts: full 16 bytes without NUL, bytes after a NUL, all NUL. */
static void test_texts(void)
{
	static const char comms[][VIGIL_COMM_LEN] = {
		"0123456789abcdef", "ab\0cd\0\0\0\0\0\0\0\0\0\0z", "", "x\0\0\0\0\0\0\0\0\0\0\0\0\0\0y"};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		struct ev_comm *c = (struct ev_comm *)recs[n];

		make_record(recs[n++], EV_COMM, 7, 0);
		memcpy(c->comm, comms[i], VIGIL_COMM_LEN);
	}
	CHECK(round_trip(n));
}

/* Repeated scheduler traffic: the history of tasks makes most records
 * short, and they must still decode to themselves. */
static void test_sched_pairs(void)
{
	size_t n, pos = 0, ts_len;
	struct dump_codec_state es;

	for (n = 0; n < 1000; n++) {
		struct ev_switch *s = (struct ev_switch *)recs[n];

		memset(s, 0, sizeof(*s));
		s->h.type = EV_SWITCH;
		s->h.size = sizeof(*s);
		s->h.cpu = 1;
		s->h.ts = 1000000 + n * 1500;
		s->h.pid = s->h.tid = n % 2 ? 4242 : 4343;
		s->next_pid = s->next_tid = n % 2 ? 4343 : 4242;
		s->prev_state = 1;
	}
	CHECK(round_trip(n));
	dump_codec_reset(&es);
	for (size_t i = 0; i < n; i++)
		pos += dump_encode(&es, (const struct ev_hdr *)recs[i], enc + pos, tss, &ts_len);
	CHECK(pos < n * 7); /* 40-byte records */
}

/* One encoding (fields, then timestamp), edited: refused with a reason. */
static void expect_refused_ts(const unsigned char *e, size_t len, const unsigned char *ts,
			      size_t ts_len, const char *label)
{
	unsigned char buf[64 + DUMP_ENC_REC_MAX] = {0}, tbuf[32 + DUMP_ENC_TS_MAX] = {0};
	unsigned char out[VIGIL_REC_MAX] __attribute__((aligned(8)));
	struct dump_codec_state s;
	const char *why = NULL;
	size_t ts_used;

	memcpy(buf, e, len);
	memcpy(tbuf, ts, ts_len);
	dump_codec_reset(&s);
	if (dump_decode(&s, buf, tbuf, out, &ts_used, &why) != 0 || !why) {
		printf("# %s: accepted\n", label);
		CHECK(0);
	}
}

static void expect_refused(const unsigned char *e, size_t len, const char *label)
{
	expect_refused_ts(e, len, (const unsigned char *)"\x02", 1, label);
}

static void test_damage_refused(void)
{
	/* switch, cpu and task stored: tag, cpu 1, pid 5, tid +0, fields; ts 2 */
	static const unsigned char good[] = {EV_SWITCH, 1, 5, 0, 6, 0, 1, 0};
	unsigned char e[32];
	unsigned char out[VIGIL_REC_MAX] __attribute__((aligned(8)));
	unsigned char buf[64 + DUMP_ENC_REC_MAX] = {0}, ts[DUMP_ENC_TS_MAX + 1] = {2};
	struct dump_codec_state s;
	const char *why = NULL;
	size_t ts_used = 0;

	memcpy(buf, good, sizeof(good));
	dump_codec_reset(&s);
	CHECK(dump_decode(&s, buf, ts, out, &ts_used, &why) == sizeof(good) && ts_used == 1);
	CHECK(((struct ev_switch *)out)->next_pid == 6 && ((struct ev_hdr *)out)->ts == 1);

	memcpy(e, good, sizeof(good));
	e[0] = 0;
	expect_refused(e, sizeof(good), "type 0");
	e[0] = EV_TYPE_MAX;
	expect_refused(e, sizeof(good), "unknown type");
	e[0] = EV_SWITCH | DUMP_TAG_TASK;
	expect_refused(e, sizeof(good), "task mode 3");
	/* a u32 field (cpu) of 2^32 */
	{
		static const unsigned char big[] = {EV_SWITCH, 0x80, 0x80, 0x80, 0x80, 0x10, 5, 0, 6, 0, 1, 0};

		expect_refused(big, sizeof(big), "cpu beyond 32 bits");
	}
	/* a varint longer than 10 bytes, and one beyond 64 bits; in the
	 * fields and in the timestamp */
	{
		unsigned char v[32] = {EV_LOST | DUMP_TAG_SAME_CPU | DUMP_TASK_LAST};
		static const unsigned char lost[] = {EV_LOST | DUMP_TAG_SAME_CPU | DUMP_TASK_LAST, 5};

		memset(v + 1, 0x80, 11);
		v[12] = 0;
		expect_refused(v, 13, "11-byte varint");
		expect_refused_ts(lost, sizeof(lost), v + 1, 12, "11-byte timestamp");
		memset(v + 1, 0xff, 9);
		v[10] = 0x02;
		expect_refused(v, 11, "count beyond 64 bits");
		expect_refused_ts(lost, sizeof(lost), v + 1, 10, "timestamp beyond 64 bits");
	}
	/* comm of 17 bytes; a command line of 257 */
	{
		unsigned char c[32] = {EV_COMM | DUMP_TAG_SAME_CPU | DUMP_TASK_LAST, 17};

		expect_refused(c, sizeof(c), "text length 17");
	}
	{
		/* exec: old_tid 0, cmdline_len 257 (0x81 0x02), pad 0 */
		unsigned char x[32] = {EV_EXEC | DUMP_TAG_SAME_CPU | DUMP_TASK_LAST, 0, 0x81, 0x02, 0, 0};

		expect_refused(x, sizeof(x), "cmdline 257");
	}
}

/* Random bytes: never a crash, never more than DUMP_ENC_REC_MAX consumed. */
static void test_random_bytes(void)
{
	unsigned char buf[DUMP_ENC_REC_MAX * 2], ts[DUMP_ENC_TS_MAX * 2];
	unsigned char out[VIGIL_REC_MAX] __attribute__((aligned(8)));
	int bad = 0;

	for (int i = 0; i < 200000 && !bad; i++) {
		struct dump_codec_state s;
		const char *why;
		size_t len = 1 + rnd() % 40, used, size, ts_used = 0;

		memset(buf, 0, sizeof(buf));
		memset(ts, 0, sizeof(ts));
		for (size_t k = 0; k < len; k++)
			buf[k] = (unsigned char)rnd();
		for (size_t k = 0, n = rnd() % 12; k < n; k++)
			ts[k] = (unsigned char)rnd();
		dump_codec_reset(&s);
		used = dump_decode(&s, buf, ts, out, &ts_used, &why);
		if (used > DUMP_ENC_REC_MAX || ts_used > DUMP_ENC_TS_MAX)
			bad = 1;
		if (used && ev_check(out, ((struct ev_hdr *)out)->size, &size) != EV_OK)
			bad = 1;
	}
	CHECK(!bad);
}

int main(void)
{
	RUN(test_every_type);
	RUN(test_edge_values);
	RUN(test_texts);
	RUN(test_sched_pairs);
	RUN(test_damage_refused);
	RUN(test_random_bytes);
	CHECK_DONE();
}
