/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_sasl_cases - SASL server and client steps, case by case, as
 *	Dovecot's mechanisms answer them
 * DESCRIPTION
 *	Complements test_sasl.c and test_sasl_extra.c (see its header for
 *	the differences from Dovecot 2.3.19 that these rows pin):
 *	  - table of first messages with the status and reason Dovecot's
 *	    sasl-server-mech-*.c / auth-scram-server.c give, boundaries
 *	    (1024-byte authcid, 32-digit CRAM digest), NULs per mechanism,
 *	    SCRAM's gs2 header as 2.4.5 reads it (params->dovecot24);
 *	  - LOGIN, CRAM-MD5 and SCRAM server errors, calls that do not fit
 *	    the state, output bounds (nothing half-written), client-side
 *	    errors, the mechanism table, derive limits and long CRAM-MD5
 *	    host names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"

#define M(s) s, sizeof(s) - 1

/* the salt of test_sasl_extra.c's SCRAM oracle, "NaCl-salt-bytes!" */
#define ORACLE_SALT_B64 "TmFDbC1zYWx0LWJ5dGVzIQ=="

#define EXPECT_STATUS(call, want) do { \
		enum sasl_status st_ = (call); \
		if (st_ != (want)) \
			fail_msg("line %d: %s: status %d, want %d (%s)", __LINE__, #call, \
				 (int)st_, (int)(want), err ? err : ""); \
	} while (0)

struct first_case {
	const char *name;
	enum sasl_mech mech;
	const char *msg;
	size_t len;
	enum sasl_status want;
	const char *want_err;	/* FAIL reason */
	const char *want_out;	/* CONTINUE challenge; NULL: not checked */
	const char *want_authcid;	/* "": none set (the FAIL carries no user=) */
};

static const struct first_case first_cases[] = {
	/* PLAIN (ALLOW_NULS; exactly two NULs) */
	{ "plain empty password", SASL_MECH_PLAIN, M("\0alice\0"), SASL_NEED_VERIFY, NULL, NULL,
	  "alice" },
	{ "plain authzid = authcid", SASL_MECH_PLAIN, M("alice\0alice\0pw"), SASL_NEED_VERIFY, NULL,
	  NULL, "alice" },
	{ "plain authzid prefix of authcid", SASL_MECH_PLAIN, M("ali\0alice\0pw"), SASL_FAIL,
	  "Master user login attempted without master passdbs", NULL, NULL },
	{ "plain two NULs only", SASL_MECH_PLAIN, M("\0\0"), SASL_FAIL, "Empty username", NULL,
	  NULL },
	{ "plain four NULs", SASL_MECH_PLAIN, M("\0a\0b\0c\0"), SASL_FAIL, "invalid input", NULL,
	  NULL },
	/* LOGIN: a non-empty initial response is the username */
	{ "login initial username", SASL_MECH_LOGIN, M("alice"), SASL_CONTINUE, NULL, "Password:",
	  "alice" },
	{ "login empty initial", SASL_MECH_LOGIN, M(""), SASL_CONTINUE, NULL, "Username:", NULL },
	{ "login NUL initial", SASL_MECH_LOGIN, M("a\0b"), SASL_FAIL,
	  "Unexpected NUL in auth data", NULL, NULL },
	/* CRAM-MD5 ignores an initial response */
	{ "cram initial ignored", SASL_MECH_CRAM_MD5, M("bob 0123"), SASL_CONTINUE, NULL,
	  "<0123456789012345.1234567890@mx.example>", NULL },
	/* SCRAM client-first */
	{ "scram y flag", SASL_MECH_SCRAM_SHA_1, M("y,,n=alice,r=abc"), SASL_NEED_CREDS, NULL,
	  NULL, "alice" },
	{ "scram authzid = user", SASL_MECH_SCRAM_SHA_1, M("n,a=alice,n=alice,r=abc"),
	  SASL_NEED_CREDS, NULL, NULL, "alice" },
	{ "scram extension", SASL_MECH_SCRAM_SHA_256, M("n,,n=alice,r=abc,x=1,y=2"),
	  SASL_NEED_CREDS, NULL, NULL, "alice" },
	{ "scram escaped name", SASL_MECH_SCRAM_SHA_256, M("n,,n==3D=2C=3D,r=abc"),
	  SASL_NEED_CREDS, NULL, NULL, "=,=" },
	{ "scram empty name", SASL_MECH_SCRAM_SHA_256, M("n,,n=,r=abc"), SASL_FAIL,
	  "Bad username", NULL, NULL },
	{ "scram cut escape", SASL_MECH_SCRAM_SHA_256, M("n,,n=al=2,r=abc"), SASL_FAIL,
	  "Username escaping is invalid", NULL, NULL },
	{ "scram NUL", SASL_MECH_SCRAM_SHA_256, M("n,,n=al\0ice,r=abc"), SASL_FAIL, NULL, NULL,
	  NULL },
	{ "scram p without name", SASL_MECH_SCRAM_SHA_256, M("p,,n=alice,r=abc"), SASL_FAIL, NULL,
	  NULL, NULL },
	{ "scram no comma", SASL_MECH_SCRAM_SHA_256, M("n"), SASL_FAIL, NULL, NULL, NULL },
	{ "scram one comma", SASL_MECH_SCRAM_SHA_256, M("n,n=alice"), SASL_FAIL, NULL, NULL,
	  NULL },
	{ "scram bad authzid field", SASL_MECH_SCRAM_SHA_256, M("n,b=x,n=alice,r=abc"), SASL_FAIL,
	  NULL, NULL, NULL },
	{ "scram bad authzid escape", SASL_MECH_SCRAM_SHA_256, M("n,a=x=41,n=alice,r=abc"),
	  SASL_FAIL, NULL, NULL, NULL },
	{ "scram empty bare", SASL_MECH_SCRAM_SHA_256, M("n,,"), SASL_FAIL,
	  "Invalid initial client message: Missing nonce field", NULL, NULL },
	{ "scram nonce not second", SASL_MECH_SCRAM_SHA_256, M("n,,n=alice,x=1,r=abc"), SASL_FAIL,
	  "Invalid client nonce", NULL, NULL },
	/* as 2.3's mech-scram.c: any c-nonce; no empty authzid; empty initial
	   response is a broken client-first; the flag's first byte counts */
	{ "scram empty c-nonce", SASL_MECH_SCRAM_SHA_256, M("n,,n=alice,r="), SASL_NEED_CREDS,
	  NULL, NULL, "alice" },
	{ "scram c-nonce with SP and 8-bit", SASL_MECH_SCRAM_SHA_256,
	  M("n,,n=alice,r=a b\x80\xff~"), SASL_NEED_CREDS, NULL, NULL, "alice" },
	{ "scram empty authzid", SASL_MECH_SCRAM_SHA_256, M("n,a=,n=alice,r=abc"), SASL_FAIL,
	  "Master user login attempted to use empty login username", NULL, NULL },
	{ "scram other authzid", SASL_MECH_SCRAM_SHA_256, M("n,a=bob,n=alice,r=abc"), SASL_FAIL,
	  "Master user login attempted without master passdbs", NULL, NULL },
	{ "scram empty initial response", SASL_MECH_SCRAM_SHA_256, M(""), SASL_FAIL, NULL, NULL,
	  NULL },
	{ "scram SHA-1 empty initial response", SASL_MECH_SCRAM_SHA_1, M(""), SASL_FAIL, NULL,
	  NULL, NULL },
	{ "scram two-byte n flag", SASL_MECH_SCRAM_SHA_256, M("nx,,n=alice,r=abc"),
	  SASL_NEED_CREDS, NULL, NULL, "alice" },
	{ "scram empty flag", SASL_MECH_SCRAM_SHA_256, M(",,n=alice,r=abc"), SASL_FAIL,
	  "Invalid GS2 header", NULL, NULL },
	/* ANONYMOUS (ALLOW_NULS): any trace, the user is the configured name */
	{ "anonymous NUL trace", SASL_MECH_ANONYMOUS, M("tr\0ace"), SASL_SUCCESS, NULL, NULL, NULL },
	{ "anonymous empty trace", SASL_MECH_ANONYMOUS, M(""), SASL_SUCCESS, NULL, NULL, NULL },
	/* EXTERNAL with a known user: empty or equal authzid */
	{ "external empty", SASL_MECH_EXTERNAL, M(""), SASL_SUCCESS, NULL, NULL, "ext" },
	{ "external same authzid", SASL_MECH_EXTERNAL, M("ext"), SASL_SUCCESS, NULL, NULL, "ext" },
	{ "external other authzid", SASL_MECH_EXTERNAL, M("exT"), SASL_FAIL,
	  "Master user login attempted without master passdbs", NULL, NULL },
};

