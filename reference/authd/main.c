/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ref-authd - reference Dovecot-protocol SASL auth server
 * SYNOPSIS
 *	ref-authd [options] LISTEN...
 * DESCRIPTION
 *	What ref-authd adds to the daemon skeleton (reference/common/
 *	daemon.h, which reads the options and the config file, listens,
 *	handles signals, privileges, logging and the connection count):
 *	its options, the glue between connections and session.c, the
 *	failure delay timers and delay/crlf/close-after faults, the worker
 *	pool for expensive password schemes, the per-IP penalty table,
 *	request expiry, per-request log lines written once per loop
 *	iteration, and the passwd-file, reloaded on SIGHUP. See
 *	docs/ref-authd.8 and --help.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT or when the spawn connection ends; 2 on
 *	a usage or start-up error, with the reason on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "io/ev.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "reference/authd/passdb.h"
#include "reference/authd/session.h"
#include "reference/authd/userdb.h"
#include "reference/common/conn.h"
#include "reference/common/daemon.h"
#include "reference/common/workq.h"
#include "util/msg.h"
#include "util/xmem.h"

struct authd {
	struct daemon *dm;		/* the skeleton */
	struct ev_loop *loop;
	struct workq *workq;
	unsigned workers;
	struct passdb *db;
	const char *passwd_file;
	struct authd_settings set;
	uint64_t failure_delay_ms;
	unsigned long next_cuid;
	char hostname[256];
	unsigned char scram_secret[32];	/* unknown SCRAM users' answers, per process */
	/* daemon-level faults */
	int fault_crlf;
	uint64_t fault_delay_ms;
	unsigned fault_close_after;
	struct client *clients;
	struct authd_penalty *penalty;	/* --penalty, or NULL */
	struct authd_budget budget;	/* all pending requests' and unsent output's bytes
					   (--max-pending-total) */
	/* per-request log lines, written once per loop iteration (log_flush) */
	struct xbuf logbuf;
	int log_scheduled;
	int log_null;		/* stderr is /dev/null: per-request lines are not formatted */
};

struct client {
	struct daemon_client base;	/* references, closed (daemon.h) */
	struct client *prev, *next;
	struct authd *d;
	struct conn *conn;
	struct authd_session *sess;
	struct authd_userdb *udb;	/* a userdb: connection (then sess is NULL) */
	int started;		/* the greeting is out: the delay fault applies */
	unsigned lines_sent;
};

static struct authd the_authd;

/* client_destroy - the connection and every job and timer let go */
static void client_destroy(struct daemon_client *base)
{
	struct client *c = (struct client *)base;

	authd_session_destroy(&c->sess);
	authd_userdb_destroy(&c->udb);
	free(c);
}

/* raw_send - bytes to the connection, with the daemon-level faults */
static void raw_send(struct client *c, const char *data, size_t len)
{
	struct authd *d = c->d;
	size_t i, start = 0;

	if (c->base.closed)
		return;
	if (!d->fault_crlf && !d->fault_close_after) {
		if (conn_write(c->conn, data, len) < 0)
			conn_close(c->conn, "output queue full");
		return;
	}
	for (i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (conn_write(c->conn, data + start, i - start) < 0 ||
		    conn_write(c->conn, d->fault_crlf ? "\r\n" : "\n", d->fault_crlf ? 2 : 1) < 0) {
			conn_close(c->conn, "output queue full");
			return;
		}
		start = i + 1;
		if (d->fault_close_after && ++c->lines_sent >= d->fault_close_after) {
			conn_close_after_flush(c->conn, "fault close-after");
			return;
		}
	}
	if (start < len && conn_write(c->conn, data + start, len - start) < 0)
		conn_close(c->conn, "output queue full");
}

static void evict(struct authd *d);

struct delayed {
	struct client *c;
	size_t len;
	char data[];
};

static void delayed_fire(struct ev_loop *loop, void *ctx)
{
	struct delayed *dl = ctx;

	(void)loop;
	raw_send(dl->c, dl->data, dl->len);
	evict(dl->c->d);
	daemon_client_release(&dl->c->base);
	free(dl);
}

