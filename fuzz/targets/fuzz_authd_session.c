/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_authd_session - fuzz target for a whole ref-authd connection
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Stateful target: everything a client sends on one auth-client
 *	connection, framed by linebuf exactly as ref-authd frames it
 *	(DVAUTH_MAX_LINE, CR stripped), is fed line by line to the session
 *	state machine, without sockets. Input layout:
 *	  byte 0  bit 0 Dovecot 2.4 handshake; bit 1 passdb answers for
 *	          PLAIN/LOGIN arrive after the next line (late answers, as
 *	          from the worker queue) instead of at once; bit 2 byte 1
 *	          holds fault switches (AUTHD_FAULT_*, low 8 bits); bit 3 at
 *	          most 4 pending requests; bits 4-5 the clock step per line:
 *	          0, 1 s, 60 s or 200 s (past the 150 s request timeout).
 *	  byte 1  faults (when byte 0 bit 2)
 *	  rest    the client's bytes
 *	The passdb holds alice {PLAIN}secret, bob {CRAM-MD5}, carol
 *	{SCRAM-SHA-256} and dave {SCRAM-SHA-1} (1 PBKDF2 iteration), all with
 *	the password "secret"; every mechanism is offered.
 *
 *	The session gives its mechanisms no fixed nonce, so CRAM-MD5
 *	challenges and SCRAM nonces come from RAND_bytes(). In fuzzing
 *	builds this file defines RAND_bytes() to return 0x66 bytes (the
 *	executable's definition is the one the library's calls bind to):
 *	runs are repeatable and seeds can answer a challenge, e.g. the
 *	CRAM-MD5 challenge is <2222222222222222.1700000000@mx.fuzz.test>.
 *
 *	Checked: without faults every line the server sends parses as a
 *	Dovecot server line (dvauth_parse_server_line) and is at most
 *	DVAUTH_MAX_LINE bytes; a session that ends the connection says why.
 *	At most FUZZ_AUTHD_MAX_INPUT bytes of input.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include <openssl/rand.h>

#include "fuzz/fuzz.h"
#include "proto/dvauth.h"
#include "proto/linebuf.h"
#include "proto/sasl.h"
#include "reference/authd/passdb.h"
#include "reference/authd/session.h"
#include "util/xmem.h"

#define FUZZ_AUTHD_MAX_INPUT	(64 * 1024)
#define FUZZ_AUTHD_MAX_LATE	16

static const char fuzz_users[] =
	"alice:{PLAIN}secret\n"
	"bob:{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56\n"
	"carol:{SCRAM-SHA-256}1,ZnV6ei1zYWx0LTE2Ynl0ZQ==,"
	"1JMwzydz8lYN1KSi7KYp+NzzY64FoqNE7SSPEN7oc7I=,"
	"/XkGS8djC7Ogp+Sf52Lgx2BL2EMQOrXM8DTXGJ661p4=\n"
	"dave:{SCRAM-SHA-1}1,ZnV6ei1zYWx0LTE2Ynl0ZQ==,"
	"QUQNZXQcxmkz27aVwJ1qvRVnVR4=,akJlsDw736uXYyrjs9U9iSM/RSA=\n";

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* RAND_bytes - predictable "randomness" for repeatable runs */
int RAND_bytes(unsigned char *buf, int num)
{
	if (num > 0)
		memset(buf, 0x66, (size_t)num);
	return 1;
}
#endif

struct late {
	unsigned id;
	uint64_t serial;
	int ok;
};

struct fz {
	struct authd_session *s;
	struct passdb *db;
	struct xbuf out;		/* server output not yet checked */
	int check;			/* no faults: output must be well formed */
	int deferred;
	int dovecot24;			/* verify as ref-authd --handshake 2.4 does */
	size_t nlate;
	struct late late[FUZZ_AUTHD_MAX_LATE];
};

static void fz_send(void *ctx, const char *data, size_t len)
{
	struct fz *f = ctx;

	FUZZ_CHECK(xbuf_append(&f->out, data, len) == 0);
}

static const struct passdb_user *fz_lookup(void *ctx, const char *user)
{
	struct fz *f = ctx;

	return passdb_lookup(f->db, user);
}

static void fz_verify(void *ctx, unsigned id, uint64_t serial, const char *user,
		      const char *password)
{
	struct fz *f = ctx;
	const struct passdb_user *u = passdb_lookup(f->db, user);
	int ok = u != NULL ? passdb_verify_as(u, password, f->dovecot24) : 0;

	if (f->deferred && f->nlate < FUZZ_AUTHD_MAX_LATE) {
		f->late[f->nlate].id = id;
		f->late[f->nlate].serial = serial;
		f->late[f->nlate].ok = ok;
		f->nlate++;
		return;
	}
	authd_session_verified(f->s, id, serial, ok);
}

