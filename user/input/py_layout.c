// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "py_layout.h"

#include <string.h>

#include "events.h"

/* Strings and bytes objects are laid out alike from 3.11 to 3.13: the
 * state bits after ob_refcnt, ob_type, length and hash; bytes after
 * ob_size and ob_shash.  The compact forms lost wstr in 3.12. */
#define STR_311 .unicode_state = 32, .unicode_length = 16, .unicode_ascii_size = 48, .unicode_compact_size = 72
#define STR_312 .unicode_state = 32, .unicode_length = 16, .unicode_ascii_size = 40, .unicode_compact_size = 56
#define BYTES .bytes_size = 16, .bytes_data = 32

/* x86_64 and aarch64 alike (LP64, the same alignment rules); the numbers
 * are scripts/py-layout.c's output for each release's headers. */
static const struct py_layout rows[] = {
	{
		.minor = 11, .support = PY_TESTED, .source = "CPython 3.11 headers (3.11.2, 3.11.7 identical)",
		.entry = PY_ENTRY_FLAG, .linetable = PY_LT_LOCATIONS,
		.runtime_interp_head = 40, .interp_threads = 16, .tstate_next = 8, .tstate_native_tid = 160,
		.tstate_frame = 56, .cframe_frame = 8,
		.frame_previous = 48, .frame_code = 32, .frame_instr = 56, .frame_marker = 68,
		.code_filename = 112, .code_name = 120, .code_qualname = 128, .code_linetable = 136,
		.code_firstlineno = 72, .code_adaptive = 184, STR_311, BYTES,
	},
	{
		.minor = 12, .support = PY_TESTED, .source = "CPython 3.12 headers (3.12.1)",
		.entry = PY_ENTRY_CSTACK, .linetable = PY_LT_LOCATIONS,
		.runtime_interp_head = 40, .interp_threads = 72, .tstate_next = 8, .tstate_native_tid = 144,
		.tstate_frame = 56, .cframe_frame = 0,
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_marker = 70,
		.code_filename = 112, .code_name = 120, .code_qualname = 128, .code_linetable = 136,
		.code_firstlineno = 68, .code_adaptive = 192, STR_312, BYTES,
	},
	{
		/* what its _Py_DebugOffsets says too; used when those cannot be read */
		.minor = 13, .support = PY_TESTED, .source = "CPython 3.13 headers (3.13.0), _Py_DebugOffsets",
		.entry = PY_ENTRY_CSTACK, .linetable = PY_LT_LOCATIONS,
		.runtime_interp_head = 632, .interp_threads = 7344, .tstate_next = 8, .tstate_native_tid = 160,
		.tstate_frame = 72, .cframe_frame = VIGIL_PY_DIRECT,
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_marker = 70,
		.code_filename = 112, .code_name = 120, .code_qualname = 128, .code_linetable = 136,
		.code_firstlineno = 68, .code_adaptive = 200, STR_312, BYTES,
	},
};

const struct py_layout *py_layout_for(unsigned minor)
{
	static const struct py_layout none = {.support = PY_UNSUPPORTED};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].minor == minor)
			return &rows[i];
	return &none;
}

/* 3.13's _Py_DebugOffsets, as 64-bit words: the index of each field read
 * (Include/internal/pycore_runtime.h of 3.13) */
enum {
	DO_VERSION = 1, DO_FREE_THREADED = 2, DO_INTERPRETERS_HEAD = 5, DO_THREADS_HEAD = 9,
	DO_TSTATE_NEXT = 21, DO_TSTATE_CURRENT_FRAME = 23, DO_TSTATE_NATIVE_TID = 25,
	DO_FRAME_PREVIOUS = 29, DO_FRAME_EXECUTABLE = 30, DO_FRAME_INSTR = 31, DO_FRAME_OWNER = 33,
	DO_CODE_FILENAME = 35, DO_CODE_NAME = 36, DO_CODE_QUALNAME = 37, DO_CODE_LINETABLE = 38,
	DO_CODE_FIRSTLINENO = 39, DO_CODE_ADAPTIVE = 43, DO_BYTES_SIZE = 65, DO_BYTES_DATA = 66,
	DO_STR_STATE = 68, DO_STR_LENGTH = 69, DO_STR_ASCII_SIZE = 70,
	DO_WORDS = PY_DEBUG_OFFSETS_BYTES / 8,
};

int py_layout_from_debug_offsets(const uint8_t *buf, size_t len, unsigned minor, struct py_layout *out)
{
	static const struct {
		size_t word;
		size_t field;
	} map[] = {
#define F(w, f) {w, offsetof(struct py_layout, f)}
		F(DO_INTERPRETERS_HEAD, runtime_interp_head), F(DO_THREADS_HEAD, interp_threads),
		F(DO_TSTATE_NEXT, tstate_next), F(DO_TSTATE_CURRENT_FRAME, tstate_frame),
		F(DO_TSTATE_NATIVE_TID, tstate_native_tid), F(DO_FRAME_PREVIOUS, frame_previous),
		F(DO_FRAME_EXECUTABLE, frame_code), F(DO_FRAME_INSTR, frame_instr), F(DO_FRAME_OWNER, frame_marker),
		F(DO_CODE_FILENAME, code_filename), F(DO_CODE_NAME, code_name), F(DO_CODE_QUALNAME, code_qualname),
		F(DO_CODE_LINETABLE, code_linetable), F(DO_CODE_FIRSTLINENO, code_firstlineno),
		F(DO_CODE_ADAPTIVE, code_adaptive), F(DO_BYTES_SIZE, bytes_size), F(DO_BYTES_DATA, bytes_data),
		F(DO_STR_STATE, unicode_state), F(DO_STR_LENGTH, unicode_length),
		F(DO_STR_ASCII_SIZE, unicode_ascii_size),
#undef F
	};
	uint64_t w[DO_WORDS];
	struct py_layout l;

	/* the struct grew fields in the middle in 3.14: only 3.13's is known */
	if (minor != 13 || len < sizeof(w) || memcmp(buf, "xdebugpy", 8))
		return -1;
	memcpy(w, buf, sizeof(w));
	if (((w[DO_VERSION] >> 16) & 0xffff) != 0x030d || w[DO_FREE_THREADED])
		return -1;
	l = *py_layout_for(13);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (w[map[i].word] >= VIGIL_PY_DIRECT)
			return -1;
		*(unsigned *)((char *)&l + map[i].field) = (unsigned)w[map[i].word];
	}
	l.source = "CPython 3.13 _Py_DebugOffsets (read from the process)";
	*out = l;
	return 0;
}
