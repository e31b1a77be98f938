/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_dvauth - unit tests for proto/dvauth
 * DESCRIPTION
 *	Tables for server lines and client lines (every command, every
 *	argument-count and number error), the field bound at N-1/N/N+1,
 *	tab-escaping compared with Dovecot's rules byte for byte, MECH
 *	flag parsing and formatting, and format -> parse round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/dvauth.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define S(s)	s, sizeof(s) - 1

/*
 * Server lines.
 */
struct server_case {
	const char *name;
	const char *in;
	size_t in_len;
	int rc;
	enum dvauth_cmd cmd;
	unsigned long a, b;		/* major/minor, num, id */
	const char *str;		/* mech, cookie, CONT data */
	size_t nparams;
	unsigned flags;
	size_t unknown;
};

static const struct server_case server_cases[] = {
	{ "version", S("VERSION\t1\t2"), 0, DVAUTH_VERSION, 1, 2, NULL, 0, 0, 0 },
	{ "version max uint", S("VERSION\t4294967295\t0"), 0, DVAUTH_VERSION,
	  4294967295ul, 0, NULL, 0, 0, 0 },
	{ "version overflow", S("VERSION\t4294967296\t0"), -1, DVAUTH_VERSION,
	  0, 0, NULL, 0, 0, 0 },
	{ "version missing minor", S("VERSION\t1"), -1, DVAUTH_VERSION, 0, 0,
	  NULL, 0, 0, 0 },
	{ "version extra field", S("VERSION\t1\t2\t3"), -1, DVAUTH_VERSION, 0,
	  0, NULL, 0, 0, 0 },
	{ "version sign", S("VERSION\t+1\t2"), -1, DVAUTH_VERSION, 0, 0, NULL,
	  0, 0, 0 },
	{ "version empty minor", S("VERSION\t1\t"), -1, DVAUTH_VERSION, 0, 0,
	  NULL, 0, 0, 0 },
	{ "version bare", S("VERSION"), -1, DVAUTH_VERSION, 0, 0, NULL, 0, 0, 0 },
	{ "version lower case is unknown", S("version\t1\t2"), 0,
	  DVAUTH_UNKNOWN, 0, 0, NULL, 0, 0, 0 },
	{ "mech plain", S("MECH\tPLAIN\tplaintext"), 0, DVAUTH_MECH, 0, 0,
	  "PLAIN", 0, DVAUTH_MECH_PLAINTEXT, 0 },
	{ "mech no flags", S("MECH\tEXTERNAL"), 0, DVAUTH_MECH, 0, 0,
	  "EXTERNAL", 0, 0, 0 },
	{ "mech all flags", S("MECH\tX\tprivate\tanonymous\tplaintext\t"
			      "dictionary\tactive\tforward-secrecy\t"
			      "mutual-auth\tchannel-binding"), 0, DVAUTH_MECH,
	  0, 0, "X", 0, 0xff, 0 },
	{ "mech flag case", S("MECH\tX\tPlainText\tACTIVE"), 0, DVAUTH_MECH,
	  0, 0, "X", 0, DVAUTH_MECH_PLAINTEXT | DVAUTH_MECH_ACTIVE, 0 },
	{ "mech unknown flags", S("MECH\tX\tfoo\t\tactive"), 0, DVAUTH_MECH,
	  0, 0, "X", 0, DVAUTH_MECH_ACTIVE, 2 },
	{ "mech without name", S("MECH"), -1, DVAUTH_MECH, 0, 0, NULL, 0, 0, 0 },
	{ "mech empty name", S("MECH\t"), -1, DVAUTH_MECH, 0, 0, NULL, 0, 0, 0 },
	{ "spid", S("SPID\t123"), 0, DVAUTH_SPID, 123, 0, NULL, 0, 0, 0 },
	{ "spid hex", S("SPID\t0x1"), -1, DVAUTH_SPID, 0, 0, NULL, 0, 0, 0 },
	{ "spid missing", S("SPID"), -1, DVAUTH_SPID, 0, 0, NULL, 0, 0, 0 },
	{ "cuid", S("CUID\t7"), 0, DVAUTH_CUID, 7, 0, NULL, 0, 0, 0 },
	{ "cuid extra", S("CUID\t7\t8"), -1, DVAUTH_CUID, 0, 0, NULL, 0, 0, 0 },
	{ "cookie", S("COOKIE\t0123456789abcdefABCDEF0123456789"), 0,
	  DVAUTH_COOKIE, 0, 0, "0123456789abcdefABCDEF0123456789", 0, 0, 0 },
	{ "cookie not hex", S("COOKIE\txyz"), -1, DVAUTH_COOKIE, 0, 0, NULL, 0,
	  0, 0 },
	{ "cookie empty", S("COOKIE\t"), -1, DVAUTH_COOKIE, 0, 0, NULL, 0, 0, 0 },
	{ "done", S("DONE"), 0, DVAUTH_DONE, 0, 0, NULL, 0, 0, 0 },
	{ "done with tab", S("DONE\t"), -1, DVAUTH_DONE, 0, 0, NULL, 0, 0, 0 },
	{ "done with cr is unknown", S("DONE\r"), 0, DVAUTH_UNKNOWN, 0, 0,
	  NULL, 0, 0, 0 },
	{ "ok user", S("OK\t1\tuser=bob"), 0, DVAUTH_OK, 1, 0, NULL, 1, 0, 0 },
	{ "ok no params", S("OK\t5"), 0, DVAUTH_OK, 5, 0, NULL, 0, 0, 0 },
	{ "ok id junk", S("OK\t1abc\tuser=bob"), -1, DVAUTH_OK, 0, 0, NULL, 0,
	  0, 0 },
	{ "ok id leading zero", S("OK\t01"), 0, DVAUTH_OK, 1, 0, NULL, 0, 0, 0 },
	{ "ok no tab", S("OK"), -1, DVAUTH_OK, 0, 0, NULL, 0, 0, 0 },
	{ "fail params", S("FAIL\t3\tcode=temp_fail\treason=x y\tnodelay"), 0,
	  DVAUTH_FAIL, 3, 0, NULL, 3, 0, 0 },
	{ "fail id space", S("FAIL\t 3"), -1, DVAUTH_FAIL, 0, 0, NULL, 0, 0, 0 },
	{ "cont", S("CONT\t2\tdGVzdA=="), 0, DVAUTH_CONT, 2, 0, "dGVzdA==", 0,
	  0, 0 },
	{ "cont empty data", S("CONT\t2\t"), 0, DVAUTH_CONT, 2, 0, "", 0, 0, 0 },
	{ "cont extra field", S("CONT\t2\tx\tchannel_binding=tls-unique"), 0,
	  DVAUTH_CONT, 2, 0, "x", 0, 0, 0 },
	{ "cont without data", S("CONT\t2"), -1, DVAUTH_CONT, 0, 0, NULL, 0, 0,
	  0 },
	{ "cont bad id", S("CONT\t-2\tx"), -1, DVAUTH_CONT, 0, 0, NULL, 0, 0, 0 },
	{ "cancelled", S("CANCELLED\t9"), 0, DVAUTH_CANCELLED, 9, 0, NULL, 0,
	  0, 0 },
	{ "cancelled bare", S("CANCELLED"), -1, DVAUTH_CANCELLED, 0, 0, NULL,
	  0, 0, 0 },
	{ "empty line", S(""), 0, DVAUTH_UNKNOWN, 0, 0, NULL, 0, 0, 0 },
	{ "unknown word", S("HELLO\tthere"), 0, DVAUTH_UNKNOWN, 0, 0, NULL, 0,
	  0, 0 },
	{ "nul in word", S("OK\0\t1"), 0, DVAUTH_UNKNOWN, 0, 0, NULL, 0, 0, 0 },
	{ "client word from server", S("AUTH\t1\tPLAIN"), 0, DVAUTH_UNKNOWN, 0,
	  0, NULL, 0, 0, 0 },
};

