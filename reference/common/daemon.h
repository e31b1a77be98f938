/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	daemon - the reference servers' skeleton: options, config file,
 *	listeners, signals, privileges, logging, pid file, connections
 * SYNOPSIS
 *	#include "reference/common/daemon.h"
 *
 *	int daemon_main(int argc, char **argv, const struct daemon_spec *spec,
 *	                void *ctx);
 *	struct ev_loop *daemon_loop(const struct daemon *d);
 *	unsigned daemon_verbose(const struct daemon *d);
 *	struct conn *daemon_conn_create(struct daemon *d, int rfd, int wfd,
 *	                const struct conn_settings *cs, const struct conn_ops *ops,
 *	                void *ctx, const char *peer);
 *	void daemon_conn_closed(struct daemon *d, struct daemon_client *c);
 *	void daemon_client_init(struct daemon_client *c,
 *	                void (*destroy)(struct daemon_client *c));
 *	void daemon_client_hold(struct daemon_client *c);
 *	void daemon_client_release(struct daemon_client *c);
 *
 *	unsigned long daemon_opt_uint(const char *opt, const char *v,
 *	                unsigned long min, unsigned long max);
 *	int daemon_opt_yesno(const char *opt, const char *v);
 *	uint64_t daemon_opt_ms(const char *opt, const char *v);
 *	char *daemon_read_file(const char *path, size_t max, size_t *len_r,
 *	                char *err, size_t errlen);
 *
 *	int daemon_drop_privileges(const char *user, char *err, size_t errlen);
 *	int daemon_pidfile_open(const char *path, char *err, size_t errlen);
 *	void daemon_pidfile_remove(const char *path, int fd);
 *	int daemon_ignore_sigpipe(void);
 * DESCRIPTION
 *	daemon_main() is what Postfix calls a multi_server skeleton: one
 *	process, one event loop, many connections. The program's main()
 *	fills a struct daemon_spec (its name, its --help text, its own
 *	options and a few hooks) and hands over; the skeleton does the
 *	rest, in this order:
 *
 *	1. msg_init(spec->name); with --version anywhere on the command
 *	   line, the version line (util/version.h) on stdout, exit 0;
 *	   SIGPIPE ignored.
 *	2. --config FILE (-c): the file's "name = value" settings become
 *	   long options ahead of the command line, which wins, and its
 *	   "listen = SPEC" entries become LISTEN arguments (cfgfile.h's
 *	   cfg_argv; names are those of the long options, refused when
 *	   unknown or marked DAEMON_OPT_NO_CONFIG).
 *	3. The options, with getopt_long over the skeleton's table and
 *	   spec->options: the skeleton's own are --config, --user (-u),
 *	   --log-file (-l), --pid-file, --max-connections (within
 *	   spec->max_connections_min..max), --send-batching yes|no,
 *	   --verbose (-v, counted), --help (-h: spec->usage on stdout,
 *	   exit 0), --mode OCTAL (default 0600, Dovecot's auth-client
 *	   default: only the daemon's own user connects) and
 *	   --owner USER[:GROUP] for unix: sockets. Every other option goes
 *	   to spec->option(ctx, key, value) in command-line order. An
 *	   unknown option prints spec->usage on stderr: exit 2.
 *	4. spec->configured(ctx): work that needs no LISTEN argument
 *	   (a --check that exits); its return value, unless -1, is the
 *	   exit status. Then no LISTEN argument is a usage error (exit 2).
 *	5. --log-file, or /dev/null when stderr is the spawn connection
 *	   itself (master.cf spawn); the event loop; then
 *	   spec->init(ctx, d): load data (may msg_fatal), keep d.
 *	6. io_uring batching unless --send-batching no (with -v,
 *	   spec->unbatched is logged where it is not available).
 *	7. The --pid-file (before any socket is touched, so that a second
 *	   daemon with the same file cannot replace the first one's unix
 *	   sockets), the LISTEN arguments (listen.h specs; at most
 *	   DAEMON_MAX_LISTENERS; "spawn" serves stdin/stdout and cannot be
 *	   combined with listeners), then --user drops privileges, after
 *	   starting a keeper (keeper.h) that removes the unix sockets and
 *	   the pid file when the server has ended. A LISTEN argument may
 *	   start with "KIND:", KIND one of the names in spec->listen_kinds
 *	   (none may be "unix", "inet" or "spawn"): the prefix is taken
 *	   off, and that listener's connections reach spec->connect with
 *	   kind = the name's index + 1 (0 without one).
 *	8. SIGTERM and SIGINT stop the loop ("signal N: shutting down"),
 *	   SIGHUP calls spec->reload(ctx); spec->post_init(ctx, d).
 *	9. spawn: spec->connect(ctx, 0, 1, "spawn", kind), and the loop
 *	   ends with that connection; otherwise spec->ready(ctx, nlisteners)
 *	   logs the start and listeners call spec->connect(ctx, fd, fd,
 *	   peer, kind) for every accepted connection.
 *	10. After the loop: listeners closed, batching stopped,
 *	   spec->finish(ctx), the pid file removed; with --user the
 *	   keeper removes what the user could not, and is waited for.
 *	   Returns 0.
 *
 *	Connections: spec->connect creates its connection with
 *	daemon_conn_create() (conn_create, counted; with -v "peer:
 *	connected"; NULL and the fds closed when it cannot be set up) and
 *	calls daemon_conn_closed() from its on_close. At
 *	--max-connections the listeners pause until one closes; the first
 *	time in an episode this is logged ("N connections: --max-connections
 *	reached; new clients wait until one closes"), and its end when the
 *	count is more than a tenth of the limit below it ("N connections:
 *	below --max-connections again"), so that a server at its limit logs
 *	two lines, not one per connection.
 *	daemon_loop() and daemon_verbose() are for the hooks.
 *
 *	A program's per-connection object starts with a struct
 *	daemon_client: one reference for the connection
 *	(daemon_client_init), one more for every timer or job that will
 *	come back to it (daemon_client_hold, then daemon_client_release
 *	when it has); daemon_conn_closed() sets c->closed, so that late
 *	events know to do nothing, and drops the connection's reference.
 *	The last release calls c->destroy.
 *
 *	Option values: daemon_opt_uint, _yesno and _ms parse with
 *	cfgval.h and msg_fatal("OPT: reason") on a bad value.
 *	daemon_read_file() reads a whole file of at most max bytes into a
 *	new buffer (NUL-terminated, freed by the caller).
 *
 *	daemon_drop_privileges() makes the process run as user (a name, or
 *	a decimal uid): supplementary groups from the group database
 *	(initgroups), then the user's primary gid, then the uid, and then
 *	checks that real and effective ids all changed and that uid 0
 *	cannot be regained. Asking for the user the process already runs
 *	as is not an error, so a daemon started without root may still
 *	say --user. Call it before the event loop starts its threads.
 *
 *	daemon_pidfile_open() creates or truncates path (mode 0644, no
 *	symlink followed), takes an exclusive lock on it (an fcntl(2)
 *	open-file-description lock, F_OFD_SETLK) and
 *	writes "PID\n". The returned fd holds the lock for the life of
 *	the process: a second daemon with the same pid file is refused
 *	while the first lives, and a file left by a dead one is reused.
 *	daemon_pidfile_remove() unlinks it and closes fd.
 *
 *	daemon_ignore_sigpipe() sets SIGPIPE to SIG_IGN: a write to a
 *	peer that went away returns EPIPE instead of killing the daemon.
 * DIAGNOSTICS
 *	daemon_main: start-up errors are msg_fatal (exit 2) with the reason:
 *	"--config F: ...", "F:3: unknown setting x", "--user x: ...",
 *	"--pid-file F: locked by process 123", "spawn cannot be combined
 *	with listeners", "at most 16 listeners", "event loop: ...".
 *	daemon_drop_privileges, daemon_pidfile_open, daemon_read_file:
 *	-1 / NULL with a message in err: 'unknown user "x"',
 *	'initgroups(x): Operation not permitted', 'setuid(65534): ...',
 *	'privileges were not dropped', 'PATH: locked by process 123',
 *	'PATH: <errno text>', 'PATH: file too large'. daemon_pidfile_open
 *	returns the fd (>= 0).
 */
#ifndef REFERENCE_COMMON_DAEMON_H
#define REFERENCE_COMMON_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "io/ev.h"
#include "reference/common/conn.h"

#define DAEMON_MAX_LISTENERS	16

/* struct daemon_option: arg */
#define DAEMON_ARG_NONE		0
#define DAEMON_ARG_REQUIRED	1

/* struct daemon_option: flags */
#define DAEMON_OPT_NO_CONFIG	0x1u	/* command line only */

/* struct daemon_spec: flags (none yet) */

struct daemon_option {
	const char *name;	/* the long option and the config-file name */
	int key;		/* a short option letter, or 1..127 for none */
	int arg;		/* DAEMON_ARG_NONE or DAEMON_ARG_REQUIRED */
	unsigned flags;
};

struct daemon;

/* what a program's per-connection object starts with */
struct daemon_client {
	int refs;		/* the connection, and every timer or job holding it */
	int closed;		/* the connection is gone: late events do nothing */
	void (*destroy)(struct daemon_client *c);
};

struct daemon_spec {
	const char *name;			/* program name, for messages */
	const char *usage;			/* the --help text */
	const struct daemon_option *options;	/* the program's own, NULL name last */
	unsigned flags;
	unsigned long max_connections_min, max_connections_max;
	const char *unbatched;			/* -v note when io_uring is missing */
	void (*option)(void *ctx, int key, const char *value);
	int (*configured)(void *ctx);		/* NULL, or -1 to go on, or exit status */
	void (*init)(void *ctx, struct daemon *d);
	void (*post_init)(void *ctx);		/* may be NULL */
	void (*connect)(void *ctx, int rfd, int wfd, const char *peer, unsigned kind);
	void (*reload)(void *ctx);		/* SIGHUP */
	void (*ready)(void *ctx, size_t nlisteners);
	void (*finish)(void *ctx);
	const char *const *listen_kinds;	/* NULL, or LISTEN prefixes, NULL last */
};

int daemon_main(int argc, char **argv, const struct daemon_spec *spec, void *ctx);
struct ev_loop *daemon_loop(const struct daemon *d);
unsigned daemon_verbose(const struct daemon *d);
struct conn *daemon_conn_create(struct daemon *d, int rfd, int wfd,
				const struct conn_settings *cs, const struct conn_ops *ops,
				void *ctx, const char *peer);
void daemon_conn_closed(struct daemon *d, struct daemon_client *c);
void daemon_client_init(struct daemon_client *c, void (*destroy)(struct daemon_client *c));
void daemon_client_hold(struct daemon_client *c);
void daemon_client_release(struct daemon_client *c);

unsigned long daemon_opt_uint(const char *opt, const char *v, unsigned long min,
			      unsigned long max);
int daemon_opt_yesno(const char *opt, const char *v);
uint64_t daemon_opt_ms(const char *opt, const char *v);
char *daemon_read_file(const char *path, size_t max, size_t *len_r, char *err, size_t errlen);

int daemon_drop_privileges(const char *user, char *err, size_t errlen);
int daemon_pidfile_open(const char *path, char *err, size_t errlen);
void daemon_pidfile_remove(const char *path, int fd);
int daemon_ignore_sigpipe(void);

#endif
