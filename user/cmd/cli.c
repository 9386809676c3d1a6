// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The command and option tables, and the parser they drive.  Help and
 * completion (cli_help.c) read the same tables. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "events.h"
#include "source.h"
#include "targets.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- commands ------------------------------------------------------------ */

static const struct cli_command commands[] = {
	{"live", CMD_LIVE, cmd_live, NULL, "watch the targets (ncurses view, or --batch snapshots)",
	 "Traces the targets and shows them: the ncurses view on a terminal, else (or with --batch) "
	 "a text snapshot per interval; --format json prints one JSON object per line per interval. "
	 "With no target running it shows every process."},
	{"record", CMD_RECORD, cmd_record, NULL, "write the targets' events to a dump file",
	 "Writes the targets' events to a dump until interrupted, --duration ends, --max-size is "
	 "reached or every -p target has exited. What was flushed (at least once a second) stays "
	 "readable after a crash."},
	{"replay", CMD_REPLAY, cmd_replay, "FILE", "the live view, driven by a dump (--speed X)",
	 "The live view driven by a dump: pause, step, jump +-10 s, change the speed. Without a "
	 "terminal it prints the text snapshots of live --batch at the recorded pace; --batch prints "
	 "them (or, with --format json, live's JSON lines) as fast as the dump reads."},
	{"dump", CMD_DUMP, cmd_dump, "FILE", "print a dump's raw events, one per line",
	 "Prints every event of a dump, one per line (--format csv: with a header line). A damaged or "
	 "cut dump is printed up to where it breaks, which is said on stderr (exit 1)."},
	{"report", CMD_REPORT, cmd_report, "FILE", "findings and per-role numbers of a dump (text, JSON or Markdown)",
	 "Replays a dump through the model and the detectors of live and prints the findings, "
	 "then per-role tables."},
	{"serve", CMD_SERVE, cmd_serve, NULL, "the headless daemon: Prometheus metrics and findings over HTTP",
	 "Traces the targets and runs the detectors like live, and serves /metrics (Prometheus text, "
	 "or OpenMetrics when asked), /findings (the report's findings as JSON) and /healthz. "
	 "Exports the role processes, or every process only with --all; exited ones leave a minute "
	 "after their exit. SIGTERM stops it (exit 0), SIGHUP re-reads the config."},
};

const struct cli_command *cli_command_at(size_t i)
{
	return i < ARRAY_SIZE(commands) ? &commands[i] : NULL;
}

const struct cli_command *cli_command_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* --- options --------------------------------------------------------------- */

static int set_pid(struct cli *c, const struct cli_option *o, const struct cli_value *v)
{
	(void)o;
	return targets_add_pid(c->targets, (unsigned)v->num) ? EXIT_USAGE : 0;
}

