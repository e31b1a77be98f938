/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_pf_policy - the Postfix oracle for SMTPD policy delegation
 * DESCRIPTION
 *	Table-driven over protocols.md B.2 (attribute sets and order for
 *	2.1, 2.3, 3.0, 3.2, 3.7, 3.8, 3.12, and the request Postfix 3.7
 *	really sent, feasibility.md 3a), B.3/B.4 (reading a reply, the
 *	failure time) and B.5 (every action row with the exact SMTP reply,
 *	the sanitizing rules, version gates and the default action).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "harness/postfix/pf_policy.h"

static struct pf_version ver(const char *s)
{
	struct pf_version v;

	assert_int_equal(pf_version_parse(s, &v), 0);
	return v;
}

/* names - the attribute names of a request, space-separated */
static void names(const struct pf_pol_req *r, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? " " : "", r->a[i].name);

		assert_true(n > 0 && (size_t)n < size - used);
		used += (size_t)n;
	}
}

#define A21 "request protocol_state protocol_name client_address client_name helo_name " \
	"sender recipient queue_id instance"
#define A23_TAIL "etrn_domain"

static void test_pf_policy_attr_sets(void **state)
{
	static const struct {
		const char *version;
		const char *want;
	} cases[] = {
		{ "2.1", A21 },
		{ "2.3", "request protocol_state protocol_name client_address client_name "
		  "reverse_client_name helo_name sender recipient recipient_count queue_id instance "
		  "size etrn_domain sasl_method sasl_username sasl_sender ccert_subject ccert_issuer "
		  "ccert_fingerprint encryption_protocol encryption_cipher encryption_keysize" },
		{ "3.0", "request protocol_state protocol_name client_address client_name client_port "
		  "reverse_client_name helo_name sender recipient recipient_count queue_id instance "
		  "size etrn_domain stress sasl_method sasl_username sasl_sender ccert_subject "
		  "ccert_issuer ccert_fingerprint ccert_pubkey_fingerprint encryption_protocol "
		  "encryption_cipher encryption_keysize" },
		{ "3.2", "request protocol_state protocol_name client_address client_name client_port "
		  "reverse_client_name server_address server_port helo_name sender recipient "
		  "recipient_count queue_id instance size etrn_domain stress sasl_method "
		  "sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint "
		  "ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize "
		  "policy_context" },
		{ "3.7", "request protocol_state protocol_name client_address client_name client_port "
		  "reverse_client_name server_address server_port helo_name sender recipient "
		  "recipient_count queue_id instance size etrn_domain stress sasl_method "
		  "sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint "
		  "ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize "
		  "policy_context" },
		{ "3.8", "request protocol_state protocol_name client_address client_name client_port "
		  "reverse_client_name server_address server_port helo_name sender recipient "
		  "recipient_count queue_id instance size etrn_domain stress sasl_method "
		  "sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint "
		  "ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize "
		  "policy_context compatibility_level mail_version" },
		{ "3.12-20260715", "request protocol_state protocol_name client_address client_name "
		  "client_port reverse_client_name server_address server_port helo_name sender "
		  "recipient recipient_count queue_id instance size etrn_domain stress sasl_method "
		  "sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint "
		  "ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize "
		  "policy_context compatibility_level mail_version" },
		{ "3.12", "request protocol_state protocol_name client_address client_name client_port "
		  "reverse_client_name server_address server_port helo_name sender recipient "
		  "recipient_count queue_id instance size etrn_domain stress sasl_method "
		  "sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint "
		  "ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize "
		  "tls_sni policy_context compatibility_level mail_version" },
	};
	static struct pf_pol_req r;
	char got[2048];
	size_t i;

	(void)state;
	assert_int_equal(pf_pol_attr_count(), 32);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_version v = ver(cases[i].version);

		pf_pol_req_init(&r, &v, PF_POL_RCPT);
		names(&r, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s:\n got  %s\n want %s", cases[i].version, got, cases[i].want);
	}
	assert_int_equal(pf_pol_attr_find("tls_sni"), 28);
	assert_int_equal(pf_pol_attr_find("nosuch"), -1);
	assert_null(pf_pol_attr_at(32));
}

/* the request Postfix 3.7 sent at RCPT (feasibility.md 3a) */
static const char captured_37[] =
	"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
	"client_address=127.0.0.1\nclient_name=localhost\nclient_port=36952\n"
	"reverse_client_name=localhost\nserver_address=127.0.0.1\nserver_port=10025\n"
	"helo_name=client.test\nsender=alice@test.invalid\nrecipient=bob@example.com\n"
	"recipient_count=0\nqueue_id=\ninstance=419e.6b02af7b.eb52e.0\nsize=0\n"
	"etrn_domain=\nstress=\nsasl_method=PLAIN\nsasl_username=alice\nsasl_sender=\n"
	"ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n"
	"encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\npolicy_context=\n\n";

static void test_pf_policy_request_37(void **state)
{
	static struct pf_pol_req r;
	struct pf_version v = ver("3.7");
	struct xbuf out;
	const char *err = NULL;

	(void)state;
	pf_pol_req_init(&r, &v, PF_POL_RCPT);
	assert_int_equal(pf_pol_req_set(&r, "server_port", "10025"), 0);
	assert_int_equal(pf_pol_req_set(&r, "sender", "alice@test.invalid"), 0);
	assert_int_equal(pf_pol_req_set(&r, "recipient", "bob@example.com"), 0);
	assert_int_equal(pf_pol_req_set(&r, "sasl_method", "PLAIN"), 0);
	assert_int_equal(pf_pol_req_set(&r, "sasl_username", "alice"), 0);
	xbuf_init(&out, 1 << 16);
	assert_int_equal(pf_pol_req_format(&r, &out, &err), 0);
	assert_int_equal(out.len, sizeof(captured_37) - 1);
	assert_memory_equal(out.data, captured_37, out.len);
	xbuf_free(&out);
}