static void check_server_case(const struct server_case *c)
{
	struct dvauth_server_msg *m = malloc(sizeof(*m));
	const char *err = NULL;
	unsigned long a = 0, b = 0;
	int rc;

	assert_non_null(m);
	rc = dvauth_parse_server_line(c->in, c->in_len, m, &err);
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc,
			 err ? err : "");
	if (m->cmd != c->cmd)
		fail_msg("%s: cmd %d, want %d", c->name, m->cmd, c->cmd);
	if (rc < 0) {
		if (err == NULL || *err == '\0')
			fail_msg("%s: no error text", c->name);
		free(m);
		return;
	}
	switch (c->cmd) {
	case DVAUTH_VERSION: a = m->major; b = m->minor; break;
	case DVAUTH_SPID: case DVAUTH_CUID: a = m->num; break;
	case DVAUTH_OK: case DVAUTH_FAIL: case DVAUTH_CONT:
	case DVAUTH_CANCELLED: a = m->id; break;
	default: break;
	}
	if (a != c->a || b != c->b)
		fail_msg("%s: numbers %lu %lu, want %lu %lu", c->name, a, b,
			 c->a, c->b);
	if (c->str != NULL) {
		struct strview v = c->cmd == DVAUTH_MECH ? m->mech :
		    c->cmd == DVAUTH_COOKIE ? m->cookie : m->data;

		if (!strview_eq(v, c->str))
			fail_msg("%s: string %.*s, want %s", c->name,
				 (int)v.len, v.p, c->str);
	}
	if (m->nparams != c->nparams)
		fail_msg("%s: %zu params, want %zu", c->name, m->nparams,
			 c->nparams);
	if (m->mech_flags != c->flags || m->mech_unknown_flags != c->unknown)
		fail_msg("%s: flags %#x/%zu, want %#x/%zu", c->name,
			 m->mech_flags, m->mech_unknown_flags, c->flags,
			 c->unknown);
	free(m);
}

static void test_dvauth_parse_server_line_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(server_cases); i++)
		check_server_case(&server_cases[i]);
}