static int set_regex(struct cli *c, const struct cli_option *o, const struct cli_value *v)
{
	char err[256];
	int rc = !strcmp(o->name, "comm") ? targets_add_comm(c->targets, v->str, err, sizeof(err))
					   : targets_add_cmdline(c->targets, v->str, err, sizeof(err));

	if (rc) {
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int set_role(struct cli *c, const struct cli_option *o, const struct cli_value *v)
{
	(void)o;
	return targets_add_role(c->targets, (enum vigil_role)v->choice) ? EXIT_USAGE : 0;
}

static int set_all(struct cli *c, const struct cli_option *o, const struct cli_value *v)
{
	(void)o, (void)v;
	targets_set_all(c->targets);
	return 0;
}

static int set_max_size(struct cli *c, const struct cli_option *o, const struct cli_value *v)
{
	(void)o;
	c->max_size_bytes = (unsigned long long)(v->num * 1024 * 1024);
	return 0;
}

/* role_name() spells them; test_cli checks that these agree */
static const struct cli_choice roles[] = {
	{"asr", ROLE_ASR, 0}, {"avatar", ROLE_AVATAR, 0}, {"camera", ROLE_CAMERA, 0}, {NULL, 0, 0},
};
static const struct cli_choice formats[] = {
	{"text", FMT_TEXT, CMD_LIVE | CMD_DUMP | CMD_REPORT | CMD_REPLAY},
	{"json", FMT_JSON, CMD_LIVE | CMD_REPORT | CMD_REPLAY},
	{"csv", FMT_CSV, CMD_DUMP},
	{"md", FMT_MD, CMD_REPORT},
	{NULL, 0, 0},
};
const char *cli_format_name(int format)
{
	for (const struct cli_choice *f = formats; f->name; f++)
		if (f->value == format)
			return f->name;
	return "?";
}

static const struct cli_choice pf_sources[] = {
	{"counters", PF_SRC_COUNTERS, 0}, {"tracepoint", PF_SRC_TRACEPOINT, 0}, {"perf", PF_SRC_PERF, 0},
	{NULL, 0, 0},
};

/* +1: 0 is "not given" (the default, trace_run.c) */
static const struct cli_choice site_modes[] = {
	{"off", SITE_MODE_OFF + 1, 0}, {"fp", SITE_MODE_FP + 1, 0}, {"dwarf", SITE_MODE_DWARF + 1, 0},
	{NULL, 0, 0},
};

#define AT(field) offsetof(struct cli, field)

/* Order matters: it is the order of the synopsis and of the help. */
static const struct cli_option options[] = {
	{"pid", 'p', ARG_PID, "PID", CMD_TRACE, CLI_TARGET | CLI_REPEAT, 1, 4194304, NULL, ST_NONE, 0,
	 set_pid, "a process and its threads (repeatable)", NULL},
	{"comm", 0, ARG_TEXT, "REGEX", CMD_TRACE, CLI_TARGET | CLI_REPEAT, 0, 0, NULL, ST_NONE, 0,
	 set_regex, "processes whose name matches (repeatable)", NULL},
	{"cmdline", 0, ARG_TEXT, "REGEX", CMD_TRACE, CLI_TARGET | CLI_REPEAT, 0, 0, NULL, ST_NONE, 0,
	 set_regex, "processes whose command line matches (repeatable)", NULL},
	{"role", 0, ARG_CHOICE, "ROLE", CMD_TRACE, CLI_TARGET | CLI_REPEAT, 0, 0, roles, ST_NONE, 0,
	 set_role, "the processes the config assigns to a role (repeatable)", NULL},
	{"all", 0, ARG_NONE, NULL, CMD_TRACE, CLI_TARGET, 0, 0, NULL, ST_NONE, 0,
	 set_all, "every process", NULL},
	{"output", 'o', ARG_FILE, "FILE", CMD_RECORD, CLI_REQUIRED | CLI_SYNOPSIS, 0, 0, NULL, ST_STR, AT(output),
	 NULL, "the dump to write: created 0600, never through a symlink", NULL},
	{"listen", 0, ARG_TEXT, "ADDR:PORT", CMD_SERVE, CLI_REQUIRED | CLI_SYNOPSIS, 0, 0, NULL, ST_STR, AT(listen),
	 NULL, "serve HTTP there: 127.0.0.1:9464, [::1]:9464, :9464 (every IPv4 address); port 0: any free", NULL},
	{"record-dir", 0, ARG_DIR, "DIR", CMD_SERVE, CLI_SYNOPSIS, 0, 0, NULL, ST_STR, AT(record_dir),
	 NULL, "also write dumps there, rotated by size, the newest --keep kept", NULL},
	{"rotate-mb", 0, ARG_NUM, "MB", CMD_SERVE, 0, 0.01, 1e6, NULL, ST_DOUBLE, AT(rotate_mb),
	 NULL, "start the next dump when one reaches MB MiB (default 64)", "record-dir"},
	{"keep", 0, ARG_NUM, "N", CMD_SERVE, CLI_INT, 1, 100000, NULL, ST_UINT, AT(keep),
	 NULL, "dumps kept in the directory, the one being written included (default 24)", "record-dir"},
	{"interval", 0, ARG_NUM, "S", CMD_LIVE | CMD_SERVE, CLI_SYNOPSIS, 0.05, 3600, NULL, ST_DOUBLE, AT(interval_s),
	 NULL, "seconds between refreshes, snapshots or metrics updates (default 1)", NULL},
	{"duration", 0, ARG_NUM, "S", CMD_TRACE, CLI_SYNOPSIS, 0.01, 1e7, NULL, ST_DOUBLE, AT(duration_s),
	 NULL, "stop after S seconds (default: when interrupted)", NULL},
	{"record", 0, ARG_FILE, "FILE", CMD_LIVE, CLI_SYNOPSIS, 0, 0, NULL, ST_STR, AT(record),
	 NULL, "also write a dump, as vigil record -o FILE does", NULL},
	{"force", 0, ARG_NONE, NULL, CMD_LIVE | CMD_RECORD, CLI_SYNOPSIS, 0, 0, NULL, ST_BOOL, AT(force),
	 NULL, "overwrite an existing dump file", NULL},
	{"batch", 0, ARG_NONE, NULL, CMD_LIVE | CMD_REPLAY, CLI_SYNOPSIS, 0, 0, NULL, ST_BOOL, AT(batch),
	 NULL, "a text snapshot per interval instead of the view (so when stdout is no terminal)", NULL},
	{"format", 0, ARG_CHOICE, "FORMAT", CMD_LIVE | CMD_DUMP | CMD_REPORT | CMD_REPLAY, CLI_SYNOPSIS, 0, 0, formats,
	 ST_INT, AT(format), NULL, "output format (default text)", NULL},
	{"max-size", 0, ARG_NUM, "MB", CMD_RECORD, CLI_SYNOPSIS, 1, 1e7, NULL, ST_NONE, 0,
	 set_max_size, "stop when the dump reaches MB MiB", NULL},
	{"speed", 0, ARG_NUM, "X", CMD_REPLAY, CLI_SYNOPSIS, 0.01, 1e6, NULL, ST_DOUBLE, AT(speed),
	 NULL, "replay X times as fast as recorded (default 1)", NULL},
	{"config", 0, ARG_FILE, "FILE", CMD_TRACE | CMD_REPORT | CMD_REPLAY, 0, 0, 0, NULL, ST_STR,
	 AT(config_path), NULL, "roles, patterns, thresholds (default /etc/vigil.conf when present)", NULL},
	{"insecure-config", 0, ARG_NONE, NULL, CMD_TRACE | CMD_REPORT | CMD_REPLAY, 0, 0, 0, NULL, ST_BOOL,
	 AT(insecure_config), NULL, "read a --config FILE that others could have written (docs/config.md)",
	 "config"},
	{"pf-source", 0, ARG_CHOICE, "SOURCE", CMD_TRACE, 0, 0, 0, pf_sources, ST_INT, AT(pf_source),
	 NULL, "page-fault source (default: counters with the BTF scheduler tracepoints, else tracepoint, else perf)", NULL},
	{"sites", 0, ARG_CHOICE, "MODE", CMD_TRACE, 0, 0, 0, site_modes, ST_INT, AT(sites),
	 NULL, "allocation sites from sampled page faults: call stacks unwound with the binaries' CFI "
	 "(dwarf, the default), by frame pointers (fp), or none (docs/sites.md)", NULL},
	{"site-rate", 0, ARG_NUM, "N", CMD_TRACE, CLI_INT, 1, 1 << 24, NULL, ST_UINT, AT(site_rate),
	 NULL, "sample one page fault in N (default: adaptive, at most ~250 samples/s)", NULL},
	{"btf", 0, ARG_FILE, "FILE", CMD_TRACE, 0, 0, 0, NULL, ST_STR, AT(btf_path),
	 NULL, "the kernel's BTF, for a kernel built without it (docs/kernels.md)", NULL},
	/* the kernel's limit up front, not as a failed load: it holds a ring
	 * buffer's size, a power of two, in 32 bits (2 GiB) */
	{"ringbuf-kb", 0, ARG_NUM, "N", CMD_TRACE, CLI_INT, 4, SOURCE_RINGBUF_MAX_KB, NULL, ST_UINT, AT(ringbuf_kb),
	 NULL, "BPF ring buffer size in KiB (default from the config: 4096)", NULL},
	{"verbose", 'v', ARG_NONE, NULL, CMD_ALL, 0, 0, 0, NULL, ST_BOOL, AT(verbose),
	 NULL, "libbpf's own messages", NULL},
	{"help", 'h', ARG_NONE, NULL, CMD_ALL, 0, 0, 0, NULL, ST_BOOL, AT(help),
	 NULL, "this help", NULL},
};
#define NOPTS ARRAY_SIZE(options)

const struct cli_option *cli_option_at(size_t i)
{
	return i < NOPTS ? &options[i] : NULL;
}

bool cli_choice_applies(const struct cli_option *o, const struct cli_choice *ch, unsigned cmd)
{
	return (ch->cmds ? ch->cmds : o->cmds) & cmd;
}

/* --- parsing --------------------------------------------------------------- */

static int parse_num(const struct cli_option *o, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (o->arg == ARG_PID && (errno || end == s || *end || !(v >= o->min && v <= o->max) || v != floor(v))) {
		cli_err("--%s: '%s' is not a process id", o->name, s);
		return EXIT_USAGE;
	}
	if (errno || end == s || *end || !isfinite(v) || v < o->min || v > o->max) {
		cli_err("--%s: '%s' is not a number in [%.15g, %.15g]", o->name, s, o->min, o->max);
		return EXIT_USAGE;
	}
	if ((o->flags & CLI_INT) && v != floor(v)) {
		cli_err("--%s: '%s' is not a whole number", o->name, s);
		return EXIT_USAGE;
	}
	*out = v;
	return 0;
}

static int parse_choice(const struct cli_option *o, const char *s, unsigned cmd, int *out)
{
	char names[256] = "";
	size_t len = 0;

	for (const struct cli_choice *ch = o->choices; ch->name; ch++) {
		if (!cli_choice_applies(o, ch, cmd))
			continue;
		if (!strcasecmp(s, ch->name)) {
			*out = ch->value;
			return 0;
		}
		if (len < sizeof(names))
			len += snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", ch->name);
	}
	cli_err("--%s: '%s' is not one of %s", o->name, s, names);
	return EXIT_USAGE;
}

static int apply(struct cli *c, const struct cli_option *o, const char *arg, unsigned cmd)
{
	struct cli_value v = {.str = arg};
	char *at = (char *)c + o->offset;
	int err = 0;

	if (o->arg == ARG_NUM || o->arg == ARG_PID)
		err = parse_num(o, arg, &v.num);
	else if (o->arg == ARG_CHOICE)
		err = parse_choice(o, arg, cmd, &v.choice);
	if (err)
		return err;
	if (o->set)
		return o->set(c, o, &v);
	switch (o->store) {
	case ST_BOOL: *(bool *)at = true; break;
	case ST_STR: *(const char **)at = arg; break;
	case ST_DOUBLE: *(double *)at = v.num; break;
	case ST_UINT: *(unsigned *)at = (unsigned)v.num; break;
	case ST_INT: *(int *)at = o->arg == ARG_CHOICE ? v.choice : (int)v.num; break;
	case ST_NONE: break;
	}
	return 0;
}

static int load_config(struct cli *c)
{
	const char *path = c->config_path;
	char err[768], warn[768] = "";

	config_defaults(&c->config);
	if (!path && access(config_default_path(), F_OK) == 0)
		path = config_default_path();
	/* vigil runs as root: a file others can write must not choose what
	 * it traces or how much memory it locks (docs/config.md) */
	if (path && config_load_trusted(&c->config, path, c->insecure_config, err, sizeof(err), warn, sizeof(warn))) {
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

/* getopt's value for option i: its letter, or 256 + i */
static int opt_val(size_t i)
{
	return options[i].short_name ? options[i].short_name : 256 + (int)i;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char shorts[2 * NOPTS + 2], *sp = shorts;
	bool seen[NOPTS] = {false};
	const struct cli_command *cmd = cli_command_find(c->command);
	unsigned bit = cmd ? cmd->bit : 0;
	int id, err;

	*sp++ = ':';
	for (size_t i = 0; i < NOPTS; i++) {
		lopts[i] = (struct option){options[i].name, options[i].arg ? required_argument : no_argument, NULL,
					   opt_val(i)};
		if (options[i].short_name) {
			*sp++ = options[i].short_name;
			if (options[i].arg)
				*sp++ = ':';
		}
	}
	lopts[NOPTS] = (struct option){NULL, 0, NULL, 0};
	*sp = '\0';

	c->interval_s = 1.0;
	c->speed = 1.0;
	c->targets = targets_new();
	if (!c->targets) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	optind = 0; /* 0, not 1: glibc forgets a previous scan only then (tests parse many) */
	opterr = 0;
	while ((id = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct cli_option *o = NULL;

		if (id == '?') {
			cli_err("unknown option '%s' for '%s' (see vigil %s --help)", argv[optind - 1], c->command,
				c->command);
			return EXIT_USAGE;
		}
		if (id == ':') {
			cli_err("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		}
		for (size_t i = 0; i < NOPTS; i++) {
			if (opt_val(i) == id) {
				o = &options[i];
				seen[i] = true;
			}
		}
		if (!o || !(o->cmds & bit)) {
			cli_err("option '%s' does not apply to '%s' (see vigil %s --help)", argv[optind - 1],
				c->command, c->command);
			return EXIT_USAGE;
		}
		err = apply(c, o, optarg, bit);
		if (err)
			return err;
		if (c->help)
			return 0;
	}
	for (size_t i = 0; i < NOPTS; i++) {
		const struct cli_option *o = &options[i];

		for (size_t k = 0; seen[i] && o->needs && k < NOPTS; k++) {
			if (strcmp(options[k].name, o->needs) || seen[k])
				continue;
			cli_err("--%s applies to a --%s %s only (see vigil %s --help)", o->name, options[k].name,
				options[k].metavar ? options[k].metavar : "", c->command);
			return EXIT_USAGE;
		}
		if ((o->flags & CLI_REQUIRED) && (o->cmds & bit) && !seen[i]) {
			if (o->short_name)
				cli_err("%s needs -%c %s (see vigil %s --help)", c->command, o->short_name, o->metavar,
					c->command);
			else
				cli_err("%s needs --%s %s (see vigil %s --help)", c->command, o->name, o->metavar,
					c->command);
			return EXIT_USAGE;
		}
	}
	if (cmd && cmd->operand) {
		if (optind != argc - 1) {
			cli_err("'%s' takes exactly one %s (see vigil %s --help)", c->command, cmd->operand, c->command);
			return EXIT_USAGE;
		}
		c->file = argv[optind];
	} else if (optind < argc) {
		cli_err("unexpected argument '%s' (see vigil %s --help)", argv[optind], c->command);
		return EXIT_USAGE;
	}
	return load_config(c);
}

void cli_free(struct cli *c)
{
	targets_free(c->targets);
	c->targets = NULL;
}
