/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_policyd_rules - actions, networks, rule files and matching
 * DESCRIPTION
 *	Table tests: every access(5) action classified or refused with the
 *	exact reason (Postfix's check_table_result order); CIDR edge cases
 *	(/0, /32, /128, v4-mapped, host bits, bad prefixes); rule-file
 *	errors with file:line:column; and matching of each test kind
 *	against requests, including missing versus empty attributes and
 *	protocol_state scoping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference/policyd/action.h"
#include "reference/policyd/cidr.h"
#include "reference/policyd/rules.h"

/* --- actions ----------------------------------------------------------- */

#define E_UNKNOWN "unknown action or restriction: Postfix answers 451 4.3.5 Server configuration error"
#define E_COLON "':' in an action that is not FILTER, PREPEND or text: Postfix answers 451 4.3.5 Server configuration error"
#define E_CODE "SMTP code without text: Postfix reads an all-digit action as OK"
#define E_EMPTY "empty action: Postfix reads it as OK"
#define E_FILTER "FILTER needs transport:destination: Postfix logs a warning and ignores it"
#define E_REDIR "REDIRECT and BCC need user@domain: Postfix logs a warning and ignores it"
#define E_PREPEND "PREPEND needs \"header: text\": Postfix logs a warning and ignores it"
#define E_PREPEND_EOM "PREPEND at END-OF-MESSAGE: Postfix logs a warning and ignores it"
#define E_SPACE "action starts with white space: Postfix answers 451 4.3.5 Server configuration error"
#define E_UTF8 "action is not valid UTF-8: Postfix with smtputf8_enable applies the default action"
#define E_CTRL "control character in action"

static const struct action_case {
	const char *in;
	unsigned states;
	int rc;
	enum action_kind kind;
	const char *err;
} action_cases[] = {
	{ "DUNNO", 0, 0, ACTION_DUNNO, NULL },
	{ "dunno", 0, 0, ACTION_DUNNO, NULL },
	{ "DUNNO ignored: text", 0, 0, ACTION_DUNNO, NULL },
	{ "OK", 0, 0, ACTION_OK, NULL },
	{ "ok", 0, 0, ACTION_OK, NULL },
	{ "RELAY", 0, 0, ACTION_OK, NULL },
	{ "OK whatever: text", 0, 0, ACTION_OK, NULL },
	{ "12345", 0, 0, ACTION_OK, NULL },
	{ "REJECT", 0, 0, ACTION_REJECT, NULL },
	{ "REJECT 5.7.1 go away: now", 0, 0, ACTION_REJECT, NULL },
	{ "reject text", 0, 0, ACTION_REJECT, NULL },
	{ "DEFER", 0, 0, ACTION_DEFER, NULL },
	{ "DEFER_IF_PERMIT", 0, 0, ACTION_DEFER_IF_PERMIT, NULL },
	{ "DEFER_IF_REJECT later", 0, 0, ACTION_DEFER_IF_REJECT, NULL },
	{ "450 try later", 0, 0, ACTION_CODE, NULL },
	{ "450 5.1.1 dsn class fixed by Postfix", 0, 0, ACTION_CODE, NULL },
	{ "554 5.7.1 no", 0, 0, ACTION_CODE, NULL },
	{ "421 closing", 0, 0, ACTION_CODE, NULL },
	{ "450", 0, -1, 0, E_CODE },
	{ "550", 0, -1, 0, E_CODE },
	{ "250 fine", 0, -1, 0, E_UNKNOWN },
	{ "600 text", 0, -1, 0, E_UNKNOWN },
	{ "4500 text", 0, -1, 0, E_UNKNOWN },
	{ "HOLD", 0, 0, ACTION_HOLD, NULL },
	{ "HOLD quarantined", 0, 0, ACTION_HOLD, NULL },
	{ "DISCARD", 0, 0, ACTION_DISCARD, NULL },
	{ "FILTER smtp:[127.0.0.1]:10025", 0, 0, ACTION_FILTER, NULL },
	{ "FILTER", 0, -1, 0, E_FILTER },
	{ "FILTER smtp", 0, -1, 0, E_FILTER },
	{ "REDIRECT a@example.com", 0, 0, ACTION_REDIRECT, NULL },
	{ "REDIRECT postmaster", 0, -1, 0, E_REDIR },
	{ "BCC copy@example.com", 0, 0, ACTION_BCC, NULL },
	{ "BCC", 0, -1, 0, E_REDIR },
	{ "PREPEND X-Tag: yes", 0, 0, ACTION_PREPEND, NULL },
	{ "PREPEND X-Tag : yes", 0, 0, ACTION_PREPEND, NULL },
	{ "PREPEND X-Tag yes", 0, -1, 0, E_PREPEND },
	{ "PREPEND : yes", 0, -1, 0, E_PREPEND },
	{ "PREPEND", 0, -1, 0, E_PREPEND },
	{ "PREPEND X-Tag: yes", ACTION_STATE_EOM, -1, 0, E_PREPEND_EOM },
	{ "PREPEND X-Tag: yes", ACTION_STATE_EOM | 1u, -1, 0, E_PREPEND_EOM },
	{ "PREPEND X-Tag: yes", 1u << 4, 0, ACTION_PREPEND, NULL },
	{ "INFO note", 0, 0, ACTION_INFO, NULL },
	{ "WARN", 0, 0, ACTION_WARN, NULL },
	{ "HANGUP", 0, 0, ACTION_HANGUP, NULL },
	{ "permit", 0, 0, ACTION_RESTRICTIONS, NULL },
	{ "reject_unauth_destination", 0, 0, ACTION_RESTRICTIONS, NULL },
	{ "permit_mynetworks, reject", 0, 0, ACTION_RESTRICTIONS, NULL },
	{ "PERMIT_SASL_AUTHENTICATED reject", 0, 0, ACTION_RESTRICTIONS, NULL },
	{ "FOO", 0, -1, 0, E_UNKNOWN },
	{ "permit foo", 0, -1, 0, E_UNKNOWN },
	{ "DUNNOX", 0, -1, 0, E_UNKNOWN },
	{ "hash:/etc/postfix/access", 0, -1, 0, E_COLON },
	{ "check_client_access hash:/etc/x", 0, -1, 0, E_COLON },
	{ "", 0, -1, 0, E_EMPTY },
	{ ",", 0, -1, 0, E_EMPTY },
	{ " OK", 0, -1, 0, E_SPACE },
	{ "REJECT \xff", 0, -1, 0, E_UTF8 },
	{ "REJECT \xc3\xa9t\xc3\xa9", 0, 0, ACTION_REJECT, NULL },
	{ "REJECT \xed\xa0\x80", 0, -1, 0, E_UTF8 },
	{ "REJECT a\rb", 0, -1, 0, E_CTRL },
};

static void test_actions(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(action_cases) / sizeof(action_cases[0]); i++) {
		const struct action_case *c = &action_cases[i];
		enum action_kind k = ACTION_DUNNO;
		const char *err = NULL;
		int rc = action_check(c->in, strlen(c->in), c->states, &k, &err);

		if (rc != c->rc)
			fail_msg("\"%s\": got rc %d, want %d (%s)", c->in, rc, c->rc,
				 err ? err : "");
		if (rc == 0 && k != c->kind)
			fail_msg("\"%s\": got %s, want %s", c->in, action_kind_name(k),
				 action_kind_name(c->kind));
		if (rc < 0 && strcmp(err, c->err) != 0)
			fail_msg("\"%s\": got error \"%s\", want \"%s\"", c->in, err, c->err);
	}
}