static void test_dvauth_parse_server_line_params(void **state)
{
	static const char line[] = "FAIL\t3\tuser=a=b\treason=\tnodelay\t=v\tuser=c";
	struct dvauth_server_msg *m = malloc(sizeof(*m));
	const struct dvauth_param *p;
	const char *err;

	(void)state;
	assert_non_null(m);
	assert_int_equal(dvauth_parse_server_line(line, strlen(line), m, &err), 0);
	assert_int_equal(m->nparams, 5);
	assert_true(strview_eq(m->params[0].name, "user"));
	assert_true(strview_eq(m->params[0].value, "a=b"));
	assert_int_equal(m->params[0].has_value, 1);
	assert_true(strview_eq(m->params[1].name, "reason"));
	assert_int_equal(m->params[1].value.len, 0);
	assert_int_equal(m->params[1].has_value, 1);
	assert_true(strview_eq(m->params[2].name, "nodelay"));
	assert_int_equal(m->params[2].has_value, 0);
	assert_int_equal(m->params[3].name.len, 0);
	assert_true(strview_eq(m->params[3].value, "v"));
	p = dvauth_param_find(m->params, m->nparams, "user");
	assert_ptr_equal(p, &m->params[4]);
	assert_null(dvauth_param_find(m->params, m->nparams, "code"));
	assert_int_equal(m->fields.n, 7);
	free(m);
}