/* as 2.4.5's auth_gs2_header_decode (params->dovecot24): a one-byte
   flag; an empty authzid fails before the username is read; the rest as 2.3 */
static const struct first_case first_cases24[] = {
	{ "2.4 scram two-byte n flag", SASL_MECH_SCRAM_SHA_256, M("nx,,n=alice,r=abc"), SASL_FAIL,
	  "Invalid initial client message: Missing ',' after channel bind flag", NULL, "" },
	{ "2.4 scram two-byte y flag", SASL_MECH_SCRAM_SHA_1, M("yy,,n=alice,r=abc"), SASL_FAIL,
	  NULL, NULL, "" },
	{ "2.4 scram empty authzid", SASL_MECH_SCRAM_SHA_256, M("n,a=,n=alice,r=abc"), SASL_FAIL,
	  "Invalid initial client message: Empty authzid field", NULL, "" },
	{ "2.4 scram other authzid", SASL_MECH_SCRAM_SHA_256, M("n,a=bob,n=alice,r=abc"),
	  SASL_FAIL, "Master user login attempted without master passdbs", NULL, "alice" },
	{ "2.4 scram same authzid", SASL_MECH_SCRAM_SHA_256, M("n,a=alice,n=alice,r=abc"),
	  SASL_NEED_CREDS, NULL, NULL, "alice" },
	{ "2.4 scram n flag", SASL_MECH_SCRAM_SHA_256, M("n,,n=alice,r=abc"), SASL_NEED_CREDS,
	  NULL, NULL, "alice" },
	{ "2.4 scram y flag", SASL_MECH_SCRAM_SHA_256, M("y,,n=alice,r="), SASL_NEED_CREDS,
	  NULL, NULL, "alice" },
};

