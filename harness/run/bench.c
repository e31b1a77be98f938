/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	bench - load an auth helper the way Postfix does, and measure it
 * SYNOPSIS
 *	#include "harness/run/bench.h"
 * DESCRIPTION
 *	See bench.h. One epoll loop over all connections; replies are
 *	matched to the in-flight request with the same id (servers may
 *	answer pipelined requests out of order, as Dovecot does with
 *	delayed failures).
 * DIAGNOSTICS
 *	Connection failures before the run are environment errors; during
 *	the run they are counted as disconnects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "harness/run/bench.h"
#include "proto/base64.h"
#include "util/strnum.h"
#include "util/xmem.h"

#define BENCH_MAX_PIPELINE	64

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
	struct inflight q[BENCH_MAX_PIPELINE];
	unsigned seq;				/* for the wrong-password share */
};

struct bench {
	const struct bench_options *o;
	struct bench_result *r;
	struct bconn *c;
	char good[512], bad[512];
	uint32_t *lat;
	size_t nlat, caplat;
	uint64_t measure_from, stop_at;
	int measuring;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* send_one - the next AUTH on a connection */
static int send_one(struct bench *b, struct bconn *c)
{
	char line[1024];
	int want_ok = (c->seq++ % 100) >= b->o->wrong_percent;
	int n = snprintf(line, sizeof(line),
			 "AUTH\t%u\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=%s\n",
			 ++c->next_id, want_ok ? b->good : b->bad);

	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	if (tconn_write(&c->tc, line, (size_t)n, 10000) < 0)
		return -1;
	c->q[c->n].id = c->next_id;
	c->q[c->n].want_ok = want_ok;
	c->q[c->n].sent_us = now_us();
	c->n++;
	return 0;
}

static void record(struct bench *b, uint64_t us)
{
	if (b->nlat == b->caplat) {
		b->caplat = b->caplat ? b->caplat * 2 : 65536;
		b->lat = xrealloc(b->lat, b->caplat * sizeof(*b->lat));
	}
	b->lat[b->nlat++] = us > 0xffffffffu ? 0xffffffffu : (uint32_t)us;
}

/* on_line - one reply line */
static void on_line(struct bench *b, struct bconn *c, const char *line, size_t len)
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
		return;
	}
	idp = line + (is_ok ? 3 : 5);
	tab = memchr(idp, '\t', len - (size_t)(idp - line));
	idlen = tab ? (size_t)(tab - idp) : len - (size_t)(idp - line);
	if (str_to_uint(idp, idlen, &id) < 0) {
		b->r->err_malformed += b->measuring;
		return;
	}
	for (i = 0; i < c->n; i++)
		if (c->q[i].id == id)
			break;
	if (i == c->n) {
		b->r->err_wrong_id += b->measuring;
		return;
	}
	if (b->measuring) {
		if (is_ok != c->q[i].want_ok)
			b->r->err_verdict++;
		else if (is_ok)
			b->r->ok++;
		else
			b->r->fail++;
		record(b, now_us() - c->q[i].sent_us);
	}
	c->q[i] = c->q[--c->n];
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

