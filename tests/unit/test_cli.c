// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The command line (user/cli.c, cli_help.c): help, parsing and completion
 * all follow the option table.  Every check walks the table itself, so an
 * option added later is covered without touching this file.  Run from the
 * repository root (tests/run.sh does): --config reads the example config. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "targets.h"

#define EXAMPLE_CONFIG "scripts/vigil.conf.example"

/* what fn(f, arg) prints, malloc'd */
static char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fn(f, arg);
	fclose(f);
	return buf;
}

static void help_of(FILE *f, const void *cmd) { cli_help_command(f, cmd); }
static void usage_of(FILE *f, const void *unused) { (void)unused; cli_usage(f); }
static void version_of(FILE *f, const void *unused) { (void)unused; version_print(f); }

struct words {
	int n;
	char **w;
};
static void complete_of(FILE *f, const void *arg)
{
	const struct words *ws = arg;

	cli_complete(f, ws->n, ws->w);
}

/* completion candidates of the words (the last is the one completed) */
static char *complete(int n, char **w)
{
	struct words ws = {n, w};

	return capture(complete_of, &ws);
}

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
	return false;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* a value the option accepts for command cmd */
static const char *valid_value(const struct cli_option *o, unsigned cmd, char *buf, size_t size)
{
	switch (o->arg) {
	case ARG_NUM:
		snprintf(buf, size, "%.17g", o->min);
		return buf;
	case ARG_PID:
		snprintf(buf, size, "%d", (int)getpid());
		return buf;
	case ARG_CHOICE:
		for (const struct cli_choice *ch = o->choices; ch->name; ch++)
			if (cli_choice_applies(o, ch, cmd))
				return ch->name;
		return "none";
	case ARG_FILE:
		return strcmp(o->name, "config") ? "/nonexistent/out.vgl" : EXAMPLE_CONFIG;
	case ARG_DIR:
		return "/tmp";
	default:
		return "x";
	}
}

/* cli_parse with stderr muted (usage errors are expected here) */
static int parse_args(struct cli *c, const char *cmd, int argc, char **argv)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY), rc;

	memset(c, 0, sizeof(*c));
	c->command = cmd;
	dup2(null, 2);
	rc = cli_parse(c, argc, argv);
	dup2(saved, 2);
	close(saved);
	close(null);
	return rc;
}

/* cli_parse of: CMD [required options] OPT [VALUE] [FILE] */
static int parse_with(const struct cli_command *cmd, const struct cli_option *o, bool use_short,
		      struct cli *c)
{
	char *argv[16], opt[64], val[64], req[8][64];
	const struct cli_option *r;
	int argc = 0, nreq = 0;

	argv[argc++] = (char *)cmd->name;
	for (size_t i = 0; (r = cli_option_at(i)); i++) {
		if ((r->flags & CLI_REQUIRED) && (r->cmds & cmd->bit) && r != o && nreq < 4) {
			snprintf(req[nreq], sizeof(req[0]), "--%s", r->name);
			argv[argc++] = req[nreq++];
			snprintf(req[nreq], sizeof(req[0]), "%s", valid_value(r, cmd->bit, val, sizeof(val)));
			argv[argc++] = req[nreq++];
		}
	}
	/* an option that applies only with another gets that one too */
	for (size_t i = 0; o->needs && (r = cli_option_at(i)); i++) {
		if (strcmp(r->name, o->needs) || nreq > 4)
			continue;
		snprintf(req[nreq], sizeof(req[0]), "--%s", r->name);
		argv[argc++] = req[nreq++];
		snprintf(req[nreq], sizeof(req[0]), "%s", valid_value(r, cmd->bit, val, sizeof(val)));
		argv[argc++] = req[nreq++];
	}
	if (use_short)
		snprintf(opt, sizeof(opt), "-%c", o->short_name);
	else
		snprintf(opt, sizeof(opt), "--%s", o->name);
	argv[argc++] = opt;
	if (o->arg)
		argv[argc++] = (char *)valid_value(o, cmd->bit, val, sizeof(val));
	if (cmd->operand)
		argv[argc++] = "dump.vgl";
	argv[argc] = NULL;
	return parse_args(c, cmd->name, argc, argv);
}