/* line_with_fields - "OK\t1" followed by TABs up to n fields in total */
static char *line_with_fields(const char *head, size_t head_fields, size_t n,
			      size_t *len_r)
{
	size_t hl = strlen(head), i;
	char *s = malloc(hl + 2 * n + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	*len_r = hl;
	for (i = head_fields; i < n; i++) {
		s[(*len_r)++] = '\t';
		s[(*len_r)++] = 'x';
	}
	return s;
}

static void test_dvauth_split_field_bound(void **state)
{
	struct dvauth_fields *f = malloc(sizeof(*f));
	struct dvauth_server_msg *m = malloc(sizeof(*m));
	struct dvauth_client_msg *cm = malloc(sizeof(*cm));
	const char *err;
	size_t len;
	char *s;

	(void)state;
	assert_non_null(f);
	assert_non_null(m);
	assert_non_null(cm);
	s = line_with_fields("MECH\tX", 2, DVAUTH_MAX_FIELDS - 1, &len);
	assert_int_equal(dvauth_split(s, len, f, &err), 0);
	assert_int_equal(f->n, DVAUTH_MAX_FIELDS - 1);
	free(s);
	s = line_with_fields("MECH\tX", 2, DVAUTH_MAX_FIELDS, &len);
	assert_int_equal(dvauth_split(s, len, f, &err), 0);
	assert_int_equal(f->n, DVAUTH_MAX_FIELDS);
	assert_int_equal(dvauth_parse_server_line(s, len, m, &err), 0);
	assert_int_equal(m->mech_unknown_flags, DVAUTH_MAX_FIELDS - 2);
	free(s);
	s = line_with_fields("MECH\tX", 2, DVAUTH_MAX_FIELDS + 1, &len);
	assert_int_equal(dvauth_split(s, len, f, &err), -1);
	assert_string_equal(err, "too many fields");
	assert_int_equal(dvauth_parse_server_line(s, len, m, &err), -1);
	free(s);
	/* OK: 2 + DVAUTH_MAX_PARAMS fields fit, one more param does not */
	s = line_with_fields("OK\t1", 2, 2 + DVAUTH_MAX_PARAMS, &len);
	assert_int_equal(dvauth_parse_server_line(s, len, m, &err), 0);
	assert_int_equal(m->nparams, DVAUTH_MAX_PARAMS);
	free(s);
	s = line_with_fields("OK\t1", 2, 3 + DVAUTH_MAX_PARAMS, &len);
	assert_int_equal(dvauth_parse_server_line(s, len, m, &err), -1);
	assert_string_equal(err, "too many parameters");
	free(s);
	/* AUTH: all DVAUTH_MAX_FIELDS fields, params fill the array */
	s = line_with_fields("AUTH\t1\tPLAIN", 3, DVAUTH_MAX_FIELDS, &len);
	assert_int_equal(dvauth_parse_client_line(s, len, cm, &err), 0);
	assert_int_equal(cm->nparams, DVAUTH_MAX_PARAMS);
	free(s);
	s = line_with_fields("AUTH\t1\tPLAIN", 3, DVAUTH_MAX_FIELDS + 1, &len);
	assert_int_equal(dvauth_parse_client_line(s, len, cm, &err), -1);
	free(s);
	free(f);
	free(m);
	free(cm);
}

/*
 * Client lines.
 */
struct client_case {
	const char *name;
	const char *in;
	size_t in_len;
	int rc;
	enum dvauth_cmd cmd;
	unsigned long a, b;	/* major/minor, pid, id */
	const char *mech;
	size_t nparams;
	int has_resp;
	const char *resp;
	size_t after_resp;
	int has_data;
	const char *data;
	size_t extra;
};

static const struct client_case client_cases[] = {
	{ "version", S("VERSION\t1\t0"), 0, DVAUTH_VERSION, 1, 0, NULL, 0, 0,
	  NULL, 0, 0, NULL, 0 },
	{ "version extra", S("VERSION\t1\t0\t1"), -1, DVAUTH_VERSION, 0, 0,
	  NULL, 0, 0, NULL, 0, 0, NULL, 0 },
	{ "version letters", S("VERSION\tone\t0"), -1, DVAUTH_VERSION, 0, 0,
	  NULL, 0, 0, NULL, 0, 0, NULL, 0 },
	{ "cpid", S("CPID\t4242"), 0, DVAUTH_CPID, 4242, 0, NULL, 0, 0, NULL,
	  0, 0, NULL, 0 },
	{ "cpid zero", S("CPID\t0"), -1, DVAUTH_CPID, 0, 0, NULL, 0, 0, NULL,
	  0, 0, NULL, 0 },
	{ "cpid missing", S("CPID"), -1, DVAUTH_CPID, 0, 0, NULL, 0, 0, NULL,
	  0, 0, NULL, 0 },
	{ "auth postfix", S("AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1"
			    "\trip=\tsecured\tresp=AGEAYg=="), 0, DVAUTH_AUTH,
	  1, 0, "PLAIN", 5, 1, "AGEAYg==", 0, 0, NULL, 0 },
	{ "auth no params", S("AUTH\t7\tLOGIN"), 0, DVAUTH_AUTH, 7, 0, "LOGIN",
	  0, 0, NULL, 0, 0, NULL, 0 },
	{ "auth empty mech", S("AUTH\t7\t"), 0, DVAUTH_AUTH, 7, 0, "", 0, 0,
	  NULL, 0, 0, NULL, 0 },
	{ "auth resp==", S("AUTH\t2\tPLAIN\tservice=smtp\tresp=="), 0,
	  DVAUTH_AUTH, 2, 0, "PLAIN", 1, 1, "=", 0, 0, NULL, 0 },
	{ "auth bare resp", S("AUTH\t2\tPLAIN\tresp"), 0, DVAUTH_AUTH, 2, 0,
	  "PLAIN", 0, 1, "", 0, 0, NULL, 0 },
	{ "auth params after resp", S("AUTH\t2\tPLAIN\tresp=x\tsecured\ta=b"),
	  0, DVAUTH_AUTH, 2, 0, "PLAIN", 0, 1, "x", 2, 0, NULL, 0 },
	{ "auth Resp is a param", S("AUTH\t2\tPLAIN\tResp=x"), 0, DVAUTH_AUTH,
	  2, 0, "PLAIN", 1, 0, NULL, 0, 0, NULL, 0 },
	{ "auth id zero", S("AUTH\t0\tPLAIN"), -1, DVAUTH_AUTH, 0, 0, NULL, 0,
	  0, NULL, 0, 0, NULL, 0 },
	{ "auth id hex", S("AUTH\t0x1\tPLAIN"), -1, DVAUTH_AUTH, 0, 0, NULL, 0,
	  0, NULL, 0, 0, NULL, 0 },
	{ "auth no mech", S("AUTH\t1"), -1, DVAUTH_AUTH, 0, 0, NULL, 0, 0,
	  NULL, 0, 0, NULL, 0 },
	{ "cont", S("CONT\t3\tabc="), 0, DVAUTH_CONT, 3, 0, NULL, 0, 0, NULL,
	  0, 1, "abc=", 0 },
	{ "cont empty data", S("CONT\t3\t"), 0, DVAUTH_CONT, 3, 0, NULL, 0, 0,
	  NULL, 0, 1, "", 0 },
	{ "cont without data", S("CONT\t3"), 0, DVAUTH_CONT, 3, 0, NULL, 0, 0,
	  NULL, 0, 0, NULL, 0 },
	{ "cont id zero", S("CONT\t0\tx"), 0, DVAUTH_CONT, 0, 0, NULL, 0, 0,
	  NULL, 0, 1, "x", 0 },
	{ "cont extra", S("CONT\t3\tx\ty\tz"), 0, DVAUTH_CONT, 3, 0, NULL, 0,
	  0, NULL, 0, 1, "x", 2 },
	{ "cont no id", S("CONT"), -1, DVAUTH_CONT, 0, 0, NULL, 0, 0, NULL, 0,
	  0, NULL, 0 },
	{ "cancel", S("CANCEL\t4"), 0, DVAUTH_CANCEL, 4, 0, NULL, 0, 0, NULL,
	  0, 0, NULL, 0 },
	{ "cancel bad", S("CANCEL\tx"), -1, DVAUTH_CANCEL, 0, 0, NULL, 0, 0,
	  NULL, 0, 0, NULL, 0 },
	{ "empty line", S(""), 0, DVAUTH_UNKNOWN, 0, 0, NULL, 0, 0, NULL, 0, 0,
	  NULL, 0 },
	{ "server word", S("OK\t1"), 0, DVAUTH_UNKNOWN, 0, 0, NULL, 0, 0, NULL,
	  0, 0, NULL, 0 },
	{ "auth lower case", S("auth\t1\tPLAIN"), 0, DVAUTH_UNKNOWN, 0, 0,
	  NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};

static void check_client_case(const struct client_case *c)
{
	struct dvauth_client_msg *m = malloc(sizeof(*m));
	const char *err = NULL;
	unsigned long a = 0, b = 0;
	int rc;

	assert_non_null(m);
	rc = dvauth_parse_client_line(c->in, c->in_len, m, &err);
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc,
			 err ? err : "");
	if (m->cmd != c->cmd)
		fail_msg("%s: cmd %d, want %d", c->name, m->cmd, c->cmd);
	if (rc < 0) {
		if (err == NULL || *err == '\0')
			fail_msg("%s: no error text", c->name);
		free(m);
		return;
	}
	switch (c->cmd) {
	case DVAUTH_VERSION: a = m->major; b = m->minor; break;
	case DVAUTH_CPID: a = m->pid; break;
	case DVAUTH_AUTH: case DVAUTH_CONT: case DVAUTH_CANCEL:
		a = m->id; break;
	default: break;
	}
	if (a != c->a || b != c->b)
		fail_msg("%s: numbers %lu %lu, want %lu %lu", c->name, a, b,
			 c->a, c->b);
	if (c->mech != NULL && !strview_eq(m->mech, c->mech))
		fail_msg("%s: mech differs", c->name);
	if (m->nparams != c->nparams)
		fail_msg("%s: %zu params, want %zu", c->name, m->nparams,
			 c->nparams);
	if (m->has_resp != c->has_resp ||
	    (c->resp != NULL && !strview_eq(m->resp, c->resp)) ||
	    m->params_after_resp != c->after_resp)
		fail_msg("%s: resp %d/%zu, want %d/%zu", c->name, m->has_resp,
			 m->params_after_resp, c->has_resp, c->after_resp);
	if (m->has_data != c->has_data ||
	    (c->data != NULL && !strview_eq(m->data, c->data)) ||
	    m->extra_fields != c->extra)
		fail_msg("%s: data %d/%zu, want %d/%zu", c->name, m->has_data,
			 m->extra_fields, c->has_data, c->extra);
	free(m);
}

static void test_dvauth_parse_client_line_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(client_cases); i++)
		check_client_case(&client_cases[i]);
}

