/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_sasl - SASL mechanism steps against published vectors and
 *	against each other
 * DESCRIPTION
 *	RFC 2195 (CRAM-MD5), RFC 5802 section 5 (SCRAM-SHA-1) and RFC 7677
 *	section 3 (SCRAM-SHA-256) exchanges byte for byte, on both sides;
 *	Dovecot's stored credential forms as doveadm pw writes them; every
 *	mechanism's client <-> server round trip with the right and a
 *	wrong password; malformed messages with Dovecot's failure reasons;
 *	calls that do not fit the state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/base64.h"
#include "proto/sasl.h"

/* step - run one server step and expect a status */
#define EXPECT_STATUS(call, want) do { \
		enum sasl_status st_ = (call); \
		if (st_ != (want)) \
			fail_msg("%s: status %d, want %d (%s)", #call, (int)st_, (int)(want), \
				 err ? err : ""); \
	} while (0)

static void test_sasl_mech_lookup(void **state)
{
	(void)state;
	assert_non_null(sasl_mech_by_name("plain", 5));
	assert_int_equal(sasl_mech_by_name("Scram-Sha-256", 13)->mech, SASL_MECH_SCRAM_SHA_256);
	assert_null(sasl_mech_by_name("PLAINX", 6));
	assert_null(sasl_mech_by_name("PLAI", 4));
	assert_string_equal(sasl_mech_get(SASL_MECH_CRAM_MD5)->name, "CRAM-MD5");
	assert_null(sasl_mech_get(SASL_MECH_COUNT));
	assert_true(sasl_mech_get(SASL_MECH_PLAIN)->client_first);
	assert_false(sasl_mech_get(SASL_MECH_LOGIN)->client_first);
}

/* RFC 2195 section 2 */
static void test_sasl_cram_md5_rfc2195(void **state)
{
	struct sasl_client_params cp = { .authcid = "tim", .password = "tanstaaftanstaaf" };
	struct sasl_server_params sp = { .hostname = "postoffice.reston.mci.net",
					 .now = 697170952ULL, .nonce = "1896" };
	const char *challenge = "<1896.697170952@postoffice.reston.mci.net>";
	struct sasl_client *c = sasl_client_create(SASL_MECH_CRAM_MD5, &cp);
	struct sasl_server *s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
	struct sasl_creds creds = { .kind = SASL_CREDS_PLAINTEXT, .password = "tanstaaftanstaaf",
				    .password_len = 16 };
	struct xbuf out, resp;
	const char *err = NULL;

	(void)state;
	xbuf_init(&out, 0);
	xbuf_init(&resp, 0);
	assert_int_equal(sasl_client_initial(c, &resp), 0);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	assert_string_equal(xbuf_cstr(&out), challenge);
	assert_int_equal(sasl_client_step(c, out.data, out.len, &resp, &err), 0);
	assert_string_equal(xbuf_cstr(&resp), "tim b913a602c7eda7a495b4e6e7334d3890");
	xbuf_reset(&out);
	EXPECT_STATUS(sasl_server_step(s, resp.data, resp.len, 1, &out, &err), SASL_NEED_CREDS);
	assert_string_equal(sasl_server_authcid(s), "tim");
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_SUCCESS);
	assert_string_equal(sasl_server_user(s), "tim");
	sasl_client_destroy(&c);
	sasl_server_destroy(&s);
	assert_null(c);
	xbuf_free(&out);
	xbuf_free(&resp);
}