/* --- networks ---------------------------------------------------------- */

static const struct cidr_case {
	const char *net;
	const char *addr;
	int parse_rc;		/* strict */
	int match;
	const char *err;
} cidr_cases[] = {
	{ "192.0.2.0/24", "192.0.2.255", 0, 1, NULL },
	{ "192.0.2.0/24", "192.0.3.0", 0, 0, NULL },
	{ "192.0.2.0/24", "::ffff:192.0.2.7", 0, 1, NULL },
	{ "192.0.2.0/24", "2001:db8::1", 0, 0, NULL },
	{ "0.0.0.0/0", "203.0.113.9", 0, 1, NULL },
	{ "0.0.0.0/0", "::1", 0, 0, NULL },
	{ "::/0", "2001:db8::1", 0, 1, NULL },
	{ "::/0", "192.0.2.1", 0, 0, NULL },
	{ "192.0.2.7/32", "192.0.2.7", 0, 1, NULL },
	{ "192.0.2.7/32", "192.0.2.6", 0, 0, NULL },
	{ "192.0.2.7", "192.0.2.7", 0, 1, NULL },
	{ "2001:db8::/32", "2001:db8:ffff::1", 0, 1, NULL },
	{ "2001:db8::/32", "2001:db9::1", 0, 0, NULL },
	{ "2001:db8::1/128", "2001:db8::1", 0, 1, NULL },
	{ "2001:db8::1/128", "2001:db8::2", 0, 0, NULL },
	{ "2001:db8::/31", "2001:db9::1", 0, 1, NULL },
	{ "::ffff:192.0.2.0/120", "192.0.2.200", 0, 1, NULL },
	{ "::ffff:192.0.2.0/120", "192.0.3.1", 0, 0, NULL },
	{ "10.0.0.0/7", "11.255.255.255", 0, 1, NULL },
	{ "10.0.0.0/7", "12.0.0.0", 0, 0, NULL },
	{ "192.0.2.1/24", NULL, -1, 0, "host bits set beyond the prefix" },
	{ "192.0.2.0/33", NULL, -1, 0, "prefix too long" },
	{ "2001:db8::/129", NULL, -1, 0, "prefix too long" },
	{ "192.0.2.0/", NULL, -1, 0, "bad prefix length" },
	{ "192.0.2.0/024", NULL, -1, 0, "bad prefix length" },
	{ "192.0.2.0/-1", NULL, -1, 0, "bad prefix length" },
	{ "192.0.2.0/2x", NULL, -1, 0, "bad prefix length" },
	{ "192.0.2/24", NULL, -1, 0, "bad address" },
	{ "192.0.2.256", NULL, -1, 0, "bad address" },
	{ "", NULL, -1, 0, "bad address" },
	{ "/24", NULL, -1, 0, "bad address" },
	{ "example.com", NULL, -1, 0, "bad address" },
	{ "::ffff:192.0.2.0/95", NULL, -1, 0, "v4-mapped prefix shorter than 96" },
	{ "[::1]", NULL, -1, 0, "bad address" },
};

