/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_record - what the record proxy writes for the lines it sees
 * DESCRIPTION
 *	recorder_line() is pure: each table row feeds a conversation and
 *	compares the transcript text; the last test parses every output
 *	back with the transcript parser, so a recording is always a valid
 *	transcript; the regression tests feed what used to give recordings
 *	that do not parse (long or binary lines, a user with a blank, client
 *	bytes without LF) and check what they parse back to; an auth
 *	helper's last bytes without LF are an S: line, a policy helper's a
 *	comment only. Credentials:
 *	with a recorder_creds table (fake-smtpd record's default) PLAIN and
 *	LOGIN exchanges, whether the credentials come in resp= or in CONT
 *	rounds, hold no password and no base64 of one; they parse, and
 *	expand with -D values to the bytes that passed; each user has its
 *	own variables, and each other password of a user one more; what is
 *	no credential passes as it was; raw mode writes the bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness/record/recorder.h"
#include "harness/script/transcript.h"

struct rec_case {
	const char *name;
	const char *lines[12];	/* "C..." or "S...": direction, then the line */
	const char *want;
};

static const struct rec_case rec_cases[] = {
	{ "auth handshake and PLAIN",
	  { "CVERSION\t1\t0", "CCPID\t4242", "SVERSION\t1\t2", "SMECH\tPLAIN\tplaintext", "SSPID\t77",
	    "SCUID\t9", "SCOOKIE\tabcdef", "SDONE",
	    "CAUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp=AHUAcA==", "SOK\t5\tuser=u", NULL },
	  "protocol auth\nC: VERSION\\t1\\t0\nC: CPID\\t{pid}\nS: VERSION\\t1\\t2\n"
	  "S: MECH\\tPLAIN\\tplaintext\nS: SPID\\t*\nS: CUID\\t*\nS: COOKIE\\t*\nS: DONE\n"
	  "C: AUTH\\t{id}\\tPLAIN\\tservice=smtp\\tnologin\\tlip=\\trip=\\tresp=AHUAcA==\n"
	  "S: OK\\t{id}\\tuser=u\n" },
	{ "LOGIN rounds, a reply with another id stays literal",
	  { "CAUTH\t3\tLOGIN\tservice=smtp", "SCONT\t3\tVXNlcm5hbWU6", "CCONT\t3\tdQ==",
	    "SFAIL\t9\tx", "SFAIL\t3\treason=no *", NULL },
	  "protocol auth\nC: AUTH\\t{id}\\tLOGIN\\tservice=smtp\nS: CONT\\t{id}\\tVXNlcm5hbWU6\n"
	  "C: CONT\\t{id}\\tdQ==\nS: FAIL\\t9\\tx\nS: FAIL\\t{id}\\treason=no \\*\n" },
	{ "CRAM-MD5 becomes the auth macro",
	  { "CAUTH\t1\tCRAM-MD5\tservice=smtp", "SCONT\t1\tPDEyMz4=",
	    "CCONT\t1\tYm9iIDAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm", "SOK\t1\tuser=bob", NULL },
	  "protocol auth\n# CRAM-MD5 answers a fresh challenge each time: recorded as below, "
	  "replayed with the auth macro (give -D password=...)\n"
	  "# C: AUTH\\t1\\tCRAM-MD5\\tservice=smtp\n# S: CONT\\t1\\tPDEyMz4=\n"
	  "# C: CONT\\t1\\tYm9iIDAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm\n# S: OK\\t1\\tuser=bob\n"
	  "auth CRAM-MD5 bob ${password} expect 235\n" },
	{ "SCRAM user from the initial response, failure",
	  { "CAUTH\t2\tSCRAM-SHA-256\tservice=smtp\tresp=biwsbj1hbGljZSxyPWFiYw==",
	    "SFAIL\t2\tuser=alice", NULL },
	  "protocol auth\n# SCRAM-SHA-256 answers a fresh challenge each time: recorded as below, "
	  "replayed with the auth macro (give -D password=...)\n"
	  "# C: AUTH\\t2\\tSCRAM-SHA-256\\tservice=smtp\\tresp=biwsbj1hbGljZSxyPWFiYw==\n"
	  "# S: FAIL\\t2\\tuser=alice\nauth SCRAM-SHA-256 alice ${password} expect 535\n" },
	{ "policy with special bytes",
	  { "Crequest=smtpd_access_policy", "Csender=a{b}$c\\d", "C", "Saction=DUNNO\r", "S", NULL },
	  "protocol policy\nC: request=smtpd_access_policy\nC: sender=a\\{b\\}\\$c\\\\d\nC:\n"
	  "S: action=DUNNO\\r\nS:\n" },
	{ "binary bytes", { "Cx\x01\xff y ", NULL }, "protocol policy\nC: x\\x01\\xff y\\s\n" },
	/* regression: the user was written unescaped into a blank-separated statement */
	{ "CRAM-MD5 user with a blank and a quote",
	  { "CAUTH\t1\tCRAM-MD5\tservice=smtp", "SCONT\t1\tPDEyMz4=",
	    "CCONT\t1\tYSBiImMgMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "SOK\t1\tuser=x", NULL },
	  "protocol auth\n# CRAM-MD5 answers a fresh challenge each time: recorded as below, "
	  "replayed with the auth macro (give -D password=...)\n"
	  "# C: AUTH\\t1\\tCRAM-MD5\\tservice=smtp\n# S: CONT\\t1\\tPDEyMz4=\n"
	  "# C: CONT\\t1\\tYSBiImMgMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"
	  "# S: OK\\t1\\tuser=x\nauth CRAM-MD5 a\\sb\\x22c ${password} expect 235\n" },
	{ "a star sent", { "Csender=*@x", "Saction=*", NULL },
	  "protocol policy\nC: sender=\\*@x\nS: action=\\*\n" },
};

static void feed_case(const struct rec_case *c, struct xbuf *out)
{
	struct recorder rc;
	size_t i;

	recorder_init(&rc);
	for (i = 0; c->lines[i]; i++)
		assert_int_equal(recorder_line(&rc, c->lines[i][0], c->lines[i] + 1,
					       strlen(c->lines[i] + 1), out), 0);
	recorder_free(&rc);
}

static void test_fs_record_lines_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		struct xbuf out;

		xbuf_init(&out, 1 << 20);
		feed_case(&rec_cases[i], &out);
		if (strcmp(xbuf_cstr(&out), rec_cases[i].want) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", rec_cases[i].name, xbuf_cstr(&out),
				 rec_cases[i].want);
		xbuf_free(&out);
	}
}

