/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ref-policyd - reference Postfix SMTPD policy server
 * SYNOPSIS
 *	ref-policyd [options] LISTEN...
 * DESCRIPTION
 *	The I/O shell around session.c, rules.c and netdb.c: listeners and
 *	connections (reference/common), one log line per decision, the
 *	delay fault, SIGHUP reload of the rule file and the database
 *	(kept as they were when the new ones fail), SIGTERM/SIGINT
 *	shutdown, and a connection limit. See docs/ref-policyd.8 and
 *	--help.
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT, when the spawn connection ends, or
 *	after --check/--create-sample-db succeeded; 2 on a usage or
 *	start-up error, with the reason on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/ev.h"
#include "reference/common/cfgfile.h"
#include "reference/common/conn.h"
#include "reference/common/listen.h"
#include "reference/policyd/netdb.h"
#include "reference/policyd/rules.h"
#include "reference/policyd/session.h"
#include "util/escape.h"
#include "util/msg.h"
#include "util/strnum.h"
#include "util/xmem.h"

#define MAX_LISTENERS	16
#define MAX_ARGS	256

struct daemon {
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
	unsigned max_connections;
	unsigned nconn;
	uint64_t idle_ms;
	uint64_t delay_ms;
	int log_decisions;
	struct listener *listeners[MAX_LISTENERS];
	size_t nlisteners;
	int spawn;
	unsigned verbose;
	unsigned long decisions;
};

struct client {
	struct daemon *d;
	struct conn *conn;
	struct policyd_session sess;
	int refs;
	int closed;
};

static struct daemon the_daemon;

static void client_unref(struct client *c)
{
	if (--c->refs > 0)
		return;
	policyd_session_free(&c->sess);
	free(c);
}

/* --- rules and database ----------------------------------------------- */

static void db_log(void *ctx, const char *text)
{
	(void)ctx;
	msg_warn("%s", text);
}

/* read_file - whole file into a new buffer, at most max bytes */
static char *read_file(const char *path, size_t max, size_t *len_r, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(max + 1);
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ? strerror(errno) :
			 "file too large");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len_r = n;
	return buf;
}

/* load - rules and database; on failure nothing changes */
static int load(struct daemon *d, char *err, size_t errlen)
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
		buf = read_file(d->rules_file, RULES_MAX_FILE, &len, err, errlen);
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
	if (d->engine != NULL) {
		struct rules_env env = { netdb_user_allows, db };

		policyd_engine_set_rules(d->engine, rs);
		policyd_engine_set_env(d->engine, &env);
	}
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
	if (!dl->c->closed) {
		if (conn_write(dl->c->conn, dl->data, dl->len) < 0)
			conn_close(dl->c->conn, "output queue full");
		else if (dl->close)
			conn_close_after_flush(dl->c->conn, "fault close-after-reply");
	}
	client_unref(dl->c);
	free(dl);
}

/* --- connections ------------------------------------------------------- */

static void on_line(struct conn *cn, const char *line, size_t len)
{
	struct client *c = conn_ctx(cn);
	struct daemon *d = c->d;
	struct policyd_decision dec;
	struct xbuf tmp, *out;
	size_t before;
	int rc;

	if (d->delay_ms > 0) {
		xbuf_init(&tmp, 1024 * 1024);
		out = &tmp;
	} else {
		out = conn_outbuf(cn);
	}
	before = out->len;
	rc = policyd_session_line(&c->sess, d->engine, line, len, out, &dec);
	if (rc < 0) {
		msg_warn("%s: %s; disconnecting without a reply", conn_peer(cn),
			 policyd_session_error(&c->sess));
		if (out == conn_outbuf(cn))
			xbuf_truncate(out, before);
		else
			xbuf_free(&tmp);
		conn_close_after_flush(cn, policyd_session_error(&c->sess));
		return;
	}
	if (rc > 0) {
		d->decisions++;
		if (d->log_decisions)
			log_decision(c, &dec);
	}
	if (d->delay_ms > 0) {
		if (tmp.len > 0 || (rc > 0 && dec.close)) {
			struct delayed *dl = xmalloc(sizeof(*dl) + tmp.len);

			dl->c = c;
			dl->close = rc > 0 && dec.close;
			dl->len = tmp.len;
			memcpy(dl->data, tmp.data, tmp.len);
			c->refs++;
			ev_timer_add(d->loop, d->delay_ms, delayed_fire, dl);
		}
		xbuf_free(&tmp);
		return;
	}
	if (out->len > before && conn_flush_later(cn) < 0)
		return;
	if (rc > 0 && dec.close)
		conn_close_after_flush(cn, "fault close-after-reply");
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
	struct daemon *d = c->d;
	size_t i;

	if (d->verbose)
		msg_info("%s: disconnected (%s) after %lu requests", conn_peer(cn), reason,
			 c->sess.nrequests);
	c->closed = 1;
	if (d->nconn-- == d->max_connections)
		for (i = 0; i < d->nlisteners; i++)
			listener_resume(d->listeners[i]);
	client_unref(c);
	if (d->spawn)
		ev_stop(d->loop);
}

