/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Run-time probes of what this kernel and this process can do.  Never
 * kernel version numbers: features are looked up where they live. */
#ifndef VIGIL_FEATURE_H
#define VIGIL_FEATURE_H

#include <stdbool.h>
#include <stddef.h>

/* Missing capability needed to load and attach vigil's programs, as a
 * message naming it, or NULL when the process has them. */
const char *feature_missing_capability(void);

/* Makes sure tracefs is reachable (mounts it at /sys/kernel/tracing when it
 * is not, as debugfs-less hosts need).  Returns 0 or -errno. */
int feature_ensure_tracefs(void);

/* Does tracepoint "category/name" exist?  Honours VIGIL_FAKE_MISSING, a
 * comma-separated list of tracepoints to treat as absent (tests use it to
 * exercise the degraded paths). */
bool feature_tracepoint(const char *category, const char *name);

/* Does the kernel's BTF describe the raw tracepoint (tp_btf) "name"? */
bool feature_tp_btf(const char *name);

/* Does libbpf find the kernel's own BTF (/sys/kernel/btf/vmlinux or the
 * other places it looks)?  Without it, no tp_btf program and no typed task
 * pointer: vigil needs --btf for CO-RE and uses plain tracepoints. */
bool feature_kernel_btf(void);

/* Can tracepoint programs call bpf_task_pt_regs() (5.15+)? */
bool feature_task_pt_regs(void);

/* Kernel BTF and bpf_get_current_task_btf() (5.11+): typed current. */
bool feature_current_btf(void);

/* Task storage maps for tracing programs (5.11+): the counters page-fault
 * source keeps each thread's last report there. */
bool feature_task_storage(void);

/* The scheduler's BTF tracepoints (switch, wakeup, wakeup_new): typed task
 * pointers, which the plain tracepoints lack. */
bool feature_sched_btf(void);

/* Can the counters page-fault source run here?  If not, the first thing
 * this kernel lacks for it, as words for a message. */
bool feature_fault_counters(void);
const char *feature_fault_counters_missing(void);

/* The best page-fault source this kernel offers (enum vigil_pf_source). */
int feature_default_pf_source(void);

/* Releases what the probes cached. */
void feature_cleanup(void);

#endif
