/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report - results of checks, for a terminal or for CI (TAP)
 * SYNOPSIS
 *	#include "harness/report/report.h"
 * DESCRIPTION
 *	See report.h. The per-check log is bounded (REPORT_MAX_LOG); what
 *	does not fit is cut with a note.
 * DIAGNOSTICS
 *	report_end() of no check: msg_panic().
 */
#include <stdarg.h>
#include <string.h>

#include "harness/report/report.h"
#include "util/escape.h"
#include "util/msg.h"

#define REPORT_MAX_LOG	(64 * 1024)
#define REPORT_MAX_DOC	(64 * 1024 * 1024)

/* report_format_parse - text, tap, junit, json */
int report_format_parse(const char *s, enum report_format *f_r)
{
	static const struct {
		const char *name;
		enum report_format f;
	} formats[] = {
		{ "text", REPORT_TEXT }, { "tap", REPORT_TAP },
		{ "junit", REPORT_JUNIT }, { "json", REPORT_JSON },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(formats); i++)
		if (strcmp(s, formats[i].name) == 0) {
			*f_r = formats[i].f;
			return 0;
		}
	return -1;
}

/* xml_escape - text for an XML attribute or element */
static void xml_escape(struct xbuf *b, const char *s)
{
	for (; *s; s++) {
		int rc;
		unsigned char c = (unsigned char)*s;

		if (c == '<')
			rc = xbuf_append_str(b, "&lt;");
		else if (c == '>')
			rc = xbuf_append_str(b, "&gt;");
		else if (c == '&')
			rc = xbuf_append_str(b, "&amp;");
		else if (c == '"')
			rc = xbuf_append_str(b, "&quot;");
		else if (c < 0x20 && c != '\n' && c != '\t')
			rc = xbuf_printf(b, "\\x%02x", c);
		else
			rc = xbuf_append_char(b, (char)c);
		if (rc < 0)
			return;
	}
}

/* json_escape - a JSON string with its quotes */
static void json_escape(struct xbuf *b, const char *s)
{
	if (xbuf_append_char(b, '"') < 0)
		return;
	for (; *s; s++) {
		int rc;
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rc = xbuf_printf(b, "\\%c", c);
		else if (c == '\n')
			rc = xbuf_append_str(b, "\\n");
		else if (c == '\t')
			rc = xbuf_append_str(b, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			rc = xbuf_printf(b, "\\u%04x", c);
		else
			rc = xbuf_append_char(b, (char)c);
		if (rc < 0)
			return;
	}
	if (xbuf_append_char(b, '"') < 0)
		return;
}

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
	xbuf_init(&r->doc, REPORT_MAX_DOC);
	xbuf_init(&r->notice, REPORT_MAX_LOG);
	r->suite = "fake-smtpd";
}