static void test_pf_policy_request_states(void **state)
{
	static const struct {
		const char *st;
		const char *helo, *sender, *rcpt, *count, *queue, *inst, *proto, *etrn, *size;
	} cases[] = {
		{ "CONNECT", "", "", "", "0", "", "", "SMTP", "", "0" },
		{ "HELO", "client.test", "", "", "0", "", "", "SMTP", "", "0" },
		{ "EHLO", "client.test", "", "", "0", "", "", "ESMTP", "", "0" },
		{ "MAIL", "client.test", "sender@test.invalid", "", "0", "", "419e.6b02af7b.eb52e.0",
		  "ESMTP", "", "0" },
		{ "RCPT", "client.test", "sender@test.invalid", "rcpt@example.com", "0", "",
		  "419e.6b02af7b.eb52e.0", "ESMTP", "", "0" },
		{ "DATA", "client.test", "sender@test.invalid", "rcpt@example.com", "1",
		  "ED5A9A722DC", "419e.6b02af7b.eb52e.0", "ESMTP", "", "0" },
		{ "END-OF-MESSAGE", "client.test", "sender@test.invalid", "rcpt@example.com", "1",
		  "ED5A9A722DC", "419e.6b02af7b.eb52e.0", "ESMTP", "", "312" },
		{ "VRFY", "client.test", "", "rcpt@example.com", "0", "", "", "ESMTP", "", "0" },
		{ "ETRN", "client.test", "", "", "0", "", "", "ESMTP", "example.com", "0" },
	};
	static struct pf_pol_req r;
	struct pf_version v = ver("3.8.4");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pf_pol_state st;

		assert_int_equal(pf_pol_state_parse(cases[i].st, &st), 0);
		assert_string_equal(pf_pol_state_name(st), cases[i].st);
		pf_pol_req_init(&r, &v, st);
		assert_string_equal(pf_pol_req_get(&r, "protocol_state"), cases[i].st);
		assert_string_equal(pf_pol_req_get(&r, "helo_name"), cases[i].helo);
		assert_string_equal(pf_pol_req_get(&r, "sender"), cases[i].sender);
		assert_string_equal(pf_pol_req_get(&r, "recipient"), cases[i].rcpt);
		assert_string_equal(pf_pol_req_get(&r, "recipient_count"), cases[i].count);
		assert_string_equal(pf_pol_req_get(&r, "queue_id"), cases[i].queue);
		assert_string_equal(pf_pol_req_get(&r, "instance"), cases[i].inst);
		assert_string_equal(pf_pol_req_get(&r, "protocol_name"), cases[i].proto);
		assert_string_equal(pf_pol_req_get(&r, "etrn_domain"), cases[i].etrn);
		assert_string_equal(pf_pol_req_get(&r, "size"), cases[i].size);
		assert_string_equal(pf_pol_req_get(&r, "mail_version"), "3.8.4");
	}
	{
		enum pf_pol_state st;

		assert_int_equal(pf_pol_state_parse("rcpt", &st), -1);
		assert_int_equal(pf_pol_state_parse("BDAT", &st), -1);
	}
	v = ver("3.12-20260821");
	pf_pol_req_init(&r, &v, PF_POL_RCPT);
	assert_string_equal(pf_pol_req_get(&r, "mail_version"), "3.12-20260821");
}

static void test_pf_policy_request_edit(void **state)
{
	static struct pf_pol_req r;
	struct pf_version v = ver("3.0");
	char got[2048];
	struct xbuf out;
	const char *err = NULL;

	(void)state;
	pf_pol_req_init(&r, &v, PF_POL_RCPT);
	/* a known attribute that 3.0 does not send goes to its Postfix place */
	assert_int_equal(pf_pol_req_set(&r, "server_port", "25"), 0);
	assert_int_equal(pf_pol_req_set(&r, "mail_version", "9.9"), 0);
	/* unknown names are appended in order */
	assert_int_equal(pf_pol_req_set(&r, "foo_bar", "1"), 0);
	assert_int_equal(pf_pol_req_set(&r, "zz", "a=b"), 0);
	assert_int_equal(pf_pol_req_delete(&r, "request"), 0);
	assert_int_equal(pf_pol_req_delete(&r, "request"), -1);
	assert_int_equal(pf_pol_req_delete(&r, "stress"), 0);
	assert_int_equal(pf_pol_req_set(&r, "bad=name", "x"), -1);
	assert_int_equal(pf_pol_req_set(&r, "", "x"), -1);
	names(&r, got, sizeof(got));
	assert_string_equal(got,
			    "protocol_state protocol_name client_address client_name client_port "
			    "reverse_client_name server_port helo_name sender recipient "
			    "recipient_count queue_id instance size etrn_domain sasl_method "
			    "sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint "
			    "ccert_pubkey_fingerprint encryption_protocol encryption_cipher "
			    "encryption_keysize mail_version foo_bar zz");
	xbuf_init(&out, 1 << 16);
	assert_int_equal(pf_pol_req_format(&r, &out, &err), 0);
	assert_non_null(strstr(xbuf_cstr(&out), "\nzz=a=b\n\n"));
	assert_int_equal(pf_pol_req_set(&r, "helo_name", "a\nb"), 0);
	xbuf_reset(&out);
	assert_int_equal(pf_pol_req_format(&r, &out, &err), -1);
	assert_int_equal(out.len, 0);
	assert_non_null(err);
	xbuf_free(&out);
}