static void run_first_case(const struct first_case *fc, int d24)
{
	struct sasl_server_params sp = { .now = 1234567890ULL, .hostname = "mx.example",
					 .nonce = "0123456789012345", .external_user = "ext",
					 .dovecot24 = d24 };
	struct sasl_server *s = sasl_server_create(fc->mech, &sp);
	struct xbuf out;
	const char *err = NULL;
	enum sasl_status st;

	xbuf_init(&out, 0);
	st = sasl_server_step(s, fc->msg, fc->len, 1, &out, &err);
	if (st != fc->want)
		fail_msg("%s: status %d, want %d (%s)", fc->name, (int)st, (int)fc->want,
			 err ? err : "");
	if (st == SASL_FAIL && fc->want_err != NULL && strcmp(err, fc->want_err) != 0)
		fail_msg("%s: reason \"%s\", want \"%s\"", fc->name, err, fc->want_err);
	if (fc->want_out != NULL && strcmp(xbuf_cstr(&out), fc->want_out) != 0)
		fail_msg("%s: challenge \"%s\", want \"%s\"", fc->name, xbuf_cstr(&out),
			 fc->want_out);
	if (st == SASL_CONTINUE && fc->want_out == NULL)
		fail_msg("%s: CONTINUE without an expected challenge", fc->name);
	if (fc->want_authcid != NULL && fc->want_authcid[0] == '\0' &&
	    sasl_server_authcid(s) != NULL)
		fail_msg("%s: authcid \"%s\", want none", fc->name, sasl_server_authcid(s));
	else if (fc->want_authcid != NULL && fc->want_authcid[0] != '\0')
		assert_string_equal(sasl_server_authcid(s), fc->want_authcid);
	if (st == SASL_SUCCESS)
		assert_string_equal(sasl_server_user(s), fc->mech == SASL_MECH_ANONYMOUS ?
				    "anonymous" : "ext");
	if (st == SASL_NEED_VERIFY && fc->mech == SASL_MECH_PLAIN) {
		const char *nul1 = memchr(fc->msg, '\0', fc->len);
		const char *nul2;

		assert_non_null(nul1);
		nul2 = memchr(nul1 + 1, '\0', fc->len - (size_t)(nul1 + 1 - fc->msg));
		assert_non_null(nul2);
		assert_int_equal(strlen(sasl_server_password(s)),
				 fc->len - (size_t)(nul2 + 1 - fc->msg));
		assert_memory_equal(sasl_server_password(s), nul2 + 1,
				    fc->len - (size_t)(nul2 + 1 - fc->msg));
	}
	sasl_server_destroy(&s);
	xbuf_free(&out);
}

/* mk - prefix, n times ch, suffix (suffix may hold NULs: slen) */
static size_t mk(char *buf, const char *prefix, char ch, size_t n, const char *suffix,
		 size_t slen)
{
	size_t pl = strlen(prefix);

	memcpy(buf, prefix, pl);
	memset(buf + pl, ch, n);
	memcpy(buf + pl + n, suffix, slen);
	return pl + n + slen;
}

static void test_sasl_cases_first_messages(void **state)
{
	char buf[1100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(first_cases) / sizeof(first_cases[0]); i++)
		run_first_case(&first_cases[i], 0);
	for (i = 0; i < sizeof(first_cases24) / sizeof(first_cases24[0]); i++)
		run_first_case(&first_cases24[i], 1);
	/* SASL_MAX_AUTHID_SIZE is 1024: "strlen(authid) > 1024" fails */
	{
		struct first_case fc = { "plain authcid 1024", SASL_MECH_PLAIN, buf, 0,
					 SASL_NEED_VERIFY, NULL, NULL, NULL };

		fc.len = mk(buf, "", 'a', 1024, "\0pw", 3);
		memmove(buf + 1, buf, fc.len);
		buf[0] = '\0';
		fc.len++;
		run_first_case(&fc, 0);
		fc.name = "plain authcid 1025";
		fc.len = mk(buf, "", 'a', 1025, "\0pw", 3);
		memmove(buf + 1, buf, fc.len);
		buf[0] = '\0';
		fc.len++;
		fc.want = SASL_FAIL;
		fc.want_err = "Username too long";
		run_first_case(&fc, 0);
	}
	{
		struct first_case fc = { "scram user 1024", SASL_MECH_SCRAM_SHA_1, buf, 0,
					 SASL_NEED_CREDS, NULL, NULL, NULL };

		fc.len = mk(buf, "n,,n=", 'b', 1024, ",r=x", 4);
		run_first_case(&fc, 0);
		fc.name = "scram user 1025";
		fc.len = mk(buf, "n,,n=", 'b', 1025, ",r=x", 4);
		fc.want = SASL_FAIL;
		fc.want_err = "Bad username";
		run_first_case(&fc, 0);
	}
	{
		struct first_case fc = { "login user 1024", SASL_MECH_LOGIN, buf, 0,
					 SASL_CONTINUE, NULL, "Password:", NULL };

		fc.len = mk(buf, "", 'c', 1024, "", 0);
		run_first_case(&fc, 0);
		fc.name = "login user 1025";
		fc.len = mk(buf, "", 'c', 1025, "", 0);
		fc.want = SASL_FAIL;
		fc.want_err = "Username too long";
		fc.want_out = NULL;
		run_first_case(&fc, 0);
	}
}

