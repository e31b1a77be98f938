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
 *	pf_pol_read_reply), what ran is written as transcript statements by
 *	harness/script/transcript_write.c while it runs, and an ending
 *	that is a finding goes to fuzz_finding.c.
 * DIAGNOSTICS
 *	Findings go to stdout (one line each) and to transcripts in the
 *	output directory; a live status line on stderr when it is a
 *	terminal and not o->quiet.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/fuzz/fuzz_engine.h"
#include "harness/postfix/pf_auth.h"
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

/* fuzz_kind_name - "crash", "exit", "down", "hang", "bad-reply" */
const char *fuzz_kind_name(enum fuzz_kind k)
{
	switch (k) {
	case FUZZ_CRASH: return "crash";
	case FUZZ_EXIT: return "exit";
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
	(void)!xbuf_append_str(tr, s);
}

/* seen - one received line: a comment with its text, and "S: *" */
static void seen(struct xbuf *tr, const char *line, size_t len, int match_any)
{
	if (tr == NULL || twrite_seen(tr, 'S', line, len) < 0)
		return;
	if (match_any)
		put(tr, "S: *\n");
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

/* read_handshake - Postfix's reading up to DONE */
static enum fuzz_ending read_handshake(struct fuzz_eng *e, struct xbuf *tr)
{
	struct pf_auth_handshake h;
	enum fuzz_ending end = FUZZ_END_OK;
	unsigned n = 0;

	pf_auth_handshake_init(&h, &e->v);
	for (;;) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(&e->c, e->o->timeout_ms, &line, &len);

		if (rc == 0) {
			set_why(e, "no handshake (up to DONE) within %d ms", e->o->timeout_ms);
			end = FUZZ_END_HANG;
			break;
		}
		if (rc == -2) {
			set_why(e, "handshake line longer than %d bytes", TCONN_MAX_LINE);
			end = FUZZ_END_BAD;
			break;
		}
		if (rc < 0) {
			end = FUZZ_END_CLOSED;
			break;
		}
		seen(tr, line, len, 0);
		n++;
		rc = pf_auth_handshake_line(&h, line, len);
		if (rc == -1 || rc == -2) {
			set_why(e, "Postfix %s the handshake: %s", rc == -1 ? "refuses" : "crashes on",
				h.why);
			end = FUZZ_END_BAD;
			break;
		}
		if (rc == 1)
			break;
	}
	if (tr == NULL)
		return end;
	if (end == FUZZ_END_CLOSED) {
		/* the lines that came before the end, then the finding's own statement */
		while (n-- > 0)
			put(tr, "S: *\n");
	} else {
		/* replay reads and judges the handshake as Postfix does; it fails there too */
		put(tr, "handshake nosend\n");
		e->end_written = end != FUZZ_END_OK;
	}
	return end;
}

/* read_auth - replies until Postfix's verdict for id; *more: it was CONT */
static enum fuzz_ending read_auth(struct fuzz_eng *e, unsigned id, struct xbuf *tr, int *more)
{
	*more = 0;
	for (;;) {
		struct pf_auth_verdict v;
		const char *line;
		size_t len;
		int rc = tconn_read_line(&e->c, e->o->timeout_ms, &line, &len);

		if (rc == 0) {
			set_why(e, "no reply to request %u within %d ms", id, e->o->timeout_ms);
			return FUZZ_END_HANG;
		}
		if (rc == -2) {
			set_why(e, "reply line longer than %d bytes", TCONN_MAX_LINE);
			if (tr) {
				put(tr, "S: *\n");
				e->end_written = 1;
			}
			return FUZZ_END_BAD;
		}
		if (rc < 0)
			return FUZZ_END_CLOSED;
		seen(tr, line, len, 1);
		pf_auth_judge(&e->v, id, line, len, &v);
		if (v.outcome == PF_AUTH_SKIP)
			continue;
		*more = v.outcome == PF_AUTH_MORE;
		return FUZZ_END_OK;
	}
}

/* read_policy - one reply as Postfix's attr_clnt reads it */
static enum fuzz_ending read_policy(struct fuzz_eng *e, struct xbuf *tr)
{
	struct xbuf got, shown;
	struct pf_pol_read rd;
	enum fuzz_ending end = FUZZ_END_OK;
	int decided = 0;

	xbuf_init(&got, 4 * TCONN_MAX_LINE);
	xbuf_init(&shown, 8 * TCONN_MAX_LINE);
	while (!decided) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(&e->c, e->o->timeout_ms, &line, &len);

		if (rc == 1) {
			seen(&shown, line, len, 1);
			if (xbuf_append(&got, line, len) < 0 || xbuf_append_char(&got, '\n') < 0) {
				set_why(e, "policy reply longer than %d bytes", 4 * TCONN_MAX_LINE);
				end = FUZZ_END_BAD;
				break;
			}
			if (pf_pol_read_reply(got.data, got.len, PF_POL_END_NONE, 0, &rd) == 1)
				decided = 1;
			continue;
		}
		if (rc == -2) {
			set_why(e, "reply line longer than %d bytes", TCONN_MAX_LINE);
			end = FUZZ_END_BAD;
			break;
		}
		if (got.len == 0) {
			if (rc == 0) {
				set_why(e, "no reply within %d ms", e->o->timeout_ms);
				end = FUZZ_END_HANG;
			} else {
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
	if (tr != NULL) {
		size_t i;

		if (end == FUZZ_END_BAD && decided) {
			/* comments with what came, then what Postfix needs */
			for (i = 0; i < shown.len;) {
				const char *nl = memchr(shown.data + i, '\n', shown.len - i);
				size_t n = nl ? (size_t)(nl - (shown.data + i)) + 1 : shown.len - i;

				if (n >= 4 && memcmp(shown.data + i, "# S:", 4) == 0)
					(void)!xbuf_append(tr, shown.data + i, n);
				i += n;
			}
			e->end_written = 1;
			if (!rd.ok)
				put(tr, "S: action=*\nS:\n");
			else
				put(tr, "S: action=*\nS:\nexpect silence 200ms\n");
		} else if (shown.len) {
			(void)!xbuf_append(tr, shown.data, shown.len);
		}
	}
	xbuf_free(&got);
	xbuf_free(&shown);
	return end;
}

/* fuzz_eng_case - send a case step by step, read what is due */
enum fuzz_ending fuzz_eng_case(struct fuzz_eng *e, const struct fuzz_case *fc, struct xbuf *tr)
{
	unsigned i;

	e->end_written = 0;
	for (i = 0; i < fc->nsteps; i++) {
		const struct fuzz_step *s = &fc->step[i];
		enum fuzz_ending end = FUZZ_END_OK;
		int more = 0;

		if (tr != NULL && twrite_send(tr, NULL, fc->buf.data + s->off, s->len, 0) < 0)
			tr = NULL;
		e->bytes += s->len;
		if (tconn_write(&e->c, fc->buf.data + s->off, s->len, e->o->timeout_ms) < 0)
			return FUZZ_END_CLOSED;
		switch (s->due) {
		case FUZZ_DUE_NONE:
			continue;
		case FUZZ_DUE_HANDSHAKE:
			end = read_handshake(e, tr);
			break;
		case FUZZ_DUE_AUTH:
			end = read_auth(e, s->id, tr, &more);
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
	return u;
}

/* fuzz_eng_ended - after EOF: did a spawned helper die, and how */
int fuzz_eng_ended(struct fuzz_eng *e, enum fuzz_kind *kind, int *status, char *detail, size_t size)
{
	if (e->c.pid > 0) {
		if (tconn_wait_exit(&e->c, 2000) != 1)
			return 0;
		*status = e->c.exit_status;
		snprintf(detail, size, "%s", tconn_exit_text(&e->c));
		if (WIFSIGNALED(e->c.exit_status) && !e->c.killed) {
			*kind = FUZZ_CRASH;
			return 1;
		}
		if (WIFEXITED(e->c.exit_status) && WEXITSTATUS(e->c.exit_status) != 0) {
			*kind = FUZZ_EXIT;
			return 1;
		}
		return 0;
	}
	return 0;
}

/* begin - a connection is open: a new history; auth starts with the handshake */
static enum fuzz_ending begin(struct fuzz_eng *e)
{
	struct fuzz_unit *u;

	hist_clear(e);
	e->cut_reply = 0;
	if (e->o->proto != FUZZ_PROTO_AUTH)
		return FUZZ_END_OK;
	e->ast.next_id = 1;
	e->ast.last_id = 0;
	fuzz_gen_handshake(&e->rng, (unsigned)getpid(), fuzz_rng_below(&e->rng, 10) == 0, &e->gen);
	u = hist_add(e, &e->gen);
	return fuzz_eng_case(e, &u->c, &u->tr);
}

/* status_line - the live line on a terminal */
static void status_line(const struct fuzz_eng *e, uint64_t t0)
{
	double el = (double)(fuzz_eng_now_ms() - t0) / 1000.0;
	uint64_t nf = 0;
	unsigned k;

	for (k = 0; k < FUZZ_NKINDS; k++)
		nf += e->res->findings[k];
	fprintf(stderr, "\r%llu execs  %.0f exec/s  %llu connections  %llu findings   ",
		(unsigned long long)e->res->execs, el > 0 ? (double)e->res->execs / el : 0.0,
		(unsigned long long)e->res->connections, (unsigned long long)nf);
}

/* after - what the ending of a case means */
static void after(struct fuzz_eng *e, enum fuzz_ending end)
{
	enum fuzz_kind kind;
	char detail[400];
	int status = 0;

	switch (end) {
	case FUZZ_END_OK:
		if (e->nu >= e->o->reconnect_every || e->bytes > 256 * 1024)
			fuzz_eng_close(e);
		return;
	case FUZZ_END_HANG:
		fuzz_finding(e, FUZZ_HANG, 0, e->why);
		return;
	case FUZZ_END_BAD:
		fuzz_finding(e, FUZZ_BAD_REPLY, 0, e->why);
		return;
	case FUZZ_END_CLOSED:
		break;
	}
	if (fuzz_eng_ended(e, &kind, &status, detail, sizeof(detail))) {
		fuzz_finding(e, kind, status, detail);
		return;
	}
	if (e->cut_reply) {
		fuzz_finding(e, FUZZ_BAD_REPLY, 0, e->why);
		return;
	}
	fuzz_eng_close(e);	/* the history stays until the next connection begins */
}

/* fuzz_run - execs until a limit, a stop request or a refused connection */
int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res, char *err, size_t errlen)
{
	struct fuzz_eng *e = xcalloc(1, sizeof(*e));
	uint64_t t0, last_status = 0, stop_at;
	int tty = !o->quiet && isatty(STDERR_FILENO);
	unsigned k;

	memset(res, 0, sizeof(*res));
	e->o = o;
	e->res = res;
	(void)pf_version_parse("3.7", &e->v);
	fuzz_rng_seed(&e->rng, o->seed);
	fuzz_case_init(&e->gen);
	fuzz_stop_flag = 0;
	if (o->out != NULL && mkdir(o->out, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", o->out, strerror(errno));
		fuzz_case_free(&e->gen);
		free(e);
		return -1;
	}
	t0 = fuzz_eng_now_ms();
	stop_at = o->seconds > 0 ? t0 + (uint64_t)(o->seconds * 1000.0) : 0;
	if (fuzz_eng_open(e, err, errlen) < 0) {
		fuzz_case_free(&e->gen);
		free(e);
		return -1;
	}
	after(e, begin(e));
	while (!fuzz_stop_flag) {
		struct fuzz_unit *u;
		uint64_t now, nf = 0;

		for (k = 0; k < FUZZ_NKINDS; k++)
			nf += res->findings[k];
		if (o->max_findings && nf >= o->max_findings)
			break;
		if (o->iterations && res->execs >= o->iterations)
			break;
		if ((res->execs & 15) == 0 || !e->open) {
			now = fuzz_eng_now_ms();
			if (stop_at && now >= stop_at)
				break;
			if (tty && now - last_status >= 500) {
				status_line(e, t0);
				last_status = now;
			}
		}
		if (!e->open) {
			char err2[300], detail[360];

			if (fuzz_eng_open(e, err2, sizeof(err2)) < 0) {
				/* the last connection's history is still here */
				snprintf(detail, sizeof(detail), "the next connection failed: %s", err2);
				memcpy(e->why, detail, sizeof(detail));
				fuzz_finding(e, FUZZ_DOWN, 0, detail);
				break;
			}
			after(e, begin(e));
			continue;
		}
		if (o->proto == FUZZ_PROTO_AUTH)
			fuzz_gen_auth(&e->rng, &e->ast, &e->gen);
		else
			fuzz_gen_policy(&e->rng, &e->gen);
		u = hist_add(e, &e->gen);
		res->execs++;
		after(e, fuzz_eng_case(e, &u->c, &u->tr));
	}
	if (tty) {
		status_line(e, t0);
		fputc('\n', stderr);
	}
	fuzz_eng_close(e);
	hist_clear(e);
	free(e->u);
	fuzz_case_free(&e->gen);
	res->elapsed = (double)(fuzz_eng_now_ms() - t0) / 1000.0;
	free(e);
	return 0;
}
