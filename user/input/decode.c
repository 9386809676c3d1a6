// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "decode.h"

#include <string.h>

static const struct {
	const char *name;
	size_t size;
} ev_types[EV_TYPE_MAX] = {
	[EV_FAULTS] = {"faults", sizeof(struct ev_faults)},
	[EV_MMAP] = {"mmap", sizeof(struct ev_mmap)},
	[EV_MUNMAP] = {"munmap", sizeof(struct ev_munmap)},
	[EV_MREMAP] = {"mremap", sizeof(struct ev_mremap)},
	[EV_MADVISE] = {"madvise", sizeof(struct ev_madvise)},
	[EV_BRK] = {"brk", sizeof(struct ev_brk)},
	[EV_RSS] = {"rss", sizeof(struct ev_rss)},
	[EV_SWITCH] = {"switch", sizeof(struct ev_switch)},
	[EV_WAKEUP] = {"wakeup", sizeof(struct ev_wakeup)},
	[EV_MIGRATE] = {"migrate", sizeof(struct ev_migrate)},
	[EV_FORK] = {"fork", sizeof(struct ev_fork)},
	[EV_EXEC] = {"exec", sizeof(struct ev_exec)},
	[EV_EXIT] = {"exit", sizeof(struct ev_exit)},
	[EV_COMM] = {"comm", sizeof(struct ev_comm)},
	[EV_LOST] = {"lost", sizeof(struct ev_lost)},
	[EV_PROC] = {"proc", sizeof(struct ev_proc)},
	[EV_SITE_RAW] = {"site_raw", sizeof(struct ev_site_raw)},
	[EV_SITE_FRAME] = {"site_frame", sizeof(struct ev_site_frame)},
	[EV_SITE_STACK] = {"site_stack", sizeof(struct ev_site_stack)},
	[EV_SITE_SAMPLE] = {"site_sample", sizeof(struct ev_site_sample)},
};

const char *ev_type_name(unsigned type)
{
	if (type == 0 || type >= EV_TYPE_MAX)
		return "unknown";
	return ev_types[type].name;
}

size_t ev_fixed_size(unsigned type)
{
	if (type == 0 || type >= EV_TYPE_MAX)
		return 0;
	return ev_types[type].size;
}

const char *ev_check_str(enum ev_check c)
{
	switch (c) {
	case EV_OK: return "ok";
	case EV_ERR_SHORT: return "record runs past the end of its buffer";
	case EV_ERR_SIZE: return "record size does not fit its type";
	case EV_ERR_TYPE: return "unknown record type";
	case EV_ERR_TEXT_LEN: return "record text length out of range";
	}
	return "?";
}

/* Variable-size records carry their text length; it must agree with hdr.size
 * exactly so that a damaged length can never make a consumer read past the
 * record. */
static enum ev_check check_text(size_t size, size_t fixed, unsigned text_len)
{
	if (text_len > VIGIL_CMDLINE_MAX)
		return EV_ERR_TEXT_LEN;
	return size == fixed + text_len ? EV_OK : EV_ERR_SIZE;
}

enum ev_check ev_check(const void *buf, size_t len, size_t *rec_size)
{
	const struct ev_hdr *h = buf;
	size_t fixed;

	if (len < sizeof(*h))
		return EV_ERR_SHORT;
	/* a raw site sample never reaches here: ev_check_site_raw() is its gate */
	if (h->size < sizeof(*h) || h->size > VIGIL_REC_MAX)
		return EV_ERR_SIZE;
	if (h->size > len)
		return EV_ERR_SHORT;
	fixed = ev_fixed_size(h->type);
	if (!fixed)
		return EV_ERR_TYPE;
	if (h->type == EV_EXEC) {
		if (h->size < fixed)
			return EV_ERR_SIZE;
		enum ev_check c = check_text(h->size, fixed, ((const struct ev_exec *)buf)->cmdline_len);
		if (c != EV_OK)
			return c;
	} else if (h->type == EV_PROC) {
		if (h->size < fixed)
			return EV_ERR_SIZE;
		enum ev_check c = check_text(h->size, fixed, ((const struct ev_proc *)buf)->cmdline_len);
		if (c != EV_OK)
			return c;
	} else if (h->type == EV_SITE_FRAME) {
		if (h->size < fixed)
			return EV_ERR_SIZE;
		enum ev_check c = check_text(h->size, fixed, ((const struct ev_site_frame *)buf)->text_len);
		if (c != EV_OK)
			return c;
	} else if (h->type == EV_SITE_STACK) {
		if (h->size < fixed)
			return EV_ERR_SIZE;
		/* frames_len / 4 frames: readers ignore a remainder */
		enum ev_check c = check_text(h->size, fixed, ((const struct ev_site_stack *)buf)->frames_len);
		if (c != EV_OK)
			return c;
	} else if (h->size != fixed) {
		return EV_ERR_SIZE;
	}
	*rec_size = h->size;
	return EV_OK;
}

enum ev_check ev_check_site_raw(const void *buf, size_t len)
{
	const struct ev_site_raw *r = buf;

	if (len < sizeof(*r))
		return EV_ERR_SHORT;
	if (r->h.type != EV_SITE_RAW)
		return EV_ERR_TYPE;
	if (r->h.size != sizeof(*r))
		return EV_ERR_SIZE;
	if (r->nregs > VIGIL_SITE_NREGS || r->data_len > VIGIL_SITE_STACK_BYTES ||
	    ((r->flags & SITE_RAW_FP) && r->data_len % sizeof(__u64)))
		return EV_ERR_TEXT_LEN;
	return EV_OK;
}

void ev_site_frame_text(const struct ev_site_frame *f, struct site_frame_text *out)
{
	size_t n = f->text_len > VIGIL_CMDLINE_MAX ? VIGIL_CMDLINE_MAX : f->text_len, at = 0;
	const char **part[3] = {&out->module, &out->function, &out->file};

	memcpy(out->buf, f->text, n);
	out->buf[n] = 0;
	for (int i = 0; i < 3; i++) {
		*part[i] = out->buf + at;
		at += strlen(out->buf + at);
		if (at < n)
			at++; /* past the NUL that ends this part */
	}
}