/* `vigil COMMAND --help` names every option the command takes, with its
 * short form and value, and none that it refuses */
/* want as a whole option name: --record is not --record-dir */
static bool lists(const char *h, const char *want)
{
	for (const char *at = strstr(h, want); at; at = strstr(at + 1, want))
		if (at[strlen(want)] == ' ' || at[strlen(want)] == '\n')
			return true;
	return false;
}

static void help_lists_every_option(void)
{
	const struct cli_command *cmd;
	const struct cli_option *o;

	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		char *h = capture(help_of, cmd), want[128], usage[64];

		snprintf(usage, sizeof(usage), "usage: vigil %s ", cmd->name);
		CHECK(!strncmp(h, usage, strlen(usage)));
		CHECK(strstr(h, "\nexit codes: 0 ok, 1 runtime failure, 2 usage error, 3 missing"));
		for (size_t j = 0; (o = cli_option_at(j)); j++) {
			bool applies = o->cmds & cmd->bit;

			if (o->short_name)
				snprintf(want, sizeof(want), "  -%c, --%s", o->short_name, o->name);
			else
				snprintf(want, sizeof(want), "      --%s", o->name);
			if (applies != lists(h, want))
				printf("   %s --help: %s %s\n", cmd->name, want, applies ? "missing" : "listed");
			CHECK(applies == lists(h, want));
			if (!applies)
				continue;
			if (o->arg == ARG_CHOICE) {
				for (const struct cli_choice *ch = o->choices; ch->name; ch++)
					CHECK(!!strstr(h, ch->name) || !cli_choice_applies(o, ch, cmd->bit));
			} else if (o->arg) {
				snprintf(want, sizeof(want), "--%s %s", o->name, o->metavar);
				CHECK(strstr(h, want));
			}
			/* required options are in the synopsis, unbracketed */
			if (o->flags & CLI_REQUIRED) {
				char form[64];

				if (o->short_name)
					snprintf(form, sizeof(form), "-%c %s", o->short_name, o->metavar);
				else
					snprintf(form, sizeof(form), "--%s %s", o->name, o->metavar);
				snprintf(want, sizeof(want), " %s ", form);
				CHECK(strstr(h, want));
				snprintf(want, sizeof(want), "[%s]", form);
				CHECK(!strstr(h, want));
			}
		}
		free(h);
	}
}

/* `vigil --help`: every command's synopsis (replay was once missing) */
static void usage_lists_every_command(void)
{
	const struct cli_command *cmd;
	char *u = capture(usage_of, NULL), want[64];

	CHECK(strstr(u, "\nusage:\n"));
	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		snprintf(want, sizeof(want), "\n  vigil %-6s ", cmd->name);
		CHECK(strstr(u, want));
		snprintf(want, sizeof(want), "\n  %-7s %s\n", cmd->name, cmd->summary);
		CHECK(strstr(u, want));
	}
	CHECK(strstr(u, "vigil help COMMAND"));
	CHECK(strstr(u, "vigil version"));
	free(u);
}

static void check_width(const char *text)
{
	for (const char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		CHECK(nl - line <= 80);
}

/* no help line is wider than 80 columns (help text and synopses wrap) */
static void help_fits_80_columns(void)
{
	const struct cli_command *cmd;
	char *u = capture(usage_of, NULL);

	check_width(u);
	free(u);
	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		char *h = capture(help_of, cmd);

		check_width(h);
		free(h);
	}
}

/* The parser takes every option of the table for the commands it names,
 * in its long and short form, and refuses it for the others. */
