/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ref-authd - reference Dovecot-protocol SASL auth server
 * SYNOPSIS
 *	ref-authd [options] LISTEN...
 * DESCRIPTION
 *	The I/O shell around session.c: listeners, connections, the failure
 *	delay timers, the worker pool for expensive password schemes,
 *	request expiry, SIGHUP reload of the passwd-file and SIGTERM
 *	shutdown. See docs/ref-authd.8 and --help.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT or when the spawn connection ends; 2 on
 *	a usage or start-up error, with the reason on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "io/ev.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "reference/authd/options.h"
#include "reference/authd/passdb.h"
#include "reference/authd/session.h"
#include "reference/common/cfgfile.h"
#include "reference/common/conn.h"
#include "reference/common/listen.h"
#include "reference/common/workq.h"
#include "util/msg.h"
#include "util/strnum.h"
#include "util/xmem.h"

#define MAX_LISTENERS	16

struct daemon {
	struct ev_loop *loop;
	struct workq *workq;
	struct passdb *db;
	const char *passwd_file;
	struct authd_settings set;
	uint64_t failure_delay_ms;
	unsigned max_connections;
	unsigned nconn;
	unsigned long next_cuid;
	struct listener *listeners[MAX_LISTENERS];
	size_t nlisteners;
	int spawn;
	/* daemon-level faults */
	int fault_crlf;
	uint64_t fault_delay_ms;
	unsigned fault_close_after;
	struct client *clients;
	unsigned verbose;
	struct authd_penalty *penalty;	/* --penalty, or NULL */
	/* per-request log lines, written once per loop iteration (log_flush) */
	struct xbuf logbuf;
	int log_scheduled;
	int log_null;		/* stderr is /dev/null: per-request lines are not formatted */
};

struct client {
	struct client *prev, *next;
	struct daemon *d;
	struct conn *conn;
	struct authd_session *sess;
	int refs;
	int closed;
	int started;		/* the greeting is out: the delay fault applies */
	unsigned lines_sent;
};

static struct daemon the_daemon;
static char **config_args;	/* argv built from --config, freed at exit */
static size_t config_nalloc;	/* its first entries we allocated: indexes in config_owned */
static size_t *config_owned;

/* client_unref - free when the connection and every job/timer let go */
static void client_unref(struct client *c)
{
	if (--c->refs > 0)
		return;
	authd_session_destroy(&c->sess);
	free(c);
}

/* raw_send - bytes to the connection, with the daemon-level faults */
static void raw_send(struct client *c, const char *data, size_t len)
{
	struct daemon *d = c->d;
	size_t i, start = 0;

	if (c->closed)
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
	client_unref(dl->c);
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
	c->refs++;
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
	int ok;
};

static void verify_work(void *arg)
{
	struct verify_job *j = arg;
	const struct passdb_user *u = passdb_lookup(j->db, j->user);

	j->ok = u != NULL && passdb_verify(u, j->password);
}

static void verify_done(void *arg)
{
	struct verify_job *j = arg;

	if (!j->c->closed)
		authd_session_verified(j->c->sess, j->id, j->serial, j->ok);
	client_unref(j->c);
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
		authd_session_verified(c->sess, id, serial, u != NULL && passdb_verify(u, password));
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
	c->refs++;
	if (workq_submit(c->d->workq, verify_work, verify_done, j) < 0) {
		/* queue full: a temporary failure, like Dovecot's internal failure */
		j->ok = 0;
		verify_done(j);
	}
}

/* log_flush - the iteration's per-request log lines in one write */
static void log_flush(struct ev_loop *loop, void *ctx)
{
	struct daemon *d = ctx;
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
	struct daemon *d = c->d;

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
	op_send, op_send_fail_delayed, op_lookup, op_verify, op_log, op_unix_time,
};

/* the same without per-request log lines (the log is /dev/null) */
static const struct authd_ops client_ops_nolog = {
	op_send, op_send_fail_delayed, op_lookup, op_verify, NULL, op_unix_time,
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
	if (!df->c->closed)
		authd_session_resume(df->c->sess, df->id, df->serial);
	client_unref(df->c);
	free(df);
}

