/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which kernel sources a trace had: what this kernel offered and vigil
 * attached, as bits stored in the dump header (dump_host.sources) and named
 * in the report's header.  One place for the names. */
#ifndef VIGIL_KSOURCES_H
#define VIGIL_KSOURCES_H

#include <stddef.h>

enum {
	KSRC_RECORDED = 1u << 0,     /* the bits below were noted (0: a dump from before they were) */
	KSRC_KERNEL_BTF = 1u << 1,   /* the kernel's own BTF; else types from --btf */
	KSRC_HZ_CONFIG = 1u << 2,    /* CONFIG_HZ from the kernel config; else measured */
	KSRC_SCHED_BTF = 1u << 3,    /* sched_switch, typed (tp_btf) */
	KSRC_SCHED_PLAIN = 1u << 4,  /* sched:sched_switch */
	KSRC_WAKEUP = 1u << 5,       /* sched_wakeup(_new), either kind */
	KSRC_MIGRATE = 1u << 6,
	KSRC_RSS_BTF = 1u << 7,
	KSRC_RSS_PLAIN = 1u << 8,    /* kmem:rss_stat */
	KSRC_FORK_BTF = 1u << 9,
	KSRC_FORK_NEWTASK = 1u << 10, /* task:task_newtask */
	KSRC_EXEC_BTF = 1u << 11,
	KSRC_EXEC_PLAIN = 1u << 12,
	KSRC_EXIT = 1u << 13,
	KSRC_SYSCALLS = 1u << 14,    /* every memory syscall's exit */
	KSRC_SC_ENTRIES = 1u << 15,  /* their arguments from entry programs; else saved registers */
};

/* Calls fn(name, active, ctx) for every source, in a fixed order: the
 * active ones by the name of what was used ("sched:btf"), the missing ones
 * by what is lost ("rss").  Nothing when KSRC_RECORDED is not set. */
void ksources_each(unsigned bits, void (*fn)(const char *name, int active, void *ctx), void *ctx);

/* "sched:btf wakeup ... ; missing: rss" into buf (empty when not recorded). */
const char *ksources_str(unsigned bits, char *buf, size_t len);

#endif
