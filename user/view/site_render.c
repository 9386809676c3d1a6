// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "site_render.h"

#include <stdio.h>
#include <string.h>

#include "agg.h"
#include "json.h"
#include "textsafe.h"

/* module names (the start of the file name) of the C runtime and of the
 * allocators a service may preload */
static const char *const runtime_modules[] = {
	"libc.so", "libc-", "ld-linux", "ld64.so", "libstdc++.so", "libgcc_s.so", "libpthread.so",
	"libjemalloc.so", "libtcmalloc", "libmimalloc.so", "[vdso]", "linux-vdso", NULL,
};

bool site_frame_is_runtime(const struct site_frame_info *fi)
{
	for (const char *const *m = runtime_modules; *m; m++)
		if (!strncmp(fi->module, *m, strlen(*m)))
			return true;
	return false;
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

char *site_line(char *buf, size_t len, const struct site_model *m, __u32 stack, unsigned max_frames)
{
	const __u32 *frames;
	bool truncated;
	size_t n = sites_stack_frames(m, stack, &frames, &truncated), first = 0, used = 0, shown = 0;
	char raw[512];

	buf[0] = 0;
	if (!n) {
		snprintf(buf, len, "[no stack]");
		return buf;
	}
	/* the program starts at its first frame outside the runtime */
	for (first = 0; first < n; first++) {
		struct site_frame_info fi;
		sites_frame_info(m, frames[first], &fi);
		if (!site_frame_is_runtime(&fi))
			break;
	}
	if (first == n)
		first = 0;
	raw[0] = 0;
	for (size_t i = first; i < n && shown < max_frames; i++) {
		struct site_frame_info fi;
		int w;

		sites_frame_info(m, frames[i], &fi);
		if (i > first && site_frame_is_runtime(&fi))
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
	struct site_row r[16];
	size_t n;

	if (max > 16)
		max = 16;
	n = sites_top(p->sites, 0, 0, r, max, total);
	for (size_t i = 0; i < n; i++)
		rows[i] = (struct finding_site){r[i].stack, (__u64)r[i].bytes, r[i].samples};
	return n;
}

static void json_frame(struct json *j, const struct site_model *m, __u32 id)
{
	struct site_frame_info fi;

	sites_frame_info(m, id, &fi);
	json_obj_inline(j);
	json_kv_str(j, "function", fi.function);
	json_kv_str(j, "file", *fi.file ? fi.file : NULL);
	if (fi.line)
		json_kv_u64(j, "line", fi.line);
	else
		json_kv_str(j, "line", NULL);
	json_kv_str(j, "module", *fi.module ? fi.module : NULL);
	json_kv_str(j, "kind", kind_name(fi.kind));
	json_end(j);
}

void site_json_list(struct json *j, const char *key, const struct site_model *m, const struct finding_site *rows,
		    size_t n, __u64 total)
{
	json_kv_arr(j, key);
	for (size_t i = 0; i < n; i++) {
		const __u32 *frames;
		bool truncated;
		size_t nf = sites_stack_frames(m, rows[i].stack, &frames, &truncated);

		json_obj(j);
		json_kv_u64(j, "bytes", rows[i].bytes);
		json_kv_num(j, "share", total ? (double)(long long)((double)rows[i].bytes / (double)total * 1e4 + 0.5) / 1e4 : 0);
		json_kv_u64(j, "samples", rows[i].samples);
		json_kv_bool(j, "truncated", truncated);
		json_kv_arr(j, "frames");
		for (size_t k = 0; k < nf; k++)
			json_frame(j, m, frames[k]);
		json_end(j);
		json_end(j);
	}
	json_end(j);
}