static void pen_defer(void *ctx, unsigned id, uint64_t serial, uint64_t ms)
{
	struct client *c = ctx;
	struct deferred *df = xmalloc(sizeof(*df));

	df->c = c;
	df->id = id;
	df->serial = serial;
	c->refs++;
	ev_timer_add(c->d->loop, ms, deferred_fire, df);
}

static const struct authd_penalty_ops penalty_ops = { pen_get, pen_inc, pen_defer };

/* --- connections ------------------------------------------------------- */

static void on_line(struct conn *cn, const char *line, size_t len)
{
	struct client *c = conn_ctx(cn);

	if (authd_session_line(c->sess, line, len, ev_now_ms(c->d->loop)) < 0) {
		log_flush(c->d->loop, c->d);	/* the request lines before the reason */
		msg_warn("%s: %s", conn_peer(cn), authd_session_error(c->sess));
		conn_close(cn, authd_session_error(c->sess));
	}
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
	struct daemon *d = c->d;
	size_t i;

	log_flush(d->loop, d);
	if (d->verbose || authd_session_pending(c->sess) > 0)
		msg_info("%s: disconnected (%s) with %zu pending requests", conn_peer(cn), reason,
			 authd_session_pending(c->sess));
	c->closed = 1;
	if (c->prev)
		c->prev->next = c->next;
	else
		d->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (d->nconn-- == d->max_connections)
		for (i = 0; i < d->nlisteners; i++)
			listener_resume(d->listeners[i]);
	client_unref(c);
	if (d->spawn)
		ev_stop(d->loop);
}

static const struct conn_ops conn_ops = { on_line, on_overflow, on_close };

/* client_start - a new connection */
static void client_start(struct daemon *d, int rfd, int wfd, const char *peer)
{
	struct conn_settings cs = { DVAUTH_MAX_LINE, LINEBUF_CR_STRIP, 50 * 1024, 4 * 1024 * 1024, 0 };
	struct client *c = xcalloc(1, sizeof(*c));
	struct authd_ident ident;
	unsigned char rnd[16];
	size_t i;

	c->d = d;
	c->refs = 1;
	c->conn = conn_create(d->loop, rfd, wfd, &cs, &conn_ops, c, peer);
	if (c->conn == NULL) {
		msg_warn("%s: cannot set up the connection: %s", peer, strerror(errno));
		close(rfd);
		if (wfd != rfd)
			close(wfd);
		free(c);
		return;
	}
	memset(&ident, 0, sizeof(ident));
	ident.spid = (unsigned long)getpid();
	ident.cuid = ++d->next_cuid;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < 16; i++)
		snprintf(ident.cookie + 2 * i, 3, "%02x", rnd[i]);
	c->sess = authd_session_create(&d->set, d->log_null ? &client_ops_nolog : &client_ops, c,
				       &ident);
	if (d->penalty != NULL)
		authd_session_set_penalty(c->sess, &penalty_ops, c);
	c->next = d->clients;
	if (d->clients)
		d->clients->prev = c;
	d->clients = c;
	if (++d->nconn == d->max_connections)
		for (i = 0; i < d->nlisteners; i++)
			listener_pause(d->listeners[i]);
	if (d->verbose)
		msg_info("%s: connected", peer);
	authd_session_start(c->sess);
	c->started = 1;
}

static void on_accept(struct ev_loop *loop, int fd, const char *peer, void *ctx)
{
	(void)loop;
	client_start(ctx, fd, fd, peer);
}

/* expire_tick - drop abandoned requests every few seconds */
static void expire_tick(struct ev_loop *loop, void *ctx)
{
	struct daemon *d = ctx;
	struct client *c;

	for (c = d->clients; c != NULL; c = c->next)
		authd_session_expire(c->sess, ev_now_ms(loop));
	ev_timer_add(loop, 5000, expire_tick, d);
}

