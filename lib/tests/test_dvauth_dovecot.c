/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_dvauth_dovecot - client lines read as Dovecot 2.3 and 2.4 read them
 * DESCRIPTION
 *	A table of client lines through dvauth_parse_client_line_as() in
 *	the DVAUTH_DOVECOT23 dialect, each row with what the strict
 *	grammar makes of the same bytes where the two differ: a bare
 *	command word, CPID and CANCEL with trailing fields, CONT data
 *	with TABs and CONT without data, AUTH fields tab-unescaped and
 *	cut at a NUL (id, mech, names, values, resp), AUTH with more
 *	fields than DVAUTH_MAX_FIELDS, and the line bound at N-1/N. The
 *	parameter iterator is checked in both dialects against the
 *	parameters each reports. A second table reads lines in the
 *	DVAUTH_DOVECOT24 dialect where it differs (CPID and CANCEL with
 *	fields after the number, bare words), and the first table's
 *	VERSION, CONT and AUTH rows are read alike in both Dovecot
 *	dialects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dvauth.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define S(s)	s, sizeof(s) - 1

struct d23_case {
	const char *name;
	const char *in;
	size_t in_len;
	int rc;			/* DVAUTH_DOVECOT23 */
	enum dvauth_cmd cmd;
	unsigned long a, b;	/* major/minor, pid, id */
	const char *mech;	/* AUTH */
	const char *params;	/* AUTH: "name=value|bare|..." */
	const char *resp;	/* AUTH: NULL = no resp */
	size_t after_resp;
	const char *data;	/* CONT: NULL = no data */
	int strict_rc;		/* what DVAUTH_STRICT returns */
	enum dvauth_cmd strict_cmd;
};

