/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_engine - the wire fuzzer's engine: connections, execs, replies
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz.h"
 *	#include "harness/fuzz/fuzz_engine.h"
 *
 *	int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res,
 *	             char *err, size_t errlen);
 *	void fuzz_request_stop(void);
 *	const char *fuzz_kind_name(enum fuzz_kind k);
 * DESCRIPTION
 *	See fuzz.h and fuzz_engine.h. One blocking connection at a time
 *	(tconn), which is what a Postfix smtpd process is to a helper; the
 *	cases come from fuzz_gen.c, the replies are judged by
 *	harness/postfix (pf_auth_handshake_line, pf_auth_judge,
 *	pf_pol_read_reply), each step is told Postfix-shaped or not by
 *	fuzz_shape.c, what ran is written as transcript statements by
 *	harness/script/transcript_write.c while it runs, and an ending
 *	that is a finding goes to fuzz_finding.c.
 *
 *	The statements: Postfix's own handshake is "handshake" (replay sends
 *	and judges it as Postfix does), another one its C: lines and
 *	"handshake nosend"; every line received is a comment; an answered
 *	step is followed by what a correct helper answers there: for a
 *	Postfix-shaped auth request a line "S~ /^(OK|FAIL|CONT)\tID(\t|$)/"
 *	(after "S: *" for each line Postfix skipped before it), for a
 *	Postfix-shaped policy request "S: action=*" for its action line,
 *	"S: *" for other attributes and "S:" for the empty line, and "S: *"
 *	for each line of a reply to what Postfix never sends.
 * DIAGNOSTICS
 *	Findings go to o->log (one line each) and to transcripts in the
 *	output directory; a live status line on stderr when it is a
 *	terminal and not o->quiet.
 */
#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/fuzz/fuzz_engine.h"
#include "harness/fuzz/fuzz_out.h"
#include "harness/fuzz/fuzz_sig.h"
#include "harness/postfix/pf_policy.h"
#include "harness/script/transcript_write.h"
#include "util/xmem.h"

static volatile sig_atomic_t fuzz_stop_flag;

/* fuzz_request_stop - end fuzz_run() after the current exec (signal-safe) */
void fuzz_request_stop(void)
{
	fuzz_stop_flag = 1;
}

/* fuzz_eng_stopping - was the run asked to stop */
int fuzz_eng_stopping(void)
{
	return fuzz_stop_flag != 0;
}

/* fuzz_eng_now_ms - the monotonic clock in milliseconds */
uint64_t fuzz_eng_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* fuzz_kind_name - "crash", "exit", "close", "down", "hang", "bad-reply" */
const char *fuzz_kind_name(enum fuzz_kind k)
{
	switch (k) {
	case FUZZ_CRASH: return "crash";
	case FUZZ_EXIT: return "exit";
	case FUZZ_CLOSE: return "close";
	case FUZZ_DOWN: return "down";
	case FUZZ_HANG: return "hang";
	case FUZZ_BAD_REPLY: return "bad-reply";
	case FUZZ_NKINDS: break;
	}
	return "?";
}

/* put - a statement of the transcript (a full buffer drops it) */
static void put(struct xbuf *tr, const char *s)
{
	if (tr != NULL)
		(void)!xbuf_append_str(tr, s);
}

/* seen - one received line as a comment */
static void seen(struct xbuf *tr, const char *line, size_t len)
{
	if (tr != NULL)
		(void)!twrite_seen(tr, 'S', line, len);
}

/* protocol_line - a line of the protocol (a reply meant for another request) */
static int protocol_line(const struct fuzz_eng *e, const char *line, size_t len)
{
	static const char *const words[] = {
		"OK", "FAIL", "CONT", "VERSION", "MECH", "SPID", "CUID", "COOKIE", "DONE",
	};
	size_t i, w;

	if (e->o->proto == FUZZ_PROTO_POLICY) {
		for (i = 0; i < len && (isalnum((unsigned char)line[i]) || line[i] == '_'); i++)
			;
		return i > 0 && i < len && line[i] == '=';
	}
	for (w = 0; w < len && line[w] != '\t'; w++)
		;
	for (i = 0; i < N_ELEMENTS(words); i++)
		if (strlen(words[i]) == w && memcmp(line, words[i], w) == 0)
			return 1;
	return 0;
}

