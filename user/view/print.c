// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What `vigil dump` says about a record, whatever its layout (print.h). */
#include "print.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "procfs.h"
#include "roles.h"
#include "textsafe.h"
#include "u64map.h"

#define NAMES_MAX 65536

struct names {
	struct u64map index; /* pid -> slot + 1 */
	char (*comm)[VIGIL_COMM_LEN];
	size_t len, cap;
};

struct names *names_new(void)
{
	struct names *n = calloc(1, sizeof(*n));

	if (n)
		u64map_init(&n->index, NAMES_MAX);
	return n;
}

void names_free(struct names *n)
{
	if (!n)
		return;
	u64map_free(&n->index);
	free(n->comm);
	free(n);
}

static void names_set(struct names *n, unsigned pid, const char *comm)
{
	uint32_t *slot = u64map_get(&n->index, pid);
	char clean[VIGIL_COMM_LEN];

	procfs_printable(clean, sizeof(clean), comm, strnlen(comm, VIGIL_COMM_LEN - 1));
	if (!slot) {
		if (n->len == n->cap) {
			size_t cap = n->cap ? n->cap * 2 : 256;
			void *p = cap <= NAMES_MAX ? realloc(n->comm, cap * sizeof(*n->comm)) : NULL;
			if (!p)
				return; /* names are a convenience: the pid is still printed */
			n->comm = p;
			n->cap = cap;
		}
		if (u64map_put(&n->index, pid, n->len + 1))
			return;
		slot = u64map_get(&n->index, pid);
		n->len++;
	}
	memcpy(n->comm[*slot - 1], clean, sizeof(clean));
}

void names_learn(struct names *n, const struct ev_hdr *h)
{
	switch (h->type) {
	case EV_PROC: names_set(n, h->pid, ((const struct ev_proc *)h)->comm); break;
	case EV_EXEC: names_set(n, h->pid, ((const struct ev_exec *)h)->comm); break;
	case EV_COMM: names_set(n, h->pid, ((const struct ev_comm *)h)->comm); break;
	case EV_FORK: {
		const struct ev_fork *f = (const void *)h;
		if (f->child_pid != f->h.pid)
			names_set(n, f->child_pid, f->comm);
		break;
	}
	}
}

const char *names_get(const struct names *n, unsigned pid)
{
	uint32_t *slot = u64map_get(&n->index, pid);

	return slot ? n->comm[*slot - 1] : "?";
}

static void print_cmdline(FILE *f, const char *raw, size_t len)
{
	char clean[VIGIL_CMDLINE_MAX + 1];

	procfs_printable(clean, sizeof(clean), raw, len);
	/* quotes inside would break both the text and the CSV field */
	for (char *p = clean; *p; p++)
		if (*p == '"')
			*p = '\'';
	fprintf(f, " cmdline=\"%s\"", clean);
}

