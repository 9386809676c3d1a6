// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The formatted helpers of the evidence writers (evidence.h). */
#include "evidence.h"

#include <stdarg.h>
#include <stdio.h>

static void vput(struct evidence_lines *o, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	o->text(o->ctx, buf);
}

void ev_printf(struct evidence_lines *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(o, fmt, ap);
	va_end(ap);
}

void ev_line(struct evidence_lines *o, const char *fmt, ...)
{
	va_list ap;

	o->begin(o->ctx);
	va_start(ap, fmt);
	vput(o, fmt, ap);
	va_end(ap);
	o->end(o->ctx);
}
