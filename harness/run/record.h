/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	record - proxy between a real client and a helper, write a transcript
 * SYNOPSIS
 *	#include "harness/run/record.h"
 *
 *	int record_run(const struct record_options *o, char *err,
 *	               size_t errlen);
 *	void record_request_stop(void);
 *
 *	void recorder_init(struct recorder *rc);
 *	int recorder_line(struct recorder *rc, char dir, const char *line,
 *	                  size_t len, struct xbuf *out);
 *	int recorder_event(struct recorder *rc, const char *what,
 *	                   struct xbuf *out);
 * DESCRIPTION
 *	record_run() listens on o->listen, and for each of o->count client
 *	connections (0: until record_request_stop(), which a signal handler
 *	may call) connects to o->upstream (a target as for replay; spawn:
 *	starts a helper per connection) and passes every byte through
 *	unchanged, both ways. Up to RECORD_MAX_CONN connections are served
 *	at once (Postfix keeps one per smtpd process). What each connection
 *	saw is appended to o->out when it ends, as a transcript that replays
 *	against the same helper: C: lines for the client, S: lines for the
 *	helper, "reconnect" between connections, "expect close" when the
 *	helper closed. The file is rewritten after each connection.
 *
 *	recorder_line() is the pure part: one line (without LF) seen in
 *	direction dir ('C' client, 'S' server) becomes transcript text. The
 *	protocol is taken from the first client line (VERSION or CPID: auth;
 *	anything else: policy). Auth lines get their variable parts replaced:
 *	CPID's value by {pid}, the request id of AUTH and of the CONT, OK,
 *	FAIL lines that answer it by {id} (replay numbers requests itself),
 *	SPID, CUID and COOKIE values by "*". Exchanges whose client answers
 *	depend on the server's challenge (CRAM-MD5, SCRAM-*) cannot be
 *	replayed byte for byte: they are written as comments followed by the
 *	"auth MECH USER ${password} expect CODE" macro, the user taken from
 *	the client's answer. Bytes are written in transcript notation (\t,
 *	\r, \xHH; \\ \{ \} \$ \* escaped).
 *	The proxy hands recorder_line() lines of at most RECORD_MAX_LINE
 *	bytes; a longer one is written as a comment saying so (its bytes
 *	still pass through).
 * DIAGNOSTICS
 *	record_run: 0 done, -1 with a reason in err (cannot listen, cannot
 *	write the output). recorder_*: 0, or -1 when out is full.
 */
#ifndef HARNESS_RUN_RECORD_H
#define HARNESS_RUN_RECORD_H

#include <stddef.h>

#include "harness/io/target.h"
#include "util/xbuf.h"

#define RECORD_MAX_LINE		65536
#define RECORD_MAX_PENDING	64	/* lines of a challenge exchange kept */
#define RECORD_MAX_CONN		16	/* connections proxied at once */

struct record_options {
	const char *listen;
	const struct target *upstream;
	const char *out;
	unsigned count;			/* client connections to record; 0 = until stopped */
	int stderr_apart;
	int accept_timeout_ms;		/* per connection; 0 = wait forever */
	int idle_timeout_ms;		/* a quiet connection is closed after this */
	int quiet;			/* no progress messages on stderr */
};

enum recorder_proto {
	RECORDER_UNKNOWN,
	RECORDER_AUTH,
	RECORDER_POLICY,
};

struct recorder {
	enum recorder_proto proto;
	int wrote_header;
	char id[16];			/* the recorded id of the request in flight */
	char mech[64];
	int challenge;			/* CRAM-MD5 / SCRAM exchange being held */
	char user[256];			/* from the client's answer */
	struct xbuf held;		/* its lines, written as comments */
};

int record_run(const struct record_options *o, char *err, size_t errlen);
void record_request_stop(void);
void recorder_init(struct recorder *rc);
void recorder_free(struct recorder *rc);
int recorder_line(struct recorder *rc, char dir, const char *line, size_t len,
		  struct xbuf *out);
int recorder_event(struct recorder *rc, const char *what, struct xbuf *out);

#endif
