/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	record - proxy between a real client and a helper, write a transcript
 * SYNOPSIS
 *	#include "harness/record/record.h"
 * DESCRIPTION
 *	See record.h. The proxy reads at most RECORD_CHUNK bytes at a time
 *	from either side and writes them on unchanged before it looks at
 *	them; the transcript is built by the recorder (recorder.h) from
 *	complete lines (bounded by RECORD_MAX_LINE). Writes to either side
 *	are bounded by a 10 s deadline, quiet connections by
 *	o->idle_timeout_ms.
 * DIAGNOSTICS
 *	Progress ("record: connection 1 ...") through msg_info() unless
 *	o->quiet; a client accepted with every slot in use is our bug
 *	(msg_panic).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/io/listen.h"
#include "harness/record/record.h"
#include "harness/record/record_file.h"
#include "harness/record/recorder.h"
#include "harness/script/transcript_write.h"
#include "util/msg.h"
#include "util/xmem.h"

#define RECORD_CHUNK		65536
#define RECORD_WRITE_MS		10000
#define RECORD_MAX_OUT		(64 * 1024 * 1024)

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* write_fd - all bytes to the client within RECORD_WRITE_MS (tconn_write uses only the descriptor) */
static int write_fd(int fd, const char *p, size_t n)
{
	struct tconn c;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.errfd = -1;
	return tconn_write(&c, p, n, RECORD_WRITE_MS);
}

/* --- concurrent connections -------------------------------------------- */

struct pair {
	int active;
	unsigned seq;			/* connection number, from 1 */
	int cfd;
	struct tconn up;
	struct recorder rc;
	struct xbuf out;		/* this connection's transcript */
	long long idle_since;
};

/* what every connection adds to: the file's text */
struct rec_file {
	struct xbuf all;		/* "protocol" and the connections */
	int have_protocol;
	unsigned segments;		/* connections written */
	struct recorder_creds creds;	/* the users of every connection */
	struct record_file out;
	char head[700];			/* the first comment */
};

static volatile sig_atomic_t record_stop_flag;

/* record_request_stop - async-signal-safe: finish the open connections and stop */
void record_request_stop(void)
{
	record_stop_flag = 1;
}

static void pair_start(struct pair *pr, unsigned seq, int cfd, struct recorder_creds *creds)
{
	memset(pr, 0, sizeof(*pr));
	pr->active = 1;
	pr->seq = seq;
	pr->cfd = cfd;
	recorder_init(&pr->rc);
	pr->rc.creds = creds;
	xbuf_init(&pr->out, RECORD_MAX_OUT);
	pr->idle_since = ms_now();
}

static void pair_free(struct pair *pr)
{
	recorder_free(&pr->rc);
	xbuf_free(&pr->out);
	pr->active = 0;
}

/* file_add - a connection's transcript: one "protocol" line for the file */
static void file_add(struct rec_file *f, const struct pair *pr)
{
	const char *text = xbuf_cstr(&pr->out);
	size_t len = pr->out.len;

	if (strncmp(text, "protocol ", 9) == 0) {
		const char *nl = memchr(text, '\n', len);
		size_t hl = nl ? (size_t)(nl - text) + 1 : len;

		if (!f->have_protocol)
			(void)!xbuf_append(&f->all, text, hl);
		f->have_protocol = 1;
		text += hl;
		len -= hl;
	}
	if (len > 0 || pr->rc.proto != RECORDER_UNKNOWN) {
		if (f->segments > 0)
			(void)!xbuf_append_str(&f->all, "reconnect\n");
		(void)!twrite_comment(&f->all, "connection %u", pr->seq);
		(void)!xbuf_append(&f->all, text, len);
		f->segments++;
	}
}

