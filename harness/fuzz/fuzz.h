/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz - a protocol-aware wire fuzzer for auth helpers and policy services
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz.h"
 *
 *	int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res,
 *	             char *err, size_t errlen);
 *	void fuzz_result_free(struct fuzz_result *res);
 *	void fuzz_request_stop(void);
 *	const char *fuzz_kind_name(enum fuzz_kind k);
 *	uint64_t fuzz_result_findings(const struct fuzz_result *res);
 *	void fuzz_summary_text(FILE *fp, const struct fuzz_options *o,
 *	                       const struct fuzz_result *res);
 *	void fuzz_summary_json(FILE *fp, const struct fuzz_options *o,
 *	                       const struct fuzz_result *res);
 * DESCRIPTION
 *	The wire fuzzer's room, harness/fuzz/: the generators
 *	(fuzz_gen.h: pure, what one exec sends), what Postfix sends
 *	(fuzz_shape.h: pure), the engine (fuzz_engine.c: connections,
 *	execs, replies judged as Postfix reads them), the minimizer
 *	(fuzz_minimize.c), the findings (fuzz_finding.c: signatures and
 *	their regression transcripts), the summaries (fuzz_sig.c). This
 *	header is what the command line sees.
 *
 *	fuzz_run(): one connection at a time to o->target, as a Postfix
 *	smtpd process keeps one; each exec sends a generated case step by
 *	step and reads the replies due, judged as Postfix reads them
 *	(harness/postfix): auth replies up to OK, FAIL or CONT for the
 *	request's id (a CONT continues with the next step); policy replies
 *	up to the empty line, as Postfix o->version sends and reads them.
 *	Auth connections start with the handshake.
 *	A request is "Postfix-shaped" when Postfix could have sent it
 *	(fuzz_shape.h). Findings:
 *	  crash      a spawned helper ended by a signal, whatever was sent
 *	  exit       a spawned helper ended with a status other than 0
 *	             while Postfix waited for its reply
 *	  close      the connection closed while Postfix waited for a reply
 *	             (every target mode; a spawned helper that exited 0)
 *	  down       unix:/inet: the connection ended and the next one was
 *	             refused: the daemon stopped accepting connections
 *	  hang       no reply (and no close) within o->timeout_ms
 *	  bad-reply  bytes Postfix would choke on: a handshake Postfix
 *	             refuses or crashes on, a line longer than 64 KiB, more
 *	             than FUZZ_REPLY_MAX bytes before the reply, a policy
 *	             reply Postfix counts as a failed try
 *	Apart from crash and down, the request Postfix waited on must be
 *	Postfix-shaped: what Postfix never sends may be refused with a
 *	close, as Dovecot does.
 *
 *	Findings are grouped by signature: the kind, the signal or exit
 *	status, the helper's last line (its stderr with o->stderr_apart,
 *	else the last line it wrote that was not the reply), what Postfix
 *	does about it (the symptom) and where (the handshake or a request);
 *	texts are normalized (digits, quoted and hex parts) so that one bug
 *	is one signature. Each signature counts its hits and has one
 *	transcript in o->out, written when it is first seen, after
 *	minimization (fuzz_minimize.c: requests are dropped while the same
 *	signature follows on a fresh connection, within FUZZ_MINIMIZE_MS);
 *	a later hit whose reproducer is Postfix-shaped throughout replaces a
 *	reproducer that was not. The transcript is a regression test
 *	(fuzz_finding.c): it keeps Postfix's handshake and expects what a
 *	correct helper does, so it fails while the bug is there and passes
 *	once it is fixed. At most FUZZ_MAX_SIGS signatures are kept; the
 *	hits of others are counted apart (res->other_hits).
 *
 *	Bounds: each reply must come within o->timeout_ms in all (not per
 *	line), and no more than FUZZ_REPLY_MAX bytes may come before it; a
 *	run with o->seconds ends by then, minimization included (a read cut
 *	by the run's end is no finding). An exec that cannot even start (a
 *	handshake that fails) counts as an exec; after FUZZ_UNUSABLE_MAX
 *	connections in a row on which the target did not answer (no
 *	complete handshake; no byte of a policy reply) the run ends
 *	(res->unusable, res->stopped says why); so does a run whose time
 *	ran out before any connection got an answer (a read cut by the
 *	run's end included), when it had no finding.
 *
 *	With o->corpus (fuzz_corpus.h), inputs that gave a new behaviour
 *	are kept there and a later run starts from them.
 *
 * DIAGNOSTICS
 *	fuzz_run: 0, or -1 when the target cannot be used at the start or
 *	an output directory cannot be used (err). A finding that cannot be
 *	written is reported with msg_warn() and still counted.
 *	fuzz_request_stop() may be called from a signal handler: the run
 *	ends after the exec under way, with its result.
 */
#ifndef HARNESS_FUZZ_FUZZ_H
#define HARNESS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/io/target.h"
#include "harness/postfix/pf_version.h"

#define FUZZ_MINIMIZE_MS	15000
#define FUZZ_MAX_SIGS		100		/* signatures (and transcripts) per run */
#define FUZZ_SIG_TEXT		160
#define FUZZ_REPLY_MAX		(1024 * 1024)	/* bytes before the reply is due */
#define FUZZ_UNUSABLE_MAX	5		/* connections in a row without a reply */

enum fuzz_kind {
	FUZZ_CRASH,
	FUZZ_EXIT,
	FUZZ_CLOSE,
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
	struct pf_version version;	/* speak and judge as it; 0.0: the newest known */
	const struct target *target;
	const char *target_text;
	uint64_t seed;
	double seconds;			/* 0: no time limit */
	uint64_t iterations;		/* 0: no exec limit */
	int timeout_ms;
	const char *out;		/* directory for findings, NULL: none */
	const char *corpus;		/* directory of kept inputs, NULL: none */
	int stderr_apart;
	unsigned reconnect_every;
	unsigned max_findings;		/* stop after N findings, 0: never */
	int minimize;
	int quiet;			/* no live status line */
	FILE *log;			/* the finding lines (stdout) */
};

/* one signature: what tells one bug from another */
struct fuzz_sig {
	enum fuzz_kind kind;
	int status;			/* wait status (crash, exit), else 0 */
	char status_text[64];		/* "killed by signal 11 (...)", "exit 1", "" */
	char last[FUZZ_SIG_TEXT];	/* the helper's last line, normalized, or "" */
	char symptom[FUZZ_SIG_TEXT];	/* what Postfix does */
	char where[32];			/* "handshake", "AUTH exchange", ... */
	uint64_t hits;
	uint64_t first_exec;
	char detail[FUZZ_SIG_TEXT];	/* the first hit, as printed */
	char file[64];			/* its transcript in o->out, or "" */
	int shaped;			/* the reproducer is Postfix-shaped throughout */
	unsigned kept, units;		/* minimized: kept of units */
	unsigned upgrades;		/* attempts at a Postfix-shaped reproducer */
};

struct fuzz_result {
	uint64_t execs, connections;
	uint64_t findings[FUZZ_NKINDS];
	struct fuzz_sig *sig;		/* FUZZ_MAX_SIGS */
	unsigned nsig;
	uint64_t other_hits;		/* hits of signatures beyond FUZZ_MAX_SIGS */
	unsigned written;
	unsigned corpus_loaded, corpus_kept;
	double elapsed;
	int unusable;			/* the target never became usable */
	char stopped[300];		/* why the run ended early, or "" */
};

int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res, char *err, size_t errlen);
void fuzz_result_free(struct fuzz_result *res);
void fuzz_request_stop(void);
const char *fuzz_kind_name(enum fuzz_kind k);
uint64_t fuzz_result_findings(const struct fuzz_result *res);
void fuzz_summary_text(FILE *fp, const struct fuzz_options *o, const struct fuzz_result *res);
void fuzz_summary_json(FILE *fp, const struct fuzz_options *o, const struct fuzz_result *res);

#endif
