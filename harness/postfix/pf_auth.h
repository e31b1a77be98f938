/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_auth - how Postfix's smtpd reads a Dovecot auth server (the oracle)
 * SYNOPSIS
 *	#include "harness/postfix/pf_auth.h"
 *
 *	void pf_auth_handshake_init(struct pf_auth_handshake *h,
 *	                            const struct pf_version *v);
 *	int pf_auth_handshake_line(struct pf_auth_handshake *h,
 *	                           const char *line, size_t len);
 *	size_t pf_auth_filter(const struct pf_auth_handshake *h,
 *	                      unsigned require, unsigned forbid,
 *	                      const char **names_r, size_t max);
 *	int pf_auth_request(struct xbuf *out, unsigned id, const char *mech,
 *	                    const char *service, const char *lip,
 *	                    const char *rip, int secured, const char *resp);
 *	void pf_auth_judge(const struct pf_version *v, unsigned id,
 *	                   const char *line, size_t len,
 *	                   struct pf_auth_verdict *out);
 *	void pf_auth_io_failure(const struct pf_version *v,
 *	                        struct pf_auth_verdict *out);
 *	enum pf_auth_link pf_auth_link_after(const struct pf_version *v,
 *	                                     enum pf_auth_link how);
 *	enum pf_auth_next pf_auth_next_request(enum pf_auth_link link,
 *	                                       int inet);
 * DESCRIPTION
 *	Pure functions that reproduce postfix/src/xsasl/xsasl_dovecot_server.c
 *	and smtpd_sasl_glue.c (protocols.md A.2.3, A.6, A.7). Lines are
 *	given without their LF and read the way Postfix reads them
 *	(vstring_get_nonl: a CR stays in the line).
 *
 *	Handshake (xsasl_dovecot_server_connect): VERSION needs two numbers
 *	(sscanf "%u\t%u") and major 1; a bare VERSION crashes Postfix before
 *	3.12-20260710 and its back-ports (3.5.27, 3.6.20, 3.7.22, 3.8.20,
 *	3.9.14, 3.10.13, 3.11.6) and is ignored by them; MECH <name>[<TAB>flags] records
 *	the mechanism (flags case-insensitive, unknown ones ignored,
 *	"private" drops it, duplicates kept); SPID before any MECH fails the
 *	handshake ("Connected to wrong auth socket") since 3.0; DONE ends it;
 *	everything else is ignored. The result: 0 keep reading, 1 done,
 *	-1 failed (h->why is Postfix's warning), -2 Postfix would crash.
 *	Observations that do not change the outcome (CR at line ends,
 *	duplicate MECH, unknown flags) are collected in h->notes. Lines fed
 *	after DONE return 1 again and are only counted and noted: Postfix
 *	stops reading at DONE. What came in the same read as DONE is
 *	dropped when Postfix writes its first AUTH (the stream is single-
 *	buffered: vstream_buf_put_ready() discards unread input); what
 *	comes in a later read is read as replies to that AUTH. Postfix
 *	reads the bytes before EOF as a last line even without an LF
 *	(vstring_get_nonl), in the handshake and for replies alike; the
 *	readers (harness/replay) do both.
 *
 *	pf_auth_filter() applies smtpd_sasl_security_options (require /
 *	forbid are DVAUTH_MECH_* masks: noanonymous = forbid ANONYMOUS).
 *
 *	pf_auth_request() formats the AUTH line exactly as Postfix 3.x
 *	writes it: AUTH id mech service= nologin lip= rip= [secured] [resp=].
 *
 *	pf_auth_judge() decides what Postfix does with one reply line while
 *	request id is in flight (xsasl_dovecot_handle_reply): SKIP (wrong id,
 *	unknown word, OK/CONT/FAIL without TAB), DONE (235), MORE (334 text),
 *	FAIL (535 with the reason), and fills out->smtp with the SMTP reply
 *	that version of Postfix sends. pf_auth_io_failure() is the 454 for
 *	EOF, a read error or the 10 s timeout.
 *
 *	After such a failure: pf_auth_link_after() is the state the smtpd
 *	process keeps its connection in. Postfix 3.11-20250304 and the
 *	stable releases it was back-ported to (3.7.15, 3.8.10, 3.9.4,
 *	3.10.2) close it (DOWN); older ones keep the stream, which saw EOF
 *	(how = EOF) or has its error flag set (how = ERROR: a read error or
 *	the timeout). pf_auth_next_request() is what the next AUTH of that
 *	process does on a link in that state (xsasl_dovecot_server_first):
 *	UP writes the request; DOWN connects, does the handshake and writes
 *	it; ERROR cannot flush (vstream keeps the error), so Postfix closes,
 *	connects and writes it again under the next id (one id used up);
 *	EOF on a UNIX socket is the same (the write fails with EPIPE), on
 *	TCP the write succeeds (DEAD) and the read fails: 454 again, after
 *	which the link is in state ERROR.
 *	Versions: see pf_version.h (included from here).
 *
 *	This module reads server lines differently from lib/proto/dvauth
 *	on purpose: dvauth_parse_server_line() reads them as Dovecot's own
 *	client does, this module as Postfix does, and Postfix is looser.
 *	Postfix reads a line as a C string (up to a NUL), numbers with
 *	sscanf "%u" (blanks, a sign, trailing bytes, 32-bit wrap), request
 *	ids with strtoul base 0 (so "010" is 8 and "0x1" is 1), ignores
 *	words and flags it does not know (channel-binding among them) and
 *	keeps the first 63 bytes of a MECH name. Where the dvauth reader
 *	accepts a line (the bytes before a NUL), this module reads it the
 *	same way: VERSION major 1 with its minor (another major fails),
 *	MECH recorded unless private with the same flags but
 *	channel-binding, SPID refused before any MECH and accepted after
 *	one, CUID and COOKIE ignored, DONE ends the handshake; OK, FAIL
 *	and CONT with a canonical decimal id N, judged as the reply to N:
 *	235 for OK with a user= field (535 without), 535 for FAIL, 334 with
 *	everything after the id's TAB for CONT (535 when CONT has no data
 *	field), skipped as the reply to another id. fuzz/fuzz_proto_readers
 *	checks exactly these.
 * DIAGNOSTICS
 *	pf_auth_request: 0 or -1 (bound).
 */