static void on_term(struct ev_loop *loop, int signo, void *ctx)
{
	(void)ctx;
	msg_info("signal %d: shutting down", signo);
	ev_stop(loop);
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

static void on_hup(struct ev_loop *loop, int signo, void *ctx)
{
	struct daemon *d = ctx;
	char err[512];
	struct passdb *db;

	(void)loop;
	(void)signo;
	db = passdb_load(d->passwd_file, err, sizeof(err));
	if (db == NULL) {
		msg_warn("reload failed, keeping the old users: %s", err);
		return;
	}
	passdb_unref(&d->db);
	d->db = db;
	warn_passdb(db);
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

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: ref-authd [options] LISTEN...\n"
"\n"
"Reference Dovecot-protocol SASL auth server (the socket Postfix's\n"
"smtpd_sasl_type=dovecot talks to), behaving as Dovecot 2.3's auth server.\n"
"\n"
"LISTEN is unix:/path, inet:host:port, inet:[v6]:port, or spawn (one\n"
"connection on stdin/stdout, as master.cf spawn runs it).\n"
"\n"
"  -p, --passwd-file FILE    Dovecot passwd-file (required; reloaded on SIGHUP)\n"
"  -m, --mechanisms LIST     offered mechanisms, comma-separated\n"
"                            (default plain,login,cram-md5,scram-sha-1,scram-sha-256;\n"
"                            also anonymous, external)\n"
"  -d, --failure-delay TIME  delay before a failed-authentication reply (default 2s;\n"
"                            TIME is N[ms|s|m|h], a bare number is milliseconds)\n"
"      --handshake 2.3|2.4   2.4: send MECH..DONE only after the client's VERSION\n"
"      --max-pending N       pending requests per connection (default 1024)\n"
"      --request-timeout TIME drop abandoned requests after TIME (default 150s)\n"
"      --max-connections N   stop accepting above N connections (default 10000)\n"
"      --send-batching yes|no the replies of one loop iteration go out in one\n"
"                            io_uring_enter(2) instead of one send(2) each, where\n"
"                            the kernel allows it (default yes)\n"
"      --penalty             Dovecot's per-IP penalty: after failures from an AUTH\n"
"                            rip=, its next requests wait 4, 8 or 15 s (default off)\n"
"  -w, --workers N           threads for crypt schemes (default: one per online CPU)\n"
"      --hostname NAME       host name in CRAM-MD5 challenges\n"
"      --anonymous-user NAME user name for ANONYMOUS (default anonymous)\n"
"      --unsafe-trust-username MECH\n"
"                            UNSAFE demo: offer MECH, which accepts any response\n"
"                            as the user name without a password. Never in production.\n"
"      --mode OCTAL          permissions of unix: sockets (default 0666)\n"
"      --owner USER[:GROUP]  owner of unix: sockets (default: unchanged)\n"
"  -u, --user USER           drop privileges to USER after binding\n"
"  -l, --log-file FILE       log there instead of stderr (in spawn mode, when stderr\n"
"                            is the connection itself, logs are dropped unless set)\n"
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
"  -h, --help                this text\n");
}

/* parse_ms - a duration option value: "2s", "150 secs", "500ms", "2000" (ms) */
static uint64_t parse_ms(const char *opt, const char *v)
{
	uint64_t ms;

	if (authd_duration_parse(v, &ms) < 0)
		msg_fatal("%s: not a duration (N, Nms, Ns, Nm, Nh; at most one day): %s", opt, v);
	return ms;
}

/* socket_owner - --owner USER[:GROUP] to ids */
static void socket_owner(const char *v, struct listen_options *lo)
{
	char user[64], group[64];
	struct passwd *pw;

	if (authd_owner_split(v, user, sizeof(user), group, sizeof(group)) < 0)
		msg_fatal("--owner: want USER or USER:GROUP, not %s", v);
	pw = getpwnam(user);
	if (pw == NULL)
		msg_fatal("--owner: unknown user %s", user);
	lo->uid = pw->pw_uid;
	lo->gid = pw->pw_gid;
	if (group[0] != '\0') {
		struct group *gr = getgrnam(group);

		if (gr == NULL)
			msg_fatal("--owner: unknown group %s", group);
		lo->gid = gr->gr_gid;
	}
}

/* parse_uint - decimal option value */
static unsigned long parse_uint(const char *opt, const char *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0)
		msg_fatal("%s: not a number: %s", opt, v);
	return n;
}

