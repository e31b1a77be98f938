/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	record - proxy between a real client and a helper, write a transcript
 * SYNOPSIS
 *	#include "harness/run/record.h"
 * DESCRIPTION
 *	See record.h. The proxy reads at most RECORD_CHUNK bytes at a time
 *	from either side and writes them on unchanged before it looks at
 *	them; the transcript is built from complete lines (bounded by
 *	RECORD_MAX_LINE). Writes to either side are bounded by a 10 s
 *	deadline, quiet connections by o->idle_timeout_ms.
 * DIAGNOSTICS
 *	Progress ("recording connection 1 ...") on stderr unless o->quiet.
 */
#define _GNU_SOURCE		/* MSG_NOSIGNAL */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness/io/listen.h"
#include "harness/run/record.h"
#include "proto/base64.h"
#include "proto/dvauth.h"
#include "util/xmem.h"

#define RECORD_CHUNK		65536
#define RECORD_WRITE_MS		10000
#define RECORD_MAX_OUT		(64 * 1024 * 1024)

void recorder_init(struct recorder *rc)
{
	memset(rc, 0, sizeof(*rc));
	xbuf_init(&rc->held, RECORD_MAX_PENDING * (RECORD_MAX_LINE / 4));
}

void recorder_free(struct recorder *rc)
{
	xbuf_free(&rc->held);
}

