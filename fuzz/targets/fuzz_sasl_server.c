/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_sasl_server - fuzz target for the server side of every SASL mechanism
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input: byte 0 selects the case, the rest is the client's messages,
 *	one per LF-terminated line (raw bytes, already base64-decoded as
 *	the auth server would pass them; a message cannot hold an LF).
 *	  bits 0-2  mechanism: enum sasl_mech modulo SASL_MECH_COUNT
 *	  bit 3     the first step has no initial response (have_in = 0)
 *	  bit 4     SCRAM final_resp_ok
 *	  bit 5     EXTERNAL: an external user is known; SCRAM: the gs2
 *	            header read as Dovecot 2.4.5 does (params.dovecot24)
 *	  bit 6     credentials: unknown user (NULL) instead of alice's
 *	  bit 7     CRAM-MD5: plaintext credentials instead of the
 *	            {CRAM-MD5} context
 *	The server is created with fixed parameters (hostname, time, nonce:
 *	no randomness); the account is alice / secret. NEED_VERIFY is
 *	answered by comparing the password, NEED_CREDS with the credentials
 *	selected above; SCRAM keys are derived with FUZZ_SCRAM_ITER
 *	iterations (1 in fuzzing builds, where PBKDF2 would dominate).
 *	At most FUZZ_SASL_MAX_STEPS messages, each at most SASL_MAX_MESSAGE.
 *
 *	Checked: every status is one of enum sasl_status; SUCCESS names a
 *	user, and for PLAIN/LOGIN/CRAM-MD5/SCRAM the user is alice, which
 *	proves the password was checked; after SUCCESS or FAIL every further
 *	call fails; a FAIL has a reason.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/sasl.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FUZZ_SCRAM_ITER	1
#else
#define FUZZ_SCRAM_ITER	SASL_SCRAM_DEFAULT_ITER
#endif
#define FUZZ_SASL_MAX_STEPS	16

static const unsigned char fuzz_salt[16] = "fuzz-salt-16byte";

/* answer - the passdb's part for NEED_VERIFY and NEED_CREDS */
static enum sasl_status answer(struct sasl_server *s, enum sasl_mech mech,
			       enum sasl_status st, unsigned sel, struct xbuf *out,
			       const char **err)
{
	struct sasl_creds creds;
	const char *user = sasl_server_authcid(s), *pw;
	int known = user != NULL && strcmp(user, "alice") == 0 && !(sel & 0x40);

	if (st == SASL_NEED_VERIFY) {
		pw = sasl_server_password(s);
		FUZZ_CHECK(pw != NULL);
		return sasl_server_verified(s, known && strcmp(pw, "secret") == 0, out, err);
	}
	if (!known)
		return sasl_server_creds(s, NULL, out, err);
	memset(&creds, 0, sizeof(creds));
	if (mech == SASL_MECH_CRAM_MD5 && (sel & 0x80)) {
		creds.kind = SASL_CREDS_PLAINTEXT;
		creds.password = "secret";
		creds.password_len = 6;
	} else if (mech == SASL_MECH_CRAM_MD5) {
		creds.kind = SASL_CREDS_CRAM_MD5;
		FUZZ_CHECK(sasl_cram_md5_context("secret", 6, creds.cram_ctx) == 0);
	} else {
		creds.kind = SASL_CREDS_SCRAM;
		FUZZ_CHECK(sasl_scram_derive(mech, "secret", fuzz_salt, sizeof(fuzz_salt),
					     FUZZ_SCRAM_ITER, &creds.scram) == 0);
	}
	return sasl_server_creds(s, &creds, out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_server_params params;
	struct sasl_server *s;
	enum sasl_mech mech;
	enum sasl_status st = SASL_CONTINUE;
	struct xbuf out;
	const char *p, *end, *lf, *err, *user;
	unsigned sel, steps = 0;
	int have_in;

	if (size < 1 || size > FUZZ_SASL_MAX_STEPS * 1024)
		return 0;
	sel = data[0];
	mech = (enum sasl_mech)((sel & 7) % SASL_MECH_COUNT);
	memset(&params, 0, sizeof(params));
	params.hostname = "mx.fuzz.test";
	params.now = 1700000000ULL;
	params.nonce = "fuzzNonce0123456789";
	params.final_resp_ok = (sel & 0x10) != 0;
	params.external_user = (sel & 0x20) ? "alice" : NULL;
	params.dovecot24 = (sel & 0x20) != 0;
	s = sasl_server_create(mech, &params);
	if (s == NULL)
		return 0;
	xbuf_init(&out, SASL_MAX_MESSAGE);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	have_in = !(sel & 0x08);
	for (;;) {
		size_t len = 0;

		if (have_in) {
			if (p >= end)
				break;
			lf = memchr(p, '\n', (size_t)(end - p));
			len = lf ? (size_t)(lf - p) : (size_t)(end - p);
		}
		err = NULL;
		xbuf_reset(&out);
		st = sasl_server_step(s, have_in ? p : "", len, have_in, &out, &err);
		if (have_in)
			p += len + 1;
		have_in = 1;
		while (st == SASL_NEED_VERIFY || st == SASL_NEED_CREDS)
			st = answer(s, mech, st, sel, &out, &err);
		FUZZ_CHECK(st == SASL_CONTINUE || st == SASL_SUCCESS || st == SASL_FAIL);
		if (st == SASL_FAIL)
			FUZZ_CHECK(err != NULL && *err != '\0');
		if (st != SASL_CONTINUE || ++steps == FUZZ_SASL_MAX_STEPS)
			break;
	}
	if (st == SASL_SUCCESS) {
		user = sasl_server_user(s);
		FUZZ_CHECK(user != NULL);
		if (mech != SASL_MECH_ANONYMOUS && mech != SASL_MECH_EXTERNAL)
			FUZZ_CHECK(strcmp(user, "alice") == 0);
	}
	if (st == SASL_SUCCESS || st == SASL_FAIL) {
		/* the exchange is over: anything more is refused */
		err = NULL;
		xbuf_reset(&out);
		FUZZ_CHECK(sasl_server_step(s, "x", 1, 1, &out, &err) == SASL_FAIL);
		FUZZ_CHECK(sasl_server_verified(s, 1, &out, &err) == SASL_FAIL);
	}
	xbuf_free(&out);
	sasl_server_destroy(&s);
	return 0;
}