/*
 * Tab-escaping.
 */
struct esc_case {
	const char *name;
	const char *in;
	size_t in_len;
	const char *out;
	size_t out_len;
};

static const struct esc_case unescape_cases[] = {
	{ "plain", S("abc"), S("abc") },
	{ "empty", S(""), S("") },
	{ "all five", S("\001" "0\001" "1\001t\001r\001n"), S("\0\001\t\r\n") },
	{ "unknown byte kept", S("a\001xb"), S("axb") },
	{ "escaped escape then t", S("\001" "1t"), S("\001t") },
	{ "backslash untouched", S("a\\tb"), S("a\\tb") },
	{ "lone trailing escape", S("ab\001"), S("ab") },
	{ "only escape", S("\001"), S("") },
	{ "double escape", S("\001\001"), S("\001") },
	{ "escape before high byte", S("\001\377z"), S("\377z") },
	{ "escaped nul mid", S("a\001" "0b"), S("a\0b") },
	{ "raw tab kept", S("a\tb"), S("a\tb") },
};

static const struct esc_case escape_cases[] = {
	{ "plain", S("abc"), S("abc") },
	{ "empty", S(""), S("") },
	{ "all five", S("\0\001\t\r\n"), S("\001" "0\001" "1\001t\001r\001n") },
	{ "backslash untouched", S("a\\b"), S("a\\b") },
	{ "mixed", S("user\tname\n"), S("user\001tname\001n") },
	{ "high bytes", S("\377\200"), S("\377\200") },
};

static void test_dvauth_unescape_table(void **state)
{
	struct xbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(unescape_cases); i++) {
		const struct esc_case *c = &unescape_cases[i];

		xbuf_init(&b, 0);
		assert_int_equal(xbuf_append_str(&b, "pre:"), 0);
		assert_int_equal(dvauth_unescape(c->in, c->in_len, &b), 0);
		if (b.len != 4 + c->out_len ||
		    memcmp(b.data + 4, c->out, c->out_len) != 0)
			fail_msg("unescape %s: wrong output", c->name);
		xbuf_free(&b);
	}
}

static void test_dvauth_escape_table(void **state)
{
	struct xbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(escape_cases); i++) {
		const struct esc_case *c = &escape_cases[i];

		xbuf_init(&b, 0);
		assert_int_equal(dvauth_escape(c->in, c->in_len, &b), 0);
		if (b.len != c->out_len ||
		    memcmp(xbuf_cstr(&b), c->out, c->out_len) != 0)
			fail_msg("escape %s: wrong output", c->name);
		xbuf_free(&b);
	}
}

/* Every byte value, alone and all together, survives escape+unescape,
 * and the escaped form holds no TAB, CR, LF or NUL. */
static void test_dvauth_escape_roundtrip_256(void **state)
{
	unsigned char all[256];
	struct xbuf e, u;
	size_t i;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (i = 0; i <= 256; i++) {
		const unsigned char *in = i < 256 ? all + i : all;
		size_t n = i < 256 ? 1 : 256;

		xbuf_init(&e, 0);
		xbuf_init(&u, 0);
		assert_int_equal(dvauth_escape(in, n, &e), 0);
		assert_null(memchr(e.data, '\t', e.len));
		assert_null(memchr(e.data, '\r', e.len));
		assert_null(memchr(e.data, '\n', e.len));
		assert_null(memchr(e.data, '\0', e.len));
		assert_int_equal(dvauth_unescape(e.data, e.len, &u), 0);
		assert_int_equal(u.len, n);
		assert_memory_equal(u.data, in, n);
		xbuf_free(&e);
		xbuf_free(&u);
	}
}

