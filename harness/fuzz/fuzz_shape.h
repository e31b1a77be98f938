/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_shape - is what the wire fuzzer sent something Postfix sends
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_shape.h"
 *
 *	int fuzz_shape_handshake(const char *p, size_t len, unsigned cpid);
 *	int fuzz_shape_auth(const struct pf_auth_handshake *hs,
 *	                    const struct fuzz_shape_auth *st,
 *	                    const char *line, size_t len, unsigned *id_r);
 *	int fuzz_shape_policy(const char *p, size_t len);
 * DESCRIPTION
 *	Pure predicates over the bytes of one step (harness/fuzz/fuzz_gen.h),
 *	with the LF that ends it. A helper may answer what Postfix never
 *	sends by closing the connection, as Dovecot's auth server does
 *	(protocols.md A.3, A.4); only a request Postfix can send obliges it
 *	to answer, so the engine counts a close, an exit, a hang or a bad
 *	reply as a finding only after one of these.
 *
 *	fuzz_shape_handshake(): exactly "VERSION\t1\t0\nCPID\t<cpid>\n",
 *	Postfix's own first write.
 *
 *	fuzz_shape_auth(): one line as Postfix 3.x writes it (protocols.md
 *	A.3, A.4):
 *	  AUTH TAB id TAB mech TAB service=smtp TAB nologin TAB lip=ADDR
 *	       TAB rip=ADDR [TAB secured] [TAB resp=B64] LF
 *	  CONT TAB id TAB [B64] LF
 *	where id is decimal without a leading zero, ADDR is empty or made
 *	of hex digits, '.' and ':', and B64 of [A-Za-z0-9+/=] only (the
 *	charset check is all Postfix does; "resp=" is never empty). mech
 *	is one the handshake offered and Postfix keeps (noanonymous,
 *	compared without case, as Postfix does); the initial response fits
 *	in the SMTP command line (FUZZ_SHAPE_CMD_MAX), a CONT in
 *	smtpd_sasl_response_limit (FUZZ_SHAPE_RESP_MAX). An AUTH id comes
 *	after st->last_id (Postfix's counter only grows; a gap is an AUTH
 *	that Postfix answered itself) by at most FUZZ_SHAPE_ID_GAP; a CONT
 *	carries st->cont_id, the request whose last reply was CONT. *id_r
 *	is the line's id when it has one.
 *
 *	fuzz_shape_policy(): a request block ended by its empty line whose
 *	every line is NAME=VALUE with a NAME Postfix sends
 *	(pf_pol_attr_find()) at most once, request=smtpd_access_policy
 *	present, protocol_state a state Postfix names, and values without
 *	NUL or CR that fit in an SMTP command line (FUZZ_SHAPE_CMD_MAX;
 *	8-bit bytes are data: Postfix passes them as they are).
 * DIAGNOSTICS
 *	1 Postfix-shaped, 0 not.
 */
#ifndef HARNESS_FUZZ_FUZZ_SHAPE_H
#define HARNESS_FUZZ_FUZZ_SHAPE_H

#include <stddef.h>

#include "harness/postfix/pf_auth.h"

#define FUZZ_SHAPE_CMD_MAX	2048	/* line_length_limit: "AUTH MECH RESP" CR LF */
#define FUZZ_SHAPE_RESP_MAX	12288	/* smtpd_sasl_response_limit */
#define FUZZ_SHAPE_ID_GAP	1000

struct fuzz_shape_auth {
	unsigned last_id;	/* the last AUTH id sent as Postfix does, 0: none */
	unsigned cont_id;	/* the request whose last reply was CONT, 0: none */
};

int fuzz_shape_handshake(const char *p, size_t len, unsigned cpid);
int fuzz_shape_auth(const struct pf_auth_handshake *hs, const struct fuzz_shape_auth *st,
		    const char *line, size_t len, unsigned *id_r);
int fuzz_shape_policy(const char *p, size_t len);

#endif