int bench_auth_run(const struct bench_options *o, struct bench_result *r, char *err,
		   size_t errlen)
{
	struct bench b;
	struct xbuf raw, enc;
	struct tconn_options to = { 1, 10000 };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	unsigned i, pipeline = o->pipeline ? o->pipeline : 1;
	uint64_t start, last_status;
	struct epoll_event *evs;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	memset(r, 0, sizeof(*r));
	b.o = o;
	b.r = r;
	if (pipeline > BENCH_MAX_PIPELINE)
		pipeline = BENCH_MAX_PIPELINE;
	/* the two resp= values */
	xbuf_init(&raw, 1024);
	xbuf_init(&enc, 1024);
	if (xbuf_append_char(&raw, '\0') < 0 || xbuf_append_str(&raw, o->user) < 0 ||
	    xbuf_append_char(&raw, '\0') < 0 || xbuf_append_str(&raw, o->password) < 0 ||
	    base64_encode(raw.data, raw.len, &enc) < 0 || enc.len >= sizeof(b.good)) {
		snprintf(err, errlen, "user or password too long");
		goto out0;
	}
	memcpy(b.good, enc.data, enc.len);
	xbuf_reset(&raw);
	xbuf_reset(&enc);
	if (xbuf_append_char(&raw, '\0') < 0 || xbuf_append_str(&raw, o->user) < 0 ||
	    xbuf_append_char(&raw, '\0') < 0 || xbuf_append_str(&raw, o->password) < 0 ||
	    xbuf_append_str(&raw, "-wrong") < 0 || base64_encode(raw.data, raw.len, &enc) < 0 ||
	    enc.len >= sizeof(b.bad)) {
		snprintf(err, errlen, "user or password too long");
		goto out0;
	}
	memcpy(b.bad, enc.data, enc.len);
	b.c = xcalloc(o->connections, sizeof(*b.c));
	evs = xcalloc(o->connections, sizeof(*evs));
	for (i = 0; i < o->connections; i++) {
		struct epoll_event ev;
		char hello[64];
		int n;

		if (tconn_open(o->target, &to, &b.c[i].tc, err, errlen) < 0)
			goto out;
		b.c[i].opened = 1;
		b.c[i].next_id = i * 1000u;
		n = snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%ld\n", (long)getpid());
		if (tconn_write(&b.c[i].tc, hello, (size_t)n, 10000) < 0) {
			snprintf(err, errlen, "%s: write: %s", o->target->text, strerror(errno));
			goto out;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, b.c[i].tc.fd, &ev);
	}
	start = last_status = now_us();
	b.measure_from = start + (uint64_t)(o->warmup * 1e6);
	b.stop_at = b.measure_from + (uint64_t)(o->seconds * 1e6);
	for (;;) {
		uint64_t t = now_us();
		int n, k;

		if (!b.measuring && t >= b.measure_from)
			b.measuring = 1;
		if (t >= b.stop_at)
			break;
		if (!o->quiet && t - last_status >= 1000000) {
			fprintf(stderr, "\r  %6.1f s  %10llu replies  %8.0f/s ", (double)(t - start) / 1e6,
				(unsigned long long)(r->ok + r->fail),
				b.measuring ? (double)(r->ok + r->fail) / ((double)(t - b.measure_from) / 1e6 + 1e-9) : 0.0);
			last_status = t;
		}
		n = epoll_wait(ep, evs, (int)o->connections, 100);
		for (k = 0; k < n; k++) {
			struct bconn *c = &b.c[evs[k].data.u32];
			char *space;
			size_t avail;
			ssize_t got;
			const char *line;
			size_t len;
			int lr;

			if (c->dead)
				continue;
			space = linebuf_space(&c->tc.lb, &avail);
			got = read(c->tc.fd, space, avail);
			if (got <= 0) {
				if (got < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				c->dead = 1;
				r->err_disconnect++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->tc.fd, NULL);
				continue;
			}
			linebuf_commit(&c->tc.lb, (size_t)got);
			while ((lr = linebuf_next(&c->tc.lb, &line, &len)) == 1) {
				int was = c->hs_done;

				on_line(&b, c, line, len);
				if (!was && c->hs_done) {
					while (c->n < pipeline)
						if (send_one(&b, c) < 0)
							break;
				}
			}
			if (lr < 0) {
				c->dead = 1;
				r->err_malformed++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->tc.fd, NULL);
				continue;
			}
			while (c->hs_done && c->n < pipeline && now_us() < b.stop_at)
				if (send_one(&b, c) < 0) {
					c->dead = 1;
					r->err_disconnect++;
					break;
				}
		}
	}
	r->elapsed = (double)(now_us() - b.measure_from) / 1e6;
	for (i = 0; i < o->connections; i++)
		if (!b.c[i].dead && b.c[i].hs_done == 0)
			r->err_timeout++;
	if (!o->quiet)
		fprintf(stderr, "\r%60s\r", "");
	if (b.nlat > 0)
		qsort(b.lat, b.nlat, sizeof(*b.lat), cmp_u32);
	r->p50 = pct(b.lat, b.nlat, 0.50);
	r->p90 = pct(b.lat, b.nlat, 0.90);
	r->p99 = pct(b.lat, b.nlat, 0.99);
	r->p999 = pct(b.lat, b.nlat, 0.999);
	r->max = b.nlat ? b.lat[b.nlat - 1] : 0;
	rc = 0;
out:
	for (i = 0; i < o->connections; i++) {
		if (b.c[i].opened) {
			tconn_close(&b.c[i].tc);
			xbuf_free(&b.c[i].tc.err);
		}
	}
	free(b.c);
	free(evs);
	free(b.lat);
out0:
	xbuf_free(&raw);
	xbuf_free(&enc);
	close(ep);
	return rc;
}