static void test_cidr(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
		const struct cidr_case *c = &cidr_cases[i];
		struct cidr net;
		struct cidr_addr a;
		const char *err = NULL;
		int rc = cidr_parse(c->net, strlen(c->net), 1, &net, &err);

		if (rc != c->parse_rc)
			fail_msg("%s: parse got %d, want %d", c->net, rc, c->parse_rc);
		if (rc < 0) {
			if (strcmp(err, c->err) != 0)
				fail_msg("%s: got \"%s\", want \"%s\"", c->net, err, c->err);
			continue;
		}
		assert_int_equal(cidr_addr_parse(c->addr, strlen(c->addr), &a), 0);
		if (cidr_match(&net, &a) != c->match)
			fail_msg("%s vs %s: got %d, want %d", c->net, c->addr, !c->match, c->match);
	}
}

static void test_cidr_lenient(void **state)
{
	struct cidr net;
	struct cidr_addr a;
	const char *err;

	(void)state;
	/* without strict, host bits are cleared */
	assert_int_equal(cidr_parse("192.0.2.77/24", 13, 0, &net, &err), 0);
	assert_int_equal(cidr_addr_parse("192.0.2.1", 9, &a), 0);
	assert_int_equal(cidr_match(&net, &a), 1);
	/* addresses: "unknown" and over-long text are not addresses */
	assert_int_equal(cidr_addr_parse("unknown", 7, &a), -1);
	assert_int_equal(cidr_addr_parse("1.2.3.4\0", 8, &a), -1);
}

/* --- rule files -------------------------------------------------------- */