static const struct conn_ops conn_ops = { on_line, on_overflow, on_close };

static void client_start(struct daemon *d, int rfd, int wfd, const char *peer)
{
	struct conn_settings cs;
	struct client *c = xcalloc(1, sizeof(*c));
	size_t i;

	cs.max_line = d->set.max_line + 1;	/* the LF */
	cs.cr = LINEBUF_CR_KEEP;
	cs.out_throttle = 64 * 1024;
	cs.out_max = 4 * 1024 * 1024;
	cs.idle_ms = d->idle_ms;
	c->d = d;
	c->refs = 1;
	policyd_session_init(&c->sess, &d->set);
	c->conn = conn_create(d->loop, rfd, wfd, &cs, &conn_ops, c, peer);
	if (c->conn == NULL) {
		msg_warn("%s: cannot set up the connection: %s", peer, strerror(errno));
		close(rfd);
		if (wfd != rfd)
			close(wfd);
		policyd_session_free(&c->sess);
		free(c);
		return;
	}
	if (++d->nconn == d->max_connections)
		for (i = 0; i < d->nlisteners; i++)
			listener_pause(d->listeners[i]);
	if (d->verbose)
		msg_info("%s: connected", peer);
}

static void on_accept(struct ev_loop *loop, int fd, const char *peer, void *ctx)
{
	(void)loop;
	client_start(ctx, fd, fd, peer);
}

static void on_term(struct ev_loop *loop, int signo, void *ctx)
{
	(void)ctx;
	msg_info("signal %d: shutting down", signo);
	ev_stop(loop);
}

static void on_hup(struct ev_loop *loop, int signo, void *ctx)
{
	struct daemon *d = ctx;
	char err[1024];

	(void)loop;
	(void)signo;
	if (load(d, err, sizeof(err)) < 0) {
		msg_warn("reload failed, keeping the old rules and database: %s", err);
		return;
	}
	msg_info("reloaded: %zu rules%s%s", rules_count(d->rules),
		 d->db_file ? ", database " : "", d->db_file ? d->db_file : "");
}

/* --- options ----------------------------------------------------------- */

static void usage(FILE *fp)
{
	fprintf(fp,
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
"  -u, --user USER           drop privileges to USER after binding\n"
"  -l, --log-file FILE       log there instead of stderr\n"
"  -c, --config FILE         read options from FILE first: one \"name = value\"\n"
"                            per line, names as the long options (listen = SPEC\n"
"                            for listeners); the command line wins\n"
"  -v, --verbose             log connects and disconnects\n"
"  -h, --help                this text\n");
}

static unsigned long parse_uint(const char *opt, const char *v, unsigned long min,
				unsigned long max)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0)
		msg_fatal("%s: not a number: %s", opt, v);
	if (n < min || n > max)
		msg_fatal("%s: %lu is outside %lu..%lu", opt, n, min, max);
	return n;
}

static void parse_faults(struct daemon *d, const char *list)
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
			d->delay_ms = parse_uint("--fault delay", num, 0, 3600000);
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

