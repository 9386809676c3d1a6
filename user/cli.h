/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command-line options shared by the commands, parsed once. */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "config.h"

struct targets;

/* exit codes (design.md "CLI contract") */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_PRIVILEGE = 3 };

enum out_format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_MD };

struct cli {
	const char *command;
	const char *file;   /* positional FILE (report, replay, dump) */
	const char *output; /* -o */
	double interval_s;
	double duration_s; /* 0 = until interrupted */
	double speed;
	unsigned long long max_size_bytes; /* 0 = unlimited */
	bool batch;
	bool force;
	bool verbose;
	bool insecure_config; /* --insecure-config */
	int pf_source;
	unsigned ringbuf_kb;
	enum out_format format;
	const char *record; /* live --record FILE */
	struct targets *targets;
	struct vigil_config config;
};

/* Parses argv (after the command word).  Returns 0, or EXIT_USAGE after
 * printing the reason to stderr. */
int cli_parse(struct cli *c, int argc, char **argv);
void cli_free(struct cli *c);
void cli_usage(FILE *f);

/* installs SIGINT/SIGTERM/SIGHUP handlers that set cli_stop */
void cli_handle_signals(void);
extern volatile sig_atomic_t cli_stop;

/* message on stderr, prefixed with "vigil: " */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