/* note_last - the helper's last words: a line that is not the protocol, printable */
static void note_last(struct fuzz_eng *e, const char *line, size_t len)
{
	size_t i, n = len < sizeof(e->last) - 1 ? len : sizeof(e->last) - 1;

	if (len == 0 || (len == 1 && line[0] == '\r') || protocol_line(e, line, len))
		return;
	for (i = 0; i < n; i++)
		e->last[i] = (unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f ?
			     '?' : line[i];
	e->last[n] = '\0';
}

static void set_why(struct fuzz_eng *e, const char *fmt, ...) ATTR_PRINTF(2, 3);

/* set_why - what went wrong, in printable ASCII */
static void set_why(struct fuzz_eng *e, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	(void)vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	for (i = 0; e->why[i]; i++)
		if ((unsigned char)e->why[i] < 0x20 || (unsigned char)e->why[i] >= 0x7f)
			e->why[i] = '?';
}

/* expect_auth_reply - a line Postfix takes as the reply to request id */
static void expect_auth_reply(struct xbuf *tr, unsigned id)
{
	if (tr != NULL)
		(void)!xbuf_printf(tr, "S~ /^(OK|FAIL|CONT)\\t%u(\\t|$)/\n", id);
}

/* fp_text - the start of a text into the fingerprint, normalized */
static void fp_text(struct fuzz_eng *e, const char *p, size_t len)
{
	char raw[32], norm[32];
	size_t n = len < sizeof(raw) - 1 ? len : sizeof(raw) - 1;

	memcpy(raw, p, n);
	raw[n] = '\0';
	fuzz_sig_norm(norm, sizeof(norm), raw);
	e->fp = fuzz_fp_add(e->fp, norm, strlen(norm) + 1);
}

/* fp_auth - an auth verdict: its word, its fields' names, reason and code */
static void fp_auth(struct fuzz_eng *e, const char *line, size_t len)
{
	size_t i = 0, f = 0;

	while (i <= len) {
		const char *t = memchr(line + i, '\t', len - i);
		size_t n = t ? (size_t)(t - (line + i)) : len - i;
		const char *eq = memchr(line + i, '=', n);
		size_t name = eq ? (size_t)(eq - (line + i)) : n;

		if (f != 1)	/* the id is the request's */
			e->fp = fuzz_fp_add(e->fp, line + i, name + 1);
		if (eq && (name == 6 || name == 4) &&
		    (memcmp(line + i, "reason", 6) == 0 || memcmp(line + i, "code", 4) == 0))
			fp_text(e, eq + 1, n - name - 1);
		i += n + 1;
		f++;
	}
}

/* read_line - the next line of the reply under way, within its deadline and its
   byte budget: 1 a line, 0 timeout, -1 EOF, -2 too long, -3 over FUZZ_REPLY_MAX */
static int read_line(struct fuzz_eng *e, const char **line, size_t *len)
{
	uint64_t now = fuzz_eng_now_ms();
	int rc;

	if (now >= e->reply_by) {
		e->cut = e->stop_at != 0 && e->reply_by >= e->stop_at;
		return 0;
	}
	rc = tconn_read_line(&e->c, (int)(e->reply_by - now), line, len);
	if (rc == 0)
		e->cut = e->stop_at != 0 && e->reply_by >= e->stop_at;
	if (rc == 1 && (e->reply_bytes += *len + 1) > FUZZ_REPLY_MAX)
		return -3;
	return rc;
}

/* reply_due - a reply is due from now: its deadline and budget */
static void reply_due(struct fuzz_eng *e)
{
	e->reply_by = fuzz_eng_now_ms() + (uint64_t)e->o->timeout_ms;
	if (e->stop_at != 0 && e->stop_at < e->reply_by)
		e->reply_by = e->stop_at;
	e->reply_bytes = 0;
}

/* read_handshake - Postfix's reading up to DONE */
static enum fuzz_ending read_handshake(struct fuzz_eng *e, struct xbuf *tr)
{
	enum fuzz_ending end = FUZZ_END_OK;

	pf_auth_handshake_init(&e->hs, &e->v);
	for (;;) {
		const char *line;
		size_t len;
		int rc = read_line(e, &line, &len);

		if (rc == 0) {
			set_why(e, "no handshake (up to DONE) within %d ms", e->o->timeout_ms);
			end = FUZZ_END_HANG;
			break;
		}
		if (rc == -2 || rc == -3) {
			if (rc == -2)
				set_why(e, "handshake line longer than %d bytes", TCONN_MAX_LINE);
			else
				set_why(e, "more than %d bytes of handshake without DONE", FUZZ_REPLY_MAX);
			end = FUZZ_END_BAD;
			break;
		}
		if (rc < 0) {
			e->waiting = 1;
			end = FUZZ_END_CLOSED;
			break;
		}
		seen(tr, line, len);
		note_last(e, line, len);
		rc = pf_auth_handshake_line(&e->hs, line, len);
		if (rc == -1 || rc == -2) {
			set_why(e, "Postfix %s the handshake: %s", rc == -1 ? "refuses" : "crashes on",
				e->hs.why);
			end = FUZZ_END_BAD;
			break;
		}
		if (rc == 1)
			break;
	}
	if (end == FUZZ_END_OK) {
		e->last[0] = '\0';
		e->usable = e->ever_usable = 1;
	}
	if (e->hs_std) {
		e->end_written = 1;	/* "handshake" itself fails on replay */
	} else if (end == FUZZ_END_OK) {
		put(tr, "handshake nosend\n");	/* replay reads and judges it as Postfix does */
	}
	return end;
}

/* read_auth - replies until Postfix's verdict for id; *more: it was CONT */
static enum fuzz_ending read_auth(struct fuzz_eng *e, unsigned id, struct xbuf *tr, int *more)
{
	unsigned skipped = 0;

	*more = 0;
	for (;;) {
		struct pf_auth_verdict v;
		const char *line;
		size_t len;
		int rc = read_line(e, &line, &len);

		if (rc == 0) {
			set_why(e, "no reply to request %u within %d ms%s", id, e->o->timeout_ms,
				skipped ? " (only lines Postfix skips)" : "");
			return FUZZ_END_HANG;
		}
		if (rc == -2 || rc == -3) {
			if (rc == -2)
				set_why(e, "reply line longer than %d bytes", TCONN_MAX_LINE);
			else
				set_why(e, "more than %d bytes of lines Postfix skips before the reply",
					FUZZ_REPLY_MAX);
			if (e->step_shaped) {
				while (skipped-- > 0)
					put(tr, "S: *\n");
				expect_auth_reply(tr, id);
				e->end_written = 1;
			}
			return FUZZ_END_BAD;
		}
		if (rc < 0) {
			e->waiting = 1;
			return FUZZ_END_CLOSED;
		}
		seen(tr, line, len);
		pf_auth_judge(&e->v, id, line, len, &v);
		if (v.outcome == PF_AUTH_SKIP) {
			note_last(e, line, len);
			skipped++;
			continue;
		}
		while (skipped-- > 0)
			put(tr, "S: *\n");
		if (e->step_shaped)
			expect_auth_reply(tr, id);
		else
			put(tr, "S: *\n");
		fp_auth(e, line, len);
		e->last[0] = '\0';
		*more = v.outcome == PF_AUTH_MORE;
		return FUZZ_END_OK;
	}
}

/* policy_expect - what a correct service answers, one statement per line received */
static void policy_expect(const struct fuzz_eng *e, const struct xbuf *got, struct xbuf *tr)
{
	size_t i = 0;
	int have_action = 0;

	while (i < got->len) {
		const char *p = got->data + i, *nl = memchr(p, '\n', got->len - i);
		size_t n = nl ? (size_t)(nl - p) : got->len - i;

		if (n == 0) {
			put(tr, "S:\n");
		} else if (e->step_shaped && !have_action && n >= 7 &&
			   memcmp(p, "action=", 7) == 0) {
			put(tr, "S: action=*\n");
			have_action = 1;
		} else {
			put(tr, "S: *\n");
		}
		i += n + 1;
	}
}

/* policy_end - the statements after a policy reply, by how it ended */
static void policy_end(struct fuzz_eng *e, enum fuzz_ending end, int decided,
		       const struct pf_pol_read *rd, const struct xbuf *got, struct xbuf *tr)
{
	if (end == FUZZ_END_BAD && decided) {
		/* what Postfix needs, where it got what it chokes on */
		e->end_written = 1;
		put(tr, rd->ok ? "S: action=*\nS:\nexpect silence 200ms\n" : "S: action=*\nS:\n");
	} else if (end == FUZZ_END_OK) {
		policy_expect(e, got, tr);
	}
}

/* read_policy - one reply as Postfix's attr_clnt reads it */
static enum fuzz_ending read_policy(struct fuzz_eng *e, struct xbuf *tr)
{
	struct xbuf got;
	struct pf_pol_read rd;
	enum fuzz_ending end = FUZZ_END_OK;
	int decided = 0;

	memset(&rd, 0, sizeof(rd));
	xbuf_init(&got, 4 * TCONN_MAX_LINE);
	while (!decided) {
		const char *line;
		size_t len;
		int rc = read_line(e, &line, &len);

		if (rc == 1) {
			seen(tr, line, len);
			note_last(e, line, len);
			if (xbuf_append(&got, line, len) < 0 || xbuf_append_char(&got, '\n') < 0) {
				set_why(e, "policy reply longer than %d bytes", 4 * TCONN_MAX_LINE);
				end = FUZZ_END_BAD;
				break;
			}
			if (pf_pol_read_reply(got.data, got.len, PF_POL_END_NONE, 0, &rd) == 1)
				decided = 1;
			continue;
		}
		if (rc == -2 || rc == -3) {
			if (rc == -2)
				set_why(e, "reply line longer than %d bytes", TCONN_MAX_LINE);
			else
				set_why(e, "more than %d bytes before the reply", FUZZ_REPLY_MAX);
			end = FUZZ_END_BAD;
			break;
		}
		if (got.len == 0) {
			if (rc == 0) {
				set_why(e, "no reply within %d ms", e->o->timeout_ms);
				end = FUZZ_END_HANG;
			} else {
				e->waiting = 1;
				end = FUZZ_END_CLOSED;
			}
			break;
		}
		(void)pf_pol_read_reply(got.data, got.len, rc == 0 ? PF_POL_END_TIMEOUT :
					PF_POL_END_EOF, 0, &rd);
		decided = 1;
		if (rc < 0)
			end = FUZZ_END_CLOSED;	/* a crash cut it? the caller looks */
	}
	if (decided && !rd.ok) {
		set_why(e, "Postfix counts this reply as a failed try: %s", rd.why);
		if (end == FUZZ_END_CLOSED)
			e->cut_reply = 1;	/* a bad reply unless the helper crashed */
		else
			end = FUZZ_END_BAD;
	} else if (decided && linebuf_pending(&e->c.lb) > 0) {
		set_why(e, "bytes after the reply: Postfix finds the stream readable before its "
			"next request, a failed try");
		end = FUZZ_END_BAD;
	}
	if (decided && rd.ok) {
		const char *sp = memchr(rd.action.p, ' ', rd.action.len);
		size_t w = sp ? (size_t)(sp - rd.action.p) : rd.action.len;

		e->fp = fuzz_fp_add(e->fp, rd.action.p, w + 1);
		if (sp)
			fp_text(e, sp + 1, rd.action.len - w - 1);
		e->last[0] = '\0';
	}
	e->usable |= got.len > 0;	/* it answers, if not always well */
	e->ever_usable |= e->usable;
	policy_end(e, end, decided, &rd, &got, tr);
	xbuf_free(&got);
	return end;
}

/* step_shaped - is this step what Postfix sends */
static int step_shaped(struct fuzz_eng *e, const struct fuzz_step *s, const char *p)
{
	unsigned id;

	switch (s->due) {
	case FUZZ_DUE_HANDSHAKE:
		e->hs_std = fuzz_shape_handshake(p, s->len, (unsigned)getpid());
		return e->hs_std;
	case FUZZ_DUE_AUTH:
		return e->hs_std && fuzz_shape_auth(&e->hs, &e->shape, p, s->len, &id) &&
		       id == s->id;
	case FUZZ_DUE_POLICY:
		return fuzz_shape_policy(p, s->len);
	case FUZZ_DUE_NONE:
		break;
	}
	return 0;
}

/* auth_step - read the reply to an AUTH or CONT step; what Postfix then knows */
static enum fuzz_ending auth_step(struct fuzz_eng *e, const char *p, unsigned id, struct xbuf *tr,
				  int *more)
{
	enum fuzz_ending end = read_auth(e, id, tr, more);

	if (end != FUZZ_END_OK)
		return end;
	if (e->step_shaped && memcmp(p, "AUTH\t", 5) == 0)
		e->shape.last_id = id;
	e->shape.cont_id = e->step_shaped && *more ? id : 0;
	return end;
}

/* fuzz_eng_case - send a case step by step, read what is due */
enum fuzz_ending fuzz_eng_case(struct fuzz_eng *e, const struct fuzz_case *fc, struct xbuf *tr)
{
	unsigned i;

	e->end_written = 0;
	e->waiting = 0;
	e->case_shaped = 1;
	e->last[0] = '\0';
	e->fp = FUZZ_FP_SEED;
	e->cut = 0;
	for (i = 0; i < fc->nsteps; i++) {
		const struct fuzz_step *s = &fc->step[i];
		const char *p = fc->buf.data + s->off;
		enum fuzz_ending end = FUZZ_END_OK;
		int more = 0;

		e->where = s->due == FUZZ_DUE_HANDSHAKE ? FUZZ_AT_HANDSHAKE : FUZZ_AT_REQUEST;
		e->step_shaped = step_shaped(e, s, p);
		e->case_shaped &= e->step_shaped;
		e->clean &= e->step_shaped;
		e->wait_id = s->id;
		if (s->due == FUZZ_DUE_HANDSHAKE && e->step_shaped)
			put(tr, "handshake\n");
		else if (tr != NULL && twrite_send(tr, NULL, p, s->len, 0) < 0)
			tr = NULL;
		e->bytes += s->len;
		if (tconn_write(&e->c, p, s->len, e->o->timeout_ms) < 0)
			return FUZZ_END_CLOSED;
		reply_due(e);
		switch (s->due) {
		case FUZZ_DUE_NONE:
			continue;
		case FUZZ_DUE_HANDSHAKE:
			end = read_handshake(e, tr);
			break;
		case FUZZ_DUE_AUTH:
			end = auth_step(e, p, s->id, tr, &more);
			if (end == FUZZ_END_OK && !more)
				return FUZZ_END_OK;	/* OK or FAIL: the rest is not sent */
			break;
		case FUZZ_DUE_POLICY:
			end = read_policy(e, tr);
			break;
		}
		if (end != FUZZ_END_OK)
			return end;
	}
	return FUZZ_END_OK;
}

/* fuzz_eng_open - a new connection to the target (a spawned helper is started) */
int fuzz_eng_open(struct fuzz_eng *e, char *err, size_t errlen)
{
	struct tconn_options to;

	memset(&to, 0, sizeof(to));
	to.stderr_apart = e->o->stderr_apart;
	to.connect_timeout_ms = e->o->timeout_ms;
	if (tconn_open(e->o->target, &to, &e->c, err, errlen) < 0)
		return -1;
	e->open = 1;
	e->res->connections++;
	e->hs_std = e->o->proto == FUZZ_PROTO_POLICY;
	e->clean = 1;
	memset(&e->shape, 0, sizeof(e->shape));
	pf_auth_handshake_init(&e->hs, &e->v);
	return 0;
}

/* fuzz_eng_close - close the connection (a spawned helper is reaped) */
void fuzz_eng_close(struct fuzz_eng *e)
{
	if (!e->open)
		return;
	tconn_close(&e->c);
	xbuf_free(&e->c.err);
	e->open = 0;
}

/* hist_clear - forget the connection's history */
static void hist_clear(struct fuzz_eng *e)
{
	size_t i;

	for (i = 0; i < e->nu; i++) {
		fuzz_case_free(&e->u[i].c);
		xbuf_free(&e->u[i].tr);
	}
	e->nu = 0;
	e->bytes = 0;
}

/* hist_add - a copy of the case as the next unit of the history */
static struct fuzz_unit *hist_add(struct fuzz_eng *e, const struct fuzz_case *c)
{
	struct fuzz_unit *u;

	if (e->nu == e->capu) {
		e->capu = e->capu ? 2 * e->capu : 64;
		e->u = xrealloc(e->u, e->capu * sizeof(*e->u));
	}
	u = &e->u[e->nu++];
	fuzz_case_init(&u->c);
	u->c.nsteps = c->nsteps;
	memcpy(u->c.step, c->step, sizeof(c->step));
	memcpy(u->c.what, c->what, sizeof(c->what));
	if (c->buf.len && xbuf_append(&u->c.buf, c->buf.data, c->buf.len) < 0)
		u->c.nsteps = 0;
	xbuf_init(&u->tr, FUZZ_TR_MAX);
	u->shaped = 0;
	return u;
}

/* ended - after EOF: did a spawned helper end on its own (1, with its status) */
static int ended(struct fuzz_eng *e, int *status, char *detail, size_t size)
{
	if (e->c.pid <= 0 || tconn_wait_exit(&e->c, 2000) != 1)
		return 0;
	*status = e->c.exit_status;
	snprintf(detail, size, "%s", tconn_exit_text(&e->c));
	return 1;
}

/* fuzz_eng_classify - the finding an ending is, or -1 */
int fuzz_eng_classify(struct fuzz_eng *e, enum fuzz_ending end, int dirty_ok, int *status,
		      char *detail, size_t size)
{
	int shaped = e->step_shaped && e->hs_std && (e->clean || dirty_ok), died;

	*status = 0;
	snprintf(detail, size, "%s", e->why);
	switch (end) {
	case FUZZ_END_OK:
		return -1;
	case FUZZ_END_HANG:
		return shaped && !e->cut ? FUZZ_HANG : -1;
	case FUZZ_END_BAD:
		return shaped ? FUZZ_BAD_REPLY : -1;
	case FUZZ_END_CLOSED:
		break;
	}
	died = ended(e, status, detail, size);
	if (died && WIFSIGNALED(*status) && !e->c.killed)
		return FUZZ_CRASH;
	if (shaped && e->waiting) {
		if (died && WIFEXITED(*status) && WEXITSTATUS(*status) != 0)
			return FUZZ_EXIT;
		*status = 0;
		if (e->where == FUZZ_AT_HANDSHAKE)
			snprintf(detail, size, "the connection closed in the handshake%s%s%s",
				 died ? " (" : "", died ? tconn_exit_text(&e->c) : "", died ? ")" : "");
		else
			snprintf(detail, size, "the connection closed while Postfix waited for the "
				 "reply%s%s%s", died ? " (" : "", died ? tconn_exit_text(&e->c) : "",
				 died ? ")" : "");
		return FUZZ_CLOSE;
	}
	if (shaped && e->cut_reply) {
		*status = 0;
		snprintf(detail, size, "%s", e->why);
		return FUZZ_BAD_REPLY;
	}
	return -1;
}

/* begin - a connection is open: a new history; auth starts with the handshake */
static enum fuzz_ending begin(struct fuzz_eng *e)
{
	struct fuzz_unit *u;
	enum fuzz_ending end;

	hist_clear(e);
	e->cut_reply = 0;
	e->usable = 0;
	if (e->o->proto != FUZZ_PROTO_AUTH)
		return FUZZ_END_OK;
	e->ast.next_id = 1;
	e->ast.last_id = 0;
	fuzz_gen_handshake(&e->rng, (unsigned)getpid(), fuzz_rng_below(&e->rng, 10) == 0, &e->gen);
	u = hist_add(e, &e->gen);
	end = fuzz_eng_case(e, &u->c, &u->tr);
	u->shaped = e->case_shaped;
	return end;
}

/* status_line - the live line on a terminal */
static void status_line(const struct fuzz_eng *e, uint64_t t0)
{
	double el = (double)(fuzz_eng_now_ms() - t0) / 1000.0;

	fprintf(stderr, "\r%llu execs  %.0f exec/s  %llu connections  %llu findings (%u signatures)   ",
		(unsigned long long)e->res->execs, el > 0 ? (double)e->res->execs / el : 0.0,
		(unsigned long long)e->res->connections,
		(unsigned long long)fuzz_result_findings(e->res), e->res->nsig);
}

/* down - a daemon that closed: does it still accept connections? */
static int down(struct fuzz_eng *e, char *detail, size_t size)
{
	struct tconn_options to;
	struct tconn c;
	char err[300];

	if (e->o->target->kind == TARGET_SPAWN)
		return 0;
	fuzz_eng_close(e);
	memset(&to, 0, sizeof(to));
	to.connect_timeout_ms = e->o->timeout_ms;
	if (tconn_open(e->o->target, &to, &c, err, sizeof(err)) == 0) {
		e->res->connections++;
		tconn_close(&c);
		xbuf_free(&c.err);
		return 0;
	}
	xbuf_free(&c.err);
	snprintf(detail, size, "the daemon stopped accepting connections: %s", err);
	snprintf(e->why, sizeof(e->why), "%s", detail);
	return 1;
}

/* confirmed - a finding on a connection that saw what Postfix never sends: does
   the last case alone, after Postfix's handshake, end the same way? */
static int confirmed(struct fuzz_eng *e, int kind, int status)
{
	unsigned char *keep;
	size_t i;
	int same;

	if (kind == FUZZ_CRASH || e->clean || e->nu == 0)
		return 1;
	fuzz_eng_close(e);
	keep = xcalloc(e->nu, 1);
	for (i = 0; i < e->nu; i++)
		keep[i] = i + 1 == e->nu ||
			  (i == 0 && e->u[0].c.step[0].due == FUZZ_DUE_HANDSHAKE);
	same = fuzz_rerun(e, keep, (enum fuzz_kind)kind, status, NULL);
	free(keep);
	return same;
}

/* after - what the ending of a case means */
static void after(struct fuzz_eng *e, enum fuzz_ending end)
{
	char detail[400];
	int status = 0, kind;

	if (end == FUZZ_END_OK) {
		if (e->nu >= e->o->reconnect_every || e->bytes > 256 * 1024)
			fuzz_eng_close(e);
		return;
	}
	kind = fuzz_eng_classify(e, end, 1, &status, detail, sizeof(detail));
	if (kind == FUZZ_CLOSE && down(e, detail, sizeof(detail)))
		kind = FUZZ_DOWN;
	if (kind >= 0 && kind != FUZZ_DOWN && !confirmed(e, kind, status))
		kind = -1;
	if (kind >= 0)
		fuzz_finding(e, (enum fuzz_kind)kind, status, detail);
	e->down |= kind == FUZZ_DOWN;
	fuzz_eng_close(e);	/* the history stays until the next connection begins */
}

/* next_case - kept inputs first, then their mutations mixed with generated cases;
   1: a kept input sent again as it is */
static int next_case(struct fuzz_eng *e)
{
	struct fuzz_corpus *cp = &e->cp;
	int policy = e->o->proto == FUZZ_PROTO_POLICY;
	const struct xbuf *base = NULL;
	struct xbuf mutated;
	int again = 0;

	xbuf_init(&mutated, FUZZ_CORPUS_FILE_MAX);
	if (e->replayed < cp->n) {
		base = &cp->ent[e->replayed++];
		again = 1;
	} else if (cp->n > 0 && fuzz_rng_below(&e->rng, 4) == 0) {
		fuzz_corpus_mutate(&e->rng, &cp->ent[fuzz_rng_below(&e->rng, cp->n)],
				   &cp->ent[fuzz_rng_below(&e->rng, cp->n)], policy, &mutated);
		base = &mutated;
	}
	if (base == NULL || fuzz_case_from_bytes(base->data, base->len, policy,
						 e->ast.next_id ? e->ast.next_id : 1, &e->gen) == 0) {
		again = 0;
		if (policy)
			fuzz_gen_policy(&e->rng, &e->v, &e->gen);
		else
			fuzz_gen_auth(&e->rng, &e->ast, &e->gen);
	} else if (!policy) {
		e->ast.last_id = e->ast.next_id ? e->ast.next_id : 1;
		e->ast.next_id = e->ast.last_id + 1;
		if (base == &mutated)
			snprintf(e->gen.what, sizeof(e->gen.what), "a kept input, mutated");
	}
	xbuf_free(&mutated);
	return again;
}

/* exec_one - the next case on the open connection */
static void exec_one(struct fuzz_eng *e)
{
	struct fuzz_unit *u;
	enum fuzz_ending end;
	int again = next_case(e);

	u = hist_add(e, &e->gen);
	e->res->execs++;
	end = fuzz_eng_case(e, &u->c, &u->tr);
	u->shaped = e->case_shaped;
	e->fp = fuzz_fp_add(e->fp, &end, sizeof(end));
	if (e->cp.dirfd >= 0 && fuzz_corpus_novel(&e->cp, e->fp) && !again &&
	    fuzz_corpus_keep(&e->cp, &u->c) > 0)
		e->res->corpus_kept++;
	after(e, end);
}

/* start - a connection is open: its handshake; one that fails counts as an exec */
static void start(struct fuzz_eng *e)
{
	enum fuzz_ending end = begin(e);

	if (end != FUZZ_END_OK)
		e->res->execs++;
	after(e, end);
}

/* unusable - a connection ended: was it the last of too many without a reply? */
static int unusable(struct fuzz_eng *e)
{
	e->unusable = e->usable ? 0 : e->unusable + 1;
	if (e->unusable < FUZZ_UNUSABLE_MAX)
		return 0;
	e->res->unusable = 1;
	snprintf(e->res->stopped, sizeof(e->res->stopped), "no reply came on %u connections in a "
		 "row: the target is not usable%s%.200s%s", e->unusable, e->why[0] ? " (" : "",
		 e->why, e->why[0] ? ")" : "");
	return 1;
}

/* reopen - a new connection; a refused one is a finding that ends the run */
static int reopen(struct fuzz_eng *e)
{
	char err[300], detail[360];

	if (fuzz_eng_open(e, err, sizeof(err)) < 0) {
		/* the last connection's history is still here */
		snprintf(detail, sizeof(detail), "the daemon stopped accepting connections: %s", err);
		snprintf(e->why, sizeof(e->why), "%s", detail);
		e->step_shaped = 0;
		fuzz_finding(e, FUZZ_DOWN, 0, detail);
		return -1;
	}
	start(e);
	return 0;
}

/* loop - execs until a limit or a stop request */
static void loop(struct fuzz_eng *e, uint64_t t0, uint64_t stop_at)
{
	const struct fuzz_options *o = e->o;
	int tty = !o->quiet && isatty(STDERR_FILENO);
	uint64_t last_status = 0;

	while (!fuzz_stop_flag && !e->down) {
		if (o->max_findings && fuzz_result_findings(e->res) >= o->max_findings)
			break;
		if (o->iterations && e->res->execs >= o->iterations)
			break;
		if ((e->res->execs & 15) == 0 || !e->open) {
			uint64_t now = fuzz_eng_now_ms();

			if (stop_at && now >= stop_at)
				break;
			if (tty && now - last_status >= 500) {
				status_line(e, t0);
				last_status = now;
			}
		}
		if (!e->open) {
			if (unusable(e) || reopen(e) < 0)
				break;
			continue;
		}
		exec_one(e);
	}
	if (tty) {
		status_line(e, t0);
		fputc('\n', stderr);
	}
}

/*
 * never_answered - the run's time ran out before any connection got a
 * handshake or a reply (one that streams a handshake without end, within
 * --timeout): the target is not usable, which a run without findings must
 * not hide
 */
static void never_answered(struct fuzz_eng *e)
{
	struct fuzz_result *res = e->res;

	if (e->ever_usable || fuzz_stop_flag || res->unusable || res->stopped[0] ||
	    fuzz_result_findings(res) > 0)
		return;
	res->unusable = 1;
	snprintf(res->stopped, sizeof(res->stopped), "the run's time ran out (%.1f s) before "
		 "the target answered on any of %llu connection%s: the target is not usable%s",
		 res->elapsed, (unsigned long long)res->connections, res->connections == 1 ? "" : "s",
		 e->cut ? " (a reply or handshake was still under way; --timeout is longer "
			  "than the run)" : "");
}

/* fuzz_run - execs until a limit, a stop request or a refused connection */
int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res, char *err, size_t errlen)
{
	struct fuzz_eng *e = xcalloc(1, sizeof(*e));
	uint64_t t0, stop_at;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->sig = xcalloc(FUZZ_MAX_SIGS, sizeof(*res->sig));
	e->cp.dirfd = -1;
	e->outfd = -1;
	e->o = o;
	e->res = res;
	e->v = o->version;
	if (e->v.major == 0)
		pf_version_newest(&e->v);
	fuzz_rng_seed(&e->rng, o->seed);
	fuzz_case_init(&e->gen);
	fuzz_stop_flag = 0;
	if (o->out != NULL && (e->outfd = fuzz_dir_open(o->out, err, errlen)) < 0) {
		rc = -1;
		goto out;
	}
	if (o->corpus != NULL && fuzz_corpus_open(&e->cp, o->corpus, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	res->corpus_loaded = e->cp.n;
	t0 = fuzz_eng_now_ms();
	stop_at = o->seconds > 0 ? t0 + (uint64_t)(o->seconds * 1000.0) : 0;
	if (fuzz_eng_open(e, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	e->stop_at = stop_at;
	start(e);
	loop(e, t0, stop_at);
	res->elapsed = (double)(fuzz_eng_now_ms() - t0) / 1000.0;
	never_answered(e);
out:
	fuzz_eng_close(e);
	fuzz_corpus_close(&e->cp);
	if (e->outfd >= 0)
		close(e->outfd);
	hist_clear(e);
	free(e->u);
	fuzz_case_free(&e->gen);
	free(e);
	return rc;
}

/* fuzz_result_free - what fuzz_run() allocated */
void fuzz_result_free(struct fuzz_result *res)
{
	free(res->sig);
	res->sig = NULL;
	res->nsig = 0;
}
