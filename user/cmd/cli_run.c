// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What a running command shares with the others: the stop flag the signals
 * set, and the one-line messages on stderr.  Apart from cli.c, whose
 * command table calls the commands: the commands call this, never the
 * table, so no two files call each other. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

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