static void parser_follows_table(void)
{
	const struct cli_command *cmd;
	const struct cli_option *o;
	struct cli c;

	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		for (size_t j = 0; (o = cli_option_at(j)); j++) {
			bool applies = o->cmds & cmd->bit;
			int rc = parse_with(cmd, o, false, &c);

			if ((rc == 0) != applies)
				printf("   vigil %s --%s: rc %d\n", cmd->name, o->name, rc);
			CHECK((rc == 0) == applies);
			CHECK(rc == 0 || rc == EXIT_USAGE);
			CHECK(c.help == !strcmp(o->name, "help") || rc);
			cli_free(&c);
			if (o->short_name) {
				CHECK((parse_with(cmd, o, true, &c) == 0) == applies);
				cli_free(&c);
			}
		}
	}
}

/* argument vectors that are usage errors (exit 2) */
static const char *const usage_errors[][5] = {
	{"record", "--all"},		 /* no -o */
	{"report", "--format", "csv", "f.vgl"}, /* dump's format, not report's */
	{"live", "--ringbuf-kb", "4.5"}, /* not whole */
	{"live", "--interval", "0.01"},	 /* below the range */
	{"live", "--interval"},		 /* no value */
	{"dump"},			 /* no FILE */
	{"dump", "a", "b"},		 /* two */
	{"live", "stray"},		 /* an operand live has not */
};

/* values land where the table says, and bad ones are usage errors */
static void parser_values(void)
{
	struct cli c;
	char *live[] = {"live", "--interval", "2.5", "--format", "JSON", "--pf-source", "perf", "--ringbuf-kb", "64", NULL};
	char *rec[] = {"record", "-o", "x.vgl", "--max-size", "2", "--force", "-v", NULL};
	char *help[] = {"report", "--help", NULL}; /* no FILE needed */

	CHECK_EQ_U64(parse_args(&c, "live", 9, live), 0);
	CHECK(c.interval_s == 2.5 && c.format == FMT_JSON && c.ringbuf_kb == 64);
	CHECK(c.pf_source == PF_SRC_PERF && c.speed == 1.0 && !c.help);
	cli_free(&c);
	CHECK_EQ_U64(parse_args(&c, "record", 7, rec), 0);
	CHECK_STR(c.output, "x.vgl");
	CHECK(c.max_size_bytes == 2ull << 20 && c.force && c.verbose);
	cli_free(&c);
	CHECK_EQ_U64(parse_args(&c, "report", 2, help), 0);
	CHECK(c.help && !c.file);
	cli_free(&c);
	for (size_t i = 0; i < sizeof(usage_errors) / sizeof(usage_errors[0]); i++) {
		char *argv[6] = {NULL};
		int argc = 0;

		while (argc < 5 && usage_errors[i][argc]) {
			argv[argc] = (char *)usage_errors[i][argc];
			argc++;
		}
		CHECK_EQ_U64(parse_args(&c, argv[0], argc, argv), EXIT_USAGE);
		cli_free(&c);
	}
}

/* the --role choices are the roles role_parse() knows, minus "other" */
static void role_choices_are_roles(void)
{
	const struct cli_option *o;
	enum vigil_role r;
	size_t n = 0;

	for (size_t i = 0; (o = cli_option_at(i)); i++) {
		if (strcmp(o->name, "role"))
			continue;
		for (const struct cli_choice *ch = o->choices; ch->name; ch++, n++) {
			CHECK(role_parse(ch->name, &r) == 0 && (int)r == ch->value);
			CHECK_STR(role_name(r), ch->name);
		}
	}
	CHECK_EQ_U64(n, ROLE_COUNT - 1);
}

/* completion: the commands, a command's options (exactly the table's),
 * choices, and the shell's own names where a value is a file or a pid */
