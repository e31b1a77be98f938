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
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT, when the spawn connection ends, or
 *	after --check/--create-sample-db succeeded; 2 on a usage or
 *	start-up error, with the reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/ev.h"
#include "reference/common/conn.h"
#include "reference/common/daemon.h"
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
	struct netdb *db;
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

struct client {
	struct daemon_client base;	/* references, closed (daemon.h) */
	struct policyd *d;
	struct conn *conn;
	struct policyd_session sess;
};

static struct policyd the_policyd;

/* client_destroy - the connection and every delayed reply let go */
static void client_destroy(struct daemon_client *base)
{
	struct client *c = (struct client *)base;

	policyd_session_free(&c->sess);
	free(c);
}

/* --- rules and database ----------------------------------------------- */

static void db_log(void *ctx, const char *text)
{
	(void)ctx;
	msg_warn("%s", text);
}

/* engine_update - the engine decides with the current rules and database */
static void engine_update(struct policyd *d)
{
	struct rules_env env = { netdb_user_allows, d->db };

	policyd_engine_set_rules(d->engine, d->rules);
	policyd_engine_set_env(d->engine, &env);
}

/* load - rules and database; on failure nothing changes */
static int load(struct policyd *d, char *err, size_t errlen)
{
	struct rules *rs;
	struct netdb *db = NULL;
	char *buf = NULL;
	size_t len = 0;
	static const char builtin[] = "";

	if (d->db_file != NULL) {
		db = netdb_open_mode(d->db_file, d->domain, d->db_immutable, db_log, d, err,
				     errlen);
		if (db == NULL)
			return -1;
	}
	if (d->rules_file != NULL) {
		buf = daemon_read_file(d->rules_file, RULES_MAX_FILE, &len, err, errlen);
		if (buf == NULL) {
			netdb_close(&db);
			return -1;
		}
	}
	rs = rules_parse(buf ? buf : builtin, len, d->rules_file ? d->rules_file : "(no rules)",
			 d->default_action, db != NULL, err, errlen);
	free(buf);
	if (rs == NULL) {
		netdb_close(&db);
		return -1;
	}
	rules_free(&d->rules);
	netdb_close(&d->db);
	d->rules = rs;
	d->db = db;
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

/*
 * on_input - the connection's unconsumed bytes (block mode): at most one
 * request is answered per call; what it used is returned and dropped
 */
static size_t on_input(struct conn *cn, char *buf, size_t len)
{
	struct client *c = conn_ctx(cn);
	struct policyd *d = c->d;
	struct policyd_decision dec;
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
	rc = policyd_session_input(&c->sess, d->engine, buf, len, &used, out, &dec);
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
static void client_start(void *ctx, int rfd, int wfd, const char *peer)
{
	struct policyd *d = ctx;
	struct conn_settings cs;
	struct client *c = xcalloc(1, sizeof(*c));

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
"  -d, --db FILE             SQLite database with access(user, network) for\n"
"                            networks(ATTR) in rules (reopened on SIGHUP)\n"
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
"  -h, --help                this text\n";


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
};

static const struct daemon_option options[] = {
	{ "rules", 'r', DAEMON_ARG_REQUIRED, 0 },
	{ "db", 'd', DAEMON_ARG_REQUIRED, 0 },
	{ "domain", OPT_DOMAIN, DAEMON_ARG_REQUIRED, 0 },
	{ "db-immutable", OPT_DB_IMMUTABLE, DAEMON_ARG_REQUIRED, 0 },
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
	netdb_close(&d->db);
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

	policyd_engine_destroy(&d->engine);
	rules_free(&d->rules);
	netdb_close(&d->db);
}

static const struct daemon_spec spec = {
	"ref-policyd", usage, options, 0, 1, 1000000,
	"one read(2) and send(2) per connection",
	option, configured, init, NULL, client_start, reload, ready, finish,
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
	return daemon_main(argc, argv, &spec, d);
}
