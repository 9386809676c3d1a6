// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Python frames without BPF (input/py_layout.c, py_target.c, py_code.c):
 *  - 3.13's _Py_DebugOffsets, read from the interpreter's own file, say
 *    what the row taken from its headers says; a wrong cookie, version or
 *    build is refused;
 *  - a running interpreter of each version here is found in its mappings,
 *    with the version from its memory, and a code object it prints the
 *    address of reads back as its qualified name, file and first line.
 * An interpreter that is absent is skipped, said; Debian's python3.11 must
 * be there. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "py_code.h"
#include "py_layout.h"
#include "py_target.h"

#define PYENV "/root/.pyenv/versions/"

/* the first n bytes of symbol `name` in ELF file path (its file contents) */
static int elf_symbol_bytes(const char *path, const char *name, void *out, size_t n)
{
	int fd = open(path, O_RDONLY), ret = -1;
	Elf_Scn *scn = NULL;
	GElf_Sym found = {0};
	Elf *e;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn)) && !found.st_value) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *nm;
			if (gelf_getsym(d, (int)i, &s) && (nm = elf_strptr(e, sh.sh_link, s.st_name)) && !strcmp(nm, name))
				found = s;
		}
	}
	scn = NULL;
	while (e && found.st_value && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS && found.st_value >= sh.sh_addr &&
		    found.st_value + n <= sh.sh_addr + sh.sh_size) {
			ret = pread(fd, out, n, (off_t)(sh.sh_offset + found.st_value - sh.sh_addr)) == (ssize_t)n ? 0 : -1;
			break;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

static void test_rows(void)
{
	CHECK(py_layout_for(11)->support == PY_TESTED);
	CHECK(py_layout_for(12)->support == PY_TESTED);
	CHECK(py_layout_for(13)->support == PY_TESTED);
	CHECK(py_layout_for(10)->support == PY_UNSUPPORTED);
	CHECK(py_layout_for(14)->support == PY_UNSUPPORTED);
	CHECK(py_layout_for(11)->entry == PY_ENTRY_FLAG && py_layout_for(12)->entry == PY_ENTRY_CSTACK);
	/* what the BPF walk is given fits its 16-bit offsets */
	for (unsigned m = 11; m <= 13; m++) {
		const struct py_layout *l = py_layout_for(m);
		CHECK(l->interp_threads < VIGIL_PY_DIRECT && l->tstate_native_tid < VIGIL_PY_DIRECT &&
		      l->frame_marker < VIGIL_PY_DIRECT && l->runtime_interp_head < VIGIL_PY_DIRECT);
	}
}

static void test_debug_offsets(void)
{
	const char *lib = PYENV "3.13.0/lib/libpython3.13.so.1.0";
	uint8_t buf[PY_DEBUG_OFFSETS_BYTES], bad[PY_DEBUG_OFFSETS_BYTES];
	const struct py_layout *row = py_layout_for(13);
	struct py_layout l;

	if (access(lib, R_OK)) {
		printf("SKIP test_debug_offsets: no %s\n", lib);
		return;
	}
	CHECK(elf_symbol_bytes(lib, "_PyRuntime", buf, sizeof(buf)) == 0);
	CHECK(py_layout_from_debug_offsets(buf, sizeof(buf), 13, &l) == 0);
	/* the interpreter's word and its headers' agree, field by field */
	CHECK(l.runtime_interp_head == row->runtime_interp_head && l.interp_threads == row->interp_threads);
	CHECK(l.tstate_next == row->tstate_next && l.tstate_native_tid == row->tstate_native_tid);
	CHECK(l.tstate_frame == row->tstate_frame && l.cframe_frame == VIGIL_PY_DIRECT);
	CHECK(l.frame_previous == row->frame_previous && l.frame_code == row->frame_code &&
	      l.frame_instr == row->frame_instr && l.frame_marker == row->frame_marker);
	CHECK(l.code_filename == row->code_filename && l.code_qualname == row->code_qualname &&
	      l.code_linetable == row->code_linetable && l.code_firstlineno == row->code_firstlineno &&
	      l.code_adaptive == row->code_adaptive);
	CHECK(l.unicode_state == row->unicode_state && l.unicode_ascii_size == row->unicode_ascii_size &&
	      l.bytes_data == row->bytes_data && l.bytes_size == row->bytes_size);
	CHECK(strstr(l.source, "_Py_DebugOffsets") != NULL);
	/* refused: another cookie, another version, a free-threaded build,
	 * a short read, an offset the walk cannot carry, another minor */
	memcpy(bad, buf, sizeof(bad));
	bad[0] = 'X';
	CHECK(py_layout_from_debug_offsets(bad, sizeof(bad), 13, &l) == -1);
	memcpy(bad, buf, sizeof(bad));
	bad[8 + 2] = 0x0e; /* PY_VERSION_HEX 0x030e.... */
	CHECK(py_layout_from_debug_offsets(bad, sizeof(bad), 13, &l) == -1);
	memcpy(bad, buf, sizeof(bad));
	bad[16] = 1;
	CHECK(py_layout_from_debug_offsets(bad, sizeof(bad), 13, &l) == -1);
	CHECK(py_layout_from_debug_offsets(buf, sizeof(buf) - 8, 13, &l) == -1);
	CHECK(py_layout_from_debug_offsets(buf, sizeof(buf), 14, &l) == -1);
	memcpy(bad, buf, sizeof(bad));
	memset(bad + 9 * 8, 0xff, 8); /* threads_head */
	CHECK(py_layout_from_debug_offsets(bad, sizeof(bad), 13, &l) == -1);
}

/* A child interpreter that prints a code object's address, then waits. */
static const char one_code[] = "import sys, time\n"
			       "class Render:\n"
			       "    def new_frame(self):\n"
			       "        return 1\n"
			       "c = Render.new_frame.__code__\n"
			       "print(id(c), c.co_firstlineno, flush=True)\n"
			       "sys.stdin.read()\n";

static pid_t start_python(const char *py, const char *prog, FILE **out)
{
	int in[2], o[2];
	pid_t pid;

	if (pipe(in) || pipe(o))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		close(in[1]);
		close(o[0]);
		execl(py, py, "-S", "-E", "-c", prog, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	*out = fdopen(o[0], "r");
	/* the child exits when this end closes (at our exit, or kill below) */
	return pid;
}

/* start_python() when py is installed (said when not): its pid, or 0 */
static pid_t python_child(const char *py, const char *prog, FILE **out)
{
	pid_t pid;

	if (access(py, X_OK)) {
		printf("SKIP %s: not installed\n", py);
		return 0;
	}
	pid = start_python(py, prog, out);
	CHECK(pid > 0 && *out);
	return pid > 0 && *out ? pid : 0;
}

static void check_interpreter(const char *py, unsigned minor, const char *file_part)
{
	unsigned long long code = 0;
	int first = 0;
	FILE *out = NULL;
	struct py_target t;
	pid_t pid;

	if ((pid = python_child(py, one_code, &out)) <= 0)
		return;
	CHECK(fscanf(out, "%llu %d", &code, &first) == 2);
	CHECK(py_target_probe((unsigned)pid, &t) == 1);
	printf("# %s: CPython 3.%u.%u in %s, layout from %s\n", py, t.minor, t.micro, t.file, t.layout.source);
	CHECK(t.minor == minor && t.micro != ~0u && t.layout.support == PY_TESTED);
	CHECK(strstr(t.file, file_part) != NULL);
	CHECK(t.runtime && t.code_type && t.eval_lo && t.eval_hi > t.eval_lo);

	/* the code object: its first instruction is on the def's line + 1
	 * ("return 1"); before it, none */
	struct py_codes *c = py_codes_new();
	struct py_frame_info fi[3];
	__u64 codes[3] = {code, code, 0}, instr[3];
	instr[0] = code + t.layout.code_adaptive + 2 * 64; /* past the code: a line of 0 or the last */
	instr[1] = code - 2;                             /* not started */
	instr[2] = 0;
	py_codes_resolve(c, (unsigned)pid, &t, codes, instr, 3, fi);
	CHECK(fi[0].ok && !strcmp(fi[0].qualname, "Render.new_frame") && !strcmp(fi[0].file, "<string>"));
	CHECK(!fi[1].ok && !fi[2].ok);
	/* the line of "return 1": some offset within the code has it */
	bool seen = false;
	for (unsigned off = 0; off < 32 && !seen; off += 2) {
		__u64 at = code + t.layout.code_adaptive + off;
		py_codes_resolve(c, (unsigned)pid, &t, codes, &at, 1, fi);
		seen = fi[0].ok && fi[0].line == (unsigned)first + 1 && fi[0].offset == off;
	}
	CHECK(seen);
	py_codes_free(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fclose(out);
}

/* An interpreter of a version without a row is found and named, and
 * marked unsupported (the end-of-run line says so; no BPF walk). */
static void check_unsupported(const char *py, unsigned minor)
{
	FILE *out = NULL;
	struct py_target t;
	char v[16];
	pid_t pid;

	if ((pid = python_child(py, one_code, &out)) <= 0)
		return;
	CHECK(fgets(v, sizeof(v), out) != NULL); /* it runs */
	CHECK(py_target_probe((unsigned)pid, &t) == 1);
	printf("# %s: CPython %s, support %d\n", py, py_target_version(&t, v, sizeof(v)), t.layout.support);
	CHECK(t.minor == minor && t.layout.support == PY_UNSUPPORTED);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fclose(out);
}

/* More code objects than the cache holds, read a sample's worth (48) at a
 * time: the cache starts over between samples, never within one, so every
 * name a sample resolved is still there when its frames are emitted. */
#define MANY_CODES 9000
static void test_cache_overflow(void)
{
	static const char prog[] = "import sys\n"
				   "fs = [eval(compile('lambda: %d' % i, 'f%d.py' % i, 'eval')) for i in range(9000)]\n"
				   "print(' '.join(str(id(f.__code__)) for f in fs), flush=True)\n"
				   "sys.stdin.read()\n";
	static __u64 codes[MANY_CODES];
	const char *py = "/usr/bin/python3.11";
	struct py_frame_info fi[VIGIL_SITE_PY_MAX];
	__u64 instr[VIGIL_SITE_PY_MAX];
	struct py_codes *c = py_codes_new();
	FILE *out = NULL;
	struct py_target t;
	unsigned bad = 0;
	pid_t pid;

	if ((pid = python_child(py, prog, &out)) <= 0) {
		py_codes_free(c);
		return;
	}
	for (unsigned i = 0; i < MANY_CODES; i++)
		CHECK(fscanf(out, "%llu", (unsigned long long *)&codes[i]) == 1);
	CHECK(py_target_probe((unsigned)pid, &t) == 1);
	for (unsigned at = 0; at < MANY_CODES; at += VIGIL_SITE_PY_MAX) {
		unsigned n = MANY_CODES - at < VIGIL_SITE_PY_MAX ? MANY_CODES - at : VIGIL_SITE_PY_MAX;
		for (unsigned k = 0; k < n; k++)
			instr[k] = codes[at + k] + t.layout.code_adaptive;
		py_codes_resolve(c, (unsigned)pid, &t, codes + at, instr, n, fi);
		for (unsigned k = 0; k < n; k++) {
			char file[32];
			snprintf(file, sizeof(file), "f%u.py", at + k);
			bad += !fi[k].ok || strcmp(fi[k].qualname, "<lambda>") || strcmp(fi[k].file, file);
		}
	}
	CHECK(bad == 0);
	if (bad)
		printf("  %u of %u code objects read wrong\n", bad, MANY_CODES);
	py_codes_free(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fclose(out);
}

static void test_live_interpreters(void)
{
	struct py_target t;

	CHECK(py_target_probe((unsigned)getpid(), &t) == 0); /* not Python */
	CHECK(py_target_probe(0x7ffffff0u, &t) < 0);         /* no such process */
	/* named python3.X, no interpreter in it (yet: a libpython the loader
	 * has not mapped): asked again later, not taken for "not Python" */
	char dir[] = "/tmp/vigil-pyXXXXXX", fake[64], cmd[160];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(fake, sizeof(fake), "%s/python3.99", dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/sleep %s", fake); /* a copy: maps name the file itself */
	CHECK(system(cmd) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		execl(fake, fake, "5", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	CHECK(py_target_probe((unsigned)pid, &t) == -EAGAIN);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(fake);
	rmdir(dir);
	if (access("/usr/bin/python3.11", X_OK))
		CHECK(!"Debian's /usr/bin/python3.11 is missing (python3.11-minimal)");
	check_interpreter("/usr/bin/python3.11", 11, "/usr/bin/python3.11");
	check_interpreter(PYENV "3.11.7/bin/python3.11", 11, "libpython3.11.so");
	check_interpreter(PYENV "3.12.1/bin/python3.12", 12, "libpython3.12.so");
	check_interpreter(PYENV "3.13.0/bin/python3.13", 13, "libpython3.13.so");
	check_unsupported(PYENV "3.10.13/bin/python3.10", 10);
	check_unsupported(PYENV "3.8.18/bin/python3.8", 8);
}

int main(void)
{
	RUN(test_rows);
	RUN(test_debug_offsets);
	RUN(test_live_interpreters);
	RUN(test_cache_overflow);
	CHECK_DONE();
}
