/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_pf_sasl - smtpd's side of SMTP AUTH and Dovecot's client shapes
 * DESCRIPTION
 *	Table-driven over protocols.md A.2.3 (security options, the EHLO
 *	mechanism filter, "no SASL authentication mechanisms"), A.3 (the
 *	AUTH line's fields by Postfix version), A.4 (what smtpd does with a
 *	client response before anything is sent: "*", bad characters, the
 *	response limit by version), A.6 (locally generated replies) and
 *	Dovecot's own client requests for protocol minors 2, 3 and 4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness/postfix/pf_sasl.h"
#include "proto/dvauth.h"

static struct pf_version ver(const char *s)
{
	struct pf_version v;

	assert_int_equal(pf_version_parse(s, &v), 0);
	return v;
}

static void test_pf_sasl_secopts(void **state)
{
	static const struct {
		const char *opts;
		int rc;
		unsigned req, forbid;
	} cases[] = {
		{ NULL, 0, 0, DVAUTH_MECH_ANONYMOUS },
		{ "", 0, 0, 0 },
		{ "noanonymous, noplaintext", 0, 0, DVAUTH_MECH_ANONYMOUS | DVAUTH_MECH_PLAINTEXT },
		{ "NOACTIVE\tnodictionary", 0, 0, DVAUTH_MECH_ACTIVE | DVAUTH_MECH_DICTIONARY },
		{ "mutual_auth forward_secrecy", 0,
		  DVAUTH_MECH_MUTUAL_AUTH | DVAUTH_MECH_FORWARD_SECRECY, 0 },
		{ "noanonymous, bogus", -1, 0, 0 },
		{ "mutual-auth", -1, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned req, forbid;
		const char *bad = NULL;
		int rc = pf_sasl_secopts(cases[i].opts, &req, &forbid, &bad);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d", cases[i].opts ? cases[i].opts : "(default)", rc);
		if (rc == 0 && (req != cases[i].req || forbid != cases[i].forbid))
			fail_msg("\"%s\": require 0x%x forbid 0x%x", cases[i].opts, req, forbid);
		if (rc < 0)
			assert_non_null(bad);
	}
}

/* joined - the names of a list, space-separated */
static const char *joined(const char *const *n, size_t k)
{
	static char buf[512];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < k; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, n[i]);
	}
	return buf;
}