static void test_dvauth_escape_bound(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 5);
	assert_int_equal(xbuf_append_str(&b, "ab"), 0);
	/* "\t\t" escapes to 4 bytes: 6 > 5, nothing is written */
	assert_int_equal(dvauth_escape("\t\t", 2, &b), -1);
	assert_int_equal(b.len, 2);
	assert_int_equal(dvauth_escape("\t", 1, &b), 0);
	assert_int_equal(b.len, 4);
	assert_int_equal(dvauth_escape("xy", 2, &b), -1);
	assert_int_equal(b.len, 4);
	assert_int_equal(dvauth_unescape("xy", 2, &b), -1);
	assert_int_equal(dvauth_unescape("\001t\001t", 4, &b), -1);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "ab\001t", 4);
	xbuf_free(&b);
}

/*
 * MECH flags and formatters.
 */
static void test_dvauth_mech_flag_name(void **state)
{
	static const char *const want[] = {
		"private", "anonymous", "plaintext", "dictionary", "active",
		"forward-secrecy", "mutual-auth", "channel-binding",
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(want); i++)
		assert_string_equal(dvauth_mech_flag_name(1u << i), want[i]);
	assert_null(dvauth_mech_flag_name(0));
	assert_null(dvauth_mech_flag_name(0x100));
	assert_null(dvauth_mech_flag_name(0x03));
}

static void test_dvauth_format_mech_order(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(dvauth_format_mech(&b, "SCRAM-SHA-256-PLUS",
		DVAUTH_MECH_CHANNEL_BINDING | DVAUTH_MECH_MUTUAL_AUTH), 0);
	assert_int_equal(dvauth_format_mech(&b, "APOP", DVAUTH_MECH_ACTIVE |
		DVAUTH_MECH_DICTIONARY | DVAUTH_MECH_PRIVATE), 0);
	assert_int_equal(dvauth_format_mech(&b, "EXTERNAL", 0), 0);
	assert_string_equal(xbuf_cstr(&b),
		"MECH\tSCRAM-SHA-256-PLUS\tmutual-auth\tchannel-binding\n"
		"MECH\tAPOP\tprivate\tdictionary\tactive\n"
		"MECH\tEXTERNAL\n");
	xbuf_free(&b);
}

static void test_dvauth_format_lines(void **state)
{
	struct dvauth_param params[3];
	struct xbuf b;

	(void)state;
	params[0] = dvauth_param_str("service", "smtp");
	params[1] = dvauth_param_str("nologin", NULL);
	params[2] = dvauth_param_str("rip", "");
	xbuf_init(&b, 0);
	assert_int_equal(dvauth_format_version(&b, 1, 2), 0);
	assert_int_equal(dvauth_format_cpid(&b, 77), 0);
	assert_int_equal(dvauth_format_spid(&b, 12), 0);
	assert_int_equal(dvauth_format_cuid(&b, 3), 0);
	assert_int_equal(dvauth_format_cookie(&b, "00ff"), 0);
	assert_int_equal(dvauth_format_done(&b), 0);
	assert_int_equal(dvauth_format_auth(&b, 1, "PLAIN", params, 3, "=", 1), 0);
	assert_int_equal(dvauth_format_auth(&b, 2, "LOGIN", NULL, 0, NULL, 0), 0);
	assert_int_equal(dvauth_format_cont(&b, 2, "", 0), 0);
	assert_int_equal(dvauth_format_cancel(&b, 2), 0);
	assert_int_equal(dvauth_format_ok(&b, 1, params, 1), 0);
	assert_int_equal(dvauth_format_fail(&b, 2, params + 1, 2), 0);
	assert_int_equal(dvauth_format_cancelled(&b, 2), 0);
	assert_string_equal(xbuf_cstr(&b),
		"VERSION\t1\t2\n"
		"CPID\t77\n"
		"SPID\t12\n"
		"CUID\t3\n"
		"COOKIE\t00ff\n"
		"DONE\n"
		"AUTH\t1\tPLAIN\tservice=smtp\tnologin\trip=\tresp==\n"
		"AUTH\t2\tLOGIN\n"
		"CONT\t2\t\n"
		"CANCEL\t2\n"
		"OK\t1\tservice=smtp\n"
		"FAIL\t2\tnologin\trip=\n"
		"CANCELLED\t2\n");
	xbuf_free(&b);
}