/* tr_escape - bytes in transcript notation; glob: escape "*" too */
static int tr_escape(struct xbuf *out, const char *p, size_t len, int glob)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		int rc;

		if (c == '\t')
			rc = xbuf_append_str(out, "\\t");
		else if (c == '\r')
			rc = xbuf_append_str(out, "\\r");
		else if (c == '\\' || c == '{' || c == '}' || c == '$' || (glob && c == '*'))
			rc = xbuf_printf(out, "\\%c", c);
		else if (c == ' ' && i == len - 1)
			rc = xbuf_append_str(out, "\\s");	/* editors drop trailing blanks */
		else if (c < 0x20 || c >= 0x7f)
			rc = xbuf_printf(out, "\\x%02x", c);
		else
			rc = xbuf_append_char(out, (char)c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* emit - "C: text" / "S: pattern" (or "C:"/"S:" for an empty line) */
static int emit(struct xbuf *out, const char *prefix, const char *p, size_t len, int glob)
{
	if (xbuf_append_str(out, prefix) < 0)
		return -1;
	if (len > 0 && (xbuf_append_char(out, ' ') < 0 || tr_escape(out, p, len, glob) < 0))
		return -1;
	return xbuf_append_char(out, '\n');
}

/* emit_id - a line whose field 1 is the request id, written as {id} */
static int emit_id(struct xbuf *out, const char *prefix, const char *p, size_t len,
		   size_t word_len, size_t id_len, int glob)
{
	size_t rest = word_len + 1 + id_len;

	/* the command word is one of AUTH CONT OK FAIL: nothing to escape */
	if (xbuf_printf(out, "%s %.*s\\t{id}", prefix, (int)word_len, p) < 0 ||
	    tr_escape(out, p + rest, len - rest, glob) < 0)
		return -1;
	return xbuf_append_char(out, '\n');
}

static int starts(const char *p, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(p, word, n) == 0;
}

static int is_challenge_mech(const char *mech)
{
	return strcasecmp(mech, "CRAM-MD5") == 0 || strcasecmp(mech, "SCRAM-SHA-1") == 0 ||
	       strcasecmp(mech, "SCRAM-SHA-256") == 0;
}

/* learn_user - the user name in a CRAM-MD5 or SCRAM client message (base64) */
static void learn_user(struct recorder *rc, const char *b64, size_t len)
{
	struct xbuf raw;
	const char *why, *s, *e;

	if (rc->user[0])
		return;
	xbuf_init(&raw, 8192);
	if (base64_decode(b64, len, BASE64_DOVECOT, &raw, &why) == 0 && raw.len > 0) {
		const char *d = xbuf_cstr(&raw);

		if (strcasecmp(rc->mech, "CRAM-MD5") == 0) {
			e = strrchr(d, ' ');
			if (e && (size_t)(e - d) < sizeof(rc->user))
				snprintf(rc->user, sizeof(rc->user), "%.*s", (int)(e - d), d);
		} else if ((s = strstr(d, "n=")) != NULL) {
			s += 2;
			e = strchr(s, ',');
			if (e && (size_t)(e - s) < sizeof(rc->user))
				snprintf(rc->user, sizeof(rc->user), "%.*s", (int)(e - s), s);
		}
	}
	xbuf_free_wipe(&raw);
}

static int hold(struct recorder *rc, char dir, const char *p, size_t len)
{
	char prefix[8];

	snprintf(prefix, sizeof(prefix), "# %c:", dir);
	return emit(&rc->held, prefix, p, len, 0);
}

static int write_header(struct recorder *rc, struct xbuf *out)
{
	if (rc->wrote_header)
		return 0;
	rc->wrote_header = 1;
	return xbuf_printf(out, "protocol %s\n", rc->proto == RECORDER_AUTH ? "auth" : "policy");
}

/* recorder_line - one line seen by the proxy becomes transcript text */
int recorder_line(struct recorder *rc, char dir, const char *line, size_t len, struct xbuf *out)
{
	const char *prefix = dir == 'C' ? "C:" : "S:";
	int glob = dir == 'S';

	if (rc->proto == RECORDER_UNKNOWN) {
		static const char *const words[] = { "VERSION\t", "CPID\t", "MECH\t", "SPID\t", "AUTH\t" };
		size_t i;

		rc->proto = RECORDER_POLICY;
		for (i = 0; i < N_ELEMENTS(words); i++)
			if (starts(line, len, words[i]))
				rc->proto = RECORDER_AUTH;
	}
	if (write_header(rc, out) < 0)
		return -1;
	if (rc->proto == RECORDER_POLICY)
		return emit(out, prefix, line, len, glob);

	/* auth */
	if (dir == 'C' && starts(line, len, "CPID\t"))
		return xbuf_append_str(out, "C: CPID\\t{pid}\n");
	if (dir == 'S' && (starts(line, len, "SPID\t") || starts(line, len, "CUID\t") ||
			   starts(line, len, "COOKIE\t"))) {
		size_t w = (size_t)((const char *)memchr(line, '\t', len) - line);

		return xbuf_printf(out, "S: %.*s\\t*\n", (int)w, line);
	}
	{
		struct dvauth_fields f;
		const char *why;
		int is_auth, is_reply;

		if (dvauth_split(line, len, &f, &why) < 0 || f.n < 2)
			return emit(out, prefix, line, len, glob);
		is_auth = dir == 'C' && strview_eq(f.f[0], "AUTH") && f.n >= 3 &&
			  f.f[1].len < sizeof(rc->id);
		is_reply = rc->id[0] && f.f[1].len == strlen(rc->id) &&
			   memcmp(f.f[1].p, rc->id, f.f[1].len) == 0 &&
			   ((dir == 'C' && strview_eq(f.f[0], "CONT")) ||
			    (dir == 'S' && (strview_eq(f.f[0], "OK") || strview_eq(f.f[0], "FAIL") ||
					    strview_eq(f.f[0], "CONT"))));
		if (is_auth) {
			size_t i;

			memcpy(rc->id, f.f[1].p, f.f[1].len);
			rc->id[f.f[1].len] = '\0';
			snprintf(rc->mech, sizeof(rc->mech), "%.*s", (int)f.f[2].len, f.f[2].p);
			rc->challenge = is_challenge_mech(rc->mech);
			rc->user[0] = '\0';
			if (!rc->challenge)
				return emit_id(out, prefix, line, len, f.f[0].len, f.f[1].len, glob);
			xbuf_reset(&rc->held);
			for (i = 3; i < f.n; i++)
				if (f.f[i].len > 5 && memcmp(f.f[i].p, "resp=", 5) == 0)
					learn_user(rc, f.f[i].p + 5, f.f[i].len - 5);
			return hold(rc, dir, line, len);
		}
		if (!is_reply)
			return emit(out, prefix, line, len, glob);
		if (!rc->challenge)
			return emit_id(out, prefix, line, len, f.f[0].len, f.f[1].len, glob);
		if (dir == 'C' && f.n >= 3)
			learn_user(rc, f.f[2].p, f.f[2].len);
		if (hold(rc, dir, line, len) < 0)
			return -1;
		if (dir == 'S' && !strview_eq(f.f[0], "CONT")) {
			int ok = strview_eq(f.f[0], "OK");

			rc->challenge = 0;
			rc->id[0] = '\0';
			if (xbuf_printf(out, "# %s answers a fresh challenge each time: recorded as below, "
					"replayed with the auth macro (give -D password=...)\n",
					rc->mech) < 0 ||
			    xbuf_append(out, rc->held.data, rc->held.len) < 0)
				return -1;
			if (xbuf_printf(out, "auth %s ", rc->mech) < 0)
				return -1;
			if (rc->user[0] ? tr_escape(out, rc->user, strlen(rc->user), 0) < 0 :
			    xbuf_append_str(out, "${user}") < 0)
				return -1;
			return xbuf_printf(out, " ${password} expect %s\n", ok ? "235" : "535");
		}
		return 0;
	}
}

/* recorder_event - "reconnect", "expect close", or a comment */
int recorder_event(struct recorder *rc, const char *what, struct xbuf *out)
{
	if (rc->proto == RECORDER_UNKNOWN)
		return xbuf_printf(out, "# %s\n", what);
	if (rc->challenge) {
		/* an exchange cut short: keep what was seen, as comments */
		if (xbuf_append(out, rc->held.data, rc->held.len) < 0)
			return -1;
		rc->challenge = 0;
	}
	return xbuf_printf(out, "%s\n", what);
}

/* --- the proxy --------------------------------------------------------- */

struct side {
	char dir;
	struct xbuf line;	/* the incomplete line */
	int skipping;		/* inside a line longer than RECORD_MAX_LINE */
	size_t skipped;
};

/* feed - bytes seen in one direction: complete lines go to the recorder */
static int feed(struct recorder *rc, struct side *s, const char *p, size_t n, struct xbuf *out)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		if (s->skipping) {
			s->skipped += k;
		} else if (k > RECORD_MAX_LINE - s->line.len) {
			s->skipping = 1;
			s->skipped = s->line.len + k;
			xbuf_reset(&s->line);
		} else if (xbuf_append(&s->line, p, k) < 0) {
			return -1;
		}
		if (nl) {
			int rc2 = s->skipping ?
				  xbuf_printf(out, "# %c: a line of %zu bytes (over %d) passed here\n",
					      s->dir, s->skipped, RECORD_MAX_LINE) :
				  recorder_line(rc, s->dir, s->line.data ? s->line.data : "", s->line.len,
						out);

			if (rc2 < 0)
				return -1;
			xbuf_reset(&s->line);
			s->skipping = 0;
			s->skipped = 0;
			k++;
		}
		p += k;
		n -= k;
	}
	return 0;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* write_fd - all bytes to a non-blocking socket within RECORD_WRITE_MS */