static void test_pf_policy_instance(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(pf_pol_instance(buf, sizeof(buf), 0x419e, 0x6b02af7bUL, 0xeb52eUL, 0), 21);
	assert_string_equal(buf, "419e.6b02af7b.eb52e.0");
	assert_int_equal(pf_pol_instance(buf, 8, 0x419e, 0x6b02af7bUL, 0xeb52eUL, 0), -1);
}

struct rd_case {
	const char *name;
	const char *in;
	size_t len;		/* 0: strlen */
	int end;
	int smtputf8;
	int want_rc;
	int want_ok;
	const char *action;	/* when ok */
	const char *why;	/* substring of rd.why, when decided and not ok */
	size_t trailing;
	int crlf;
};

static void test_pf_policy_read(void **state)
{
	static const struct rd_case cases[] = {
		{ "plain", "action=DUNNO\n\n", 0, 0, 1, 1, 1, "DUNNO", NULL, 0, 0 },
		{ "need more", "action=DUNNO\n", 0, 0, 1, 0, 0, NULL, NULL, 0, 0 },
		{ "nothing yet", "", 0, 0, 1, 0, 0, NULL, NULL, 0, 0 },
		{ "EOF before any byte", "", 0, PF_POL_END_EOF, 1, 1, 0, NULL, "without replying", 0, 0 },
		{ "timeout before any byte", "", 0, PF_POL_END_TIMEOUT, 1, 1, 0, NULL, "timeout", 0, 0 },
		{ "EOF before terminator", "action=DUNNO\n", 0, PF_POL_END_EOF, 1, 1, 0, NULL,
		  "premature end-of-input", 0, 0 },
		{ "EOF mid-line", "action=DU", 0, PF_POL_END_EOF, 1, 1, 0, NULL,
		  "premature end-of-input", 0, 0 },
		{ "unknown before and after", "foo=1\naction=OK\nbar=2\n\n", 0, 0, 1, 1, 1, "OK", NULL,
		  0, 0 },
		{ "second action skipped", "action=REJECT\naction=OK\n\n", 0, 0, 1, 1, 1, "REJECT",
		  NULL, 0, 0 },
		{ "names are case-sensitive", "Action=OK\n\n", 0, 0, 1, 1, 0, NULL,
		  "missing attribute action", 0, 0 },
		{ "bare terminator", "\n", 0, 0, 1, 1, 0, NULL, "missing attribute action", 0, 0 },
		{ "action without =", "action\n\n", 0, 0, 1, 1, 0, NULL,
		  "missing value for string attribute action", 0, 0 },
		{ "empty action received", "action=\n\n", 0, 0, 1, 1, 1, "", NULL, 0, 0 },
		{ "CR kept", "action=DUNNO\r\n\n", 0, 0, 1, 1, 1, "DUNNO\r", NULL, 0, 0 },
		{ "CRLF never terminates", "action=DUNNO\r\n\r\n", 0, 0, 1, 0, 0, NULL, NULL, 0, 0 },
		{ "CRLF then timeout", "action=DUNNO\r\n\r\n", 0, PF_POL_END_TIMEOUT, 1, 1, 0, NULL,
		  "CR LF", 0, 1 },
		{ "extra empty line", "action=OK\n\n\n", 0, 0, 1, 1, 1, "OK", NULL, 1, 0 },
		{ "trailing bytes", "action=OK\n\nxyz", 0, 0, 1, 1, 1, "OK", NULL, 3, 0 },
		{ "NUL cuts", "action=OK\0junk\n\n", 16, 0, 1, 1, 1, "OK", NULL, 0, 0 },
		{ "bad UTF-8 with smtputf8", "action=REJECT \xff\n\n", 0, 0, 1, 1, 0, NULL,
		  "malformed UTF-8", 0, 0 },
		{ "bad UTF-8 without smtputf8", "action=REJECT \xff\n\n", 0, 0, 0, 1, 1,
		  "REJECT \xff", NULL, 0, 0 },
		{ "good UTF-8", "action=REJECT \xc3\xa9t\xc3\xa9\n\n", 0, 0, 1, 1, 1,
		  "REJECT \xc3\xa9t\xc3\xa9", NULL, 0, 0 },
		{ "over-long UTF-8", "action=REJECT \xc0\xaf\n\n", 0, 0, 1, 1, 0, NULL,
		  "malformed UTF-8", 0, 0 },
		{ "surrogate UTF-8", "action=REJECT \xed\xa0\x80\n\n", 0, 0, 1, 1, 0, NULL,
		  "malformed UTF-8", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rd_case *c = &cases[i];
		struct pf_pol_read rd;
		size_t len = c->len ? c->len : strlen(c->in);
		int rc = pf_pol_read_reply(c->in, len, c->end, c->smtputf8, &rd);

		if (rc != c->want_rc)
			fail_msg("%s: rc %d, want %d", c->name, rc, c->want_rc);
		if (rc == 0)
			continue;
		if (rd.ok != c->want_ok)
			fail_msg("%s: ok %d, want %d (why: %s)", c->name, rd.ok, c->want_ok, rd.why);
		if (rd.ok && (rd.action.len != strlen(c->action) ||
			      memcmp(rd.action.p, c->action, rd.action.len) != 0))
			fail_msg("%s: action \"%.*s\"", c->name, (int)rd.action.len, rd.action.p);
		if (c->why && strstr(rd.why, c->why) == NULL)
			fail_msg("%s: why \"%s\", want \"%s\"", c->name, rd.why, c->why);
		if (rd.trailing != c->trailing)
			fail_msg("%s: trailing %zu", c->name, rd.trailing);
		if (rd.crlf != c->crlf)
			fail_msg("%s: crlf %d", c->name, rd.crlf);
	}
}

/* pf_pol_valid_utf8: what valid_utf8_action() lets through (smtputf8_enable) */
static void test_pf_policy_valid_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int want;
	} cases[] = {
		{ "REJECT plain", 12, 1 },
		{ "", 0, 1 },
		{ "REJECT caf\xc3\xa9", 12, 1 },		/* UTF-8 e-acute */
		{ "REJECT caf\xe9", 11, 0 },		/* Latin-1 e-acute */
		{ "x\xe2\x82", 3, 0 },			/* a sequence cut short */
		{ "\xc0\xaf", 2, 0 },			/* overlong "/" */
		{ "\xed\xa0\x80", 3, 0 },		/* a surrogate */
		{ "\xf0\x9f\x98\x80 ok", 7, 1 },	/* four bytes */
		{ "bad\x01text", 8, 1 },		/* control bytes are UTF-8 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pf_pol_valid_utf8(cases[i].in, cases[i].len) != cases[i].want)
			fail_msg("case %zu: want %d", i, cases[i].want);
}

static void test_pf_policy_failure_time(void **state)
{
	struct pf_pol_params p;

	(void)state;
	pf_pol_params_init(&p);
	assert_string_equal(p.default_action, "451 4.3.5 Server configuration problem");
	/* silent server: 2 tries x 100 s + 1 s between them */
	assert_int_equal(pf_pol_failure_ms(&p, PF_POL_FAIL_TIMEOUT), 201000);
	/* refused or malformed: only the retry delay */
	assert_int_equal(pf_pol_failure_ms(&p, PF_POL_FAIL_FAST), 1000);
	p.try_limit = 1;
	assert_int_equal(pf_pol_failure_ms(&p, PF_POL_FAIL_FAST), 0);
	assert_int_equal(pf_pol_failure_ms(&p, PF_POL_FAIL_TIMEOUT), 100000);
	p.try_limit = 3;
	p.timeout_ms = 10000;
	p.retry_ms = 2000;
	assert_int_equal(pf_pol_failure_ms(&p, PF_POL_FAIL_TIMEOUT), 34000);
	p.try_limit = 0;
	assert_true(pf_pol_failure_ms(&p, PF_POL_FAIL_FAST) == ULONG_MAX);
}

