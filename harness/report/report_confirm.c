/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report_confirm - real Postfix's replies beside the predictions
 *	(check --confirm), in every format
 * SYNOPSIS
 *	#include "harness/report/report.h"
 *
 *	void report_confirm(struct report *r, const char *id,
 *	                    const struct report_confirmed *c);
 * DESCRIPTION
 *	Called after the checks, before report_finish(), once per failed
 *	check that was run again through real Postfix. Text and TAP write
 *	it at once: text a "CONFIRM" block (status, then each SMTP command
 *	with the predicted and the real reply, then the note; a
 *	disagreement is marked "!! DISAGREE" and in bold red with colour),
 *	TAP the same as "# " lines. JUnit and JSON keep a copy in the
 *	check's entry (report_confirm_free() frees it) for their finish():
 *	JSON as the check's "confirmed" object, JUnit as confirm.*
 *	properties and the pairs in <system-err>.
 *	Texts are cleaned as report.h says.
 * DIAGNOSTICS
 *	An id with no entry (JUnit, JSON) is ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/report_int.h"
#include "util/xmem.h"

/* copy - a deep copy of c */
static struct report_confirmed *copy(const struct report_confirmed *c)
{
	struct report_confirmed *k = xcalloc(1, sizeof(*k));
	char **cmd = xcalloc(c->n + 1, sizeof(char *)), **want = xcalloc(c->n + 1, sizeof(char *));
	char **real = xcalloc(c->n + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < c->n; i++) {
		cmd[i] = xstrdup(c->command[i]);
		want[i] = xstrdup(c->predicted[i]);
		real[i] = xstrdup(c->real[i]);
	}
	k->status = xstrdup(c->status);
	k->agree = c->agree;
	k->n = c->n;
	k->command = (const char *const *)cmd;
	k->predicted = (const char *const *)want;
	k->real = (const char *const *)real;
	k->note = xstrdup(c->note ? c->note : "");
	return k;
}

void report_confirm_free(struct report_confirmed *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++) {
		report_free_copy(k->command[i]);
		report_free_copy(k->predicted[i]);
		report_free_copy(k->real[i]);
	}
	report_free_copy(k->command);
	report_free_copy(k->predicted);
	report_free_copy(k->real);
	report_free_copy(k->status);
	report_free_copy(k->note);
	free(k);
}

/* lines - the block, each line behind prefix, into out */
static void lines(const struct report *r, const char *id, const struct report_confirmed *c,
		  const char *prefix, struct xbuf *out)
{
	struct xbuf s;
	int loud = strcmp(c->status, "disagree") == 0;
	size_t i;

	xbuf_init(&s, REPORT_MAX_FIELD);
	(void)!xbuf_printf(out, "%s%sCONFIRM  %s  %s%s\n", prefix,
			   loud && r->color ? "\033[1;31m" : "", id,
			   loud ? "!! DISAGREE: real Postfix answered otherwise" : c->status,
			   loud && r->color ? "\033[0m" : "");
	for (i = 0; i < c->n; i++) {
		int same = strcmp(c->predicted[i], c->real[i]) == 0;

		(void)!xbuf_printf(out, "%s      %s\n", prefix,
				   report_clean_str(&s, c->command[i], REPORT_CLEAN_LINE));
		(void)!xbuf_printf(out, "%s        predicted:    %s\n", prefix,
				   report_clean_str(&s, c->predicted[i], REPORT_CLEAN_LINE));
		(void)!xbuf_printf(out, "%s        real Postfix: %s%s\n", prefix,
				   report_clean_str(&s, c->real[i], REPORT_CLEAN_LINE),
				   same ? "" : "   <== DISAGREE");
	}
	if (c->note && c->note[0])
		(void)!xbuf_printf(out, "%s      %s\n", prefix,
				   report_clean_str(&s, c->note, REPORT_CLEAN_LINE));
	xbuf_free(&s);
}

void report_confirm(struct report *r, const char *id, const struct report_confirmed *c)
{
	struct xbuf out;
	size_t i;

	if (r->format == REPORT_TEXT || r->format == REPORT_TAP) {
		xbuf_init(&out, 4 * REPORT_MAX_FIELD);
		lines(r, id, c, r->format == REPORT_TAP ? "# " : "", &out);
		fwrite(out.data, 1, out.len, r->out);
		xbuf_free(&out);
		return;
	}
	for (i = 0; i < r->nentries; i++)
		if (strcmp(r->entries[i].id, id) == 0) {
			report_confirm_free(r->entries[i].confirmed);
			r->entries[i].confirmed = copy(c);
			return;
		}
}