/* hex32 - 32 bytes as 64 lower-case hex digits */
static void hex32(const unsigned char *p, char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Dovecot's {CRAM-MD5} values, from `doveadm pw -s CRAM-MD5 -p ...` */
static void test_sasl_cram_md5_dovecot_context(void **state)
{
	unsigned char ctx[32];
	char hex[65];
	struct sasl_creds creds = { .kind = SASL_CREDS_CRAM_MD5 };
	char digest[33];

	(void)state;
	assert_int_equal(sasl_cram_md5_context("secret", 6, ctx), 0);
	hex32(ctx, hex);
	assert_string_equal(hex, "cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56");
	assert_int_equal(sasl_cram_md5_context("tanstaaftanstaaf", 16, ctx), 0);
	hex32(ctx, hex);
	assert_string_equal(hex, "d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b");
	/* the stored context verifies the RFC 2195 response */
	memcpy(creds.cram_ctx, ctx, 32);
	assert_int_equal(sasl_cram_md5_digest_hex(&creds,
		"<1896.697170952@postoffice.reston.mci.net>", 42, digest), 0);
	assert_string_equal(digest, "b913a602c7eda7a495b4e6e7334d3890");
	creds.kind = SASL_CREDS_SCRAM;
	assert_int_equal(sasl_cram_md5_digest_hex(&creds, "x", 1, digest), -1);
}

struct scram_vector {
	enum sasl_mech mech;
	const char *password;
	const char *cnonce;
	const char *snonce;
	const char *salt_b64;
	const char *client_first;
	const char *server_first;
	const char *client_final;
	const char *server_final;
};

static const struct scram_vector scram_vectors[] = {
	{ /* RFC 5802 section 5 */
		SASL_MECH_SCRAM_SHA_1, "pencil", "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j",
		"QSXCR+Q6sek8bf92",
		"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	},
	{ /* RFC 7677 section 3 */
		SASL_MECH_SCRAM_SHA_256, "pencil", "rOprNGfwEbeRWgbNEkqO",
		"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
		"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	},
};

/* scram_creds - server credentials from the vector's password and salt */
static void scram_creds(const struct scram_vector *v, struct sasl_creds *creds)
{
	struct xbuf salt;
	const char *err;

	memset(creds, 0, sizeof(*creds));
	creds->kind = SASL_CREDS_SCRAM;
	xbuf_init(&salt, 0);
	assert_int_equal(base64_decode(v->salt_b64, strlen(v->salt_b64), 0, &salt, &err), 0);
	assert_int_equal(sasl_scram_derive(v->mech, v->password, salt.data, salt.len, 4096,
					   &creds->scram), 0);
	xbuf_free(&salt);
}

static void test_sasl_scram_rfc_client(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scram_vectors) / sizeof(scram_vectors[0]); i++) {
		const struct scram_vector *v = &scram_vectors[i];
		struct sasl_client_params cp = { .authcid = "user", .password = v->password,
						 .cnonce = v->cnonce };
		struct sasl_client *c = sasl_client_create(v->mech, &cp);
		struct xbuf out;
		const char *err = NULL;

		xbuf_init(&out, 0);
		assert_int_equal(sasl_client_initial(c, &out), 1);
		assert_string_equal(xbuf_cstr(&out), v->client_first);
		xbuf_reset(&out);
		assert_int_equal(sasl_client_step(c, v->server_first, strlen(v->server_first),
						  &out, &err), 0);
		assert_string_equal(xbuf_cstr(&out), v->client_final);
		assert_false(sasl_client_verified(c));
		xbuf_reset(&out);
		assert_int_equal(sasl_client_step(c, v->server_final, strlen(v->server_final),
						  &out, &err), 0);
		assert_int_equal(out.len, 0);	/* the empty answer to the extra round */
		assert_true(sasl_client_verified(c));
		/* nothing more is expected */
		assert_int_equal(sasl_client_step(c, "x", 1, &out, &err), -1);
		assert_string_equal(err, "unexpected challenge");
		sasl_client_destroy(&c);
		xbuf_free(&out);
	}
}

static void test_sasl_scram_rfc_server(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scram_vectors) / sizeof(scram_vectors[0]); i++) {
		const struct scram_vector *v = &scram_vectors[i];
		struct sasl_server_params sp = { .nonce = v->snonce };
		struct sasl_server *s = sasl_server_create(v->mech, &sp);
		struct sasl_creds creds;
		struct xbuf out;
		const char *err = NULL;

		scram_creds(v, &creds);
		xbuf_init(&out, 0);
		EXPECT_STATUS(sasl_server_step(s, v->client_first, strlen(v->client_first), 1,
					       &out, &err), SASL_NEED_CREDS);
		assert_string_equal(sasl_server_authcid(s), "user");
		EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_CONTINUE);
		assert_string_equal(xbuf_cstr(&out), v->server_first);
		xbuf_reset(&out);
		EXPECT_STATUS(sasl_server_step(s, v->client_final, strlen(v->client_final), 1,
					       &out, &err), SASL_CONTINUE);
		assert_string_equal(xbuf_cstr(&out), v->server_final);
		xbuf_reset(&out);
		EXPECT_STATUS(sasl_server_step(s, "", 0, 1, &out, &err), SASL_SUCCESS);
		assert_string_equal(sasl_server_user(s), "user");
		sasl_server_destroy(&s);
		xbuf_free(&out);
	}
}