static void test_fs_record_output_parses(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		struct transcript t;
		struct xbuf out;
		char err[300];

		xbuf_init(&out, 1 << 20);
		feed_case(&rec_cases[i], &out);
		if (transcript_parse(out.data, out.len, "rec.tr", &t, err, sizeof(err)) < 0)
			fail_msg("%s: the recording does not parse: %s", rec_cases[i].name, err);
		transcript_free(&t);
		xbuf_free(&out);
	}
}

static void test_fs_record_events(void **state)
{
	struct recorder rc;
	struct xbuf out;

	(void)state;
	recorder_init(&rc);
	xbuf_init(&out, 4096);
	/* nothing seen yet: an event is only a comment */
	assert_int_equal(recorder_event(&rc, "expect close", &out), 0);
	assert_string_equal(xbuf_cstr(&out), "# expect close\n");
	xbuf_reset(&out);
	assert_int_equal(recorder_line(&rc, 'C', "CPID\t1", 6, &out), 0);
	assert_int_equal(recorder_event(&rc, "reconnect", &out), 0);
	assert_string_equal(xbuf_cstr(&out), "protocol auth\nC: CPID\\t{pid}\nreconnect\n");
	xbuf_free(&out);
	recorder_free(&rc);
}

/* parse_or_fail - the recording parses; its ops */
static void parse_or_fail(const char *name, const struct xbuf *out, struct transcript *t)
{
	char err[300];

	if (transcript_parse(out->data, out->len, "rec.tr", t, err, sizeof(err)) < 0)
		fail_msg("%s: the recording does not parse: %s", name, err);
}

/* regression: the macro's user came back as two arguments */
static void test_fs_record_macro_user(void **state)
{
	const struct rec_case *c = &rec_cases[6];
	struct transcript t;
	struct tvars v;
	struct xbuf out, user;
	const char *why;

	(void)state;
	assert_string_equal(c->name, "CRAM-MD5 user with a blank and a quote");
	xbuf_init(&out, 1 << 20);
	xbuf_init(&user, 1024);
	feed_case(c, &out);
	parse_or_fail(c->name, &out, &t);
	assert_int_equal(t.nops, 1);
	assert_int_equal(t.ops[0].kind, TOP_AUTH);
	tvars_init(&v);
	assert_int_equal(tpat_expand(&t.ops[0].args[0], &v, &user, &why), 0);
	assert_string_equal(xbuf_cstr(&user), "a b\"c");
	transcript_free(&t);
	xbuf_free(&out);
	xbuf_free(&user);
}