struct ev_case {
	const char *name;
	const char *version;	/* NULL: 3.7 */
	const char *st;		/* protocol_state; NULL: RCPT */
	const char *action;
	enum pf_pol_kind kind;
	const char *smtp;	/* exact reply for REJECT/CONFIG_ERROR */
	unsigned effects;
	const char *arg;	/* FILTER/REDIRECT/BCC/PREPEND text */
	const char *note;	/* substring of notes */
};

#define R "<rcpt@example.com>: Recipient address rejected: "

static const struct ev_case ev_cases[] = {
	{ "DUNNO", NULL, NULL, "DUNNO", PF_POL_DUNNO, NULL, 0, NULL, NULL },
	{ "dunno with text", NULL, NULL, "dunno whatever", PF_POL_DUNNO, NULL, 0, NULL, NULL },
	{ "OK", NULL, NULL, "OK", PF_POL_PERMIT, NULL, 0, NULL, NULL },
	{ "ok lowercase with text", NULL, NULL, "ok fine", PF_POL_PERMIT, NULL, 0, NULL, NULL },
	{ "RELAY", NULL, NULL, "RELAY", PF_POL_PERMIT, NULL, 0, NULL, NULL },
	{ "all digits = OK", NULL, NULL, "550", PF_POL_PERMIT, NULL, 0, NULL, "all-digit" },
	{ "REJECT", NULL, NULL, "REJECT", PF_POL_REJECT, "554 5.7.1 " R "Access denied", 0, NULL,
	  NULL },
	{ "REJECT text", NULL, NULL, "REJECT policy says no", PF_POL_REJECT,
	  "554 5.7.1 " R "policy says no", 0, NULL, NULL },
	{ "REJECT dsn text", NULL, NULL, "REJECT 5.7.9 go away", PF_POL_REJECT,
	  "554 5.7.9 " R "go away", 0, NULL, NULL },
	{ "REJECT 4.x dsn forced to 5", NULL, NULL, "reject 4.7.9 go", PF_POL_REJECT,
	  "554 5.7.9 " R "go", 0, NULL, NULL },
	{ "REJECT sender dsn mapped for a recipient", NULL, NULL, "REJECT 5.1.7 bad", PF_POL_REJECT,
	  "554 5.1.3 " R "bad", 0, NULL, "mapping DSN status" },
	{ "DEFER", NULL, NULL, "DEFER", PF_POL_REJECT, "450 4.7.1 " R "Access denied", 0, NULL,
	  NULL },
	{ "DEFER text", NULL, NULL, "DEFER later", PF_POL_REJECT, "450 4.7.1 " R "later", 0, NULL,
	  NULL },
	{ "DEFER before 2.6 is the defer restriction", "2.5", NULL, "DEFER later", PF_POL_REJECT,
	  "450 4.3.2 " R "Try again later", 0, NULL, NULL },
	{ "450 text", NULL, NULL, "450 not now", PF_POL_REJECT, "450 4.7.1 " R "not now", 0, NULL,
	  NULL },
	{ "450 5.1.1: DSN class follows the code", NULL, NULL, "450 5.1.1 no such user",
	  PF_POL_REJECT, "450 4.1.1 " R "no such user", 0, NULL, NULL },
	{ "550 text", NULL, NULL, "550 5.7.1 blocked", PF_POL_REJECT, "550 5.7.1 " R "blocked", 0,
	  NULL, NULL },
	{ "521 disconnect", NULL, NULL, "521 bye", PF_POL_REJECT, "521 5.7.1 " R "bye", 0, NULL,
	  NULL },
	{ "421 disconnect", NULL, NULL, "421 4.3.2 shutting down", PF_POL_REJECT,
	  "421 4.3.2 " R "shutting down", 0, NULL, NULL },
	{ "450 alone is all digits: OK", NULL, NULL, "450", PF_POL_PERMIT, NULL, 0, NULL, NULL },
	{ "450 and a space: unknown restriction", NULL, NULL, "450 ", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "unknown smtpd restriction" },
	{ "600 text: unknown restriction", NULL, NULL, "600 text", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "\"600\"" },
	{ "399 text: unknown restriction", NULL, NULL, "399 text", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, NULL },
	{ "unknown word", NULL, NULL, "FOO", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "unknown smtpd restriction" },
	{ "leading space", NULL, NULL, " OK", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "\"OK\"" },
	{ "trailing CR", NULL, NULL, "DUNNO\r", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "unknown smtpd restriction" },
	{ "value with ':'", NULL, NULL, "hash:/etc/postfix/x", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "lookup table" },
	{ "empty action = OK", NULL, NULL, "", PF_POL_PERMIT, NULL, 0, NULL, "empty value" },
	{ "blanks only = OK", NULL, NULL, " \t ", PF_POL_PERMIT, NULL, 0, NULL, "empty value" },
	{ "restriction permit", NULL, NULL, "permit", PF_POL_PERMIT, NULL, 0, NULL, NULL },
	{ "restriction reject", NULL, NULL, "reject", PF_POL_REJECT, "554 5.7.1 " R "Access denied",
	  0, NULL, NULL },
	{ "lowercase defer is the DEFER keyword", NULL, NULL, "defer", PF_POL_REJECT,
	  "450 4.7.1 " R "Access denied", 0, NULL, NULL },
	{ "restriction defer in a list", NULL, NULL, "permit_mynetworks defer", PF_POL_REJECT,
	  "450 4.3.2 " R "Try again later", 0, NULL, NULL },
	{ "reject_unauth_destination", NULL, NULL, "reject_unauth_destination", PF_POL_REJECT,
	  "554 5.7.1 <rcpt@example.com>: Relay access denied", 0, NULL, NULL },
	{ "defer_unauth_destination", NULL, NULL, "defer_unauth_destination", PF_POL_REJECT,
	  "454 4.7.1 <rcpt@example.com>: Relay access denied", 0, NULL, NULL },
	{ "reject_unauth_destination at MAIL: no recipient", NULL, "MAIL",
	  "reject_unauth_destination", PF_POL_DUNNO, NULL, 0, NULL, NULL },
	{ "list: permit_mynetworks (no), reject", NULL, NULL, "permit_mynetworks, reject",
	  PF_POL_REJECT, "554 5.7.1 " R "Access denied", 0, NULL, NULL },
	{ "list: unmodelled", NULL, NULL, "reject_rbl_client zen.example", PF_POL_UNMODELLED, NULL,
	  0, NULL, "does not model" },
	{ "warn_if_reject reject", NULL, NULL, "warn_if_reject reject", PF_POL_DUNNO, NULL, 0, NULL,
	  "reject_warning: 554 5.7.1" },
	{ "warn_if_reject cannot soften an unknown name", NULL, NULL, "warn_if_reject FOO",
	  PF_POL_CONFIG_ERROR, "451 4.3.5 Server configuration error", 0, NULL, NULL },
	{ "defer_if_reject then reject", NULL, NULL, "defer_if_reject, reject", PF_POL_REJECT,
	  "450 4.7.0 " R "defer_if_reject requested", 0, NULL, NULL },
	{ "sleep without number", NULL, NULL, "sleep", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, NULL },
	{ "permit then more", NULL, NULL, "permit reject", PF_POL_PERMIT, NULL, 0, NULL,
	  "after `permit' is ignored" },
	{ "restriction defer_if_permit", NULL, NULL, "permit_mynetworks defer_if_permit",
	  PF_POL_DUNNO, NULL, PF_POL_FX_DEFER_IF_PERMIT, NULL, NULL },
	{ "warn_if_reject defer_if_permit", NULL, NULL, "warn_if_reject defer_if_permit",
	  PF_POL_DUNNO, NULL, 0, NULL, "reject_warning: 450 4.7.0" },
	{ "DEFER_IF_PERMIT keyword, no text", NULL, NULL,
	  "DEFER_IF_PERMIT", PF_POL_DUNNO, NULL, PF_POL_FX_DEFER_IF_PERMIT, NULL, NULL },
	{ "defer_if_permit and defer_if_reject both pend", NULL, NULL,
	  "defer_if_permit, defer_if_reject, reject", PF_POL_DUNNO, NULL,
	  PF_POL_FX_DEFER_IF_PERMIT | PF_POL_FX_DEFER_IF_REJECT, NULL, NULL },
	{ "permit_auth_destination (not relayable): continue", NULL, NULL,
	  "permit_auth_destination", PF_POL_DUNNO, NULL, 0, NULL, NULL },
	{ "check_policy_service without server", NULL, NULL, "check_policy_service",
	  PF_POL_CONFIG_ERROR, "451 4.3.5 Server configuration error", 0, NULL,
	  "transport:server" },
	{ "check_policy_service with server: the ':' check comes first", NULL, NULL,
	  "check_policy_service inet:127.0.0.1:9998", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "lookup table" },
	{ "restriction list in braces", NULL, NULL, "{ reject }", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, "unknown smtpd restriction" },
	{ "sleep 0 then reject", NULL, NULL, "sleep 0 reject", PF_POL_REJECT,
	  "554 5.7.1 " R "Access denied", 0, NULL, "sleeps 0" },
	{ "HANGUP", NULL, NULL, "HANGUP", PF_POL_HANGUP, NULL, 0, NULL, "hangup" },
	{ "HANGUP before 3.0", "2.11", NULL, "HANGUP", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, NULL },
	{ "INFO", NULL, NULL, "INFO hello", PF_POL_DUNNO, NULL, PF_POL_FX_INFO, NULL, "info: hello" },
	{ "INFO before 3.0", "2.11", NULL, "INFO hello", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, NULL },
	{ "WARN", "2.1", NULL, "WARN careful", PF_POL_DUNNO, NULL, PF_POL_FX_INFO, NULL,
	  "warn: careful" },
	{ "FILTER", NULL, NULL, "FILTER smtp:[127.0.0.1]:10025", PF_POL_DUNNO, NULL,
	  PF_POL_FX_FILTER, "smtp:[127.0.0.1]:10025", NULL },
	{ "FILTER without ':'", NULL, NULL, "FILTER smtp", PF_POL_DUNNO, NULL, 0, NULL,
	  "transport:destination" },
	{ "FILTER without value", NULL, NULL, "FILTER", PF_POL_DUNNO, NULL, 0, NULL,
	  "without value" },
	{ "FILTER at ETRN", NULL, "ETRN", "FILTER smtp:x", PF_POL_DUNNO, NULL, 0, NULL,
	  "unavailable in smtpd_etrn_restrictions" },
	{ "HOLD", NULL, NULL, "HOLD", PF_POL_DUNNO, NULL, PF_POL_FX_HOLD, NULL,
	  "triggers HOLD action" },
	{ "HOLD before MAIL", NULL, "CONNECT", "HOLD", PF_POL_DUNNO, NULL, 0, NULL,
	  "always skipped" },
	{ "DISCARD", NULL, NULL, "DISCARD", PF_POL_PERMIT, NULL, PF_POL_FX_DISCARD, NULL, NULL },
	{ "REDIRECT", NULL, NULL, "REDIRECT a@b.example", PF_POL_DUNNO, NULL, PF_POL_FX_REDIRECT,
	  "a@b.example", NULL },
	{ "REDIRECT without '@'", NULL, NULL, "REDIRECT ab", PF_POL_DUNNO, NULL, 0, NULL,
	  "user@domain" },
	{ "BCC", NULL, NULL, "BCC a@b.example", PF_POL_DUNNO, NULL, PF_POL_FX_BCC, "a@b.example",
	  NULL },
	{ "BCC without '@'", NULL, NULL, "BCC ab", PF_POL_DUNNO, NULL, 0, NULL, "user@domain" },
	{ "BCC before 3.0", "2.11", NULL, "BCC a@b.example", PF_POL_CONFIG_ERROR,
	  "451 4.3.5 Server configuration error", 0, NULL, NULL },
	{ "DEFER_IF_PERMIT", NULL, NULL, "DEFER_IF_PERMIT", PF_POL_DUNNO, NULL,
	  PF_POL_FX_DEFER_IF_PERMIT, NULL, NULL },
	{ "DEFER_IF_REJECT", NULL, NULL, "DEFER_IF_REJECT maybe", PF_POL_DUNNO, NULL,
	  PF_POL_FX_DEFER_IF_REJECT, NULL, NULL },
	{ "PREPEND", NULL, NULL, "PREPEND X-Policy: yes", PF_POL_DUNNO, NULL, PF_POL_FX_PREPEND,
	  "X-Policy: yes", NULL },
	{ "PREPEND invalid header", NULL, NULL, "PREPEND no header", PF_POL_DUNNO, NULL, 0, NULL,
	  "header: text" },
	{ "PREPEND at END-OF-MESSAGE", NULL, "END-OF-MESSAGE", "PREPEND X-A: b", PF_POL_DUNNO, NULL,
	  0, NULL, "must be used before" },
	{ "non-printable text becomes space", NULL, NULL, "REJECT a\x01" "b\x7f" "c",
	  PF_POL_REJECT, "554 5.7.1 " R "a b c", 0, NULL, NULL },
	{ "UTF-8 text kept with smtputf8", NULL, NULL, "REJECT caf\xc3\xa9", PF_POL_REJECT,
	  "554 5.7.1 " R "caf\xc3\xa9", 0, NULL, NULL },
	{ "UTF-8 text without smtputf8 (2.11)", "2.11", NULL, "REJECT caf\xc3\xa9", PF_POL_REJECT,
	  "554 5.7.1 " R "caf  ", 0, NULL, NULL },
	{ "CONNECT reply name", NULL, "CONNECT", "REJECT no", PF_POL_REJECT,
	  "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: no", 0, NULL, NULL },
	{ "HELO reply name", NULL, "EHLO", "REJECT no", PF_POL_REJECT,
	  "554 5.7.1 <client.test>: Helo command rejected: no", 0, NULL, NULL },
	{ "MAIL reply name", NULL, "MAIL", "REJECT no", PF_POL_REJECT,
	  "554 5.7.1 <sender@test.invalid>: Sender address rejected: no", 0, NULL, NULL },
	{ "MAIL dsn mapped for a sender", NULL, "MAIL", "REJECT 5.1.1 no", PF_POL_REJECT,
	  "554 5.1.7 <sender@test.invalid>: Sender address rejected: no", 0, NULL, NULL },
	{ "DATA reply name", NULL, "DATA", "REJECT no", PF_POL_REJECT,
	  "554 5.7.1 <DATA>: Data command rejected: no", 0, NULL, NULL },
	{ "DATA address dsn becomes 5.0.0", NULL, "DATA", "REJECT 5.1.1 no", PF_POL_REJECT,
	  "554 5.0.0 <DATA>: Data command rejected: no", 0, NULL, NULL },
	{ "END-OF-MESSAGE reply name", NULL, "END-OF-MESSAGE", "DEFER no", PF_POL_REJECT,
	  "450 4.7.1 <END-OF-MESSAGE>: End-of-data rejected: no", 0, NULL, NULL },
	{ "ETRN reply name", NULL, "ETRN", "REJECT no", PF_POL_REJECT,
	  "554 5.7.1 <example.com>: Etrn command rejected: no", 0, NULL, NULL },
	{ "NUL cuts the action", NULL, NULL, "OK", PF_POL_PERMIT, NULL, 0, NULL, NULL },
};

