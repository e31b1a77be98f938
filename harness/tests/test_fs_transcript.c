/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_transcript - transcript parser and patterns
 * DESCRIPTION
 *	Table-driven: every statement of the language parses to the op it
 *	names; every error gives its "file:line: what" text; patterns match,
 *	capture and refuse as documented in transcript.h. (The report
 *	formats are tested in test_report.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/script/transcript.h"

struct parse_case {
	const char *name;
	const char *in;
	int want_rc;
	const char *want;	/* error text, or the op kinds as "K K K" */
};

static const char *kind_letter(enum top_kind k)
{
	static const char *const l[] = {
		[TOP_SEND] = "send", [TOP_EXPECT] = "expect", [TOP_ANYORDER] = "anyorder",
		[TOP_EXPECT_CLOSE] = "close", [TOP_EXPECT_SILENCE] = "silence",
		[TOP_EXPECT_SMTP] = "smtp", [TOP_EXPECT_ACTION] = "action",
		[TOP_HANDSHAKE] = "handshake", [TOP_AUTH] = "auth", [TOP_CONT] = "cont",
		[TOP_POLICY] = "policy", [TOP_RECONNECT] = "reconnect", [TOP_SLEEP] = "sleep",
		[TOP_SESSION] = "session",
	};

	return l[k];
}

static const struct parse_case parse_cases[] = {
	{ "minimal auth", "protocol auth\n", 0, "" },
	{ "every auth statement",
	  "# title\nprotocol auth\ndefault user u\nhandshake\nC: AUTH\\t{id}\\tPLAIN\n"
	  "S: OK\\t{id}*\nS? X\nS~ /^OK/\nanyorder\nS: A\nS? B\nend\nexpect close\n"
	  "expect silence 200ms\nexpect silence 2 s\nexpect smtp 235\n"
	  "expect smtp 535 5.7.8 *\nauth PLAIN u p resp expect 235\nauth LOGIN ${user} p\n"
	  "auth ANONYMOUS\nauth EXTERNAL authz\ncont hello\nreconnect\nsleep 10ms\nC-: x\nsession\n",
	  0, "handshake send expect expect expect anyorder close silence silence smtp smtp "
	  "auth auth auth auth cont reconnect sleep send session" },
	{ "policy statements",
	  "protocol policy\npolicy state=RCPT sasl_username=test1 -ccert_subject\n"
	  "expect action DUNNO\nexpect action \"REJECT *\"\nexpect smtp 554\nC: request=x\nC:\nS:\n",
	  0, "policy action action smtp send send expect" },
	{ "S{ } block", "protocol auth\nS{\nS: MECH\\tPLAIN*\nS? MECH\\tLOGIN*\n}\nS: DONE\n", 0,
	  "anyorder expect" },
	{ "} alone", "protocol auth\n}\n", -1, "t.tr:2: } without anyorder" },
	{ "CRLF file", "protocol auth\r\nC: x\r\n", 0, "send" },
	{ "blank and indented lines", "\n   \n\tprotocol auth\n  # c\n  C: x\n", 0, "send" },
	{ "no protocol", "C: x\n", -1, "t.tr:1: C: before \"protocol auth\" or \"protocol policy\"" },
	{ "empty file", "", -1, "t.tr:1: no \"protocol auth\" or \"protocol policy\" line" },
	{ "protocol twice", "protocol auth\nprotocol auth\n", -1, "t.tr:2: protocol given twice" },
	{ "bad protocol", "protocol smtp\n", -1, "t.tr:1: protocol wants auth or policy" },
	{ "unknown statement", "protocol auth\nfoo bar\n", -1, "t.tr:2: unknown statement \"foo\"" },
	{ "bad escape", "protocol auth\nC: a\\qb\n", -1,
	  "t.tr:2: C:: unknown escape (use \\t \\r \\n \\\\ \\xHH \\NNN \\{ \\} \\$ \\*)" },
	{ "bad hex escape", "protocol auth\nC: \\xZ1\n", -1,
	  "t.tr:2: C:: bad \\x escape (want two hex digits)" },
	{ "unclosed brace", "protocol auth\nS: OK\\t{id\n", -1,
	  "t.tr:2: S:: unclosed { (write \\{ for a literal brace)" },
	{ "bad var name", "protocol auth\nS: {1x}\n", -1,
	  "t.tr:2: S:: bad variable name in {...} (write \\{ for a literal brace)" },
	{ "unclosed b64", "protocol auth\nC: {b64:abc\n", -1, "t.tr:2: C:: unclosed {b64:" },
	{ "regex without slashes", "protocol auth\nS~ abc\n", -1, "t.tr:2: S~ wants /regex/" },
	{ "bad regex", "protocol auth\nS~ /a(/\n", -1, NULL },
	/* regcomp's cost bounded first (util/rebound): the column of the byte that crossed it */
	{ "regex stacked repetition", "protocol auth\nS~ /^OK+++/\n", -1,
	  "t.tr:2:9: S~: repetition operator after a repetition operator "
	  "(POSIX has no lazy or possessive forms)" },
	{ "regex stacked after \\t, indented", "protocol auth\n  S~ /\\t\\ta**/\n", -1,
	  "t.tr:2:13: S~: repetition operator after a repetition operator "
	  "(POSIX has no lazy or possessive forms)" },
	{ "regex nested repetition", "protocol auth\nanyorder\nS~ /((a?)*){1000}/\nend\n", -1,
	  "t.tr:3:12: S~: regular expression expands to more than 1000 nodes "
	  "(nested or counted repetitions multiply)" },
	{ "C: in anyorder", "protocol auth\nanyorder\nC: x\nend\n", -1,
	  "t.tr:3: only S:, S? and S~ lines inside anyorder (block from line 2)" },
	{ "anyorder without end", "protocol auth\nanyorder\nS: x\n", -1,
	  "t.tr:2: anyorder block has no end" },
	{ "empty anyorder", "protocol auth\nanyorder\nend\n", -1, "t.tr:3: empty anyorder block" },
	{ "end alone", "protocol auth\nend\n", -1, "t.tr:2: end without anyorder" },
	{ "bad duration", "protocol auth\nexpect silence soon\n", -1,
	  "t.tr:2: bad duration \"soon\" (e.g. 200ms or 2s)" },
	{ "duration too long", "protocol auth\nsleep 601s\n", -1, "t.tr:2: duration above 600 s" },
	{ "handshake in policy", "protocol policy\nhandshake\n", -1,
	  "t.tr:2: handshake needs protocol auth" },
	{ "policy in auth", "protocol auth\npolicy\n", -1, "t.tr:2: policy needs protocol policy" },
	{ "action in auth", "protocol auth\nexpect action DUNNO\n", -1,
	  "t.tr:2: expect action needs protocol policy" },
	{ "auth unknown mech", "protocol auth\nauth X-TRUST u p\n", -1,
	  "t.tr:2: auth: the harness does not run mechanism X-TRUST itself (PLAIN LOGIN CRAM-MD5 "
	  "SCRAM-SHA-1 SCRAM-SHA-256 ANONYMOUS EXTERNAL); write its exchange with C:/S: lines" },
	{ "auth missing password", "protocol auth\nauth PLAIN u\n", -1,
	  "t.tr:2: auth PLAIN wants USER PASSWORD" },
	{ "auth too many", "protocol auth\nauth PLAIN u p q\n", -1,
	  "t.tr:2: auth PLAIN: too many arguments at \"q\"" },
	{ "auth resp on LOGIN", "protocol auth\nauth LOGIN u p resp\n", -1,
	  "t.tr:2: auth LOGIN: the mechanism has no initial response" },
	{ "auth bad expect", "protocol auth\nauth PLAIN u p expect ok\n", -1,
	  "t.tr:2: auth: expect wants an SMTP code (235, 535, 454 ...)" },
	{ "policy bad arg", "protocol policy\npolicy foo\n", -1,
	  "t.tr:2: policy: \"foo\": want NAME=VALUE or -NAME" },
	{ "policy remove with value", "protocol policy\npolicy -a=b\n", -1,
	  "t.tr:2: policy: \"-a=b\": -NAME takes no value" },
	{ "unclosed quote", "protocol policy\npolicy a=\"b c\n", -1, "t.tr:2: unclosed double quote" },
	{ "NUL in file", "protocol auth\nC: a\0b\n", -1, "t.tr:2: NUL byte in the line (write \\0 or \\x00)" },
	{ "expect nothing", "protocol auth\nexpect\n", -1,
	  "t.tr:2: expect wants close, silence, smtp or action" },
	{ "expect smtp nothing", "protocol auth\nexpect smtp\n", -1,
	  "t.tr:2: expect smtp wants a code or a reply pattern" },
	{ "reconnect args", "protocol auth\nreconnect now\n", -1, "t.tr:2: reconnect takes no arguments" },
	{ "session args", "protocol auth\nsession 2\n", -1, "t.tr:2: session takes no arguments" },
	{ "session in policy", "protocol policy\nsession\n", -1, "t.tr:2: session needs protocol auth" },
};

static size_t case_len(const struct parse_case *c)
{
	/* the NUL case carries its byte inside the literal */
	if (strcmp(c->name, "NUL in file") == 0)
		return sizeof("protocol auth\nC: a\0b\n") - 1;
	return strlen(c->in);
}

static void test_fs_transcript_parse_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct transcript t;
		char err[600] = "";
		int rc = transcript_parse(c->in, case_len(c), "t.tr", &t, err, sizeof(err));

		if (rc != c->want_rc)
			fail_msg("%s: got %d (%s), want %d", c->name, rc, err, c->want_rc);
		if (rc < 0) {
			if (c->want != NULL && strcmp(err, c->want) != 0)
				fail_msg("%s: got error \"%s\", want \"%s\"", c->name, err, c->want);
			if (c->want == NULL && strncmp(err, "t.tr:2: S~: bad regular expression", 34) != 0)
				fail_msg("%s: got error \"%s\"", c->name, err);
			continue;
		}
		{
			char kinds[600] = "";

			for (k = 0; k < t.nops; k++) {
				if (k)
					strcat(kinds, " ");
				strcat(kinds, kind_letter(t.ops[k].kind));
			}
			if (strcmp(kinds, c->want) != 0)
				fail_msg("%s: got ops \"%s\", want \"%s\"", c->name, kinds, c->want);
		}
		transcript_free(&t);
	}
}