/* final-resp-ok: server-final comes with SUCCESS, no extra round */
static void test_sasl_scram_final_resp_ok(void **state)
{
	const struct scram_vector *v = &scram_vectors[1];
	struct sasl_server_params sp = { .nonce = v->snonce, .final_resp_ok = 1 };
	struct sasl_server *s = sasl_server_create(v->mech, &sp);
	struct sasl_creds creds;
	struct xbuf out;
	const char *err = NULL;

	(void)state;
	scram_creds(v, &creds);
	xbuf_init(&out, 0);
	EXPECT_STATUS(sasl_server_step(s, v->client_first, strlen(v->client_first), 1, &out, &err),
		      SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_CONTINUE);
	xbuf_reset(&out);
	EXPECT_STATUS(sasl_server_step(s, v->client_final, strlen(v->client_final), 1, &out, &err),
		      SASL_SUCCESS);
	assert_string_equal(xbuf_cstr(&out), v->server_final);
	sasl_server_destroy(&s);
	xbuf_free(&out);
}

/* Dovecot's {SCRAM-SHA-*} values, from `doveadm pw -s SCRAM-SHA-256 -p secret` */
static void test_sasl_scram_dovecot_format(void **state)
{
	static const struct {
		enum sasl_mech mech;
		const char *stored;
	} rows[] = {
		{ SASL_MECH_SCRAM_SHA_256, "4096,ME14NlY6+03WJlvXboOVBg==,"
		  "Jje4Kj6vLe5WDu0CGRRJ4ElQDdCEtxu+Atf0GxYtaGA=,"
		  "d26H9AOUYcUFuYqv2IqaysYCje8XoLP3VcOeuhxAfCY=" },
		{ SASL_MECH_SCRAM_SHA_1, "4096,7K5QU3SEgQX6nf67mWSyeQ==,"
		  "+avd8erQuqoTHRKymM0tTtsQTrY=,7lZTRxq8RP83whzgEK3t6Xuj65w=" },
	};
	static const char *bad[] = {
		"", "4096", "4096,a,b", "x,ME14NlY6+03WJlvXboOVBg==,AAAA,AAAA",
		"0,ME14NlY6+03WJlvXboOVBg==,Jje4Kj6vLe5WDu0CGRRJ4ElQDdCEtxu+Atf0GxYtaGA=,"
		"d26H9AOUYcUFuYqv2IqaysYCje8XoLP3VcOeuhxAfCY=",
		"4096,ME14NlY6+03WJlvXboOVBg==,AAAA,d26H9AOUYcUFuYqv2IqaysYCje8XoLP3VcOeuhxAfCY=",
		"4096,ME14NlY6+03WJlvXboOVBg==,Jje4Kj6vLe5WDu0CGRRJ4ElQDdCEtxu+Atf0GxYtaGA=,"
		"d26H9AOUYcUFuYqv2IqaysYCje8XoLP3VcOeuhxAfCY=,extra",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sasl_scram_keys stored, derived;
		struct xbuf back;

		assert_int_equal(sasl_scram_parse_dovecot(rows[i].mech, rows[i].stored,
							  strlen(rows[i].stored), &stored), 0);
		assert_int_equal(sasl_scram_derive(rows[i].mech, "secret", stored.salt,
						   stored.salt_len, stored.iter, &derived), 0);
		assert_int_equal(derived.key_len, stored.key_len);
		assert_memory_equal(derived.stored_key, stored.stored_key, stored.key_len);
		assert_memory_equal(derived.server_key, stored.server_key, stored.key_len);
		xbuf_init(&back, 0);
		assert_int_equal(sasl_scram_format_dovecot(&stored, &back), 0);
		assert_string_equal(xbuf_cstr(&back), rows[i].stored);
		xbuf_free(&back);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sasl_scram_keys k;

		if (sasl_scram_parse_dovecot(SASL_MECH_SCRAM_SHA_256, bad[i], strlen(bad[i]), &k) == 0)
			fail_msg("accepted bad SCRAM value \"%s\"", bad[i]);
	}
	/* a SHA-1 value is not a SHA-256 value (key length) */
	assert_int_equal(sasl_scram_parse_dovecot(SASL_MECH_SCRAM_SHA_256, rows[1].stored,
						  strlen(rows[1].stored), &(struct sasl_scram_keys){0}), -1);
	assert_int_equal(sasl_scram_parse_dovecot(SASL_MECH_PLAIN, rows[0].stored,
						  strlen(rows[0].stored), &(struct sasl_scram_keys){0}), -1);
}

/*
 * Round trip: our client against our server for every mechanism, with
 * the right and a wrong password, credentials in each form the server
 * accepts. The driver plays the passdb.
 */
