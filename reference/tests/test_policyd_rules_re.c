/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_policyd_rules_re - rule regexes: POSIX ERE read as before,
 *	matched by PCRE2 within a bound
 * DESCRIPTION
 *	The translation table (brackets, GNU word anchors, "{,m}", refused
 *	escapes); every regex of the rule files that ship (the sample
 *	rules, the fuzzing corpus's rule files, the manual's examples)
 *	loads, and decides as glibc's regexec(REG_EXTENDED) did on a set
 *	of probe values, as do the dialect's corner cases (and what regcomp
 *	refuses, PCRE's own syntax included, does not load), also for
 *	5,000 patterns made at random from the dialect's parts; a pattern that
 *	backtracks exponentially ("(.*a){100}$" on 7 KB) gives up within
 *	a bound, its test false for "=~" and "!~" alike, and the caller is
 *	told which rule and attribute.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reference/policyd/rules.h"
#include "reference/policyd/rules_re.h"

static const struct tr_case {
	const char *ere, *pcre;	/* pcre NULL: refused */
} tr_cases[] = {
	{ "^mail[0-9]+\\.example$", "^mail[0-9]+\\.example$" },
	{ "[\\.]", "[\\\\.]" },
	{ "[^\\]x", "[^\\\\]x" },
	{ "[]a]", "[\\]a]" },
	{ "[^]a]", "[^\\]a]" },
	{ "[[:digit:]\\]+", "[[:digit:]\\\\]+" },
	{ "\\<word\\>", "\\b(?=\\w)word\\b(?<=\\w)" },
	{ "\\`a\\'", "\\Aa\\z" },
	{ "a{,3}", "a{0,3}" },
	{ "a{,}", "a{0,}" },
	{ "a{2,3}", "a{2,3}" },
	{ "a{2,}b{2}", "a{2,}b{2}" },
	{ "(a)\\w\\s\\b", "(a)\\w\\s\\b" },
	{ "(a)\\1", NULL },
	{ "\\.\\(\\[\\\\", "\\.\\(\\[\\\\" },
	{ "\\d", NULL },
	{ "a\\t", NULL },
	{ "\\0", NULL },
	{ "\\x41", NULL },
	/* glibc refuses them, PCRE2 would read them as something */
	{ "(?i)a", NULL },
	{ "(*LIMIT_MATCH=1)a", NULL },
	{ "*a", NULL },
	{ "a|*b", NULL },
	{ "^*a", NULL },
	{ "$+", NULL },
	{ "x{", NULL },
	{ "a{x}", NULL },
	{ "{1}", NULL },
	{ "a{,}+", NULL },
};

static void test_translate(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tr_cases) / sizeof(tr_cases[0]); i++) {
		struct xbuf out;
		const char *why = NULL;
		size_t off = 99;
		int rc;

		xbuf_init(&out, 4096);
		rc = rules_re_translate(tr_cases[i].ere, strlen(tr_cases[i].ere), &out, &off, &why);
		if (tr_cases[i].pcre == NULL) {
			if (rc != -1)
				print_error("row %zu: %s accepted\n", i, tr_cases[i].ere);
			assert_int_equal(rc, -1);
			assert_non_null(why);
			assert_true(off < strlen(tr_cases[i].ere));
			assert_non_null(strchr("\\*+?{", tr_cases[i].ere[off]));
		} else {
			assert_int_equal(rc, 0);
			if (strcmp(xbuf_cstr(&out), tr_cases[i].pcre) != 0)
				print_error("row %zu: %s -> %s\n", i, tr_cases[i].ere, xbuf_cstr(&out));
			assert_string_equal(xbuf_cstr(&out), tr_cases[i].pcre);
		}
		xbuf_free(&out);
	}
}

/* --- the same decisions as regexec ------------------------------------ */

static const char *const probes[] = {
	"", "a", "x", ".", "\\", "]", "-", "localhost", "LOCALHOST.example",
	"localhost.localdomain", "[127.0.0.1]", "127.0.0.1", "[127.x", "x127.0.0.1",
	"mail1.re.example", "mail12.re.example", "MAIL1.RE.EXAMPLE", "mail.re.example",
	"mail1.re.example.", "RE-I", "re-i", "re-ii", "unknown", "a word here",
	"words", "aaa", "aab", "ab\\", "a.b", "mx.example.com", "192.0.2.1",
};