static void test_pf_sasl_mech_filter(void **state)
{
	static const char *const mechs[] = { "PLAIN", "EXTERNAL", "LOGIN", "cram-md5" };
	static const struct {
		const char *version, *filter;
		int rc;
		const char *want;
	} cases[] = {
		{ "3.7", NULL, 0, "PLAIN LOGIN cram-md5" },
		{ "3.6-20200830", NULL, 0, "PLAIN LOGIN cram-md5" },
		{ "3.6-20200829", NULL, 0, "PLAIN EXTERNAL LOGIN cram-md5" },
		{ "3.5", "plain", 0, "PLAIN EXTERNAL LOGIN cram-md5" },	/* no such parameter */
		{ "3.7", "plain, CRAM-MD5", 0, "PLAIN cram-md5" },
		{ "3.7", "!login, static:all", 0, "PLAIN EXTERNAL cram-md5" },
		{ "3.7", "!static:rest", 0, "" },
		{ "3.7", "", 0, "PLAIN EXTERNAL LOGIN cram-md5" },
		{ "3.7", "hash:/etc/postfix/mechs", -1, NULL },
		{ "3.7", "/etc/postfix/mechs", -1, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_version v = ver(cases[i].version);
		const char *out[8];
		size_t n = 0;
		int rc = pf_sasl_mech_filter(&v, cases[i].filter, mechs, 4, out, 8, &n);

		if (rc != cases[i].rc)
			fail_msg("%s \"%s\": rc %d", cases[i].version, cases[i].filter, rc);
		if (rc == 0 && strcmp(joined(out, n), cases[i].want) != 0)
			fail_msg("%s \"%s\": got \"%s\"", cases[i].version,
				 cases[i].filter ? cases[i].filter : "(default)", joined(out, n));
	}
}

static void handshake(struct pf_auth_handshake *h, const char *version, const char *const *lines)
{
	struct pf_version v = ver(version);
	int rc = 0;

	pf_auth_handshake_init(h, &v);
	for (; *lines && rc == 0; lines++)
		rc = pf_auth_handshake_line(h, *lines, strlen(*lines));
	assert_int_equal(rc, 1);
}

/*
 * The EHLO AUTH list and what AUTH accepts, per version and with the
 * settings a user gives (struct pf_sasl_conf; NULL: the version's default)
 */
static void test_pf_sasl_conf_offer(void **state)
{
	static const char *const lines[] = { "VERSION\t1\t2", "MECH\tEXTERNAL",
		"MECH\tPLAIN\tplaintext", "MECH\tANONYMOUS\tanonymous", "DONE", NULL };
	static const struct {
		const char *version, *secopts, *filter;
		const char *ehlo, *usable;
	} cases[] = {
		{ "3.7.11", NULL, NULL, "PLAIN", "EXTERNAL PLAIN" },
		{ "3.6.0", NULL, NULL, "PLAIN", "EXTERNAL PLAIN" },
		{ "3.5.25", NULL, NULL, "EXTERNAL PLAIN", "EXTERNAL PLAIN" },
		{ "3.7.11", NULL, "static:all", "EXTERNAL PLAIN", "EXTERNAL PLAIN" },
		{ "3.7.11", NULL, "external", "EXTERNAL", "EXTERNAL PLAIN" },
		{ "3.5.25", NULL, "!external, static:rest", "EXTERNAL PLAIN", "EXTERNAL PLAIN" },
		{ "3.7.11", "", NULL, "PLAIN ANONYMOUS", "EXTERNAL PLAIN ANONYMOUS" },
		/* the option replaces the default: noanonymous is gone */
		{ "3.7.11", "noplaintext", "static:all", "EXTERNAL ANONYMOUS", "EXTERNAL ANONYMOUS" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_auth_handshake h;
		struct pf_sasl_offer o;
		struct pf_sasl_conf c;

		handshake(&h, cases[i].version, lines);
		pf_sasl_conf_init(&c);
		assert_null(c.security_options);
		assert_null(c.mech_filter);
		c.security_options = cases[i].secopts;
		c.mech_filter = cases[i].filter;
		pf_sasl_offer(&h, c.security_options, c.mech_filter, &o);
		if (strcmp(joined(o.ehlo, o.nehlo), cases[i].ehlo) != 0 ||
		    strcmp(joined(o.usable, o.nusable), cases[i].usable) != 0)
			fail_msg("row %zu (%s): EHLO \"%s\", usable \"%s\"", i, cases[i].version,
				 joined(o.ehlo, o.nehlo), joined(o.usable, o.nusable));
	}
}

static void test_pf_sasl_offer(void **state)
{
	static const char *const dovecot[] = { "VERSION\t1\t2", "MECH\tPLAIN\tplaintext",
		"MECH\tLOGIN\tplaintext", "MECH\tANONYMOUS\tanonymous", "MECH\tEXTERNAL",
		"MECH\tCRAM-MD5\tdictionary\tactive", "DONE", NULL };
	static const char *const anon_only[] = { "MECH\tANONYMOUS\tanonymous", "DONE", NULL };
	static const char *const plain_only[] = { "MECH\tPLAIN\tplaintext", "DONE", NULL };
	static const char *const none[] = { "VERSION\t1\t2", "DONE", NULL };
	struct pf_auth_handshake h;
	struct pf_sasl_offer o;

	(void)state;
	handshake(&h, "3.7", dovecot);
	pf_sasl_offer(&h, NULL, NULL, &o);
	assert_int_equal(o.fatal, 0);
	assert_string_equal(joined(o.usable, o.nusable), "PLAIN LOGIN EXTERNAL CRAM-MD5");
	assert_string_equal(joined(o.ehlo, o.nehlo), "PLAIN LOGIN CRAM-MD5");
	assert_non_null(strstr(o.notes, "still accepted by AUTH"));

	pf_sasl_offer(&h, "noplaintext, noactive", NULL, &o);
	assert_string_equal(joined(o.usable, o.nusable), "ANONYMOUS EXTERNAL");
	assert_string_equal(joined(o.ehlo, o.nehlo), "ANONYMOUS");

	pf_sasl_offer(&h, "mutual_auth", NULL, &o);
	assert_int_equal(o.fatal, 1);
	assert_non_null(strstr(o.notes, "no SASL authentication mechanisms"));

	pf_sasl_offer(&h, "bogus", NULL, &o);
	assert_int_equal(o.fatal, 1);
	assert_non_null(strstr(o.notes, "bogus"));

	handshake(&h, "3.7", anon_only);
	pf_sasl_offer(&h, NULL, NULL, &o);
	assert_int_equal(o.fatal, 1);
	assert_int_equal(o.nusable, 0);

	handshake(&h, "3.7", none);
	pf_sasl_offer(&h, "", NULL, &o);
	assert_int_equal(o.fatal, 1);

	handshake(&h, "3.7", plain_only);
	pf_sasl_offer(&h, NULL, "!plain", &o);
	assert_int_equal(o.fatal, 1);
	assert_non_null(strstr(o.notes, "discards all mechanisms"));
	pf_sasl_offer(&h, NULL, "hash:/x", &o);
	assert_int_equal(o.fatal, 0);
	assert_int_equal(o.nehlo, 1);
	assert_non_null(strstr(o.notes, "not modelled"));
}

struct first_case {
	const char *version, *mech, *init;
	int send;
	const char *smtp;
};

static void test_pf_sasl_first(void **state)
{
	static const char *const lines[] = { "MECH\tPLAIN\tplaintext", "MECH\tEXTERNAL", "DONE",
					     NULL };
	static const struct first_case cases[] = {
		{ "3.7", "PLAIN", NULL, 1, NULL },
		{ "3.7", "plain", "AGFsaWNlAHNlY3JldA==", 1, NULL },
		{ "3.7", "EXTERNAL", "=", 1, NULL },	/* hidden from EHLO, accepted */
		{ "3.7", "PLAIN", "AGFsaWNlAHNlY3JldA", 1, NULL },	/* charset only */
		{ "3.7", "PLAIN", "a*b", 0,
		  "535 5.7.8 Error: authentication failed: Invalid base64 data in initial response" },
		{ "3.7", "PLAIN", "*", 0,
		  "535 5.7.8 Error: authentication failed: Invalid base64 data in initial response" },
		{ "3.7", "LOGIN", NULL, 0,
		  "535 5.7.8 Error: authentication failed: Invalid authentication mechanism" },
		{ "3.10-20241111", "LOGIN", NULL, 0,
		  "535 5.7.8 Error: authentication failed: Invalid authentication mechanism: "
		  "'LOGIN'" },
		{ "3.10", "X\x01Y", NULL, 0,
		  "535 5.7.8 Error: authentication failed: Invalid authentication mechanism: "
		  "'X?Y'" },
		{ "3.7", "LOGIN", "a*b", 0,	/* the mechanism is checked first */
		  "535 5.7.8 Error: authentication failed: Invalid authentication mechanism" },
	};
	struct pf_auth_handshake h;
	struct pf_sasl_offer o;
	size_t i;

	(void)state;
	handshake(&h, "3.7", lines);
	pf_sasl_offer(&h, NULL, NULL, &o);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct first_case *c = &cases[i];
		struct pf_version v = ver(c->version);
		struct pf_sasl_step s;

		pf_sasl_first(&v, &o, c->mech, c->init, &s);
		if (s.send != c->send)
			fail_msg("case %zu: send %d (%s)", i, s.send, s.smtp);
		if (c->smtp && strcmp(s.smtp, c->smtp) != 0)
			fail_msg("case %zu: smtp \"%s\"", i, s.smtp);
		if (c->send)
			assert_string_equal(s.smtp, "");
	}
}

/* the 535 for a mechanism not offered: replay uses it too (it once named
 * the mechanism for every version, while 3.7.11 does not) */
static void test_pf_sasl_no_mech_reply(void **state)
{
	static const struct {
		const char *version, *mech, *want;
	} cases[] = {
		{ "3.7.11", "LOGIN", "535 5.7.8 Error: authentication failed: Invalid authentication "
		  "mechanism" },
		{ "3.9.14", "LOGIN", "535 5.7.8 Error: authentication failed: Invalid authentication "
		  "mechanism" },
		{ "3.10-20241110", "LOGIN", "535 5.7.8 Error: authentication failed: Invalid "
		  "authentication mechanism" },
		{ "3.10-20241111", "LOGIN", "535 5.7.8 Error: authentication failed: Invalid "
		  "authentication mechanism: 'LOGIN'" },
		{ "3.10.0", "x\001y", "535 5.7.8 Error: authentication failed: Invalid "
		  "authentication mechanism: 'x?y'" },
	};
	char small[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_version v = ver(cases[i].version);
		char buf[300];

		pf_sasl_no_mech_reply(&v, cases[i].mech, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", cases[i].version, buf, cases[i].want);
	}
	{
		struct pf_version v = ver("3.10.0");

		pf_sasl_no_mech_reply(&v, "LOGIN", small, sizeof(small));
		assert_string_equal(small, "535 5.7");
	}
}

static void test_pf_sasl_next(void **state)
{
	struct pf_version v37 = ver("3.7"), v33 = ver("3.3");
	struct pf_sasl_step s;
	char *big = malloc(20000);

	(void)state;
	assert_non_null(big);
	memset(big, 'A', 20000);
	pf_sasl_next(&v37, "*", 1, &s);
	assert_int_equal(s.send, 0);
	assert_int_equal(s.abandoned, 1);
	assert_string_equal(s.smtp, "501 5.7.0 Authentication aborted");
	pf_sasl_next(&v37, "*\0x", 3, &s);	/* strcmp sees "*" */
	assert_string_equal(s.smtp, "501 5.7.0 Authentication aborted");
	pf_sasl_next(&v37, "**", 2, &s);
	assert_string_equal(s.smtp, "535 5.7.8 Error: authentication failed: Invalid base64 data "
			    "in continued response");
	pf_sasl_next(&v37, "", 0, &s);
	assert_int_equal(s.send, 1);
	assert_int_equal(s.send_len, 0);
	pf_sasl_next(&v37, "YWxpY2U=", 8, &s);
	assert_int_equal(s.send, 1);
	pf_sasl_next(&v37, "YWxp Y2U=", 9, &s);
	assert_int_equal(s.send, 0);
	assert_int_equal(s.abandoned, 1);
	/* 12287 bytes plus the line end fit in the 12288-byte bound; 12288 do not */
	pf_sasl_next(&v37, big, PF_SASL_RESP_LIMIT - 1, &s);
	assert_int_equal(s.send, 1);
	assert_int_equal(s.send_len, PF_SASL_RESP_LIMIT - 1);
	pf_sasl_next(&v37, big, PF_SASL_RESP_LIMIT, &s);
	assert_int_equal(s.send, 0);
	assert_string_equal(s.smtp, "500 5.5.6 SASL response limit exceeded");
	/* before 3.4: cut to line_length_limit and sent */
	pf_sasl_next(&v33, big, 3000, &s);
	assert_int_equal(s.send, 1);
	assert_int_equal(s.send_len, PF_SASL_LINE_LIMIT);
	assert_non_null(strstr(s.note, "cut"));
	pf_sasl_next(&v33, big, 2047, &s);
	assert_int_equal(s.send_len, 2047);
	assert_string_equal(s.note, "");
	free(big);
}

static void test_pf_sasl_request_versions(void **state)
{
	static const struct {
		const char *version;
		int secured;
		const char *resp;
		const char *want;
	} cases[] = {
		{ "2.3", 1, NULL, "AUTH\t7\tplain\tservice=smtp\n" },
		{ "2.5-20080107", 1, NULL, "AUTH\t7\tplain\tservice=smtp\tnologin\n" },
		{ "2.6", 1, NULL,
		  "AUTH\t7\tplain\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.1\n" },
		{ "2.7", 1, "=",
		  "AUTH\t7\tplain\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.1\tsecured"
		  "\tresp==\n" },
		{ "3.7", 0, "AGFsaWNlAHNlY3JldA==",
		  "AUTH\t7\tplain\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.1"
		  "\tresp=AGFsaWNlAHNlY3JldA==\n" },
	};
	struct xbuf out, ref;
	size_t i;

	(void)state;
	xbuf_init(&out, 4096);
	xbuf_init(&ref, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_version v = ver(cases[i].version);

		xbuf_reset(&out);
		assert_int_equal(pf_auth_request_v(&out, &v, 7, "plain", "smtp", "127.0.0.1",
						   "192.0.2.1", cases[i].secured, cases[i].resp), 0);
		if (strcmp(xbuf_cstr(&out), cases[i].want) != 0)
			fail_msg("%s: got \"%s\"", cases[i].version, xbuf_cstr(&out));
	}
	/* 3.x: the same bytes as pf_auth_request */
	{
		struct pf_version v = ver("3.12");

		xbuf_reset(&out);
		assert_int_equal(pf_auth_request_v(&out, &v, 3, "LOGIN", "smtp", "", "::1", 1, NULL),
				 0);
		assert_int_equal(pf_auth_request(&ref, 3, "LOGIN", "smtp", "", "::1", 1, NULL), 0);
		assert_string_equal(xbuf_cstr(&out), xbuf_cstr(&ref));
		xbuf_reset(&out);
		assert_int_equal(pf_auth_request_v(&out, &v, 3, "A\tB", "smtp", "", "", 0, NULL), -1);
		assert_int_equal(out.len, 0);
	}
	xbuf_reset(&out);
	assert_int_equal(pf_auth_cont(&out, 9, ""), 0);
	assert_string_equal(xbuf_cstr(&out), "CONT\t9\t\n");
	xbuf_free(&out);
	xbuf_free(&ref);
}

static void test_pf_sasl_connect_failure(void **state)
{
	struct pf_auth_verdict o;

	(void)state;
	pf_auth_connect_failure(&o);
	assert_int_equal(o.outcome, PF_AUTH_TEMP);
	assert_string_equal(o.smtp, "454 4.7.0 Temporary authentication failure: Can't connect "
			    "to authentication server");
}

static void test_pf_sasl_dovecot_client(void **state)
{
	struct pf_dc_req r;
	struct xbuf out;

	(void)state;
	xbuf_init(&out, 4096);

	assert_int_equal(pf_dc_handshake(&out, 3, 4242), 0);
	assert_string_equal(xbuf_cstr(&out), "VERSION\t1\t3\nCPID\t4242\n");

	/* minor 2 (2.3): service=, final-resp-ok only on request */
	xbuf_reset(&out);
	pf_dc_init(&r, 2);
	r.flags = PF_DC_SECURED;
	r.session = "sess1";
	r.lip = "127.0.0.1";
	r.rip = "192.0.2.1";
	r.lport = 25;
	r.rport = 40000;
	assert_int_equal(pf_dc_auth(&out, &r, 1, "PLAIN", "AGE="), 0);
	assert_string_equal(xbuf_cstr(&out),
			    "AUTH\t1\tPLAIN\tservice=smtp\tsecured\tsession=sess1\tlip=127.0.0.1"
			    "\trip=192.0.2.1\tlport=25\trport=40000\tresp=AGE=\n");
	xbuf_reset(&out);
	r.flags |= PF_DC_FINAL_RESP;
	assert_int_equal(pf_dc_auth(&out, &r, 2, "PLAIN", NULL), 0);
	assert_non_null(strstr(xbuf_cstr(&out), "\tservice=smtp\tfinal-resp-ok\tsecured\t"));

	/* minor 3 (2.4): protocol=, final-resp-ok always, secured=tls, escaping */
	xbuf_reset(&out);
	pf_dc_init(&r, 3);
	r.service = "imap";
	r.flags = PF_DC_SECURED | PF_DC_SECURED_TLS | PF_DC_NO_PENALTY | PF_DC_VALID_CERT |
	    PF_DC_DEBUG;
	r.session = "a\tb";
	r.cert_username = "u";
	r.local_name = "mx.example";
	r.client_id = "";
	assert_int_equal(pf_dc_auth(&out, &r, 5, "SCRAM-SHA-256", NULL), 0);
	assert_string_equal(xbuf_cstr(&out),
			    "AUTH\t5\tSCRAM-SHA-256\tprotocol=imap\tfinal-resp-ok\tsecured=tls"
			    "\tno-penalty\tvalid-client-cert\tdebug\tsession=a\001tb"
			    "\tcert_username=u\tlocal_name=mx.example\n");

	/* CONT: channel binding only from minor 3 */
	xbuf_reset(&out);
	assert_int_equal(pf_dc_cont(&out, 2, 5, "YQ==", "Y2I="), 0);
	assert_string_equal(xbuf_cstr(&out), "CONT\t5\tYQ==\n");
	xbuf_reset(&out);
	assert_int_equal(pf_dc_cont(&out, 4, 5, "YQ==", "Y2I="), 0);
	assert_string_equal(xbuf_cstr(&out), "CONT\t5\tYQ==\tchannel_binding=Y2I=\n");
	xbuf_reset(&out);
	assert_int_equal(pf_dc_cont(&out, 4, 5, "a\tb", NULL), -1);
	assert_int_equal(out.len, 0);
	assert_int_equal(pf_dc_cancel(&out, 5), 0);
	assert_string_equal(xbuf_cstr(&out), "CANCEL\t5\n");
	xbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pf_sasl_secopts),
		cmocka_unit_test(test_pf_sasl_mech_filter),
		cmocka_unit_test(test_pf_sasl_offer),
		cmocka_unit_test(test_pf_sasl_conf_offer),
		cmocka_unit_test(test_pf_sasl_first),
		cmocka_unit_test(test_pf_sasl_no_mech_reply),
		cmocka_unit_test(test_pf_sasl_next),
		cmocka_unit_test(test_pf_sasl_request_versions),
		cmocka_unit_test(test_pf_sasl_connect_failure),
		cmocka_unit_test(test_pf_sasl_dovecot_client),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
