/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where a CPython version keeps what a frame walk reads: the thread list,
 * the frames, the code objects and their names and line tables.  One row
 * per minor version, each from that release's own headers (computed by the
 * compiler: scripts/py-layout.c) and tested here against the interpreter
 * (tests/bpf/test_pysites.sh); 3.13 and later publish them in the process
 * itself (_Py_DebugOffsets at the start of _PyRuntime), read instead when
 * their layout is one this file knows.  docs/sites.md has the table.
 */
#ifndef VIGIL_PY_LAYOUT_H
#define VIGIL_PY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "py_linetable.h"

enum py_support {
	PY_UNSUPPORTED = 0, /* native stacks only */
	PY_TESTED,          /* offsets from the release's headers, tested on this version */
	PY_UNTESTED,        /* offsets from a documented source, not tested: said at run time */
};

/* How the walk tells where an eval loop's C call starts (the frames one
 * _PyEval_EvalFrameDefault on the native stack runs). */
enum py_entry {
	PY_ENTRY_FLAG = 1,   /* 3.11: the frame's is_entry byte is set on the call's outermost frame */
	PY_ENTRY_CSTACK = 2, /* 3.12+: a shim frame owned by the C stack (owner 3) sits below the call's frames */
};
#define PY_OWNER_CSTACK 3

struct py_layout {
	unsigned minor; /* 3.minor */
	enum py_support support;
	const char *source; /* where the offsets come from */
	enum py_entry entry;
	enum py_linetable_kind linetable;
	int instr_is_next; /* 3.13: instr_ptr is the instruction executing; before: the one last started */
	/* the walk (BPF: struct vigil_py_proc) */
	unsigned runtime_interp_head, interp_threads, tstate_next, tstate_native_tid, tstate_frame,
		cframe_frame, frame_previous, frame_code, frame_instr, frame_marker;
	/* code objects and the strings and bytes they hold */
	unsigned code_filename, code_name, code_qualname, code_linetable, code_firstlineno, code_adaptive;
	unsigned unicode_state, unicode_length, unicode_ascii_size, unicode_compact_size;
	unsigned bytes_size, bytes_data;
};

/* The row for 3.minor; its support is PY_UNSUPPORTED when there is none. */
const struct py_layout *py_layout_for(unsigned minor);

/* 3.13+: the offsets the interpreter publishes (the first `len` bytes of
 * _PyRuntime).  Fills *out from them when their version and size are a
 * layout known here; returns 0, or -1 (a missing cookie, an unknown
 * version, a free-threaded build). */
int py_layout_from_debug_offsets(const uint8_t *buf, size_t len, unsigned minor, struct py_layout *out);
#define PY_DEBUG_OFFSETS_BYTES 584 /* the 3.13 struct */

#endif