/* decide_posix - what regexec says: 1 match, 0 not, -1 not compiled */
static int decide_posix(const char *re, int icase, const char *val)
{
	regex_t r;
	int m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) != 0)
		return -1;
	m = regexec(&r, val, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

/* decide_rules - the same through a one-rule file: 1, 0, -1 not loaded */
static int decide_rules(const char *re, int icase, const char *val, int *loaded)
{
	char file[2048], err[512];
	struct rules *rs;
	struct rules_values v;
	const struct rule *r = NULL;
	size_t i, o = 0;
	int slot;

	o += (size_t)snprintf(file, sizeof(file), "rule m: helo_name =~ /");
	for (i = 0; re[i] != '\0' && o + 4 < sizeof(file); i++) {
		if (re[i] == '/')
			file[o++] = '\\';
		file[o++] = re[i];
	}
	snprintf(file + o, sizeof(file) - o, "/%s => REJECT m\n", icase ? "i" : "");
	rs = rules_parse(file, strlen(file), "t.rules", NULL, 0, err, sizeof(err));
	*loaded = rs != NULL;
	if (rs == NULL)
		return -1;
	memset(&v, 0, sizeof(v));
	slot = rules_slot(rs, "helo_name", 9);
	assert_true(slot > 0);
	v.val[slot] = val;
	v.len[slot] = strlen(val);
	assert_int_equal(rules_eval(rs, &v, NULL, &r), 0);
	i = strcmp(r->id, "m") == 0;
	rules_free(&rs);
	return (int)i;
}

/* agree - one pattern: loads where regcomp compiled it, decides the same */
static void agree(const char *re, int icase, const char *where)
{
	size_t i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int p = decide_posix(re, icase, probes[i]), loaded;
		int q = decide_rules(re, icase, probes[i], &loaded);

		if (p < 0) {		/* regcomp refused it: so do the rules */
			if (loaded)
				print_error("%s: /%s/ loads, regcomp refuses it\n", where, re);
			assert_false(loaded);
			return;
		}
		if (!loaded || p != q)
			print_error("%s: /%s/%s on \"%s\": regexec %d, rules %d%s\n", where, re,
				    icase ? "i" : "", probes[i], p, q, loaded ? "" : " (not loaded)");
		assert_true(loaded);
		assert_int_equal(p, q);
	}
}

/* agree_loose - as agree(), but the rules may refuse what regcomp takes */
static void agree_loose(const char *re, int icase)
{
	int loaded;

	(void)decide_rules(re, icase, "", &loaded);
	if (loaded || decide_posix(re, icase, "") < 0)
		agree(re, icase, "random");
}

static const char *const dialect[] = {
	"[\\.]", "[]a]", "[^]a]", "\\<word", "word\\>", "a{,2}b", "^a{0,1}$",
"[[:alpha:]]+[[:digit:]]", "\\`a", "b\\'", "x|", "^$", "\\.",
	"[a-c-]", "a.b", "\\\\$", "[[:upper:]]", "^.*$", "(^a|b$)", "a{,}b", "a{1,}$",
	/* regcomp refuses these: the rules must too */
	"(?i)a", "(*LIMIT_MATCH=1)a", "*a", "a|*b", "x{", "a{x}", "a{2,1}", "[a", "a(",
};

static void test_dialect_agrees(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dialect) / sizeof(dialect[0]); i++) {
		agree(dialect[i], 0, "dialect");
		agree(dialect[i], 1, "dialect");
	}
}

/*
 * random_agrees - 5,000 patterns (every other one with i) of up to 8
 * pieces drawn (fixed seed) from the dialect's parts: where regcomp
 * refuses one the rules refuse it; where both take it they decide alike
 * on the probes (the rules may refuse more: util/rebound's bounds)
 */
static void test_random_agrees(void **state)
{
	static const char *const parts[] = {
		"a", "b", ".", "*", "+", "?", "|", "(", ")", "^", "$", "[ab]", "[^a]",
		"[]a]", "[\\.]", "{2}", "{,1}", "{1,}", "{", "\\.", "\\<", "\\>", "\\w",
		"\\b", "\\(", "[[:alpha:]]", "x", "\\1", "{,}", "[a-]", "\\\\", "()",
		"\\`", "\\'", "{0}", "\\W", "\\s", "[^]]",
	};
	uint32_t seed = 12345;
	int i, k, compared = 0;

	(void)state;
	for (i = 0; i < 5000; i++) {
		char re[128] = "";
		int n;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (int)((seed >> 16) % 8);
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			strcat(re, parts[(seed >> 16) % (sizeof(parts) / sizeof(parts[0]))]);
		}
		if (decide_posix(re, 0, "") >= 0)
			compared++;
		agree_loose(re, i & 1);
	}
	print_message("%d random patterns, %d that regcomp takes\n", i, compared);
}