/*
 * regression: lines longer than one transcript line once escaped (a
 * binary client line, a long server line, a long line of a held challenge
 * exchange) made recordings that did not parse.
 */
static void test_fs_record_long_lines(void **state)
{
	static const struct { char dir; size_t len; int fill; } lines[] = {
		{ 'C', 28, -1 },	/* request=smtpd_access_policy */
		{ 'C', 30000, 0x01 }, { 'C', 65536, 0x80 }, { 'S', 65536, 'x' },
		{ 'S', 20000, 0xff }, { 'S', 0, 0 },
	};
	struct recorder rc;
	struct transcript t;
	struct tvars v;
	struct xbuf out, got;
	char *line = malloc(65537);
	size_t i, k, op = 0;

	(void)state;
	assert_non_null(line);
	recorder_init(&rc);
	xbuf_init(&out, 1 << 22);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (lines[i].fill < 0)
			memcpy(line, "request=smtpd_access_policy", lines[i].len);
		else
			memset(line, lines[i].fill, lines[i].len);
		line[lines[i].len] = '\n';
		assert_int_equal(recorder_feed(&rc, lines[i].dir, line, lines[i].len + 1, &out), 0);
	}
	parse_or_fail("long lines", &out, &t);
	tvars_init(&v);
	xbuf_init(&got, 1 << 20);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *why;

		memset(line, lines[i].fill, lines[i].len);
		if (lines[i].fill < 0)
			memcpy(line, "request=smtpd_access_policy", lines[i].len);
		xbuf_reset(&got);
		if (lines[i].dir == 'C') {
			/* C-: statements up to a C: send the line */
			for (k = op; k < t.nops && t.ops[k].nolf; k++)
				assert_int_equal(tpat_expand(&t.ops[k].pat, &v, &got, &why), 0);
			assert_true(k < t.nops);
			assert_int_equal(tpat_expand(&t.ops[k].pat, &v, &got, &why), 0);
			op = k + 1;
			assert_int_equal(got.len, lines[i].len);
			assert_memory_equal(got.data, line, lines[i].len);
		} else {
			assert_int_equal(t.ops[op].kind, TOP_EXPECT);
			assert_int_equal(tpat_match(&t.ops[op].pat, &v, line, lines[i].len, &why), 1);
			op++;
		}
	}
	assert_int_equal(op, t.nops);
	transcript_free(&t);
	xbuf_free(&got);
	xbuf_free(&out);
	recorder_free(&rc);
	free(line);
}

/* regression: a long line of a held challenge exchange, and client bytes without LF */
static void test_fs_record_held_and_tail(void **state)
{
	struct recorder rc;
	struct transcript t;
	struct xbuf out, big;

	(void)state;
	recorder_init(&rc);
	xbuf_init(&out, 1 << 22);
	xbuf_init(&big, 1 << 20);
	assert_int_equal(xbuf_append_str(&big, "CONT\t1\t"), 0);
	while (big.len < 65000)
		assert_int_equal(xbuf_append_str(&big, "QUFB"), 0);
	assert_int_equal(recorder_line(&rc, 'C', "AUTH\t1\tSCRAM-SHA-1\tservice=smtp", 31, &out), 0);
	assert_int_equal(recorder_line(&rc, 'S', "CONT\t1\tcj1h", 12, &out), 0);
	assert_int_equal(recorder_line(&rc, 'C', big.data, big.len, &out), 0);
	assert_int_equal(recorder_line(&rc, 'S', "FAIL\t1", 6, &out), 0);
	parse_or_fail("held", &out, &t);
	assert_int_equal(t.nops, 1);
	assert_int_equal(t.ops[0].kind, TOP_AUTH);
	assert_int_equal(t.ops[0].code, 535);
	transcript_free(&t);
	recorder_free(&rc);
	/* a client that sent part of a line and left: still a transcript */
	recorder_init(&rc);
	xbuf_reset(&out);
	assert_int_equal(recorder_feed(&rc, 'C', "sender=a", 8, &out), 0);
	assert_int_equal(recorder_end(&rc, &out), 0);
	assert_string_equal(xbuf_cstr(&out), "protocol policy\nC-: sender=a\n");
	parse_or_fail("tail", &out, &t);
	transcript_free(&t);
	recorder_free(&rc);
	/* an auth helper's last reply without LF: Postfix reads it as a line */
	recorder_init(&rc);
	xbuf_reset(&out);
	assert_int_equal(recorder_feed(&rc, 'C', "VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n",
				       strlen("VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n"), &out), 0);
	assert_int_equal(recorder_feed(&rc, 'S', "OK\t1\tuser=a", 11, &out), 0);
	assert_int_equal(recorder_end(&rc, &out), 0);
	assert_non_null(strstr(xbuf_cstr(&out), "# the helper's last 11 bytes had no LF: Postfix "
			       "reads them as a last line\nS: OK\\t{id}\\tuser=a\n"));
	parse_or_fail("auth tail", &out, &t);
	transcript_free(&t);
	recorder_free(&rc);
	/* a policy helper's: a comment only */
	recorder_init(&rc);
	xbuf_reset(&out);
	assert_int_equal(recorder_feed(&rc, 'C', "request=smtpd_access_policy\n\n",
				       strlen("request=smtpd_access_policy\n\n"), &out), 0);
	assert_int_equal(recorder_feed(&rc, 'S', "action=DUNNO", 12, &out), 0);
	assert_int_equal(recorder_end(&rc, &out), 0);
	assert_non_null(strstr(xbuf_cstr(&out), "# the helper's last 12 bytes had no LF\n"));
	assert_null(strstr(xbuf_cstr(&out), "S: action"));
	recorder_free(&rc);
	xbuf_free(&out);
	xbuf_free(&big);
}

