/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report - results of checks, for a terminal or for CI (TAP)
 * SYNOPSIS
 *	#include "harness/run/report.h"
 * DESCRIPTION
 *	See report.h. The per-check log is bounded (REPORT_MAX_LOG); what
 *	does not fit is cut with a note.
 * DIAGNOSTICS
 *	None.
 */
#include <stdarg.h>
#include <string.h>

#include "harness/run/report.h"
#include "util/escape.h"

#define REPORT_MAX_LOG	(64 * 1024)

const char *report_severity_name(enum check_severity s)
{
	switch (s) {
	case SEV_BREAKS_POSTFIX: return "breaks Postfix";
	case SEV_SECURITY: return "security";
	case SEV_DIVERGES_DOVECOT: return "diverges from Dovecot";
	case SEV_ADVISORY: return "advisory";
	}
	return "?";
}

void report_init(struct report *r, enum report_format f, FILE *out, int verbose)
{
	memset(r, 0, sizeof(*r));
	r->format = f;
	r->out = out;
	r->verbose = verbose;
	xbuf_init(&r->log, REPORT_MAX_LOG);
}

void report_begin(struct report *r, const struct check_info *ci)
{
	r->cur = ci;
	xbuf_reset(&r->log);
}

/* report_io - one line on the wire: dir 'C' (we sent) or 'S' (we got) */
void report_io(struct report *r, char dir, const char *p, size_t len)
{
	size_t old = r->log.len;

	if (xbuf_printf(&r->log, "    %c: ", dir) < 0 ||
	    escape_append(&r->log, p, len, 300) < 0 ||
	    xbuf_append_char(&r->log, '\n') < 0)
		xbuf_truncate(&r->log, old);	/* the log is full: leave the line out */
}

void report_note(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (xbuf_append_str(&r->log, "    > ") < 0)
		return;
	va_start(ap, fmt);
	if (xbuf_vprintf(&r->log, fmt, ap) < 0)
		xbuf_reset(&r->log);
	va_end(ap);
	if (xbuf_append_char(&r->log, '\n') < 0)
		xbuf_reset(&r->log);
}

/* print_prefixed - the log, each line behind a prefix (TAP comments) */
static void print_prefixed(FILE *out, const char *prefix, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		fprintf(out, "%s%.*s\n", prefix, (int)n, text);
		text += n + (nl ? 1 : 0);
	}
}

void report_end(struct report *r, enum check_result res, const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	const struct check_info *ci = r->cur;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->n++;
	if (res == CHECK_PASS)
		r->passed++;
	else if (res == CHECK_FAIL)
		r->failed++;
	else
		r->skipped++;
	if (r->format == REPORT_TAP) {
		fprintf(r->out, "%s %u - %s %s%s%s\n", res == CHECK_FAIL ? "not ok" : "ok", r->n,
			ci->id, ci->title, res == CHECK_SKIP ? " # SKIP " : "",
			res == CHECK_SKIP ? why : "");
		if (res == CHECK_FAIL) {
			fprintf(r->out, "#   severity: %s\n#   why it matters: %s\n#   %s\n",
				report_severity_name(ci->severity), ci->why, why);
			print_prefixed(r->out, "#", xbuf_cstr(&r->log));
		}
	} else {
		const char *tag = res == CHECK_PASS ? "PASS" : res == CHECK_FAIL ? "FAIL" : "SKIP";

		fprintf(r->out, "%s  %-18s %s\n", tag, ci->id, ci->title);
		if (res == CHECK_FAIL) {
			fprintf(r->out, "      severity: %s - %s\n", report_severity_name(ci->severity),
				ci->why);
			fprintf(r->out, "      %s\n", why);
		} else if (res == CHECK_SKIP || r->verbose) {
			if (why[0])
				fprintf(r->out, "      %s\n", why);
		}
		if (res == CHECK_FAIL || r->verbose)
			print_prefixed(r->out, "  ", xbuf_cstr(&r->log));
	}
	fflush(r->out);
}

int report_finish(struct report *r)
{
	if (r->format == REPORT_TAP)
		fprintf(r->out, "1..%u\n", r->n);
	if (r->skipped)
		fprintf(r->out, "%u passed, %u failed, %u skipped\n", r->passed, r->failed, r->skipped);
	else
		fprintf(r->out, "%u passed, %u failed\n", r->passed, r->failed);
	fflush(r->out);
	xbuf_free(&r->log);
	return (int)r->failed;
}