void bench_print(const struct bench_options *o, const struct bench_result *r, int json, FILE *out)
{
	double rate = r->elapsed > 0 ? (double)(r->ok + r->fail) / r->elapsed : 0;
	uint64_t errors = r->err_wrong_id + r->err_malformed + r->err_verdict + r->err_disconnect +
			  r->err_timeout;

	if (json) {
		fprintf(out, "{\"target\":\"%s\",\"connections\":%u,\"pipeline\":%u,\"seconds\":%.3f,"
			"\"ok\":%llu,\"fail\":%llu,\"rate\":%.1f,\"p50_us\":%llu,\"p90_us\":%llu,"
			"\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu,\"errors\":{\"wrong_id\":%llu,"
			"\"malformed\":%llu,\"verdict\":%llu,\"disconnect\":%llu,\"timeout\":%llu}}\n",
			o->target->text, o->connections, o->pipeline ? o->pipeline : 1, r->elapsed,
			(unsigned long long)r->ok, (unsigned long long)r->fail, rate,
			(unsigned long long)r->p50, (unsigned long long)r->p90, (unsigned long long)r->p99,
			(unsigned long long)r->p999, (unsigned long long)r->max,
			(unsigned long long)r->err_wrong_id, (unsigned long long)r->err_malformed,
			(unsigned long long)r->err_verdict, (unsigned long long)r->err_disconnect,
			(unsigned long long)r->err_timeout);
		return;
	}
	fprintf(out, "%s: %u connections, %.1f s: %llu replies verified (%llu OK, %llu FAIL), "
		"%.0f auths/s\n", o->target->text, o->connections, r->elapsed,
		(unsigned long long)(r->ok + r->fail), (unsigned long long)r->ok,
		(unsigned long long)r->fail, rate);
	fprintf(out, "latency us: p50 %llu  p90 %llu  p99 %llu  p99.9 %llu  max %llu\n",
		(unsigned long long)r->p50, (unsigned long long)r->p90, (unsigned long long)r->p99,
		(unsigned long long)r->p999, (unsigned long long)r->max);
	fprintf(out, "errors: %llu (wrong id %llu, malformed %llu, wrong verdict %llu, "
		"disconnect %llu, no handshake %llu)\n", (unsigned long long)errors,
		(unsigned long long)r->err_wrong_id, (unsigned long long)r->err_malformed,
		(unsigned long long)r->err_verdict, (unsigned long long)r->err_disconnect,
		(unsigned long long)r->err_timeout);
}

static void bench_usage(FILE *fp)
{
	fprintf(fp,
"usage: fake-smtpd bench --auth TARGET --user U --password P [options]\n"
"\n"
"Loads an auth helper the way Postfix does: each connection is one smtpd\n"
"process (handshake, then AUTH PLAIN with one request in flight); every\n"
"reply is verified (id and verdict), never just counted.\n"
"\n"
"  -c, --connections N   connections (default 8)\n"
"      --pipeline K      requests in flight per connection (default 1, max 64)\n"
"  -d, --duration S      measured seconds (default 5)\n"
"      --warmup S        unmeasured seconds first (default 1)\n"
"      --wrong PERCENT   share of requests with a wrong password (default 0)\n"
"      --format text|json\n"
"  -q, --quiet           no live status line\n");
}

/* bench_main - fake-smtpd bench */
int bench_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "auth", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "connections", required_argument, NULL, 'c' },
		{ "pipeline", required_argument, NULL, 'k' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "wrong", required_argument, NULL, 'x' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_options o;
	struct bench_result r;
	struct target t;
	const char *auth = NULL;
	char err[700];
	int ch, json = 0;
	char *end;

	memset(&o, 0, sizeof(o));
	o.connections = 8;
	o.pipeline = 1;
	o.seconds = 5;
	o.warmup = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': auth = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.password = optarg; break;
		case 'c': o.connections = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.connections == 0 || o.connections > 100000) goto bad;
			break;
		case 'k': o.pipeline = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.pipeline == 0 || o.pipeline > BENCH_MAX_PIPELINE) goto bad;
			break;
		case 'd': o.seconds = strtod(optarg, &end);
			if (*end || !(o.seconds > 0) || o.seconds > 3600) goto bad;
			break;
		case 'w': o.warmup = strtod(optarg, &end);
			if (*end || o.warmup < 0 || o.warmup > 600) goto bad;
			break;
		case 'x': o.wrong_percent = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.wrong_percent > 100) goto bad;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0) json = 1;
			else if (strcmp(optarg, "text") != 0) goto bad;
			break;
		case 'q': o.quiet = 1; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 2;
		}
	}
	if (auth == NULL || o.user == NULL || o.password == NULL || optind != argc) {
		fprintf(stderr, "fake-smtpd: bench needs --auth TARGET --user U --password P\n");
		return 2;
	}
	if (target_parse(auth, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		return 2;
	}
	o.target = &t;
	if (!isatty(STDERR_FILENO))
		o.quiet = 1;
	if (bench_auth_run(&o, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		target_free(&t);
		return 2;
	}
	bench_print(&o, &r, json, stdout);
	target_free(&t);
	return (r.err_wrong_id + r.err_malformed + r.err_verdict + r.err_disconnect + r.err_timeout) ? 1 : 0;
bad:
	fprintf(stderr, "fake-smtpd: bench: bad value for --%s: %s\n",
		ch == 'c' ? "connections" : ch == 'k' ? "pipeline" : ch == 'd' ? "duration" :
		ch == 'w' ? "warmup" : ch == 'x' ? "wrong" : "format", optarg);
	return 2;
}