/* a conversation through a recorder that writes credentials as variables */
static void feed_creds(const char *const *lines, struct recorder_creds *cr, struct xbuf *out)
{
	struct recorder rc;
	size_t i;

	recorder_init(&rc);
	rc.creds = cr;
	for (i = 0; lines[i]; i++)
		assert_int_equal(recorder_line(&rc, lines[i][0], lines[i] + 1, strlen(lines[i] + 1),
					       out), 0);
	recorder_free(&rc);
}

static const char *const plain_resp[] = {
	"CAUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp=AHRlc3QxAHBhc3Mx",
	"SOK\t1\tuser=test1", NULL,
};
static const char *const plain_cont[] = {
	"CAUTH\t2\tplain\tservice=smtp", "SCONT\t2\t",
	"CCONT\t2\tYWRtaW4AYm9iAHNlY3JldA==", "SFAIL\t2\tuser=bob\treason=no", NULL,
};
static const char *const login[] = {
	"CAUTH\t3\tLOGIN\tservice=smtp\tresp=dGVzdDE=", "SCONT\t3\tUGFzc3dvcmQ6",
	"CCONT\t3\tcGFzczE=", "SOK\t3\tuser=test1", "CAUTH\t4\tLOGIN\tservice=smtp",
	"SCONT\t4\tVXNlcm5hbWU6", "CCONT\t4\tYm9i", "SCONT\t4\tUGFzc3dvcmQ6", "CCONT\t4\td3Jvbmc=",
	"SFAIL\t4\tuser=bob", NULL,
};