/* LOGIN in every order Dovecot allows, and its failures */
static void test_sasl_cases_login(void **state)
{
	struct sasl_server_params sp = { 0 };
	struct sasl_server *s;
	struct xbuf out;
	const char *err = NULL;

	(void)state;
	xbuf_init(&out, 0);
	/* username as initial response, empty password, rejected by the passdb */
	s = sasl_server_create(SASL_MECH_LOGIN, &sp);
	EXPECT_STATUS(sasl_server_step(s, M("alice"), 1, &out, &err), SASL_CONTINUE);
	assert_string_equal(xbuf_cstr(&out), "Password:");
	xbuf_reset(&out);
	EXPECT_STATUS(sasl_server_step(s, M(""), 1, &out, &err), SASL_NEED_VERIFY);
	assert_string_equal(sasl_server_password(s), "");
	EXPECT_STATUS(sasl_server_step(s, M("again"), 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	/* verified(0) */
	s = sasl_server_create(SASL_MECH_LOGIN, &sp);
	EXPECT_STATUS(sasl_server_step(s, M("alice"), 1, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("pw"), 1, &out, &err), SASL_NEED_VERIFY);
	EXPECT_STATUS(sasl_server_verified(s, 0, &out, &err), SASL_FAIL);
	assert_string_equal(err, "Password mismatch");
	EXPECT_STATUS(sasl_server_verified(s, 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	/* empty username after the prompt */
	s = sasl_server_create(SASL_MECH_LOGIN, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M(""), 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "Empty username");
	sasl_server_destroy(&s);
	/* NUL in the password */
	s = sasl_server_create(SASL_MECH_LOGIN, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("alice"), 1, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("p\0w"), 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "Unexpected NUL in auth data");
	sasl_server_destroy(&s);
	xbuf_free(&out);
}

/* CRAM-MD5: challenge shape, username with spaces, upper-case hex, bounds */
static void test_sasl_cases_cram(void **state)
{
	struct sasl_server_params sp = { .now = 42, .hostname = "h" };
	struct sasl_creds creds = { .kind = SASL_CREDS_PLAINTEXT, .password = "pw",
				    .password_len = 2 };
	struct sasl_server *s;
	struct xbuf out;
	const char *err = NULL;
	char hex[33], resp[64], longhost[200];
	size_t i;

	(void)state;
	xbuf_init(&out, 0);
	/* random digits: "<" 16 digits "." time "@" host ">" */
	s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	assert_int_equal(out.len, 1 + 16 + 6);
	assert_int_equal(xbuf_cstr(&out)[0], '<');
	for (i = 1; i <= 16; i++)
		assert_true(xbuf_cstr(&out)[i] >= '0' && xbuf_cstr(&out)[i] <= '9');
	assert_string_equal(xbuf_cstr(&out) + 17, ".42@h>");
	/* username with spaces, digest in upper case (Dovecot 2.4.2+) */
	assert_int_equal(sasl_cram_md5_digest_hex(&creds, out.data, out.len, hex), 0);
	for (i = 0; i < 32; i++)
		if (hex[i] >= 'a')
			hex[i] = (char)(hex[i] - 'a' + 'A');
	snprintf(resp, sizeof(resp), "j q  public %s", hex);
	xbuf_reset(&out);
	EXPECT_STATUS(sasl_server_step(s, resp, strlen(resp), 1, &out, &err), SASL_NEED_CREDS);
	assert_string_equal(sasl_server_authcid(s), "j q  public");
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_SUCCESS);
	assert_string_equal(sasl_server_user(s), "j q  public");
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	/* 33 digits (Dovecot 2.4.2+; earlier ones ignore what follows 32) */
	s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("bob 0123456789abcdef0123456789abcdef0"), 1, &out,
				       &err), SASL_FAIL);
	assert_string_equal(err, "invalid digest size");
	sasl_server_destroy(&s);
	/* SCRAM keys are no CRAM-MD5 credentials */
	s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("bob 0123456789abcdef0123456789abcdef"), 1, &out,
				       &err), SASL_NEED_CREDS);
	creds.kind = SASL_CREDS_SCRAM;
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_FAIL);
	assert_string_equal(err, "invalid credentials");
	sasl_server_destroy(&s);
	/* user names over SASL_MAX_AUTHID_SIZE fail as in every mechanism */
	{
		char big[1100];

		creds.kind = SASL_CREDS_PLAINTEXT;
		memset(big, 'u', 1025);
		memcpy(big + 1025, " 0123456789abcdef0123456789abcdef", 33);
		s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
		EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
		EXPECT_STATUS(sasl_server_step(s, big, 1025 + 33, 1, &out, &err), SASL_FAIL);
		assert_string_equal(err, "Username too long");
		sasl_server_destroy(&s);
		s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
		EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
		EXPECT_STATUS(sasl_server_step(s, big + 1, 1024 + 33, 1, &out, &err),
			      SASL_NEED_CREDS);
		assert_int_equal(strlen(sasl_server_authcid(s)), 1024);
		sasl_server_destroy(&s);
	}
	/* a long host name goes into the challenge whole (2.3: no fixed buffer) */
	memset(longhost, 'h', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	sp.hostname = longhost;
	s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
	xbuf_reset(&out);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	assert_true(out.len > sizeof(longhost));
	assert_memory_equal(out.data + out.len - sizeof(longhost), longhost, sizeof(longhost) - 1);
	assert_int_equal(out.data[out.len - 1], '>');
	sasl_server_destroy(&s);
	/* one that does not fit SASL_MAX_MESSAGE fails cleanly */
	{
		static char hugehost[SASL_MAX_MESSAGE + 1];

		memset(hugehost, 'h', sizeof(hugehost) - 1);
		sp.hostname = hugehost;
		s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
		xbuf_reset(&out);
		EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_FAIL);
		assert_int_equal(out.len, 0);
		sasl_server_destroy(&s);
	}
	xbuf_free(&out);
}

