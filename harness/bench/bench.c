/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	bench - load an auth helper or a policy service the way Postfix does,
 *	and measure it
 * SYNOPSIS
 *	#include "harness/bench/bench.h"
 * DESCRIPTION
 *	See bench.h. One epoll loop over all connections. Auth replies are
 *	matched to the in-flight request with the same id (servers may
 *	answer pipelined requests out of order, as Dovecot does with
 *	delayed failures); policy replies come in request order. Requests
 *	of one connection that fit the pipeline go out in one write, and
 *	the writes of one loop iteration in one io_uring_enter (lib/io/uring.h),
 *	as do its reads. Latency runs from just before
 *	the batch that carried the request to just after the batch that
 *	read its reply. The null responder is bench_null.c.
 * DIAGNOSTICS
 *	Connection failures before the run are environment errors; during
 *	the run they are counted as disconnects.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/io/listen.h"
#include "harness/bench/bench.h"
#include "proto/base64.h"
#include "io/uring.h"
#include "util/strnum.h"
#include "util/xmem.h"

#define MARK_CLIENT	"\001C\001"
#define MARK_USER	"\001U\001"
#define MARK_LEN	3

struct inflight {
	unsigned id;
	int want_ok;
	uint64_t sent_us;
};

struct bconn {
	struct tconn tc;
	int hs_done;
	int dead;
	int opened;
	unsigned next_id;
	unsigned n;				/* in flight */
	unsigned head;				/* policy: oldest in flight (ring) */
	struct inflight q[BENCH_MAX_PIPELINE];
	unsigned long seq;			/* request counter of this connection */
	int have_action, action_ok;		/* policy: reply being read */
	unsigned nlines;
	unsigned long replies;
};

