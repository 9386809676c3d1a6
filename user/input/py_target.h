/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Is a process running CPython, which version, and where: the ELF file
 * that holds the interpreter (the executable, or libpython), found in its
 * mappings; _PyRuntime, PyCode_Type and the eval loop from that file's
 * symbols (.dynsym: Debian's static, stripped python3.11 exports them
 * too); the version from Py_Version in the process's memory (3.11+), else
 * from the file's name.  docs/sites.md, "Python".
 */
#ifndef VIGIL_PY_TARGET_H
#define VIGIL_PY_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "events.h"
#include "py_layout.h"

struct py_target {
	unsigned minor, micro; /* 3.minor.micro; micro unknown (before 3.11): ~0u */
	struct py_layout layout;
	__u64 runtime;          /* address of _PyRuntime */
	__u64 code_type;        /* address of PyCode_Type: what a code object's ob_type is */
	__u64 eval_lo, eval_hi; /* _PyEval_EvalFrameDefault: where a native stack runs Python */
	char file[160];         /* the ELF file (its end, when longer) */
};

/* 1: pid runs CPython (*out filled; its layout's support may be
 * PY_UNSUPPORTED), 0: it does not, -EAGAIN: a python3.X whose
 * interpreter is not mapped (yet), other -errno: its mappings are
 * unreadable. */
int py_target_probe(unsigned pid, struct py_target *out);
/* what the BPF walk needs (py_procs) */
void py_target_walk(const struct py_target *t, struct vigil_py_proc *out);
/* "3.11.2", "3.10" */
const char *py_target_version(const struct py_target *t, char *buf, size_t len);

/* len bytes at addr in pid (process_vm_readv): 0, or -1 when any is unreadable */
int py_mem_read(unsigned pid, __u64 addr, void *buf, size_t len);

#endif
