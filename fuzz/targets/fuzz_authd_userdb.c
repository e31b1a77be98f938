/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_authd_userdb - fuzz target for ref-authd's auth-userdb socket
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Stateful target: everything a client sends on one userdb:
 *	connection, framed by linebuf as ref-authd frames it
 *	(DVMASTER_MAX_LINE, CR stripped), is fed line by line to the userdb
 *	session, without sockets. Input layout:
 *	  byte 0  bit 0 Dovecot 2.4's dialect
 *	  rest    the client's bytes
 *	The passwd-file holds users with and without userdb columns and
 *	userdb_ extra fields (numeric ids only: no system database lookup).
 *
 *	Checked, for every line: both dialects of dvmaster_parse_request()
 *	either accept it, with a command, and for USER and PASS a user
 *	name shorter than the line and a service, or give a reason; when
 *	both accept, they agree on the command, the id and the user.
 *	The session's output is whole lines, each one of the handshake's
 *	or a reply (USER, NOTFOUND, FAIL, DONE), and a USER or NOTFOUND
 *	reply carries the id of the request just read; a session that ends
 *	the connection says why. At most 64 KB of input.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/dvmaster.h"
#include "proto/linebuf.h"
#include "reference/authd/passdb.h"
#include "reference/authd/userdb.h"
#include "util/xbuf.h"

#define FUZZ_USERDB_MAX_INPUT	(64 * 1024)

static const char fuzz_users[] =
	"alice:{PLAIN}s:1000:1000::/home/alice::userdb_quota=1G userdb_flag userdb_uid=2000\n"
	"bare:{PLAIN}x\n"
	"empty:{PLAIN}x::\n"
	"zero:{PLAIN}x:0:0::/r::\n"
	"sys:{PLAIN}x:1000:1000::/h::userdb_x:protected=1 userdb_home:remove userdb_x=2 "
	"userdb_y:default=3 userdb_system_user=f\n"
	"tf:{PLAIN}x:1000:1000::/h::userdb_tempfail\n"
	"tab:{PLAIN}x:1000:1000::/h::userdb_mail=a\tb\001c\n";

struct fz {
	struct passdb *db;
	struct xbuf out;
};

static void fz_send(void *ctx, const char *data, size_t len)
{
	struct fz *f = ctx;

	FUZZ_CHECK(xbuf_append(&f->out, data, len) == 0);
}

static const struct passdb *fz_db(void *ctx)
{
	struct fz *f = ctx;

	return f->db;
}

static const struct authd_userdb_ops fz_ops = { fz_send, fz_db };

/* check_parsers - both dialects on one line */
static void check_parsers(const char *line, size_t len)
{
	static struct dvmaster_request r3, r4;
	const char *e3 = NULL, *e4 = NULL;
	int rc3 = dvmaster_parse_request(line, len, DVMASTER_DOVECOT23, &r3, &e3);
	int rc4 = dvmaster_parse_request(line, len, DVMASTER_DOVECOT24, &r4, &e4);
	const struct dvmaster_request *r[2] = { &r3, &r4 };
	int rc[2] = { rc3, rc4 }, i;

	for (i = 0; i < 2; i++) {
		if (rc[i] < 0) {
			FUZZ_CHECK((i ? e4 : e3) != NULL && *(i ? e4 : e3) != '\0');
			continue;
		}
		FUZZ_CHECK(rc[i] == 0);
		FUZZ_CHECK(r[i]->cmd == DVMASTER_USER || r[i]->cmd == DVMASTER_LIST ||
			   r[i]->cmd == DVMASTER_PASS);
		if (r[i]->cmd != DVMASTER_LIST) {
			FUZZ_CHECK(r[i]->user != NULL && strlen(r[i]->user) < len);
			FUZZ_CHECK(r[i]->has_service);
		}
	}
	if (rc3 == 0 && rc4 == 0) {
		FUZZ_CHECK(r3.cmd == r4.cmd && r3.id == r4.id);
		FUZZ_CHECK(r3.cmd == DVMASTER_LIST || strcmp(r3.user, r4.user) == 0);
	}
}

