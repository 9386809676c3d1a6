// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vigil --version`: what a bug report needs about this binary and the host
 * it runs on.  The build facts come from build_info.h, which the Makefile
 * generates (scripts/gen-build-info.sh). */
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "build_info.h"
#include "cli.h"

#if defined(__clang__)
#define COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

void version_print(FILE *f)
{
	struct utsname u;

	fprintf(f, "vigil %s\n", VIGIL_DESCRIBE);
	fprintf(f, "arch:       %s (vigil and its BPF object built for it)\n", VIGIL_BUILD_ARCH);
	fprintf(f, "libbpf:     %u.%u (built against %d.%d)\n", libbpf_major_version(), libbpf_minor_version(),
		LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION);
	fprintf(f, "vmlinux.h:  %s\n", VIGIL_VMLINUX);
	fprintf(f, "bpf object: %s\n", VIGIL_BPF_OBJS);
	fprintf(f, "compiler:   %s\n", COMPILER);
	if (uname(&u) == 0)
		fprintf(f, "kernel:     %s %s %s (running), BTF %s\n", u.sysname, u.release, u.machine,
			access("/sys/kernel/btf/vmlinux", R_OK) == 0 ? "at /sys/kernel/btf/vmlinux"
								     : "missing (no /sys/kernel/btf/vmlinux)");
}