/* send_after - output after ms (failure delay, delay fault) */
static void send_after(struct client *c, uint64_t ms, const char *data, size_t len)
{
	struct delayed *dl;

	if (ms == 0) {
		raw_send(c, data, len);
		return;
	}
	dl = xmalloc(sizeof(*dl) + len);
	dl->c = c;
	dl->len = len;
	memcpy(dl->data, data, len);
	daemon_client_hold(&c->base);
	ev_timer_add(c->d->loop, ms, delayed_fire, dl);
}

static void op_send(void *ctx, const char *data, size_t len)
{
	struct client *c = ctx;

	send_after(c, c->started ? c->d->fault_delay_ms : 0, data, len);
}

static void op_send_fail_delayed(void *ctx, const char *line, size_t len)
{
	struct client *c = ctx;

	send_after(c, c->d->failure_delay_ms + c->d->fault_delay_ms, line, len);
}

/* op_send_after - a reply after ms of its own (2.4's internal failure delay) */
static void op_send_after(void *ctx, const char *line, size_t len, uint64_t ms)
{
	struct client *c = ctx;

	send_after(c, ms + c->d->fault_delay_ms, line, len);
}

static const struct passdb_user *op_lookup(void *ctx, const char *user)
{
	struct client *c = ctx;

	return passdb_lookup(c->d->db, user);
}

struct verify_job {
	struct client *c;
	struct passdb *db;
	unsigned id;
	uint64_t serial;
	char *user;
	char *password;
	int dovecot24;
	int ok;
};

static void verify_work(void *arg)
{
	struct verify_job *j = arg;
	const struct passdb_user *u = passdb_lookup(j->db, j->user);

	j->ok = u != NULL ? passdb_verify_as(u, j->password, j->dovecot24) : 0;
}

static void verify_done(void *arg)
{
	struct verify_job *j = arg;

	if (!j->c->base.closed) {
		authd_session_verified(j->c->sess, j->id, j->serial, j->ok);
		evict(j->c->d);
	}
	daemon_client_release(&j->c->base);
	passdb_unref(&j->db);
	free(j->user);
	xmem_wipe(j->password, strlen(j->password));
	free(j->password);
	free(j);
}

