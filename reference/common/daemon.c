/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	daemon - the reference servers' skeleton
 * SYNOPSIS
 *	#include "reference/common/daemon.h"
 * DESCRIPTION
 *	See daemon.h. One struct daemon per process (the_daemon): the
 *	option table is the skeleton's rows followed by the program's,
 *	turned into getopt_long's struct option array and short-option
 *	string once. The user is looked up with getpwnam_r/getpwuid_r
 *	into a bounded buffer (64 KiB at most); a numeric user must exist
 *	in the password database too, for its groups.
 * DIAGNOSTICS
 *	See daemon.h.
 */
#define _GNU_SOURCE		/* initgroups */
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
#include <sys/types.h>
#include <unistd.h>

#include "reference/common/cfgfile.h"
#include "reference/common/cfgval.h"
#include "reference/common/daemon.h"
#include "reference/common/keeper.h"
#include "reference/common/listen.h"
#include "util/msg.h"
#include "util/version.h"
#include "util/strnum.h"
#include "util/xmem.h"

#define DAEMON_PWBUF_MAX	65536

/* daemon_err - format an error, return -1 */
static int daemon_err(char *err, size_t errlen, const char *what, const char *arg, int errnum)
{
	if (errnum != 0)
		snprintf(err, errlen, "%s(%s): %s", what, arg, strerror(errnum));
	else
		snprintf(err, errlen, "%s", what);
	return -1;
}

/* daemon_drop_privileges - become user for good */
int daemon_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	size_t buflen = 4096;
	char *buf = NULL;
	unsigned int num;
	char idtext[32];
	uid_t uid;
	gid_t gid;
	int rc;

	for (;;) {
		char *nbuf = realloc(buf, buflen);

		if (nbuf == NULL) {
			free(buf);
			return daemon_err(err, errlen, "getpwnam", user, ENOMEM);
		}
		buf = nbuf;
		if (str_to_uint(user, strlen(user), &num) == 0)
			rc = getpwuid_r((uid_t)num, &pw, buf, buflen, &res);
		else
			rc = getpwnam_r(user, &pw, buf, buflen, &res);
		if (rc != ERANGE || buflen >= DAEMON_PWBUF_MAX)
			break;
		buflen *= 2;
	}
	if (res == NULL) {
		free(buf);
		if (rc != 0 && rc != ENOENT && rc != ESRCH)
			return daemon_err(err, errlen, "getpwnam", user, rc);
		snprintf(err, errlen, "unknown user \"%s\"", user);
		return -1;
	}
	uid = pw.pw_uid;
	gid = pw.pw_gid;
	if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid) {
		free(buf);
		return 0;	/* already that user */
	}
	if (initgroups(pw.pw_name, gid) < 0) {
		rc = errno;
		daemon_err(err, errlen, "initgroups", pw.pw_name, rc);
		free(buf);
		return -1;
	}
	free(buf);
	snprintf(idtext, sizeof(idtext), "%ld", (long)gid);
	if (setgid(gid) < 0)
		return daemon_err(err, errlen, "setgid", idtext, errno);
	snprintf(idtext, sizeof(idtext), "%ld", (long)uid);
	if (setuid(uid) < 0)
		return daemon_err(err, errlen, "setuid", idtext, errno);
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    (uid != 0 && setuid(0) == 0))
		return daemon_err(err, errlen, "privileges were not dropped", NULL, 0);
	return 0;
}

/* daemon_pidfile_open - create, lock and fill the pid file */
int daemon_pidfile_open(const char *path, char *err, size_t errlen)
{
	struct flock fl;
	char text[32];
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/*
	 * An open-file-description lock: unlike a classic fcntl lock it is
	 * not lost when the process closes some other fd of the same file.
	 */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		int e = errno;
		unsigned long holder;
		ssize_t got;

		if (e == EAGAIN || e == EACCES) {
			/* the holder wrote its pid; F_OFD_GETLK cannot tell it */
			got = pread(fd, text, sizeof(text) - 1, 0);
			text[got > 0 ? got : 0] = '\0';
			got = (ssize_t)strcspn(text, "\n");
			if (got > 0 && str_to_ulong(text, (size_t)got, &holder) == 0)
				snprintf(err, errlen, "%s: locked by process %lu", path, holder);
			else
				snprintf(err, errlen, "%s: locked by another process", path);
		} else {
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		}
		close(fd);
		return -1;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != (ssize_t)n) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* daemon_pidfile_remove - unlink and release */