static int write_fd(int fd, const char *p, size_t n)
{
	long long deadline = ms_now() + RECORD_WRITE_MS;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		{
			struct pollfd pf = { fd, POLLOUT, 0 };
			long long left = deadline - ms_now();

			if (left <= 0 || poll(&pf, 1, (int)left) == 0)
				return -1;
		}
	}
	return 0;
}

/* --- concurrent connections -------------------------------------------- */

struct pair {
	int active;
	unsigned seq;			/* connection number, from 1 */
	int cfd;
	struct tconn up;
	struct side cs, ss;
	struct recorder rc;
	struct xbuf out;		/* this connection's transcript */
	long long idle_since;
};

static volatile sig_atomic_t record_stop_flag;

/* record_request_stop - async-signal-safe: finish the open connections and stop */
void record_request_stop(void)
{
	record_stop_flag = 1;
}

static void pair_start(struct pair *pr, unsigned seq, int cfd)
{
	memset(pr, 0, sizeof(*pr));
	pr->active = 1;
	pr->seq = seq;
	pr->cfd = cfd;
	pr->cs.dir = 'C';
	pr->ss.dir = 'S';
	xbuf_init(&pr->cs.line, RECORD_MAX_LINE + 1);
	xbuf_init(&pr->ss.line, RECORD_MAX_LINE + 1);
	recorder_init(&pr->rc);
	xbuf_init(&pr->out, RECORD_MAX_OUT);
	pr->idle_since = ms_now();
}