static void op_verify(void *ctx, unsigned id, uint64_t serial, const char *user,
		      const char *password)
{
	struct client *c = ctx;
	const struct passdb_user *u = passdb_lookup(c->d->db, user);
	struct verify_job *j;

	if (u == NULL || !passdb_scheme_expensive(u) || c->d->workq == NULL) {
		authd_session_verified(c->sess, id, serial, u != NULL ?
				       passdb_verify_as(u, password, c->d->set.handshake_24) : 0);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->c = c;
	j->db = c->d->db;
	passdb_ref(j->db);
	j->id = id;
	j->serial = serial;
	j->user = xstrdup(user);
	j->password = xstrdup(password);
	j->dovecot24 = c->d->set.handshake_24;
	daemon_client_hold(&c->base);
	if (workq_submit(c->d->workq, verify_work, verify_done, j) < 0) {
		/* queue full: a temporary failure, like Dovecot's internal failure */
		j->ok = 0;
		verify_done(j);
	}
}

/* log_flush - the iteration's per-request log lines in one write */
static void log_flush(struct ev_loop *loop, void *ctx)
{
	struct authd *d = ctx;
	size_t off = 0;

	(void)loop;
	d->log_scheduled = 0;
	while (off < d->logbuf.len) {
		ssize_t n = write(STDERR_FILENO, d->logbuf.data + off, d->logbuf.len - off);

		if (n <= 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* nowhere left to report */
		off += (size_t)n;
	}
	xbuf_reset(&d->logbuf);
}

/*
 * op_log - one line per authentication, in msg_info's format; the lines of
 * one loop iteration go out together (at 100,000 requests/s a write(2) per
 * line would be a third of the server's system calls)
 */
static void op_log(void *ctx, const char *text)
{
	struct client *c = ctx;
	struct authd *d = c->d;

	if (xbuf_printf(&d->logbuf, "ref-authd: %s: %s\n", conn_peer(c->conn), text) < 0) {
		log_flush(d->loop, d);	/* full: write what is there, then this line */
		if (xbuf_printf(&d->logbuf, "ref-authd: %s: %s\n", conn_peer(c->conn), text) < 0)
			xbuf_reset(&d->logbuf);
	}
	if (!d->log_scheduled) {
		d->log_scheduled = 1;
		ev_defer(d->loop, log_flush, d);
	}
}

static uint64_t op_unix_time(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

static const struct authd_ops client_ops = {
	op_send, op_send_fail_delayed, op_lookup, op_verify, op_log, op_unix_time, op_send_after,
};

/* the same without per-request log lines (the log is /dev/null) */
static const struct authd_ops client_ops_nolog = {
	op_send, op_send_fail_delayed, op_lookup, op_verify, NULL, op_unix_time, op_send_after,
};

/* --- the per-IP penalty (--penalty), one table for all connections ------ */

static unsigned pen_get(void *ctx, const char *ident)
{
	struct client *c = ctx;

	return authd_penalty_get(c->d->penalty, ident, ev_now_ms(c->d->loop) / 1000);
}

static void pen_inc(void *ctx, const char *ident, uint32_t checksum, unsigned value)
{
	struct client *c = ctx;

	authd_penalty_inc(c->d->penalty, ident, checksum, value, ev_now_ms(c->d->loop) / 1000);
}

struct deferred {
	struct client *c;
	unsigned id;
	uint64_t serial;
};

static void deferred_fire(struct ev_loop *loop, void *ctx)
{
	struct deferred *df = ctx;

	(void)loop;
	if (!df->c->base.closed) {
		authd_session_resume(df->c->sess, df->id, df->serial);
		evict(df->c->d);
	}
	daemon_client_release(&df->c->base);
	free(df);
}

static void pen_defer(void *ctx, unsigned id, uint64_t serial, uint64_t ms)
{
	struct client *c = ctx;
	struct deferred *df = xmalloc(sizeof(*df));

	df->c = c;
	df->id = id;
	df->serial = serial;
	daemon_client_hold(&c->base);
	ev_timer_add(c->d->loop, ms, deferred_fire, df);
}

static const struct authd_penalty_ops penalty_ops = { pen_get, pen_inc, pen_defer };

/* --- connections ------------------------------------------------------- */

/* held - what a client holds: its pending requests' bytes and its unsent output */
static size_t held(const struct client *c)
{
	return authd_session_pending_bytes(c->sess) + conn_output_queued(c->conn);
}

/*
 * evict - above --max-pending-total, the connection that holds the most
 * bytes (pending requests and output it does not read) goes, with its
 * requests, until the total is under the bound again: a client that
 * hoards requests or replies cannot starve the others
 */
static void evict(struct authd *d)
{
	while (d->budget.max > 0 && d->budget.used + d->budget.out > d->budget.max) {
		struct client *c, *big = NULL;

		for (c = d->clients; c != NULL; c = c->next)
			if (!conn_is_closing(c->conn) && held(c) > 0 &&
			    (big == NULL || held(c) > held(big)))
				big = c;
		if (big == NULL)
			return;
		log_flush(d->loop, d);
		msg_warn("%s: pending requests and unread output of all clients above "
			 "--max-pending-total %zu bytes: disconnecting client %lu, the largest "
			 "(%zu requests, %zu bytes; %zu bytes of output)",
			 conn_peer(big->conn), d->budget.max, authd_session_client_pid(big->sess),
			 authd_session_pending(big->sess), authd_session_pending_bytes(big->sess),
			 conn_output_queued(big->conn));
		authd_session_drop_pending(big->sess);
		conn_close(big->conn, "too many pending bytes on the server");
	}
}

static void on_line(struct conn *cn, const char *line, size_t len)
{
	struct client *c = conn_ctx(cn);

	if (authd_session_line(c->sess, line, len, ev_now_ms(c->d->loop)) < 0) {
		log_flush(c->d->loop, c->d);	/* the request lines before the reason */
		msg_warn("%s: %s", conn_peer(cn), authd_session_error(c->sess));
		authd_session_drop_pending(c->sess);
		conn_close(cn, authd_session_error(c->sess));
		return;
	}
	evict(c->d);
}

static void on_overflow(struct conn *cn)
{
	struct client *c = conn_ctx(cn);

	msg_warn("%s: BUG: Auth client %lu sent us more than %d bytes", conn_peer(cn),
		 authd_session_client_pid(c->sess), DVAUTH_MAX_LINE);
}

static void on_close(struct conn *cn, const char *reason)
{
	struct client *c = conn_ctx(cn);
	struct authd *d = c->d;

	log_flush(d->loop, d);
	if (daemon_verbose(d->dm) || authd_session_pending(c->sess) > 0)
		msg_info("%s: disconnected (%s) with %zu pending requests", conn_peer(cn), reason,
			 authd_session_pending(c->sess));
	if (c->prev)
		c->prev->next = c->next;
	else
		d->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	daemon_conn_closed(d->dm, &c->base);
}

static const struct conn_ops conn_ops = { on_line, on_overflow, on_close, NULL };

/* --- userdb: connections (Dovecot's auth-userdb socket) ------------------ */

static void udb_send(void *ctx, const char *data, size_t len)
{
	raw_send(ctx, data, len);
}

static const struct passdb *udb_db(void *ctx)
{
	struct client *c = ctx;

	return c->d->db;
}

static const struct authd_userdb_ops udb_ops = { udb_send, udb_db };

static void udb_on_line(struct conn *cn, const char *line, size_t len)
{
	struct client *c = conn_ctx(cn);

	if (authd_userdb_line(c->udb, line, len) < 0) {
		msg_warn("%s: auth-master client: %s", conn_peer(cn), authd_userdb_error(c->udb));
		conn_close(cn, authd_userdb_error(c->udb));
	}
}

static void udb_on_overflow(struct conn *cn)
{
	msg_warn("%s: auth-master client: BUG: Master sent us more than %d bytes", conn_peer(cn),
		 DVMASTER_MAX_LINE);
}

static void udb_on_close(struct conn *cn, const char *reason)
{
	struct client *c = conn_ctx(cn);

	if (daemon_verbose(c->d->dm))
		msg_info("%s: disconnected (%s)", conn_peer(cn), reason);
	daemon_conn_closed(c->d->dm, &c->base);
}

static const struct conn_ops udb_conn_ops = { udb_on_line, udb_on_overflow, udb_on_close, NULL };

/* client_new - a connection's client; NULL when it cannot be set up */
static struct client *client_new(struct authd *d, int rfd, int wfd, size_t max_line,
				 const struct conn_ops *ops, const char *peer)
{
	struct conn_settings cs = { max_line, LINEBUF_CR_STRIP, 50 * 1024, 4 * 1024 * 1024, 0 };
	struct client *c = xcalloc(1, sizeof(*c));

	c->d = d;
	daemon_client_init(&c->base, client_destroy);
	c->conn = daemon_conn_create(d->dm, rfd, wfd, &cs, ops, c, peer);
	if (c->conn == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/* udb_start - a connection to a userdb: listener */
static void udb_start(struct authd *d, int rfd, int wfd, const char *peer)
{
	struct authd_userdb_settings us;
	struct client *c = client_new(d, rfd, wfd, DVMASTER_MAX_LINE, &udb_conn_ops, peer);

	if (c == NULL)
		return;
	conn_count_output(c->conn, &d->budget.out);
	us.dovecot24 = d->set.handshake_24;
	us.spid = (unsigned long)getpid();
	c->udb = authd_userdb_create(&us, &udb_ops, c);
	authd_userdb_start(c->udb);
}

/* the LISTEN prefixes: Dovecot 2.4's auth-legacy and the auth-userdb socket */
enum { KIND_AUTH, KIND_LEGACY, KIND_USERDB };
static const char *const listen_kinds[] = { "legacy", "userdb", NULL };

/* client_start - a new connection (the skeleton's connect hook) */
static void client_start(void *ctx, int rfd, int wfd, const char *peer, unsigned kind)
{
	struct authd *d = ctx;
	struct client *c;
	struct authd_ident ident;
	struct authd_settings set = d->set;
	unsigned char rnd[16];
	size_t i;

	if (kind == KIND_USERDB) {
		udb_start(d, rfd, wfd, peer);
		return;
	}
	set.handshake_legacy = kind == KIND_LEGACY;
	if ((c = client_new(d, rfd, wfd, DVAUTH_MAX_LINE, &conn_ops, peer)) == NULL)
		return;
	conn_count_output(c->conn, &d->budget.out);
	memset(&ident, 0, sizeof(ident));
	ident.spid = (unsigned long)getpid();
	ident.cuid = ++d->next_cuid;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < 16; i++)
		snprintf(ident.cookie + 2 * i, 3, "%02x", rnd[i]);
	c->sess = authd_session_create(&set, d->log_null ? &client_ops_nolog : &client_ops, c,
				       &ident);
	if (d->penalty != NULL)
		authd_session_set_penalty(c->sess, &penalty_ops, c);
	c->next = d->clients;
	if (d->clients)
		d->clients->prev = c;
	d->clients = c;
	authd_session_start(c->sess);
	c->started = 1;
}

/* expire_tick - drop abandoned requests every few seconds */
static void expire_tick(struct ev_loop *loop, void *ctx)
{
	struct authd *d = ctx;
	struct client *c;

	for (c = d->clients; c != NULL; c = c->next)
		authd_session_expire(c->sess, ev_now_ms(loop));
	ev_timer_add(loop, 5000, expire_tick, d);
}

/* warn_passdb - the passwd-file's duplicate users, as Dovecot warns at load */
static void warn_passdb(const struct passdb *db)
{
	size_t n;
	const char *w = passdb_warning(db, &n);

	if (w == NULL)
		return;
	if (n > 1)
		msg_warn("%s (and %zu more repeated user lines)", w, n - 1);
	else
		msg_warn("%s", w);
}

/* reload - SIGHUP: the passwd-file again; the old users stay if it fails */
static void reload(void *ctx)
{
	struct authd *d = ctx;
	char err[512];
	struct passdb *db;

	db = passdb_load(d->passwd_file, err, sizeof(err));
	if (db == NULL) {
		msg_warn("reload failed, keeping the old users: %s", err);
		return;
	}
	passdb_unref(&d->db);
	d->db = db;
	warn_passdb(db);
	if (passdb_count(db) == 0)
		msg_warn("reloaded %s: no users: every login fails until it has some",
			 d->passwd_file);
	else
		msg_info("reloaded %s: %zu users", d->passwd_file, passdb_count(db));
}

/* log_is_null - is stderr /dev/null (then per-request lines are skipped) */
static int log_is_null(void)
{
	struct stat e, n;

	return fstat(STDERR_FILENO, &e) == 0 && stat("/dev/null", &n) == 0 &&
	       S_ISCHR(e.st_mode) && S_ISCHR(n.st_mode) && e.st_rdev == n.st_rdev;
}

/* --- options ----------------------------------------------------------- */

static const char usage[] =
"usage: ref-authd [options] LISTEN...\n"
"\n"
"Reference Dovecot-protocol SASL auth server (the socket Postfix's\n"
"smtpd_sasl_type=dovecot talks to), behaving as Dovecot 2.3's auth server.\n"
"\n"
"LISTEN is unix:/path, inet:host:port, inet:[v6]:port, or spawn (one\n"
"connection on stdin/stdout, as master.cf spawn runs it); legacy:LISTEN\n"
"sends the whole handshake at once (2.4's auth-legacy), userdb:LISTEN\n"
"answers USER lookups (auth-userdb).\n"
"\n"
"  -p, --passwd-file FILE    Dovecot passwd-file (required; reloaded on SIGHUP)\n"
"  -m, --mechanisms LIST     offered mechanisms, comma-separated\n"
"                            (default plain,login,cram-md5,scram-sha-1,scram-sha-256;\n"
"                            also anonymous, external)\n"
"  -d, --failure-delay TIME  delay before a failed-authentication reply (default 2s;\n"
"                            TIME is N[ms|s|m|h], a bare number is milliseconds)\n"
"      --handshake 2.3|2.4   2.4: send MECH..DONE only after the client's VERSION\n"
"                            (not on legacy:), and answer as Dovecot 2.4 on\n"
"                            every listener\n"
"      --max-pending N       pending requests per connection (default 1024)\n"
"      --max-pending-bytes SIZE\n"
"                            bytes pending requests may hold per connection;\n"
"                            above, the connection ends (default 1M; SIZE is\n"
"                            N[k|m], 0 = no limit)\n"
"      --max-pending-total SIZE\n"
"                            the same for all connections together, with their\n"
"                            unread output; above, the connection holding the\n"
"                            most ends (default 16M)\n"
"      --request-timeout TIME drop abandoned requests after TIME (default 150s)\n"
"      --max-connections N   stop accepting above N connections (default 10000)\n"
"      --send-batching yes|no the replies of one loop iteration go out in one\n"
"                            io_uring_enter(2) instead of one send(2) each, where\n"
"                            the kernel allows it (default yes)\n"
"      --penalty             Dovecot's per-IP penalty: after failures from an AUTH\n"
"                            rip=, its next requests wait 4, 8 or 15 s (default off)\n"
"  -w, --workers N           threads for crypt schemes and PBKDF2 (default: one per\n"
"                            online CPU)\n"
"      --hostname NAME       host name in CRAM-MD5 challenges\n"
"      --anonymous-user NAME user name for ANONYMOUS (default anonymous)\n"
"      --unsafe-trust-username MECH\n"
"                            UNSAFE demo: offer MECH, which accepts any response\n"
"                            as the user name without a password. Never in production.\n"
"      --mode OCTAL          permissions of unix: sockets (default 0600)\n"
"      --owner USER[:GROUP]  owner of unix: sockets (default: unchanged)\n"
"  -u, --user USER           drop privileges to USER after binding\n"
"  -l, --log-file FILE       log there instead of stderr (in spawn mode, when stderr\n"
"                            is the connection itself, logs are dropped unless set)\n"
"      --pid-file FILE       write the process id there, locked (a second\n"
"                            ref-authd with the same FILE is refused);\n"
"                            removed at exit\n"
"  -f, --fault LIST          deliberate protocol errors, comma-separated:\n"
"                            spid-before-mech no-done version-major-2 bare-version\n"
"                            ok-without-user wrong-id cont-extra-fields garbage-line\n"
"                            unescaped-tab-user fail-temp ok-nologin cont-no-data\n"
"                            leaky-reason final-resp-always crlf close-after=N\n"
"                            delay=TIME (every reply after the greeting comes late)\n"
"  -c, --config FILE         read options from FILE first: one \"name = value\" per\n"
"                            line, names as the long options (listen = SPEC for\n"
"                            listeners); options on the command line win\n"
"  -v, --verbose             log connects and disconnects\n"
"  -h, --help                this text\n"
"      --version             the release and commit\n";


/* parse_mechs - --mechanisms LIST */
static void parse_mechs(struct authd *d, const char *list)
{
	char *copy = xstrdup(list), *tok, *save = NULL;

	d->set.mechs = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct sasl_mech_info *mi = sasl_mech_by_name(tok, strlen(tok));

		if (mi == NULL)
			msg_fatal("--mechanisms: unknown mechanism %s", tok);
		d->set.mechs |= 1u << mi->mech;
	}
	free(copy);
}

/* parse_faults - --fault LIST: session faults and the shell's own */
static void parse_faults(struct authd *d, const char *list)
{
	char *copy = xstrdup(list), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned bit;

		if (authd_fault_parse(tok, strlen(tok), &bit) == 0)
			d->set.faults |= bit;
		else if (strcmp(tok, "crlf") == 0)
			d->fault_crlf = 1;
		else if (strncmp(tok, "delay=", 6) == 0)
			d->fault_delay_ms = daemon_opt_ms("--fault delay", tok + 6);
		else if (strncmp(tok, "close-after=", 12) == 0)
			d->fault_close_after = (unsigned)daemon_opt_uint("--fault close-after",
									 tok + 12, 0, (unsigned long)-1);
		else
			msg_fatal("--fault: unknown fault %s", tok);
	}
	free(copy);
}

/* ref-authd's own options; the skeleton has the common ones */
enum {
	OPT_HANDSHAKE = 1,
	OPT_MAX_PENDING,
	OPT_REQUEST_TIMEOUT,
	OPT_HOSTNAME,
	OPT_ANONYMOUS_USER,
	OPT_UNSAFE_TRUST_USERNAME,
	OPT_PENALTY,
	OPT_MAX_PENDING_BYTES,
	OPT_MAX_PENDING_TOTAL,
};

static const struct daemon_option options[] = {
	{ "passwd-file", 'p', DAEMON_ARG_REQUIRED, 0 },
	{ "mechanisms", 'm', DAEMON_ARG_REQUIRED, 0 },
	{ "failure-delay", 'd', DAEMON_ARG_REQUIRED, 0 },
	{ "handshake", OPT_HANDSHAKE, DAEMON_ARG_REQUIRED, 0 },
	{ "max-pending", OPT_MAX_PENDING, DAEMON_ARG_REQUIRED, 0 },
	{ "request-timeout", OPT_REQUEST_TIMEOUT, DAEMON_ARG_REQUIRED, 0 },
	{ "workers", 'w', DAEMON_ARG_REQUIRED, 0 },
	{ "hostname", OPT_HOSTNAME, DAEMON_ARG_REQUIRED, 0 },
	{ "anonymous-user", OPT_ANONYMOUS_USER, DAEMON_ARG_REQUIRED, 0 },
	{ "unsafe-trust-username", OPT_UNSAFE_TRUST_USERNAME, DAEMON_ARG_REQUIRED, 0 },
	{ "fault", 'f', DAEMON_ARG_REQUIRED, 0 },
	{ "penalty", OPT_PENALTY, DAEMON_ARG_NONE, 0 },
	{ "max-pending-bytes", OPT_MAX_PENDING_BYTES, DAEMON_ARG_REQUIRED, 0 },
	{ "max-pending-total", OPT_MAX_PENDING_TOTAL, DAEMON_ARG_REQUIRED, 0 },
	{ NULL, 0, 0, 0 },
};

/* opt_size - N, Nk or Nm bytes */
static size_t opt_size(const char *opt, const char *v)
{
	size_t n = strlen(v), unit = 1;
	char digits[32];

	if (n > 0 && (v[n - 1] == 'k' || v[n - 1] == 'K'))
		unit = 1024;
	else if (n > 0 && (v[n - 1] == 'm' || v[n - 1] == 'M'))
		unit = 1024 * 1024;
	if (unit > 1)
		n--;
	if (n == 0 || n >= sizeof(digits))
		msg_fatal("%s: want N, Nk or Nm, not %s", opt, v);
	memcpy(digits, v, n);
	digits[n] = '\0';
	return (size_t)daemon_opt_uint(opt, digits, 0, (unsigned long)(SIZE_MAX / 2 / unit)) * unit;
}

/* option - one of ref-authd's own options */
static void option(void *ctx, int key, const char *v)
{
	struct authd *d = ctx;

	switch (key) {
	case 'p': d->passwd_file = v; break;
	case 'm': parse_mechs(d, v); break;
	case 'd': d->failure_delay_ms = daemon_opt_ms("--failure-delay", v); break;
	case OPT_HANDSHAKE:
		if (strcmp(v, "2.3") != 0 && strcmp(v, "2.4") != 0)
			msg_fatal("--handshake: want 2.3 or 2.4, not %s", v);
		d->set.handshake_24 = strcmp(v, "2.4") == 0;
		break;
	case OPT_MAX_PENDING:
		d->set.max_pending = (unsigned)daemon_opt_uint("--max-pending", v, 0,
							       (unsigned long)-1);
		break;
	case OPT_MAX_PENDING_BYTES:
		d->set.max_pending_bytes = opt_size("--max-pending-bytes", v);
		break;
	case OPT_MAX_PENDING_TOTAL: d->budget.max = opt_size("--max-pending-total", v); break;
	case OPT_REQUEST_TIMEOUT:
		d->set.request_timeout_ms = daemon_opt_ms("--request-timeout", v);
		if (d->set.request_timeout_ms == 0)
			msg_fatal("--request-timeout: must be more than 0");
		break;
	case 'w': d->workers = (unsigned)daemon_opt_uint("--workers", v, 0, (unsigned long)-1); break;
	case OPT_HOSTNAME: d->set.hostname = v; break;
	case OPT_ANONYMOUS_USER: d->set.anonymous_username = v; break;
	case OPT_UNSAFE_TRUST_USERNAME: d->set.unsafe_mech = v; break;
	case 'f': parse_faults(d, v); break;
	case OPT_PENALTY:
		if (d->penalty == NULL)
			d->penalty = authd_penalty_create(100000);
		break;
	default: msg_panic("ref-authd option: unknown key %d", key);
	}
}

/* init - the skeleton's init hook: the passwd-file and the log */
static void init(void *ctx, struct daemon *dm)
{
	struct authd *d = ctx;
	char err[512];

	d->dm = dm;
	d->loop = daemon_loop(dm);
	if (d->passwd_file == NULL)
		msg_fatal("--passwd-file is required");
	xbuf_init(&d->logbuf, 1024 * 1024);
	d->log_null = log_is_null();
	d->db = passdb_load(d->passwd_file, err, sizeof(err));
	if (d->db == NULL)
		msg_fatal("%s", err);
	warn_passdb(d->db);
	if (d->set.unsafe_mech != NULL)
		msg_warn("UNSAFE: mechanism %s accepts any user name without a password",
			 d->set.unsafe_mech);
}

/* post_init - listening, privileges dropped: worker threads, expiry */
static void post_init(void *ctx)
{
	struct authd *d = ctx;

	if (d->workers > 0) {
		d->workq = workq_create(d->loop, d->workers, 100000);
		if (d->workq == NULL)
			msg_fatal("worker threads: %s", strerror(errno));
	}
	ev_timer_add(d->loop, 5000, expire_tick, d);
}

static void ready(void *ctx, size_t nlisteners)
{
	struct authd *d = ctx;

	msg_info("ready: %zu listener(s), %zu users, failure delay %llu ms", nlisteners,
		 passdb_count(d->db), (unsigned long long)d->failure_delay_ms);
}

static void finish(void *ctx)
{
	struct authd *d = ctx;

	log_flush(d->loop, d);
	workq_destroy(&d->workq);
	authd_penalty_destroy(&d->penalty);
	passdb_unref(&d->db);
}

static const struct daemon_spec spec = {
	"ref-authd", usage, options, 0, 0, (unsigned long)-1,
	"one send(2) per reply",
	option, NULL, init, post_init, client_start, reload, ready, finish, listen_kinds,
};

int main(int argc, char **argv)
{
	struct authd *d = &the_authd;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

#ifdef __GLIBC__
	/*
	 * Line buffers (16 KB each) come and go with every busy connection's
	 * request; without this glibc gives the heap top back with brk(2)
	 * and takes it again many times a second under load.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
	d->workers = ncpu >= 1 && ncpu <= 256 ? (unsigned)ncpu : 2;
	d->set.mechs = (1u << SASL_MECH_PLAIN) | (1u << SASL_MECH_LOGIN) |
		       (1u << SASL_MECH_CRAM_MD5) | (1u << SASL_MECH_SCRAM_SHA_1) |
		       (1u << SASL_MECH_SCRAM_SHA_256);
	d->set.max_pending = 1024;
	d->set.max_pending_bytes = 1024 * 1024;
	d->budget.max = 16 * 1024 * 1024;
	d->set.budget = &d->budget;
	d->set.request_timeout_ms = 150000;
	d->failure_delay_ms = 2000;
	snprintf(d->hostname, sizeof(d->hostname), "localhost");
	gethostname(d->hostname, sizeof(d->hostname) - 1);
	d->set.hostname = d->hostname;
	if (RAND_bytes(d->scram_secret, sizeof(d->scram_secret)) != 1)
		msg_fatal("no randomness for the SCRAM secret");
	d->set.scram_secret = d->scram_secret;
	d->set.scram_secret_len = sizeof(d->scram_secret);
	return daemon_main(argc, argv, &spec, d);
}
