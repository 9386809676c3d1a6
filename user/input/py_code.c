// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include "py_code.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "py_linetable.h"
#include "u64map.h"

#define CODES_MAX 8192       /* code objects cached per process; past it the cache starts over (between samples) */
#define HDR_BYTES 256        /* a code object's header: every field read is below co_code_adaptive */
#define STR_CHARS_MAX 512    /* names and paths longer than this are cut */
#define LINETABLE_MAX 65536  /* bytes; a longer table is not read (lines unknown) */

struct code_ent {
	/* the header's fingerprint: another object at the same address differs */
	__u64 type, filename, qualname, linetable;
	int firstlineno;
	char *qualname_s, *file_s;
	unsigned char *lt;
	size_t lt_len;
};

struct py_codes {
	struct u64map index; /* address -> entry + 1 */
	struct code_ent *ents;
	unsigned n, cap;
	uint8_t hdrs[VIGIL_SITE_PY_MAX][HDR_BYTES];
};

struct py_codes *py_codes_new(void)
{
	struct py_codes *c = calloc(1, sizeof(*c));

	if (c)
		u64map_init(&c->index, CODES_MAX);
	return c;
}

static void ent_clear(struct code_ent *e)
{
	free(e->qualname_s);
	free(e->file_s);
	free(e->lt);
	memset(e, 0, sizeof(*e));
}

static void codes_reset(struct py_codes *c)
{
	for (unsigned i = 0; i < c->n; i++)
		ent_clear(&c->ents[i]);
	c->n = 0;
	u64map_free(&c->index);
	u64map_init(&c->index, CODES_MAX);
}

void py_codes_free(struct py_codes *c)
{
	if (!c)
		return;
	codes_reset(c);
	u64map_free(&c->index);
	free(c->ents);
	free(c);
}

static __u64 word_at(const uint8_t *h, unsigned off)
{
	__u64 v;

	memcpy(&v, h + off, sizeof(v));
	return v;
}

/* code point -> UTF-8; returns bytes written (at most 4) */
static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		cp = 0xfffd;
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A str object's text as UTF-8 (compact strings: every name and path a
 * code object holds), NULL when it cannot be read. */
static char *read_str(unsigned pid, const struct py_layout *l, __u64 obj)
{
	uint8_t h[HDR_BYTES], raw[STR_CHARS_MAX * 4];
	uint32_t state;
	int64_t length;
	char *out;
	size_t o = 0;

	if (!obj || l->unicode_ascii_size > sizeof(h) || py_mem_read(pid, obj, h, l->unicode_ascii_size))
		return NULL;
	memcpy(&state, h + l->unicode_state, sizeof(state));
	memcpy(&length, h + l->unicode_length, sizeof(length));
	unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
	if (!compact || (kind != 1 && kind != 2 && kind != 4) || length < 0)
		return NULL;
	if (length > STR_CHARS_MAX)
		length = STR_CHARS_MAX;
	if (length && py_mem_read(pid, obj + (ascii ? l->unicode_ascii_size : l->unicode_compact_size), raw,
				  (size_t)length * kind))
		return NULL;
	if (!(out = malloc((size_t)length * 4 + 1)))
		return NULL;
	for (int64_t i = 0; i < length; i++) {
		uint32_t cp;
		if (kind == 1) {
			cp = raw[i];
		} else if (kind == 2) {
			uint16_t u;
			memcpy(&u, raw + 2 * i, 2);
			cp = u;
		} else {
			memcpy(&cp, raw + 4 * i, 4);
		}
		o += utf8_put(out + o, cp ? cp : 0xfffd);
	}
	out[o] = 0;
	return out;
}

/* a bytes object's content (the line table) */
static unsigned char *read_bytes(unsigned pid, const struct py_layout *l, __u64 obj, size_t *len)
{
	int64_t size;
	unsigned char *b;

	*len = 0;
	if (!obj || py_mem_read(pid, obj + l->bytes_size, &size, sizeof(size)) || size < 0 || size > LINETABLE_MAX)
		return NULL;
	if (!(b = malloc(size ? (size_t)size : 1)))
		return NULL;
	if (size && py_mem_read(pid, obj + l->bytes_data, b, (size_t)size)) {
		free(b);
		return NULL;
	}
	*len = (size_t)size;
	return b;
}