static void parse_mechs(struct daemon *d, const char *list)
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

static void parse_faults(struct daemon *d, const char *list)
{
	char *copy = xstrdup(list), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned bit;

		if (authd_fault_parse(tok, strlen(tok), &bit) == 0)
			d->set.faults |= bit;
		else if (strcmp(tok, "crlf") == 0)
			d->fault_crlf = 1;
		else if (strncmp(tok, "delay=", 6) == 0)
			d->fault_delay_ms = parse_ms("--fault delay", tok + 6);
		else if (strncmp(tok, "close-after=", 12) == 0)
			d->fault_close_after = (unsigned)parse_uint("--fault close-after", tok + 12);
		else
			msg_fatal("--fault: unknown fault %s", tok);
	}
	free(copy);
}

static void drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		msg_fatal("--user: unknown user %s", user);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		msg_fatal("--user %s: %s", user, strerror(errno));
	if (setuid(0) == 0 && pw->pw_uid != 0)
		msg_fatal("--user %s: privileges could be regained", user);
}

/*
 * redirect_log - send diagnostics to a file; under master.cf spawn, stderr
 * is the connection itself, and log lines there would reach the client.
 */
static void redirect_log(const char *path)
{
	struct stat e, o;
	int fd = -1;

	if (path != NULL) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			msg_fatal("--log-file %s: %s", path, strerror(errno));
	} else if (fstat(STDERR_FILENO, &e) == 0 && fstat(STDOUT_FILENO, &o) == 0 &&
		   e.st_dev == o.st_dev && e.st_ino == o.st_ino && S_ISSOCK(e.st_mode)) {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	if (fd >= 0) {
		if (dup2(fd, STDERR_FILENO) < 0)
			msg_fatal("--log-file: %s", strerror(errno));
		close(fd);
	}
}

/*
 * config_argv - a new argv: the program name, the config file's entries as
 * long options, then the command line without --config (so it wins), then
 * the file's listen = entries. Unknown names are refused with file:line.
 */
