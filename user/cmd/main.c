// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil: kernel-assisted tracer of memory leaks and CPU contention.  The
 * commands and their options are tables in cli.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int help(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 1) {
		cli_usage(stdout);
		return EXIT_OK;
	}
	cmd = cli_command_find(argv[0]);
	if (!cmd) {
		cli_err("help: unknown command '%s' (see vigil --help)", argv[0]);
		return EXIT_USAGE;
	}
	if (argc > 1) {
		cli_err("help takes one COMMAND");
		return EXIT_USAGE;
	}
	cli_help_command(stdout, cmd);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	struct cli c = {0};
	int rc;

	if (argc < 2) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return help(argc - 2, argv + 2);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		if (argc > 2) {
			cli_err("version takes no arguments");
			return EXIT_USAGE;
		}
		version_print(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "__complete")) { /* for the shell's completion script */
		cli_complete(stdout, argc - 2, argv + 2);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "__mdoc")) { /* the man page's generated sections */
		if (argc != 3 || cli_mdoc(stdout, argv[2])) {
			cli_err("__mdoc takes one of: synopsis, reference");
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	cmd = cli_command_find(argv[1]);
	if (!cmd) {
		cli_err("unknown command '%s' (see vigil --help)", argv[1]);
		return EXIT_USAGE;
	}
	c.command = cmd->name;
	rc = cli_parse(&c, argc - 1, argv + 1);
	if (!rc && c.help) {
		cli_help_command(stdout, cmd);
	} else if (!rc) {
		cli_handle_signals();
		rc = cmd->run(&c);
	}
	cli_free(&c);
	return rc;
}