/* redirect_log - under spawn, stderr may be the connection itself */
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
 * config_args - argv with the config file's settings first (as long
 * options), then the command line without --config (it wins), then the
 * file's listen = entries. Strings live until exit.
 */
static char **config_args(int argc, char **argv, const struct option *opts, int *argc_r)
{
	static char *out[MAX_ARGS + 1];
	char *listen[MAX_LISTENERS];
	const char *file = NULL;
	struct cfg_iter it;
	struct cfg_entry e;
	char err[600];
	char *buf;
	size_t len, n = 0, nl = 0;
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
	buf = read_file(file, 1 << 20, &len, err, sizeof(err));
	if (buf == NULL)
		msg_fatal("--config %s", err);
	out[n++] = argv[0];
	cfg_init(&it, buf, len, file);
	while ((rc = cfg_next(&it, &e, err, sizeof(err))) == 1) {
		const struct option *o;
		char opt[80];

		if (strcmp(e.key, "listen") == 0) {
			if (nl == MAX_LISTENERS)
				msg_fatal("%s:%u: more than %d listen entries", file, e.line,
					  MAX_LISTENERS);
			listen[nl++] = xstrdup(e.value);
			continue;
		}
		for (o = opts; o->name != NULL; o++)
			if (strcmp(o->name, e.key) == 0)
				break;
		if (o->name == NULL || strcmp(e.key, "config") == 0 || strcmp(e.key, "help") == 0 ||
		    strcmp(e.key, "check") == 0 || strcmp(e.key, "create-sample-db") == 0)
			msg_fatal("%s:%u: unknown setting %s", file, e.line, e.key);
		if (n + 2 + (size_t)argc + nl >= MAX_ARGS)
			msg_fatal("%s:%u: too many settings", file, e.line);
		snprintf(opt, sizeof(opt), "--%s", e.key);
		out[n++] = xstrdup(opt);
		if (o->has_arg == required_argument)
			out[n++] = xstrdup(e.value);
		else if (e.value[0] != '\0' && strcmp(e.value, "yes") != 0)
			msg_fatal("%s:%u: %s takes no value (or \"yes\")", file, e.line, e.key);
	}
	if (rc < 0)
		msg_fatal("%s", err);
	free(buf);
	if (n + (size_t)argc + nl >= MAX_ARGS)
		msg_fatal("too many arguments");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0)
			continue;
		out[n++] = argv[i];
	}
	for (i = 0; i < (int)nl; i++)
		out[n++] = listen[i];
	out[n] = NULL;
	*argc_r = (int)n;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'd' },
		{ "domain", required_argument, NULL, 1 },
		{ "db-immutable", required_argument, NULL, 12 },
		{ "default-action", required_argument, NULL, 2 },
		{ "duplicates", required_argument, NULL, 3 },
		{ "max-line", required_argument, NULL, 4 },
		{ "max-attrs", required_argument, NULL, 5 },
		{ "max-request", required_argument, NULL, 6 },
		{ "max-connections", required_argument, NULL, 7 },
		{ "idle-timeout", required_argument, NULL, 8 },
		{ "log-decisions", required_argument, NULL, 9 },
		{ "send-batching", required_argument, NULL, 13 },
		{ "check", no_argument, NULL, 10 },
		{ "create-sample-db", required_argument, NULL, 11 },
		{ "fault", required_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon *d = &the_daemon;
	const char *run_as = NULL, *log_file = NULL, *sample_db = NULL;
	int check_only = 0, batch = 1;
	char err[1024];
	int ch, i;

	msg_init("ref-policyd");
	signal(SIGPIPE, SIG_IGN);
	argv = config_args(argc, argv, opts, &argc);
	d->set.max_line = POLICY_MAX_LINE;
	d->set.max_attrs = POLICY_MAX_ATTRS;
	d->set.max_request = 256 * 1024;
	d->set.dup = POLICY_DUP_LAST;
	d->max_connections = 10000;
	d->log_decisions = 1;
	d->domain = NETDB_KEEP;
	while ((ch = getopt_long(argc, argv, "r:d:f:u:l:c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': d->rules_file = optarg; break;
		case 'd': d->db_file = optarg; break;
		case 1:
			if (netdb_domain_parse(optarg, &d->domain) < 0)
				msg_fatal("--domain: want keep, strip or both, not %s", optarg);
			break;
		case 2: d->default_action = optarg; break;
		case 3:
			if (strcmp(optarg, "first") == 0)
				d->set.dup = POLICY_DUP_FIRST;
			else if (strcmp(optarg, "last") == 0)
				d->set.dup = POLICY_DUP_LAST;
			else
				msg_fatal("--duplicates: want first or last, not %s", optarg);
			break;
		case 4: d->set.max_line = parse_uint("--max-line", optarg, 64, POLICY_MAX_LINE); break;
		case 5: d->set.max_attrs = parse_uint("--max-attrs", optarg, 1, POLICY_MAX_ATTRS); break;
		case 6:
			d->set.max_request = parse_uint("--max-request", optarg, 1024, 64ul << 20);
			break;
		case 7: d->max_connections = (unsigned)parse_uint("--max-connections", optarg, 1, 1000000); break;
		case 8: d->idle_ms = parse_uint("--idle-timeout", optarg, 0, 86400000ul); break;
		case 9:
			if (str_to_yesno(optarg, &d->log_decisions) < 0)
				msg_fatal("--log-decisions: want yes or no, not %s", optarg);
			break;
		case 10: check_only = 1; break;
		case 12:
			if (str_to_yesno(optarg, &d->db_immutable) < 0)
				msg_fatal("--db-immutable: want yes or no, not %s", optarg);
			break;
		case 11: sample_db = optarg; break;
		case 13:
			if (str_to_yesno(optarg, &batch) < 0)
				msg_fatal("--send-batching: want yes or no, not %s", optarg);
			break;
		case 'f': parse_faults(d, optarg); break;
		case 'u': run_as = optarg; break;
		case 'l': log_file = optarg; break;
		case 'v': d->verbose++; break;
		case 'c': break;	/* read by config_args */
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (sample_db != NULL) {
		if (netdb_create_sample(sample_db, err, sizeof(err)) < 0)
			msg_fatal("--create-sample-db %s", err);
		return 0;
	}
	if (load(d, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	if (check_only) {
		printf("%s: %zu rules, %zu attributes looked at, default action %s\n",
		       d->rules_file ? d->rules_file : "(no rules)", rules_count(d->rules),
		       rules_nslots(d->rules), rules_default(d->rules)->action);
		rules_free(&d->rules);
		netdb_close(&d->db);
		return 0;
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	redirect_log(log_file);
	d->engine = policyd_engine_create(&d->set);
	{
		struct rules_env env = { netdb_user_allows, d->db };

		policyd_engine_set_rules(d->engine, d->rules);
		policyd_engine_set_env(d->engine, &env);
	}
	d->loop = ev_loop_create();
	if (d->loop == NULL)
		msg_fatal("event loop: %s", strerror(errno));
	if (batch && conn_batch_sends(d->loop) < 0 && d->verbose)
		msg_info("io_uring not available: one read(2) and send(2) per connection");
	for (i = optind; i < argc; i++) {
		struct listen_spec spec;
		struct listen_options lo = { 0, (uid_t)-1, (gid_t)-1, 0 };

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
	if (d->spawn) {
		client_start(d, STDIN_FILENO, STDOUT_FILENO, "spawn");
		if (d->nconn == 0)
			msg_fatal("spawn: stdin/stdout cannot be used");
	} else
		msg_info("ready: %zu listener(s), %zu rules, default action %s", d->nlisteners,
			 rules_count(d->rules), rules_default(d->rules)->action);
	if (ev_run(d->loop) < 0)
		msg_fatal("event loop: %s", strerror(errno));
	for (i = 0; i < (int)d->nlisteners; i++)
		listener_close(&d->listeners[i]);
	(void)conn_batch_sends(NULL);
	policyd_engine_destroy(&d->engine);
	rules_free(&d->rules);
	netdb_close(&d->db);
	return 0;
}