static uint64_t fz_time(void *ctx)
{
	(void)ctx;
	return 1700000000ULL;
}

/* fz_send_after - a reply after a delay: checked as any other output */
static void fz_send_after(void *ctx, const char *data, size_t len, uint64_t ms)
{
	(void)ms;
	fz_send(ctx, data, len);
}

static const struct authd_ops fz_ops = {
	fz_send, fz_send, fz_lookup, fz_verify, NULL, fz_time, fz_send_after
};

/* check_output - every complete line sent so far is a server line */
static void check_output(struct fz *f)
{
	struct dvauth_server_msg *m;
	const char *err, *lf;
	size_t used = 0, len;

	if (!f->check) {
		xbuf_reset(&f->out);
		return;
	}
	m = xmalloc(sizeof(*m));
	while (used < f->out.len &&
	       (lf = memchr(f->out.data + used, '\n', f->out.len - used)) != NULL) {
		len = (size_t)(lf - (f->out.data + used));
		FUZZ_CHECK(len < DVAUTH_MAX_LINE);
		err = NULL;
		FUZZ_CHECK(dvauth_parse_server_line(f->out.data + used, len, m, &err) == 0);
		FUZZ_CHECK(m->cmd != DVAUTH_UNKNOWN);
		used += len + 1;
	}
	xbuf_consume(&f->out, used);
	free(m);
}

/* answer_late - the passdb's deferred answers arrive */
static void answer_late(struct fz *f)
{
	struct late late[FUZZ_AUTHD_MAX_LATE];
	size_t n = f->nlate, i;

	memcpy(late, f->late, n * sizeof(late[0]));
	f->nlate = 0;
	for (i = 0; i < n; i++)
		authd_session_verified(f->s, late[i].id, late[i].serial, late[i].ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps[4] = { 0, 1000, 60000, 200000 };
	struct authd_settings set;
	struct authd_ident ident;
	struct linebuf lb;
	struct fz f;
	const char *line, *err;
	const uint8_t *p;
	size_t n, len, took;
	uint64_t now = 0, step;
	char perr[256];
	int rc = 0, closed = 0;

	if (size < 2 || size > FUZZ_AUTHD_MAX_INPUT)
		return 0;
	memset(&set, 0, sizeof(set));
	set.mechs = (1u << SASL_MECH_COUNT) - 1;
	set.handshake_24 = data[0] & 1;
	set.max_pending = (data[0] & 8) ? 4 : 0;
	set.request_timeout_ms = 150000;
	set.hostname = "mx.fuzz.test";
	set.anonymous_username = "anonymous";
	set.faults = (data[0] & 4) ? data[1] : 0;
	step = steps[(data[0] >> 4) & 3];
	memset(&ident, 0, sizeof(ident));
	ident.spid = 4242;
	ident.cuid = 7;
	memcpy(ident.cookie, "0123456789abcdef0123456789abcdef", 33);

	memset(&f, 0, sizeof(f));
	f.db = passdb_parse(fuzz_users, sizeof(fuzz_users) - 1, "fuzz-users", perr, sizeof(perr));
	FUZZ_CHECK(f.db != NULL);
	xbuf_init(&f.out, 0);
	f.check = set.faults == 0;
	f.dovecot24 = set.handshake_24;
	f.deferred = (data[0] & 2) != 0;
	f.s = authd_session_create(&set, &fz_ops, &f, &ident);
	FUZZ_CHECK(f.s != NULL);
	authd_session_start(f.s);
	check_output(&f);

	linebuf_init(&lb, DVAUTH_MAX_LINE, LINEBUF_CR_STRIP);
	p = data + 2;
	n = size - 2;
	while (n > 0 && !closed) {
		took = linebuf_feed(&lb, p, n);
		p += took;
		n -= took;
		while (!closed && (rc = linebuf_next(&lb, &line, &len)) == 1) {
			now += step;
			if (authd_session_line(f.s, line, len, now) < 0) {
				err = authd_session_error(f.s);
				FUZZ_CHECK(err != NULL && *err != '\0');
				closed = 1;
			}
			check_output(&f);
			if (closed)
				break;
			answer_late(&f);
			authd_session_expire(f.s, now);
			check_output(&f);
		}
		if (rc < 0)
			break;		/* line too long: the shell disconnects */
	}
	linebuf_free(&lb);
	authd_session_destroy(&f.s);
	xbuf_free(&f.out);
	passdb_unref(&f.db);
	return 0;
}
