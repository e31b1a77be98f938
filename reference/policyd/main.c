/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ref-policyd - reference Postfix SMTPD policy server
 * SYNOPSIS
 *	ref-policyd [options] LISTEN...
 * DESCRIPTION
 *	What ref-policyd adds to the daemon skeleton (reference/common/
 *	daemon.h, which reads the options and the config file, listens,
 *	handles signals, privileges, logging and the connection count):
 *	its options, --check and --create-sample-db, the glue between
 *	connections and session.c, rules.c and netdb.c (connections in
 *	block mode: session.c scans and parses a request where it arrived,
 *	in the connection's input buffer), one log line per decision, the
 *	delay fault, and SIGHUP reload of the rule file and the database
 *	(kept as they were when the new ones fail). See docs/ref-policyd.8
 *	and --help.
 *
 *	Database lookups never run on the event loop: a request is
 *	evaluated on a copy of its bytes with an answer cache of its own;
 *	when a rule needs a lookup that is not in the cache, the copy is
 *	dropped, the session is put back as it was, the connection's input
 *	is paused and the lookup goes to db_pool.h's workers. Its answer
 *	(or -1 after --db-timeout) fills the cache and the request is
 *	evaluated again from its unchanged bytes, until it needs no lookup
 *	that is not cached. A failed lookup gets --db-failure-action: by
 *	default no reply and a disconnect (Postfix then applies its
 *	default action), never the rules' DUNNO or OK.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT, when the spawn connection ends, or
 *	after --check/--create-sample-db succeeded; 2 on a usage or
 *	start-up error, with the reason on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/ev.h"
#include "reference/common/conn.h"
#include "reference/common/daemon.h"
#include "reference/policyd/action.h"
#include "reference/policyd/db_pool.h"
#include "reference/policyd/netdb.h"
#include "reference/policyd/rules.h"
#include "reference/policyd/session.h"
#include "util/escape.h"
#include "util/msg.h"
#include "util/xmem.h"

struct policyd {
	struct daemon *dm;		/* the skeleton */
	struct ev_loop *loop;
	struct policyd_settings set;
	struct policyd_engine *engine;
	struct rules *rules;
	struct dbsrc *db;
	struct dbpool *pool;
	unsigned db_conns;
	unsigned db_timeout_ms;
	const char *db_failure_action;	/* NULL: no reply, disconnect */
	const char *db_password_file;
	struct xbuf scratch;		/* a request's copy while it is evaluated */
	int stopping;
	const char *rules_file;
	const char *db_file;
	const char *default_action;
	enum netdb_domain domain;
	int db_immutable;
	uint64_t idle_ms;
	uint64_t delay_ms;
	int log_decisions;
	int check_only;
	const char *sample_db;
	unsigned long decisions;
};

#define LOOKUP_CACHE	8

/* a lookup answer for the request being evaluated */
struct lookup {
	char *user;
	size_t ulen;
	struct cidr_addr addr;
	int result;
};

struct client {
	struct daemon_client base;	/* references, closed (daemon.h) */
	struct policyd *d;
	struct conn *conn;
	struct policyd_session sess;
	struct dbpool_job *job;		/* a lookup in flight */
	struct lookup cache[LOOKUP_CACHE];
	size_t ncache;
	int need;			/* evaluation stopped at a lookup not cached */
	int db_failed;			/* a cached answer was -1 */
};

static struct policyd the_policyd;

/* cache_clear - the next request starts with no answers */
static void cache_clear(struct client *c)
{
	size_t i;

	for (i = 0; i < c->ncache; i++)
		free(c->cache[i].user);
	c->ncache = 0;
}

/* client_destroy - the connection and every delayed reply let go */
static void client_destroy(struct daemon_client *base)
{
	struct client *c = (struct client *)base;

	cache_clear(c);
	policyd_session_free(&c->sess);
	free(c);
}

/* --- rules and database ----------------------------------------------- */

static void db_log(void *ctx, const char *text)
{
	(void)ctx;
	msg_warn("%s", text);
}

/* re_limit - rules' re_limit: a regex test gave up on this request's value */
static void re_limit(void *ctx, const struct rule *r, const char *attr)
{
	struct client *c = ctx;

	msg_warn("%s: rule=%s line=%u: the regular expression on %s reached its match "
		 "limit; the test is false", conn_peer(c->conn), r->id, r->line, attr);
}

/*
 * client_allows - rules' user_allows: a cached answer, or -1 with the
 * lookup recorded as needed (the first one not cached)
 */
static int client_allows(void *ctx, const char *user, size_t ulen, const struct cidr_addr *a)
{
	struct client *c = ctx;
	struct lookup *lk;
	size_t i;

	for (i = 0; i < c->ncache; i++) {
		lk = &c->cache[i];
		if (lk->ulen == ulen && memcmp(lk->user, user, ulen) == 0 &&
		    memcmp(&lk->addr, a, sizeof(*a)) == 0) {
			if (lk->result < 0)
				c->db_failed = 1;
			return lk->result;
		}
	}
	if (c->ncache == LOOKUP_CACHE) {
		c->db_failed = 1;	/* more lookups than one request may need */
		return -1;
	}
	lk = &c->cache[c->ncache];
	lk->user = xmalloc(ulen + 1);
	memcpy(lk->user, user, ulen);
	lk->ulen = ulen;
	lk->addr = *a;
	lk->result = -1;
	c->need = 1;
	return -1;
}

/* engine_update - the engine decides with the current rules */
static void engine_update(struct policyd *d)
{
	policyd_engine_set_rules(d->engine, d->rules);
}

/* db_password - --db-password-file's first line, or NULL without one */
static int db_password(struct policyd *d, char **pw_r, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf;

	*pw_r = NULL;
	if (d->db_password_file == NULL)
		return 0;
	buf = daemon_read_file(d->db_password_file, 4096, &len, err, errlen);
	if (buf == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	*pw_r = buf;
	return 0;
}

/* load - rules and database; on failure nothing changes */
static int load(struct policyd *d, char *err, size_t errlen)
{
	struct rules *rs;
	struct dbsrc *db = NULL;
	char *buf = NULL;
	size_t len = 0;
	static const char builtin[] = "";

	if (d->db_file != NULL) {
		struct dbsrc_settings ds = { d->db_file, d->domain, d->db_immutable,
					     d->db_timeout_ms, NULL };
		char *pw = NULL;

		if (db_password(d, &pw, err, errlen) < 0)
			return -1;
		ds.password = pw ? pw : getenv("REF_POLICYD_DB_PASSWORD");
		db = dbsrc_create(&ds, db_log, d, err, errlen);
		if (pw != NULL) {
			memset(pw, 0, strlen(pw));
			free(pw);
		}
		if (db == NULL)
			return -1;
	}
	if (d->rules_file != NULL) {
		buf = daemon_read_file(d->rules_file, RULES_MAX_FILE, &len, err, errlen);
		if (buf == NULL) {
			dbsrc_release(&db);
			return -1;
		}
	}
	rs = rules_parse(buf ? buf : builtin, len, d->rules_file ? d->rules_file : "(no rules)",
			 d->default_action, db != NULL, err, errlen);
	free(buf);
	if (rs == NULL) {
		dbsrc_release(&db);
		return -1;
	}
	rules_free(&d->rules);
	dbsrc_release(&d->db);
	d->rules = rs;
	d->db = db;
	if (d->pool != NULL)
		dbpool_set_source(d->pool, d->db);
	if (d->engine != NULL)
		engine_update(d);
	return 0;
}

/* --- decisions and replies -------------------------------------------- */

static void log_decision(struct client *c, const struct policyd_decision *dec)
{
	const struct rule *r = dec->rule;
	char line[1800], vbuf[200];
	size_t n = 0, i, ns = rules_nslots(dec->rules);
	uint64_t mask = r->slots | 1u;	/* protocol_state always */
	int m;

	for (i = 0; i < ns && n < sizeof(line) - 1; i++) {
		const char *v;

		if (!(mask & ((uint64_t)1 << i)))
			continue;
		v = dec->values->val[i];
		m = snprintf(line + n, sizeof(line) - n, " %s=%s", rules_slot_name(dec->rules, i),
			     v ? escape_for_log(vbuf, sizeof(vbuf), v, dec->values->len[i]) :
			     "(missing)");
		if (m < 0)
			break;
		n += (size_t)m;
	}
	line[n < sizeof(line) ? n : sizeof(line) - 1] = '\0';
	msg_info("%s: rule=%s line=%u action=\"%s\"%s", conn_peer(c->conn), r->id, r->line,
		 escape_for_log(vbuf, sizeof(vbuf), r->action, strlen(r->action)), line);
}

struct delayed {
	struct client *c;
	int close;
	size_t len;
	char data[];
};

static void delayed_fire(struct ev_loop *loop, void *ctx)
{
	struct delayed *dl = ctx;

	(void)loop;
	if (!dl->c->base.closed) {
		if (conn_write(dl->c->conn, dl->data, dl->len) < 0)
			conn_close(dl->c->conn, "output queue full");
		else if (dl->close)
			conn_close_after_flush(dl->c->conn, "fault close-after-reply");
	}
	daemon_client_release(&dl->c->base);
	free(dl);
}

/* --- connections ------------------------------------------------------- */

/* delay_output - the delay fault: this call's output (and a close) after delay_ms */
static void delay_output(struct client *c, struct xbuf *tmp, int close)
{
	struct delayed *dl;

	if (tmp->len == 0 && !close)
		return;
	dl = xmalloc(sizeof(*dl) + tmp->len);
	dl->c = c;
	dl->close = close;
	dl->len = tmp->len;
	memcpy(dl->data, tmp->data, tmp->len);
	daemon_client_hold(&c->base);
	ev_timer_add(c->d->loop, c->d->delay_ms, delayed_fire, dl);
}

/* refuse - a request over a bound or otherwise refused: log, close */
static void refuse(struct client *c)
{
	struct conn *cn = c->conn;

	if (policyd_session_overlong(&c->sess)) {
		/* as a line the connection could not frame */
		msg_warn("%s: line longer than %zu bytes; disconnecting without a reply",
			 conn_peer(cn), c->d->set.max_line);
		conn_close(cn, "line too long");
		return;
	}
	msg_warn("%s: %s; disconnecting without a reply", conn_peer(cn),
		 policyd_session_error(&c->sess));
	conn_close_after_flush(cn, policyd_session_error(&c->sess));
}

/* request_end - the length of the first complete request in buf, or 0 */
static size_t request_end(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	if (len > 0 && buf[0] == '\n')
		return 1;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL && end - p >= 2) {
		if (p[1] == '\n')
			return (size_t)(p - buf) + 2;
		p++;
	}
	return 0;
}

/* lookup_done - loop thread: the answer cached; the request evaluated again */
static void lookup_done(void *ctx, int result)
{
	struct client *c = ctx;

	c->job = NULL;
	c->cache[c->ncache++].result = result;
	if (!c->base.closed && !c->d->stopping)
		conn_resume_input(c->conn);
	daemon_client_release(&c->base);
}

/* lookup_start - the lookup client_allows() recorded, on the pool */
static void lookup_start(struct client *c)
{
	struct lookup *lk = &c->cache[c->ncache];

	daemon_client_hold(&c->base);
	conn_pause_input(c->conn);
	c->job = dbpool_lookup(c->d->pool, lk->user, lk->ulen, &lk->addr, lookup_done, c);
}

/*
 * db_failure - a lookup failed or timed out: --db-failure-action for the
 * request of len bytes, or no reply and a disconnect; what was used
 */
static size_t db_failure(struct client *c, const struct policyd_session *saved, size_t len)
{
	struct policyd *d = c->d;
	unsigned long n = saved->nrequests;

	cache_clear(c);
	if (d->db_failure_action == NULL) {
		msg_warn("%s: database error; disconnecting without a reply", conn_peer(c->conn));
		conn_close_after_flush(c->conn, "database error");
		return 0;
	}
	msg_warn("%s: database lookup failed; action=%s", conn_peer(c->conn),
		 d->db_failure_action);
	policyd_session_init(&c->sess, &d->set);
	c->sess.nrequests = n + 1;
	if (conn_printf(c->conn, "action=%s\n\n", d->db_failure_action) < 0) {
		conn_close(c->conn, "output queue full");
		return len;
	}
	conn_flush_later(c->conn);
	return len;
}

/* decide - one request of buf, or more input; what was used */
static size_t decide(struct client *c, char *buf, size_t len,
		     const struct policyd_session *saved)
{
	struct conn *cn = c->conn;
	struct policyd *d = c->d;
	struct policyd_decision dec;
	struct rules_env env = { client_allows, c, re_limit };
	struct xbuf tmp, *out;
	size_t before, used = 0;
	int rc;

	if (d->delay_ms > 0) {
		xbuf_init(&tmp, 1024 * 1024);
		out = &tmp;
	} else {
		out = conn_outbuf(cn);
	}
	before = out->len;
	c->need = c->db_failed = 0;
	policyd_engine_set_env(d->engine, &env);
	rc = policyd_session_input(&c->sess, d->engine, buf, len, &used, out, &dec);
	if (rc < 0 && (c->need || c->db_failed)) {
		xbuf_truncate(out, before);
		if (d->delay_ms > 0)
			xbuf_free(&tmp);
		c->sess = *saved;
		if (c->db_failed)
			return db_failure(c, saved, len);
		lookup_start(c);
		return 0;
	}
	if (rc != 0)
		cache_clear(c);
	if (rc > 0) {
		d->decisions++;
		if (d->log_decisions)
			log_decision(c, &dec);
	}
	if (d->delay_ms > 0) {
		if (rc >= 0)
			delay_output(c, &tmp, rc > 0 && dec.close);
		xbuf_free(&tmp);
	} else if (out->len > before && conn_flush_later(cn) < 0) {
		return used;
	}
	if (rc < 0)
		refuse(c);
	else if (rc > 0 && dec.close && d->delay_ms == 0)
		conn_close_after_flush(cn, "fault close-after-reply");
	return used;
}

/*
 * on_input - the connection's unconsumed bytes (block mode): at most one
 * request is answered per call; what it used is returned and dropped.
 * With a database a complete request is evaluated on a copy, so that
 * it can be evaluated again after a lookup.
 */
static size_t on_input(struct conn *cn, char *buf, size_t len)
{
	struct client *c = conn_ctx(cn);
	struct policyd *d = c->d;
	struct policyd_session saved = c->sess;
	size_t end;

	if (c->job != NULL)
		return 0;	/* the lookup's answer resumes the input */
	if (d->pool != NULL && (end = request_end(buf, len)) > 0) {
		xbuf_truncate(&d->scratch, 0);
		if (xbuf_append(&d->scratch, buf, end) < 0)
			msg_panic("request copy: %zu bytes over the bound", end);
		return decide(c, d->scratch.data, end, &saved);
	}
	return decide(c, buf, len, &saved);
}

static void on_overflow(struct conn *cn)
{
	struct client *c = conn_ctx(cn);

	msg_warn("%s: line longer than %zu bytes; disconnecting without a reply",
		 conn_peer(cn), c->d->set.max_line);
}

static void on_close(struct conn *cn, const char *reason)
{
	struct client *c = conn_ctx(cn);
	struct policyd *d = c->d;

	if (daemon_verbose(d->dm))
		msg_info("%s: disconnected (%s) after %lu requests", conn_peer(cn), reason,
			 c->sess.nrequests);
	daemon_conn_closed(d->dm, &c->base);
}

static const struct conn_ops conn_ops = { NULL, on_overflow, on_close, on_input };

/* client_start - a new connection (the skeleton's connect hook) */
static void client_start(void *ctx, int rfd, int wfd, const char *peer, unsigned kind)
{
	struct policyd *d = ctx;
	struct conn_settings cs;
	struct client *c = xcalloc(1, sizeof(*c));

	(void)kind;	/* ref-policyd has no listener kinds */
	/* the most a request in progress can hold (session.h) */
	cs.max_line = d->set.max_request + d->set.max_line + 1;
	cs.cr = LINEBUF_CR_KEEP;	/* (block mode: not used) */
	cs.out_throttle = 64 * 1024;
	cs.out_max = 4 * 1024 * 1024;
	cs.idle_ms = d->idle_ms;
	c->d = d;
	daemon_client_init(&c->base, client_destroy);
	policyd_session_init(&c->sess, &d->set);
	c->conn = daemon_conn_create(d->dm, rfd, wfd, &cs, &conn_ops, c, peer);
	if (c->conn == NULL) {
		policyd_session_free(&c->sess);
		free(c);
	}
}

/* reload - SIGHUP: rules and database again; the old ones stay if it fails */
static void reload(void *ctx)
{
	struct policyd *d = ctx;
	char err[1024];

	if (load(d, err, sizeof(err)) < 0) {
		msg_warn("reload failed, keeping the old rules and database: %s", err);
		return;
	}
	msg_info("reloaded: %zu rules%s%s", rules_count(d->rules),
		 d->db_file ? ", database " : "", d->db_file ? d->db_file : "");
}

/* --- options ----------------------------------------------------------- */

static const char usage[] =
"usage: ref-policyd [options] LISTEN...\n"
"\n"
"Reference Postfix SMTPD policy server (check_policy_service): reads\n"
"name=value requests up to an empty line and answers action=... from a\n"
"rule file (docs/policyd-rules.md), optionally with per-user allowed\n"
"networks from an SQLite database.\n"
"\n"
"LISTEN is unix:/path, inet:host:port, inet:[v6]:port, or spawn (one\n"
"connection on stdin/stdout, as master.cf spawn runs it).\n"
"\n"
"  -r, --rules FILE          rule file (reloaded on SIGHUP); none: every\n"
"                            request gets the default action\n"
"  -d, --db FILE|URL         SQLite database with access(user, network) for\n"
"                            networks(ATTR) in rules (reopened on SIGHUP), or\n"
"                            a MariaDB server: mysql://[user@]host[:port]/db\n"
"                            or mysql:///db?socket=/path; or PostgreSQL:\n"
"                            postgresql://[user@][host][:port]/db[?host=/dir]\n"
"      --db-password-file FILE\n"
"                            the server's password (first line); else\n"
"                            $REF_POLICYD_DB_PASSWORD; never in the URL\n"
"      --db-connections N    database connections, each on its own thread (4)\n"
"      --db-timeout MS       longest wait for a lookup, queue included (1000)\n"
"      --db-failure-action TEXT\n"
"                            reply when a lookup fails or times out (none:\n"
"                            no reply, disconnect); DUNNO and OK refused\n"
"      --db-immutable yes|no no locking, no change checks: several times faster;\n"
"                            replace the file by rename and SIGHUP (no)\n"
"      --domain keep|strip|both\n"
"                            the @domain of user names in --db lookups (keep)\n"
"      --default-action TEXT reply when no rule matches (DUNNO)\n"
"      --duplicates first|last\n"
"                            which of repeated attributes counts (last)\n"
"      --max-line N          longest request line, without LF (8192, at most 8192)\n"
"      --max-attrs N         most lines per request (1024, at most 1024)\n"
"      --max-request N       most bytes per request (262144)\n"
"      --max-connections N   stop accepting above N connections (10000)\n"
"      --idle-timeout MS     close a connection idle that long (0 = never)\n"
"      --log-decisions yes|no one log line per decision (yes)\n"
"      --send-batching yes|no the reads of all readable connections, and the\n"
"                            replies of one loop iteration, each go through one\n"
"                            io_uring_enter(2) instead of one read(2)/send(2)\n"
"                            per connection, where the kernel allows it (yes)\n"
"  -f, --fault LIST          deliberate protocol errors, comma-separated:\n"
"                            crlf no-action action-case extra-empty-line\n"
"                            close-after-reply early-reply no-terminator\n"
"                            bad-action colon-action delay=MS\n"
"      --check               load the rules and database, report, exit\n"
"      --create-sample-db FILE\n"
"                            write a new sample database and exit\n"
"      --mode OCTAL          permissions of unix: sockets (default 0600)\n"
"      --owner USER[:GROUP]  owner of unix: sockets (default: unchanged)\n"
"  -u, --user USER           drop privileges to USER after binding\n"
"  -l, --log-file FILE       log there instead of stderr\n"
"      --pid-file FILE       write the process id there, locked (a second\n"
"                            ref-policyd with the same FILE is refused);\n"
"                            removed at exit\n"
"  -c, --config FILE         read options from FILE first: one \"name = value\"\n"
"                            per line, names as the long options (listen = SPEC\n"
"                            for listeners); the command line wins\n"
"  -v, --verbose             log connects and disconnects\n"
"  -h, --help                this text\n"
"      --version             the release and commit\n";


/* parse_faults - --fault LIST: session faults and the delay */
static void parse_faults(struct policyd *d, const char *list)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		unsigned bit;

		if (n > 6 && strncmp(p, "delay=", 6) == 0) {
			char num[32];

			if (n - 6 >= sizeof(num))
				msg_fatal("--fault: bad delay");
			memcpy(num, p + 6, n - 6);
			num[n - 6] = '\0';
			d->delay_ms = daemon_opt_uint("--fault delay", num, 0, 3600000);
		} else if (policyd_fault_parse(p, n, &bit) == 0) {
			d->set.faults |= bit;
		} else {
			msg_fatal("--fault: unknown fault %.*s", (int)n, p);
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

/* ref-policyd's own options; the skeleton has the common ones */
enum {
	OPT_DOMAIN = 1,
	OPT_DEFAULT_ACTION,
	OPT_DUPLICATES,
	OPT_MAX_LINE,
	OPT_MAX_ATTRS,
	OPT_MAX_REQUEST,
	OPT_IDLE_TIMEOUT,
	OPT_LOG_DECISIONS,
	OPT_CHECK,
	OPT_CREATE_SAMPLE_DB,
	OPT_DB_IMMUTABLE,
	OPT_DB_CONNECTIONS,
	OPT_DB_TIMEOUT,
	OPT_DB_FAILURE_ACTION,
	OPT_DB_PASSWORD_FILE,
};

static const struct daemon_option options[] = {
	{ "rules", 'r', DAEMON_ARG_REQUIRED, 0 },
	{ "db", 'd', DAEMON_ARG_REQUIRED, 0 },
	{ "domain", OPT_DOMAIN, DAEMON_ARG_REQUIRED, 0 },
	{ "db-immutable", OPT_DB_IMMUTABLE, DAEMON_ARG_REQUIRED, 0 },
	{ "db-connections", OPT_DB_CONNECTIONS, DAEMON_ARG_REQUIRED, 0 },
	{ "db-timeout", OPT_DB_TIMEOUT, DAEMON_ARG_REQUIRED, 0 },
	{ "db-failure-action", OPT_DB_FAILURE_ACTION, DAEMON_ARG_REQUIRED, 0 },
	{ "db-password-file", OPT_DB_PASSWORD_FILE, DAEMON_ARG_REQUIRED, 0 },
	{ "default-action", OPT_DEFAULT_ACTION, DAEMON_ARG_REQUIRED, 0 },
	{ "duplicates", OPT_DUPLICATES, DAEMON_ARG_REQUIRED, 0 },
	{ "max-line", OPT_MAX_LINE, DAEMON_ARG_REQUIRED, 0 },
	{ "max-attrs", OPT_MAX_ATTRS, DAEMON_ARG_REQUIRED, 0 },
	{ "max-request", OPT_MAX_REQUEST, DAEMON_ARG_REQUIRED, 0 },
	{ "idle-timeout", OPT_IDLE_TIMEOUT, DAEMON_ARG_REQUIRED, 0 },
	{ "log-decisions", OPT_LOG_DECISIONS, DAEMON_ARG_REQUIRED, 0 },
	{ "check", OPT_CHECK, DAEMON_ARG_NONE, DAEMON_OPT_NO_CONFIG },
	{ "create-sample-db", OPT_CREATE_SAMPLE_DB, DAEMON_ARG_REQUIRED, DAEMON_OPT_NO_CONFIG },
	{ "fault", 'f', DAEMON_ARG_REQUIRED, 0 },
	{ NULL, 0, 0, 0 },
};

/* failure_action - --db-failure-action: none, or an action that refuses or defers */
static const char *failure_action(const char *v)
{
	enum action_kind k;
	const char *why;

	if (strcmp(v, "none") == 0)
		return NULL;
	if (action_check(v, strlen(v), 0, &k, &why) < 0)
		msg_fatal("--db-failure-action %s: %s", v, why);
	switch (k) {
	case ACTION_REJECT:
	case ACTION_DEFER:
	case ACTION_DEFER_IF_PERMIT:
	case ACTION_DEFER_IF_REJECT:
	case ACTION_CODE:
	case ACTION_HANGUP:
		return v;
	default:
		msg_fatal("--db-failure-action %s: a %s action lets the mail through; want"
			  " none, REJECT, DEFER, DEFER_IF_PERMIT, DEFER_IF_REJECT, 4NN/5NN text"
			  " or HANGUP", v, action_kind_name(k));
	}
}

/* option - one of ref-policyd's own options */
static void option(void *ctx, int key, const char *v)
{
	struct policyd *d = ctx;

	switch (key) {
	case 'r': d->rules_file = v; break;
	case 'd': d->db_file = v; break;
	case OPT_DOMAIN:
		if (netdb_domain_parse(v, &d->domain) < 0)
			msg_fatal("--domain: want keep, strip or both, not %s", v);
		break;
	case OPT_DEFAULT_ACTION: d->default_action = v; break;
	case OPT_DUPLICATES:
		if (strcmp(v, "first") != 0 && strcmp(v, "last") != 0)
			msg_fatal("--duplicates: want first or last, not %s", v);
		d->set.dup = strcmp(v, "first") == 0 ? POLICY_DUP_FIRST : POLICY_DUP_LAST;
		break;
	case OPT_MAX_LINE: d->set.max_line = daemon_opt_uint("--max-line", v, 64, POLICY_MAX_LINE); break;
	case OPT_MAX_ATTRS:
		d->set.max_attrs = daemon_opt_uint("--max-attrs", v, 1, POLICY_MAX_ATTRS);
		break;
	case OPT_MAX_REQUEST:
		d->set.max_request = daemon_opt_uint("--max-request", v, 1024, 64ul << 20);
		break;
	case OPT_IDLE_TIMEOUT: d->idle_ms = daemon_opt_uint("--idle-timeout", v, 0, 86400000ul); break;
	case OPT_LOG_DECISIONS: d->log_decisions = daemon_opt_yesno("--log-decisions", v); break;
	case OPT_DB_IMMUTABLE: d->db_immutable = daemon_opt_yesno("--db-immutable", v); break;
	case OPT_DB_CONNECTIONS:
		d->db_conns = (unsigned)daemon_opt_uint("--db-connections", v, 1, 64);
		break;
	case OPT_DB_TIMEOUT:
		d->db_timeout_ms = (unsigned)daemon_opt_uint("--db-timeout", v, 10, 600000);
		break;
	case OPT_DB_FAILURE_ACTION: d->db_failure_action = failure_action(v); break;
	case OPT_DB_PASSWORD_FILE: d->db_password_file = v; break;
	case OPT_CHECK: d->check_only = 1; break;
	case OPT_CREATE_SAMPLE_DB: d->sample_db = v; break;
	case 'f': parse_faults(d, v); break;
	default: msg_panic("ref-policyd option: unknown key %d", key);
	}
}

/*
 * configured - the skeleton's hook before LISTEN is required: a sample
 * database, or the rules and database loaded (and with --check, reported)
 */
static int configured(void *ctx)
{
	struct policyd *d = ctx;
	char err[1024];

	if (d->sample_db != NULL) {
		if (netdb_create_sample(d->sample_db, err, sizeof(err)) < 0)
			msg_fatal("--create-sample-db %s", err);
		return 0;
	}
	if (load(d, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	if (!d->check_only)
		return -1;
	printf("%s: %zu rules, %zu attributes looked at, default action %s\n",
	       d->rules_file ? d->rules_file : "(no rules)", rules_count(d->rules),
	       rules_nslots(d->rules), rules_default(d->rules)->action);
	rules_free(&d->rules);
	dbsrc_release(&d->db);
	return 0;
}

/* init - the engine over the loaded rules */
static void init(void *ctx, struct daemon *dm)
{
	struct policyd *d = ctx;

	d->dm = dm;
	d->loop = daemon_loop(dm);
	d->engine = policyd_engine_create(&d->set);
	engine_update(d);
	xbuf_init(&d->scratch, d->set.max_request + d->set.max_line + 1);
}

/* post_init - listening, privileges dropped: the database workers */
static void post_init(void *ctx)
{
	struct policyd *d = ctx;

	if (d->db == NULL)
		return;
	d->pool = dbpool_create(d->loop, d->db_conns, 100000, d->db_timeout_ms);
	if (d->pool == NULL)
		msg_fatal("database worker threads: %s", strerror(errno));
	dbpool_set_source(d->pool, d->db);
}

static void ready(void *ctx, size_t nlisteners)
{
	struct policyd *d = ctx;

	msg_info("ready: %zu listener(s), %zu rules, default action %s", nlisteners,
		 rules_count(d->rules), rules_default(d->rules)->action);
}

static void finish(void *ctx)
{
	struct policyd *d = ctx;

	d->stopping = 1;
	dbpool_destroy(&d->pool);
	policyd_engine_destroy(&d->engine);
	rules_free(&d->rules);
	dbsrc_release(&d->db);
	xbuf_free(&d->scratch);
}

static const struct daemon_spec spec = {
	"ref-policyd", usage, options, 0, 1, 1000000,
	"one read(2) and send(2) per connection",
	option, configured, init, post_init, client_start, reload, ready, finish, NULL,
};

int main(int argc, char **argv)
{
	struct policyd *d = &the_policyd;

	d->set.max_line = POLICY_MAX_LINE;
	d->set.max_attrs = POLICY_MAX_ATTRS;
	d->set.max_request = 256 * 1024;
	d->set.dup = POLICY_DUP_LAST;
	d->log_decisions = 1;
	d->domain = NETDB_KEEP;
	d->db_conns = 4;
	d->db_timeout_ms = 1000;
	return daemon_main(argc, argv, &spec, d);
}