struct rt_case {
	enum sasl_mech mech;
	enum sasl_creds_kind kind;
	int initial;		/* send the client's initial response with AUTH */
};

static enum sasl_status rt_run(const struct rt_case *rc, const char *client_pw,
			       struct xbuf *trace, const char **err_r)
{
	struct sasl_client_params cp = { .authcid = "alice", .password = client_pw,
					 .trace = "trace@example" };
	struct sasl_server_params sp = { .now = 1700000000ULL, .hostname = "mx.test",
					 .external_user = "alice" };
	struct sasl_client *c = sasl_client_create(rc->mech, &cp);
	struct sasl_server *s = sasl_server_create(rc->mech, &sp);
	struct xbuf in, out;
	enum sasl_status st;
	int rounds = 0;
	int ir;

	assert_non_null(c);
	assert_non_null(s);
	xbuf_init(&in, 0);
	xbuf_init(&out, 0);
	ir = 0;
	if (rc->initial) {
		ir = sasl_client_initial(c, &in);
		assert_true(ir >= 0);
	}
	st = sasl_server_step(s, in.data, in.len, ir == 1, &out, err_r);
	for (;;) {
		assert_true(++rounds < 10);
		if (st == SASL_NEED_VERIFY) {
			int ok = strcmp(sasl_server_password(s), "s3cret") == 0 &&
				 strcmp(sasl_server_authcid(s), "alice") == 0;

			st = sasl_server_verified(s, ok, &out, err_r);
		} else if (st == SASL_NEED_CREDS) {
			struct sasl_creds creds;

			memset(&creds, 0, sizeof(creds));
			creds.kind = rc->kind;
			creds.password = "s3cret";
			creds.password_len = 6;
			if (rc->kind == SASL_CREDS_CRAM_MD5)
				assert_int_equal(sasl_cram_md5_context("s3cret", 6, creds.cram_ctx), 0);
			if (rc->kind == SASL_CREDS_SCRAM)
				assert_int_equal(sasl_scram_derive(rc->mech, "s3cret", "saltsalt", 8,
								   4096, &creds.scram), 0);
			st = sasl_server_creds(s, &creds, &out, err_r);
		} else if (st == SASL_CONTINUE) {
			xbuf_reset(&in);
			if (xbuf_append(trace, out.data, out.len) < 0 || xbuf_append_str(trace, "|") < 0)
				fail();
			if (sasl_client_step(c, out.data, out.len, &in, err_r) < 0) {
				st = SASL_FAIL;
				break;
			}
			xbuf_reset(&out);
			st = sasl_server_step(s, in.data, in.len, 1, &out, err_r);
		} else {
			break;
		}
	}
	if (st == SASL_SUCCESS)
		assert_string_equal(sasl_server_user(s), rc->mech == SASL_MECH_ANONYMOUS ?
				    "anonymous" : "alice");
	if (st == SASL_SUCCESS && (rc->mech == SASL_MECH_SCRAM_SHA_1 ||
				   rc->mech == SASL_MECH_SCRAM_SHA_256))
		assert_true(sasl_client_verified(c));
	sasl_client_destroy(&c);
	sasl_server_destroy(&s);
	xbuf_free(&in);
	xbuf_free(&out);
	return st;
}

