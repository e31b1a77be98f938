/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report_tap - the report as TAP (Test Anything Protocol, version 12)
 * SYNOPSIS
 *	#include "harness/report/report_int.h"
 *
 *	extern const struct report_writer report_tap_writer;
 * DESCRIPTION
 *	First a comment with the version line (report_header_line()); per
 *	check "ok N - ID title" or, for a failure or an error, "not ok N -
 *	ID title" followed by "#   severity: S", "#   why it matters: W",
 *	"#   REASON" and the whole wire log as "#" lines (CI keeps it; the
 *	log is not folded); a skipped check is "ok N - ID title # SKIP
 *	REASON". A '#' in the id or the title is written "\#", as TAP asks.
 *	At the end the stats as "# NAME: VALUE" and the plan "1..N".
 * DIAGNOSTICS
 *	None: output errors show on the stream (ferror), as with stdio.
 */
#include <stdio.h>
#include <string.h>

#include "harness/report/report_int.h"

/* header - the version line as a comment, once */
static void header(struct report *r)
{
	struct xbuf h, s;

	if (r->headed)
		return;
	r->headed = 1;
	xbuf_init(&h, REPORT_MAX_FIELD);
	xbuf_init(&s, REPORT_MAX_FIELD);
	report_header_line(r, &h);
	fprintf(r->out, "# %s\n", report_clean_str(&s, xbuf_cstr(&h), REPORT_CLEAN_LINE));
	xbuf_free(&h);
	xbuf_free(&s);
}

/* description - text cleaned to one line, '#' as "\#" */
static const char *description(struct xbuf *s, const char *text)
{
	struct xbuf t;
	const char *p;

	xbuf_init(&t, REPORT_MAX_FIELD);
	(void)report_clean_str(&t, text, REPORT_CLEAN_LINE);
	xbuf_reset(s);
	for (p = xbuf_cstr(&t); *p; p++)
		if ((*p == '#' && xbuf_append_char(s, '\\') < 0) || xbuf_append_char(s, *p) < 0)
			break;
	xbuf_free(&t);
	return xbuf_cstr(s);
}

/* print_prefixed - text, each line behind a prefix */
static void print_prefixed(FILE *out, const char *prefix, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		fprintf(out, "%s%.*s\n", prefix, (int)n, text);
		text += n + (nl ? 1 : 0);
	}
}

static void tap_end(struct report *r, const struct report_entry *e)
{
	enum report_class cls = report_result(e->res)->cls;
	int bad = cls == REPORT_CLASS_FAIL || cls == REPORT_CLASS_ERROR;
	struct xbuf s, t;

	header(r);
	xbuf_init(&s, REPORT_MAX_FIELD);
	xbuf_init(&t, REPORT_MAX_FIELD);
	fprintf(r->out, "%s %u - %s ", bad ? "not ok" : "ok", r->n, description(&s, e->id));
	fprintf(r->out, "%s", description(&s, e->title));
	if (cls == REPORT_CLASS_SKIP)
		fprintf(r->out, " # SKIP %s", report_clean_str(&s, e->reason, REPORT_CLEAN_LINE));
	fputc('\n', r->out);
	if (bad) {
		if (e->matters != NULL)
			fprintf(r->out, "#   severity: %s\n#   why it matters: %s\n",
				report_severity_name(e->severity),
				report_clean_str(&s, e->matters, REPORT_CLEAN_LINE));
		fprintf(r->out, "#   %s\n", report_clean_str(&s, e->reason, REPORT_CLEAN_LINE));
		print_prefixed(r->out, "#", report_clean_str(&t, e->log, 0));
	} else if (e->notice != NULL && e->notice[0]) {
		print_prefixed(r->out, "#   ", report_clean_str(&t, e->notice, 0));
	}
	xbuf_free(&s);
	xbuf_free(&t);
	fflush(r->out);
}

static void tap_finish(struct report *r)
{
	header(r);
	report_print_stats(r, "# ");
	fprintf(r->out, "1..%u\n", r->n);
}

const struct report_writer report_tap_writer = { REPORT_KEEP_NONE, tap_end, tap_finish };