static void check_verdict(const struct ev_case *c, const struct pf_pol_verdict *o)
{
	if (o->kind != c->kind)
		fail_msg("%s: kind %s, want %s (smtp \"%s\", notes \"%s\")", c->name,
			 pf_pol_kind_name(o->kind), pf_pol_kind_name(c->kind), o->smtp, o->notes);
	if (c->smtp && strcmp(o->smtp, c->smtp) != 0)
		fail_msg("%s: smtp\n got  \"%s\"\n want \"%s\"", c->name, o->smtp, c->smtp);
	if (!c->smtp && o->smtp[0] != '\0')
		fail_msg("%s: unexpected smtp \"%s\"", c->name, o->smtp);
	if (o->effects != c->effects)
		fail_msg("%s: effects 0x%x, want 0x%x", c->name, o->effects, c->effects);
	if (c->arg && strcmp(o->arg, c->arg) != 0)
		fail_msg("%s: arg \"%s\"", c->name, o->arg);
	if (c->note && strstr(o->notes, c->note) == NULL)
		fail_msg("%s: notes \"%s\" lack \"%s\"", c->name, o->notes, c->note);
}

static void test_pf_policy_eval(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ev_cases) / sizeof(ev_cases[0]); i++) {
		const struct ev_case *c = &ev_cases[i];
		struct pf_version v = ver(c->version ? c->version : "3.7");
		enum pf_pol_state st = PF_POL_RCPT;
		struct pf_pol_ctx ctx;
		struct pf_pol_verdict o;

		if (c->st)
			assert_int_equal(pf_pol_state_parse(c->st, &st), 0);
		pf_pol_ctx_init(&ctx, &v, st);
		pf_pol_eval(&ctx, c->action, strlen(c->action), &o);
		check_verdict(c, &o);
	}
}