static const struct d23_case cases[] = {
	{ "version", S("VERSION\t1\t2"), 0, DVAUTH_VERSION, 1, 2, NULL, NULL, NULL, 0, NULL,
	  0, DVAUTH_VERSION },
	{ "version extra", S("VERSION\t1\t2\t3"), -1, DVAUTH_VERSION, 0, 0, NULL, NULL, NULL, 0,
	  NULL, -1, DVAUTH_VERSION },
	{ "version bare", S("VERSION"), 0, DVAUTH_UNKNOWN, 0, 0, NULL, NULL, NULL, 0, NULL,
	  -1, DVAUTH_VERSION },
	{ "cpid", S("CPID\t77"), 0, DVAUTH_CPID, 77, 0, NULL, NULL, NULL, 0, NULL,
	  0, DVAUTH_CPID },
	{ "cpid zero", S("CPID\t0"), -1, DVAUTH_CPID, 0, 0, NULL, NULL, NULL, 0, NULL,
	  -1, DVAUTH_CPID },
	{ "cpid trailing field", S("CPID\t5\tx"), -1, DVAUTH_CPID, 0, 0, NULL, NULL, NULL, 0,
	  NULL, 0, DVAUTH_CPID },
	{ "cancel", S("CANCEL\t4"), 0, DVAUTH_CANCEL, 4, 0, NULL, NULL, NULL, 0, NULL,
	  0, DVAUTH_CANCEL },
	{ "cancel trailing tab", S("CANCEL\t4\t"), -1, DVAUTH_CANCEL, 0, 0, NULL, NULL, NULL, 0,
	  NULL, 0, DVAUTH_CANCEL },
	{ "cancel bare", S("CANCEL"), 0, DVAUTH_UNKNOWN, 0, 0, NULL, NULL, NULL, 0, NULL,
	  -1, DVAUTH_CANCEL },
	{ "cont", S("CONT\t3\tdGVzdA=="), 0, DVAUTH_CONT, 3, 0, NULL, NULL, NULL, 0, "dGVzdA==",
	  0, DVAUTH_CONT },
	{ "cont data with tabs", S("CONT\t3\tx\ty\tz"), 0, DVAUTH_CONT, 3, 0, NULL, NULL, NULL, 0,
	  "x\ty\tz", 0, DVAUTH_CONT },
	{ "cont data raw", S("CONT\t3\ta\001tb"), 0, DVAUTH_CONT, 3, 0, NULL, NULL, NULL, 0,
	  "a\001tb", 0, DVAUTH_CONT },
	{ "cont id zero", S("CONT\t0\tx"), 0, DVAUTH_CONT, 0, 0, NULL, NULL, NULL, 0, "x",
	  0, DVAUTH_CONT },
	{ "cont no data", S("CONT\t3"), -1, DVAUTH_CONT, 0, 0, NULL, NULL, NULL, 0, NULL,
	  0, DVAUTH_CONT },
	{ "cont bad id", S("CONT\tx\ty"), -1, DVAUTH_CONT, 0, 0, NULL, NULL, NULL, 0, NULL,
	  -1, DVAUTH_CONT },
	{ "auth", S("AUTH\t1\tPLAIN\tservice=smtp\tnologin\tresp=AGE="), 0, DVAUTH_AUTH, 1, 0,
	  "PLAIN", "service=smtp|nologin", "AGE=", 0, NULL, 0, DVAUTH_AUTH },
	{ "auth no params", S("AUTH\t1\tPLAIN"), 0, DVAUTH_AUTH, 1, 0, "PLAIN", "", NULL, 0,
	  NULL, 0, DVAUTH_AUTH },
	{ "auth empty mech", S("AUTH\t1\t"), 0, DVAUTH_AUTH, 1, 0, "", "", NULL, 0, NULL,
	  0, DVAUTH_AUTH },
	{ "auth empty params", S("AUTH\t1\tX\t\t"), 0, DVAUTH_AUTH, 1, 0, "X", "|", NULL, 0,
	  NULL, 0, DVAUTH_AUTH },
	{ "auth no mech", S("AUTH\t1"), -1, DVAUTH_AUTH, 0, 0, NULL, NULL, NULL, 0, NULL,
	  -1, DVAUTH_AUTH },
	{ "auth id zero", S("AUTH\t0\tPLAIN"), -1, DVAUTH_AUTH, 0, 0, NULL, NULL, NULL, 0, NULL,
	  -1, DVAUTH_AUTH },
	{ "auth bare", S("AUTH"), 0, DVAUTH_UNKNOWN, 0, 0, NULL, NULL, NULL, 0, NULL,
	  -1, DVAUTH_AUTH },
	{ "auth after resp", S("AUTH\t1\tPLAIN\tresp=x\ta\tb"), 0, DVAUTH_AUTH, 1, 0, "PLAIN", "",
	  "x", 2, NULL, 0, DVAUTH_AUTH },
	{ "auth resp bare", S("AUTH\t1\tPLAIN\tresp"), 0, DVAUTH_AUTH, 1, 0, "PLAIN", "", "", 0,
	  NULL, 0, DVAUTH_AUTH },
	{ "auth escaped id", S("AUTH\t\0012\tPLAIN"), 0, DVAUTH_AUTH, 2, 0, "PLAIN", "", NULL, 0,
	  NULL, -1, DVAUTH_AUTH },
	{ "auth escaped mech", S("AUTH\t1\tPL\001AIN\tservice\001=smtp"), 0, DVAUTH_AUTH, 1, 0,
	  "PLAIN", "service=smtp", NULL, 0, NULL, 0, DVAUTH_AUTH },
	{ "auth escaped tab in value", S("AUTH\t1\tX\ta=b\001tc\tresp=AG\001=\001="), 0, DVAUTH_AUTH,
	  1, 0, "X", "a=b\tc", "AG==", 0, NULL, 0, DVAUTH_AUTH },
	{ "auth escaped resp name", S("AUTH\t1\tX\tre\001sp=AA\tx"), 0, DVAUTH_AUTH, 1, 0, "X", "",
	  "AA", 1, NULL, 0, DVAUTH_AUTH },
	{ "auth escaped nul cuts", S("AUTH\t1\tX\tresp\0010junk=1\tservice=smtp"), 0, DVAUTH_AUTH,
	  1, 0, "X", "", "", 1, NULL, 0, DVAUTH_AUTH },
	{ "auth raw nul cuts", S("AUTH\t1\tX\tservice=smtp\0x\tnologin"), 0, DVAUTH_AUTH, 1, 0,
	  "X", "service=smtp|nologin", NULL, 0, NULL, 0, DVAUTH_AUTH },
	{ "auth lone escape dropped", S("AUTH\t1\tX\ta=b\001"), 0, DVAUTH_AUTH, 1, 0, "X", "a=b",
	  NULL, 0, NULL, 0, DVAUTH_AUTH },
	{ "auth escaped 0x01", S("AUTH\t1\tX\ta=\0011"), 0, DVAUTH_AUTH, 1, 0, "X", "a=\001",
	  NULL, 0, NULL, 0, DVAUTH_AUTH },
	{ "unknown word", S("FOO\t1"), 0, DVAUTH_UNKNOWN, 0, 0, NULL, NULL, NULL, 0, NULL,
	  0, DVAUTH_UNKNOWN },
	{ "empty line", S(""), 0, DVAUTH_UNKNOWN, 0, 0, NULL, NULL, NULL, 0, NULL,
	  0, DVAUTH_UNKNOWN },
};