/* the type-specific part, as key=value pairs */
void print_details(FILE *f, const struct ev_hdr *h, const struct names *n)
{
	switch (h->type) {
	case EV_FAULTS: {
		const struct ev_faults *e = (const void *)h;
		fprintf(f, " count=%u major=%u span_ns=%llu", e->count, e->major,
			(unsigned long long)(h->ts - e->first_ts));
		break;
	}
	case EV_MMAP: {
		const struct ev_mmap *e = (const void *)h;
		fprintf(f, " len=%llu prot=0x%llx flags=0x%llx fd=%lld ret=0x%llx", (unsigned long long)e->len,
			(unsigned long long)e->prot, (unsigned long long)e->flags, (long long)e->fd,
			(unsigned long long)e->ret);
		break;
	}
	case EV_MUNMAP: {
		const struct ev_munmap *e = (const void *)h;
		fprintf(f, " addr=0x%llx len=%llu ret=%lld", (unsigned long long)e->addr, (unsigned long long)e->len,
			(long long)e->ret);
		break;
	}
	case EV_MREMAP: {
		const struct ev_mremap *e = (const void *)h;
		fprintf(f, " old_addr=0x%llx old_len=%llu new_len=%llu flags=0x%llx ret=0x%llx",
			(unsigned long long)e->old_addr, (unsigned long long)e->old_len,
			(unsigned long long)e->new_len, (unsigned long long)e->flags, (unsigned long long)e->ret);
		break;
	}
	case EV_MADVISE: {
		const struct ev_madvise *e = (const void *)h;
		fprintf(f, " addr=0x%llx len=%llu advice=%d ret=%lld", (unsigned long long)e->addr,
			(unsigned long long)e->len, e->advice, (long long)e->ret);
		break;
	}
	case EV_BRK: {
		const struct ev_brk *e = (const void *)h;
		fprintf(f, " old=0x%llx req=0x%llx new=0x%llx", (unsigned long long)e->old_brk,
			(unsigned long long)e->req, (unsigned long long)e->new_brk);
		break;
	}
	case EV_RSS: {
		const struct ev_rss *e = (const void *)h;
		fprintf(f, " file=%lld anon=%lld swap=%lld shmem=%lld", (long long)e->file, (long long)e->anon,
			(long long)e->swap, (long long)e->shmem);
		break;
	}
	case EV_SWITCH: {
		const struct ev_switch *e = (const void *)h;
		fprintf(f, " next_pid=%u next_tid=%u next_comm=%s prev_state=0x%x%s", e->next_pid, e->next_tid,
			e->next_pid ? names_get(n, e->next_pid) : (e->next_tid ? "?" : "idle"), e->prev_state,
			(e->flags & EV_SWITCH_PREEMPT) ? " preempt=1" : "");
		break;
	}
	case EV_WAKEUP: {
		const struct ev_wakeup *e = (const void *)h;
		fprintf(f, " target_cpu=%u%s", e->target_cpu, e->is_new ? " new=1" : "");
		break;
	}
	case EV_MIGRATE: {
		const struct ev_migrate *e = (const void *)h;
		fprintf(f, " orig_cpu=%u dest_cpu=%u", e->orig_cpu, e->dest_cpu);
		break;
	}
	case EV_FORK: {
		const struct ev_fork *e = (const void *)h;
		fprintf(f, " child_pid=%u child_tid=%u", e->child_pid, e->child_tid);
		break;
	}
	case EV_EXEC: {
		const struct ev_exec *e = (const void *)h;
		fprintf(f, " old_tid=%u", e->old_tid);
		print_cmdline(f, e->cmdline, e->cmdline_len);
		break;
	}
	case EV_EXIT: {
		const struct ev_exit *e = (const void *)h;
		fprintf(f, " exit_code=%d group_dead=%u", e->exit_code, e->group_dead);
		break;
	}
	case EV_LOST: {
		const struct ev_lost *e = (const void *)h;
		fprintf(f, " count=%llu", (unsigned long long)e->count);
		break;
	}
	case EV_SITE_FRAME: {
		const struct ev_site_frame *e = (const void *)h;
		struct site_frame_text t;
		char clean[VIGIL_CMDLINE_MAX + 1];

		ev_site_frame_text(e, &t);
		fprintf(f, " id=%u kind=%u offset=0x%llx line=%u", e->id, e->kind, (unsigned long long)e->offset,
			e->line);
		fprintf(f, " module=\"%s\"", text_sanitize(clean, sizeof(clean), t.module, strlen(t.module)));
		fprintf(f, " function=\"%s\"", text_sanitize(clean, sizeof(clean), t.function, strlen(t.function)));
		fprintf(f, " file=\"%s\"", text_sanitize(clean, sizeof(clean), t.file, strlen(t.file)));
		break;
	}
	case EV_SITE_STACK: {
		const struct ev_site_stack *e = (const void *)h;
		fprintf(f, " id=%u%s frames=", e->id, (e->flags & SITE_STACK_TRUNCATED) ? " truncated=1" : "");
		for (unsigned i = 0; i < e->frames_len / 4u; i++)
			fprintf(f, "%s%u", i ? "," : "", e->frames[i]);
		break;
	}
	case EV_SITE_SAMPLE: {
		const struct ev_site_sample *e = (const void *)h;
		fprintf(f, " addr=0x%llx bytes=%llu stack=%u flags=0x%x", (unsigned long long)e->addr,
			(unsigned long long)e->bytes, e->stack, e->flags);
		break;
	}
	case EV_PROC: {
		const struct ev_proc *e = (const void *)h;
		fprintf(f, " ppid=%u role=%s start_ns=%llu%s", e->ppid,
			e->role < ROLE_COUNT ? role_name((enum vigil_role)e->role) : "?",
			(unsigned long long)e->start_ns, (h->cpu & EV_PROC_LATE) ? " late=1" : "");
		print_cmdline(f, e->cmdline, e->cmdline_len);
		break;
	}
	}
}