/* Each formatter is all or nothing at the output bound. */
static void test_dvauth_format_bound(void **state)
{
	struct dvauth_param p = dvauth_param_str("user", "bob");
	struct xbuf b;
	size_t max;
	int rc;

	(void)state;
	/* "OK\t1\tuser=bob\n" is 14 bytes */
	for (max = 10; max <= 15; max++) {
		xbuf_init(&b, max);
		rc = dvauth_format_ok(&b, 1, &p, 1);
		assert_int_equal(rc, max >= 14 ? 0 : -1);
		assert_int_equal(b.len, max >= 14 ? 14 : 0);
		xbuf_free(&b);
	}
	/* "MECH\tX\tplaintext\n" is 17 bytes */
	for (max = 5; max <= 18; max++) {
		xbuf_init(&b, max);
		rc = dvauth_format_mech(&b, "X", DVAUTH_MECH_PLAINTEXT);
		assert_int_equal(rc, max >= 17 ? 0 : -1);
		assert_int_equal(b.len, max >= 17 ? 17 : 0);
		xbuf_free(&b);
	}
	/* "AUTH\t1\tX\tuser=bob\tresp=abc\n" is 27 bytes */
	for (max = 5; max <= 28; max++) {
		xbuf_init(&b, max);
		rc = dvauth_format_auth(&b, 1, "X", &p, 1, "abc", 3);
		assert_int_equal(rc, max >= 27 ? 0 : -1);
		assert_int_equal(b.len, max >= 27 ? 27 : 0);
		xbuf_free(&b);
	}
	/* "CONT\t1\tabc\n" is 11 bytes */
	for (max = 5; max <= 12; max++) {
		xbuf_init(&b, max);
		rc = dvauth_format_cont(&b, 1, "abc", 3);
		assert_int_equal(rc, max >= 11 ? 0 : -1);
		assert_int_equal(b.len, max >= 11 ? 11 : 0);
		xbuf_free(&b);
	}
	xbuf_init(&b, 4);
	assert_int_equal(dvauth_format_done(&b), -1);
	assert_int_equal(dvauth_format_version(&b, 1, 2), -1);
	assert_int_equal(b.len, 0);
	xbuf_free(&b);
}

/* Formatted lines parse back to the same values. */
static void test_dvauth_format_roundtrip(void **state)
{
	struct dvauth_server_msg *sm = malloc(sizeof(*sm));
	struct dvauth_client_msg *cm = malloc(sizeof(*cm));
	struct dvauth_param params[2];
	struct xbuf b, val;
	const char *err;
	unsigned flags;

	(void)state;
	assert_non_null(sm);
	assert_non_null(cm);
	xbuf_init(&b, 0);
	xbuf_init(&val, 0);

	for (flags = 0; flags < 0x100; flags++) {
		xbuf_reset(&b);
		assert_int_equal(dvauth_format_mech(&b, "M", flags), 0);
		assert_int_equal(dvauth_parse_server_line(b.data, b.len - 1,
							  sm, &err), 0);
		assert_int_equal(sm->cmd, DVAUTH_MECH);
		assert_int_equal(sm->mech_flags, flags);
		assert_int_equal(sm->mech_unknown_flags, 0);
	}

	/* a user name with TAB and LF, escaped, through OK and back */
	assert_int_equal(dvauth_escape("a\tb\nc", 5, &val), 0);
	params[0] = dvauth_param_str("user", xbuf_cstr(&val));
	params[1] = dvauth_param_str("nologin", NULL);
	xbuf_reset(&b);
	assert_int_equal(dvauth_format_ok(&b, 4294967295u, params, 2), 0);
	assert_int_equal(dvauth_parse_server_line(b.data, b.len - 1, sm, &err), 0);
	assert_int_equal(sm->cmd, DVAUTH_OK);
	assert_int_equal(sm->id, 4294967295u);
	assert_int_equal(sm->nparams, 2);
	xbuf_reset(&val);
	assert_int_equal(dvauth_unescape(sm->params[0].value.p,
					 sm->params[0].value.len, &val), 0);
	assert_int_equal(val.len, 5);
	assert_memory_equal(val.data, "a\tb\nc", 5);
	assert_int_equal(sm->params[1].has_value, 0);

	xbuf_reset(&b);
	assert_int_equal(dvauth_format_auth(&b, 9, "PLAIN", params + 1, 1,
					    "AGE=", 4), 0);
	assert_int_equal(dvauth_parse_client_line(b.data, b.len - 1, cm, &err), 0);
	assert_int_equal(cm->cmd, DVAUTH_AUTH);
	assert_int_equal(cm->id, 9);
	assert_true(strview_eq(cm->mech, "PLAIN"));
	assert_int_equal(cm->nparams, 1);
	assert_true(strview_eq(cm->params[0].name, "nologin"));
	assert_int_equal(cm->has_resp, 1);
	assert_true(strview_eq(cm->resp, "AGE="));
	assert_int_equal(cm->params_after_resp, 0);

	xbuf_reset(&b);
	assert_int_equal(dvauth_format_cont(&b, 9, "", 0), 0);
	assert_int_equal(dvauth_parse_client_line(b.data, b.len - 1, cm, &err), 0);
	assert_int_equal(cm->has_data, 1);
	assert_int_equal(cm->data.len, 0);
	assert_int_equal(dvauth_parse_server_line(b.data, b.len - 1, sm, &err), 0);
	assert_int_equal(sm->cmd, DVAUTH_CONT);
	assert_int_equal(sm->id, 9);

	xbuf_free(&b);
	xbuf_free(&val);
	free(sm);
	free(cm);
}