void daemon_pidfile_remove(const char *path, int fd)
{
	if (fd < 0)
		return;
	(void)unlink(path);
	close(fd);
}

/* daemon_ignore_sigpipe - EPIPE instead of death */
int daemon_ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGPIPE, &sa, NULL);
}

/* --- the skeleton ------------------------------------------------------ */

/* the skeleton's own option keys: letters, or above any program's */
enum {
	DAEMON_KEY_PID_FILE = 256,
	DAEMON_KEY_MAX_CONNECTIONS,
	DAEMON_KEY_SEND_BATCHING,
	DAEMON_KEY_MODE,
	DAEMON_KEY_OWNER,
};

static const struct daemon_option daemon_common_options[] = {
	{ "config", 'c', DAEMON_ARG_REQUIRED, DAEMON_OPT_NO_CONFIG },
	{ "user", 'u', DAEMON_ARG_REQUIRED, 0 },
	{ "log-file", 'l', DAEMON_ARG_REQUIRED, 0 },
	{ "pid-file", DAEMON_KEY_PID_FILE, DAEMON_ARG_REQUIRED, 0 },
	{ "max-connections", DAEMON_KEY_MAX_CONNECTIONS, DAEMON_ARG_REQUIRED, 0 },
	{ "send-batching", DAEMON_KEY_SEND_BATCHING, DAEMON_ARG_REQUIRED, 0 },
	{ "verbose", 'v', DAEMON_ARG_NONE, 0 },
	{ "help", 'h', DAEMON_ARG_NONE, DAEMON_OPT_NO_CONFIG },
	{ NULL, 0, 0, 0 },
};

static const struct daemon_option daemon_socket_options[] = {
	{ "mode", DAEMON_KEY_MODE, DAEMON_ARG_REQUIRED, 0 },
	{ "owner", DAEMON_KEY_OWNER, DAEMON_ARG_REQUIRED, 0 },
	{ NULL, 0, 0, 0 },
};

#define DAEMON_MAX_OPTIONS	64

struct daemon {
	const struct daemon_spec *spec;
	void *ctx;
	/* the merged option table */
	const struct daemon_option *opt[DAEMON_MAX_OPTIONS];
	size_t nopt;
	/* settings */
	const char *run_as;
	const char *log_file;
	const char *pid_file;
	struct listen_options lo;
	unsigned long max_connections;
	int batch;
	unsigned verbose;
	/* running */
	struct cfg_args cfg;
	struct ev_loop *loop;
	struct listener *listeners[DAEMON_MAX_LISTENERS];
	struct daemon_lctx {
		struct daemon *d;
		unsigned kind;		/* spec->listen_kinds index + 1, 0 = none */
	} lctx[DAEMON_MAX_LISTENERS];
	size_t nlisteners;
	int spawn;
	unsigned spawn_kind;
	int pid_fd;
	struct keeper keeper;	/* --user: removes the sockets and pid file at the end */
	unsigned long nconn;
	int saturated;		/* --max-connections reached, not yet 10% below */
};

static struct daemon the_daemon;

struct ev_loop *daemon_loop(const struct daemon *d)
{
	return d->loop;
}

unsigned daemon_verbose(const struct daemon *d)
{
	return d->verbose;
}

/* daemon_opt_uint - a count option, fatal when bad */
unsigned long daemon_opt_uint(const char *opt, const char *v, unsigned long min,
			      unsigned long max)
{
	char err[300];
	unsigned long n;

	if (cfg_uint(v, min, max, &n, err, sizeof(err)) < 0)
		msg_fatal("%s: %s", opt, err);
	return n;
}

