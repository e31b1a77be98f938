/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	record - proxy between a real client and a helper, write a transcript
 * SYNOPSIS
 *	#include "harness/record/record.h"
 *
 *	int record_run(const struct record_options *o, unsigned *recorded_r,
 *	               char *err, size_t errlen);
 *	void record_request_stop(void);
 * DESCRIPTION
 *	record_run() listens on o->listen, and for each of o->count client
 *	connections (0: until record_request_stop(), which a signal handler
 *	may call) connects to o->upstream (a target as for replay; spawn:
 *	starts a helper per connection) and passes every byte through
 *	unchanged, both ways. Up to RECORD_MAX_CONN connections are served
 *	at once (Postfix keeps one per smtpd process). What each connection
 *	saw is appended to o->out when it ends, as a transcript that replays
 *	against the same helper (harness/record/recorder.h says how lines
 *	become statements): "reconnect" between connections, "expect
 *	close" when the helper closed. PLAIN and LOGIN credentials are
 *	written as ${user}/${password} variables, the user names as
 *	"default" statements, unless o->keep_credentials.
 *
 *	The file (harness/record/record_file.h) is private (mode 0600),
 *	never replaces what is at o->out unless o->force (and then never
 *	writes through a symbolic link there), and is put in place when the
 *	first connection has been recorded, then rewritten after each one:
 *	a run that ends before that leaves nothing at o->out.
 * DIAGNOSTICS
 *	record_run: 0 done (*recorded_r: connections written), -1 with a
 *	reason in err (o->out there, cannot listen, cannot write the
 *	output, no client in time). Progress through msg_info() unless
 *	o->quiet.
 */
#ifndef HARNESS_RECORD_RECORD_H
#define HARNESS_RECORD_RECORD_H

#include <stddef.h>

#include "harness/io/target.h"

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
	int force;			/* o->out may replace what is there */
	int keep_credentials;		/* credentials as they passed */
};

int record_run(const struct record_options *o, unsigned *recorded_r, char *err, size_t errlen);
void record_request_stop(void);

#endif