/* same_view - the same bytes */
static int same_view(struct strview a, struct strview b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* joined_params - the iterator's parameters as "name=value|bare|..." */
static void joined_params(const struct dvauth_client_msg *m, char *out, size_t size)
{
	struct dvauth_param_iter it;
	struct dvauth_param p;
	size_t n = 0, k = 0;

	out[0] = '\0';
	dvauth_client_params(m, &it);
	while (dvauth_param_next(&it, &p)) {
		n += (size_t)snprintf(out + n, size - n, "%s%.*s%s%.*s", k++ ? "|" : "",
				      (int)p.name.len, p.name.p, p.has_value ? "=" : "",
				      (int)p.value.len, p.value.p);
		assert_true(n < size);
	}
	assert_int_equal(k, m->nparams);
}

static void check_case(const struct d23_case *c, struct dvauth_client_msg *m)
{
	const char *err = NULL;
	char got[256];
	int rc;

	rc = dvauth_parse_client_line_as(c->in, c->in_len, DVAUTH_DOVECOT23, m, &err);
	if (rc != c->rc || m->cmd != c->cmd)
		fail_msg("%s: rc %d cmd %d, want %d %d (%s)", c->name, rc, m->cmd, c->rc, c->cmd,
			 err ? err : "");
	if (rc < 0 && (err == NULL || *err == '\0'))
		fail_msg("%s: no error text", c->name);
	if (rc == 0 && c->cmd == DVAUTH_VERSION && (m->major != c->a || m->minor != c->b))
		fail_msg("%s: version %u.%u", c->name, m->major, m->minor);
	if (rc == 0 && c->cmd == DVAUTH_CPID && m->pid != c->a)
		fail_msg("%s: pid %lu", c->name, m->pid);
	if (rc == 0 && (c->cmd == DVAUTH_AUTH || c->cmd == DVAUTH_CONT || c->cmd == DVAUTH_CANCEL) &&
	    m->id != c->a)
		fail_msg("%s: id %u, want %lu", c->name, m->id, c->a);
	if (rc == 0 && c->mech != NULL && !strview_eq(m->mech, c->mech))
		fail_msg("%s: mech \"%.*s\"", c->name, (int)m->mech.len, m->mech.p);
	if (rc == 0 && c->params != NULL) {
		joined_params(m, got, sizeof(got));
		if (strcmp(got, c->params) != 0)
			fail_msg("%s: params \"%s\", want \"%s\"", c->name, got, c->params);
	}
	if (rc == 0 && c->cmd == DVAUTH_AUTH &&
	    (m->has_resp != (c->resp != NULL) || (c->resp && !strview_eq(m->resp, c->resp)) ||
	     m->params_after_resp != c->after_resp))
		fail_msg("%s: resp %d \"%.*s\" +%zu", c->name, m->has_resp, (int)m->resp.len,
			 m->resp.p, m->params_after_resp);
	if (rc == 0 && c->cmd == DVAUTH_CONT &&
	    (m->has_data != (c->data != NULL) || (c->data && !strview_eq(m->data, c->data)) ||
	     m->extra_fields != 0))
		fail_msg("%s: data %d \"%.*s\"", c->name, m->has_data, (int)m->data.len, m->data.p);
	rc = dvauth_parse_client_line_as(c->in, c->in_len, DVAUTH_STRICT, m, &err);
	if (rc != c->strict_rc || m->cmd != c->strict_cmd)
		fail_msg("%s: strict rc %d cmd %d, want %d %d", c->name, rc, m->cmd, c->strict_rc,
			 c->strict_cmd);
}

static void test_dvauth_dovecot_table(void **state)
{
	struct dvauth_client_msg *m = malloc(sizeof(*m));
	size_t i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < N_ELEMENTS(cases); i++)
		check_case(&cases[i], m);
	free(m);
}

