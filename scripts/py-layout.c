/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prints where a CPython release keeps what vigil's frame walk reads, as
 * the release's own headers lay it out: the source of the rows of
 * user/input/py_layout.c.  Built against an installed interpreter's headers:
 *   cc -I$(python3.X -c 'import sysconfig;print(sysconfig.get_path("include"))') \
 *      scripts/py-layout.c -o py-layout && ./py-layout
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include "internal/pycore_frame.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_runtime.h"
#define O(t, f) printf("%-28s %zu\n", #t "." #f, offsetof(t, f))
int main(void)
{
	printf("version %s\n", PY_VERSION);
	O(_PyRuntimeState, interpreters.head);
	O(PyInterpreterState, threads.head);
	O(PyThreadState, next);
	O(PyThreadState, native_thread_id);
#if PY_VERSION_HEX < 0x030D0000
	O(PyThreadState, cframe);
	O(_PyCFrame, current_frame);
	O(_PyInterpreterFrame, f_code);
	O(_PyInterpreterFrame, prev_instr);
#else
	O(PyThreadState, current_frame);
	O(_PyInterpreterFrame, f_executable);
	O(_PyInterpreterFrame, instr_ptr);
#endif
	O(_PyInterpreterFrame, previous);
#if PY_VERSION_HEX < 0x030C0000
	O(_PyInterpreterFrame, is_entry);
#endif
	O(_PyInterpreterFrame, owner);
	O(PyCodeObject, co_filename);
	O(PyCodeObject, co_name);
	O(PyCodeObject, co_qualname);
	O(PyCodeObject, co_linetable);
	O(PyCodeObject, co_firstlineno);
	O(PyCodeObject, co_code_adaptive);
	O(PyCodeObject, _co_firsttraceable);
	printf("%-28s %zu\n", "sizeof.PyASCIIObject", sizeof(PyASCIIObject));
	printf("%-28s %zu\n", "sizeof.PyCompactUnicodeObject", sizeof(PyCompactUnicodeObject));
	O(PyBytesObject, ob_sval);
	O(PyVarObject, ob_size);
	O(PyObject, ob_type);
	printf("FRAME_OWNED_BY_THREAD %d\n", FRAME_OWNED_BY_THREAD);
#if PY_VERSION_HEX >= 0x030C0000
	printf("FRAME_OWNED_BY_CSTACK %d\n", FRAME_OWNED_BY_CSTACK);
#endif
	return 0;
}