struct bench {
	const struct bench_options *o;
	struct bench_result *r;
	struct bconn *c;
	char good[512], bad[512];		/* auth resp= values (single user) */
	struct bench_tmpl tmpl;
	struct xbuf out;
	uint32_t *lat;
	size_t nlat, caplat;
	uint64_t measure_from, stop_at;
	int measuring;
	int done;
	unsigned ndead;
	uint64_t t_recv;			/* when this iteration's replies were read */
	int ep;					/* epoll over the connections */
	struct epoll_event *evs;
	unsigned pipeline;			/* requests in flight per connection */
	/* one loop iteration's I/O: receives, then sends, each batched */
	struct uring *ring;			/* NULL: one read/send per connection */
	struct uring_send *rv, *sv;
	unsigned *ri, *si;			/* connection of each entry */
	unsigned *sfirst;			/* first request of the send (c->q order) */
	size_t *soff;				/* where in out the send's bytes are */
	size_t ns;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void note_error(struct bench *b, const char *what, const char *line, size_t len)
{
	if (b->r->first_error[0] == '\0')
		snprintf(b->r->first_error, sizeof(b->r->first_error), "%s: \"%.*s\"", what,
			 (int)(len > 120 ? 120 : len), line);
}

/* --- pure parts ----------------------------------------------------------- */

int bench_expect_match(const char *want, const char *action, size_t len)
{
	size_t wl = strlen(want), i;
	int prefix = wl > 0 && want[wl - 1] == '*';
	int in_word = 1;

	if (prefix)
		wl--;
	if (prefix ? len < wl : len != wl)
		return 0;
	for (i = 0; i < wl; i++) {
		char a = action[i], w = want[i];

		if (a == ' ' || a == '\t')
			in_word = 0;
		if (in_word ? tolower((unsigned char)a) != tolower((unsigned char)w) : a != w)
			return 0;
	}
	return 1;
}

uint64_t bench_percentile(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

void bench_tmpl_free(struct bench_tmpl *t)
{
	xbuf_free(&t->head);
	xbuf_free(&t->mid);
	xbuf_free(&t->tail);
	xbuf_free(&t->fixed);
}

int bench_tmpl_build(struct bench_tmpl *t, const struct bench_options *o, char *err,
		     size_t errlen)
{
	struct pf_pol_req req;
	char names[BENCH_MAX_SET][128];
	const char *error, *p, *pc, *pu, *first, *second;
	size_t i;

	memset(t, 0, sizeof(*t));
	xbuf_init(&t->head, 1024 * 1024);
	xbuf_init(&t->mid, 1024 * 1024);
	xbuf_init(&t->tail, 1024 * 1024);
	xbuf_init(&t->fixed, 1024 * 1024);
	t->vary_clients = o->vary_clients;
	t->vary_users = o->vary_users;
	t->user_pattern = o->user_pattern ? o->user_pattern : "user%u";
	if (t->vary_users > 0) {
		p = strstr(t->user_pattern, "%u");
		if (p == NULL || strchr(t->user_pattern, '%') != p || strchr(p + 1, '%') != NULL) {
			snprintf(err, errlen, "user pattern \"%s\": needs exactly one %%u and no "
				 "other %%", t->user_pattern);
			return -1;
		}
	}
	pf_pol_req_init(&req, &o->version, o->state);
	for (i = 0; i < o->nset && i < BENCH_MAX_SET; i++) {
		const char *eq = strchr(o->set[i], '=');
		size_t nl;

		if (eq == NULL || eq == o->set[i] || (nl = (size_t)(eq - o->set[i])) >= 128) {
			snprintf(err, errlen, "--set \"%s\": want name=value", o->set[i]);
			return -1;
		}
		memcpy(names[i], o->set[i], nl);
		names[i][nl] = '\0';
		if (eq[1] == '\0') {
			if (pf_pol_req_delete(&req, names[i]) < 0) {
				snprintf(err, errlen, "--set \"%s\": no attribute %s to delete",
					 o->set[i], names[i]);
				return -1;
			}
		} else if (pf_pol_req_set(&req, names[i], eq + 1) < 0) {
			snprintf(err, errlen, "--set \"%s\": bad attribute name", o->set[i]);
			return -1;
		}
	}
	if (t->vary_clients > 0 && pf_pol_req_set(&req, "client_address", MARK_CLIENT) < 0) {
		snprintf(err, errlen, "cannot vary client_address");
		return -1;
	}
	if (t->vary_users > 0 && pf_pol_req_set(&req, "sasl_username", MARK_USER) < 0) {
		snprintf(err, errlen, "cannot vary sasl_username");
		return -1;
	}
	if (pf_pol_req_format(&req, &t->fixed, &error) < 0) {
		snprintf(err, errlen, "request: %s", error);
		return -1;
	}
	p = xbuf_cstr(&t->fixed);
	pc = t->vary_clients > 0 ? strstr(p, MARK_CLIENT) : NULL;
	pu = t->vary_users > 0 ? strstr(p, MARK_USER) : NULL;
	if (pc == NULL && pu == NULL)
		return 0;
	t->client_first = pu == NULL || (pc != NULL && pc < pu);
	first = t->client_first ? pc : pu;
	second = t->client_first ? pu : pc;
	if (xbuf_append(&t->head, p, (size_t)(first - p)) < 0 ||
	    (second != NULL &&
	     xbuf_append(&t->mid, first + MARK_LEN, (size_t)(second - first - MARK_LEN)) < 0) ||
	    xbuf_append_str(&t->tail, (second ? second : first) + MARK_LEN) < 0) {
		snprintf(err, errlen, "request too large");
		return -1;
	}
	return 0;
}

/* put_ulong - decimal digits of v at dst (room for 20); their count */
static size_t put_ulong(char *dst, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

static int put_client(struct xbuf *out, unsigned long n)
{
	char a[24];
	size_t l = 3;

	memcpy(a, "10.", 3);
	l += put_ulong(a + l, (n >> 16) & 255);
	a[l++] = '.';
	l += put_ulong(a + l, (n >> 8) & 255);
	a[l++] = '.';
	l += put_ulong(a + l, n & 255);
	return xbuf_append(out, a, l);
}

static int put_user(const struct bench_tmpl *t, struct xbuf *out, unsigned long n)
{
	const char *p = strstr(t->user_pattern, "%u");
	char d[24];

	return xbuf_append(out, t->user_pattern, (size_t)(p - t->user_pattern)) < 0 ||
	       xbuf_append(out, d, put_ulong(d, n)) < 0 || xbuf_append_str(out, p + 2) < 0 ?
	       -1 : 0;
}

int bench_tmpl_request(const struct bench_tmpl *t, unsigned long seq, struct xbuf *out)
{
	int vc = t->vary_clients > 0, vu = t->vary_users > 0;

	if (!vc && !vu)
		return xbuf_append(out, t->fixed.data, t->fixed.len);
	if (xbuf_append(out, t->head.data, t->head.len) < 0)
		return -1;
	if (t->client_first ? put_client(out, seq % (vc ? t->vary_clients : 1)) < 0 :
	    put_user(t, out, seq % t->vary_users) < 0)
		return -1;
	if (vc && vu) {
		if (xbuf_append(out, t->mid.data, t->mid.len) < 0)
			return -1;
		if (t->client_first ? put_user(t, out, seq % t->vary_users) < 0 :
		    put_client(out, seq % t->vary_clients) < 0)
			return -1;
	}
	return xbuf_append(out, t->tail.data, t->tail.len);
}

/* --- the generator -------------------------------------------------------- */

static void record(struct bench *b, uint64_t us)
{
	if (b->nlat == b->caplat) {
		b->caplat = b->caplat ? b->caplat * 2 : 65536;
		b->lat = xrealloc(b->lat, b->caplat * sizeof(*b->lat));
	}
	b->lat[b->nlat++] = us > 0xffffffffu ? 0xffffffffu : (uint32_t)us;
}

/* put_auth_resp - base64 of NUL user NUL password for user number n, into b->out */
static int put_auth_resp(struct bench *b, unsigned long n, int want_ok)
{
	const struct bench_options *o = b->o;
	const char *pu = strstr(o->user, "%u");
	size_t pl = (size_t)(pu - o->user), sl = strlen(pu + 2), wl = strlen(o->password), rl = 0;
	char raw[600];

	if (pl + sl + wl + 30 > sizeof(raw))
		return -1;
	raw[rl++] = '\0';
	memcpy(raw + rl, o->user, pl);
	rl += pl;
	rl += put_ulong(raw + rl, n);
	memcpy(raw + rl, pu + 2, sl);
	rl += sl;
	raw[rl++] = '\0';
	memcpy(raw + rl, o->password, wl);
	rl += wl;
	if (!want_ok) {
		memcpy(raw + rl, "-wrong", 6);
		rl += 6;
	}
	return base64_encode(raw, rl, &b->out);
}

/* queue_auth - the next AUTH of a connection into b->out */
static int queue_auth(struct bench *b, struct bconn *c)
{
	static const char mid[] = "\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\t"
				  "rip=127.0.0.1\tresp=";
	const struct bench_options *o = b->o;
	int want_ok = (c->seq % 100) >= o->wrong_percent;
	unsigned long user = o->users > 0 ? c->next_id % o->users : 0;	/* every user in turn */
	char id[24];

	c->seq++;
	if (xbuf_append(&b->out, "AUTH\t", 5) < 0 ||
	    xbuf_append(&b->out, id, put_ulong(id, ++c->next_id)) < 0 ||
	    xbuf_append(&b->out, mid, sizeof(mid) - 1) < 0 ||
	    (o->users > 0 ? put_auth_resp(b, user, want_ok) :
	     xbuf_append_str(&b->out, want_ok ? b->good : b->bad)) < 0 ||
	    xbuf_append_char(&b->out, '\n') < 0)
		return -1;
	c->q[c->n].id = c->next_id;
	c->q[c->n].want_ok = want_ok;
	c->n++;
	return 0;
}

static int queue_policy(struct bench *b, struct bconn *c)
{
	unsigned slot = (c->head + c->n) % BENCH_MAX_PIPELINE;

	if (bench_tmpl_request(&b->tmpl, c->seq++, &b->out) < 0)
		return -1;
	c->q[slot].id = 0;
	c->n++;
	return 0;
}

/* fill - queue the requests that top up c's pipeline for this iteration's sends */
static int fill(struct bench *b, struct bconn *c, unsigned idx, unsigned pipeline)
{
	unsigned first = c->n;
	size_t off = b->out.len;

	if (!c->hs_done || c->dead || b->done)
		return 0;
	while (c->n < pipeline)
		if ((b->o->kind == BENCH_AUTH ? queue_auth(b, c) : queue_policy(b, c)) < 0)
			return -1;
	if (b->out.len == off)
		return 0;
	b->sv[b->ns].fd = c->tc.fd;
	b->sv[b->ns].len = b->out.len - off;
	b->soff[b->ns] = off;
	b->si[b->ns] = idx;
	b->sfirst[b->ns] = first;
	b->ns++;
	return 0;
}

static void measured(struct bench *b, uint64_t sent_us)
{
	record(b, b->t_recv > sent_us ? b->t_recv - sent_us : 0);
	if (b->o->requests > 0 && b->nlat >= b->o->requests)
		b->done = 1;
}

/* auth_line - one reply line from an auth server */
static void auth_line(struct bench *b, struct bconn *c, const char *line, size_t len)
{
	const char *tab, *idp;
	unsigned id, i;
	size_t idlen;
	int is_ok;

	if (!c->hs_done) {
		if (len == 4 && memcmp(line, "DONE", 4) == 0)
			c->hs_done = 1;
		return;
	}
	is_ok = len >= 3 && memcmp(line, "OK\t", 3) == 0;
	if (!is_ok && !(len >= 5 && memcmp(line, "FAIL\t", 5) == 0)) {
		b->r->err_malformed += b->measuring;
		note_error(b, "malformed reply", line, len);
		return;
	}
	idp = line + (is_ok ? 3 : 5);
	tab = memchr(idp, '\t', len - (size_t)(idp - line));
	idlen = tab ? (size_t)(tab - idp) : len - (size_t)(idp - line);
	if (str_to_uint(idp, idlen, &id) < 0) {
		b->r->err_malformed += b->measuring;
		note_error(b, "malformed reply", line, len);
		return;
	}
	for (i = 0; i < c->n; i++)
		if (c->q[i].id == id)
			break;
	if (i == c->n) {
		b->r->err_wrong_id += b->measuring;
		note_error(b, "reply with an id not in flight", line, len);
		return;
	}
	if (b->measuring) {
		if (is_ok != c->q[i].want_ok) {
			b->r->err_verdict++;
			note_error(b, "wrong verdict", line, len);
		} else if (is_ok) {
			b->r->ok++;
		} else {
			b->r->fail++;
		}
		measured(b, c->q[i].sent_us);
	}
	c->replies++;
	c->q[i] = c->q[--c->n];
}

/* policy_line - one reply line from a policy service */
static void policy_line(struct bench *b, struct bconn *c, const char *line, size_t len)
{
	const struct bench_options *o = b->o;
	uint64_t sent;
	size_t i;

	if (len > 0) {
		c->nlines++;
		if (len >= 7 && memcmp(line, "action=", 7) == 0) {
			c->action_ok = o->nexpect == 0;
			for (i = 0; i < o->nexpect && !c->action_ok; i++)
				c->action_ok = bench_expect_match(o->expect[i], line + 7, len - 7);
			c->action_ok = c->action_ok && !c->have_action;
			if (!c->action_ok && b->measuring)
				note_error(b, c->have_action ? "second action" : "unexpected action",
					   line, len);
			c->have_action++;
		} else if (memchr(line, '=', len) == NULL) {
			c->have_action = 2;	/* not name=value: malformed */
			if (b->measuring)
				note_error(b, "malformed reply line", line, len);
		}
		return;
	}
	if (c->n == 0) {
		b->r->err_malformed += b->measuring;
		note_error(b, "reply with no request in flight", line, len);
		c->have_action = c->action_ok = 0;
		c->nlines = 0;
		return;
	}
	sent = c->q[c->head].sent_us;
	c->head = (c->head + 1) % BENCH_MAX_PIPELINE;
	c->n--;
	c->replies++;
	if (b->measuring) {
		if (c->have_action != 1) {
			b->r->err_malformed++;
			if (c->have_action == 0)
				note_error(b, "reply without action", "", 0);
		} else if (!c->action_ok) {
			b->r->err_verdict++;
		} else {
			b->r->ok++;
		}
		measured(b, sent);
	}
	c->have_action = c->action_ok = 0;
	c->nlines = 0;
}

static void kill_conn(struct bench *b, struct bconn *c, int ep)
{
	if (!c->dead)
		b->ndead++;
	c->dead = 1;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->tc.fd, NULL);
}

/*
 * flush_sends - the requests queued by fill(), one io_uring_enter for all
 * (or one send each); what a send could not take goes out blocking
 */
static void flush_sends(struct bench *b, int ep)
{
	size_t i;
	unsigned k;
	uint64_t t = now_us();
	int batched = 0;

	for (i = 0; i < b->ns; i++) {
		struct bconn *c = &b->c[b->si[i]];

		b->sv[i].buf = b->out.data + b->soff[i];
		for (k = b->sfirst[i]; k < c->n; k++)
			c->q[b->o->kind == BENCH_AUTH ? k : (c->head + k) % BENCH_MAX_PIPELINE].sent_us = t;
	}
	/* on failure the sends not attempted are -ECANCELED: send(2) below */
	batched = b->ring != NULL && b->ns > 1;
	if (batched)
		(void)uring_send_batch(b->ring, b->ns, b->sv);
	for (i = 0; i < b->ns; i++) {
		struct uring_send *v = &b->sv[i];
		struct bconn *c = &b->c[b->si[i]];
		ssize_t res = v->res;
		size_t off;
		int e;

		if (!batched || res == -ECANCELED) {
			res = send(v->fd, v->buf, v->len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (res < 0)
				res = -errno;
		}
		if (res == (ssize_t)v->len)
			continue;
		off = res > 0 ? (size_t)res : 0;
		e = (int)-res;
		if (res >= 0 || res == -EAGAIN || res == -EINTR) {
			/* the rest, waiting for room (a slow server) */
			if (tconn_write(&c->tc, (const char *)v->buf + off, v->len - off, 10000) == 0)
				continue;
			e = errno;
		}
		b->r->err_disconnect++;
		note_error(b, "write failed", strerror(e), strlen(strerror(e)));
		kill_conn(b, c, ep);
	}
	b->ns = 0;
	xbuf_reset(&b->out);
}

/* check_timeouts - requests unanswered for o->timeout_ms */
static void check_timeouts(struct bench *b, int ep, uint64_t t)
{
	unsigned i, k;
	uint64_t lim = (uint64_t)b->o->timeout_ms * 1000u;

	for (i = 0; i < b->o->connections; i++) {
		struct bconn *c = &b->c[i];

		if (c->dead || c->n == 0)
			continue;
		for (k = 0; k < c->n; k++) {
			unsigned s = b->o->kind == BENCH_AUTH ? k : (c->head + k) % BENCH_MAX_PIPELINE;

			if (t - c->q[s].sent_us > lim) {
				b->r->err_timeout++;
				note_error(b, "request unanswered", "", 0);
				kill_conn(b, c, ep);
				break;
			}
		}
	}
}

static int build_auth_resp(struct bench *b, const struct bench_options *o, char *err,
			   size_t errlen)
{
	struct xbuf raw, enc;
	int i, rc = 0;

	if (o->users > 0 && strstr(o->user, "%u") == NULL) {
		snprintf(err, errlen, "--users needs a %%u in --user");
		return -1;
	}
	xbuf_init(&raw, 1024);
	xbuf_init(&enc, 1024);
	for (i = 0; i < 2 && rc == 0; i++) {
		char *dst = i == 0 ? b->good : b->bad;

		xbuf_reset(&raw);
		xbuf_reset(&enc);
		if (xbuf_append_char(&raw, '\0') < 0 || xbuf_append_str(&raw, o->user) < 0 ||
		    xbuf_append_char(&raw, '\0') < 0 || xbuf_append_str(&raw, o->password) < 0 ||
		    (i == 1 && xbuf_append_str(&raw, "-wrong") < 0) ||
		    base64_encode(raw.data, raw.len, &enc) < 0 || enc.len >= sizeof(b->good)) {
			snprintf(err, errlen, "user or password too long");
			rc = -1;
			break;
		}
		memcpy(dst, enc.data, enc.len);
		dst[enc.len] = '\0';
	}
	xbuf_free(&raw);
	xbuf_free(&enc);
	return rc;
}

/* self_cpu_s - user+system time of this process so far */
static double self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* bench_open - every connection, with the auth handshake sent; 0 or -1 (err) */
static int bench_open(struct bench *b, char *err, size_t errlen)
{
	const struct bench_options *o = b->o;
	struct tconn_options to = { 1, 10000 };
	unsigned i;

	for (i = 0; i < o->connections; i++) {
		struct epoll_event ev;

		if (tconn_open(o->target, &to, &b->c[i].tc, err, errlen) < 0) {
			if (i > 0) {
				size_t l = strlen(err);

				snprintf(err + l, errlen - l, " (after %u connections)", i);
			}
			return -1;
		}
		b->c[i].opened = 1;
		b->c[i].next_id = i * 1000u;
		if (o->kind == BENCH_AUTH) {
			char hello[64];
			int n = snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%ld\n",
					 (long)getpid() + (long)i);

			if (tconn_write(&b->c[i].tc, hello, (size_t)n, 10000) < 0) {
				snprintf(err, errlen, "%s: write: %s", o->target->text,
					 strerror(errno));
				return -1;
			}
		} else {
			b->c[i].hs_done = 1;
			b->c[i].seq = (unsigned long)i * 7919u;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(b->ep, EPOLL_CTL_ADD, b->c[i].tc.fd, &ev) < 0) {
			snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* read_one - what read j brought: replies checked in place, the next requests queued */
static void read_one(struct bench *b, size_t j, int batched)
{
	struct bconn *c = &b->c[b->ri[j]];
	ssize_t got = b->rv[j].res;
	const char *line;
	size_t len;
	int lr;

	if (!batched || got == -ECANCELED) {
		size_t avail;
		char *space = linebuf_space(&c->tc.lb, &avail);

		got = read(c->tc.fd, space, avail);
		if (got < 0)
			got = -errno;
	}
	if (got <= 0) {
		if (got == -EAGAIN || got == -EINTR)
			return;
		b->r->err_disconnect++;
		if (got == 0) {
			note_error(b, "server closed the connection", "", 0);
		} else {
			const char *why = strerror((int)-got);

			note_error(b, "read error", why, strlen(why));
		}
		kill_conn(b, c, b->ep);
		return;
	}
	linebuf_commit(&c->tc.lb, (size_t)got);
	while ((lr = linebuf_next(&c->tc.lb, &line, &len)) == 1) {
		if (b->o->kind == BENCH_AUTH)
			auth_line(b, c, line, len);
		else
			policy_line(b, c, line, len);
	}
	if (lr < 0) {
		b->r->err_malformed++;
		note_error(b, "reply line too long", "", 0);
		kill_conn(b, c, b->ep);
		return;
	}
	if (b->t_recv < b->stop_at && fill(b, c, b->ri[j], b->pipeline) < 0) {
		b->r->err_disconnect++;
		note_error(b, "cannot build the request", "", 0);
		kill_conn(b, c, b->ep);
	}
}

/* read_ready - every ready connection's bytes, straight into its line buffer */
static void read_ready(struct bench *b, int n)
{
	size_t nr, j;
	int k, batched;

	for (k = 0, nr = 0; k < n; k++) {
		struct bconn *c = &b->c[b->evs[k].data.u32];
		size_t avail;

		if (c->dead)
			continue;
		b->rv[nr].buf = linebuf_space(&c->tc.lb, &avail);
		b->rv[nr].len = avail;
		b->rv[nr].fd = c->tc.fd;
		b->ri[nr++] = b->evs[k].data.u32;
	}
	batched = b->ring != NULL && nr > 1;
	if (batched)	/* the reads not attempted are -ECANCELED */
		(void)uring_recv_batch(b->ring, nr, b->rv);
	b->t_recv = now_us();
	for (j = 0; j < nr; j++)
		read_one(b, j, batched);
}

/* bench_loop - until the time or the request count is reached, or no connection is left */
static void bench_loop(struct bench *b, uint64_t start)
{
	const struct bench_options *o = b->o;
	uint64_t last_status = start, last_check = start;
	unsigned i;

	for (i = 0; i < o->connections; i++)
		if (fill(b, &b->c[i], i, b->pipeline) < 0) {
			b->r->err_disconnect++;
			kill_conn(b, &b->c[i], b->ep);
		}
	flush_sends(b, b->ep);
	for (;;) {
		uint64_t t = now_us();
		int n;

		if (!b->measuring && t >= b->measure_from)
			b->measuring = 1;
		if (t >= b->stop_at || b->done || b->ndead == o->connections)
			break;
		if (!o->quiet && t - last_status >= 1000000) {
			fprintf(stderr, "\r  %6.1f s  %10llu replies  %8.0f/s ",
				(double)(t - start) / 1e6, (unsigned long long)b->nlat,
				b->measuring ? (double)b->nlat /
					      ((double)(t - b->measure_from) / 1e6 + 1e-9) : 0.0);
			last_status = t;
		}
		if (o->timeout_ms > 0 && t - last_check >= 100000) {
			check_timeouts(b, b->ep, t);
			last_check = t;
		}
		n = epoll_wait(b->ep, b->evs, (int)o->connections, 50);
		read_ready(b, n);
		flush_sends(b, b->ep);
	}
}

/* bench_results - the counts, the CPU time and the latency percentiles */
static void bench_results(struct bench *b, double cpu0)
{
	const struct bench_options *o = b->o;
	struct bench_result *r = b->r;
	unsigned i;

	r->client_cpu_s = self_cpu_s() - cpu0;
	r->elapsed = (double)(now_us() - b->measure_from) / 1e6;
	if (r->elapsed < 0)
		r->elapsed = 0;
	for (i = 0; i < o->connections; i++)
		r->total += b->c[i].replies;
	for (i = 0; i < o->connections; i++)
		if (!b->c[i].dead && b->c[i].hs_done == 0) {
			r->err_timeout++;
			note_error(b, "no handshake", "", 0);
		} else if (!b->c[i].dead && b->c[i].replies == 0 && o->requests == 0) {
			r->err_timeout++;	/* a connection the server never served */
			note_error(b, "connection never answered", "", 0);
		}
	if (!o->quiet)
		fprintf(stderr, "\r%60s\r", "");
	r->server_cpu_s = -1;
	if (b->nlat > 0)
		qsort(b->lat, b->nlat, sizeof(*b->lat), cmp_u32);
	r->p50 = bench_percentile(b->lat, b->nlat, 0.50);
	r->p90 = bench_percentile(b->lat, b->nlat, 0.90);
	r->p99 = bench_percentile(b->lat, b->nlat, 0.99);
	r->p999 = bench_percentile(b->lat, b->nlat, 0.999);
	r->max = b->nlat ? b->lat[b->nlat - 1] : 0;
}

/* bench_free - connections closed, memory given back */
static void bench_free(struct bench *b)
{
	unsigned i;

	for (i = 0; b->c != NULL && i < b->o->connections; i++) {
		if (b->c[i].opened) {
			tconn_close(&b->c[i].tc);
			xbuf_free(&b->c[i].tc.err);
		}
	}
	free(b->c);
	free(b->evs);
	free(b->rv);
	free(b->sv);
	free(b->ri);
	free(b->si);
	free(b->sfirst);
	free(b->soff);
	uring_destroy(&b->ring);
	free(b->lat);
	if (b->o->kind == BENCH_POLICY)
		bench_tmpl_free(&b->tmpl);
	xbuf_free(&b->out);
	close(b->ep);
}

/* bench_run - load o->target as Postfix does, fill r */
int bench_run(const struct bench_options *o, struct bench_result *r, char *err, size_t errlen)
{
	struct bench b;
	uint64_t start;
	double cpu0;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	memset(r, 0, sizeof(*r));
	b.o = o;
	b.r = r;
	b.ep = epoll_create1(EPOLL_CLOEXEC);
	xbuf_init(&b.out, 4 * 1024 * 1024);
	if (b.ep < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		xbuf_free(&b.out);
		return -1;
	}
	b.pipeline = o->pipeline ? o->pipeline : 1;
	if (b.pipeline > BENCH_MAX_PIPELINE)
		b.pipeline = BENCH_MAX_PIPELINE;
	if (o->kind == BENCH_AUTH ? build_auth_resp(&b, o, err, errlen) < 0 :
	    bench_tmpl_build(&b.tmpl, o, err, errlen) < 0)
		goto out;
	b.c = xcalloc(o->connections, sizeof(*b.c));
	b.evs = xcalloc(o->connections, sizeof(*b.evs));
	b.rv = xcalloc(o->connections, sizeof(*b.rv));
	b.sv = xcalloc(o->connections, sizeof(*b.sv));
	b.ri = xcalloc(o->connections, sizeof(*b.ri));
	b.si = xcalloc(o->connections, sizeof(*b.si));
	b.sfirst = xcalloc(o->connections, sizeof(*b.sfirst));
	b.soff = xcalloc(o->connections, sizeof(*b.soff));
	if (!o->no_batching)
		b.ring = uring_create(256);	/* NULL: read and send one by one */
	if (bench_open(&b, err, errlen) < 0)
		goto out;
	start = now_us();
	cpu0 = self_cpu_s();
	b.measure_from = start + (uint64_t)(o->warmup * 1e6);
	b.stop_at = o->seconds > 0 ? b.measure_from + (uint64_t)(o->seconds * 1e6) : UINT64_MAX;
	if (o->warmup <= 0)
		b.measuring = 1;
	bench_loop(&b, start);
	bench_results(&b, cpu0);
	rc = 0;
out:
	bench_free(&b);
	return rc;
}

/* --- output ------------------------------------------------------------------ */

void bench_print(const struct bench_options *o, const struct bench_result *r, int json, FILE *out)
{
	uint64_t replies = r->ok + r->fail + r->err_verdict;
	double rate = r->elapsed > 0 ? (double)replies / r->elapsed : 0;
	uint64_t errors = r->err_wrong_id + r->err_malformed + r->err_verdict + r->err_disconnect +
			  r->err_timeout;

	if (json) {
		fprintf(out, "{\"kind\":\"%s\",\"target\":\"%s\",\"connections\":%u,\"pipeline\":%u,"
			"\"seconds\":%.3f,\"total\":%llu,\"ok\":%llu,\"fail\":%llu,\"rate\":%.1f,\"p50_us\":%llu,"
			"\"p90_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu,"
			"\"errors\":{\"wrong_id\":%llu,\"malformed\":%llu,\"verdict\":%llu,"
			"\"disconnect\":%llu,\"timeout\":%llu}",
			o->kind == BENCH_AUTH ? "auth" : "policy", o->target->text, o->connections,
			o->pipeline ? o->pipeline : 1, r->elapsed, (unsigned long long)r->total,
			(unsigned long long)r->ok,
			(unsigned long long)r->fail, rate, (unsigned long long)r->p50,
			(unsigned long long)r->p90, (unsigned long long)r->p99,
			(unsigned long long)r->p999, (unsigned long long)r->max,
			(unsigned long long)r->err_wrong_id, (unsigned long long)r->err_malformed,
			(unsigned long long)r->err_verdict, (unsigned long long)r->err_disconnect,
			(unsigned long long)r->err_timeout);
		fprintf(out, ",\"client_cpu_s\":%.3f", r->client_cpu_s);
		if (r->server_cpu_s > 0)
			fprintf(out, ",\"server_cpu_s\":%.3f", r->server_cpu_s);
		fprintf(out, "}\n");
		return;
	}
	if (o->kind == BENCH_AUTH)
		fprintf(out, "%s: %u connections, %.1f s: %llu replies verified (%llu OK, %llu FAIL), "
			"%.0f auths/s\n", o->target->text, o->connections, r->elapsed,
			(unsigned long long)(r->ok + r->fail), (unsigned long long)r->ok,
			(unsigned long long)r->fail, rate);
	else
		fprintf(out, "%s: %u connections, %.1f s: %llu replies verified, %.0f decisions/s\n",
			o->target->text, o->connections, r->elapsed, (unsigned long long)r->ok, rate);
	fprintf(out, "latency us: p50 %llu  p90 %llu  p99 %llu  p99.9 %llu  max %llu\n",
		(unsigned long long)r->p50, (unsigned long long)r->p90, (unsigned long long)r->p99,
		(unsigned long long)r->p999, (unsigned long long)r->max);
	fprintf(out, "errors: %llu (wrong id %llu, malformed %llu, wrong %s %llu, "
		"disconnect %llu, timeout %llu)\n", (unsigned long long)errors,
		(unsigned long long)r->err_wrong_id, (unsigned long long)r->err_malformed,
		o->kind == BENCH_AUTH ? "verdict" : "action", (unsigned long long)r->err_verdict,
		(unsigned long long)r->err_disconnect, (unsigned long long)r->err_timeout);
	if (r->total > 0) {
		fprintf(out, "CPU per reply: generator %.2f us", r->client_cpu_s * 1e6 / (double)r->total);
		if (r->server_cpu_s > 0)
			fprintf(out, ", null responder %.2f us",
				r->server_cpu_s * 1e6 / (double)r->total);
		fprintf(out, "\n");
	}
	if (errors > 0 && r->first_error[0])
		fprintf(out, "first error: %s\n", r->first_error);
}
