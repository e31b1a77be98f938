/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_sasl_client - fuzz target for the client side of every SASL mechanism
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input: byte 0 selects the mechanism (enum sasl_mech modulo
 *	SASL_MECH_COUNT; bit 3 adds an authzid), the rest is the server's
 *	challenges, one per LF-terminated line, as raw (decoded) bytes.
 *	The client is created with fixed parameters (alice / secret, a fixed
 *	SCRAM client nonce "fuzzcnonce"), so the run is deterministic; the
 *	initial response is produced first, then each challenge is answered
 *	with sasl_client_step() until it fails or FUZZ_SASL_MAX_STEPS.
 *
 *	A SCRAM server-first message may ask for up to 10,000,000 PBKDF2
 *	iterations, which the client honours. Inputs asking for more than
 *	FUZZ_SCRAM_MAX_ITER (",i=" followed by a larger number) are not run
 *	in fuzzing builds: they cost time, not coverage.
 *
 *	Checked: a failed step has a reason and leaves no partial output;
 *	sasl_client_verified() is only true for SCRAM and only after the
 *	server signature step succeeded.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/sasl.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FUZZ_SCRAM_MAX_ITER	64
#else
#define FUZZ_SCRAM_MAX_ITER	10000000
#endif
#define FUZZ_SASL_MAX_STEPS	16

/* costly - the input asks for more PBKDF2 iterations than we allow */
static int costly(const char *p, size_t n)
{
	size_t i, k;
	unsigned long v;

	for (i = 0; i + 3 < n; i++) {
		if (p[i] != ',' || p[i + 1] != 'i' || p[i + 2] != '=')
			continue;
		for (v = 0, k = i + 3; k < n && k < i + 12 && p[k] >= '0' && p[k] <= '9'; k++)
			v = v * 10 + (unsigned long)(p[k] - '0');
		if (v > FUZZ_SCRAM_MAX_ITER)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_client_params params;
	struct sasl_client *c;
	enum sasl_mech mech;
	struct xbuf out;
	const char *p, *end, *lf, *err;
	unsigned steps = 0;
	int rc;

	if (size < 1 || size > FUZZ_SASL_MAX_STEPS * 1024)
		return 0;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	if (costly(p, (size_t)(end - p)))
		return 0;
	mech = (enum sasl_mech)((data[0] & 7) % SASL_MECH_COUNT);
	memset(&params, 0, sizeof(params));
	params.authcid = "alice";
	params.authzid = (data[0] & 8) ? "bob" : NULL;
	params.password = "secret";
	params.trace = "trace@fuzz.test";
	params.cnonce = "fuzzcnonce";
	c = sasl_client_create(mech, &params);
	if (c == NULL)
		return 0;
	xbuf_init(&out, SASL_MAX_MESSAGE);
	rc = sasl_client_initial(c, &out);
	FUZZ_CHECK(rc == 0 || rc == 1);
	while (p < end && steps++ < FUZZ_SASL_MAX_STEPS) {
		size_t len;

		lf = memchr(p, '\n', (size_t)(end - p));
		len = lf ? (size_t)(lf - p) : (size_t)(end - p);
		err = NULL;
		xbuf_reset(&out);
		rc = sasl_client_step(c, p, len, &out, &err);
		p += len + 1;
		if (rc < 0) {
			FUZZ_CHECK(err != NULL && *err != '\0');
			FUZZ_CHECK(out.len == 0);
			break;
		}
		FUZZ_CHECK(rc == 0);
	}
	if (sasl_client_verified(c))
		FUZZ_CHECK(mech == SASL_MECH_SCRAM_SHA_1 || mech == SASL_MECH_SCRAM_SHA_256);
	xbuf_free(&out);
	sasl_client_destroy(&c);
	return 0;
}