static void test_sasl_round_trip_all(void **state)
{
	static const struct rt_case cases[] = {
		{ SASL_MECH_PLAIN, SASL_CREDS_PLAINTEXT, 1 },
		{ SASL_MECH_PLAIN, SASL_CREDS_PLAINTEXT, 0 },
		{ SASL_MECH_LOGIN, SASL_CREDS_PLAINTEXT, 0 },
		{ SASL_MECH_LOGIN, SASL_CREDS_PLAINTEXT, 1 },
		{ SASL_MECH_CRAM_MD5, SASL_CREDS_PLAINTEXT, 0 },
		{ SASL_MECH_CRAM_MD5, SASL_CREDS_CRAM_MD5, 0 },
		{ SASL_MECH_SCRAM_SHA_1, SASL_CREDS_PLAINTEXT, 1 },
		{ SASL_MECH_SCRAM_SHA_1, SASL_CREDS_SCRAM, 1 },
		{ SASL_MECH_SCRAM_SHA_256, SASL_CREDS_SCRAM, 1 },
		{ SASL_MECH_SCRAM_SHA_256, SASL_CREDS_SCRAM, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xbuf trace;
		const char *err = NULL;
		enum sasl_status st;

		xbuf_init(&trace, 0);
		st = rt_run(&cases[i], "s3cret", &trace, &err);
		if (st != SASL_SUCCESS)
			fail_msg("case %zu (%s): right password: status %d (%s)", i,
				 sasl_mech_get(cases[i].mech)->name, (int)st, err ? err : "");
		st = rt_run(&cases[i], "wrong", &trace, &err);
		if (st != SASL_FAIL)
			fail_msg("case %zu: wrong password: status %d", i, (int)st);
		assert_string_equal(err, "Password mismatch");
		xbuf_free(&trace);
	}
}

static void test_sasl_anonymous_external(void **state)
{
	struct rt_case anon = { SASL_MECH_ANONYMOUS, SASL_CREDS_PLAINTEXT, 1 };
	struct rt_case ext = { SASL_MECH_EXTERNAL, SASL_CREDS_PLAINTEXT, 1 };
	struct sasl_server_params sp = { 0 };
	struct sasl_server *s;
	struct xbuf trace, out;
	const char *err = NULL;

	(void)state;
	xbuf_init(&trace, 0);
	xbuf_init(&out, 0);
	assert_int_equal(rt_run(&anon, "x", &trace, &err), SASL_SUCCESS);
	assert_int_equal(rt_run(&ext, "x", &trace, &err), SASL_SUCCESS);
	/* EXTERNAL without a known user fails as Dovecot does */
	s = sasl_server_create(SASL_MECH_EXTERNAL, &sp);
	EXPECT_STATUS(sasl_server_step(s, "", 0, 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "Username not known");
	sasl_server_destroy(&s);
	/* EXTERNAL asking for another identity */
	sp.external_user = "alice";
	s = sasl_server_create(SASL_MECH_EXTERNAL, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, "bob", 3, 1, &out, &err), SASL_FAIL);
	sasl_server_destroy(&s);
	/* ANONYMOUS with a configured name */
	sp.anonymous_username = "guest";
	s = sasl_server_create(SASL_MECH_ANONYMOUS, &sp);
	EXPECT_STATUS(sasl_server_step(s, "who", 3, 1, &out, &err), SASL_SUCCESS);
	assert_string_equal(sasl_server_user(s), "guest");
	sasl_server_destroy(&s);
	xbuf_free(&trace);
	xbuf_free(&out);
}

struct bad_case {
	const char *name;
	enum sasl_mech mech;
	const char *msg;	/* first message (after an empty challenge) */
	size_t len;
	const char *want_err;
};

#define M(s) s, sizeof(s) - 1

static const struct bad_case bad_cases[] = {
	{ "plain one NUL", SASL_MECH_PLAIN, M("alice\0s3cret"), "invalid input" },
	{ "plain no NUL", SASL_MECH_PLAIN, M("alice"), "invalid input" },
	{ "plain three NULs", SASL_MECH_PLAIN, M("\0alice\0s3\0cret"), "invalid input" },
	{ "plain empty", SASL_MECH_PLAIN, M(""), "invalid input" },
	{ "plain empty authcid", SASL_MECH_PLAIN, M("\0\0s3cret"), "Empty username" },
	{ "plain other authzid", SASL_MECH_PLAIN, M("bob\0alice\0s3cret"),
	  "Master user login attempted without master passdbs" },
	{ "login NUL", SASL_MECH_LOGIN, M("al\0ice"), "Unexpected NUL in auth data" },
	{ "cram no space", SASL_MECH_CRAM_MD5, M("alice"), "missing digest" },
	{ "cram leading space only", SASL_MECH_CRAM_MD5, M(" 0123456789abcdef0123456789abcdef"),
	  "missing digest" },
	{ "cram short digest", SASL_MECH_CRAM_MD5, M("alice 0123"), "invalid digest size" },
	{ "cram bad hex", SASL_MECH_CRAM_MD5, M("alice 0123456789abcdef0123456789abcdeg"),
	  "invalid hex in digest" },
	{ "cram NUL", SASL_MECH_CRAM_MD5, M("al\0ce 0123456789abcdef0123456789abcdef"),
	  "NULs in response" },
	{ "scram channel binding", SASL_MECH_SCRAM_SHA_256, M("p=tls-unique,,n=alice,r=abc"),
	  "Channel binding not supported" },
	{ "scram bad gs2 flag", SASL_MECH_SCRAM_SHA_256, M("x,,n=alice,r=abc"),
	  "Invalid GS2 header" },
	{ "scram no gs2", SASL_MECH_SCRAM_SHA_256, M("n=alice"),
	  "Invalid initial client message: Invalid GS2 header" },
	{ "scram mext", SASL_MECH_SCRAM_SHA_256, M("n,,m=ext,n=alice,r=abc"),
	  "Mandatory extension(s) not supported" },
	{ "scram no nonce", SASL_MECH_SCRAM_SHA_256, M("n,,n=alice"),
	  "Invalid initial client message: Missing nonce field" },
	{ "scram bad username field", SASL_MECH_SCRAM_SHA_256, M("n,,u=alice,r=abc"),
	  "Invalid username field" },
	{ "scram bad escape", SASL_MECH_SCRAM_SHA_256, M("n,,n=al=41ice,r=abc"),
	  "Username escaping is invalid" },
	{ "scram bad nonce", SASL_MECH_SCRAM_SHA_256, M("n,,n=alice,x=abc"),
	  "Invalid client nonce" },
	{ "scram other authzid", SASL_MECH_SCRAM_SHA_1, M("n,a=bob,n=alice,r=abc"),
	  "Master user login attempted without master passdbs" },
	{ "scram empty authzid", SASL_MECH_SCRAM_SHA_1, M("n,a=,n=alice,r=abc"),
	  "Master user login attempted to use empty login username" },
};

static void test_sasl_server_malformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct sasl_server_params sp = { .now = 1 };
		struct sasl_server *s = sasl_server_create(b->mech, &sp);
		struct xbuf out;
		const char *err = NULL;
		enum sasl_status st;

		xbuf_init(&out, 0);
		st = sasl_server_step(s, NULL, 0, 0, &out, &err);
		assert_int_equal(st, SASL_CONTINUE);
		if (b->mech == SASL_MECH_LOGIN) {
			st = sasl_server_step(s, b->msg, b->len, 1, &out, &err);
		} else {
			xbuf_reset(&out);
			st = sasl_server_step(s, b->msg, b->len, 1, &out, &err);
		}
		if (st != SASL_FAIL)
			fail_msg("%s: status %d, want FAIL", b->name, (int)st);
		if (strcmp(err, b->want_err) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", b->name, err, b->want_err);
		/* a failed exchange stays failed */
		assert_int_equal(sasl_server_step(s, "x", 1, 1, &out, &err), SASL_FAIL);
		assert_string_equal(err, "unexpected call");
		sasl_server_destroy(&s);
		xbuf_free(&out);
	}
}

