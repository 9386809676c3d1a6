// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vigil --help`, `vigil COMMAND --help` and `vigil __complete`: all of it
 * read from the command and option tables of cli.c, so what the parser
 * accepts is what help shows and what the shell completes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define WIDTH 79   /* wrap help text here */
#define OPTCOL 24  /* option descriptions start in this column */
#define NBSP '\x01' /* a space wrap() shows but never breaks at */

/* Prints text from column col (the cursor is there), wrapping at WIDTH with
 * continuation lines indented to indent. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text + strspn(text, " ");
	bool first = true;

	while (*p) {
		size_t word = strcspn(p, " ");

		if (!first && col + 1 + (int)word > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		for (size_t i = 0; i < word; i++)
			fputc(p[i] == NBSP ? ' ' : p[i], f);
		col += (int)word;
		p += word;
		p += strspn(p, " ");
		first = false;
	}
	fputc('\n', f);
}

const char *cli_value_name(const struct cli_option *o, unsigned cmd, char *buf, size_t size)
{
	size_t len = 0;

	if (o->arg == ARG_NONE)
		return "";
	if (o->arg != ARG_CHOICE)
		return o->metavar;
	buf[0] = '\0';
	for (const struct cli_choice *ch = o->choices; ch->name; ch++)
		if (cli_choice_applies(o, ch, cmd) && len < size)
			len += snprintf(buf + len, size - len, "%s%s", len ? "|" : "", ch->name);
	return buf;
}

/* "-o FILE" or "--duration S" (the short form where there is one), the
 * value joined with a NBSP */
static void print_usage_form(FILE *f, const struct cli_option *o, unsigned cmd)
{
	char vals[128];
	const char *v = cli_value_name(o, cmd, vals, sizeof(vals));

	if (o->short_name)
		fprintf(f, "-%c", o->short_name);
	else
		fprintf(f, "--%s", o->name);
	if (*v)
		fprintf(f, "%c%s", NBSP, v);
}

void cli_synopsis_walk(FILE *f, const struct cli_command *cmd, cli_synopsis_fn emit)
{
	const struct cli_option *o;
	bool targets = false, more = false;

	for (size_t i = 0; (o = cli_option_at(i)); i++) {
		if (!(o->cmds & cmd->bit))
			continue;
		if (o->flags & CLI_TARGET)
			targets = true;
		else if (!(o->flags & CLI_SYNOPSIS) && strcmp(o->name, "help"))
			more = true;
	}
	if (targets)
		emit(f, cmd->bit, NULL, "TARGETS");
	for (size_t i = 0; (o = cli_option_at(i)); i++)
		if ((o->cmds & cmd->bit) && (o->flags & CLI_SYNOPSIS) && !(o->flags & CLI_TARGET))
			emit(f, cmd->bit, o, NULL);
	if (more)
		emit(f, cmd->bit, NULL, "OPTIONS");
}

static void synopsis_item(FILE *f, unsigned cmd, const struct cli_option *o, const char *word)
{
	if (!o) {
		fprintf(f, " [%s]", word);
		return;
	}
	fputs((o->flags & CLI_REQUIRED) ? " " : " [", f);
	print_usage_form(f, o, cmd);
	if (!(o->flags & CLI_REQUIRED))
		fputc(']', f);
}

/* "vigil NAME [FILE] [TARGETS] -o FILE [--opt V]... [OPTIONS]", name padded
 * to pad, wrapped at WIDTH below its first option; col = the cursor */
static void synopsis(FILE *f, const struct cli_command *cmd, int pad, int col)
{
	char line[1024];
	FILE *m = fmemopen(line, sizeof(line), "w");
	int indent;

	if (!m)
		return;
	indent = col + fprintf(f, "vigil %-*s ", pad, cmd->name);
	if (cmd->operand)
		fprintf(m, " %s", cmd->operand);
	cli_synopsis_walk(m, cmd, synopsis_item);
	fclose(m); /* NUL-terminates; a synopsis never nears the buffer's size */
	wrap(f, line, indent, indent);
}

