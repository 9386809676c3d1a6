// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source.h"
#include "targets.h"

volatile sig_atomic_t cli_stop;

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("vigil: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_usage(FILE *f)
{
	fputs("usage:\n"
	      "  vigil live   [TARGETS] [--interval S] [--duration S] [--record FILE] [--batch] [--format text|json]\n"
	      "  vigil record [TARGETS] -o FILE [--duration S] [--max-size MB] [--force]\n"
	      "  vigil report FILE [--format text|json|md]\n"
	      "  vigil dump   FILE [--format text|csv]\n"
	      "TARGETS (a union; default: the asr, avatar and camera roles):\n"
	      "  -p, --pid PID        a process (repeatable)\n"
	      "      --comm REGEX     processes whose name matches\n"
	      "      --cmdline REGEX  processes whose command line matches\n"
	      "      --role ROLE      asr, avatar or camera (repeatable)\n"
	      "      --all            every process\n"
	      "options:\n"
	      "      --config FILE    roles, patterns, thresholds (default /etc/vigil.conf when present);\n"
	      "                       refused unless owned by root (or you) and not group/other-writable\n"
	      "      --insecure-config  read a --config FILE that others could have written\n"
	      "      --pf-source counters|tracepoint|perf   page-fault source (default: counters\n"
	      "                       with the BTF scheduler tracepoints, else tracepoint where it exists)\n"
	      "      --ringbuf-kb N   BPF ring buffer size (default from config: 4096; at most 2097152)\n"
	      "  -v, --verbose        libbpf's messages\n"
	      "exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 missing privilege or kernel feature\n",
	      f);
}

static void on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_handle_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll must return */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

enum {
	OPT_COMM = 256, OPT_CMDLINE, OPT_ROLE, OPT_ALL, OPT_INTERVAL, OPT_DURATION, OPT_RECORD, OPT_BATCH,
	OPT_FORMAT, OPT_MAXSIZE, OPT_FORCE, OPT_CONFIG, OPT_PF, OPT_RINGBUF, OPT_SPEED, OPT_INSECURE_CONFIG,
};

/* which commands take an option */
#define C_LIVE 0x1
#define C_RECORD 0x2
#define C_DUMP 0x4
#define C_REPORT 0x8
#define C_REPLAY 0x10
#define C_TRACE (C_LIVE | C_RECORD)

static const struct {
	int id;
	unsigned cmds;
} allowed[] = {
	{'p', C_TRACE}, {OPT_COMM, C_TRACE}, {OPT_CMDLINE, C_TRACE}, {OPT_ROLE, C_TRACE}, {OPT_ALL, C_TRACE},
	{OPT_INTERVAL, C_LIVE}, {OPT_DURATION, C_TRACE}, {OPT_RECORD, C_LIVE}, {OPT_BATCH, C_LIVE},
	{OPT_FORMAT, C_LIVE | C_DUMP | C_REPORT}, {'o', C_RECORD}, {OPT_MAXSIZE, C_RECORD},
	{OPT_FORCE, C_TRACE}, {OPT_CONFIG, C_TRACE | C_REPORT | C_REPLAY},
	{OPT_INSECURE_CONFIG, C_TRACE | C_REPORT | C_REPLAY}, {OPT_PF, C_TRACE},
	{OPT_RINGBUF, C_TRACE}, {OPT_SPEED, C_REPLAY}, {'v', ~0u},
};

static unsigned command_bit(const char *cmd)
{
	if (!strcmp(cmd, "live")) return C_LIVE;
	if (!strcmp(cmd, "record")) return C_RECORD;
	if (!strcmp(cmd, "dump")) return C_DUMP;
	if (!strcmp(cmd, "report")) return C_REPORT;
	if (!strcmp(cmd, "replay")) return C_REPLAY;
	return 0;
}

static int parse_num(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
		cli_err("%s: '%s' is not a number in [%g, %g]", opt, s, min, max);
		return EXIT_USAGE;
	}
	*out = v;
	return 0;
}

static int parse_format(struct cli *c, const char *s, unsigned cmd)
{
	static const struct {
		const char *name;
		enum out_format f;
		unsigned cmds;
	} formats[] = {
		{"text", FMT_TEXT, C_LIVE | C_DUMP | C_REPORT}, {"json", FMT_JSON, C_LIVE | C_REPORT},
		{"csv", FMT_CSV, C_DUMP}, {"md", FMT_MD, C_REPORT},
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(s, formats[i].name) && (formats[i].cmds & cmd)) {
			c->format = formats[i].f;
			return 0;
		}
	}
	cli_err("--format %s: not a format of '%s'", s, c->command);
	return EXIT_USAGE;
}

