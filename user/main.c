// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil: kernel-assisted tracer of memory leaks and CPU contention. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct {
	const char *name;
	int (*run)(struct cli *c);
	const char *what;
} commands[] = {
	{"live", cmd_live, "watch the targets (ncurses view, or --batch snapshots)"},
	{"record", cmd_record, "write the targets' events to a dump file"},
	{"replay", cmd_replay, "the live view, driven by a dump (--speed X)"},
	{"dump", cmd_dump, "print a dump's raw events, one per line"},
	{"report", cmd_report, "findings and per-role numbers of a dump (text, JSON or Markdown)"},
};

static void help(FILE *f)
{
	fputs("vigil — memory leaks and CPU contention of AI services, measured by the kernel\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].what);
	fputc('\n', f);
	cli_usage(f);
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	int rc;

	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		help(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		c.command = commands[i].name;
		rc = cli_parse(&c, argc - 1, argv + 1);
		if (!rc) {
			cli_handle_signals();
			rc = commands[i].run(&c);
		}
		cli_free(&c);
		return rc;
	}
	cli_err("unknown command '%s' (see vigil --help)", argv[1]);
	return EXIT_USAGE;
}
