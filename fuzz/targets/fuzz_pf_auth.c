/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_pf_auth - fuzz target for the Postfix oracle's reading of an auth server
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input: byte 0 selects the Postfix version (fuzz_versions[], modulo
 *	its size), the rest is what an auth server sends, one line per LF
 *	(a CR stays in the line, as Postfix reads). Lines go to
 *	pf_auth_handshake_line() until the handshake is decided; when it
 *	succeeded, the mechanism list is filtered (pf_auth_filter), an AUTH
 *	line is formatted (pf_auth_request) and every further line is
 *	judged as a reply to request 1 (pf_auth_judge). At most
 *	FUZZ_PF_AUTH_MAX_INPUT bytes.
 *
 *	Checked: handshake results are -2..1 with a reason when negative;
 *	verdicts have a known outcome with a name; every text field is
 *	NUL-terminated inside its array; DONE answers 235, MORE 334, FAIL
 *	535, TEMP 454, SKIP nothing.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "harness/postfix/pf_auth.h"
#include "proto/dvauth.h"

#define FUZZ_PF_AUTH_MAX_INPUT	(64 * 1024)

static const char *const fuzz_versions[] = {
	"2.11", "3.0", "3.4", "3.7.11", "3.9-20231112", "3.11", "3.12-20260710",
};

#define TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_auth_handshake h;
	struct pf_auth_verdict vd;
	struct pf_version v;
	struct xbuf req;
	const char *p, *end, *lf, *names[PF_AUTH_MAX_MECHS];
	size_t len, n, i;
	int rc = 0;

	if (size < 1 || size > FUZZ_PF_AUTH_MAX_INPUT)
		return 0;
	FUZZ_CHECK(pf_version_parse(fuzz_versions[data[0] % N_ELEMENTS(fuzz_versions)], &v) == 0);
	pf_auth_handshake_init(&h, &v);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end && rc == 0) {
		lf = memchr(p, '\n', (size_t)(end - p));
		len = lf ? (size_t)(lf - p) : (size_t)(end - p);
		rc = pf_auth_handshake_line(&h, p, len);
		p += len + 1;
	}
	FUZZ_CHECK(rc >= -2 && rc <= 1);
	FUZZ_CHECK(TERMINATED(h.why) && TERMINATED(h.notes));
	FUZZ_CHECK(h.nmechs <= PF_AUTH_MAX_MECHS);
	if (rc < 0)
		FUZZ_CHECK(h.why[0] != '\0');
	if (rc != 1)
		return 0;
	n = pf_auth_filter(&h, 0, DVAUTH_MECH_ANONYMOUS, names, N_ELEMENTS(names));
	FUZZ_CHECK(n <= h.nmechs);
	xbuf_init(&req, DVAUTH_MAX_LINE);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(names[i] != NULL);
		xbuf_reset(&req);
		if (pf_auth_request(&req, 1, names[i], "smtp", "127.0.0.1", "127.0.0.1", 0,
				    "AGFsaWNlAHNlY3JldA==") == 0)
			FUZZ_CHECK(req.len > 0 && req.data[req.len - 1] == '\n');
	}
	xbuf_free(&req);
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		len = lf ? (size_t)(lf - p) : (size_t)(end - p);
		memset(&vd, 0x5a, sizeof(vd));
		pf_auth_judge(&v, 1, p, len, &vd);
		p += len + 1;
		FUZZ_CHECK(TERMINATED(vd.smtp) && TERMINATED(vd.user) && TERMINATED(vd.note));
		FUZZ_CHECK(pf_auth_outcome_name(vd.outcome) != NULL);
		switch (vd.outcome) {
		case PF_AUTH_SKIP:
			break;
		case PF_AUTH_DONE:
			FUZZ_CHECK(strncmp(vd.smtp, "235", 3) == 0);
			break;
		case PF_AUTH_MORE:
			FUZZ_CHECK(strncmp(vd.smtp, "334", 3) == 0);
			break;
		case PF_AUTH_FAIL:
			FUZZ_CHECK(strncmp(vd.smtp, "535", 3) == 0);
			break;
		case PF_AUTH_TEMP:
			FUZZ_CHECK(strncmp(vd.smtp, "454", 3) == 0);
			break;
		default:
			FUZZ_CHECK(0);
		}
		if (vd.outcome == PF_AUTH_DONE || vd.outcome == PF_AUTH_FAIL)
			break;
	}
	return 0;
}
