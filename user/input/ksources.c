// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ksources.h"

#include <stdio.h>
#include <string.h>

/* One row per thing a trace needs: the name of each way it was had, and
 * the name for neither, which is either a working fallback (the kernel's
 * BTF vs a file) or something lost. */
static const struct {
	unsigned bit_a, bit_b;
	const char *name_a, *name_b;
	const char *otherwise; /* NULL: say nothing */
	int otherwise_lost;
} groups[] = {
	{KSRC_KERNEL_BTF, 0, "btf:kernel", NULL, "btf:file", 0},
	{KSRC_HZ_CONFIG, 0, "hz:config", NULL, "hz:measured", 0},
	{KSRC_SCHED_BTF, KSRC_SCHED_PLAIN, "sched:btf", "sched:plain", "sched", 1},
	{KSRC_WAKEUP, 0, "wakeup", NULL, "wakeup", 1},
	{KSRC_MIGRATE, 0, "migrate", NULL, "migrate", 1},
	{KSRC_RSS_BTF, KSRC_RSS_PLAIN, "rss:btf", "rss:plain", "rss", 1},
	{KSRC_FORK_BTF, KSRC_FORK_NEWTASK, "fork:btf", "fork:task_newtask", "fork", 1},
	{KSRC_EXEC_BTF, KSRC_EXEC_PLAIN, "exec:btf", "exec:plain", "exec", 1},
	{KSRC_EXIT, 0, "exit", NULL, "exit", 1},
	{KSRC_SYSCALLS, 0, "syscalls", NULL, "syscalls", 1},
	{KSRC_SC_ENTRIES, 0, "syscalls:entries", NULL, NULL, 0},
};

void ksources_each(unsigned bits, void (*fn)(const char *name, int active, void *ctx), void *ctx)
{
	if (!(bits & KSRC_RECORDED))
		return;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (bits & groups[i].bit_a)
			fn(groups[i].name_a, 1, ctx);
		else if (groups[i].bit_b && (bits & groups[i].bit_b))
			fn(groups[i].name_b, 1, ctx);
		else if (groups[i].otherwise)
			fn(groups[i].otherwise, !groups[i].otherwise_lost, ctx);
	}
}

struct str_ctx {
	char *buf;
	size_t len, used;
	int missing_pass;
	int any_missing;
};

static void add(const char *name, int active, void *p)
{
	struct str_ctx *c = p;

	if (active == c->missing_pass)
		return;
	if (!active && !c->any_missing++) {
		int n = snprintf(c->buf + c->used, c->len - c->used, "%smissing:", c->used ? "; " : "");
		c->used += n > 0 && (size_t)n < c->len - c->used ? (size_t)n : 0;
	}
	int n = snprintf(c->buf + c->used, c->len - c->used, "%s%s", c->used ? " " : "", name);
	if (n > 0 && (size_t)n < c->len - c->used)
		c->used += (size_t)n;
}

const char *ksources_str(unsigned bits, char *buf, size_t len)
{
	struct str_ctx c = {buf, len, 0, 0, 0};

	if (!len)
		return buf;
	buf[0] = '\0';
	ksources_each(bits, add, &c);    /* the active ones */
	c.missing_pass = 1;
	ksources_each(bits, add, &c);    /* then what was lost */
	return buf;
}