static const struct parse_err_case {
	const char *text;
	const char *err;
} parse_err_cases[] = {
	{ "sender == a => FOO\n",
	  "t.rules:1:16: action \"FOO\": " E_UNKNOWN },
	{ "# c\n\nsender == a =>   450\n",
	  "t.rules:3:18: action \"450\": " E_CODE },
	{ "sender == a => OK\nsender == b => hash:/x\n",
	  "t.rules:2:16: action \"hash:/x\": " E_COLON },
	{ "sender == a\n   and recipient => OK\n",
	  "t.rules:2:18: expected an operator after \"recipient\" (== != ~= < <= > >= =~ !~ glob iglob in, or present missing empty nonempty)" },
	{ "client_address in 192.0.2.1/24 => OK\n",
	  "t.rules:1:19: bad network \"192.0.2.1/24\": host bits set beyond the prefix" },
	{ "client_address in [192.0.2.0/24, 2001:db8::/129] => OK\n",
	  "t.rules:1:34: bad network \"2001:db8::/129\": prefix too long" },
	{ "client_address in [192.0.2.0/24 => OK\n",
	  "t.rules:1:33: expected \",\" or \"]\" in a network list" },
	{ "size > big => OK\n", "t.rules:1:8: expected a decimal number" },
	{ "size > \"5\" => OK\n", "t.rules:1:8: expected a decimal number" },
	{ "helo_name =~ /a(/ => OK\n",
	  "t.rules:1:14: bad regular expression: missing closing parenthesis" },
	{ "helo_name =~ /abc => OK\n", "t.rules:1:14: unterminated regular expression" },
	/* regcomp's cost bounded first (util/rebound): the column of the byte that crossed it */
	{ "helo_name =~ /e++++++++++++++++++/ => OK\n",
	  "t.rules:1:17: repetition operator after a repetition operator "
	  "(POSIX has no lazy or possessive forms)" },
	{ "helo_name =~ /a\\/b**/ => OK\n",
	  "t.rules:1:20: repetition operator after a repetition operator "
	  "(POSIX has no lazy or possessive forms)" },
	{ "at RCPT\n  helo_name !~ /((a?)*){1000}/i => OK\n",
	  "t.rules:2:24: regular expression expands to more than 1000 nodes "
	  "(nested or counted repetitions multiply)" },
	{ "helo_name =~ /x{1001}/ => OK\n", "t.rules:1:16: repetition count above 1000" },
	{ "sender == \"abc => OK\n", "t.rules:1:11: unterminated quoted string" },
	{ "at FOO always => OK\n",
	  "t.rules:1:4: unknown protocol_state \"FOO\" (CONNECT EHLO HELO MAIL RCPT DATA END-OF-MESSAGE VRFY ETRN)" },
	{ "rule x sender == a => OK\n", "t.rules:1:8: expected \":\" after the rule name" },
	/* control bytes from the file are shown as \xHH, never raw */
	{ "always => FOO\033[2J\n",
	  "t.rules:1:11: action \"FOO\\x1b[2J\": control character in action" },
	{ "rule x: sender == a => OK\nrule x: sender == b => OK\n",
	  "t.rules:2:6: rule \"x\" already defined at line 1" },
	{ "sender == a OK\n", "t.rules:1:13: expected \"and\", \"or\" or \"=>\"" },
	{ "sender == a =>\n", "t.rules:1:15: missing action after \"=>\"" },
	{ "sender == a\n", "t.rules:1:12: expected \"=>\" and an action" },
	{ "(sender == a => OK\n", "t.rules:1:14: expected \")\" to close the \"(\" at column 1" },
	{ "  sender == a => OK\n", "t.rules:1:1: continuation line without a statement before it" },
	{ "sender not == a => OK\n", "t.rules:1:12: expected \"in\" after \"sender not\"" },
	{ "at END-OF-MESSAGE always => PREPEND X: y\n",
	  "t.rules:1:29: action \"PREPEND X: y\": " E_PREPEND_EOM },
	{ "client_address in networks(sasl_username) => OK\n",
	  "t.rules: networks() is used but no database is configured (--db)" },
	{ "== a => OK\n", "t.rules:1:1: expected an attribute name" },
};