/* pair_finish - close both sides, append the connection's transcript */
static void pair_finish(const struct record_options *o, struct pair *pr, const char *end,
			struct xbuf *all, int *have_protocol, unsigned *segments)
{
	const char *text;
	size_t len;

	if (pr->cs.line.len > 0) {
		/* the client's last bytes had no LF: send them the same way */
		(void)!xbuf_append_str(&pr->out, "C-: ");
		(void)!tr_escape(&pr->out, pr->cs.line.data, pr->cs.line.len, 0);
		(void)!xbuf_append_char(&pr->out, '\n');
	}
	if (pr->ss.line.len > 0)
		(void)!xbuf_printf(&pr->out, "# the helper's last %zu bytes had no LF\n", pr->ss.line.len);
	if (strcmp(end, "helper closed") == 0)
		(void)recorder_event(&pr->rc, "expect close", &pr->out);
	else if (strcmp(end, "client closed") != 0)
		(void)!xbuf_printf(&pr->out, "# %s\n", end);
	close(pr->cfd);
	tconn_close(&pr->up);
	if (tconn_crashed(&pr->up))
		(void)!xbuf_printf(&pr->out, "# the helper %s\n", tconn_exit_text(&pr->up));
	xbuf_free(&pr->up.err);
	if (!o->quiet)
		fprintf(stderr, "fake-smtpd record: connection %u ended (%s)\n", pr->seq, end);
	/* one "protocol" line for the file; connections follow one another */
	text = xbuf_cstr(&pr->out);
	len = pr->out.len;
	if (strncmp(text, "protocol ", 9) == 0) {
		const char *nl = memchr(text, '\n', len);
		size_t hl = nl ? (size_t)(nl - text) + 1 : len;

		if (!*have_protocol)
			(void)!xbuf_append(all, text, hl);
		*have_protocol = 1;
		text += hl;
		len -= hl;
	}
	if (len > 0 || pr->rc.proto != RECORDER_UNKNOWN) {
		if (*segments > 0)
			(void)!xbuf_append_str(all, "reconnect\n");
		(void)!xbuf_printf(all, "# connection %u\n", pr->seq);
		(void)!xbuf_append(all, text, len);
		(*segments)++;
	}
	xbuf_free(&pr->cs.line);
	xbuf_free(&pr->ss.line);
	recorder_free(&pr->rc);
	xbuf_free(&pr->out);
	pr->active = 0;
}

/* pair_pump - move what is readable; NULL while the connection lives, else why it ended */
static const char *pair_pump(struct pair *pr, short crev, short urev, char *buf)
{
	if (crev) {
		ssize_t n = read(pr->cfd, buf, RECORD_CHUNK);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return "client closed";
		if (n > 0) {
			if (tconn_write(&pr->up, buf, (size_t)n, RECORD_WRITE_MS) < 0)
				return "helper not writable";
			if (feed(&pr->rc, &pr->cs, buf, (size_t)n, &pr->out) < 0)
				return "transcript too large";
		}
	}
	if (urev) {
		int k = tconn_read_some(&pr->up, 0, buf, RECORD_CHUNK);

		if (k < 0)
			return "helper closed";
		if (k > 0) {
			if (write_fd(pr->cfd, buf, (size_t)k) < 0)
				return "client not writable";
			if (feed(&pr->rc, &pr->ss, buf, (size_t)k, &pr->out) < 0)
				return "transcript too large";
		}
	}
	return NULL;
}

