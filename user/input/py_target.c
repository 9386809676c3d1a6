// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include "py_target.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int py_mem_read(unsigned pid, __u64 addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};

	return process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* the interpreter's file names: python3.11, libpython3.11.so.1.0 */
static bool python_file(const char *path, unsigned *minor)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (!strncmp(b, "lib", 3))
		b += 3;
	if (strncmp(b, "python3.", 8))
		return false;
	*minor = (unsigned)strtoul(b + 8, NULL, 10);
	return true;
}

struct syms {
	GElf_Addr runtime, version, code_type, eval, eval_size;
	GElf_Addr first_load; /* the first PT_LOAD's page-aligned vaddr */
};

static void scan_symtab(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct syms *s)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; d && i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(d, (int)i, &sym) || !sym.st_value || !(name = elf_strptr(e, sh->sh_link, sym.st_name)))
			continue;
		if (!strcmp(name, "_PyRuntime"))
			s->runtime = sym.st_value;
		else if (!strcmp(name, "Py_Version"))
			s->version = sym.st_value;
		else if (!strcmp(name, "PyCode_Type"))
			s->code_type = sym.st_value;
		else if (!strcmp(name, "_PyEval_EvalFrameDefault")) {
			s->eval = sym.st_value;
			s->eval_size = sym.st_size;
		}
	}
}

/* The symbols of an ELF file (opened through the process's root, so a
 * container's own files are read). */
static int read_syms(unsigned pid, const char *path, struct syms *s)
{
	char full[4352];
	Elf_Scn *scn = NULL;
	size_t nph;
	int fd, ret = -1;
	Elf *e;

	memset(s, 0, sizeof(*s));
	snprintf(full, sizeof(full), "/proc/%u/root%s", pid, path);
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	elf_version(EV_CURRENT);
	if (!(e = elf_begin(fd, ELF_C_READ_MMAP, NULL)))
		goto out;
	if (elf_getphdrnum(e, &nph) == 0) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
				s->first_load = ph.p_vaddr & ~(GElf_Addr)0xfff;
				break;
			}
		}
	}
	/* .dynsym first: what a stripped executable still has */
	for (int pass = 0; pass < 2 && !s->runtime; pass++) {
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (gelf_getshdr(scn, &sh) && sh.sh_type == (pass ? SHT_SYMTAB : SHT_DYNSYM))
				scan_symtab(e, scn, &sh, s);
		}
	}
	ret = s->runtime ? 0 : -1;
	elf_end(e);
out:
	close(fd);
	return ret;
}

/* The interpreter's file among the process's mappings and where it is
 * loaded (the address of its file offset 0).  libpython over the
 * executable: a python3.x linked to it holds no interpreter itself. */
static int find_file(unsigned pid, char *path, size_t len, __u64 *base)
{
	char maps[64], line[4608], best[4096] = "";
	__u64 best_base = 0;
	unsigned minor;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%u/maps", pid);
	if (!(f = fopen(maps, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, off;
		int at = 0;
		char *p;

		if (sscanf(line, "%llx-%*x %*s %llx %*s %*s %n", &start, &off, &at) < 2 || !at || off)
			continue;
		p = line + at;
		p[strcspn(p, "\n")] = 0;
		if (*p != '/' || !python_file(p, &minor))
			continue;
		if (!*best || (strstr(p, "/libpython") && !strstr(best, "/libpython"))) {
			snprintf(best, sizeof(best), "%s", p);
			best_base = start;
		}
	}
	fclose(f);
	if (!*best)
		return 0;
	snprintf(path, len, "%s", best);
	*base = best_base;
	return 1;
}

int py_target_probe(unsigned pid, struct py_target *out)
{
	char path[4096];
	struct syms s;
	__u64 base = 0, bias, version = 0;
	unsigned name_minor = 0;
	int found = find_file(pid, path, sizeof(path), &base);

	if (found <= 0)
		return found;
	memset(out, 0, sizeof(*out));
	python_file(path, &name_minor);
	size_t plen = strlen(path), keep = plen < sizeof(out->file) ? plen : sizeof(out->file) - 1;
	memcpy(out->file, path + plen - keep, keep); /* the end of a long path: its telling part */
	out->file[keep] = 0;
	out->minor = name_minor;
	out->micro = ~0u;
	/* a python3.X without the interpreter: linked to a libpython that
	 * the loader has not mapped yet (a sample at the process's start),
	 * or not CPython at all; asked again later */
	if (read_syms(pid, path, &s))
		return -EAGAIN;
	bias = base - s.first_load;
	out->runtime = s.runtime + bias;
	out->code_type = s.code_type ? s.code_type + bias : 0;
	if (s.eval) {
		out->eval_lo = s.eval + bias;
		out->eval_hi = out->eval_lo + (s.eval_size ? s.eval_size : 1);
	}
	/* PY_VERSION_HEX: 0x030b02f0 is 3.11.2 final */
	if (s.version && !py_mem_read(pid, s.version + bias, &version, sizeof(version)) && (version >> 24) == 3) {
		out->minor = (version >> 16) & 0xff;
		out->micro = (version >> 8) & 0xff;
	}
	out->layout = *py_layout_for(out->minor);
	if (out->minor >= 13) {
		uint8_t dbg[PY_DEBUG_OFFSETS_BYTES];
		struct py_layout l;
		/* the process's own word over the table's, when it can be read */
		if (!py_mem_read(pid, out->runtime, dbg, sizeof(dbg)) &&
		    !py_layout_from_debug_offsets(dbg, sizeof(dbg), out->minor, &l))
			out->layout = l;
	}
	/* the BPF walk reads a frame's head at once, 8-aligned words */
	const struct py_layout *l = &out->layout;
	if (!out->code_type || l->frame_code % 8 || l->frame_instr % 8 || l->frame_previous % 8 ||
	    l->frame_code + 8 > VIGIL_PY_FRAME_READ || l->frame_instr + 8 > VIGIL_PY_FRAME_READ ||
	    l->frame_previous + 8 > VIGIL_PY_FRAME_READ || l->frame_marker >= VIGIL_PY_FRAME_READ)
		out->layout.support = PY_UNSUPPORTED;
	return 1;
}

void py_target_walk(const struct py_target *t, struct vigil_py_proc *out)
{
	const struct py_layout *l = &t->layout;

	*out = (struct vigil_py_proc){
		.interp_head = t->runtime + l->runtime_interp_head,
		.interp_threads = (__u16)l->interp_threads,
		.tstate_next = (__u16)l->tstate_next,
		.tstate_native_tid = (__u16)l->tstate_native_tid,
		.tstate_frame = (__u16)l->tstate_frame,
		.cframe_frame = (__u16)l->cframe_frame,
		.frame_previous = (__u16)l->frame_previous,
		.frame_code = (__u16)l->frame_code,
		.frame_instr = (__u16)l->frame_instr,
		.frame_marker = (__u16)l->frame_marker,
	};
}

const char *py_target_version(const struct py_target *t, char *buf, size_t len)
{
	if (t->micro == ~0u)
		snprintf(buf, len, "3.%u", t->minor);
	else
		snprintf(buf, len, "3.%u.%u", t->minor, t->micro);
	return buf;
}