void report_begin(struct report *r, const struct check_info *ci)
{
	r->cur = ci;
	xbuf_reset(&r->log);
	xbuf_reset(&r->notice);
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

/* report_notice - a note shown whatever the verdict, and counted */
void report_notice(struct report *r, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->notes++;
	report_note(r, "note: %s", text);
	if (xbuf_printf(&r->notice, "note: %s\n", text) < 0)
		return;
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
	size_t pre = 0;

	if (ci == NULL)
		msg_panic("report_end: no check was begun");
	if (res == CHECK_UNEXERCISED) {
		pre = (size_t)snprintf(why, sizeof(why), "not exercised: ");
		r->unexercised++;
		res = CHECK_SKIP;	/* shown and counted as a skip */
	}
	va_start(ap, fmt);
	vsnprintf(why + pre, sizeof(why) - pre, fmt, ap);
	va_end(ap);
	r->n++;
	if (res == CHECK_PASS)
		r->passed++;
	else if (res == CHECK_FAIL && (unsigned)ci->severity <= SEV_ADVISORY)
		r->failed++, r->failed_sev[ci->severity]++;
	else if (res == CHECK_FAIL)
		r->failed++;
	else if (res == CHECK_ERROR)
		r->errors++;
	else if (res == CHECK_BLOCKED)
		r->blocked++;
	else
		r->skipped++;
	if (r->format == REPORT_JUNIT) {
		struct xbuf *b = &r->doc;

		(void)!xbuf_append_str(b, "  <testcase classname=\"");
		xml_escape(b, r->suite);
		(void)!xbuf_append_str(b, "\" name=\"");
		xml_escape(b, ci->id);
		(void)!xbuf_append_str(b, "\">\n");
		if (res != CHECK_PASS) {
			(void)!xbuf_printf(b, "    <%s message=\"",
					   res == CHECK_FAIL ? "failure" : res == CHECK_ERROR ? "error" : "skipped");
			xml_escape(b, why);
			(void)!xbuf_append_str(b, "\"/>\n");
		}
		(void)!xbuf_append_str(b, "    <system-out>");
		xml_escape(b, ci->title);
		(void)!xbuf_append_char(b, '\n');
		xml_escape(b, xbuf_cstr(&r->log));
		(void)!xbuf_append_str(b, "</system-out>\n  </testcase>\n");
		return;
	}
	if (r->format == REPORT_JSON) {
		struct xbuf *b = &r->doc;

		(void)!xbuf_append_str(b, r->n > 1 ? ",\n    {\"id\": " : "\n    {\"id\": ");
		json_escape(b, ci->id);
		(void)!xbuf_append_str(b, ", \"title\": ");
		json_escape(b, ci->title);
		(void)!xbuf_printf(b, ", \"result\": \"%s\", \"why\": ",
				   res == CHECK_PASS ? "pass" : res == CHECK_FAIL ? "fail" :
				   res == CHECK_ERROR ? "error" : res == CHECK_BLOCKED ? "blocked" : "skip");
		json_escape(b, why);
		(void)!xbuf_append_str(b, ", \"log\": ");
		json_escape(b, xbuf_cstr(&r->log));
		(void)!xbuf_append_char(b, '}');
		return;
	}
	if (r->format == REPORT_TAP) {
		int skip = res == CHECK_SKIP || res == CHECK_BLOCKED;

		fprintf(r->out, "%s %u - %s %s%s%s\n",
			res == CHECK_FAIL || res == CHECK_ERROR ? "not ok" : "ok", r->n,
			ci->id, ci->title, skip ? " # SKIP " : "", skip ? why : "");
		if (res == CHECK_FAIL || res == CHECK_ERROR) {
			if (ci->why != NULL)
				fprintf(r->out, "#   severity: %s\n#   why it matters: %s\n",
					report_severity_name(ci->severity), ci->why);
			fprintf(r->out, "#   %s\n", why);
			print_prefixed(r->out, "#", xbuf_cstr(&r->log));
		} else {
			print_prefixed(r->out, "#   ", xbuf_cstr(&r->notice));
		}
	} else {
		const char *tag = res == CHECK_PASS ? "PASS" : res == CHECK_FAIL ? "FAIL" :
				  res == CHECK_ERROR ? "ERROR" : res == CHECK_BLOCKED ? "BLOCKED" : "SKIP";

		fprintf(r->out, "%s  %-18s %s\n", tag, ci->id, ci->title);
		if (res == CHECK_FAIL || res == CHECK_ERROR) {
			if (ci->why != NULL)
				fprintf(r->out, "      severity: %s - %s\n",
					report_severity_name(ci->severity), ci->why);
			fprintf(r->out, "      %s\n", why);
		} else if (res == CHECK_SKIP || res == CHECK_BLOCKED || r->verbose) {
			if (why[0])
				fprintf(r->out, "      %s\n", why);
		}
		if (res == CHECK_FAIL || res == CHECK_ERROR || r->verbose)
			print_prefixed(r->out, "  ", xbuf_cstr(&r->log));
		else
			print_prefixed(r->out, "      ", xbuf_cstr(&r->notice));
	}
	fflush(r->out);
}

int report_finish(struct report *r)
{
	FILE *sum = r->out;

	if (r->format == REPORT_TAP)
		fprintf(r->out, "1..%u\n", r->n);
	if (r->format == REPORT_JUNIT) {
		fprintf(r->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<testsuites>\n<testsuite name=\"%s\" tests=\"%u\" failures=\"%u\" "
			"errors=\"%u\" skipped=\"%u\">\n%s</testsuite>\n</testsuites>\n",
			r->suite, r->n, r->failed, r->errors, r->skipped + r->blocked,
			xbuf_cstr(&r->doc));
		sum = stderr;
	}
	if (r->format == REPORT_JSON) {
		fprintf(r->out, "{\n  \"results\": [%s\n  ],\n  \"passed\": %u, \"failed\": %u, "
			"\"blocked\": %u, \"skipped\": %u, \"not_exercised\": %u, \"errors\": %u\n}\n",
			xbuf_cstr(&r->doc), r->passed, r->failed, r->blocked, r->skipped,
			r->unexercised, r->errors);
		sum = stderr;
	}
	fprintf(sum, "%u passed, %u failed", r->passed, r->failed);
	if (r->blocked)
		fprintf(sum, ", %u blocked", r->blocked);
	if (r->skipped)
		fprintf(sum, ", %u skipped", r->skipped);
	if (r->errors)
		fprintf(sum, ", %u errors", r->errors);
	if (r->notes)
		fprintf(sum, ", %u note%s", r->notes, r->notes == 1 ? "" : "s");
	fprintf(sum, "\n");
	fflush(r->out);
	fflush(sum);
	xbuf_free(&r->log);
	xbuf_free(&r->doc);
	xbuf_free(&r->notice);
	return (int)r->failed;
}