/* save - write the transcript so far (rewritten whole after each connection) */
static int save(const char *path, const struct xbuf *out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fwrite(out->data ? out->data : "", 1, out->len, fp) != out->len ||
	    fclose(fp) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int record_run(const struct record_options *o, char *err, size_t errlen)
{
	struct pair *pairs = xcalloc(RECORD_MAX_CONN, sizeof(*pairs));
	struct xbuf all;
	char *buf = xmalloc(RECORD_CHUNK);
	unsigned accepted = 0, segments = 0, nactive = 0, i;
	int lfd, rcode = 0, have_protocol = 0;
	long long waiting_since = ms_now();

	record_stop_flag = 0;
	lfd = tlisten_open(o->listen, err, errlen);
	if (lfd < 0) {
		free(pairs);
		free(buf);
		return -1;
	}
	xbuf_init(&all, RECORD_MAX_OUT);
	(void)!xbuf_printf(&all, "# recorded by fake-smtpd record: a client on %s, the helper %s\n",
			   o->listen, o->upstream->text);
	if (save(o->out, &all, err, errlen) < 0) {
		rcode = -1;
		goto done;
	}
	if (!o->quiet)
		fprintf(stderr, "fake-smtpd record: listening on %s\n", o->listen);
	while (!record_stop_flag) {
		struct pollfd pf[1 + 2 * RECORD_MAX_CONN];
		unsigned idx[1 + 2 * RECORD_MAX_CONN];
		int want_more = o->count == 0 || accepted < o->count;
		nfds_t n = 0, k;
		int pr;

		if (!want_more && nactive == 0)
			break;
		if (want_more && nactive < RECORD_MAX_CONN) {
			pf[n].fd = lfd;
			pf[n].events = POLLIN;
			idx[n++] = (unsigned)-1;
		}
		for (i = 0; i < RECORD_MAX_CONN; i++) {
			if (!pairs[i].active)
				continue;
			pf[n].fd = pairs[i].cfd;
			pf[n].events = POLLIN;
			idx[n++] = i;
			pf[n].fd = pairs[i].up.fd;
			pf[n].events = POLLIN;
			idx[n++] = i;
		}
		pr = poll(pf, n, 500);
		if (pr < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			rcode = -1;
			break;
		}
		if (pr <= 0) {
			for (i = 0; i < RECORD_MAX_CONN; i++)
				if (pairs[i].active && o->idle_timeout_ms > 0 &&
				    ms_now() - pairs[i].idle_since > o->idle_timeout_ms) {
					pair_finish(o, &pairs[i], "idle timeout", &all, &have_protocol,
						    &segments);
					nactive--;
				}
			if (nactive == 0 && o->accept_timeout_ms > 0 &&
			    ms_now() - waiting_since > o->accept_timeout_ms) {
				snprintf(err, errlen, "%s: no client connected in time", o->listen);
				rcode = accepted ? 0 : -1;
				break;
			}
			continue;
		}
		for (k = 0; k < n; k++) {
			if (!pf[k].revents)
				continue;
			if (idx[k] == (unsigned)-1) {
				struct tconn_options to;
				int cfd = tlisten_accept(lfd, 0);

				if (cfd < 0)
					continue;
				for (i = 0; pairs[i].active; i++)
					;
				pair_start(&pairs[i], ++accepted, cfd);
				memset(&to, 0, sizeof(to));
				to.stderr_apart = o->stderr_apart;
				to.connect_timeout_ms = RECORD_WRITE_MS;
				if (tconn_open(o->upstream, &to, &pairs[i].up, err, errlen) < 0) {
					xbuf_free(&pairs[i].up.err);
					close(cfd);
					pairs[i].active = 0;
					xbuf_free(&pairs[i].cs.line);
					xbuf_free(&pairs[i].ss.line);
					recorder_free(&pairs[i].rc);
					xbuf_free(&pairs[i].out);
					rcode = -1;
					goto done;
				}
				nactive++;
				if (!o->quiet)
					fprintf(stderr, "fake-smtpd record: connection %u\n", accepted);
				continue;
			}
			i = idx[k];
			if (!pairs[i].active)
				continue;
			{
				int is_client = pf[k].fd == pairs[i].cfd;
				const char *end;

				pairs[i].idle_since = ms_now();
				end = pair_pump(&pairs[i], is_client ? 1 : 0, is_client ? 0 : 1, buf);
				if (end != NULL) {
					pair_finish(o, &pairs[i], end, &all, &have_protocol, &segments);
					nactive--;
					waiting_since = ms_now();
					if (save(o->out, &all, err, errlen) < 0) {
						rcode = -1;
						goto done;
					}
				}
			}
		}
	}
done:
	for (i = 0; i < RECORD_MAX_CONN; i++)
		if (pairs[i].active)
			pair_finish(o, &pairs[i], record_stop_flag ? "recording stopped" : "recording ended",
				    &all, &have_protocol, &segments);
	if (rcode == 0 && save(o->out, &all, err, errlen) < 0)
		rcode = -1;
	tlisten_close(lfd, o->listen);
	xbuf_free(&all);
	free(pairs);
	free(buf);
	return rcode;
}