/* daemon_opt_yesno - a yes|no option, fatal when bad */
int daemon_opt_yesno(const char *opt, const char *v)
{
	char err[300];
	int yes;

	if (cfg_yesno(v, &yes, err, sizeof(err)) < 0)
		msg_fatal("%s: %s", opt, err);
	return yes;
}

/* daemon_opt_ms - a duration option, fatal when bad */
uint64_t daemon_opt_ms(const char *opt, const char *v)
{
	char err[300];
	uint64_t ms;

	if (cfg_duration_ms(v, &ms, err, sizeof(err)) < 0)
		msg_fatal("%s: %s", opt, err);
	return ms;
}

/* daemon_read_file - whole file into a new buffer, at most max bytes */
char *daemon_read_file(const char *path, size_t max, size_t *len_r, char *err, size_t errlen)
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
	buf[n] = '\0';
	*len_r = n;
	return buf;
}

/* --- options ----------------------------------------------------------- */

/* daemon_table - the skeleton's rows, then the program's */
static void daemon_table(struct daemon *d)
{
	const struct daemon_option *lists[3] = { daemon_common_options, NULL, d->spec->options };
	const struct daemon_option *o;
	size_t i;

	lists[1] = daemon_socket_options;
	for (i = 0; i < 3; i++) {
		for (o = lists[i]; o != NULL && o->name != NULL; o++) {
			if (d->nopt == DAEMON_MAX_OPTIONS)
				msg_panic("daemon_table: more than %d options", DAEMON_MAX_OPTIONS);
			d->opt[d->nopt++] = o;
		}
	}
}

/* daemon_config_key - cfg_key_fn: what a config-file name is */
static int daemon_config_key(void *ctx, const char *name)
{
	const struct daemon *d = ctx;
	size_t i;

	for (i = 0; i < d->nopt; i++)
		if (strcmp(d->opt[i]->name, name) == 0)
			return (d->opt[i]->flags & DAEMON_OPT_NO_CONFIG) ? -1 :
			       d->opt[i]->arg == DAEMON_ARG_REQUIRED;
	return -1;
}

/* daemon_config - --config FILE: its settings ahead of the command line */
static void daemon_config(struct daemon *d, int *argc, char ***argv)
{
	const char *file = NULL;
	char err[600], *buf;
	size_t len;
	int i, rc;

	for (i = 1; i < *argc; i++) {
		if ((strcmp((*argv)[i], "-c") == 0 || strcmp((*argv)[i], "--config") == 0) &&
		    i + 1 < *argc)
			file = (*argv)[i + 1];
		else if (strncmp((*argv)[i], "--config=", 9) == 0)
			file = (*argv)[i] + 9;
	}
	if (file == NULL)
		return;
	buf = daemon_read_file(file, 1 << 20, &len, err, sizeof(err));
	if (buf == NULL)
		msg_fatal("--config %s", err);
	rc = cfg_argv(buf, len, file, *argc, *argv, daemon_config_key, d, &d->cfg, err,
		      sizeof(err));
	free(buf);
	if (rc < 0)
		msg_fatal("%s", err);
	*argc = d->cfg.argc;
	*argv = d->cfg.argv;
}

/* daemon_socket_owner - --owner USER[:GROUP] to ids */
static void daemon_socket_owner(struct daemon *d, const char *v)
{
	char user[64], group[64], err[300];
	struct passwd *pw;

	if (cfg_owner_split(v, user, sizeof(user), group, sizeof(group), err, sizeof(err)) < 0)
		msg_fatal("--owner: %s", err);
	pw = getpwnam(user);
	if (pw == NULL)
		msg_fatal("--owner: unknown user %s", user);
	d->lo.uid = pw->pw_uid;
	d->lo.gid = pw->pw_gid;
	if (group[0] != '\0') {
		struct group *gr = getgrnam(group);

		if (gr == NULL)
			msg_fatal("--owner: unknown group %s", group);
		d->lo.gid = gr->gr_gid;
	}
}

