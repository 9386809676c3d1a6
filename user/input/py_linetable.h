/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TEMPORARY (the lead's stand-in until helper 14l's module lands) */
#ifndef VIGIL_PY_LINETABLE_H
#define VIGIL_PY_LINETABLE_H
#include <stddef.h>
enum py_linetable_kind {
	PY_LT_LNOTAB = 1,
	PY_LT_LINETABLE = 2,
	PY_LT_LOCATIONS = 3,
};
unsigned py_linetable_line(enum py_linetable_kind kind, const unsigned char *tab, size_t len,
			   int firstlineno, unsigned offset);
#endif