/* SCRAM client-final and credential problems on the server */
static void test_sasl_cases_scram_server_errors(void **state)
{
	static const struct {
		const char *name;
		const char *first;
		const char *final;	/* "@" = the full nonce */
		size_t final_len;	/* 0 = strlen after formatting */
		const char *want;
	} rows[] = {
		{ "y header but c=biws", "y,,n=u,r=c", "c=biws,r=@,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0,
		  "Invalid channel binding data" },
		{ "c= not base64", "n,,n=u,r=c", "c=b!ws,r=@,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0,
		  "Invalid channel binding data" },
		{ "proof not base64", "n,,n=u,r=c", "c=biws,r=@,p=!!!!", 0, "Invalid ClientProof" },
		{ "proof empty", "n,,n=u,r=c", "c=biws,r=@,p=", 0, "Invalid ClientProof" },
		{ "nonce prefix only", "n,,n=u,r=c", "c=biws,r=c,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0,
		  "Wrong nonce" },
		{ "nonce longer", "n,,n=u,r=c", "c=biws,r=@X,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0,
		  "Wrong nonce" },
		{ "fields swapped", "n,,n=u,r=c", "r=@,c=biws,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0,
		  "Invalid final client message" },
		{ "NUL", "n,,n=u,r=c", "c=biws,r=@,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1,
		  "Unexpected NUL in auth data" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sasl_server_params sp = { .nonce = "S" };
		struct sasl_server *s = sasl_server_create(SASL_MECH_SCRAM_SHA_1, &sp);
		struct sasl_creds creds = { .kind = SASL_CREDS_PLAINTEXT, .password = "pw",
					    .password_len = 2 };
		struct xbuf out;
		const char *err = NULL;
		char msg[128];
		const char *at;
		size_t len;

		xbuf_init(&out, 0);
		EXPECT_STATUS(sasl_server_step(s, rows[i].first, strlen(rows[i].first), 1, &out,
					       &err), SASL_NEED_CREDS);
		EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_CONTINUE);
		at = strchr(rows[i].final, '@');
		if (at != NULL)
			snprintf(msg, sizeof(msg), "%.*scS%s", (int)(at - rows[i].final),
				 rows[i].final, at + 1);
		else
			snprintf(msg, sizeof(msg), "%s", rows[i].final);
		len = strlen(msg);
		if (rows[i].final_len == 1)
			msg[len - 3] = '\0';	/* a NUL inside the proof */
		if (sasl_server_step(s, msg, len, 1, &out, &err) != SASL_FAIL ||
		    strcmp(err, rows[i].want) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", rows[i].name, err ? err : "",
				 rows[i].want);
		sasl_server_destroy(&s);
		xbuf_free(&out);
	}
}