/* daemon_option - one option: the skeleton's own, or the program's */
static void daemon_option(struct daemon *d, int key, const char *v)
{
	char err[300];

	switch (key) {
	case 'c': break;	/* read by daemon_config */
	case 'u': d->run_as = v; break;
	case 'l': d->log_file = v; break;
	case 'v': d->verbose++; break;
	case DAEMON_KEY_PID_FILE: d->pid_file = v; break;
	case DAEMON_KEY_MAX_CONNECTIONS:
		d->max_connections = daemon_opt_uint("--max-connections", v,
						     d->spec->max_connections_min,
						     d->spec->max_connections_max);
		break;
	case DAEMON_KEY_SEND_BATCHING: d->batch = daemon_opt_yesno("--send-batching", v); break;
	case DAEMON_KEY_MODE:
		if (cfg_mode(v, &d->lo.mode, err, sizeof(err)) < 0)
			msg_fatal("--mode: %s", err);
		break;
	case DAEMON_KEY_OWNER: daemon_socket_owner(d, v); break;
	default: d->spec->option(d->ctx, key, v); break;
	}
}

/*
 * daemon_options - getopt_long over the merged table; -1 when all were
 * read (optind at the first LISTEN), else the exit status (help, usage)
 */
static int daemon_options(struct daemon *d, int argc, char **argv)
{
	struct option lopts[DAEMON_MAX_OPTIONS + 1];
	char shorts[2 * DAEMON_MAX_OPTIONS + 1];
	size_t i, ns = 0;
	int ch;

	memset(lopts, 0, sizeof(lopts));
	for (i = 0; i < d->nopt; i++) {
		const struct daemon_option *o = d->opt[i];

		lopts[i].name = o->name;
		lopts[i].has_arg = o->arg == DAEMON_ARG_REQUIRED ? required_argument : no_argument;
		lopts[i].val = o->key;
		if (o->key >= 'A' && o->key <= 'z') {
			shorts[ns++] = (char)o->key;
			if (o->arg == DAEMON_ARG_REQUIRED)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	while ((ch = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(d->spec->usage, stdout);
			return 0;
		}
		if (ch == '?' || ch == ':') {
			fputs(d->spec->usage, stderr);
			return 2;
		}
		daemon_option(d, ch, optarg);
	}
	return -1;
}

/* --- logging ----------------------------------------------------------- */

/*
 * daemon_redirect_log - send diagnostics to a file; under master.cf spawn,
 * stderr is the connection itself, and log lines there would reach the
 * client: then they go to /dev/null unless --log-file says where
 */
static void daemon_redirect_log(const char *path)
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

/* --- connections ------------------------------------------------------- */

/* daemon_conn_create - a counted connection; NULL (fds closed) on failure */
struct conn *daemon_conn_create(struct daemon *d, int rfd, int wfd,
				const struct conn_settings *cs, const struct conn_ops *ops,
				void *ctx, const char *peer)
{
	struct conn *c = conn_create(d->loop, rfd, wfd, cs, ops, ctx, peer);
	size_t i;

	if (c == NULL) {
		msg_warn("%s: cannot set up the connection: %s", peer, strerror(errno));
		close(rfd);
		if (wfd != rfd)
			close(wfd);
		return NULL;
	}
	if (++d->nconn == d->max_connections) {
		for (i = 0; i < d->nlisteners; i++)
			listener_pause(d->listeners[i]);
		if (!d->saturated)
			msg_warn("%lu connections: --max-connections reached; new clients wait "
				 "until one closes", d->nconn);
		d->saturated = 1;
	}
	if (d->verbose)
		msg_info("%s: connected", peer);
	return c;
}

/* daemon_client_init - the connection's reference */
void daemon_client_init(struct daemon_client *c, void (*destroy)(struct daemon_client *c))
{
	c->refs = 1;
	c->closed = 0;
	c->destroy = destroy;
}

/* daemon_client_hold - a timer or job will come back to c */
void daemon_client_hold(struct daemon_client *c)
{
	c->refs++;
}

/* daemon_client_release - it has; the last one destroys c */
void daemon_client_release(struct daemon_client *c)
{
	if (c->refs <= 0)
		msg_panic("daemon_client_release: %d references", c->refs);
	if (--c->refs == 0)
		c->destroy(c);
}

/* daemon_conn_closed - a connection of daemon_conn_create is gone, and c with it */
void daemon_conn_closed(struct daemon *d, struct daemon_client *c)
{
	size_t i;

	c->closed = 1;
	daemon_client_release(c);
	if (d->nconn-- == d->max_connections)
		for (i = 0; i < d->nlisteners; i++)
			listener_resume(d->listeners[i]);
	if (d->saturated && d->nconn < d->max_connections - d->max_connections / 10) {
		msg_info("%lu connections: below --max-connections again", d->nconn);
		d->saturated = 0;
	}
	if (d->spawn)
		ev_stop(d->loop);
}

static void daemon_on_accept(struct ev_loop *loop, int fd, const char *peer, void *ctx)
{
	struct daemon_lctx *lc = ctx;

	(void)loop;
	lc->d->spec->connect(lc->d->ctx, fd, fd, peer, lc->kind);
}

/* daemon_listen_kind - a LISTEN argument's KIND: prefix, taken off */
static unsigned daemon_listen_kind(const struct daemon *d, const char **arg)
{
	const char *const *k;

	for (k = d->spec->listen_kinds; k != NULL && *k != NULL; k++) {
		size_t n = strlen(*k);

		if (strncmp(*arg, *k, n) == 0 && (*arg)[n] == ':') {
			*arg += n + 1;
			return (unsigned)(k - d->spec->listen_kinds) + 1;
		}
	}
	return 0;
}

/* daemon_listen - the LISTEN arguments: listeners, or spawn */
static void daemon_listen(struct daemon *d, int argc, char **argv)
{
	char err[512];
	int i;

	for (i = 0; i < argc; i++) {
		struct listen_spec spec;
		const char *arg = argv[i];
		unsigned kind = daemon_listen_kind(d, &arg);

		if (listen_spec_parse(arg, &spec, err, sizeof(err)) < 0)
			msg_fatal("%s", err);
		if (spec.kind == LISTEN_SPAWN) {
			d->spawn = 1;
			d->spawn_kind = kind;
			continue;
		}
		if (d->nlisteners == DAEMON_MAX_LISTENERS)
			msg_fatal("at most %d listeners", DAEMON_MAX_LISTENERS);
		d->lctx[d->nlisteners].d = d;
		d->lctx[d->nlisteners].kind = kind;
		d->listeners[d->nlisteners] = listener_add(d->loop, &spec, &d->lo, daemon_on_accept,
							   &d->lctx[d->nlisteners], err, sizeof(err));
		if (d->listeners[d->nlisteners] == NULL)
			msg_fatal("%s", err);
		d->nlisteners++;
	}
	if (d->spawn && d->nlisteners > 0)
		msg_fatal("spawn cannot be combined with listeners");
}

/* --- signals ------------------------------------------------------------ */

static void daemon_on_term(struct ev_loop *loop, int signo, void *ctx)
{
	(void)ctx;
	msg_info("signal %d: shutting down", signo);
	ev_stop(loop);
}

static void daemon_on_hup(struct ev_loop *loop, int signo, void *ctx)
{
	struct daemon *d = ctx;

	(void)loop;
	(void)signo;
	d->spec->reload(d->ctx);
}

/* --- the whole life ------------------------------------------------------ */

/*
 * daemon_keep_paths - before --user: a keeper (keeper.h) that removes the
 * unix sockets and the pid file at the end, which the dropped user may
 * not be allowed to
 */
static void daemon_keep_paths(struct daemon *d)
{
	const char *paths[DAEMON_MAX_LISTENERS];
	char err[256];
	size_t i, n = 0;

	for (i = 0; i < d->nlisteners; i++)
		if (listener_path(d->listeners[i]) != NULL)
			paths[n++] = listener_path(d->listeners[i]);
	if (n == 0 && d->pid_fd < 0)
		return;
	if (keeper_start(paths, n, d->pid_fd >= 0 ? d->pid_file : NULL, d->pid_fd, &d->keeper,
			 err, sizeof(err)) < 0)
		msg_fatal("--user: %s", err);
}

/* daemon_start - everything from the log to the first connection */
static void daemon_start(struct daemon *d, int nlisten, char **listen)
{
	char err[512];

	daemon_redirect_log(d->log_file);
	d->loop = ev_loop_create();
	if (d->loop == NULL)
		msg_fatal("event loop: %s", strerror(errno));
	d->spec->init(d->ctx, d);
	if (d->batch && conn_batch_sends(d->loop) < 0 && d->verbose)
		msg_info("io_uring not available: %s", d->spec->unbatched);
	/* the pid file first: a second daemon must not touch the sockets */
	if (d->pid_file != NULL && (d->pid_fd = daemon_pidfile_open(d->pid_file, err,
								     sizeof(err))) < 0)
		msg_fatal("--pid-file %s", err);
	daemon_listen(d, nlisten, listen);
	if (d->run_as != NULL)
		daemon_keep_paths(d);
	if (d->run_as != NULL && daemon_drop_privileges(d->run_as, err, sizeof(err)) < 0)
		msg_fatal("--user: %s", err);
	if (ev_signal(d->loop, SIGTERM, daemon_on_term, d) < 0 ||
	    ev_signal(d->loop, SIGINT, daemon_on_term, d) < 0 ||
	    ev_signal(d->loop, SIGHUP, daemon_on_hup, d) < 0)
		msg_fatal("signals: %s", strerror(errno));
	if (d->spec->post_init != NULL)
		d->spec->post_init(d->ctx);
	if (d->spawn) {
		d->spec->connect(d->ctx, STDIN_FILENO, STDOUT_FILENO, "spawn", d->spawn_kind);
		if (d->nconn == 0)
			msg_fatal("spawn: stdin/stdout cannot be used");
	} else {
		d->spec->ready(d->ctx, d->nlisteners);
	}
}

/* daemon_stop - after the loop */
static void daemon_stop(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nlisteners; i++)
		listener_close(&d->listeners[i]);
	(void)conn_batch_sends(NULL);
	d->spec->finish(d->ctx);
	if (d->pid_fd >= 0)
		daemon_pidfile_remove(d->pid_file, d->pid_fd);
	keeper_finish(&d->keeper);
	cfg_args_free(&d->cfg);
}

/* daemon_main - the skeleton: see daemon.h for the order of things */
int daemon_main(int argc, char **argv, const struct daemon_spec *spec, void *ctx)
{
	struct daemon *d = &the_daemon;
	int rc;

	msg_init(spec->name);
	if (version_asked(argc, argv))
		return version_print(stdout, spec->name);
	(void)daemon_ignore_sigpipe();
	memset(d, 0, sizeof(*d));
	d->spec = spec;
	d->ctx = ctx;
	d->lo.uid = (uid_t)-1;
	d->lo.gid = (gid_t)-1;
	d->max_connections = 10000;
	d->batch = 1;
	d->pid_fd = -1;
	daemon_table(d);
	daemon_config(d, &argc, &argv);
	if ((rc = daemon_options(d, argc, argv)) >= 0 ||
	    (spec->configured != NULL && (rc = spec->configured(ctx)) >= 0)) {
		cfg_args_free(&d->cfg);
		return rc;
	}
	if (optind >= argc) {
		fputs(spec->usage, stderr);
		cfg_args_free(&d->cfg);
		return 2;
	}
	if (d->max_connections == 0)
		d->max_connections = 1;
	daemon_start(d, argc - optind, argv + optind);
	if (ev_run(d->loop) < 0)
		msg_fatal("event loop: %s", strerror(errno));
	daemon_stop(d);
	return 0;
}