static void test_pf_policy_eval_details(void **state)
{
	struct pf_version v = ver("3.7");
	struct pf_pol_ctx ctx;
	struct pf_pol_verdict o;
	static char big[7 + 10000 + 1];
	size_t i;

	(void)state;
	pf_pol_ctx_init(&ctx, &v, PF_POL_RCPT);

	/* NUL: Postfix sees "REJECT" */
	pf_pol_eval(&ctx, "REJECT\0junk", 11, &o);
	assert_string_equal(o.smtp, "554 5.7.1 " R "Access denied");
	assert_non_null(strstr(o.notes, "NUL"));

	/*
	 * The reply goes out whole: vstring_truncate(error_text, 510) writes
	 * no NUL. Postfix 3.7.11 sent a 10,058-byte line for a 10,000-byte text.
	 */
	memcpy(big, "REJECT ", 7);
	for (i = 7; i < sizeof(big) - 1; i++)
		big[i] = 'x';
	big[sizeof(big) - 1] = '\0';
	pf_pol_eval(&ctx, big, strlen(big), &o);
	assert_int_equal(strlen(o.smtp), 10 + strlen(R) + strlen(big) - 7);
	assert_memory_equal(o.smtp, "554 5.7.1 " R "xxx", 10 + strlen(R) + 3);
	assert_non_null(strstr(o.notes, "RFC 5321"));
	pf_pol_eval(&ctx, "DEFER_IF_PERMIT 4.7.1 long", 26, &o);
	assert_null(strstr(o.notes, "RFC 5321"));

	/* 421 and 521 disconnect; 450 does not */
	pf_pol_eval(&ctx, "421 bye", 7, &o);
	assert_int_equal(o.disconnect, 1);
	pf_pol_eval(&ctx, "450 bye", 7, &o);
	assert_int_equal(o.disconnect, 0);

	/* an access_map code outside 400..599 becomes 450 4.7.1 Service unavailable */
	ctx.codes.access_map_reject = 250;
	pf_pol_eval(&ctx, "REJECT no", 9, &o);
	assert_string_equal(o.smtp, "450 4.7.1 Service unavailable");
	assert_non_null(strstr(o.notes, "SMTP reply code configuration error"));
	ctx.codes.access_map_reject = 554;

	/* soft_bounce turns 5xx into 4xx, DSN included */
	ctx.soft_bounce = 1;
	pf_pol_eval(&ctx, "REJECT no", 9, &o);
	assert_string_equal(o.smtp, "454 4.7.1 " R "no");
	ctx.soft_bounce = 0;

	/* pending DEFER_IF_PERMIT text */
	pf_pol_eval(&ctx, "DEFER_IF_PERMIT 4.7.2 later", 27, &o);
	assert_string_equal(o.pending, "450 4.7.2 " R "later");
	pf_pol_eval(&ctx, "DEFER_IF_PERMIT 5.7.2 a\001b", 25, &o);
	assert_string_equal(o.pending, "450 4.7.2 " R "a b");
	pf_pol_eval(&ctx, "DEFER_IF_REJECT", 15, &o);
	assert_string_equal(o.pending, "450 4.7.1 " R "Service unavailable");

	/* permit_* from the context */
	ctx.sasl_user = "alice";
	pf_pol_eval(&ctx, "permit_sasl_authenticated, reject", 33, &o);
	assert_int_equal(o.kind, PF_POL_PERMIT);
	ctx.sasl_user = "";
	pf_pol_eval(&ctx, "permit_sasl_authenticated, reject", 33, &o);
	assert_int_equal(o.kind, PF_POL_REJECT);
	ctx.relay_ok = 1;
	pf_pol_eval(&ctx, "reject_unauth_destination", 25, &o);
	assert_int_equal(o.kind, PF_POL_DUNNO);
	pf_pol_eval(&ctx, "reject_plaintext_session", 24, &o);
	assert_string_equal(o.smtp, "450 4.7.1 Session encryption is required");

	/* an explicit reply name and class (smtpd_delay_reject=yes: client list at RCPT) */
	ctx.stage = PF_POL_STAGE_CLIENT;
	pf_pol_eval(&ctx, "REJECT", 6, &o);
	assert_string_equal(o.smtp, "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: "
			    "Access denied");
	ctx.reply_name = "unknown[192.0.2.1]";
	pf_pol_eval(&ctx, "REJECT", 6, &o);
	assert_string_equal(o.smtp, "554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: "
			    "Access denied");
}