/* calls that do not fit the state, SCRAM and CRAM-MD5 */
static void test_sasl_cases_server_state(void **state)
{
	struct sasl_server_params sp = { .nonce = "S" };
	struct sasl_creds creds = { .kind = SASL_CREDS_PLAINTEXT, .password = "pw",
				    .password_len = 2 };
	struct sasl_server *s;
	struct xbuf out;
	const char *err = NULL;

	(void)state;
	xbuf_init(&out, 0);
	/* credentials before any message */
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256, &sp);
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	/* a message while credentials are awaited */
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256, &sp);
	EXPECT_STATUS(sasl_server_step(s, M("n,,n=u,r=c"), 1, &out, &err), SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_step(s, M("n,,n=u,r=c"), 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	/* stored keys of the wrong length or without salt are unusable */
	{
		struct sasl_creds sc;

		memset(&sc, 0, sizeof(sc));
		sc.kind = SASL_CREDS_SCRAM;
		assert_int_equal(sasl_scram_derive(SASL_MECH_SCRAM_SHA_1, "pw", "salt", 4, 4096,
						   &sc.scram), 0);
		s = sasl_server_create(SASL_MECH_SCRAM_SHA_256, &sp);
		EXPECT_STATUS(sasl_server_step(s, M("n,,n=u,r=c"), 1, &out, &err),
			      SASL_NEED_CREDS);
		EXPECT_STATUS(sasl_server_creds(s, &sc, &out, &err), SASL_FAIL);
		assert_string_equal(err, "invalid credentials");
		sasl_server_destroy(&s);
		sc.scram.salt_len = 0;
		s = sasl_server_create(SASL_MECH_SCRAM_SHA_1, &sp);
		EXPECT_STATUS(sasl_server_step(s, M("n,,n=u,r=c"), 1, &out, &err),
			      SASL_NEED_CREDS);
		EXPECT_STATUS(sasl_server_creds(s, &sc, &out, &err), SASL_FAIL);
		assert_string_equal(err, "invalid credentials");
		sasl_server_destroy(&s);
	}
	/* verified() is for PLAIN/LOGIN */
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256, &sp);
	EXPECT_STATUS(sasl_server_step(s, M("n,,n=u,r=c"), 1, &out, &err), SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_verified(s, 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	/* the second CONTINUE of PLAIN: a message after the empty challenge only once */
	s = sasl_server_create(SASL_MECH_PLAIN, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("\0u\0p"), 1, &out, &err), SASL_NEED_VERIFY);
	EXPECT_STATUS(sasl_server_step(s, M("\0u\0p"), 1, &out, &err), SASL_FAIL);
	assert_string_equal(err, "unexpected call");
	sasl_server_destroy(&s);
	/* ANONYMOUS after an empty challenge */
	s = sasl_server_create(SASL_MECH_ANONYMOUS, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	EXPECT_STATUS(sasl_server_step(s, M("me@example"), 1, &out, &err), SASL_SUCCESS);
	assert_string_equal(sasl_server_user(s), "anonymous");
	sasl_server_destroy(&s);
	/* SCRAM after an empty challenge (AUTH without resp=) */
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_1, &sp);
	xbuf_reset(&out);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	assert_int_equal(out.len, 0);
	EXPECT_STATUS(sasl_server_step(s, M("n,,n=u,r=c"), 1, &out, &err), SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_creds(s, &creds, &out, &err), SASL_CONTINUE);
	sasl_server_destroy(&s);
	xbuf_free(&out);
}

/* a bounded output buffer is never half-written */
static void test_sasl_cases_output_bounds(void **state)
{
	struct sasl_client_params cp = { .authcid = "alice", .password = "secret",
					 .cnonce = "CN" };
	struct sasl_server_params sp = { .nonce = "S" };
	struct sasl_client *c;
	struct sasl_server *s;
	struct sasl_scram_keys keys;
	struct xbuf out;
	const char *err = NULL;
	const char *sfm = "r=CNS,s=" ORACLE_SALT_B64 ",i=4096";

	(void)state;
	/* client initial responses */
	xbuf_init(&out, 8);
	c = sasl_client_create(SASL_MECH_PLAIN, &cp);
	assert_int_equal(sasl_client_initial(c, &out), -1);
	assert_int_equal(out.len, 0);
	sasl_client_destroy(&c);
	c = sasl_client_create(SASL_MECH_SCRAM_SHA_1, &cp);
	assert_int_equal(sasl_client_initial(c, &out), -1);
	assert_int_equal(out.len, 0);
	sasl_client_destroy(&c);
	/* LOGIN answers */
	xbuf_free(&out);
	xbuf_init(&out, 4);
	c = sasl_client_create(SASL_MECH_LOGIN, &cp);
	assert_int_equal(sasl_client_step(c, M("Username:"), &out, &err), -1);
	assert_string_equal(err, "message too long");
	assert_int_equal(out.len, 0);
	sasl_client_destroy(&c);
	/* the password does not fit where the user name did */
	xbuf_free(&out);
	xbuf_init(&out, 5);
	c = sasl_client_create(SASL_MECH_LOGIN, &cp);
	assert_int_equal(sasl_client_step(c, M("Username:"), &out, &err), 0);
	assert_string_equal(xbuf_cstr(&out), "alice");
	xbuf_reset(&out);
	assert_int_equal(sasl_client_step(c, M("Password:"), &out, &err), -1);
	assert_string_equal(err, "message too long");
	assert_int_equal(out.len, 0);
	sasl_client_destroy(&c);
	/* CRAM-MD5 answer */
	c = sasl_client_create(SASL_MECH_CRAM_MD5, &cp);
	assert_int_equal(sasl_client_step(c, M("<1.2@h>"), &out, &err), -1);
	assert_string_equal(err, "message too long");
	assert_int_equal(out.len, 0);
	sasl_client_destroy(&c);
	/* SCRAM client-final */
	xbuf_free(&out);
	xbuf_init(&out, 40);
	c = sasl_client_create(SASL_MECH_SCRAM_SHA_1, &cp);
	assert_int_equal(sasl_client_initial(c, &out), 1);
	xbuf_reset(&out);
	assert_int_equal(sasl_client_step(c, sfm, strlen(sfm), &out, &err), -1);
	assert_string_equal(err, "message too long");
	assert_int_equal(out.len, 0);
	sasl_client_destroy(&c);
	/* server challenges */
	xbuf_free(&out);
	xbuf_init(&out, 4);
	s = sasl_server_create(SASL_MECH_LOGIN, &sp);
	EXPECT_STATUS(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_FAIL);
	assert_string_equal(err, "message too long");
	assert_int_equal(out.len, 0);
	sasl_server_destroy(&s);
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_1, &sp);
	EXPECT_STATUS(sasl_server_step(s, M("n,,n=u,r=c"), 1, &out, &err), SASL_NEED_CREDS);
	EXPECT_STATUS(sasl_server_creds(s, &(struct sasl_creds){ .kind = SASL_CREDS_PLAINTEXT,
			.password = "pw", .password_len = 2 }, &out, &err), SASL_FAIL);
	assert_int_equal(out.len, 0);
	sasl_server_destroy(&s);
	/* formatting a Dovecot value */
	assert_int_equal(sasl_scram_derive(SASL_MECH_SCRAM_SHA_1, "pw", "salt", 4, 4096, &keys), 0);
	xbuf_reset(&out);
	assert_int_equal(sasl_scram_format_dovecot(&keys, &out), -1);
	assert_int_equal(out.len, 0);
	xbuf_free(&out);
}

