/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_record - what the record proxy writes for the lines it sees
 * DESCRIPTION
 *	recorder_line() is pure: each table row feeds a conversation and
 *	compares the transcript text; the last test parses every output
 *	back with the transcript parser, so a recording is always a valid
 *	transcript.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "harness/run/record.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_record_lines_table),
		cmocka_unit_test(test_fs_record_output_parses),
		cmocka_unit_test(test_fs_record_events),
	};

	return cmocka_run_group_tests_name("fs_record", tests, NULL, NULL);
}