/* one line (or two) of an option list: "  -p, --pid PID   help" */
static void option_line(FILE *f, const struct cli_option *o, unsigned cmd)
{
	char vals[128];
	const char *v = cli_value_name(o, cmd, vals, sizeof(vals));
	int n;

	if (o->short_name)
		n = fprintf(f, "  -%c, --%s%s%s", o->short_name, o->name, *v ? " " : "", v);
	else
		n = fprintf(f, "      --%s%s%s", o->name, *v ? " " : "", v);
	if (n + 2 > OPTCOL) {
		fprintf(f, "\n%*s", OPTCOL, "");
		n = OPTCOL;
	} else {
		fprintf(f, "%*s", OPTCOL - n, "");
		n = OPTCOL;
	}
	if (o->flags & CLI_REQUIRED) {
		char help[256];

		snprintf(help, sizeof(help), "%s (required)", o->help);
		wrap(f, help, n, OPTCOL);
	} else {
		wrap(f, o->help, n, OPTCOL);
	}
}

/* the options of the commands in cmd that have (or lack) all of flags */
static void option_list(FILE *f, unsigned cmd, unsigned flags, bool with, const char *skip)
{
	const struct cli_option *o;

	for (size_t i = 0; (o = cli_option_at(i)); i++) {
		if (!(o->cmds & cmd) || ((o->flags & flags) == flags) != with)
			continue;
		if (skip && !strcmp(o->name, skip))
			continue;
		option_line(f, o, cmd);
	}
}

void cli_command_names(FILE *f, unsigned bits)
{
	const struct cli_command *cmd;
	int n = 0;

	for (size_t i = 0; (cmd = cli_command_at(i)); i++)
		if (cmd->bit & bits)
			fprintf(f, "%s%s", n++ ? ", " : "", cmd->name);
}

unsigned cli_target_commands(void)
{
	const struct cli_option *o;
	unsigned cmds = 0;

	for (size_t i = 0; (o = cli_option_at(i)); i++)
		if (o->flags & CLI_TARGET)
			cmds |= o->cmds;
	return cmds;
}

const char cli_targets_title[] = "a union; default: the asr, avatar, camera roles";
static const char exit_codes[] =
	"exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 missing privilege or kernel feature";

void cli_help_command(FILE *f, const struct cli_command *cmd)
{
	const struct cli_option *o;
	bool targets = false;

	fputs("usage: ", f);
	synopsis(f, cmd, 0, 7);
	fputc('\n', f);
	wrap(f, cmd->about ? cmd->about : cmd->summary, 0, 0);
	for (size_t i = 0; (o = cli_option_at(i)); i++)
		targets |= (o->cmds & cmd->bit) && (o->flags & CLI_TARGET);
	if (targets) {
		fprintf(f, "\nTARGETS (%s):\n", cli_targets_title);
		option_list(f, cmd->bit, CLI_TARGET, true, NULL);
	}
	fputs("\noptions:\n", f);
	option_list(f, cmd->bit, CLI_TARGET, false, NULL);
	fputc('\n', f);
	wrap(f, exit_codes, 0, 12);
}

void cli_usage(FILE *f)
{
	const struct cli_command *cmd;
	unsigned trace = 0, all = 0;
	const struct cli_option *o;

	fputs("vigil — memory leaks and CPU contention of AI services, measured by the kernel\n\nusage:\n", f);
	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		fputs("  ", f);
		synopsis(f, cmd, 6, 2);
		all |= cmd->bit;
	}
	fputs("  vigil help COMMAND     = vigil COMMAND --help: its synopsis and options\n"
	      "  vigil version          = vigil --version: what to quote in a bug report\n"
	      "\ncommands:\n", f);
	for (size_t i = 0; (cmd = cli_command_at(i)); i++)
		fprintf(f, "  %-7s %s\n", cmd->name, cmd->summary);
	trace = cli_target_commands();
	fputs("\nTARGETS (", f);
	cli_command_names(f, trace);
	fprintf(f, "; %s):\n", cli_targets_title);
	option_list(f, all, CLI_TARGET, true, NULL);
	fputs("\nOPTIONS (which command takes which: vigil COMMAND --help):\n", f);
	for (size_t i = 0; (o = cli_option_at(i)); i++)
		if (!(o->flags & (CLI_TARGET | CLI_SYNOPSIS)))
			option_line(f, o, all);
	fputc('\n', f);
	wrap(f, exit_codes, 0, 12);
}

/* --- completion ------------------------------------------------------------ */