/* client-side checks and misuse beyond test_sasl.c */
static void test_sasl_cases_client_errors(void **state)
{
	static const struct {
		const char *name;
		const char *sfm;
		const char *want;
	} rows[] = {
		{ "space in nonce", "r=CN x,s=QSXCR+Q6sek8bf92,i=4096", "malformed server nonce" },
		{ "ten-digit count", "r=CNx,s=QSXCR+Q6sek8bf92,i=1234567890",
		  "malformed iteration count" },
		{ "empty count", "r=CNx,s=QSXCR+Q6sek8bf92,i=", "malformed iteration count" },
		{ "huge count", "r=CNx,s=QSXCR+Q6sek8bf92,i=10000001", "unacceptable iteration count" },
		{ "empty salt", "r=CNx,s=,i=4096", "malformed salt" },
		{ "fields out of order", "s=QSXCR+Q6sek8bf92,r=CNx,i=4096",
		  "malformed server-first-message" },
		{ "empty", "", "malformed server-first-message" },
	};
	struct sasl_client_params cp = { .authcid = "u", .password = "pw", .cnonce = "CN" };
	struct sasl_client *c;
	struct xbuf out;
	const char *err = NULL;
	size_t i;

	(void)state;
	xbuf_init(&out, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		c = sasl_client_create(SASL_MECH_SCRAM_SHA_256, &cp);
		assert_int_equal(sasl_client_initial(c, &out), 1);
		xbuf_reset(&out);
		err = NULL;
		if (sasl_client_step(c, rows[i].sfm, strlen(rows[i].sfm), &out, &err) != -1 ||
		    err == NULL || strcmp(err, rows[i].want) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", rows[i].name, err ? err : "(accepted)",
				 rows[i].want);
		assert_int_equal(out.len, 0);
		sasl_client_destroy(&c);
	}
	/* PLAIN: a non-empty challenge is not expected */
	c = sasl_client_create(SASL_MECH_PLAIN, &cp);
	assert_int_equal(sasl_client_step(c, M("huh"), &out, &err), -1);
	assert_string_equal(err, "unexpected challenge");
	sasl_client_destroy(&c);
	/* PLAIN answers an empty challenge once */
	c = sasl_client_create(SASL_MECH_PLAIN, &cp);
	assert_int_equal(sasl_client_step(c, "", 0, &out, &err), 0);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.data, "\0u\0pw", 5);
	assert_int_equal(sasl_client_step(c, "", 0, &out, &err), -1);
	sasl_client_destroy(&c);
	/* CRAM-MD5: empty challenge, then only one answer */
	c = sasl_client_create(SASL_MECH_CRAM_MD5, &cp);
	assert_int_equal(sasl_client_initial(c, &out), 0);
	assert_int_equal(sasl_client_step(c, "", 0, &out, &err), -1);
	assert_string_equal(err, "empty CRAM-MD5 challenge");
	sasl_client_destroy(&c);
	c = sasl_client_create(SASL_MECH_CRAM_MD5, &cp);
	xbuf_reset(&out);
	assert_int_equal(sasl_client_step(c, M("<1.2@h>"), &out, &err), 0);
	assert_int_equal(out.len, 2 + 32);
	assert_int_equal(sasl_client_step(c, M("<1.2@h>"), &out, &err), -1);
	assert_string_equal(err, "unexpected challenge");
	sasl_client_destroy(&c);
	/* ANONYMOUS and EXTERNAL initial responses */
	c = sasl_client_create(SASL_MECH_ANONYMOUS, &(struct sasl_client_params){ .trace = "t@x" });
	xbuf_reset(&out);
	assert_int_equal(sasl_client_initial(c, &out), 1);
	assert_string_equal(xbuf_cstr(&out), "t@x");
	sasl_client_destroy(&c);
	c = sasl_client_create(SASL_MECH_ANONYMOUS, &(struct sasl_client_params){ 0 });
	xbuf_reset(&out);
	assert_int_equal(sasl_client_initial(c, &out), 1);
	assert_int_equal(out.len, 0);
	sasl_client_destroy(&c);
	c = sasl_client_create(SASL_MECH_EXTERNAL, &(struct sasl_client_params){ .authzid = "z" });
	xbuf_reset(&out);
	assert_int_equal(sasl_client_initial(c, &out), 1);
	assert_string_equal(xbuf_cstr(&out), "z");
	sasl_client_destroy(&c);
	/* SCRAM and CRAM need a user and a password */
	assert_null(sasl_client_create(SASL_MECH_SCRAM_SHA_1,
				       &(struct sasl_client_params){ .password = "pw" }));
	assert_null(sasl_client_create(SASL_MECH_CRAM_MD5,
				       &(struct sasl_client_params){ .authcid = "u" }));
	sasl_client_destroy(&c);	/* NULL is fine */
	xbuf_free(&out);
}

/* mechanism table: names and the flags Dovecot's handshake shows */
static void test_sasl_cases_mech_table(void **state)
{
	static const struct {
		const char *name;
		unsigned flags;
		int client_first;
	} rows[] = {
		{ "PLAIN", DVAUTH_MECH_PLAINTEXT, 1 },
		{ "LOGIN", DVAUTH_MECH_PLAINTEXT, 0 },
		{ "CRAM-MD5", DVAUTH_MECH_DICTIONARY | DVAUTH_MECH_ACTIVE, 0 },
		{ "SCRAM-SHA-1", DVAUTH_MECH_MUTUAL_AUTH, 1 },
		{ "SCRAM-SHA-256", DVAUTH_MECH_MUTUAL_AUTH, 1 },
		{ "ANONYMOUS", DVAUTH_MECH_ANONYMOUS, 1 },
		{ "EXTERNAL", 0, 1 },
	};
	size_t i;

	(void)state;
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), SASL_MECH_COUNT);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct sasl_mech_info *mi = sasl_mech_by_name(rows[i].name,
								    strlen(rows[i].name));

		assert_non_null(mi);
		assert_ptr_equal(mi, sasl_mech_get(mi->mech));
		assert_string_equal(mi->name, rows[i].name);
		assert_int_equal(mi->dvauth_flags, rows[i].flags);
		assert_int_equal(mi->client_first, rows[i].client_first);
	}
	assert_null(sasl_mech_by_name("", 0));
	assert_null(sasl_mech_by_name("SCRAM-SHA-256-PLUS", 18));
	/* the length bounds the name: "PLAINX" cut to 5 is PLAIN */
	assert_non_null(sasl_mech_by_name("PLAINX", 5));
}