static void test_fs_record_credentials(void **state)
{
	struct recorder_creds cr;
	struct xbuf out;

	(void)state;
	xbuf_init(&out, 1 << 20);
	recorder_creds_init(&cr, 0);
	feed_creds(plain_resp, &cr, &out);
	feed_creds(plain_cont, &cr, &out);
	feed_creds(login, &cr, &out);
	assert_string_equal(xbuf_cstr(&out),
		"protocol auth\n"
		"C: AUTH\\t{id}\\tPLAIN\\tservice=smtp\\tnologin\\tlip=\\trip=\\t"
		"resp={b64:\\0${user}\\0${password}}\n"
		"S: OK\\t{id}\\tuser=${user}\n"
		"protocol auth\n"
		"C: AUTH\\t{id}\\tplain\\tservice=smtp\n"
		"S: CONT\\t{id}\\t\n"
		"C: CONT\\t{id}\\t{b64:admin\\0${user2}\\0${password2}}\n"
		"S: FAIL\\t{id}\\tuser=${user2}\\treason=no\n"
		"protocol auth\n"
		"C: AUTH\\t{id}\\tLOGIN\\tservice=smtp\\tresp={b64:${user}}\n"
		"S: CONT\\t{id}\\tUGFzc3dvcmQ6\n"
		"C: CONT\\t{id}\\t{b64:${password}}\n"
		"S: OK\\t{id}\\tuser=${user}\n"
		"C: AUTH\\t{id}\\tLOGIN\\tservice=smtp\n"
		"S: CONT\\t{id}\\tVXNlcm5hbWU6\n"
		"C: CONT\\t{id}\\t{b64:${user2}}\n"
		"S: CONT\\t{id}\\tUGFzc3dvcmQ6\n"
		"C: CONT\\t{id}\\t{b64:${password2-2}}\n"
		"S: FAIL\\t{id}\\tuser=${user2}\n");
	/* no password, not even in base64 */
	assert_null(strstr(xbuf_cstr(&out), "pass1"));
	assert_null(strstr(xbuf_cstr(&out), "cGFzczE"));
	assert_null(strstr(xbuf_cstr(&out), "c2VjcmV0"));
	assert_null(strstr(xbuf_cstr(&out), "d3Jvbmc"));
	assert_int_equal(cr.n, 2);
	xbuf_reset(&out);
	assert_int_equal(recorder_creds_header(&cr, &out), 0);
	/* bob's two passwords (secret, wrong) are two variables */
	assert_non_null(strstr(xbuf_cstr(&out), "replay with -D password=... -D password2=... "
					  "-D password2-2=... (the"));
	assert_non_null(strstr(xbuf_cstr(&out), "\ndefault user test1\ndefault user2 bob\n"));
	xbuf_free(&out);
}

/* the variables expand to the bytes that passed */
static void test_fs_record_credentials_expand(void **state)
{
	struct recorder_creds cr;
	struct transcript t;
	struct tvars v;
	struct xbuf out, got;
	const char *why;

	(void)state;
	xbuf_init(&out, 1 << 20);
	xbuf_init(&got, 1 << 16);
	recorder_creds_init(&cr, 0);
	assert_int_equal(recorder_creds_header(&cr, &out), 0);
	assert_int_equal(out.len, 0);	/* no credential, no header */
	feed_creds(plain_cont, &cr, &out);
	parse_or_fail("plain cont", &out, &t);
	tvars_init(&v);
	assert_int_equal(tvars_set(&v, "user", "bob", 3), 0);
	assert_int_equal(tvars_set(&v, "password", "secret", 6), 0);
	assert_int_equal(tvars_set(&v, "id", "2", 1), 0);
	assert_int_equal(t.ops[2].kind, TOP_SEND);
	if (tpat_expand(&t.ops[2].pat, &v, &got, &why) != 0)
		fail_msg("%s: %s", t.ops[2].pat.src, why);
	assert_string_equal(xbuf_cstr(&got), "CONT\t2\tYWRtaW4AYm9iAHNlY3JldA==");
	assert_int_equal(tpat_match(&t.ops[3].pat, &v, "FAIL\t2\tuser=bob\treason=no", 25, &why), 1);
	tvars_free(&v);
	transcript_free(&t);
	/* what is no credential passes as it was; raw mode keeps the bytes */
	{
		static const char *const junk[] = {
			"CAUTH\t5\tPLAIN\tservice=smtp\tresp=bm9udWw=", "SFAIL\t5", NULL,
		};

		xbuf_reset(&out);
		feed_creds(junk, &cr, &out);
		assert_non_null(strstr(xbuf_cstr(&out), "resp=bm9udWw=\n"));
		recorder_creds_init(&cr, 1);
		xbuf_reset(&out);
		feed_creds(plain_resp, &cr, &out);
		assert_non_null(strstr(xbuf_cstr(&out), "resp=AHRlc3QxAHBhc3Mx\n"));
		assert_non_null(strstr(xbuf_cstr(&out), "user=test1\n"));
		xbuf_reset(&out);
		assert_int_equal(recorder_creds_header(&cr, &out), 0);
		assert_int_equal(out.len, 0);
	}
	xbuf_free(&out);
	xbuf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_record_credentials),
		cmocka_unit_test(test_fs_record_credentials_expand),
		cmocka_unit_test(test_fs_record_lines_table),
		cmocka_unit_test(test_fs_record_output_parses),
		cmocka_unit_test(test_fs_record_events),
		cmocka_unit_test(test_fs_record_macro_user),
		cmocka_unit_test(test_fs_record_long_lines),
		cmocka_unit_test(test_fs_record_held_and_tail),
	};

	return cmocka_run_group_tests_name("fs_record", tests, NULL, NULL);
}
