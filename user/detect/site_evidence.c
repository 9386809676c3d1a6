// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "site_evidence.h"

#include <stdio.h>
#include <string.h>

#include "agg.h"
#include "format.h"
#include "site_resolve.h"
#include "textsafe.h"

bool site_frame_is_runtime(const struct site_frame_info *fi)
{
	return site_module_is_runtime(fi->module);
}

static const char *kind_name(unsigned kind)
{
	switch (kind) {
	case SITE_FRAME_PYTHON: return "python";
	case SITE_FRAME_KERNEL: return "kernel";
	default: return "native";
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

bool site_frame_is_python_library(const struct site_frame_info *fi)
{
	/* the standard library and installed packages live under
	 * .../lib/python3.X/ (site-packages too) or /usr/lib/python3/
	 * (Debian's dist-packages); code without a file ("<frozen ...>",
	 * numpy's "<__array_function__ internals>") is the runtime's too,
	 * and "python -c" code is still shown when no frame is the program's */
	return fi->kind == SITE_FRAME_PYTHON &&
	       (strstr(fi->file, "/lib/python3") || strstr(fi->file, "-packages/") || fi->file[0] == '<');
}

/* Where a stack's summary starts, and whether it shows Python frames
 * only: the innermost Python frame of the program (the innermost Python
 * frame when all are the library's), else the first native frame outside
 * the runtime; -1 when none is (a thread of the runtime, a truncated
 * stack), and the summary shows the innermost frames. */
static long summary_start(const struct site_model *m, const __u32 *frames, size_t n, bool *python)
{
	long first_py = -1, first_native = -1;

	for (size_t i = 0; i < n; i++) {
		struct site_frame_info fi;
		sites_frame_info(m, frames[i], &fi);
		if (fi.kind == SITE_FRAME_PYTHON) {
			if (!site_frame_is_python_library(&fi)) {
				*python = true;
				return (long)i;
			}
			if (first_py < 0)
				first_py = (long)i;
		} else if (first_native < 0 && !site_frame_is_runtime(&fi)) {
			first_native = (long)i;
		}
	}
	*python = first_py >= 0;
	return *python ? first_py : first_native;
}

char *site_line(char *buf, size_t len, const struct site_model *m, __u32 stack, unsigned max_frames)
{
	const __u32 *frames;
	bool truncated, python = false;
	size_t n = sites_stack_frames(m, stack, &frames, &truncated), used = 0, shown = 0;
	char raw[512];

	buf[0] = 0;
	if (!n) {
		snprintf(buf, len, "[no stack]");
		return buf;
	}
	long start = summary_start(m, frames, n, &python);
	bool program = start >= 0;
	raw[0] = 0;
	for (size_t i = program ? (size_t)start : 0; i < n && shown < max_frames; i++) {
		struct site_frame_info fi;
		int w;

		sites_frame_info(m, frames[i], &fi);
		if (python && fi.kind != SITE_FRAME_PYTHON)
			continue; /* the interpreter between two Python calls */
		if (program && !python && i > (size_t)start && site_frame_is_runtime(&fi))
			break; /* back in the runtime: __libc_start_main and below */
		if (*fi.file && fi.line)
			w = snprintf(raw + used, sizeof(raw) - used, "%s%s (%s:%u)", shown ? " <- " : "", fi.function,
				     base_name(fi.file), fi.line);
		else
			w = snprintf(raw + used, sizeof(raw) - used, "%s%s", shown ? " <- " : "", fi.function);
		if (w < 0 || (size_t)w >= sizeof(raw) - used)
			break;
		used += (size_t)w;
		shown++;
	}
	return text_sanitize(buf, len, raw, used);
}

size_t site_proc_top(const struct agg_proc *p, struct finding_site *rows, size_t max, __u64 *total)
{
	struct site_row r[SITE_SUMMARIES_MAX];
	size_t n;

	if (max > SITE_SUMMARIES_MAX)
		max = SITE_SUMMARIES_MAX;
	n = sites_top(p->sites, 0, 0, r, max, total);
	for (size_t i = 0; i < n; i++)
		rows[i] = (struct finding_site){r[i].stack, (__u64)r[i].bytes, r[i].samples};
	return n;
}

static void frame_fields(struct evidence_fields *o, __u32 id)
{
	struct site_frame_info fi;

	sites_frame_info(o->sites, id, &fi);
	o->item(o->ctx);
	o->str(o->ctx, "function", fi.function, SIZE_MAX);
	o->str(o->ctx, "file", *fi.file ? fi.file : NULL, SIZE_MAX);
	if (fi.line)
		o->u64(o->ctx, "line", fi.line);
	else
		o->str(o->ctx, "line", NULL, 0);
	o->str(o->ctx, "module", *fi.module ? fi.module : NULL, SIZE_MAX);
	o->str(o->ctx, "kind", kind_name(fi.kind), SIZE_MAX);
	o->end(o->ctx);
}

void site_evidence_fields(struct evidence_fields *o, const char *key, const struct finding_site *rows, size_t n,
			  __u64 total)
{
	o->list(o->ctx, key);
	for (size_t i = 0; i < n; i++) {
		const __u32 *frames;
		bool truncated;
		size_t nf = sites_stack_frames(o->sites, rows[i].stack, &frames, &truncated);

		o->block(o->ctx);
		o->u64(o->ctx, "bytes", rows[i].bytes);
		o->num(o->ctx, "share", total ? (double)rows[i].bytes / (double)total : 0, 4);
		o->u64(o->ctx, "samples", rows[i].samples);
		o->flag(o->ctx, "truncated", truncated);
		o->list(o->ctx, "frames");
		for (size_t k = 0; k < nf; k++)
			frame_fields(o, frames[k]);
		o->end(o->ctx);
		o->end(o->ctx);
	}
	o->end(o->ctx);
}

/* signed growth: "+1.2M" */
static const char *growth(char *b, size_t l, __u64 v)
{
	char t[16];

	snprintf(b, l, "+%s", fmt_bytes(t, sizeof(t), (double)v));
	return b;
}

size_t site_summaries(const struct site_model *m, const struct finding_site *rows, size_t n, unsigned max_frames,
		      struct site_summary *out)
{
	size_t k = 0;

	if (n > SITE_SUMMARIES_MAX)
		n = SITE_SUMMARIES_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		site_line(out[k].line, sizeof(out[k].line), m, rows[i].stack, max_frames);
		for (j = 0; j < k && strcmp(out[j].line, out[k].line); j++)
			;
		if (j == k)
			out[k++].bytes = 0;
		out[j].bytes += rows[i].bytes;
	}
	/* merged rows may now outweigh the ones above them */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && out[j].bytes > out[j - 1].bytes; j--) {
			struct site_summary t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return k;
}

void site_evidence_lines(struct evidence_lines *o, const struct finding_site *rows, size_t n, __u64 total)
{
	struct site_summary sum[SITE_SUMMARIES_MAX];
	char g[24];

	if (!n) {
		ev_line(o, "sites: none sampled in this window");
		return;
	}
	n = site_summaries(o->sites, rows, n, 3, sum);
	for (size_t i = 0; i < n; i++) {
		o->begin(o->ctx);
		ev_printf(o, "site %2.0f%% %s: ", total ? 100.0 * (double)sum[i].bytes / (double)total : 0,
			  growth(g, sizeof(g), sum[i].bytes));
		o->code(o->ctx, sum[i].line);
		o->end(o->ctx);
	}
}