static void completion_follows_table(void)
{
	const struct cli_command *cmd;
	const struct cli_option *o;
	char *empty[] = {""}, *out = complete(1, empty);

	for (size_t i = 0; (cmd = cli_command_at(i)); i++)
		CHECK(has_line(out, cmd->name));
	CHECK(has_line(out, "help") && has_line(out, "version") && has_line(out, "--version"));
	free(out);

	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		char *w[4] = {(char *)cmd->name, "--"}, name[64];
		size_t n = 0;

		out = complete(2, w);
		for (size_t j = 0; (o = cli_option_at(j)); j++) {
			snprintf(name, sizeof(name), "--%s", o->name);
			CHECK(has_line(out, name) == !!(o->cmds & cmd->bit));
			n += !!(o->cmds & cmd->bit);
			if (!(o->cmds & cmd->bit))
				continue;
			/* the value of the option */
			char *v[3] = {(char *)cmd->name, name, ""}, *vals = complete(3, v);

			switch (o->arg) {
			case ARG_CHOICE:
				for (const struct cli_choice *ch = o->choices; ch->name; ch++)
					CHECK(has_line(vals, ch->name) == cli_choice_applies(o, ch, cmd->bit));
				break;
			case ARG_FILE: CHECK_STR(vals, "@file\n"); break;
			case ARG_DIR: CHECK_STR(vals, "@dir\n"); break;
			case ARG_PID: CHECK_STR(vals, "@pid\n"); break;
			case ARG_NONE: CHECK(!has_line(vals, "@file") || cmd->operand); break;
			default: CHECK_STR(vals, ""); break;
			}
			free(vals);
		}
		CHECK_EQ_U64(count_lines(out), n);
		free(out);

		/* the operand: the shell completes file names */
		char *op[2] = {(char *)cmd->name, ""};
		out = complete(2, op);
		CHECK_STR(out, cmd->operand ? "@file\n" : "");
		free(out);
	}
}

/* words (the last is completed) and the candidates wanted */
static const struct {
	const char *words[5];
	const char *want;
} forms[] = {
	{{"report", "--format=j"}, "--format=json\n"},	 /* one word */
	{{"dump", "--format", "=", "c"}, "csv\n"},	 /* bash splits at '=' */
	{{"dump", "--format", "="}, "text\ncsv\n"},
	{{"record", "--force", "--f"}, ""},		 /* given once: not again */
	{{"live", "--role", "asr", "--ro"}, "--role\n"}, /* repeatable: again */
	{{"help", "re"}, "record\nreplay\nreport\n"},
	{{"frob", ""}, ""},
	{{"report", "--", "-"}, "@file\n"},		 /* after --: operands */
};

static void completion_forms(void)
{
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *w[5];
		int n = 0;

		while (n < 5 && forms[i].words[n]) {
			w[n] = (char *)forms[i].words[n];
			n++;
		}
		char *out = complete(n, w);

		CHECK_STR(out, forms[i].want);
		free(out);
	}
}

static void version_says_what_matters(void)
{
	char *v = capture(version_of, NULL);

	CHECK(!strncmp(v, "vigil ", 6));
	CHECK(strstr(v, "\nlibbpf:     ") && strstr(v, "built against"));
	CHECK(strstr(v, "\narch:       x86") || strstr(v, "\narch:       arm64"));
	CHECK(strstr(v, "\nvmlinux.h:  vmlinux/") && strstr(v, "/vmlinux.h sha256:"));
	CHECK(strstr(v, "\nbpf object: vigil.bpf.o sha256:"));
	CHECK(strstr(v, "\nkernel:     "));
	free(v);
}

int main(void)
{
	RUN(help_lists_every_option);
	RUN(usage_lists_every_command);
	RUN(help_fits_80_columns);
	RUN(parser_follows_table);
	RUN(parser_values);
	RUN(role_choices_are_roles);
	RUN(completion_follows_table);
	RUN(completion_forms);
	RUN(version_says_what_matters);
	CHECK_DONE();
}
