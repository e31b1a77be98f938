/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	msg - diagnostics for programs
 * SYNOPSIS
 *	#include "util/msg.h"
 * DESCRIPTION
 *	See msg.h. Each message is formatted into one buffer and written
 *	with a single write(2), so lines from several processes sharing
 *	stderr do not interleave.
 * DIAGNOSTICS
 *	msg_fatal exits 2; msg_panic aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/msg.h"

static const char *msg_progname = "smtpd-harness";
static int msg_level;

/* msg_init - set the program name used as prefix */
void msg_init(const char *progname)
{
	msg_progname = progname;
}

/* msg_set_verbose - set the debug level */
void msg_set_verbose(int level)
{
	msg_level = level;
}

/* msg_verbose - the debug level */
int msg_verbose(void)
{
	return msg_level;
}

static void msg_vout(const char *tag, const char *fmt, va_list ap) ATTR_PRINTF(2, 0);

/* msg_vout - format and write one line */
static void msg_vout(const char *tag, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;
	int m;

	n = snprintf(buf, sizeof(buf), "%s: %s", msg_progname, tag);
	if (n < 0 || (size_t)n > sizeof(buf) - 2)
		n = 0;			/* a prefix that leaves no room is dropped */
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	if ((size_t)n + (size_t)m > sizeof(buf) - 2)
		m = (int)(sizeof(buf) - 2 - (size_t)n);
	buf[n + m] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)(n + m + 1)) < 0) {
		/* nowhere left to report */
	}
}

void msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout("", fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout("warning: ", fmt, ap);
	va_end(ap);
}

void msg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout("", fmt, ap);
	va_end(ap);
}

void msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout("fatal: ", fmt, ap);
	va_end(ap);
	exit(2);
}

void msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout("panic: ", fmt, ap);
	va_end(ap);
	abort();
}

void msg_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > msg_level)
		return;
	va_start(ap, fmt);
	msg_vout("debug: ", fmt, ap);
	va_end(ap);
}
