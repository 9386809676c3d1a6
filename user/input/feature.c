// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "feature.h"
#include "events.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static struct btf *vmlinux_btf;
static bool vmlinux_btf_tried;
static const char *tracefs_root;

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

const char *feature_missing_capability(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return "cannot read this process's capabilities (capget failed)";
	if (has_cap(data, CAP_SYS_ADMIN))
		return NULL;
	/* since 5.8 CAP_BPF + CAP_PERFMON suffice for tracing programs */
	if (!has_cap(data, CAP_BPF))
		return "missing capability CAP_BPF (or CAP_SYS_ADMIN): run vigil as root";
	if (!has_cap(data, CAP_PERFMON))
		return "missing capability CAP_PERFMON (or CAP_SYS_ADMIN): run vigil as root";
	return NULL;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int feature_ensure_tracefs(void)
{
	if (is_dir("/sys/kernel/tracing/events")) {
		tracefs_root = "/sys/kernel/tracing";
		return 0;
	}
	if (is_dir("/sys/kernel/debug/tracing/events")) {
		tracefs_root = "/sys/kernel/debug/tracing";
		return 0;
	}
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	if (!is_dir("/sys/kernel/tracing/events"))
		return -ENOENT;
	tracefs_root = "/sys/kernel/tracing";
	return 0;
}

static bool faked_missing(const char *category, const char *name)
{
	const char *list = getenv("VIGIL_FAKE_MISSING");
	char want[128];
	size_t n;

	if (!list || !*list)
		return false;
	snprintf(want, sizeof(want), "%s/%s", category, name);
	n = strlen(want);
	for (const char *p = list; (p = strstr(p, want)); p += n) {
		bool starts = p == list || p[-1] == ',';
		bool ends = p[n] == '\0' || p[n] == ',';
		if (starts && ends)
			return true;
	}
	return false;
}

bool feature_tracepoint(const char *category, const char *name)
{
	char path[256];

	if (faked_missing(category, name))
		return false;
	if (!tracefs_root && feature_ensure_tracefs())
		return false;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", tracefs_root, category, name);
	return access(path, R_OK) == 0;
}

bool feature_kernel_btf(void)
{
	if (!vmlinux_btf_tried) {
		vmlinux_btf_tried = true;
		vmlinux_btf = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux_btf))
			vmlinux_btf = NULL;
	}
	return vmlinux_btf != NULL;
}

/* Each probe loads a program or makes a map: asked of the kernel once per
 * run (start-up asks for the default page-fault source, then again while
 * choosing programs).  *answer: -1 until asked. */
static bool asked_once(int *answer, int (*probe)(void))
{
	if (*answer < 0)
		*answer = probe() == 1;
	return *answer;
}

static int probe_task_pt_regs(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL);
}

static int probe_current_task_btf(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_task_btf, NULL);
}

static int probe_task_storage(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL);
}

bool feature_task_pt_regs(void)
{
	static int answer = -1;
	return asked_once(&answer, probe_task_pt_regs);
}

bool feature_current_btf(void)
{
	static int answer = -1;
	return feature_kernel_btf() && asked_once(&answer, probe_current_task_btf);
}

bool feature_task_storage(void)
{
	static int answer = -1;
	return asked_once(&answer, probe_task_storage);
}

bool feature_tp_btf(const char *name)
{
	char type[128];

	if (faked_missing("btf", name))
		return false;
	if (!feature_kernel_btf())
		return false;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux_btf, type, BTF_KIND_TYPEDEF) > 0;
}

void feature_cleanup(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	vmlinux_btf_tried = false;
}

bool feature_sched_btf(void)
{
	return feature_tp_btf("sched_switch") && feature_tp_btf("sched_wakeup") &&
	       feature_tp_btf("sched_wakeup_new");
}

const char *feature_fault_counters_missing(void)
{
	/* the task pointers of the BTF sched_switch and exec (the fault base
	 * of a new program), typed current, and task storage for each
	 * thread's last report */
	if (!feature_kernel_btf())
		return "kernel BTF";
	if (!feature_sched_btf())
		return "the BTF tracepoint sched_switch";
	if (!feature_tp_btf("sched_process_exec"))
		return "the BTF tracepoint sched_process_exec";
	if (!feature_current_btf())
		return "bpf_get_current_task_btf() (5.11+)";
	if (!feature_task_storage())
		return "task storage maps (5.11+)";
	return NULL;
}

bool feature_fault_counters(void)
{
	return !feature_fault_counters_missing();
}

int feature_default_pf_source(void)
{
	/* without the counters a program per fault, where the kernel has one */
	if (feature_fault_counters())
		return PF_SRC_COUNTERS;
	return feature_tracepoint("exceptions", "page_fault_user") ? PF_SRC_TRACEPOINT : PF_SRC_PERF;
}