#ifndef HARNESS_POSTFIX_PF_AUTH_H
#define HARNESS_POSTFIX_PF_AUTH_H

#include <stddef.h>

#include "harness/postfix/pf_version.h"
#include "util/xbuf.h"

#define PF_AUTH_MAX_MECHS	64
#define PF_AUTH_TIMEOUT_MS	10000	/* AUTH_TIMEOUT, connect/read/write */

struct pf_auth_mech {
	char name[64];
	unsigned props;			/* DVAUTH_MECH_* */
};

struct pf_auth_handshake {
	struct pf_version v;
	int have_mech;
	int saw_version;
	unsigned server_major, server_minor;
	size_t nmechs;
	struct pf_auth_mech mechs[PF_AUTH_MAX_MECHS];
	char why[256];			/* failure, in Postfix's words */
	char notes[1024];		/* "; "-separated observations */
	int done;			/* DONE seen: later lines are noted only */
	unsigned after_done;		/* lines fed after DONE */
};

enum pf_auth_outcome {
	PF_AUTH_SKIP,
	PF_AUTH_DONE,
	PF_AUTH_MORE,
	PF_AUTH_FAIL,
	PF_AUTH_TEMP,
};

struct pf_auth_verdict {
	enum pf_auth_outcome outcome;
	char smtp[1100];		/* the SMTP reply line Postfix sends */
	char user[256];			/* OK user= as Postfix keeps it */
	char note[512];			/* why / what else Postfix does */
};

void pf_auth_handshake_init(struct pf_auth_handshake *h, const struct pf_version *v);
int pf_auth_handshake_line(struct pf_auth_handshake *h, const char *line, size_t len);
size_t pf_auth_filter(const struct pf_auth_handshake *h, unsigned require, unsigned forbid,
		      const char **names_r, size_t max);
int pf_auth_request(struct xbuf *out, unsigned id, const char *mech, const char *service,
		    const char *lip, const char *rip, int secured, const char *resp) ATTR_WUR;
void pf_auth_judge(const struct pf_version *v, unsigned id, const char *line, size_t len,
		   struct pf_auth_verdict *out);
/* the smtpd process's auth connection after an I/O failure */
enum pf_auth_link {
	PF_AUTH_LINK_UP,		/* working */
	PF_AUTH_LINK_DOWN,		/* closed: the next AUTH connects */
	PF_AUTH_LINK_EOF,		/* kept after reading EOF */
	PF_AUTH_LINK_ERROR,		/* kept with its error flag (read error, timeout) */
};

/* what the next AUTH does on that link */
enum pf_auth_next {
	PF_AUTH_NEXT_SEND,		/* written on the link; id + 1 */
	PF_AUTH_NEXT_CONNECT,		/* connect, handshake, write; id + 1 */
	PF_AUTH_NEXT_RETRY,		/* the write fails: close, connect, write; id + 2 */
	PF_AUTH_NEXT_DEAD,		/* written (id + 1), the read fails: 454 */
};

void pf_auth_io_failure(const struct pf_version *v, struct pf_auth_verdict *out);
enum pf_auth_link pf_auth_link_after(const struct pf_version *v, enum pf_auth_link how);
enum pf_auth_next pf_auth_next_request(enum pf_auth_link link, int inet);
const char *pf_auth_outcome_name(enum pf_auth_outcome o);

#endif