/* pair_finish - close both sides, append the connection's transcript */
static void pair_finish(const struct record_options *o, struct pair *pr, const char *end,
			struct rec_file *f)
{
	(void)!recorder_end(&pr->rc, &pr->out);
	if (strcmp(end, "helper closed") == 0)
		(void)!recorder_event(&pr->rc, "expect close", &pr->out);
	else if (strcmp(end, "client closed") != 0)
		(void)!twrite_comment(&pr->out, "%s", end);
	close(pr->cfd);
	tconn_close(&pr->up);
	if (tconn_crashed(&pr->up))
		(void)!twrite_comment(&pr->out, "the helper %s", tconn_exit_text(&pr->up));
	xbuf_free(&pr->up.err);
	if (!o->quiet)
		msg_info("record: connection %u ended (%s)", pr->seq, end);
	file_add(f, pr);
	pair_free(pr);
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
			if (recorder_feed(&pr->rc, 'C', buf, (size_t)n, &pr->out) < 0)
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
			if (recorder_feed(&pr->rc, 'S', buf, (size_t)k, &pr->out) < 0)
				return "transcript too large";
		}
	}
	return NULL;
}

/* save - the transcript so far, whole: the first comment, the user names, the rest */
static int save(struct rec_file *f, char *err, size_t errlen)
{
	struct xbuf text;
	int rc;

	if (f->segments == 0)
		return 0;	/* nothing recorded: nothing written */
	xbuf_init(&text, RECORD_MAX_OUT + 64 * 1024);
	if (twrite_comment(&text, "%s", f->head) < 0 || recorder_creds_header(&f->creds, &text) < 0 ||
	    xbuf_append(&text, f->all.data ? f->all.data : "", f->all.len) < 0) {
		snprintf(err, errlen, "%s: transcript too large", f->out.path);
		xbuf_free(&text);
		return -1;
	}
	rc = record_file_save(&f->out, text.data, text.len, err, errlen);
	xbuf_free(&text);
	return rc;
}

/* --- the loop ------------------------------------------------------------ */

struct rec_run {
	const struct record_options *o;
	struct pair *pairs;
	struct rec_file f;
	char *buf;
	unsigned accepted, nactive;
	long long waiting_since;
	int lfd;
};

/* accept_one - a client, and its own connection to the helper; -1 said why in err */
static int accept_one(struct rec_run *x, char *err, size_t errlen)
{
	struct tconn_options to;
	int cfd = tlisten_accept(x->lfd, 0);
	unsigned i;

	if (cfd < 0)
		return 0;
	for (i = 0; i < RECORD_MAX_CONN && x->pairs[i].active; i++)
		;
	if (i == RECORD_MAX_CONN)	/* the loop polls the listener only below the limit */
		msg_panic("record: a client accepted with %d connections in use", RECORD_MAX_CONN);
	pair_start(&x->pairs[i], ++x->accepted, cfd, &x->f.creds);
	memset(&to, 0, sizeof(to));
	to.stderr_apart = x->o->stderr_apart;
	to.connect_timeout_ms = RECORD_WRITE_MS;
	if (tconn_open(x->o->upstream, &to, &x->pairs[i].up, err, errlen) < 0) {
		xbuf_free(&x->pairs[i].up.err);
		close(cfd);
		pair_free(&x->pairs[i]);
		return -1;
	}
	x->nactive++;
	if (!x->o->quiet)
		msg_info("record: connection %u", x->accepted);
	return 0;
}

/* idle - nothing moved for 500 ms: close quiet connections; 1: stop waiting */
static int idle(struct rec_run *x, int *rcode, char *err, size_t errlen)
{
	const struct record_options *o = x->o;
	unsigned i;

	for (i = 0; i < RECORD_MAX_CONN; i++)
		if (x->pairs[i].active && o->idle_timeout_ms > 0 &&
		    ms_now() - x->pairs[i].idle_since > o->idle_timeout_ms) {
			pair_finish(o, &x->pairs[i], "idle timeout", &x->f);
			x->nactive--;
		}
	if (x->nactive == 0 && o->accept_timeout_ms > 0 &&
	    ms_now() - x->waiting_since > o->accept_timeout_ms) {
		snprintf(err, errlen, "%s: no client connected in time", o->listen);
		*rcode = x->accepted ? 0 : -1;
		return 1;
	}
	return 0;
}