/* check_output - whole reply lines; USER/NOTFOUND name the request's id */
static void check_output(struct fz *f, const char *line, size_t len, int d24)
{
	static struct dvmaster_request r;
	const char *p = f->out.data, *end = p + f->out.len, *why;
	char id[16];
	int have = len > 0 && dvmaster_parse_request(line, len, d24 ? DVMASTER_DOVECOT24 :
						     DVMASTER_DOVECOT23, &r, &why) == 0;

	FUZZ_CHECK(f->out.len == 0 || end[-1] == '\n');
	if (have)
		snprintf(id, sizeof(id), "\t%u", r.id);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		FUZZ_CHECK(nl != NULL && memchr(p, '\r', n) == NULL);
		FUZZ_CHECK((n > 8 && memcmp(p, "VERSION\t", 8) == 0) ||
			   (n > 5 && memcmp(p, "SPID\t", 5) == 0) ||
			   (n > 5 && memcmp(p, "USER\t", 5) == 0) ||
			   (n > 9 && memcmp(p, "NOTFOUND\t", 9) == 0) ||
			   (n > 5 && memcmp(p, "FAIL\t", 5) == 0) ||
			   (n > 5 && memcmp(p, "DONE\t", 5) == 0));
		if (have && (p[0] == 'U' || p[0] == 'N')) {
			const char *tab = memchr(p, '\t', n);
			size_t idlen = strlen(id);

			FUZZ_CHECK(tab != NULL && (size_t)(p + n - tab) >= idlen &&
				   memcmp(tab, id, idlen) == 0 &&
				   (tab + idlen == p + n || tab[idlen] == '\t'));
		}
		p = nl + 1;
	}
	xbuf_reset(&f->out);
}

/* one_line - a line through the parsers and the session; 1 when it ends the connection */
static int one_line(struct fz *f, struct authd_userdb *u, const char *line, size_t len, int d24)
{
	int closed = 0;

	check_parsers(line, len);
	if (authd_userdb_line(u, line, len) < 0) {
		FUZZ_CHECK(*authd_userdb_error(u) != '\0');
		closed = 1;
	}
	check_output(f, line, len, d24);
	return closed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authd_userdb_settings set;
	struct authd_userdb *u;
	struct linebuf lb;
	struct fz f;
	const char *line;
	const uint8_t *p;
	size_t n, len, took;
	char perr[256];
	int rc = 0, closed = 0;

	if (size < 1 || size > FUZZ_USERDB_MAX_INPUT)
		return 0;
	memset(&set, 0, sizeof(set));
	set.dovecot24 = data[0] & 1;
	set.spid = 4242;
	f.db = passdb_parse(fuzz_users, sizeof(fuzz_users) - 1, "fuzz-users", perr, sizeof(perr));
	FUZZ_CHECK(f.db != NULL);
	xbuf_init(&f.out, 0);
	u = authd_userdb_create(&set, &fz_ops, &f);
	authd_userdb_start(u);
	check_output(&f, "", 0, set.dovecot24);

	linebuf_init(&lb, DVMASTER_MAX_LINE, LINEBUF_CR_STRIP);
	p = data + 1;
	n = size - 1;
	for (; n > 0 && !closed && rc >= 0; p += took, n -= took) {
		took = linebuf_feed(&lb, p, n);
		while (!closed && (rc = linebuf_next(&lb, &line, &len)) == 1)
			closed = one_line(&f, u, line, len, set.dovecot24);
		/* rc < 0: a line too long; the shell disconnects */
	}
	linebuf_free(&lb);
	authd_userdb_destroy(&u);
	xbuf_free(&f.out);
	passdb_unref(&f.db);
	return 0;
}