/* SCRAM client-final problems, on a server that got valid client-first */
static void test_sasl_scram_final_malformed(void **state)
{
	const struct scram_vector *v = &scram_vectors[0];
	static const struct {
		const char *name;
		const char *msg;
		const char *want;
	} rows[] = {
		{ "wrong nonce", "c=biws,r=fyko+d2lbbFgONRv9qkxdawLXXX,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		  "Wrong nonce" },
		{ "bad cbind", "c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		  "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "Invalid channel binding data" },
		{ "bad proof", "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		  "p=AAX8v3Bz2T0CJGbJQyF0X+HI4Ts=", "Password mismatch" },
		{ "short proof", "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=AAAA",
		  "Invalid ClientProof" },
		{ "no proof", "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
		  "Invalid final client message" },
		{ "garbage", "hello", "Invalid final client message" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sasl_server_params sp = { .nonce = v->snonce };
		struct sasl_server *s = sasl_server_create(v->mech, &sp);
		struct sasl_creds creds;
		struct xbuf out;
		const char *err = NULL;
		enum sasl_status st;

		scram_creds(v, &creds);
		xbuf_init(&out, 0);
		EXPECT_STATUS(sasl_server_step(s, v->client_first, strlen(v->client_first), 1,
					       &out, &err), SASL_NEED_CREDS);
		EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_CONTINUE);
		st = sasl_server_step(s, rows[i].msg, strlen(rows[i].msg), 1, &out, &err);
		if (st != SASL_FAIL || strcmp(err, rows[i].want) != 0)
			fail_msg("%s: status %d reason \"%s\", want \"%s\"", rows[i].name, (int)st,
				 err ? err : "", rows[i].want);
		sasl_server_destroy(&s);
		xbuf_free(&out);
	}
}

/*
 * after server-final went out as a challenge, any answer succeeds, empty
 * or not (Dovecot 2.3 auth_request_continue checks "successful" first)
 */
static void test_sasl_scram_spurious_final(void **state)
{
	const struct scram_vector *v = &scram_vectors[1];
	struct sasl_server_params sp = { .nonce = v->snonce };
	struct sasl_server *s = sasl_server_create(v->mech, &sp);
	struct sasl_creds creds;
	struct xbuf out;
	const char *err = NULL;

	(void)state;
	scram_creds(v, &creds);
	xbuf_init(&out, 0);
	EXPECT_STATUS(sasl_server_step(s, v->client_first, strlen(v->client_first), 1, &out, &err),
		      SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, v->client_final, strlen(v->client_final), 1, &out, &err),
		      SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, "x\0y", 3, 1, &out, &err), SASL_SUCCESS);
	assert_string_equal(sasl_server_user(s), "user");
	sasl_server_destroy(&s);

	/* and the empty answer, as before */
	s = sasl_server_create(v->mech, &sp);
	EXPECT_STATUS(sasl_server_step(s, v->client_first, strlen(v->client_first), 1, &out, &err),
		      SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, v->client_final, strlen(v->client_final), 1, &out, &err),
		      SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, "", 0, 1, &out, &err), SASL_SUCCESS);
	sasl_server_destroy(&s);
	xbuf_free(&out);
}