static void test_fs_transcript_parse_details(void **state)
{
	static const char in[] =
		"# LOGIN as Postfix drives it\nprotocol auth\ndefault user test1\n"
		"C-: AUTH\\t{id}\nS? MAYBE\nanyorder\nS: A\nS? B\nend\nexpect silence 250 ms\n"
		"expect smtp \"535 5.7.8 *\"\nauth plain ${user} pw noresp secured expect 535\n";
	struct transcript t;
	char err[300];

	(void)state;
	assert_int_equal(transcript_parse(in, sizeof(in) - 1, "d.tr", &t, err, sizeof(err)), 0);
	assert_string_equal(t.title, "LOGIN as Postfix drives it");
	assert_int_equal(t.protocol, TPROTO_AUTH);
	assert_int_equal(t.ndefaults, 1);
	assert_string_equal(t.defaults[0].name, "user");
	assert_int_equal(t.nops, 6);
	assert_int_equal(t.ops[0].nolf, 1);
	assert_int_equal(t.ops[0].line, 4);
	assert_int_equal(t.ops[1].optional, 1);
	assert_int_equal(t.ops[2].nkids, 2);
	assert_int_equal(t.ops[2].kids[1].optional, 1);
	assert_int_equal(t.ops[3].ms, 250);
	assert_int_equal(t.ops[4].code, 0);
	assert_string_equal(t.ops[4].pat.src, "535 5.7.8 *");
	assert_string_equal(t.ops[5].mech, "plain");	/* case kept, as Postfix keeps it */
	assert_int_equal(t.ops[5].resp, TAUTH_RESP_NO);
	assert_int_equal(t.ops[5].secured, 1);
	assert_int_equal(t.ops[5].code, 535);
	assert_int_equal(t.ops[5].nargs, 2);
	transcript_free(&t);
}