static int parse_target(struct cli *c, int id, const char *arg)
{
	char err[256];
	double v;
	enum vigil_role r;

	switch (id) {
	case 'p':
		if (parse_num("--pid", arg, 1, 4194304, &v) || v != (unsigned)v) {
			cli_err("--pid: '%s' is not a process id", arg);
			return EXIT_USAGE;
		}
		return targets_add_pid(c->targets, (unsigned)v) ? EXIT_USAGE : 0;
	case OPT_COMM:
		if (targets_add_comm(c->targets, arg, err, sizeof(err))) {
			cli_err("%s", err);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_CMDLINE:
		if (targets_add_cmdline(c->targets, arg, err, sizeof(err))) {
			cli_err("%s", err);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_ROLE:
		if (role_parse(arg, &r) || r == ROLE_OTHER || targets_add_role(c->targets, r)) {
			cli_err("--role: '%s' is not one of asr, avatar, camera", arg);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_ALL:
		targets_set_all(c->targets);
		return 0;
	}
	return EXIT_USAGE;
}

static int parse_option(struct cli *c, int id, const char *arg, unsigned cmd, const char **config_path)
{
	double v;
	char *end;

	switch (id) {
	case 'p': case OPT_COMM: case OPT_CMDLINE: case OPT_ROLE: case OPT_ALL:
		return parse_target(c, id, arg);
	case OPT_INTERVAL:
		return parse_num("--interval", arg, 0.05, 3600, &c->interval_s);
	case OPT_DURATION:
		return parse_num("--duration", arg, 0.01, 1e7, &c->duration_s);
	case OPT_SPEED:
		return parse_num("--speed", arg, 0.01, 1e6, &c->speed);
	case OPT_RECORD:
		c->record = arg;
		return 0;
	case OPT_BATCH:
		c->batch = true;
		return 0;
	case OPT_FORMAT:
		return parse_format(c, arg, cmd);
	case 'o':
		c->output = arg;
		return 0;
	case OPT_MAXSIZE:
		if (parse_num("--max-size", arg, 1, 1e7, &v))
			return EXIT_USAGE;
		c->max_size_bytes = (unsigned long long)(v * 1024 * 1024);
		return 0;
	case OPT_FORCE:
		c->force = true;
		return 0;
	case OPT_INSECURE_CONFIG:
		c->insecure_config = true;
		return 0;
	case OPT_CONFIG:
		*config_path = arg;
		return 0;
	case OPT_PF:
		if (!strcmp(arg, "tracepoint"))
			c->pf_source = PF_SRC_TRACEPOINT;
		else if (!strcmp(arg, "perf"))
			c->pf_source = PF_SRC_PERF;
		else if (!strcmp(arg, "counters"))
			c->pf_source = PF_SRC_COUNTERS;
		else {
			cli_err("--pf-source: '%s' is not counters, tracepoint or perf", arg);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_RINGBUF:
		/* the kernel's limit, said here rather than as a failed load */
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !(v >= 4 && v <= SOURCE_RINGBUF_MAX_KB) || v != (unsigned)v) {
			cli_err("--ringbuf-kb: a whole number of KiB up to %u (2 GiB: the kernel holds a BPF "
				"ring buffer's size, a power of two, in 32 bits)", SOURCE_RINGBUF_MAX_KB);
			return EXIT_USAGE;
		}
		c->ringbuf_kb = (unsigned)v;
		return 0;
	case 'v':
		c->verbose = true;
		return 0;
	}
	return EXIT_USAGE;
}

static int load_config(struct cli *c, const char *path, bool insecure_ok)
{
	char err[768], warn[768];

	config_defaults(&c->config);
	if (insecure_ok && !path) {
		cli_err("--insecure-config applies to a --config FILE only (never to %s)", config_default_path());
		return EXIT_USAGE;
	}
	if (!path && access(config_default_path(), F_OK) == 0)
		path = config_default_path();
	/* vigil runs as root: a file others can write must not choose what
	 * it traces or how much memory it locks (docs/config.md) */
	if (path && config_load_trusted(&c->config, path, insecure_ok, err, sizeof(err), warn, sizeof(warn))) {
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	if (warn[0] && path)
		cli_err("warning: %s", warn);
	if (targets_apply_config(c->targets, &c->config, err, sizeof(err))) {
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"pid", required_argument, NULL, 'p'}, {"comm", required_argument, NULL, OPT_COMM},
		{"cmdline", required_argument, NULL, OPT_CMDLINE}, {"role", required_argument, NULL, OPT_ROLE},
		{"all", no_argument, NULL, OPT_ALL}, {"interval", required_argument, NULL, OPT_INTERVAL},
		{"duration", required_argument, NULL, OPT_DURATION}, {"record", required_argument, NULL, OPT_RECORD},
		{"batch", no_argument, NULL, OPT_BATCH}, {"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, 'o'}, {"max-size", required_argument, NULL, OPT_MAXSIZE},
		{"force", no_argument, NULL, OPT_FORCE}, {"config", required_argument, NULL, OPT_CONFIG},
		{"pf-source", required_argument, NULL, OPT_PF}, {"ringbuf-kb", required_argument, NULL, OPT_RINGBUF},
		{"speed", required_argument, NULL, OPT_SPEED}, {"verbose", no_argument, NULL, 'v'},
		{"insecure-config", no_argument, NULL, OPT_INSECURE_CONFIG},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	unsigned cmd = command_bit(c->command);
	int id, err;

	c->interval_s = 1.0;
	c->speed = 1.0;
	c->targets = targets_new();
	if (!c->targets) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	optind = 1;
	opterr = 0;
	while ((id = getopt_long(argc, argv, ":p:o:v", opts, NULL)) != -1) {
		if (id == '?') {
			cli_err("unknown option '%s' for '%s' (see vigil --help)", argv[optind - 1], c->command);
			return EXIT_USAGE;
		}
		if (id == ':') {
			cli_err("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		}
		bool ok = false;
		for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (allowed[i].id == id)
				ok = allowed[i].cmds & cmd;
		if (!ok) {
			cli_err("option '%s' does not apply to '%s'", argv[optind - 1], c->command);
			return EXIT_USAGE;
		}
		err = parse_option(c, id, optarg, cmd, &config_path);
		if (err)
			return err;
	}
	if (cmd & (C_DUMP | C_REPORT | C_REPLAY)) {
		if (optind != argc - 1) {
			cli_err("'%s' takes exactly one FILE", c->command);
			return EXIT_USAGE;
		}
		c->file = argv[optind];
	} else if (optind < argc) {
		cli_err("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	return load_config(c, config_path, c->insecure_config);
}

void cli_free(struct cli *c)
{
	targets_free(c->targets);
	c->targets = NULL;
}
