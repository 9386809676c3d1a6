/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A Python process's code objects, read from its memory: qualified name,
 * file and line table, cached by the object's address.  An address can be
 * reused by another code object once the first is freed, so every use
 * re-reads the object's header (one process_vm_readv for all the frames of
 * a sample) and a header that changed is read again in full.
 */
#ifndef VIGIL_PY_CODE_H
#define VIGIL_PY_CODE_H

#include <stdbool.h>

#include "events.h"
#include "py_target.h"

struct py_codes;

struct py_frame_info {
	const char *qualname; /* valid until the next py_codes_resolve */
	const char *file;
	unsigned line;         /* 0: unknown */
	unsigned offset;       /* the instruction's byte offset in the code */
	bool ok;               /* false: not a code object (a C-stack shim) or unreadable */
};

struct py_codes *py_codes_new(void);
void py_codes_free(struct py_codes *c);
/* n frames of process pid (code object addresses and instruction
 * pointers, as the BPF walk took them) into out[n]. */
void py_codes_resolve(struct py_codes *c, unsigned pid, const struct py_target *t, const __u64 *code,
		      const __u64 *instr, unsigned n, struct py_frame_info *out);

#endif
