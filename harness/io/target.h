/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	target - connect to a helper the way Postfix does, read with deadlines
 * SYNOPSIS
 *	#include "harness/io/target.h"
 *
 *	int target_parse(const char *spec, struct target *t, char *err, size_t errlen);
 *	int target_spawn_env(struct target *t, const char *spec, char *err,
 *	                     size_t errlen);
 *	int target_spawn_user(struct target *t, const char *spec, char *err,
 *	                      size_t errlen);
 *	void target_free(struct target *t);
 *	int tconn_open(const struct target *t, const struct tconn_options *o,
 *	               struct tconn *c, char *err, size_t errlen);
 *	int tconn_write(struct tconn *c, const void *p, size_t n, int timeout_ms);
 *	int tconn_read_line(struct tconn *c, int timeout_ms, const char **line_r,
 *	                    size_t *len_r);
 *	int tconn_read_last(struct tconn *c, const char **line_r,
 *	                    size_t *len_r);
 *	size_t tconn_drop_unread(struct tconn *c, const char **data_r);
 *	void tconn_close(struct tconn *c);
 *	const char *tconn_exit_text(const struct tconn *c);
 *	int tconn_readable(struct tconn *c);
 *	int tconn_wait_exit(struct tconn *c, int timeout_ms);
 *	int tconn_crashed(const struct tconn *c);
 *	int tconn_ended_after_close(const struct tconn *c);
 *	int tconn_read_some(struct tconn *c, int timeout_ms, char *buf,
 *	                    size_t size);
 *	void tconn_sleep(int ms);
 *
 *	void tconn_limit(long long at);
 *	int tconn_limit_hit(void);
 *	void tconn_progress(void (*fn)(void *ctx, long long waited_ms),
 *	                    void *ctx);
 *	long long tconn_now_ms(void);
 * DESCRIPTION
 *	TARGET, in Postfix's spelling:
 *	  unix:/path           UNIX stream socket
 *	  inet:host:port       TCP, IPv4 or host name; inet:[::1]:port for IPv6
 *	  spawn:COMMAND ARGS   the helper is started with the connection on its
 *	                       stdin and stdout (a socketpair), as master.cf
 *	                       spawn(8) runs it; by default stderr is the same
 *	                       socket, as under spawn(8); with o->stderr_apart it
 *	                       is captured separately (tconn.err holds it).
 *	ARGS are split on white space; no shell is involved.
 *
 *	A spawned helper runs as spawn(8) runs it. Its environment is not the
 *	caller's but what Postfix's import_environment and export_environment
 *	defaults leave (measured on Postfix 3.7.11 under master.cf spawn):
 *	LANG=C, MAIL_CONFIG=/etc/postfix, PATH=/usr/bin:/bin, and TZ when the
 *	caller has it; target_spawn_env() adds to that, as a site would by
 *	changing export_environment: NAME takes the caller's value (nothing
 *	when it has none), NAME=VALUE sets one; at most TARGET_SPAWN_ENV_MAX.
 *	target_spawn_user() is master.cf's user=USER[:GROUP]: the helper runs
 *	with that uid, its gid (or GROUP's), and no other group; like spawn(8)
 *	it refuses uid or gid 0, and switching needs root. stdin, stdout and
 *	stderr are the connection. COMMAND is looked up on the caller's
 *	PATH when it holds no '/' (master.cf would want a path).
 *
 *	tconn_read_line() returns lines without LF and keeps a CR (Postfix
 *	reads with vstring_get_nonl). A line longer than TCONN_MAX_LINE is
 *	not buffered without bound: it is reported (-2) and the connection
 *	should be dropped. Every wait is bounded by its timeout.
 *	tconn_read_last(), after tconn_read_line() returned -1, takes the
 *	bytes that came before EOF without an LF as a last line (1), or
 *	returns 0 when there are none: Postfix's auth client reads them so
 *	(vstring_get_nonl returns what it got before EOF).
 *	tconn_drop_unread() drops the bytes read but not yet returned as
 *	lines and returns their count (*data_r: where they are, until the
 *	next read): Postfix's auth stream is single-buffered and drops
 *	them when it writes (vstream_buf_put_ready). The buffer is filled
 *	only when no whole line is left, as vstream's is, so they came with
 *	the last read.
 *	For spawn targets tconn_close() reaps the child (killing it after
 *	a grace period) and tconn_exit_text() tells how it ended ("exit 0",
 *	"killed by signal 11 (Segmentation fault)").
 *
 *	tconn_readable() tells, without waiting, whether bytes (or EOF) are
 *	waiting to be read: Postfix's policy client checks this before each
 *	request and treats a readable stream as broken.
 *	tconn_wait_exit() waits up to timeout_ms for a spawned helper to end
 *	on its own (after EOF on the connection) and reaps it: 1 it ended,
 *	0 still running (or not a spawn target). tconn_crashed() is 1 when
 *	the helper ended by a signal that the harness did not send, while
 *	the connection was still open (the harness had not closed its end,
 *	or the helper had closed its own first: a late reaping on a loaded
 *	machine changes nothing): what Postfix can see. A helper that
 *	ends badly (a signal, an exit status not 0) only after the harness
 *	closed its end, every reply delivered, did not crash in Postfix's
 *	eyes (spawn(8) logs a warning, the SMTP client sees nothing):
 *	tconn_ended_after_close() is 1 then.
 *	tconn_read_some() reads raw bytes for the record proxy, which never
 *	mixes it with tconn_read_line(): >0 bytes, 0 timeout, -1 EOF or
 *	error. tconn_sleep() waits ms like any other wait.
 *
 *	For the whole process: tconn_limit() bounds every wait by a moment
 *	of tconn_now_ms()'s clock (0: no bound); a wait that reaches it
 *	returns as a timeout, and tconn_limit_hit() is 1 from then on.
 *	tconn_progress() names a function called once a second during any
 *	wait longer than a second with the time waited so far, and with -1
 *	when such a wait is over (NULL: none).
 * DIAGNOSTICS
 *	target_parse, target_spawn_env, target_spawn_user, tconn_open: -1
 *	with a reason in err.
 *	tconn_write: 0, or -1 (timeout or error; errno set).
 *	tconn_read_line: 1 line, 0 timeout, -1 EOF or error, -2 line too long.
 */
#ifndef HARNESS_IO_TARGET_H
#define HARNESS_IO_TARGET_H

#include <stddef.h>
#include <sys/types.h>

#include "proto/linebuf.h"
#include "util/xbuf.h"

#define TCONN_MAX_LINE		65536

enum target_kind {
	TARGET_UNIX,
	TARGET_INET,
	TARGET_SPAWN,
};

#define TARGET_SPAWN_ENV_MAX	32	/* --spawn-env NAME[=VALUE] */

struct target {
	enum target_kind kind;
	char text[512];
	char path[108];
	char host[256];
	char port[8];
	char **argv;		/* spawn, NULL-terminated */
	/* spawn: what spawn(8) would give it beyond its defaults */
	const char *env_add[TARGET_SPAWN_ENV_MAX];	/* NAME or NAME=VALUE */
	size_t nenv_add;
	int as_user;		/* run as uid/gid (master.cf user=) */
	uid_t uid;
	gid_t gid;
};

struct tconn_options {
	int stderr_apart;
	int connect_timeout_ms;
};

struct tconn {
	int fd;
	int errfd;		/* spawn with stderr apart, else -1 */
	pid_t pid;		/* spawn child, else 0 */
	int exit_status;	/* waitpid status, valid when reaped */
	int reaped;
	int ended_open;		/* it ended before the harness closed its end */
	int eof;		/* the helper closed its end: EOF read, or EPIPE */
	int killed;		/* the harness sent the signal (close grace over) */
	struct linebuf lb;
	struct xbuf err;	/* captured stderr (bounded) */
	char exit_text[128];
};

int target_parse(const char *spec, struct target *t, char *err, size_t errlen);
int target_spawn_env(struct target *t, const char *spec, char *err, size_t errlen);
int target_spawn_user(struct target *t, const char *spec, char *err, size_t errlen);
void target_free(struct target *t);
int tconn_open(const struct target *t, const struct tconn_options *o, struct tconn *c,
	       char *err, size_t errlen);
int tconn_write(struct tconn *c, const void *p, size_t n, int timeout_ms);
int tconn_read_line(struct tconn *c, int timeout_ms, const char **line_r, size_t *len_r);
int tconn_read_last(struct tconn *c, const char **line_r, size_t *len_r);
size_t tconn_drop_unread(struct tconn *c, const char **data_r);
void tconn_close(struct tconn *c);
const char *tconn_exit_text(const struct tconn *c);
int tconn_readable(struct tconn *c);
int tconn_wait_exit(struct tconn *c, int timeout_ms);
int tconn_crashed(const struct tconn *c);
int tconn_ended_after_close(const struct tconn *c);
int tconn_read_some(struct tconn *c, int timeout_ms, char *buf, size_t size);
void tconn_sleep(int ms);
void tconn_limit(long long at);
int tconn_limit_hit(void);
void tconn_progress(void (*fn)(void *ctx, long long waited_ms), void *ctx);
long long tconn_now_ms(void);

#endif
