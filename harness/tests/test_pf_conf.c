/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_pf_conf - main.cf read with Postfix's rules
 * DESCRIPTION
 *	Table-driven: logical lines (continuations, comments and blank
 *	lines inside them, a first line that starts with whitespace),
 *	name = value splitting, later entries winning, -o, the defaults of
 *	a version, and $name expansion in every form postconf -x knows.
 *	The expected values are what postconf -c DIR -h / -xh of Postfix
 *	3.7.11 printed for the same text (whitespace runs are printed
 *	as one blank by postconf; the cases below avoid them or say so).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness/postfix/pf_conf.h"

static struct pf_conf *load(const char *version, const char *text)
{
	struct pf_conf *c = malloc(sizeof(*c));
	struct pf_version v;
	char err[200];

	assert_non_null(c);
	assert_int_equal(pf_version_parse(version, &v), 0);
	pf_conf_init(c, &v);
	if (pf_conf_parse(c, text, strlen(text), err, sizeof(err)) < 0)
		fail_msg("parse: %s", err);
	return c;
}

static void test_lines(void **state)
{
	static const struct {
		const char *text, *name, *raw;
	} cases[] = {
		{ "a = b\n", "a", "b" },
		{ "a=b", "a", "b" },				/* no final LF */
		{ "  # c\na =   b  c  \n", "a", "b  c" },		/* trimmed ends */
		{ "a = x,\n  y\n", "a", "x,  y" },		/* joined as is */
		{ "a = x,\n# inside\n\n   \n\ty\nb = 2\n", "a", "x,\ty" },
		{ "a = 1\na = 2\n", "a", "2" },			/* later wins */
		{ "a =\n", "a", "" },
		{ "  stray = 1\na = 3\n", "a", "3" },		/* skipped, warned */
		{ "a = b = c\n", "a", "b = c" },
		{ "a\t=\tb\r\n", "a", "b" },			/* CR is whitespace */
		{ "smtpd_delay_reject = no\n", "smtpd_delay_reject", "no" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_conf *c = load("3.7.11", cases[i].text);
		enum pf_conf_origin o;
		const char *raw = pf_conf_raw(c, cases[i].name, &o);

		assert_non_null(raw);
		if (strcmp(raw, cases[i].raw) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, raw, cases[i].raw);
		assert_int_equal(o, PF_CONF_FILE);
		free(c);
	}
}

static void test_warnings_errors(void **state)
{
	struct pf_conf *c = load("3.7.11", "  stray = 1\na = 1\na = 2\nb = x\0y\n");
	struct pf_version v;
	char err[200];

	(void)state;
	assert_non_null(strstr(c->warnings, "line 1: logical line must not start with whitespace"));
	assert_non_null(strstr(c->warnings, "line 3: overriding earlier entry: a=1"));
	assert_null(pf_conf_raw(c, "stray", NULL));
	free(c);

	/* a NUL cuts the value: strlen() sees "b = x" */
	c = malloc(sizeof(*c));
	assert_non_null(c);
	assert_int_equal(pf_version_parse("3.7", &v), 0);
	pf_conf_init(c, &v);
	assert_int_equal(pf_conf_parse(c, "b = x\0y\n", 8, err, sizeof(err)), 0);
	assert_string_equal(pf_conf_raw(c, "b", NULL), "x");
	assert_non_null(strstr(c->warnings, "null byte"));
	assert_int_equal(pf_conf_parse(c, "a = 1\njunk\n", 11, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: missing '=' after attribute name: \"junk\"");
	assert_int_equal(pf_conf_parse(c, "= 1\n", 4, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: missing attribute name");
	free(c);
}

static void test_set_defaults(void **state)
{
	struct pf_conf *c = load("3.7.11", "soft_bounce = no\n");
	enum pf_conf_origin o;
	char err[200];

	(void)state;
	assert_int_equal(pf_conf_set(c, "soft_bounce=yes", err, sizeof(err)), 0);
	assert_string_equal(pf_conf_raw(c, "soft_bounce", &o), "yes");
	assert_int_equal(o, PF_CONF_OPTION);
	assert_int_equal(pf_conf_set(c, " x = a b ", err, sizeof(err)), 0);
	assert_string_equal(pf_conf_raw(c, "x", NULL), " a b ");
	assert_int_equal(pf_conf_set(c, "novalue", err, sizeof(err)), -1);
	assert_int_equal(pf_conf_set(c, "=v", err, sizeof(err)), -1);
	assert_string_equal(pf_conf_raw(c, "smtpd_delay_reject", &o), "yes");
	assert_int_equal(o, PF_CONF_DEFAULT);
	assert_string_equal(pf_conf_raw(c, "smtpd_sasl_mechanism_filter", NULL),
			    "!external, static:rest");
	assert_string_equal(pf_conf_origin_name(PF_CONF_OPTION), "-o");
	free(c);

	/* version gates: no mechanism filter before 3.6, old recipient default before 2.10 */
	c = load("3.5", "");
	assert_null(pf_conf_raw(c, "smtpd_sasl_mechanism_filter", NULL));
	free(c);
	c = load("2.9", "");
	assert_string_equal(pf_conf_raw(c, "smtpd_recipient_restrictions", NULL),
			    "permit_mynetworks, reject_unauth_destination");
	assert_null(pf_conf_raw(c, "smtpd_relay_restrictions", NULL));
	free(c);
}

static void test_expand(void **state)
{
	static const char text[] =
		"compatibility_level = 3.6\n"
		"mydomain = example.org\n"
		"myhostname = mx.$mydomain\n"
		"e1 = $mydomain ${myhostname} $(mydomain)x $$y ${foo2?yes} ${foo2:no}\n"
		"e2 = ${mydomain?{a}:{b}} ${nope:{}}e ${mydomain?q}\n"
		"e3 = ${{$compatibility_level} <level {3.6} ? {old} : {new}}\n"
		"e4 = ${{10} < {9} ? {lt} : {ge}}|${{abc} == {abc} ? {eq}}\n"
		"loop = $loop\n"
		"bad = ${unclosed\n"
		"e5 = ${{3.10} >level {3.6} ? {newer}}|${{3.10} > {3.6} ? {str} : {num}}\n";
	static const struct {
		const char *name, *want;
		int status;
	} cases[] = {
		{ "e1", "example.org mx.example.org example.orgx $y  no", PF_CONF_UNKNOWN },
		{ "e2", "a e q", PF_CONF_UNKNOWN },	/* postconf: undefined parameter: nope */
		{ "e3", "new", 0 },
		{ "e4", "ge|eq", 0 },
		{ "e5", "newer|num", 0 },
		{ "smtpd_relay_restrictions",
		  "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", 0 },
		{ "smtpd_relay_before_recipient_restrictions", "yes", 0 },
		{ "relay_domains", "", 0 },
		{ "mynetworks_style", "host", 0 },
		{ "smtputf8_enable", "yes", 0 },
		{ "loop", "", PF_CONF_BAD },
		{ "bad", "", PF_CONF_BAD },
		{ "nosuch", "", PF_CONF_UNKNOWN },
	};
	struct pf_conf *c = load("3.7.11", text);
	char out[300], small[5];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = pf_conf_expand(c, cases[i].name, out, sizeof(out));

		if (strcmp(out, cases[i].want) != 0 || st != cases[i].status)
			fail_msg("%s: got \"%s\" (%d), want \"%s\" (%d)", cases[i].name, out, st,
				 cases[i].want, cases[i].status);
	}
	assert_int_equal(pf_conf_expand(c, "myhostname", small, sizeof(small)), PF_CONF_TRUNC);
	assert_string_equal(small, "mx.e");
	free(c);

	/* compatibility_level 0: the old defaults */
	c = load("3.7.11", "mydestination = a.test\n");
	assert_int_equal(pf_conf_expand(c, "smtpd_relay_restrictions", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(pf_conf_expand(c, "relay_domains", out, sizeof(out)), 0);
	assert_string_equal(out, "a.test");
	assert_int_equal(pf_conf_expand(c, "smtpd_relay_before_recipient_restrictions", out,
					sizeof(out)), 0);
	assert_string_equal(out, "no");
	free(c);
}

/*
 * Random main.cf texts over the bytes the grammar cares about: parsing
 * either succeeds or says why, every parameter expands to a terminated
 * string within its bounds, and the recursion limit holds (ASan and UBSan
 * watch the rest). A fixed seed: the same inputs every run.
 */
static void test_random(void **state)
{
	static const char *const tokens[] = {
		"$", "$$", "{", "}", "(", ")", "?", ":", " ", "a", "b", "_", "$a", "${b}", "$(ab)",
		"${a?", "${b:", "{x}", "${{$a} == {1} ? {", "} : {", "<level", "\n  ", "\n#c\n",
		"\nb = ", "\na = $b", "\nab=", "\n\n", "=", "1", "3.6",
	};
	static const char *const names[] = { "a", "b", "ab", "a_b" };
	struct pf_conf *c = malloc(sizeof(*c));
	struct pf_version v;
	unsigned long seed = 12345;
	char text[600], out[64], err[200];
	int round, parsed = 0, expanded = 0;

	(void)state;
	assert_non_null(c);
	assert_int_equal(pf_version_parse("3.7.11", &v), 0);
	for (round = 0; round < 20000; round++) {
		size_t i, n = 4, k;

		memcpy(text, "a = ", 4);
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		for (k = (seed >> 33) % 60; k > 0; k--) {
			const char *t;

			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			t = tokens[(seed >> 33) % (sizeof(tokens) / sizeof(tokens[0]))];
			if (n + strlen(t) >= sizeof(text))
				break;
			memcpy(text + n, t, strlen(t));
			n += strlen(t);
		}
		pf_conf_init(c, &v);
		if (pf_conf_parse(c, text, n, err, sizeof(err)) < 0) {
			assert_true(strlen(err) > 0 && strlen(err) < sizeof(err));
			continue;
		}
		parsed++;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			int st = pf_conf_expand(c, names[i], out, sizeof(out));

			assert_true(st >= 0 && st <= (PF_CONF_UNKNOWN | PF_CONF_TRUNC | PF_CONF_BAD));
			assert_true(strlen(out) < sizeof(out));
			expanded += st == 0 && out[0] != '\0';
		}
	}
	/* the inputs reach the expander, not only the parser's errors */
	assert_true(parsed > 5000);
	assert_true(expanded > 1000);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_warnings_errors),
		cmocka_unit_test(test_set_defaults),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