/* xorshift32 - deterministic pseudo-random numbers for the tests */
static uint32_t xorshift32(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/*
 * Random lines built from protocol words, TABs and odd bytes: the
 * fields joined with TAB give the line back, parse results stay
 * inside the line, and OK/FAIL/AUTH parameter counts match the field
 * counts.
 */
static void test_dvauth_parse_random(void **state)
{
	static const char *const tokens[] = {
		"\t", "\t", "\t", "OK", "FAIL", "CONT", "AUTH", "MECH",
		"VERSION", "CPID", "CANCEL", "1", "0", "42", "resp=", "resp",
		"user=", "=", "\001", "x", "plaintext",
	};
	struct dvauth_server_msg *sm = malloc(sizeof(*sm));
	struct dvauth_client_msg *cm = malloc(sizeof(*cm));
	struct dvauth_fields *f = malloc(sizeof(*f));
	uint32_t rng = 0xfeedbeefu;
	char line[300], join[300];
	int round;

	(void)state;
	assert_non_null(sm);
	assert_non_null(cm);
	assert_non_null(f);
	for (round = 0; round < 5000; round++) {
		size_t n = 0, j = 0, i, ntok = xorshift32(&rng) % 20;
		const char *err = NULL;
		int rc;

		for (i = 0; i < ntok; i++) {
			const char *t = tokens[xorshift32(&rng) %
					       N_ELEMENTS(tokens)];
			size_t k = strlen(t);

			if (k > sizeof(line) - n)
				break;
			memcpy(line + n, t, k);
			n += k;
		}
		assert_int_equal(dvauth_split(line, n, f, &err), 0);
		for (i = 0; i < f->n; i++) {
			if (i > 0)
				join[j++] = '\t';
			assert_true(f->f[i].len == 0 ||
				    memchr(f->f[i].p, '\t', f->f[i].len) == NULL);
			memcpy(join + j, f->f[i].p, f->f[i].len);
			j += f->f[i].len;
		}
		assert_int_equal(j, n);
		assert_memory_equal(join, line, n);

		rc = dvauth_parse_server_line(line, n, sm, &err);
		assert_true(rc == 0 || rc == -1);
		assert_int_equal(sm->fields.n, f->n);
		if (rc == 0 && (sm->cmd == DVAUTH_OK || sm->cmd == DVAUTH_FAIL))
			assert_int_equal(sm->nparams, f->n - 2);
		if (rc == 0 && sm->cmd == DVAUTH_CONT)
			assert_ptr_equal(sm->data.p, f->f[2].p);

		rc = dvauth_parse_client_line(line, n, cm, &err);
		assert_true(rc == 0 || rc == -1);
		if (rc == 0 && cm->cmd == DVAUTH_AUTH) {
			assert_true(cm->id != 0);
			assert_int_equal(cm->nparams + (size_t)cm->has_resp +
					 cm->params_after_resp, f->n - 3);
			for (i = 0; i < cm->nparams; i++)
				assert_false(strview_eq(cm->params[i].name,
							"resp"));
		}
		if (rc == 0 && cm->cmd == DVAUTH_CONT)
			assert_int_equal(cm->has_data + cm->extra_fields,
					 f->n - 2);
	}
	free(sm);
	free(cm);
	free(f);
}

/* Random byte strings survive escape then unescape. */
static void test_dvauth_escape_roundtrip_random(void **state)
{
	uint32_t rng = 0x600dcafeu;
	unsigned char in[64];
	struct xbuf e, u;
	int round;

	(void)state;
	xbuf_init(&e, 0);
	xbuf_init(&u, 0);
	for (round = 0; round < 2000; round++) {
		size_t n = xorshift32(&rng) % sizeof(in), i;

		for (i = 0; i < n; i++)	/* mostly the bytes that matter */
			in[i] = (xorshift32(&rng) & 1) ?
			    (unsigned char)"\0\001\t\r\nnt01"[xorshift32(&rng) % 10] :
			    (unsigned char)xorshift32(&rng);
		xbuf_reset(&e);
		xbuf_reset(&u);
		assert_int_equal(dvauth_escape(in, n, &e), 0);
		assert_int_equal(dvauth_unescape(e.data, e.len, &u), 0);
		assert_int_equal(u.len, n);
		if (n > 0)
			assert_memory_equal(u.data, in, n);
	}
	xbuf_free(&e);
	xbuf_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dvauth_parse_server_line_table),
		cmocka_unit_test(test_dvauth_parse_server_line_params),
		cmocka_unit_test(test_dvauth_split_field_bound),
		cmocka_unit_test(test_dvauth_parse_client_line_table),
		cmocka_unit_test(test_dvauth_unescape_table),
		cmocka_unit_test(test_dvauth_escape_table),
		cmocka_unit_test(test_dvauth_escape_roundtrip_256),
		cmocka_unit_test(test_dvauth_escape_bound),
		cmocka_unit_test(test_dvauth_mech_flag_name),
		cmocka_unit_test(test_dvauth_format_mech_order),
		cmocka_unit_test(test_dvauth_format_lines),
		cmocka_unit_test(test_dvauth_format_bound),
		cmocka_unit_test(test_dvauth_format_roundtrip),
		cmocka_unit_test(test_dvauth_parse_random),
		cmocka_unit_test(test_dvauth_escape_roundtrip_random),
	};

	return cmocka_run_group_tests_name("dvauth", tests, NULL, NULL);
}
