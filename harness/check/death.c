/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	death - what the helper did to the exchanges of a check: drops, crashes, a service gone
 * SYNOPSIS
 *	#include "harness/check/death.h"
 * DESCRIPTION
 *	See death.h. The requests are kept raw (bounded by DEATH_REQ_MAX)
 *	and written to the log line by line, escaped by report_io().
 * DIAGNOSTICS
 *	None.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness/check/death.h"

/* the log the verdict may add */
#define DEATH_ROOM	(16 * 1024)	/* report_io() cuts each line to 300 bytes */

/* death_init - a run against target t */
void death_init(struct death *h, const struct target *t)
{
	memset(h, 0, sizeof(*h));
	h->daemon = t->kind != TARGET_SPAWN;
	h->argv0 = t->kind == TARGET_SPAWN ? t->argv[0] : "";
}

/* death_begin - a new check: forget what the last one saw */
void death_begin(struct death *h)
{
	h->ended = h->dropped = h->died = 0;
	h->how[0] = '\0';
	h->at_len[0] = h->at_len[1] = 0;
}

/* death_opened - a new connection */
void death_opened(struct death *h)
{
	h->conn++;
}

/* death_sent - a request written: the last two are kept */
void death_sent(struct death *h, const char *p, size_t len)
{
	if (len > DEATH_REQ_MAX)
		len = DEATH_REQ_MAX;
	if (len == h->req_len[0] && memcmp(p, h->req[0], len) == 0) {
		h->req_conn[0] = h->conn;	/* the same request again: a retry */
		return;
	}
	memcpy(h->req[1], h->req[0], h->req_len[0]);
	h->req_len[1] = h->req_len[0];
	h->req_conn[1] = h->req_conn[0];
	memcpy(h->req[0], p, len);
	h->req_len[0] = len;
	h->req_conn[0] = h->conn;
}

/* capture - the requests in flight, once per check */
static void capture(struct death *h)
{
	if (h->at_len[0] > 0 || h->req_len[0] == 0)
		return;
	memcpy(h->at[0], h->req[0], h->req_len[0]);
	h->at_len[0] = h->req_len[0];
	/* a daemon keeps its memory across connections; a spawned helper does not */
	h->at_len[1] = 0;
	if (h->req_len[1] > 0 && (h->daemon || h->req_conn[1] == h->req_conn[0])) {
		memcpy(h->at[1], h->req[1], h->req_len[1]);
		h->at_len[1] = h->req_len[1];
	}
}

/* crashed - a spawned helper ended by a signal it was not sent */
static void crashed(struct death *h, const struct tconn *c)
{
	if (h->died || !tconn_crashed(c))
		return;
	h->died = 1;
	snprintf(h->how, sizeof(h->how), "the helper process was %s", tconn_exit_text(c));
	capture(h);
}

/* death_dropped - a connection ended while a reply was awaited */
void death_dropped(struct death *h, struct tconn *c, int postfix)
{
	h->ended = 1;
	if (postfix) {
		h->dropped = 1;
		capture(h);
	}
	if (c->pid > 0 && tconn_wait_exit(c, 300) == 1) {
		crashed(h, c);
		if (!h->died && h->how[0] == '\0')
			snprintf(h->how, sizeof(h->how), "the helper process ended (%s)",
				 tconn_exit_text(c));
	}
}

/*
 * death_closed - after tconn_close(): did a spawned helper crash, or end
 * badly only after the close (a note: spawn(8) logs it, Postfix's client
 * saw every reply)
 */
void death_closed(struct death *h, struct report *r, const struct tconn *c)
{
	crashed(h, c);
	if (!tconn_ended_after_close(c))
		return;
	if (WIFSIGNALED(c->exit_status))
		report_notice(r, "the helper was %s after fake-smtpd closed the connection, every "
			      "reply delivered: Postfix's client sees nothing; spawn(8) logs "
			      "\"warning: command %s killed by signal %d\"", tconn_exit_text(c),
			      h->argv0, WTERMSIG(c->exit_status));
	else
		report_notice(r, "the helper ended with %s after fake-smtpd closed the connection, "
			      "every reply delivered: Postfix's client sees nothing; spawn(8) logs "
			      "\"warning: command %s exit status %d\"", tconn_exit_text(c), h->argv0,
			      WEXITSTATUS(c->exit_status));
}

/* death_gone - a daemon that worked refuses connections */
void death_gone(struct death *h, const char *id)
{
	h->ended = 1;
	if (!h->gone)
		snprintf(h->gone_id, sizeof(h->gone_id), "%s", id);
	h->gone = 1;
	if (!h->died) {
		h->died = 1;
		snprintf(h->how, sizeof(h->how), "the service stopped accepting connections");
		capture(h);
	}
}

/* death_replayed - a data check did not pass: its replay's own connections ended, a spawned helper may have crashed */
void death_replayed(struct death *h, enum check_result res, const char *why)
{
	const char *p = strstr(why, DEATH_REPLAY_CRASH), *e;

	if (res == CHECK_PASS)
		return;
	h->ended = 1;
	if (h->daemon || h->died || p == NULL)
		return;
	p += strlen(DEATH_REPLAY_CRASH);
	e = strchr(p, ')');
	h->died = 1;
	snprintf(h->how, sizeof(h->how), "the helper process was %.*s", (int)(e ? e + 1 - p :
		 (long)strlen(p)), p);
}

/* death_probe_due - should the suite look whether a daemon is still there */
int death_probe_due(const struct death *h)
{
	return h->daemon && h->ended && !h->died && !h->gone;
}

/* show - a kept request, line by line */
static void show(struct report *r, const char *p, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i <= len; i++)
		if (i == len || p[i] == '\n') {
			if (i > start || i < len)
				report_io(r, 'C', p + start, i - start);
			start = i + 1;
		}
}

/* death_verdict - a death (or a dropped Postfix request) is the check's failure */
int death_verdict(struct death *h, struct report *r, const char *id, const char *consequence,
		  enum check_result *res, char *why, size_t size)
{
	if (!h->died && !(h->dropped && *res == CHECK_PASS))
		return 0;
	/* room for what follows, even after a long wire log */
	if (r->log.max - r->log.len < DEATH_ROOM) {
		size_t keep = r->log.max > 2 * DEATH_ROOM ? r->log.max - 2 * DEATH_ROOM : 0;

		if (r->log.len > keep)
			xbuf_truncate(&r->log, keep);
		report_note(r, "(the rest of this check's wire log is left out)");
	}
	if (h->at_len[0] > 0) {
		report_note(r, "the request in flight when it happened:");
		show(r, h->at[0], h->at_len[0]);
	}
	if (h->at_len[1] > 0) {
		report_note(r, "the request before it (the damage may have begun there):");
		show(r, h->at[1], h->at_len[1]);
	}
	if (h->died && h->first_id[0] != '\0' && strcmp(h->first_id, id) != 0) {
		/* it died before: the same fault, or one that shows only once that is fixed */
		*res = CHECK_BLOCKED;
		snprintf(why, size, "the helper died again here (%s); its death there comes first",
			 h->how);
		return 1;
	}
	*res = CHECK_FAIL;
	if (h->died && h->first_id[0] == '\0')
		snprintf(h->first_id, sizeof(h->first_id), "%s", id);
	if (h->died)
		snprintf(why, size, "the helper died during this check: %s. Postfix: %s", h->how,
			 consequence);
	else
		snprintf(why, size, "the helper closed the connection without the reply Postfix "
			 "waited for%s%s. Postfix: %s", h->how[0] ? ": " : "", h->how, consequence);
	return 0;
}