/* derivation helpers refuse what they cannot do */
static void test_sasl_cases_derive_limits(void **state)
{
	struct sasl_scram_keys k;
	unsigned char salt[65];

	(void)state;
	memset(salt, 's', sizeof(salt));
	assert_int_equal(sasl_scram_derive(SASL_MECH_PLAIN, "pw", salt, 4, 4096, &k), -1);
	assert_int_equal(sasl_scram_derive(SASL_MECH_SCRAM_SHA_1, "pw", salt, 4, 0, &k), -1);
	assert_int_equal(sasl_scram_derive(SASL_MECH_SCRAM_SHA_1, "pw", salt, 65, 4096, &k), -1);
	assert_int_equal(sasl_scram_derive(SASL_MECH_SCRAM_SHA_1, "pw", salt, 64, 1, &k), 0);
	assert_int_equal(k.salt_len, 64);
	assert_int_equal(k.key_len, 20);
	assert_int_equal(sasl_scram_derive(SASL_MECH_SCRAM_SHA_256, "", salt, 0, 1, &k), 0);
	assert_int_equal(k.key_len, 32);
	/* a salt over 64 bytes does not fit the keys structure */
	{
		static const char v[] =
		    "4096,c3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nz"
		    "c3Nzc3Nzc3Nzc3Nzc3M=,+avd8erQuqoTHRKymM0tTtsQTrY=,7lZTRxq8RP83whzgEK3t6Xuj65w=";

		assert_int_equal(sasl_scram_parse_dovecot(SASL_MECH_SCRAM_SHA_1, v, strlen(v), &k),
				 -1);
	}
	/* iteration field: ten digits, sign */
	assert_int_equal(sasl_scram_parse_dovecot(SASL_MECH_SCRAM_SHA_1,
		M("4096000000,c2FsdA==,+avd8erQuqoTHRKymM0tTtsQTrY=,7lZTRxq8RP83whzgEK3t6Xuj65w="),
		&k), -1);
	assert_int_equal(sasl_scram_parse_dovecot(SASL_MECH_SCRAM_SHA_1,
		M("+4096,c2FsdA==,+avd8erQuqoTHRKymM0tTtsQTrY=,7lZTRxq8RP83whzgEK3t6Xuj65w="),
		&k), -1);
	assert_int_equal(sasl_scram_parse_dovecot(SASL_MECH_SCRAM_SHA_1,
		M("4096,c2FsdA==,+avd8erQuqoTHRKymM0tTtsQTrY=,7lZTRxq8RP83whzgEK3t6Xuj65w="),
		&k), 0);
	assert_int_equal(k.salt_len, 4);
	assert_memory_equal(k.salt, "salt", 4);
}

/*
 * stored SCRAM keys need 4096 iterations or more (2.3 scram_scheme_parse:
 * "Invalid SCRAM-SHA-x iteration count in passdb"); the parser still reads
 * fewer, as Dovecot's passwd-file loads them
 */
static void test_sasl_cases_cram_long_hostname(void **state)
{
	static char host[1001];
	struct sasl_server_params sp = { .now = 7, .nonce = "0123456789012345", .hostname = host };
	struct sasl_server *s;
	struct xbuf out, want;
	const char *err = NULL;

	(void)state;
	memset(host, 'h', sizeof(host) - 1);
	memcpy(host + sizeof(host) - 9, ".example", 8);
	s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
	xbuf_init(&out, 0);
	xbuf_init(&want, 0);
	assert_int_equal(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
	assert_int_equal(xbuf_printf(&want, "<0123456789012345.7@%s>", host), 0);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	sasl_server_destroy(&s);
	xbuf_free(&out);
	xbuf_free(&want);
	/* and a whole exchange with it */
	{
		struct sasl_creds creds = { .kind = SASL_CREDS_PLAINTEXT, .password = "secret",
					    .password_len = 6 };
		struct sasl_client_params cp = { .authcid = "bob", .password = "secret" };
		struct sasl_client *c = sasl_client_create(SASL_MECH_CRAM_MD5, &cp);
		struct xbuf in;

		s = sasl_server_create(SASL_MECH_CRAM_MD5, &sp);
		xbuf_init(&in, 0);
		xbuf_init(&out, 0);
		assert_int_equal(sasl_server_step(s, NULL, 0, 0, &out, &err), SASL_CONTINUE);
		assert_int_equal(sasl_client_step(c, out.data, out.len, &in, &err), 0);
		assert_int_equal(sasl_server_step(s, in.data, in.len, 1, &out, &err),
				 SASL_NEED_CREDS);
		assert_int_equal(sasl_server_creds(s, &creds, &out, &err), SASL_SUCCESS);
		sasl_client_destroy(&c);
		sasl_server_destroy(&s);
		xbuf_free(&in);
		xbuf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sasl_cases_first_messages),
		cmocka_unit_test(test_sasl_cases_login),
		cmocka_unit_test(test_sasl_cases_cram),
		cmocka_unit_test(test_sasl_cases_scram_server_errors),
		cmocka_unit_test(test_sasl_cases_server_state),
		cmocka_unit_test(test_sasl_cases_output_bounds),
		cmocka_unit_test(test_sasl_cases_client_errors),
		cmocka_unit_test(test_sasl_cases_mech_table),
		cmocka_unit_test(test_sasl_cases_derive_limits),
		cmocka_unit_test(test_sasl_cases_cram_long_hostname),
	};

	return cmocka_run_group_tests_name("sasl_cases", tests, NULL, NULL);
}