static void test_parse_errors(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(parse_err_cases) / sizeof(parse_err_cases[0]); i++) {
		const struct parse_err_case *c = &parse_err_cases[i];
		char err[512] = "";
		struct rules *rs = rules_parse(c->text, strlen(c->text), "t.rules", NULL, 0, err,
					       sizeof(err));

		if (rs != NULL) {
			rules_free(&rs);
			fail_msg("row %zu: parsed, want \"%s\"", i, c->err);
		}
		if (strcmp(err, c->err) != 0) {
			print_error("row %zu: got \"%s\"\n want \"%s\"\n", i, err, c->err);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_parse_limits(void **state)
{
	char err[512];
	struct rules *rs;
	char *big;
	size_t i, n = 0;

	(void)state;
	/* 65 distinct attribute names: one too many */
	big = malloc(65 * 40 + 100);
	assert_non_null(big);
	for (i = 0; i < 65; i++)
		n += (size_t)sprintf(big + n, "a%zu present or\n ", i);
	n += (size_t)sprintf(big + n, "x present => OK\n");
	rs = rules_parse(big, n, "t.rules", NULL, 0, err, sizeof(err));
	assert_null(rs);
	assert_non_null(strstr(err, "more than 64 distinct attribute names"));
	/* nesting deeper than the bound */
	n = 0;
	for (i = 0; i < 70; i++)
		big[n++] = '(';
	n += (size_t)sprintf(big + n, "a present => OK\n");
	rs = rules_parse(big, n, "t.rules", NULL, 0, err, sizeof(err));
	assert_null(rs);
	assert_non_null(strstr(err, "nested deeper than 64"));
	free(big);
	/* a bad default action */
	rs = rules_parse("", 0, "t.rules", "FOO", 0, err, sizeof(err));
	assert_null(rs);
	assert_string_equal(err, "default action \"FOO\": " E_UNKNOWN);
	/* a NUL byte in the file */
	rs = rules_parse("a present => OK\n\0", 17, "t.rules", NULL, 0, err, sizeof(err));
	assert_null(rs);
	assert_string_equal(err, "t.rules:2: NUL byte");
}

/* --- matching ---------------------------------------------------------- */

static const char match_rules[] =
	"# one rule per test kind; the action names the rule\n"
	"rule eq: sender == \"exact@example.com\" => REJECT eq\n"
	"rule ieq: sender ~= CI@EXAMPLE.COM => REJECT ieq\n"
	"rule glob: sender glob \"*@glob.example\" => REJECT glob\n"
	"rule iglob: sender iglob \"*@IGLOB.example\" => REJECT iglob\n"
	"rule re: helo_name =~ /^mail[0-9]+\\.re\\.example$/ => REJECT re\n"
	"rule rei: helo_name =~ /^RE-I$/i => REJECT rei\n"
	"rule nre: helo_name !~ /./ and helo_name present => REJECT nre\n"
	"rule v4: client_address in 192.0.2.0/24 => REJECT v4\n"
	"rule v6: client_address in [2001:db8::/32, 198.51.100.7] => REJECT v6\n"
	"rule bigsize: size > 1000000 => REJECT bigsize\n"
	"rule rcpt: recipient_count >= 50 => REJECT rcpt\n"
	"rule sizeeq: size == 42 => REJECT sizeeq\n"
	"rule missing: at RCPT sasl_username missing => REJECT missing\n"
	"rule empty: at RCPT sasl_username empty => REJECT empty\n"
	"rule scoped: at DATA, END-OF-MESSAGE\n"
	"    recipient present => REJECT scoped\n"
	"rule notin: at MAIL client_address not in 10.0.0.0/8 and not sender == x\n"
	"    => REJECT notin\n"
	"rule paren: at VRFY (sender == a or sender == b) and not (recipient == c) => REJECT paren\n"
	"rule ne: at ETRN etrn_domain != \"example.com\" => REJECT ne\n"
	"always => DUNNO\n";

static const struct match_case {
	const char *attrs;	/* name=value;name=value (protocol_state first) */
	const char *want;	/* action */
} match_cases[] = {
	{ "protocol_state=RCPT;sender=exact@example.com;sasl_username=u", "REJECT eq" },
	{ "protocol_state=RCPT;sender=Exact@example.com;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;sender=ci@example.com;sasl_username=u", "REJECT ieq" },
	{ "protocol_state=RCPT;sender=x@glob.example;sasl_username=u", "REJECT glob" },
	{ "protocol_state=RCPT;sender=x@GLOB.example;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;sender=x@iglob.EXAMPLE;sasl_username=u", "REJECT iglob" },
	{ "protocol_state=RCPT;helo_name=mail12.re.example;sasl_username=u", "REJECT re" },
	{ "protocol_state=RCPT;helo_name=mail.re.example;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;helo_name=re-i;sasl_username=u", "REJECT rei" },
	{ "protocol_state=RCPT;helo_name=;sasl_username=u", "REJECT nre" },
	{ "protocol_state=RCPT;client_address=192.0.2.44;sasl_username=u", "REJECT v4" },
	{ "protocol_state=RCPT;client_address=::ffff:192.0.2.44;sasl_username=u", "REJECT v4" },
	{ "protocol_state=RCPT;client_address=2001:db8::25;sasl_username=u", "REJECT v6" },
	{ "protocol_state=RCPT;client_address=198.51.100.7;sasl_username=u", "REJECT v6" },
	{ "protocol_state=RCPT;client_address=198.51.100.8;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;client_address=unknown;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;size=1000001;sasl_username=u", "REJECT bigsize" },
	{ "protocol_state=RCPT;size=1000000;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;size=18446744073709551616;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;size=-5;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;recipient_count=50;sasl_username=u", "REJECT rcpt" },
	{ "protocol_state=RCPT;recipient_count=49;sasl_username=u", "DUNNO" },
	{ "protocol_state=RCPT;size=42;sasl_username=u", "REJECT sizeeq" },
	{ "protocol_state=RCPT;size=042;sasl_username=u", "REJECT sizeeq" },
	{ "protocol_state=RCPT", "REJECT missing" },
	{ "protocol_state=RCPT;sasl_username=", "REJECT empty" },
	{ "protocol_state=MAIL;sasl_username=", "DUNNO" },	/* not in: missing is false */
	{ "protocol_state=MAIL;client_address=11.1.2.3", "REJECT notin" },
	{ "protocol_state=MAIL;client_address=10.1.2.3", "DUNNO" },
	/* Postfix's client_address=unknown (sendmail -bs, XCLIENT) is in no network */
	{ "protocol_state=MAIL;client_address=unknown", "REJECT notin" },
	{ "protocol_state=MAIL;client_address=", "REJECT notin" },
	{ "protocol_state=MAIL;client_address=11.1.2.3;sender=x", "DUNNO" },
	{ "protocol_state=DATA;recipient=r@x", "REJECT scoped" },
	{ "protocol_state=END-OF-MESSAGE;recipient=", "REJECT scoped" },
	{ "protocol_state=RCPT;recipient=r@x;sasl_username=u", "DUNNO" },
	{ "protocol_state=VRFY;sender=b", "REJECT paren" },
	{ "protocol_state=VRFY;sender=b;recipient=c", "DUNNO" },
	{ "protocol_state=ETRN;etrn_domain=other.example", "REJECT ne" },
	{ "protocol_state=ETRN;etrn_domain=example.com", "DUNNO" },
	{ "protocol_state=ETRN", "DUNNO" },	/* != on a missing attribute is false */
	{ "protocol_state=rcpt", "DUNNO" },	/* unknown state: unscoped rules only */
	{ "sasl_username=", "DUNNO" },		/* no state: scoped rules never fire */
};

/* fill_values - "a=b;c=d" into slots (copies kept in store) */
static void fill_values(const struct rules *rs, const char *spec, struct rules_values *v,
			char *store, size_t storelen)
{
	size_t i, n = rules_nslots(rs);
	char *p;

	for (i = 0; i < n; i++)
		v->val[i] = NULL;
	assert_true(strlen(spec) < storelen);
	memcpy(store, spec, strlen(spec) + 1);
	p = store;
	while (*p) {
		char *semi = strchr(p, ';'), *eq = strchr(p, '=');
		int slot;

		if (semi == NULL)
			semi = p + strlen(p);
		else
			*semi++ = '\0';
		assert_non_null(eq);
		*eq = '\0';
		slot = rules_slot(rs, p, strlen(p));
		if (slot >= 0) {
			v->val[slot] = eq + 1;
			v->len[slot] = strlen(eq + 1);
		}
		p = semi;
	}
}

static void test_match(void **state)
{
	char err[512], store[512];
	struct rules *rs;
	struct rules_values v;
	size_t i;

	(void)state;
	rs = rules_parse(match_rules, strlen(match_rules), "m.rules", NULL, 0, err, sizeof(err));
	if (rs == NULL)
		fail_msg("%s", err);
	assert_int_equal(rules_count(rs), 19);
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct rule *r = NULL;

		fill_values(rs, match_cases[i].attrs, &v, store, sizeof(store));
		assert_int_equal(rules_eval(rs, &v, NULL, &r), 0);
		assert_non_null(r);
		if (strcmp(r->action, match_cases[i].want) != 0)
			fail_msg("%s: got \"%s\" (rule %s), want \"%s\"", match_cases[i].attrs,
				 r->action, r->id, match_cases[i].want);
	}
	rules_free(&rs);
}

/* rules_slot: names of every length, including lengths 64 apart (the
 * length filter in front of the hash table must only turn away names no
 * rule looks at); slot names are at most 64 bytes, request names may be
 * longer */
static void test_slot_lookup(void **state)
{
	char text[512], longname[80], other[80], err[512];
	struct rules *rs;
	size_t i;

	(void)state;
	memset(longname, 'a', 64);
	longname[64] = '\0';
	memset(other, 'b', 78);
	other[78] = '\0';
	snprintf(text, sizeof(text), "rule r: client_address == x and %s == y and sender == z "
		 "=> REJECT\n", longname);
	rs = rules_parse(text, strlen(text), "s.rules", NULL, 0, err, sizeof(err));
	if (rs == NULL)
		fail_msg("%s", err);
	assert_int_equal(rules_slot(rs, "protocol_state", 14), 0);
	assert_true(rules_slot(rs, "client_address", 14) > 0);
	assert_true(rules_slot(rs, "sender", 6) > 0);
	assert_true(rules_slot(rs, longname, 64) > 0);
	assert_string_equal(rules_slot_name(rs, (size_t)rules_slot(rs, longname, 64)), longname);
	/* same length as a slot name, or 64 apart, but not a slot */
	assert_int_equal(rules_slot(rs, "client_addresx", 14), -1);
	assert_int_equal(rules_slot(rs, other, 78), -1);	/* 78 = 14 + 64 */
	assert_int_equal(rules_slot(rs, other, 64), -1);
	assert_int_equal(rules_slot(rs, "", 0), -1);		/* 0 = 64 - 64 */
	assert_int_equal(rules_slot(rs, other, 70), -1);	/* 70 = 6 + 64 */
	/* lengths no slot has */
	assert_int_equal(rules_slot(rs, "recipient", 9), -1);
	assert_int_equal(rules_slot(rs, "senderx", 7), -1);
	for (i = 0; i < 64; i++)	/* shorter runs of a: none is a slot */
		assert_int_equal(rules_slot(rs, longname, i), -1);
	rules_free(&rs);
}

static void test_reply_and_ids(void **state)
{
	static const char text[] =
		"rule first: sender == a => REJECT 5.7.1 no\n"
		"sender == a\n"
		"\t=> REJECT  two\n"
		"\t   lines\n";
	char err[512];
	struct rules *rs = rules_parse(text, strlen(text), "r.rules", "DEFER_IF_PERMIT later", 0,
				       err, sizeof(err));
	struct rules_values v;
	const struct rule *r;

	(void)state;
	if (rs == NULL)
		fail_msg("%s", err);
	assert_int_equal(rules_count(rs), 2);
	assert_string_equal(rules_default(rs)->reply, "action=DEFER_IF_PERMIT later\n\n");
	memset(&v, 0, sizeof(v));
	assert_int_equal(rules_eval(rs, &v, NULL, &r), 0);
	assert_string_equal(r->id, "default");
	v.val[rules_slot(rs, "sender", 6)] = "a";
	v.len[rules_slot(rs, "sender", 6)] = 1;
	assert_int_equal(rules_eval(rs, &v, NULL, &r), 0);
	assert_string_equal(r->id, "first");
	assert_string_equal(r->reply, "action=REJECT 5.7.1 no\n\n");
	/* the second rule: unnamed, continuation joined with one space */
	r = rules_get(rs, 1);
	assert_string_equal(r->id, "line-2");
	assert_int_equal(r->line, 2);
	assert_string_equal(r->action, "REJECT  two lines");
	assert_null(rules_get(rs, 2));
	rules_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_cidr_lenient),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_reply_and_ids),
		cmocka_unit_test(test_slot_lookup),
	};

	return cmocka_run_group_tests_name("policyd_rules", tests, NULL, NULL);
}