/* client-side checks of what a server sends */
static void test_sasl_client_rejects_bad_server(void **state)
{
	static const struct {
		const char *name;
		const char *server_first;
		const char *want;
	} rows[] = {
		{ "foreign nonce", "r=zzz,s=QSXCR+Q6sek8bf92,i=4096",
		  "server nonce does not extend the client nonce" },
		{ "nonce not extended", "r=abc,s=QSXCR+Q6sek8bf92,i=4096",
		  "server nonce does not extend the client nonce" },
		{ "no salt", "r=abcdef,i=4096", "malformed server-first-message" },
		{ "bad salt", "r=abcdef,s=!!,i=4096", "malformed salt" },
		{ "zero iterations", "r=abcdef,s=QSXCR+Q6sek8bf92,i=0", "unacceptable iteration count" },
		{ "bad iterations", "r=abcdef,s=QSXCR+Q6sek8bf92,i=4x", "malformed iteration count" },
		{ "mandatory ext", "m=x,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096",
		  "server sent a mandatory extension" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sasl_client_params cp = { .authcid = "user", .password = "pencil",
						 .cnonce = "abc" };
		struct sasl_client *c = sasl_client_create(SASL_MECH_SCRAM_SHA_1, &cp);
		struct xbuf out;
		const char *err = NULL;

		xbuf_init(&out, 0);
		assert_int_equal(sasl_client_initial(c, &out), 1);
		if (sasl_client_step(c, rows[i].server_first, strlen(rows[i].server_first), &out,
				     &err) != -1 || strcmp(err, rows[i].want) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", rows[i].name, err ? err : "(none)",
				 rows[i].want);
		sasl_client_destroy(&c);
		xbuf_free(&out);
	}
}

static void test_sasl_client_bad_server_final(void **state)
{
	const struct scram_vector *v = &scram_vectors[0];
	struct sasl_client_params cp = { .authcid = "user", .password = v->password,
					 .cnonce = v->cnonce };
	static const char *finals[] = {
		"v=AAAApqV8S7suAoZWja4dJRkFsKQ=", "e=invalid-proof", "v=", "x=1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		struct sasl_client *c = sasl_client_create(v->mech, &cp);
		struct xbuf out;
		const char *err = NULL;

		xbuf_init(&out, 0);
		assert_int_equal(sasl_client_initial(c, &out), 1);
		assert_int_equal(sasl_client_step(c, v->server_first, strlen(v->server_first), &out,
						  &err), 0);
		assert_int_equal(sasl_client_step(c, finals[i], strlen(finals[i]), &out, &err), -1);
		assert_false(sasl_client_verified(c));
		sasl_client_destroy(&c);
		xbuf_free(&out);
	}
}

/* PLAIN/LOGIN client shapes, SCRAM name escaping and authzid */
static void test_sasl_client_messages(void **state)
{
	struct sasl_client_params cp = { .authcid = "a,b=c", .password = "pw", .authzid = "z",
					 .cnonce = "N" };
	struct sasl_client *c;
	struct xbuf out;
	const char *err = NULL;

	(void)state;
	xbuf_init(&out, 0);
	c = sasl_client_create(SASL_MECH_PLAIN, &cp);
	assert_int_equal(sasl_client_initial(c, &out), 1);
	assert_int_equal(out.len, 10);
	assert_memory_equal(out.data, "z\0a,b=c\0pw", 10);
	assert_int_equal(sasl_client_initial(c, &out), -1);	/* only once */
	sasl_client_destroy(&c);
	xbuf_reset(&out);
	c = sasl_client_create(SASL_MECH_SCRAM_SHA_256, &cp);
	assert_int_equal(sasl_client_initial(c, &out), 1);
	assert_string_equal(xbuf_cstr(&out), "n,a=z,n=a=2Cb=3Dc,r=N");
	sasl_client_destroy(&c);
	xbuf_reset(&out);
	c = sasl_client_create(SASL_MECH_LOGIN, &cp);
	assert_int_equal(sasl_client_initial(c, &out), 0);
	assert_int_equal(sasl_client_step(c, "Username:", 9, &out, &err), 0);
	assert_string_equal(xbuf_cstr(&out), "a,b=c");
	xbuf_reset(&out);
	assert_int_equal(sasl_client_step(c, "Password:", 9, &out, &err), 0);
	assert_string_equal(xbuf_cstr(&out), "pw");
	assert_int_equal(sasl_client_step(c, "More:", 5, &out, &err), -1);
	sasl_client_destroy(&c);
	/* missing parameters */
	cp.password = NULL;
	assert_null(sasl_client_create(SASL_MECH_PLAIN, &cp));
	assert_null(sasl_client_create(SASL_MECH_COUNT, &cp));
	/* random nonce when none is given */
	cp.password = "pw";
	cp.cnonce = NULL;
	cp.authzid = NULL;
	c = sasl_client_create(SASL_MECH_SCRAM_SHA_1, &cp);
	xbuf_reset(&out);
	assert_int_equal(sasl_client_initial(c, &out), 1);
	assert_int_equal(out.len, strlen("n,,n=a=2Cb=3Dc,r=") + 24);
	sasl_client_destroy(&c);
	xbuf_free(&out);
}

/* calls that do not fit the state */
static void test_sasl_server_misuse(void **state)
{
	struct sasl_server_params sp = { 0 };
	struct sasl_server *s;
	struct xbuf out;
	const char *err = NULL;
	struct sasl_creds creds = { .kind = SASL_CREDS_PLAINTEXT, .password = "x",
				    .password_len = 1 };

	(void)state;
	xbuf_init(&out, 0);
	s = sasl_server_create(SASL_MECH_PLAIN, &sp);
	EXPECT_STATUS(sasl_server_verified(s, 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	s = sasl_server_create(SASL_MECH_PLAIN, &sp);
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_FAIL);
	sasl_server_destroy(&s);
	s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("alice 0123456789abcdef0123456789abcdef"), 1, &out,
				       &err), SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_creds(s, NULL, &out, &err), SASL_FAIL);
	assert_string_equal(err, "Unknown user");
	sasl_server_destroy(&s);
	/* SCRAM with CRAM-MD5 credentials is unusable */
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_1, &sp);
	EXPECT_STATUS(sasl_server_step(s, M("n,,n=alice,r=abc"), 1, &out, &err), SASL_NEED_CREDS);
	creds.kind = SASL_CREDS_CRAM_MD5;
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_FAIL);
	assert_string_equal(err, "invalid credentials");
	sasl_server_destroy(&s);
	/* oversized message */
	s = sasl_server_create(SASL_MECH_PLAIN, &sp);
	EXPECT_STATUS(sasl_server_step(s, "", SASL_MAX_MESSAGE + 1, 1, &out, &err), SASL_FAIL);
	sasl_server_destroy(&s);
	assert_null(sasl_server_create(SASL_MECH_COUNT, &sp));
	sasl_server_destroy(&s);	/* NULL is fine */
	xbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sasl_mech_lookup),
		cmocka_unit_test(test_sasl_cram_md5_rfc2195),
		cmocka_unit_test(test_sasl_cram_md5_dovecot_context),
		cmocka_unit_test(test_sasl_scram_rfc_client),
		cmocka_unit_test(test_sasl_scram_rfc_server),
		cmocka_unit_test(test_sasl_scram_final_resp_ok),
		cmocka_unit_test(test_sasl_scram_dovecot_format),
		cmocka_unit_test(test_sasl_round_trip_all),
		cmocka_unit_test(test_sasl_anonymous_external),
		cmocka_unit_test(test_sasl_server_malformed),
		cmocka_unit_test(test_sasl_scram_final_malformed),
		cmocka_unit_test(test_sasl_scram_spurious_final),
		cmocka_unit_test(test_sasl_client_rejects_bad_server),
		cmocka_unit_test(test_sasl_client_bad_server_final),
		cmocka_unit_test(test_sasl_client_messages),
		cmocka_unit_test(test_sasl_server_misuse),
	};

	return cmocka_run_group_tests_name("sasl", tests, NULL, NULL);
}
