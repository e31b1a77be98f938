/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz - a protocol-aware wire fuzzer for auth helpers and policy services
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz.h"
 *
 *	int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res,
 *	             char *err, size_t errlen);
 *	void fuzz_request_stop(void);
 *	const char *fuzz_kind_name(enum fuzz_kind k);
 * DESCRIPTION
 *	The wire fuzzer's room, harness/fuzz/: the generators
 *	(fuzz_gen.h: pure, what one exec sends), the engine (fuzz_engine.c:
 *	connections, execs, replies judged as Postfix reads them), the
 *	minimizer (fuzz_minimize.c) and the findings (fuzz_finding.c: what
 *	is counted, printed and written). This header is what the command
 *	line sees.
 *
 *	fuzz_run(): one connection at a time to o->target, as a Postfix
 *	smtpd process keeps one; each exec sends a generated case step by
 *	step and reads the replies due, judged as Postfix reads them
 *	(harness/postfix): auth replies up to OK, FAIL or CONT for the
 *	request's id (a CONT continues with the next step); policy replies
 *	up to the empty line. Auth connections start with the handshake.
 *	Findings:
 *	  crash      a spawned helper ended by a signal
 *	  exit       a spawned helper ended on its own with a status other
 *	             than 0
 *	  down       unix:/inet: the connection ended and the next one was
 *	             refused
 *	  hang       no reply (and no close) within o->timeout_ms where one
 *	             was due
 *	  bad-reply  bytes Postfix would choke on: a handshake Postfix
 *	             refuses or crashes on, a line longer than 64 KiB, a
 *	             policy reply Postfix counts as a failed try
 *	Each finding is a line on stdout and, with o->out, a transcript
 *	(the one transcript writer, harness/script/transcript_write.h): the
 *	lines sent on that connection since it was opened, a "S: *" for
 *	each line received (the text as a comment), then what was observed
 *	("expect close" after a crash). Crashes and exits of spawned helpers
 *	are minimized first: requests are dropped one at a time while the
 *	same ending still follows (bounded by FUZZ_MINIMIZE_MS), once per
 *	kind and signal or exit status. At most FUZZ_MAX_WRITTEN
 *	transcripts are written. The connection is reopened (the helper
 *	respawned) after every finding, whenever the helper closes it, and
 *	every o->reconnect_every execs.
 * DIAGNOSTICS
 *	fuzz_run: 0, or -1 when the target cannot be used at the start or
 *	the output directory cannot be made (err). A finding that cannot be
 *	written is reported with msg_warn() and still counted.
 *	fuzz_request_stop() may be called from a signal handler: the run
 *	ends after the exec under way, with its result.
 */
#ifndef HARNESS_FUZZ_FUZZ_H
#define HARNESS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "harness/io/target.h"

#define FUZZ_MINIMIZE_MS	15000
#define FUZZ_MAX_WRITTEN	100	/* transcripts per run */

enum fuzz_kind {
	FUZZ_CRASH,
	FUZZ_EXIT,
	FUZZ_DOWN,
	FUZZ_HANG,
	FUZZ_BAD_REPLY,
	FUZZ_NKINDS,
};

enum fuzz_proto {
	FUZZ_PROTO_AUTH,
	FUZZ_PROTO_POLICY,
};

struct fuzz_options {
	enum fuzz_proto proto;
	const struct target *target;
	const char *target_text;
	uint64_t seed;
	double seconds;			/* 0: no time limit */
	uint64_t iterations;		/* 0: no exec limit */
	int timeout_ms;
	const char *out;		/* directory for findings, NULL: none */
	int stderr_apart;
	unsigned reconnect_every;
	unsigned max_findings;		/* stop after N findings, 0: never */
	int minimize;
	int quiet;			/* no live status line */
};

struct fuzz_result {
	uint64_t execs, connections;
	uint64_t findings[FUZZ_NKINDS];
	unsigned written;
	double elapsed;
};

int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res, char *err, size_t errlen);
void fuzz_request_stop(void);
const char *fuzz_kind_name(enum fuzz_kind k);

#endif