/* next_regex - the next "=~ /re/" or "!~ /re/" of text at *pos */
static int next_regex(const char *text, size_t *pos, char *re, size_t relen, int *icase)
{
	const char *p = text + *pos, *q;
	size_t n = 0;

	while ((q = strstr(p, "~ /")) != NULL && !(q > text && (q[-1] == '=' || q[-1] == '!')))
		p = q + 3;
	if (q == NULL)
		return 0;
	for (q += 3; *q != '\0' && *q != '/' && *q != '\n' && n + 1 < relen; q++) {
		if (q[0] == '\\' && q[1] == '/')
			q++;
		re[n++] = *q;
	}
	re[n] = '\0';
	*icase = *q == '/' && q[1] == 'i';
	*pos = (size_t)(q - text) + (*q != '\0');
	return *q == '/';
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("%s: cannot open (run from the source tree)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *const shipped[] = {
	"reference/policyd/sample.rules",
	"corpus/fuzz/fuzz_policyd_rules/sample_rules",
	"corpus/fuzz/fuzz_policyd_rules/every_test",
	"docs/policyd-rules.md",
};

static void test_shipped_files(void **state)
{
	size_t i, nre = 0;

	(void)state;
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		char *text = slurp(shipped[i]), re[1100], err[512];
		size_t pos = 0;
		int icase;

		if (strstr(shipped[i], ".md") == NULL) {	/* a rule file: it loads */
			struct rules *rs = rules_parse(text, strlen(text), shipped[i], NULL, 1,
						       err, sizeof(err));

			if (rs == NULL)
				print_error("%s\n", err);
			assert_non_null(rs);
			rules_free(&rs);
		}
		while (next_regex(text, &pos, re, sizeof(re), &icase)) {
			agree(re, icase, shipped[i]);
			nre++;
		}
		free(text);
	}
	assert_true(nre >= 6);	/* the files above hold at least as many */
}

/* --- the bound ---------------------------------------------------------- */

struct told {
	int n;
	char rule[RULES_MAX_ID + 1], attr[64];
};

static void tell(void *ctx, const struct rule *r, const char *attr)
{
	struct told *t = ctx;

	t->n++;
	snprintf(t->rule, sizeof(t->rule), "%s", r->id);
	snprintf(t->attr, sizeof(t->attr), "%s", attr);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_match_limit(void **state)
{
	static const char text[] =
		"rule slow: helo_name =~ /(.*a){100}$/ => REJECT slow\n"
		"rule slown: helo_name !~ /(.*a){100}$/ => REJECT slown\n"
		"rule fast: helo_name =~ /^b/ => REJECT fast\n";
	char err[256], *val = malloc(7001);
	struct told t = { 0, "", "" };
	struct rules_env env = { NULL, &t, tell };
	struct rules *rs;
	struct rules_values v;
	const struct rule *r = NULL;
	double t0, ms;
	size_t i;
	int slot;

	(void)state;
	assert_non_null(val);
	for (i = 0; i < 7000; i++)
		val[i] = i % 3 == 0 ? 'a' : 'b';
	val[0] = 'b';
	val[7000] = '\0';
	rs = rules_parse(text, strlen(text), "t.rules", NULL, 0, err, sizeof(err));
	assert_non_null(rs);
	memset(&v, 0, sizeof(v));
	slot = rules_slot(rs, "helo_name", 9);
	v.val[slot] = val;
	v.len[slot] = 7000;
	t0 = now_ms();
	assert_int_equal(rules_eval(rs, &v, &env, &r), 0);
	ms = now_ms() - t0;
	print_message("two limited matches of (.*a){100}$ on 7000 bytes: %.1f ms\n", ms);
	assert_true(ms < 1000.0);	/* unbounded: seconds (glibc 5.2 s for one) */
	assert_string_equal(r->id, "fast");	/* neither =~ nor !~ fired */
	assert_int_equal(t.n, 2);
	assert_string_equal(t.rule, "slown");
	assert_string_equal(t.attr, "helo_name");
	/* a short value is decided: no limit reached, "!~" true */
	strcpy(val, "b");
	v.len[slot] = 1;
	t.n = 0;
	assert_int_equal(rules_eval(rs, &v, &env, &r), 0);
	assert_string_equal(r->id, "slown");
	assert_int_equal(t.n, 0);
	rules_free(&rs);
	free(val);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_dialect_agrees),
		cmocka_unit_test(test_random_agrees),
		cmocka_unit_test(test_shipped_files),
		cmocka_unit_test(test_match_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