/* the DVAUTH_DOVECOT24 reading where it differs from DVAUTH_DOVECOT23 */
struct d24_case {
	const char *name;
	const char *in;
	size_t in_len;
	int rc;
	enum dvauth_cmd cmd;
	unsigned long num;	/* pid or id */
};

static const struct d24_case cases24[] = {
	{ "cpid trailing field", S("CPID\t5\tx"), 0, DVAUTH_CPID, 5 },
	{ "cpid trailing tab", S("CPID\t5\t"), 0, DVAUTH_CPID, 5 },
	{ "cpid escaped digit", S("CPID\t\0015"), 0, DVAUTH_CPID, 5 },
	{ "cpid empty field", S("CPID\t\t5"), -1, DVAUTH_CPID, 0 },
	{ "cpid zero then more", S("CPID\t0\t5"), -1, DVAUTH_CPID, 0 },
	{ "cpid bare", S("CPID"), -1, DVAUTH_CPID, 0 },
	{ "cpid tab only", S("CPID\t"), -1, DVAUTH_CPID, 0 },
	{ "cancel trailing field", S("CANCEL\t4\tx"), 0, DVAUTH_CANCEL, 4 },
	{ "cancel two numbers", S("CANCEL\t4\t9"), 0, DVAUTH_CANCEL, 4 },
	{ "cancel bad first", S("CANCEL\tx\t4"), -1, DVAUTH_CANCEL, 0 },
	{ "cancel bare", S("CANCEL"), -1, DVAUTH_CANCEL, 0 },
	{ "cont bare", S("CONT"), -1, DVAUTH_CONT, 0 },
	{ "auth bare", S("AUTH"), -1, DVAUTH_AUTH, 0 },
	{ "version bare", S("VERSION"), -1, DVAUTH_VERSION, 0 },
	{ "longer word", S("CPIDX\t5"), 0, DVAUTH_UNKNOWN, 0 },
	{ "lower case", S("cpid\t5"), 0, DVAUTH_UNKNOWN, 0 },
	{ "empty line", S(""), 0, DVAUTH_UNKNOWN, 0 },
};

static void test_dvauth_dovecot24_table(void **state)
{
	struct dvauth_client_msg *m = malloc(sizeof(*m));
	const char *err;
	unsigned long got;
	size_t i;
	int rc;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < N_ELEMENTS(cases24); i++) {
		const struct d24_case *c = &cases24[i];

		err = NULL;
		rc = dvauth_parse_client_line_as(c->in, c->in_len, DVAUTH_DOVECOT24, m, &err);
		got = m->cmd == DVAUTH_CPID ? m->pid : m->id;
		if (rc != c->rc || m->cmd != c->cmd || (rc == 0 && got != c->num))
			fail_msg("%s: rc %d cmd %d num %lu, want %d %d %lu", c->name, rc, m->cmd,
				 got, c->rc, c->cmd, c->num);
		if (rc < 0 && (err == NULL || *err == '\0'))
			fail_msg("%s: no error text", c->name);
	}
	free(m);
}

/* VERSION, CONT and AUTH with their TAB read alike in both Dovecot dialects */
static void test_dvauth_dovecot24_same(void **state)
{
	struct dvauth_client_msg *m = malloc(sizeof(*m)), *m24 = malloc(sizeof(*m24));
	const char *err;
	char got[256], got24[256];
	size_t i, n = 0;
	int rc, rc24;

	(void)state;
	assert_non_null(m);
	assert_non_null(m24);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		const struct d23_case *c = &cases[i];

		if (c->cmd != DVAUTH_VERSION && c->cmd != DVAUTH_CONT && c->cmd != DVAUTH_AUTH)
			continue;
		rc = dvauth_parse_client_line_as(c->in, c->in_len, DVAUTH_DOVECOT23, m, &err);
		rc24 = dvauth_parse_client_line_as(c->in, c->in_len, DVAUTH_DOVECOT24, m24, &err);
		if (rc != rc24 || m->cmd != m24->cmd || m->id != m24->id ||
		    m->major != m24->major || m->minor != m24->minor ||
		    m->has_resp != m24->has_resp || m->has_data != m24->has_data ||
		    !same_view(m->data, m24->data) || !same_view(m->mech, m24->mech))
			fail_msg("%s: the 2.4 reading differs", c->name);
		if (rc == 0 && c->cmd == DVAUTH_AUTH) {
			joined_params(m, got, sizeof(got));
			joined_params(m24, got24, sizeof(got24));
			assert_string_equal(got, got24);
		}
		n++;
	}
	assert_true(n > 20);
	free(m);
	free(m24);
}

