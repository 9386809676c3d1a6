// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vigil __mdoc synopsis|reference`: the command and option tables as
 * mdoc(7).  scripts/gen-man.sh splices the output into docs/vigil.8 between
 * its marker comments, so the man page lists exactly what the parser takes;
 * tests/cli/test_man.sh fails when the committed page falls behind. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* A text line: roff would take a leading '.' or '\'' for a request, and a
 * backslash for an escape.  A sentence ends its line (mdoc's rule, which
 * sets the space after it), and an option's dash is "\-", not a hyphen the
 * line may break at ("--for-" "mat"). */
static void text_line(FILE *f, const char *s)
{
	const char *start = s;

	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-' && (s == start || s[-1] == ' ' || s[-1] == '(' || s[-1] == '-'))
			fputs("\\-", f);
		else if (*s == '.' && s[1] == ' ' && s[2] >= 'A' && s[2] <= 'Z' && s != start) {
			fputs(".\n", f);
			s++;
		} else
			fputc(*s, f);
	}
	fputc('\n', f);
}

/* A table's phrase as a sentence: a capital first and a full stop last. */
static void sentence(FILE *f, const char *s)
{
	char buf[512];
	size_t n = strlen(s);

	snprintf(buf, sizeof(buf), "%s%s", s, n && s[n - 1] == '.' ? "" : ".");
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
	text_line(f, buf);
}

/* "Fl p Ar PID" or "Fl -interval Ar S" (the short form where there is one),
 * as macro arguments; quoted, since a choice list holds '|' */
static void mdoc_form(FILE *f, const struct cli_option *o, unsigned cmd, bool long_form)
{
	char vals[128];
	const char *v = cli_value_name(o, cmd, vals, sizeof(vals));

	if (o->short_name && !long_form)
		fprintf(f, "Fl %c", o->short_name);
	else
		fprintf(f, "Fl -%s", o->name);
	if (*v)
		fprintf(f, " Ar \"%s\"", v);
}

static void synopsis_item(FILE *f, unsigned cmd, const struct cli_option *o, const char *word)
{
	if (!o) {
		fprintf(f, ".Op Ar %s\n", word);
		return;
	}
	fputs((o->flags & CLI_REQUIRED) ? "." : ".Op ", f);
	mdoc_form(f, o, cmd, false);
	fputc('\n', f);
}

static void synopsis(FILE *f)
{
	const struct cli_command *cmd;

	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		fprintf(f, ".Nm vigil\n.Cm %s\n", cmd->name);
		if (cmd->operand)
			fprintf(f, ".Ar %s\n", cmd->operand);
		cli_synopsis_walk(f, cmd, synopsis_item);
	}
}

/* one .It of an option list: its forms, its help, which commands take it
 * (unless it is every command of the list, all) */
static void option_item(FILE *f, const struct cli_option *o, unsigned all)
{
	fputs(".It ", f);
	if (o->short_name) {
		mdoc_form(f, o, all, false);
		fputs(" , ", f);
	}
	mdoc_form(f, o, all, true);
	fputc('\n', f);
	sentence(f, o->help);
	/* a choice some commands lack (csv is dump's only) */
	for (const struct cli_choice *ch = o->choices; ch && ch->name; ch++) {
		if (!ch->cmds || ch->cmds == o->cmds)
			continue;
		fprintf(f, "Value\n.Cm %s\nfor ", ch->name);
		cli_command_names(f, ch->cmds);
		fputs(" only.\n", f);
	}
	if ((o->cmds & all) != all || (o->flags & CLI_REQUIRED)) {
		fputs((o->flags & CLI_REQUIRED) ? "Required by " : "Taken by ", f);
		cli_command_names(f, o->cmds & all);
		fputs(".\n", f);
	}
	if (o->needs)
		fprintf(f, "Only with\n.Fl -%s .\n", o->needs);
}

/* the target options (taken by the commands in all), or the others */
static void option_list(FILE *f, unsigned all, bool targets)
{
	const struct cli_option *o;

	fputs(".Bl -tag -width Ds\n", f);
	for (size_t i = 0; (o = cli_option_at(i)); i++)
		if (((o->flags & CLI_TARGET) != 0) == targets)
			option_item(f, o, all);
	fputs(".El\n", f);
}

static void reference(FILE *f)
{
	const struct cli_command *cmd;
	unsigned all = 0, trace;

	fputs(".Sh COMMANDS\n.Bl -tag -width Ds\n", f);
	for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
		fprintf(f, ".It Cm %s%s%s\n", cmd->name, cmd->operand ? " Ar " : "", cmd->operand ? cmd->operand : "");
		sentence(f, cmd->about ? cmd->about : cmd->summary);
		all |= cmd->bit;
	}
	fputs(".El\n", f);
	trace = cli_target_commands();
	fputs(".Sh TARGETS\nThe processes traced by ", f);
	cli_command_names(f, trace);
	/* the title is a constant of ours: no roff to escape */
	fprintf(f, "\n.Po\n%s; see\n.Sx CONFIGURATION\n.Pc .\n", cli_targets_title);
	option_list(f, trace, true);
	fputs(".Sh OPTIONS\n", f);
	option_list(f, all, false);
}

int cli_mdoc(FILE *f, const char *part)
{
	if (part && !strcmp(part, "synopsis"))
		synopsis(f);
	else if (part && !strcmp(part, "reference"))
		reference(f);
	else
		return EXIT_USAGE;
	return EXIT_OK;
}