/* the option a word names exactly: "--name" or "-x" */
static const struct cli_option *word_option(const char *w, size_t len)
{
	const struct cli_option *o;

	for (size_t i = 0; (o = cli_option_at(i)); i++) {
		if (len == 2 && w[0] == '-' && w[1] == o->short_name && o->short_name)
			return o;
		if (len > 2 && !strncmp(w, "--", 2) && strlen(o->name) == len - 2 && !strncmp(w + 2, o->name, len - 2))
			return o;
	}
	return NULL;
}

static bool prefixed(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* candidates for the value of o, after what was typed (prefix); lead goes
 * before each ("--format=" when completing "--format=j" as one word) */
static void complete_value(FILE *f, const struct cli_option *o, unsigned cmd, const char *lead, const char *prefix)
{
	switch (o->arg) {
	case ARG_CHOICE:
		for (const struct cli_choice *ch = o->choices; ch->name; ch++)
			if (cli_choice_applies(o, ch, cmd) && prefixed(ch->name, prefix))
				fprintf(f, "%s%s\n", lead, ch->name);
		break;
	case ARG_FILE: fputs("@file\n", f); break;
	case ARG_DIR: fputs("@dir\n", f); break;
	case ARG_PID: fputs("@pid\n", f); break;
	default: break;
	}
}

static void complete_command(FILE *f, const char *cur, bool pseudo)
{
	static const char *const extra[] = {"help", "version", "--help", "--version"};
	const struct cli_command *cmd;

	for (size_t i = 0; (cmd = cli_command_at(i)); i++)
		if (prefixed(cmd->name, cur))
			fprintf(f, "%s\n", cmd->name);
	for (size_t i = 0; pseudo && i < sizeof(extra) / sizeof(extra[0]); i++)
		if (prefixed(extra[i], cur))
			fprintf(f, "%s\n", extra[i]);
}

void cli_complete(FILE *f, int n, char **w)
{
	const struct cli_command *cmd;
	const struct cli_option *o;
	const char *cur = n > 0 ? w[n - 1] : "", *eq;

	if (n <= 1) {
		complete_command(f, cur, true);
		return;
	}
	if (!strcmp(w[0], "help")) {
		if (n == 2)
			complete_command(f, cur, false);
		return;
	}
	cmd = cli_command_find(w[0]);
	if (!cmd)
		return;
	for (int i = 1; i < n - 1; i++)
		if (!strcmp(w[i], "--")) { /* options end here */
			if (cmd->operand)
				fputs("@file\n", f);
			return;
		}
	/* a value: "--opt VALUE", "--opt=VALUE" as one word, or as the three
	 * words "--opt" "=" "VALUE" where bash breaks words at '=' */
	if (!strcmp(cur, "=") && n >= 3 && (o = word_option(w[n - 2], strlen(w[n - 2]))) && o->arg) {
		complete_value(f, o, cmd->bit, "", "");
		return;
	}
	if (n >= 4 && !strcmp(w[n - 2], "=") && (o = word_option(w[n - 3], strlen(w[n - 3]))) && o->arg) {
		complete_value(f, o, cmd->bit, "", cur);
		return;
	}
	if (prefixed(cur, "--") && (eq = strchr(cur, '='))) {
		char lead[64];

		o = word_option(cur, (size_t)(eq - cur));
		if (o && o->arg && (size_t)(eq - cur) + 2 <= sizeof(lead)) {
			snprintf(lead, sizeof(lead), "%.*s", (int)(eq - cur + 1), cur);
			complete_value(f, o, cmd->bit, lead, eq + 1);
		}
		return;
	}
	if (n >= 3 && (o = word_option(w[n - 2], strlen(w[n - 2]))) && o->arg) {
		complete_value(f, o, cmd->bit, "", cur);
		return;
	}
	if (cur[0] == '-') {
		for (size_t i = 0; (o = cli_option_at(i)); i++) {
			bool given = false;
			char name[64];

			if (!(o->cmds & cmd->bit))
				continue;
			for (int j = 1; j < n - 1 && !(o->flags & CLI_REPEAT); j++) {
				const char *e = strchr(w[j], '=');
				const struct cli_option *g = word_option(w[j], e ? (size_t)(e - w[j]) : strlen(w[j]));

				given |= g == o;
			}
			snprintf(name, sizeof(name), "--%s", o->name);
			if (!given && prefixed(name, cur))
				fprintf(f, "%s\n", name);
		}
		return;
	}
	if (cmd->operand)
		fputs("@file\n", f);
}