struct match_case {
	const char *name;
	const char *pat;
	const char *line;
	size_t line_len;	/* 0 = strlen */
	int want;
	const char *var, *val;	/* a variable set after a match */
};

static const struct match_case match_cases[] = {
	{ "literal", "OK\\t1", "OK\t1", 0, 1, NULL, NULL },
	{ "literal differs", "OK\\t1", "OK\t2", 0, 0, NULL, NULL },
	{ "literal shorter line", "OK\\t1", "OK\t", 0, 0, NULL, NULL },
	{ "literal longer line", "OK\\t1", "OK\t12", 0, 0, NULL, NULL },
	{ "star middle", "OK\\t*\\tuser=x", "OK\t9\tuser=x", 0, 1, NULL, NULL },
	{ "star end", "OK*", "OK\tanything", 0, 1, NULL, NULL },
	{ "star empty", "OK*", "OK", 0, 1, NULL, NULL },
	{ "two stars", "*a*b*", "xxaxxbxx", 0, 1, NULL, NULL },
	{ "two stars no", "*a*b*", "xxbxxaxx", 0, 0, NULL, NULL },
	{ "escaped star", "a\\*", "a*", 0, 1, NULL, NULL },
	{ "escaped star literal", "a\\*", "ab", 0, 0, NULL, NULL },
	{ "capture to tab", "CONT\\t{cid}\\t{data}", "CONT\t7\tabc", 0, 1, "cid", "7" },
	{ "capture rest", "CONT\\t{cid}\\t{data}", "CONT\t7\tabc", 0, 1, "data", "abc" },
	{ "capture empty", "SPID\\t{s}", "SPID\t", 0, 1, "s", "" },
	{ "bound var equal", "OK\\t{id}", "OK\t5", 0, 1, NULL, NULL },
	{ "bound var differs", "OK\\t{id}", "OK\t6", 0, 0, NULL, NULL },
	{ "ref", "user=${user}", "user=test1", 0, 1, NULL, NULL },
	{ "ref differs", "user=${user}", "user=test2", 0, 0, NULL, NULL },
	{ "b64 literal", "CONT\\t1\\t{b64:Username:}", "CONT\t1\tVXNlcm5hbWU6", 0, 1, NULL, NULL },
	{ "b64 var", "{b64:\\0${user}}", "AHRlc3Qx", 0, 1, NULL, NULL },
	{ "b64 empty", "x{b64:}y", "xy", 0, 1, NULL, NULL },
	{ "hex and octal", "\\x41\\101\\0", "AA\0", 3, 1, NULL, NULL },
	{ "CR visible", "DONE", "DONE\r", 0, 0, NULL, NULL },
	{ "CR escaped", "DONE\\r", "DONE\r", 0, 1, NULL, NULL },
	{ "NUL in line", "a*", "a\0b", 3, 1, NULL, NULL },
	{ "star shortest", "*:{x}", "a:b:c", 0, 1, "x", "b:c" },
	{ "star then capture", "*=\t{x}\t*", "a=\tb\tc=\td\t", 0, 1, "x", "b" },
	{ "capture after * kept", "*{x}-*={x}", "a-b-c=a", 0, 1, "x", "a" },
	{ "capture after * not moved", "*{x}-*={x}", "a-b-c=b", 0, 0, NULL, NULL },
};

