/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	target - connect to a helper the way Postfix does, read with deadlines
 * SYNOPSIS
 *	#include "harness/io/target.h"
 *
 *	int target_parse(const char *spec, struct target *t, char *err, size_t errlen);
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
 *	the connection was still open: what Postfix can see. A helper that
 *	ends badly (a signal, an exit status not 0) only after the harness
 *	closed its end, every reply delivered, did not crash in Postfix's
 *	eyes (spawn(8) logs a warning, the SMTP client sees nothing):
 *	tconn_ended_after_close() is 1 then.
 *	tconn_read_some() reads raw bytes for the record proxy, which never
 *	mixes it with tconn_read_line(): >0 bytes, 0 timeout, -1 EOF or
 *	error.
 * DIAGNOSTICS
 *	target_parse/tconn_open: -1 with a reason in err.
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

struct target {
	enum target_kind kind;
	char text[512];
	char path[108];
	char host[256];
	char port[8];
	char **argv;		/* spawn, NULL-terminated */
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
	int killed;		/* the harness sent the signal (close grace over) */
	struct linebuf lb;
	struct xbuf err;	/* captured stderr (bounded) */
	char exit_text[128];
};

int target_parse(const char *spec, struct target *t, char *err, size_t errlen);
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

#endif
