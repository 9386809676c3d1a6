// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil dump FILE: every stored event, one per line, through the records
 * sink of --format (sinks/dump_text.c, dump_csv.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dump_read.h"
#include "print.h"
#include "sink.h"

int cmd_dump(struct cli *c)
{
	struct dump_reader *r;
	const struct ev_hdr *h;
	struct names *names = names_new();
	struct sink out = {0};
	char err[512];
	unsigned long long n = 0;
	int rc = 0;

	if (!names) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	if (dump_reader_open(&r, c->file, err, sizeof(err))) {
		cli_err("%s", err);
		names_free(names);
		return EXIT_RUNTIME;
	}
	if (sink_open(&out, SINK_RECORDS, cli_format_name(c->format), stdout, NULL, 0)) {
		cli_err("dump cannot print format %s", cli_format_name(c->format));
		rc = EXIT_USAGE;
		goto out;
	}
	out.t0 = dump_reader_host(r)->mono_ns;
	out.names = names;
	while (!cli_stop && (rc = dump_reader_next(r, &h)) == 1) {
		names_learn(names, h);
		sink_record(&out, h);
		n++;
	}
	fflush(stdout);
	if (cli_stop) {
		cli_err("%s: interrupted; %llu events were printed", c->file, n);
		rc = EXIT_RUNTIME;
	} else if (rc < 0) {
		/* the reader's message names the offset where the damage starts */
		cli_err("%s: %s; %llu events before it were printed", c->file, dump_reader_error(r), n);
		rc = EXIT_RUNTIME;
	} else {
		rc = EXIT_OK;
	}
out:
	sink_close(&out, NULL);
	dump_reader_close(r);
	names_free(names);
	return rc;
}