static void test_fs_transcript_match_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		struct tvars v;
		struct tpat p;
		const char *why = NULL;
		size_t len = c->line_len ? c->line_len : strlen(c->line);
		int rc;

		tvars_init(&v);
		assert_int_equal(tvars_set(&v, "id", "5", 1), 0);
		assert_int_equal(tvars_set(&v, "user", "test1", 5), 0);
		if (tpat_compile(c->pat, strlen(c->pat), TPAT_GLOB, &p, &why) < 0)
			fail_msg("%s: compile: %s", c->name, why);
		rc = tpat_match(&p, &v, c->line, len, &why);
		if (rc != c->want)
			fail_msg("%s: got %d, want %d", c->name, rc, c->want);
		if (c->var) {
			const struct tvar *t = tvars_get(&v, c->var);

			if (t == NULL || strcmp(t->value, c->val) != 0)
				fail_msg("%s: %s = \"%s\", want \"%s\"", c->name, c->var,
					 t ? t->value : "(unset)", c->val);
		}
		tpat_free(&p);
		tvars_free(&v);
	}
}

static void test_fs_transcript_match_errors(void **state)
{
	struct tvars v;
	struct tpat p;
	struct xbuf out;
	const char *why = NULL;
	char *big;

	(void)state;
	tvars_init(&v);
	/* an unset ${var} is an error, not a mismatch */
	assert_int_equal(tpat_compile("${nope}", 7, TPAT_GLOB, &p, &why), 0);
	assert_int_equal(tpat_match(&p, &v, "x", 1, &why), -1);
	assert_string_equal(why, "variable not set");
	xbuf_init(&out, 100);
	assert_int_equal(tpat_expand(&p, &v, &out, &why), -1);
	xbuf_free(&out);
	tpat_free(&p);
	/* many stars over a long line without a match: one pass, no step bound */
	assert_int_equal(tpat_compile("*a*a*a*a*b", 10, TPAT_GLOB, &p, &why), 0);
	big = malloc(60000);
	memset(big, 'a', 60000);
	assert_int_equal(tpat_match(&p, &v, big, 60000, &why), 0);
	big[59999] = 'b';
	assert_int_equal(tpat_match(&p, &v, big, 60000, &why), 1);
	free(big);
	tpat_free(&p);
	/* a failed match leaves captures unset */
	assert_int_equal(tpat_compile("A\\t{x}\\tB", 9, TPAT_GLOB, &p, &why), 0);
	assert_int_equal(tpat_match(&p, &v, "A\t1\tC", 5, &why), 0);
	assert_null(tvars_get(&v, "x"));
	tpat_free(&p);
	/* an unset capture before * cannot be split: an error at match time */
	assert_int_equal(tpat_compile("{a}*", 4, TPAT_GLOB, &p, &why), 0);
	assert_int_equal(tpat_match(&p, &v, "xy", 2, &why), -1);
	assert_string_equal(why, "capture followed by * or another capture");
	tpat_free(&p);
	/* text mode: * is a byte */
	assert_int_equal(tpat_compile("a*{b64:hi}", 10, TPAT_TEXT, &p, &why), 0);
	xbuf_init(&out, 100);
	assert_int_equal(tpat_expand(&p, &v, &out, &why), 0);
	assert_string_equal(xbuf_cstr(&out), "a*aGk=");
	xbuf_free(&out);
	tpat_free(&p);
	tvars_free(&v);
}