/* the strict reading's iterator gives exactly its params[], still escaped */
static void test_dvauth_dovecot_strict_iterator(void **state)
{
	struct dvauth_client_msg *m = malloc(sizeof(*m));
	const char line[] = "AUTH\t7\tPLAIN\tservice=smtp\ta=b\001tc\tnologin\tresp=x\ty";
	struct dvauth_param_iter it;
	struct dvauth_param p;
	const char *err;
	size_t i = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(dvauth_parse_client_line(line, sizeof(line) - 1, m, &err), 0);
	assert_int_equal(m->nparams, 3);
	dvauth_client_params(m, &it);
	while (dvauth_param_next(&it, &p)) {
		assert_true(i < m->nparams);
		assert_true(same_view(p.name, m->params[i].name));
		assert_int_equal(p.has_value, m->params[i].has_value);
		assert_true(same_view(p.value, m->params[i].value));
		i++;
	}
	assert_int_equal(i, 3);
	free(m);
}

/* more fields than DVAUTH_MAX_FIELDS: refused by the strict grammar only */
static void test_dvauth_dovecot_many_fields(void **state)
{
	struct dvauth_client_msg *m = malloc(sizeof(*m));
	struct xbuf b;
	const char *err;
	char got[4096];
	size_t i;

	(void)state;
	assert_non_null(m);
	xbuf_init(&b, 0);
	assert_int_equal(xbuf_append_str(&b, "AUTH\t9\tPLAIN"), 0);
	for (i = 0; i < 2 * DVAUTH_MAX_FIELDS; i++)
		assert_int_equal(xbuf_append_str(&b, "\tx"), 0);
	assert_int_equal(xbuf_append_str(&b, "\tservice=smtp\tresp=AA"), 0);
	assert_int_equal(dvauth_parse_client_line_as(b.data, b.len, DVAUTH_DOVECOT23, m, &err), 0);
	assert_int_equal(m->id, 9);
	assert_int_equal(m->nparams, 2 * DVAUTH_MAX_FIELDS + 1);
	assert_true(m->has_resp && strview_eq(m->resp, "AA"));
	joined_params(m, got, sizeof(got));
	assert_int_equal(strlen(got), 2 * (2 * DVAUTH_MAX_FIELDS) + strlen("service=smtp"));
	assert_string_equal(got + strlen(got) - strlen("x|service=smtp"), "x|service=smtp");
	assert_int_equal(dvauth_parse_client_line_as(b.data, b.len, DVAUTH_STRICT, m, &err), -1);
	xbuf_free(&b);
	free(m);
}

/* the line bound: DVAUTH_MAX_LINE - 1 bytes are read, DVAUTH_MAX_LINE are not */
static void test_dvauth_dovecot_line_bound(void **state)
{
	struct dvauth_client_msg *m = malloc(sizeof(*m));
	char *line = malloc(DVAUTH_MAX_LINE);
	const char *err;

	(void)state;
	assert_non_null(m);
	assert_non_null(line);
	memset(line, 'A', DVAUTH_MAX_LINE);
	memcpy(line, "CONT\t1\t", 7);
	assert_int_equal(dvauth_parse_client_line_as(line, DVAUTH_MAX_LINE - 1, DVAUTH_DOVECOT23, m,
						     &err), 0);
	assert_int_equal(m->data.len, DVAUTH_MAX_LINE - 1 - 7);
	assert_int_equal(dvauth_parse_client_line_as(line, DVAUTH_MAX_LINE, DVAUTH_DOVECOT23, m,
						     &err), -1);
	assert_string_equal(err, "line too long");
	free(line);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dvauth_dovecot_table),
		cmocka_unit_test(test_dvauth_dovecot24_table),
		cmocka_unit_test(test_dvauth_dovecot24_same),
		cmocka_unit_test(test_dvauth_dovecot_strict_iterator),
		cmocka_unit_test(test_dvauth_dovecot_many_fields),
		cmocka_unit_test(test_dvauth_dovecot_line_bound),
	};

	return cmocka_run_group_tests_name("dvauth_dovecot", tests, NULL, NULL);
}