/* serve - one readable side of connection i; -1: the file cannot be saved */
static int serve(struct rec_run *x, unsigned i, int is_client, char *err, size_t errlen)
{
	const char *end;

	if (!x->pairs[i].active)
		return 0;
	x->pairs[i].idle_since = ms_now();
	end = pair_pump(&x->pairs[i], is_client ? 1 : 0, is_client ? 0 : 1, x->buf);
	if (end == NULL)
		return 0;
	pair_finish(x->o, &x->pairs[i], end, &x->f);
	x->nactive--;
	x->waiting_since = ms_now();
	return save(&x->f, err, errlen);
}

/* loop - poll the listener and every connection until done; 0 or -1 */
static int loop(struct rec_run *x, char *err, size_t errlen)
{
	const struct record_options *o = x->o;
	int rcode = 0;

	while (!record_stop_flag) {
		struct pollfd pf[1 + 2 * RECORD_MAX_CONN];
		unsigned idx[1 + 2 * RECORD_MAX_CONN], i;
		int want_more = o->count == 0 || x->accepted < o->count;
		nfds_t n = 0, k;
		int pr;

		if (!want_more && x->nactive == 0)
			break;
		if (want_more && x->nactive < RECORD_MAX_CONN) {
			pf[n].fd = x->lfd;
			pf[n].events = POLLIN;
			idx[n++] = (unsigned)-1;
		}
		for (i = 0; i < RECORD_MAX_CONN; i++) {
			if (!x->pairs[i].active)
				continue;
			pf[n].fd = x->pairs[i].cfd;
			pf[n].events = POLLIN;
			idx[n++] = i;
			pf[n].fd = x->pairs[i].up.fd;
			pf[n].events = POLLIN;
			idx[n++] = i;
		}
		pr = poll(pf, n, 500);
		if (pr < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (pr <= 0) {
			if (idle(x, &rcode, err, errlen))
				return rcode;
			continue;
		}
		for (k = 0; k < n; k++) {
			if (!pf[k].revents)
				continue;
			if (idx[k] == (unsigned)-1 ? accept_one(x, err, errlen) < 0 :
			    serve(x, idx[k], pf[k].fd == x->pairs[idx[k]].cfd, err, errlen) < 0)
				return -1;
		}
	}
	return rcode;
}

/* record_run - listen, proxy, record; the file only once a connection was recorded */
int record_run(const struct record_options *o, unsigned *recorded_r, char *err, size_t errlen)
{
	struct rec_run x;
	int rcode;
	unsigned i;

	memset(&x, 0, sizeof(x));
	x.o = o;
	*recorded_r = 0;
	record_stop_flag = 0;
	recorder_creds_init(&x.f.creds, o->keep_credentials);
	if (record_file_open(&x.f.out, o->out, o->force, err, errlen) < 0)
		return -1;
	x.lfd = tlisten_open(o->listen, err, errlen);
	if (x.lfd < 0) {
		record_file_close(&x.f.out);
		return -1;
	}
	x.pairs = xcalloc(RECORD_MAX_CONN, sizeof(*x.pairs));
	x.buf = xmalloc(RECORD_CHUNK);
	x.waiting_since = ms_now();
	xbuf_init(&x.f.all, RECORD_MAX_OUT);
	snprintf(x.f.head, sizeof(x.f.head), "recorded by fake-smtpd record: a client on %s, the "
		 "helper %s", o->listen, o->upstream->text);
	if (!o->quiet)
		msg_info("record: listening on %s", o->listen);
	rcode = loop(&x, err, errlen);
	for (i = 0; i < RECORD_MAX_CONN; i++)
		if (x.pairs[i].active)
			pair_finish(o, &x.pairs[i], record_stop_flag ? "recording stopped" :
				    "recording ended", &x.f);
	if (rcode == 0 && save(&x.f, err, errlen) < 0)
		rcode = -1;
	*recorded_r = x.f.segments;
	tlisten_close(x.lfd, o->listen);
	record_file_close(&x.f.out);
	xbuf_free(&x.f.all);
	free(x.pairs);
	free(x.buf);
	return rcode;
}