/* mutations of a valid transcript: parse or fail cleanly, never crash (ASan) */
static void test_fs_transcript_parse_mutations(void **state)
{
	static const char base[] =
		"# t\nprotocol auth\ndefault user u\nhandshake\nC: AUTH\\t{id}\\t{b64:\\0${user}}\n"
		"S? OK\\t{id}*\nanyorder\nS: A\\x41\nS~ /^B/\nend\nexpect silence 5ms\n"
		"auth PLAIN \"a b\" p resp expect 235\nexpect smtp 2*\ncont x\\001\n";
	static const char alphabet[] = "{}$\\*\\t\n\"=/:#-ab0 ";
	unsigned long seed = 12345;
	char buf[sizeof(base) + 64];
	int i, k;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct transcript t;
		char err[600];
		size_t len = sizeof(base) - 1;

		memcpy(buf, base, len);
		for (k = 0; k < 4 && len > 0; k++) {
			size_t pos;

			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			pos = (size_t)(seed >> 33) % len;
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			switch ((seed >> 40) % 3) {
			case 0:
				buf[pos] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
				break;
			case 1:
				len = pos;	/* cut */
				break;
			default:
				buf[pos] = (char)(seed >> 24);
				break;
			}
		}
		if (transcript_parse(buf, len, "m.tr", &t, err, sizeof(err)) == 0)
			transcript_free(&t);
		else
			assert_true(strncmp(err, "m.tr:", 5) == 0);
	}
}

/* -D NAME=VALUE as check --auth, check --policy and replay read it */
static void test_fs_transcript_define(void **state)
{
	struct tvars v;
	const struct tvar *t;
	char err[200];

	(void)state;
	tvars_init(&v);
	assert_int_equal(tvars_define(&v, "user=test1", err, sizeof(err)), 0);
	assert_int_equal(tvars_define(&v, "password=a=b", err, sizeof(err)), 0);
	assert_int_equal(tvars_define(&v, "empty=", err, sizeof(err)), 0);
	t = tvars_get(&v, "password");
	assert_non_null(t);
	assert_string_equal(t->value, "a=b");
	t = tvars_get(&v, "empty");
	assert_non_null(t);
	assert_int_equal(t->len, 0);
	assert_int_equal(tvars_define(&v, "novalue", err, sizeof(err)), -1);
	assert_string_equal(err, "-D wants NAME=VALUE, not novalue");
	assert_int_equal(tvars_define(&v, "=x", err, sizeof(err)), -1);
	assert_int_equal(tvars_define(&v, "bad name=x", err, sizeof(err)), -1);
	assert_string_equal(err, "-D bad name: bad name or too many variables");
	tvars_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_transcript_define),
		cmocka_unit_test(test_fs_transcript_parse_table),
		cmocka_unit_test(test_fs_transcript_parse_details),
		cmocka_unit_test(test_fs_transcript_match_table),
		cmocka_unit_test(test_fs_transcript_match_errors),
		cmocka_unit_test(test_fs_transcript_parse_mutations),
	};

	return cmocka_run_group_tests_name("fs_transcript", tests, NULL, NULL);
}