static void test_pf_policy_default_action(void **state)
{
	struct pf_version v = ver("3.7");
	struct pf_pol_ctx ctx;
	struct pf_pol_verdict o;

	(void)state;
	pf_pol_ctx_init(&ctx, &v, PF_POL_RCPT);
	pf_pol_eval_failure(&ctx, NULL, &o);
	assert_int_equal(o.kind, PF_POL_REJECT);
	assert_string_equal(o.smtp, "451 4.3.5 " R "Server configuration problem");
	assert_non_null(strstr(o.notes, "policy request failed"));
	pf_pol_eval_failure(&ctx, "DUNNO", &o);
	assert_int_equal(o.kind, PF_POL_DUNNO);
	pf_pol_eval_failure(&ctx, "DEFER_IF_PERMIT policy down", &o);
	assert_int_equal(o.kind, PF_POL_DUNNO);
	assert_string_equal(o.pending, "450 4.7.1 " R "policy down");
}

/* restriction classes: a class's list runs where its name stands */
static void test_pf_policy_classes(void **state)
{
	static const struct pf_pol_class cls[] = {
		{ "strict", "reject_unauth_destination, defer" },
		{ "open", "permit" },
		{ "none", "warn_if_reject, reject" },
	};
	static const struct {
		const char *action;
		enum pf_pol_kind kind;
		const char *smtp;
	} cases[] = {
		{ "strict", PF_POL_REJECT, "450 4.3.2 " R "Try again later" },
		{ "open", PF_POL_PERMIT, "" },
		{ "none", PF_POL_DUNNO, "" },
		{ "none, open", PF_POL_PERMIT, "" },
		{ "none, strict", PF_POL_REJECT, "450 4.3.2 " R "Try again later" },
		{ "STRICT", PF_POL_CONFIG_ERROR, "451 4.3.5 Server configuration error" },
	};
	struct pf_version v = ver("3.7");
	struct pf_pol_ctx ctx;
	struct pf_pol_verdict o;
	size_t i;

	(void)state;
	pf_pol_ctx_init(&ctx, &v, PF_POL_RCPT);
	ctx.relay_ok = 1;
	ctx.classes = cls;
	ctx.nclasses = sizeof(cls) / sizeof(cls[0]);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pf_pol_eval(&ctx, cases[i].action, strlen(cases[i].action), &o);
		if (o.kind != cases[i].kind || strcmp(o.smtp, cases[i].smtp) != 0)
			fail_msg("%s: kind %d smtp \"%s\" (%s)", cases[i].action, (int)o.kind, o.smtp,
				 o.notes);
	}
	/* without the class definitions the name is an unknown restriction */
	ctx.nclasses = 0;
	pf_pol_eval(&ctx, "strict", 6, &o);
	assert_int_equal(o.kind, PF_POL_CONFIG_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pf_policy_attr_sets),
		cmocka_unit_test(test_pf_policy_request_37),
		cmocka_unit_test(test_pf_policy_request_states),
		cmocka_unit_test(test_pf_policy_request_edit),
		cmocka_unit_test(test_pf_policy_instance),
		cmocka_unit_test(test_pf_policy_read),
		cmocka_unit_test(test_pf_policy_valid_utf8),
		cmocka_unit_test(test_pf_policy_failure_time),
		cmocka_unit_test(test_pf_policy_eval),
		cmocka_unit_test(test_pf_policy_eval_details),
		cmocka_unit_test(test_pf_policy_default_action),
		cmocka_unit_test(test_pf_policy_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