/* The cached entry of the code object at addr, whose header is h: read in
 * full when new or when its header changed. */
static struct code_ent *code_entry(struct py_codes *c, unsigned pid, const struct py_target *t, __u64 addr,
				   const uint8_t *h)
{
	const struct py_layout *l = &t->layout;
	struct code_ent fresh = {
		.type = word_at(h, 8),
		.filename = word_at(h, l->code_filename),
		.qualname = word_at(h, l->code_qualname),
		.linetable = word_at(h, l->code_linetable),
	};
	uint32_t *v = u64map_get(&c->index, addr);
	struct code_ent *e;

	memcpy(&fresh.firstlineno, h + l->code_firstlineno, sizeof(fresh.firstlineno));
	if (v) {
		e = &c->ents[*v - 1];
		if (e->type == fresh.type && e->filename == fresh.filename && e->qualname == fresh.qualname &&
		    e->linetable == fresh.linetable && e->firstlineno == fresh.firstlineno)
			return e;
		ent_clear(e);
	} else {
		if (c->n == c->cap) {
			unsigned cap = c->cap ? c->cap * 2 : 64;
			struct code_ent *g = realloc(c->ents, cap * sizeof(*g));
			if (!g)
				return NULL;
			c->ents = g;
			c->cap = cap;
		}
		if (u64map_put(&c->index, addr, c->n + 1))
			return NULL;
		e = &c->ents[c->n++];
	}
	*e = fresh;
	e->qualname_s = read_str(pid, l, fresh.qualname);
	if (!e->qualname_s)
		e->qualname_s = read_str(pid, l, word_at(h, l->code_name));
	e->file_s = read_str(pid, l, fresh.filename);
	e->lt = read_bytes(pid, l, fresh.linetable, &e->lt_len);
	return e;
}

/* The headers of the sample's code objects, in one system call when all
 * are readable; one by one when one is not (the call stops at it). */
static void read_headers(struct py_codes *c, unsigned pid, const __u64 *code, unsigned n, bool *ok)
{
	struct iovec local[VIGIL_SITE_PY_MAX] = {{0}}, remote[VIGIL_SITE_PY_MAX] = {{0}};

	for (unsigned i = 0; i < n; i++) {
		local[i] = (struct iovec){c->hdrs[i], HDR_BYTES};
		remote[i] = (struct iovec){(void *)(uintptr_t)code[i], HDR_BYTES};
	}
	if (process_vm_readv((pid_t)pid, local, n, remote, n, 0) == (ssize_t)(n * HDR_BYTES)) {
		for (unsigned i = 0; i < n; i++)
			ok[i] = true;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		ok[i] = code[i] && !py_mem_read(pid, code[i], c->hdrs[i], HDR_BYTES);
}

void py_codes_resolve(struct py_codes *c, unsigned pid, const struct py_target *t, const __u64 *code,
		      const __u64 *instr, unsigned n, struct py_frame_info *out)
{
	const struct py_layout *l = &t->layout;
	bool ok[VIGIL_SITE_PY_MAX];

	if (n > VIGIL_SITE_PY_MAX)
		n = VIGIL_SITE_PY_MAX;
	/* a full cache starts over before a sample, never within one: the
	 * names resolved for its first frames must outlive its last */
	if (c->n + n > CODES_MAX)
		codes_reset(c);
	read_headers(c, pid, code, n, ok);
	for (unsigned i = 0; i < n; i++) {
		struct code_ent *e;
		__u64 start = code[i] + l->code_adaptive;

		out[i] = (struct py_frame_info){0};
		/* not a code object (3.13's shim frames hold None), or one
		 * whose frame has not started its first instruction yet */
		if (!ok[i] || word_at(c->hdrs[i], 8) != t->code_type || instr[i] < start || instr[i] - start > (1u << 24))
			continue;
		if (!(e = code_entry(c, pid, t, code[i], c->hdrs[i])) || !e->qualname_s || !e->file_s)
			continue;
		out[i].qualname = e->qualname_s;
		out[i].file = e->file_s;
		out[i].offset = (unsigned)(instr[i] - start);
		out[i].line = e->lt ? py_linetable_line(l->linetable, e->lt, e->lt_len, e->firstlineno, out[i].offset) : 0;
		out[i].ok = true;
	}
}
