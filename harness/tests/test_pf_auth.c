/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_pf_auth - the Postfix oracle for Dovecot auth replies
 * DESCRIPTION
 *	Table-driven over protocols.md A.2.3 (handshake), A.3 (the AUTH line)
 *	and A.6 (how each reply becomes an SMTP answer), including the
 *	version-dependent rows (3.0 SPID check, 3.9 "(reason unavailable)",
 *	3.11-20250304 reconnect, 3.12-20260710 bare VERSION, each with its
 *	stable back-ports); which versions the oracle knows (releases up to
 *	each line's newest patch level, snapshots of the development
 *	lines) and the version it falls back to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "harness/postfix/pf_auth.h"
#include "proto/dvauth.h"

static struct pf_version ver(const char *s)
{
	struct pf_version v;

	assert_int_equal(pf_version_parse(s, &v), 0);
	return v;
}

static void test_pf_version(void **state)
{
	struct pf_version v;
	static const char *bad[] = { "", "3", "3.", "x.y", "3.7-2026", "3.7.1.2", "3.7x", "10.1",
				     "3.7-202607101" };
	size_t i;

	(void)state;
	v = ver("3.7.11");
	assert_int_equal(v.major, 3);
	assert_int_equal(v.minor, 7);
	assert_int_equal(v.patch, 11);
	v = ver("3.12-20260710");
	assert_int_equal(v.snapshot, 20260710);
	assert_true(pf_version_cmp(&v, 3, 12, 20260710) == 0);
	assert_true(pf_version_cmp(&v, 3, 12, 20260709) > 0);
	assert_true(pf_version_cmp(&v, 3, 12, 0) < 0);	/* a snapshot precedes the release */
	v = ver("3.7");
	assert_true(pf_version_cmp(&v, 3, 9, 20231105) < 0);
	assert_true(pf_version_cmp(&v, 2, 12, 20140905) > 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pf_version_parse(bad[i], &v) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void test_pf_version_known(void **state)
{
	static const struct {
		const char *version;
		int want;
	} cases[] = {
		{ "2.1", 1 }, { "2.1.6", 1 }, { "2.1.7", 0 }, { "2.0", 0 }, { "2.0.20", 0 },
		{ "2.11.11", 1 }, { "2.12", 0 },	/* 2.12 was never released: it became 3.0 */
		{ "3.7", 1 }, { "3.7.11", 1 }, { "3.7.22", 1 }, { "3.7.23", 0 },
		{ "3.11.7", 1 }, { "3.11.8", 0 }, { "3.12", 0 }, { "3.13", 0 }, { "4.0", 0 },
		{ "9.9", 0 }, { "3.99", 0 },
		{ "2.12-20140905", 1 }, { "3.12-20260710", 1 }, { "3.12-20260821", 1 },
		{ "3.12-20260822", 0 }, { "3.13-20260101", 0 }, { "3.7-20210101", 1 },
		{ "3.7-20211301", 0 }, { "3.7-20210100", 0 }, { "2.1-20020101", 0 },
	};
	struct pf_version v;
	char list[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = ver(cases[i].version);
		if (pf_version_known(&v) != cases[i].want)
			fail_msg("%s: want %d", cases[i].version, cases[i].want);
	}
	/* the fallback is a known release, and newer than Debian 12's */
	pf_version_newest(&v);
	assert_true(pf_version_known(&v));
	assert_true(pf_version_at_least(&v, 3, 11, 0));
	pf_version_default(&v);
	assert_true(pf_version_known(&v));
	/* the list names the first line, the newest patch levels, the snapshots */
	assert_true(pf_version_known_list(list, sizeof(list)) > 0);
	assert_non_null(strstr(list, "2.1.0-2.1.6, "));
	assert_non_null(strstr(list, "3.7.0-3.7.22, "));
	assert_non_null(strstr(list, "3.11.0-3.11.7; snapshots "));
	assert_non_null(strstr(list, "3.12-20260821"));
	assert_int_equal(pf_version_known_list(list, 40), -1);
}

static void test_pf_version_has_fix(void **state)
{
	static const struct pf_version_fix fix = {
		3, 9, 20231112, { { 3, 7, 11 }, { 3, 8, 6 }, { 0, 0, 0 } },
	};
	static const struct {
		const char *version;
		int want;
	} cases[] = {
		{ "3.9-20231112", 1 }, { "3.9-20231111", 0 }, { "3.9", 1 }, { "3.9.0", 1 },
		{ "3.12-20260710", 1 }, { "4.0", 1 },
		{ "3.7.11", 1 }, { "3.7.22", 1 }, { "3.7.10", 0 }, { "3.7", 0 },
		{ "3.8.6", 1 }, { "3.8.5", 0 },
		{ "3.6.20", 0 },	/* a branch not in the list */
		{ "3.7-20210101", 0 },	/* a 3.7 snapshot is not a 3.7.x release */
		{ "2.11.3", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_version v = ver(cases[i].version);

		if (pf_version_has_fix(&v, &fix) != cases[i].want)
			fail_msg("%s: want %d", cases[i].version, cases[i].want);
	}
}

struct hs_case {
	const char *name;
	const char *version;
	const char *lines[12];
	int want;		/* final return code */
	const char *why;	/* substring of h->why, or NULL */
	size_t nmechs;
};

static void test_pf_auth_handshake(void **state)
{
	static const struct hs_case cases[] = {
		{ "dovecot 2.3", "3.7", { "VERSION\t1\t2", "MECH\tPLAIN\tplaintext",
		  "MECH\tLOGIN\tplaintext", "SPID\t1", "CUID\t1", "COOKIE\tab", "DONE" }, 1, NULL, 2 },
		{ "no VERSION is fine", "3.7", { "MECH\tPLAIN", "DONE" }, 1, NULL, 1 },
		{ "SPID before MECH", "3.7", { "VERSION\t1\t2", "SPID\t1", "MECH\tPLAIN", "DONE" },
		  -1, "wrong auth socket", 0 },
		{ "SPID before MECH, Postfix 2.11", "2.11", { "SPID\t1", "MECH\tPLAIN", "DONE" },
		  1, NULL, 1 },
		{ "major 2", "3.7", { "VERSION\t2\t2" }, -1, "version mismatch", 0 },
		{ "non-numeric VERSION", "3.7", { "VERSION\tx\t2" }, -1, "Protocol version error", 0 },
		{ "VERSION with one number", "3.7", { "VERSION\t1" }, -1, "Protocol version error", 0 },
		{ "VERSION with spaces", "3.7", { "VERSION 1 2", "MECH\tPLAIN", "DONE" }, 1, NULL, 1 },
		{ "bare VERSION crashes 3.7", "3.7", { "VERSION" }, -2, "crash", 0 },
		{ "bare VERSION ignored by 3.12-20260710", "3.12-20260710",
		  { "VERSION", "MECH\tPLAIN", "DONE" }, 1, NULL, 1 },
		/* the fix's stable back-ports (HISTORY 20260806) */
		{ "bare VERSION crashes 3.12-20260709", "3.12-20260709", { "VERSION" }, -2, "crash",
		  0 },
		{ "bare VERSION crashes 3.5.25", "3.5.25", { "VERSION" }, -2, "crash", 0 },
		{ "bare VERSION ignored by 3.5.27", "3.5.27", { "VERSION", "MECH\tPLAIN", "DONE" },
		  1, NULL, 1 },
		{ "bare VERSION crashes 3.7.21", "3.7.21", { "VERSION" }, -2, "crash", 0 },
		{ "bare VERSION ignored by 3.7.22", "3.7.22", { "VERSION", "MECH\tPLAIN", "DONE" },
		  1, NULL, 1 },
		{ "bare VERSION crashes 3.10.12", "3.10.12", { "VERSION" }, -2, "crash", 0 },
		{ "bare VERSION ignored by 3.10.13", "3.10.13", { "VERSION", "MECH\tPLAIN", "DONE" },
		  1, NULL, 1 },
		{ "bare VERSION crashes 3.11.5", "3.11.5", { "VERSION" }, -2, "crash", 0 },
		{ "bare VERSION ignored by 3.11.6", "3.11.6", { "VERSION", "MECH\tPLAIN", "DONE" },
		  1, NULL, 1 },
		{ "bare VERSION crashes a 3.11 snapshot", "3.11-20250304", { "VERSION" }, -2, "crash",
		  0 },
		{ "CRLF: DONE\\r is not DONE", "3.7", { "MECH\tPLAIN\r", "DONE\r", "DONE" }, 1, NULL, 1 },
		{ "private mech dropped", "3.7", { "MECH\tX\tprivate", "MECH\tPLAIN\tPLAINTEXT", "DONE" },
		  1, NULL, 1 },
		{ "unknown flags ignored", "3.7", { "MECH\tSCRAM-SHA-1-PLUS\tmutual-auth\tchannel-binding",
		  "DONE" }, 1, NULL, 1 },
		{ "bare MECH ignored", "3.7", { "MECH", "SPID\t1" }, -1, "wrong auth socket", 0 },
		{ "unknown lines ignored", "3.7", { "HELLO", "", "MECH\tA", "DONE" }, 1, NULL, 1 },
		{ "DONE with fields is DONE (split_at)", "3.7", { "MECH\tA", "DONE\textra",
		  "MECH\tB" }, 1, NULL, 1 },
		{ "VERSION major 2^32+1 reads as 1", "3.7", { "VERSION\t4294967297\t0", "MECH\tA",
		  "DONE" }, 1, NULL, 1 },
		{ "VERSION major -4294967295 reads as 1", "3.7", { "VERSION\t-4294967295\t0",
		  "MECH\tA", "DONE" }, 1, NULL, 1 },
		{ "VERSION major -1 mismatches", "3.7", { "VERSION\t-1\t0" }, -1,
		  "version mismatch (-1 vs. 1)", 0 },
		{ "VERSION major overflow mismatches", "3.7", { "VERSION\t99999999999999999999999\t0" },
		  -1, "version mismatch", 0 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hs_case *c = &cases[i];
		struct pf_version v = ver(c->version);
		struct pf_auth_handshake h;
		int rc = 0;

		pf_auth_handshake_init(&h, &v);
		for (k = 0; k < 12 && c->lines[k] != NULL && rc == 0; k++)
			rc = pf_auth_handshake_line(&h, c->lines[k], strlen(c->lines[k]));
		if (rc != c->want)
			fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->want, h.why);
		if (c->why && strstr(h.why, c->why) == NULL)
			fail_msg("%s: why \"%s\" lacks \"%s\"", c->name, h.why, c->why);
		if (rc == 1 && h.nmechs != c->nmechs)
			fail_msg("%s: %zu mechanisms, want %zu", c->name, h.nmechs, c->nmechs);
	}
}

static void test_pf_auth_after_done(void **state)
{
	struct pf_version v = ver("3.7");
	struct pf_auth_handshake h;

	(void)state;
	pf_auth_handshake_init(&h, &v);
	assert_int_equal(pf_auth_handshake_line(&h, "MECH\tPLAIN", 10), 0);
	assert_int_equal(pf_auth_handshake_line(&h, "DONE", 4), 1);
	assert_null(strstr(h.notes, "after DONE"));
	/* a MECH after DONE is not part of the list */
	assert_int_equal(pf_auth_handshake_line(&h, "MECH\tLOGIN", 10), 1);
	assert_int_equal(pf_auth_handshake_line(&h, "SPID\t1", 6), 1);
	assert_int_equal(h.nmechs, 1);
	assert_int_equal(h.after_done, 2);
	assert_non_null(strstr(h.notes, "after DONE"));
}

static void test_pf_auth_handshake_notes_and_filter(void **state)
{
	struct pf_version v = ver("3.7");
	struct pf_auth_handshake h;
	const char *names[8];
	static const char *lines[] = { "MECH\tPLAIN\tplaintext", "MECH\tPLAIN\tplaintext",
				       "MECH\tANONYMOUS\tanonymous", "MECH\tCRAM-MD5\tdictionary\tactive",
				       "MECH\tX\tweird-flag", "DONE\r" };
	size_t i;

	(void)state;
	pf_auth_handshake_init(&h, &v);
	for (i = 0; i < 6; i++)
		assert_int_equal(pf_auth_handshake_line(&h, lines[i], strlen(lines[i])), 0);
	assert_non_null(strstr(h.notes, "duplicate MECH"));
	assert_non_null(strstr(h.notes, "weird-flag"));
	assert_non_null(strstr(h.notes, "CR"));
	/* noanonymous (Postfix's default) */
	assert_int_equal(pf_auth_filter(&h, 0, DVAUTH_MECH_ANONYMOUS, names, 8), 4);
	/* noplaintext, noanonymous */
	assert_int_equal(pf_auth_filter(&h, 0, DVAUTH_MECH_ANONYMOUS | DVAUTH_MECH_PLAINTEXT,
					names, 8), 2);
	assert_string_equal(names[0], "CRAM-MD5");
	/* mutual_auth required */
	assert_int_equal(pf_auth_filter(&h, DVAUTH_MECH_MUTUAL_AUTH, 0, names, 8), 0);
}

static void test_pf_auth_request_line(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(pf_auth_request(&b, 1, "PLAIN", "smtp", "127.0.0.1", "127.0.0.1", 0,
					 "AGFsaWNlAHNlY3JldA=="), 0);
	/* byte for byte what Postfix 3.7 sent in feasibility.md 3a */
	assert_string_equal(xbuf_cstr(&b), "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1"
			    "\trip=127.0.0.1\tresp=AGFsaWNlAHNlY3JldA==\n");
	xbuf_reset(&b);
	assert_int_equal(pf_auth_request(&b, 6, "login", "smtp", "", "::1", 1, NULL), 0);
	assert_string_equal(xbuf_cstr(&b), "AUTH\t6\tlogin\tservice=smtp\tnologin\tlip=\trip=::1\tsecured\n");
	xbuf_free(&b);
}

struct judge_case {
	const char *name;
	const char *version;
	unsigned id;
	const char *line;
	enum pf_auth_outcome want;
	const char *smtp;	/* exact SMTP reply, or NULL */
	const char *note;	/* substring of the note, or NULL */
	const char *user;
};

static void test_pf_auth_judge(void **state)
{
	static const struct judge_case cases[] = {
		{ "OK", "3.7", 1, "OK\t1\tuser=alice", PF_AUTH_DONE,
		  "235 2.7.0 Authentication successful", NULL, "alice" },
		{ "OK last user wins", "3.7", 1, "OK\t1\tuser=a\tuser=b", PF_AUTH_DONE, NULL, NULL, "b" },
		{ "OK user made printable", "3.7", 1, "OK\t1\tuser=bob\r", PF_AUTH_DONE, NULL, NULL,
		  "bob?" },
		{ "OK UTF-8 user kept (smtputf8, 3.0+)", "3.7", 1, "OK\t1\tuser=j\xc3\xb6rg",
		  PF_AUTH_DONE, NULL, NULL, "j\xc3\xb6rg" },
		{ "OK UTF-8 user before 3.0", "2.11", 1, "OK\t1\tuser=j\xc3\xb6rg", PF_AUTH_DONE,
		  NULL, NULL, "j??rg" },
		{ "OK invalid UTF-8 user", "3.7", 1, "OK\t1\tuser=j\xc3(rg", PF_AUTH_DONE, NULL,
		  "as '?'", "j?(rg" },
		{ "FAIL reason leaks", "3.7", 1, "FAIL\t1\treason=Unknown user", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: Unknown user", "enumeration", NULL },
		{ "FAIL reason with CR", "3.7", 1, "FAIL\t1\treason=nope\r", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: nope?", "as '?'", NULL },
		{ "FAIL last reason wins", "3.7", 1, "FAIL\t1\treason=a\treason=b", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: b", "last one wins", NULL },
		{ "FAIL without reason before 3.9", "3.8", 1, "FAIL\t1\tuser=a", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", "clear its reply buffer", NULL },
		{ "OK without user", "3.7", 1, "OK\t1", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: Authentication backend error",
		  "missing Dovecot server OK username field", NULL },
		{ "OK with nologin granted", "3.7", 1, "OK\t1\tuser=a\tnologin", PF_AUTH_DONE, NULL,
		  "grants", NULL },
		{ "OK with resp dropped", "3.7", 1, "OK\t1\tuser=a\tresp=dj1h", PF_AUTH_DONE, NULL,
		  "drops", NULL },
		{ "OK empty user", "3.7", 1, "OK\t1\tuser=", PF_AUTH_DONE, NULL,
		  "permit_sasl_authenticated", "" },
		{ "FAIL no reason, 3.7", "3.7", 2, "FAIL\t2\tuser=alice", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", NULL, NULL },
		{ "FAIL no reason, 3.9", "3.9", 2, "FAIL\t2\tuser=alice", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		/* the "(reason unavailable)" cleanup: 3.9-20231112 and stable back-ports */
		{ "FAIL no reason, 3.7.10", "3.7.10", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", NULL, NULL },
		{ "FAIL no reason, 3.7.11", "3.7.11", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		{ "FAIL no reason, 3.5.24", "3.5.24", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", NULL, NULL },
		{ "FAIL no reason, 3.5.25", "3.5.25", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		{ "FAIL no reason, 3.6.14", "3.6.14", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", NULL, NULL },
		{ "FAIL no reason, 3.6.15", "3.6.15", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		{ "FAIL no reason, 3.8.5", "3.8.5", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", NULL, NULL },
		{ "FAIL no reason, 3.8.6", "3.8.6", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		{ "FAIL no reason, 3.4.29", "3.4.29", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", NULL, NULL },
		{ "FAIL no reason, 3.9-20231024", "3.9-20231024", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: ", NULL, NULL },
		{ "FAIL no reason, 3.9-20231112", "3.9-20231112", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		{ "FAIL no reason, 3.10.0", "3.10.0", 2, "FAIL\t2", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		{ "FAIL empty reason=, 3.7.11", "3.7.11", 2, "FAIL\t2\treason=", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: (reason unavailable)", NULL, NULL },
		{ "FAIL reason", "3.7", 2, "FAIL\t2\treason=no\tsuch", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: no", NULL, NULL },
		{ "FAIL temp_fail is still 535", "3.7", 2, "FAIL\t2\tcode=temp_fail\treason=db down",
		  PF_AUTH_FAIL, "535 5.7.8 Error: authentication failed: db down", NULL, NULL },
		{ "FAIL reason escapes shown as ?", "3.7", 2, "FAIL\t2\treason=a\001tb", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: a?tb", NULL, NULL },
		{ "CONT", "3.7", 3, "CONT\t3\tVXNlcm5hbWU6", PF_AUTH_MORE, "334 VXNlcm5hbWU6", NULL, NULL },
		{ "CONT empty", "3.7", 3, "CONT\t3\t", PF_AUTH_MORE, "334 ", NULL, NULL },
		{ "CONT extra fields", "3.7", 3, "CONT\t3\tabc\tx=1", PF_AUTH_MORE, "334 abc\tx=1",
		  "extra TAB", NULL },
		{ "CONT without data", "3.7", 3, "CONT\t3", PF_AUTH_FAIL,
		  "535 5.7.8 Error: authentication failed: Authentication backend error", NULL, NULL },
		{ "wrong id skipped", "3.7", 4, "OK\t5\tuser=a", PF_AUTH_SKIP, NULL, "not the request",
		  NULL },
		{ "hex id accepted", "3.7", 1, "OK\t0x1\tuser=a", PF_AUTH_DONE, NULL, "not canonical",
		  NULL },
		{ "leading zero is octal", "3.7", 8, "OK\t010\tuser=a", PF_AUTH_DONE, NULL, NULL, NULL },
		{ "trailing junk after id", "3.7", 1, "OK\t1abc\tuser=a", PF_AUTH_DONE, NULL, NULL, NULL },
		{ "no TAB", "3.7", 1, "OK", PF_AUTH_SKIP, NULL, "Protocol error", NULL },
		{ "unknown word", "3.7", 1, "CANCELLED\t1", PF_AUTH_SKIP, NULL, "unknown reply", NULL },
		{ "empty line", "3.7", 1, "", PF_AUTH_SKIP, NULL, NULL, NULL },
		{ "lower-case ok", "3.7", 1, "ok\t1\tuser=a", PF_AUTH_SKIP, NULL, NULL, NULL },
	};
	size_t i;

	(void)state;
	{
		/* a reason of 600 bytes: the 535 line goes out uncut, over 512 bytes */
		static char line[700];
		struct pf_version v = ver("3.7");
		struct pf_auth_verdict out;

		memcpy(line, "FAIL\t1\treason=", 14);
		memset(line + 14, 'r', 600);
		pf_auth_judge(&v, 1, line, 614, &out);
		assert_int_equal(strlen(out.smtp), 40 + 600);
		assert_non_null(strstr(out.note, "over-long reason"));
	}
	{
		/* the reply buffer reset came with the same back-ports */
		static const struct {
			const char *version;
			int stale;
		} reset[] = { { "3.7.10", 1 }, { "3.7.11", 0 }, { "3.6.14", 1 }, { "3.6.15", 0 },
			      { "3.9-20231024", 1 }, { "3.9", 0 } };
		size_t k;

		for (k = 0; k < sizeof(reset) / sizeof(reset[0]); k++) {
			struct pf_version v = ver(reset[k].version);
			struct pf_auth_verdict out;

			pf_auth_judge(&v, 1, "FAIL\t1", 6, &out);
			if ((strstr(out.note, "clear its reply buffer") != NULL) != reset[k].stale)
				fail_msg("%s: note \"%s\"", reset[k].version, out.note);
		}
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct judge_case *c = &cases[i];
		struct pf_version v = ver(c->version);
		struct pf_auth_verdict out;

		pf_auth_judge(&v, c->id, c->line, strlen(c->line), &out);
		if (out.outcome != c->want)
			fail_msg("%s: %s, want %s", c->name, pf_auth_outcome_name(out.outcome),
				 pf_auth_outcome_name(c->want));
		if (c->smtp && strcmp(out.smtp, c->smtp) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", c->name, out.smtp, c->smtp);
		if (c->note && strstr(out.note, c->note) == NULL)
			fail_msg("%s: note \"%s\" lacks \"%s\"", c->name, out.note, c->note);
		if (c->user && strcmp(out.user, c->user) != 0)
			fail_msg("%s: user \"%s\", want \"%s\"", c->name, out.user, c->user);
	}
}

static void test_pf_auth_nul_ends_line(void **state)
{
	struct pf_version v = ver("3.7");
	struct pf_auth_verdict out;

	(void)state;
	pf_auth_judge(&v, 1, "OK\t1\tuser=al\0ice", 16, &out);
	assert_int_equal(out.outcome, PF_AUTH_DONE);
	assert_string_equal(out.user, "al");
}

static void test_pf_auth_io_failure(void **state)
{
	static const struct {
		const char *version;
		int reconnects;		/* closes the connection (HISTORY 20250304) */
	} cases[] = {
		{ "3.7", 0 }, { "3.7.11", 0 }, { "3.7.14", 0 }, { "3.7.15", 1 },
		{ "3.8.9", 0 }, { "3.8.10", 1 }, { "3.9.3", 0 }, { "3.9.4", 1 },
		{ "3.10.1", 0 }, { "3.10.2", 1 }, { "3.10.13", 1 }, { "3.5.25", 0 },
		{ "3.6.20", 0 }, { "3.11-20250303", 0 }, { "3.11-20250304", 1 }, { "3.11", 1 },
		{ "3.12-20260710", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_version v = ver(cases[i].version);
		struct pf_auth_verdict out;

		pf_auth_io_failure(&v, &out);
		assert_int_equal(out.outcome, PF_AUTH_TEMP);
		assert_string_equal(out.smtp, "454 4.7.0 Temporary authentication failure: "
				    "Connection lost to authentication server");
		if ((strstr(out.note, "reconnects on the next AUTH") != NULL) != cases[i].reconnects)
			fail_msg("%s: note \"%s\"", cases[i].version, out.note);
		if ((pf_auth_link_after(&v, PF_AUTH_LINK_EOF) == PF_AUTH_LINK_DOWN) !=
		    cases[i].reconnects ||
		    (pf_auth_link_after(&v, PF_AUTH_LINK_ERROR) == PF_AUTH_LINK_DOWN) !=
		    cases[i].reconnects)
			fail_msg("%s: link after the failure", cases[i].version);
		assert_int_equal(pf_auth_link_after(&v, PF_AUTH_LINK_UP), PF_AUTH_LINK_UP);
	}
}

/* the next AUTH after a failure, as measured against 3.7.11 and 3.10.13 */
static void test_pf_auth_next_request(void **state)
{
	static const struct {
		const char *version;
		enum pf_auth_link how;	/* the failure */
		int inet;
		enum pf_auth_next want;
	} cases[] = {
		{ "3.7.11", PF_AUTH_LINK_EOF, 0, PF_AUTH_NEXT_RETRY },	/* EPIPE */
		{ "3.7.11", PF_AUTH_LINK_EOF, 1, PF_AUTH_NEXT_DEAD },	/* TCP takes it */
		{ "3.7.11", PF_AUTH_LINK_ERROR, 0, PF_AUTH_NEXT_RETRY },	/* error flag */
		{ "3.7.11", PF_AUTH_LINK_ERROR, 1, PF_AUTH_NEXT_RETRY },
		{ "3.10.13", PF_AUTH_LINK_EOF, 0, PF_AUTH_NEXT_CONNECT },
		{ "3.10.13", PF_AUTH_LINK_EOF, 1, PF_AUTH_NEXT_CONNECT },
		{ "3.10.13", PF_AUTH_LINK_ERROR, 1, PF_AUTH_NEXT_CONNECT },
		{ "3.10.1", PF_AUTH_LINK_EOF, 1, PF_AUTH_NEXT_DEAD },
		{ "3.11", PF_AUTH_LINK_ERROR, 0, PF_AUTH_NEXT_CONNECT },
		{ "3.11", PF_AUTH_LINK_UP, 1, PF_AUTH_NEXT_SEND },
		{ "3.7.11", PF_AUTH_LINK_UP, 0, PF_AUTH_NEXT_SEND },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_version v = ver(cases[i].version);
		enum pf_auth_link link = pf_auth_link_after(&v, cases[i].how);
		enum pf_auth_next got = pf_auth_next_request(link, cases[i].inet);

		if (got != cases[i].want)
			fail_msg("case %zu (%s): next %d, want %d", i, cases[i].version, (int)got,
				 (int)cases[i].want);
	}
	/* a DEAD write fails its read: the stream keeps the error, then RETRY */
	assert_int_equal(pf_auth_next_request(PF_AUTH_LINK_ERROR, 1), PF_AUTH_NEXT_RETRY);
	assert_int_equal(pf_auth_next_request(PF_AUTH_LINK_DOWN, 0), PF_AUTH_NEXT_CONNECT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pf_version),
		cmocka_unit_test(test_pf_version_has_fix),
		cmocka_unit_test(test_pf_version_known),
		cmocka_unit_test(test_pf_auth_handshake),
		cmocka_unit_test(test_pf_auth_handshake_notes_and_filter),
		cmocka_unit_test(test_pf_auth_after_done),
		cmocka_unit_test(test_pf_auth_request_line),
		cmocka_unit_test(test_pf_auth_judge),
		cmocka_unit_test(test_pf_auth_nul_ends_line),
		cmocka_unit_test(test_pf_auth_io_failure),
		cmocka_unit_test(test_pf_auth_next_request),
	};

	return cmocka_run_group_tests_name("pf_auth", tests, NULL, NULL);
}