static char **config_argv(int argc, char **argv, const struct option *opts, int *argc_r)
{
	const char *file = NULL;
	char **out;
	char **listen;
	size_t n = 0, nl = 0, cap, lcap = 16;
	struct cfg_iter it;
	struct cfg_entry e;
	char err[600];
	FILE *f;
	static char buf[1 << 20];
	size_t len;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			file = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
	}
	if (file == NULL) {
		*argc_r = argc;
		return argv;
	}
	f = fopen(file, "r");
	if (f == NULL)
		msg_fatal("--config %s: %s", file, strerror(errno));
	len = fread(buf, 1, sizeof(buf), f);
	if (!feof(f))
		msg_fatal("--config %s: larger than %zu bytes", file, sizeof(buf) - 1);
	fclose(f);
	cap = (size_t)argc + 64;
	out = xcalloc(cap, sizeof(char *));
	listen = xcalloc(lcap, sizeof(char *));
	out[n++] = argv[0];
	cfg_init(&it, buf, len, file);
	while ((rc = cfg_next(&it, &e, err, sizeof(err))) == 1) {
		const struct option *o;

		if (strcmp(e.key, "listen") == 0) {
			if (nl + 1 >= lcap)
				listen = xrealloc(listen, (lcap *= 2) * sizeof(char *));
			listen[nl++] = xstrdup(e.value);
			continue;
		}
		for (o = opts; o->name != NULL; o++)
			if (strcmp(o->name, e.key) == 0)
				break;
		if (o->name == NULL || strcmp(e.key, "config") == 0 || strcmp(e.key, "help") == 0)
			msg_fatal("%s:%u: unknown setting %s", file, e.line, e.key);
		if (n + 3 >= cap)
			out = xrealloc(out, (cap *= 2) * sizeof(char *));
		{
			size_t kl = strlen(e.key) + 3;
			char *opt = xmalloc(kl);

			snprintf(opt, kl, "--%s", e.key);
			config_owned = xrealloc(config_owned, (config_nalloc + 2) * sizeof(size_t));
			config_owned[config_nalloc++] = n;
			out[n++] = opt;
		}
		if (o->has_arg == required_argument) {
			config_owned = xrealloc(config_owned, (config_nalloc + 2) * sizeof(size_t));
			config_owned[config_nalloc++] = n;
			out[n++] = xstrdup(e.value);
		}
		else if (e.value[0] != '\0' && strcmp(e.value, "yes") != 0)
			msg_fatal("%s:%u: %s takes no value (or \"yes\")", file, e.line, e.key);
	}
	if (rc < 0)
		msg_fatal("%s", err);
	out = xrealloc(out, (n + (size_t)argc + nl + 1) * sizeof(char *));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0)
			continue;
		out[n++] = argv[i];
	}
	for (i = 0; i < (int)nl; i++) {
		config_owned = xrealloc(config_owned, (config_nalloc + 2) * sizeof(size_t));
		config_owned[config_nalloc++] = n;
		out[n++] = listen[i];
	}
	out[n] = NULL;
	free(listen);
	*argc_r = (int)n;
	config_args = out;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "passwd-file", required_argument, NULL, 'p' },
		{ "mechanisms", required_argument, NULL, 'm' },
		{ "failure-delay", required_argument, NULL, 'd' },
		{ "handshake", required_argument, NULL, 1 },
		{ "max-pending", required_argument, NULL, 2 },
		{ "request-timeout", required_argument, NULL, 3 },
		{ "max-connections", required_argument, NULL, 4 },
		{ "workers", required_argument, NULL, 'w' },
		{ "hostname", required_argument, NULL, 5 },
		{ "anonymous-user", required_argument, NULL, 6 },
		{ "unsafe-trust-username", required_argument, NULL, 7 },
		{ "user", required_argument, NULL, 'u' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "fault", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "config", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 8 },
		{ "owner", required_argument, NULL, 9 },
		{ "penalty", no_argument, NULL, 10 },
		{ "send-batching", required_argument, NULL, 11 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon *d = &the_daemon;
	const char *run_as = NULL;
	const char *log_file = NULL;
	struct listen_options lo = { 0, (uid_t)-1, (gid_t)-1, 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned workers = ncpu >= 1 && ncpu <= 256 ? (unsigned)ncpu : 2;
	int batch = 1;
	char err[512];
	char host[256] = "localhost";
	int ch, i;

	msg_init("ref-authd");
	signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
	/*
	 * Line buffers (16 KB each) come and go with every busy connection's
	 * request; without this glibc gives the heap top back with brk(2)
	 * and takes it again many times a second under load.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
	argv = config_argv(argc, argv, opts, &argc);
	d->set.mechs = (1u << SASL_MECH_PLAIN) | (1u << SASL_MECH_LOGIN) |
		       (1u << SASL_MECH_CRAM_MD5) | (1u << SASL_MECH_SCRAM_SHA_1) |
		       (1u << SASL_MECH_SCRAM_SHA_256);
	d->set.max_pending = 1024;
	d->set.request_timeout_ms = 150000;
	d->failure_delay_ms = 2000;
	d->max_connections = 10000;
	gethostname(host, sizeof(host) - 1);
	d->set.hostname = host;
	while ((ch = getopt_long(argc, argv, "p:m:d:w:u:l:f:c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': d->passwd_file = optarg; break;
		case 'm': parse_mechs(d, optarg); break;
		case 'd': d->failure_delay_ms = parse_ms("--failure-delay", optarg); break;
		case 1:
			if (strcmp(optarg, "2.3") == 0)
				d->set.handshake_24 = 0;
			else if (strcmp(optarg, "2.4") == 0)
				d->set.handshake_24 = 1;
			else
				msg_fatal("--handshake: want 2.3 or 2.4, not %s", optarg);
			break;
		case 2: d->set.max_pending = (unsigned)parse_uint("--max-pending", optarg); break;
		case 3:
			d->set.request_timeout_ms = parse_ms("--request-timeout", optarg);
			if (d->set.request_timeout_ms == 0)
				msg_fatal("--request-timeout: must be more than 0");
			break;
		case 4: d->max_connections = (unsigned)parse_uint("--max-connections", optarg); break;
		case 'w': workers = (unsigned)parse_uint("--workers", optarg); break;
		case 5: d->set.hostname = optarg; break;
		case 6: d->set.anonymous_username = optarg; break;
		case 7: d->set.unsafe_mech = optarg; break;
		case 8:
			if (authd_mode_parse(optarg, &lo.mode) < 0)
				msg_fatal("--mode: want octal 1-0777, not %s", optarg);
			break;
		case 9: socket_owner(optarg, &lo); break;
		case 10:
			if (d->penalty == NULL)
				d->penalty = authd_penalty_create(100000);
			break;
		case 11:
			if (str_to_yesno(optarg, &batch) < 0)
				msg_fatal("--send-batching: want yes or no, not %s", optarg);
			break;
		case 'u': run_as = optarg; break;
		case 'l': log_file = optarg; break;
		case 'f': parse_faults(d, optarg); break;
		case 'v': d->verbose++; break;
		case 'c': break;	/* read by config_argv */
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (d->passwd_file == NULL)
		msg_fatal("--passwd-file is required");
	redirect_log(log_file);
	xbuf_init(&d->logbuf, 1024 * 1024);
	d->log_null = log_is_null();
	if (d->max_connections == 0)
		d->max_connections = 1;
	d->db = passdb_load(d->passwd_file, err, sizeof(err));
	if (d->db == NULL)
		msg_fatal("%s", err);
	warn_passdb(d->db);
	if (d->set.unsafe_mech != NULL)
		msg_warn("UNSAFE: mechanism %s accepts any user name without a password",
			 d->set.unsafe_mech);
	d->loop = ev_loop_create();
	if (d->loop == NULL)
		msg_fatal("event loop: %s", strerror(errno));
	if (batch && conn_batch_sends(d->loop) < 0 && d->verbose)
		msg_info("io_uring not available: one send(2) per reply");
	for (i = optind; i < argc; i++) {
		struct listen_spec spec;

		if (listen_spec_parse(argv[i], &spec, err, sizeof(err)) < 0)
			msg_fatal("%s", err);
		if (spec.kind == LISTEN_SPAWN) {
			d->spawn = 1;
			continue;
		}
		if (d->nlisteners == MAX_LISTENERS)
			msg_fatal("at most %d listeners", MAX_LISTENERS);
		d->listeners[d->nlisteners] = listener_add(d->loop, &spec, &lo, on_accept, d, err,
							   sizeof(err));
		if (d->listeners[d->nlisteners] == NULL)
			msg_fatal("%s", err);
		d->nlisteners++;
	}
	if (d->spawn && d->nlisteners > 0)
		msg_fatal("spawn cannot be combined with listeners");
	if (run_as != NULL)
		drop_privileges(run_as);
	if (ev_signal(d->loop, SIGTERM, on_term, d) < 0 || ev_signal(d->loop, SIGINT, on_term, d) < 0 ||
	    ev_signal(d->loop, SIGHUP, on_hup, d) < 0)
		msg_fatal("signals: %s", strerror(errno));
	if (workers > 0) {
		d->workq = workq_create(d->loop, workers, 100000);
		if (d->workq == NULL)
			msg_fatal("worker threads: %s", strerror(errno));
	}
	ev_timer_add(d->loop, 5000, expire_tick, d);
	if (d->spawn)
		client_start(d, STDIN_FILENO, STDOUT_FILENO, "spawn");
	else
		msg_info("ready: %zu listener(s), %zu users, failure delay %llu ms",
			 d->nlisteners, passdb_count(d->db), (unsigned long long)d->failure_delay_ms);
	if (ev_run(d->loop) < 0)
		msg_fatal("event loop: %s", strerror(errno));
	log_flush(d->loop, d);
	for (i = 0; i < (int)d->nlisteners; i++)
		listener_close(&d->listeners[i]);
	workq_destroy(&d->workq);
	(void)conn_batch_sends(NULL);
	authd_penalty_destroy(&d->penalty);
	passdb_unref(&d->db);
	if (config_args != NULL) {
		size_t k;

		for (k = 0; k < config_nalloc; k++)
			free(config_args[config_owned[k]]);
		free(config_owned);
		free(config_args);
	}
	return 0;
}
