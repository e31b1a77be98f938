/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_dvmaster - Dovecot auth-userdb lines, both dialects
 * DESCRIPTION
 *	Table-driven: client VERSION lines and requests as Dovecot 2.3 and
 *	2.4 read them (accepted, or the log text of the disconnect), the
 *	tab-unescaping and NUL cuts of the fields, and the replies as
 *	each version writes them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/dvmaster.h"

#define D23	DVMASTER_DOVECOT23
#define D24	DVMASTER_DOVECOT24

struct vcase {
	const char *line;
	size_t len;		/* 0: strlen(line) */
	int ok23, ok24;
	const char *err23, *err24;	/* a prefix of the log text, when not ok */
};

static const struct vcase version_cases[] = {
	{ "VERSION\t1\t0", 0, 1, 1, NULL, NULL },
	{ "VERSION\t1\t1", 0, 1, 1, NULL, NULL },
	{ "VERSION\t1", 0, 1, 0, NULL, "didn't reply" },
	{ "VERSION\t1\t0\tx", 0, 1, 0, NULL, "didn't reply" },
	{ "VERSION\t1\tx", 0, 1, 0, NULL, "didn't reply" },
	{ "VERSION\t2\t0", 0, 0, 0, "Master not compatible", "Socket supports" },
	{ "VERSION\t+1\t0", 0, 0, 0, "Master not compatible", "didn't reply" },
	{ "VERSION\t\t0", 0, 0, 0, "Master not compatible", "didn't reply" },
	{ "VERSION", 0, 0, 0, "Master not compatible", "didn't reply" },
	{ "USER\t1\talice\tservice=smtp", 0, 0, 0, "Master not compatible",
	  "BUG: Authentication client sent unknown" },
	{ "", 0, 0, 0, "Master not compatible", "Unexpectedly received empty" },
	/* a NUL ends the line */
	{ "VERSION\t1\0\t0", 12, 1, 0, NULL, "didn't reply" },
	{ "\0VERSION\t1\t0", 12, 0, 0, "Master not compatible", "Unexpectedly" },
};

static void check_version(const struct vcase *c, enum dvmaster_dialect d)
{
	const char *err = NULL;
	int ok = d == D23 ? c->ok23 : c->ok24;
	const char *want = d == D23 ? c->err23 : c->err24;
	int rc = dvmaster_parse_version(c->line, c->len ? c->len : strlen(c->line), d, &err);

	if (ok) {
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, -1);
	assert_non_null(err);
	assert_memory_equal(err, want, strlen(want));
}

static void test_dvmaster_version(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(version_cases) / sizeof(version_cases[0]); i++) {
		check_version(&version_cases[i], D23);
		check_version(&version_cases[i], D24);
	}
}

struct rcase {
	const char *line;
	size_t len;
	enum dvmaster_dialect d;
	int rc;
	enum dvmaster_cmd cmd;
	unsigned id;
	const char *user;	/* or the error prefix when rc < 0 */
};

static const struct rcase request_cases[] = {
	{ "USER\t1\talice\tservice=smtp", 0, D23, 0, DVMASTER_USER, 1, "alice" },
	{ "USER\t1\talice\tservice=smtp", 0, D24, 0, DVMASTER_USER, 1, "alice" },
	{ "USER\t7\talice\tprotocol=lmtp", 0, D24, 0, DVMASTER_USER, 7, "alice" },
	{ "USER\t7\talice\tprotocol=lmtp", 0, D23, -1, 0, 0, "BUG: Master sent USER request without service" },
	{ "USER\t7\talice", 0, D23, -1, 0, 0, "BUG: Master sent USER request without service" },
	{ "USER\t7\talice", 0, D24, -1, 0, 0, "BUG: Master sent USER request without protocol" },
	{ "USER\t7\talice\tservice", 0, D23, 0, DVMASTER_USER, 7, "alice" },
	{ "USER\t7\talice\tservice=", 0, D23, 0, DVMASTER_USER, 7, "alice" },
	{ "USER\t7\talice\tservicex=smtp", 0, D23, -1, 0, 0, "BUG: Master sent USER request without" },
	{ "USER\t4294967295\tb\tservice=x", 0, D23, 0, DVMASTER_USER, 4294967295u, "b" },
	{ "USER\t4294967296\tb\tservice=x", 0, D23, -1, 0, 0, "BUG: Master sent broken USER" },
	{ "USER\t-1\tb\tservice=x", 0, D23, -1, 0, 0, "BUG: Master sent broken USER" },
	{ "USER\tx\tb\tservice=x", 0, D24, -1, 0, 0, "BUG: Master sent broken USER" },
	{ "USER\t1", 0, D23, -1, 0, 0, "BUG: Master sent broken USER" },
	{ "USER\t", 0, D23, -1, 0, 0, "BUG: Master sent broken USER" },
	{ "USER", 0, D23, -1, 0, 0, "BUG: Unknown command in userdb socket" },
	{ "USER", 0, D24, -1, 0, 0, "BUG: Master sent broken USER" },
	{ "user\t1\ta\tservice=x", 0, D23, -1, 0, 0, "BUG: Unknown command" },
	{ "REQUEST\t1\t2\t3\tab", 0, D24, -1, 0, 0, "BUG: Unknown command" },
	{ "", 0, D23, -1, 0, 0, "BUG: Unknown command" },
	{ "", 0, D24, -1, 0, 0, "Unexpectedly received empty line" },
	/* the user is tab-unescaped and cut at an escaped NUL */
	{ "USER\t1\ta\001tb\tservice=x", 0, D23, 0, DVMASTER_USER, 1, "a\tb" },
	{ "USER\t1\ta\0010b\tservice=x", 0, D23, 0, DVMASTER_USER, 1, "a" },
	{ "USER\t1\t\tservice=x", 0, D23, 0, DVMASTER_USER, 1, "" },
	/* a raw NUL ends the line: service= is not seen */
	{ "USER\t1\tab\0\tservice=x", 19, D23, -1, 0, 0, "BUG: Master sent USER request without" },
	/* an escaped service name counts (2.3 unescapes the whole field) */
	{ "USER\t1\ta\tser\001vice=x", 0, D23, 0, DVMASTER_USER, 1, "a" },
	{ "LIST\t3", 0, D23, 0, DVMASTER_LIST, 3, NULL },
	{ "LIST\t3\tuser=a*", 0, D24, 0, DVMASTER_LIST, 3, NULL },
	{ "LIST\t", 0, D23, -1, 0, 0, "BUG: Master sent broken LIST" },
	{ "PASS\t2\tbob\tservice=imap", 0, D23, 0, DVMASTER_PASS, 2, "bob" },
	{ "PASS\t2\tbob", 0, D24, -1, 0, 0, "BUG: Master sent PASS request without protocol" },
};

static void test_dvmaster_request(void **state)
{
	static struct dvmaster_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]); i++) {
		const struct rcase *c = &request_cases[i];
		const char *err = NULL;
		int rc = dvmaster_parse_request(c->line, c->len ? c->len : strlen(c->line), c->d,
						&r, &err);

		assert_int_equal(rc, c->rc);
		if (rc < 0) {
			assert_non_null(err);
			assert_memory_equal(err, c->user, strlen(c->user));
			continue;
		}
		assert_int_equal(r.cmd, c->cmd);
		assert_int_equal(r.id, c->id);
		if (c->user != NULL)
			assert_string_equal(r.user, c->user);
	}
}

static void test_dvmaster_request_longest(void **state)
{
	static struct dvmaster_request r;
	char line[DVMASTER_MAX_LINE + 1];
	const char *err;
	size_t n;

	(void)state;
	/* the longest line Dovecot reads: 1023 bytes */
	n = (size_t)snprintf(line, sizeof(line), "USER\t1\tservice=x\t");
	memset(line + n, 'u', DVMASTER_MAX_LINE - 1 - n);
	assert_int_equal(dvmaster_parse_request(line, DVMASTER_MAX_LINE - 1, D23, &r, &err), -1);
	memcpy(line, "USER\t1\tu\tservice=x", 18);
	assert_int_equal(dvmaster_parse_request(line, DVMASTER_MAX_LINE - 1, D23, &r, &err), 0);
	assert_string_equal(r.user, "u");
	/* one byte more is never a line */
	line[DVMASTER_MAX_LINE - 1] = 'u';
	assert_int_equal(dvmaster_parse_request(line, DVMASTER_MAX_LINE, D23, &r, &err), -1);
	assert_memory_equal(err, "BUG: Master sent us more", 24);
}

static void test_dvmaster_format(void **state)
{
	const struct dvmaster_field f[] = {
		{ "uid", "1000" }, { "gid", "100" }, { "home", "/h/a\tb" }, { "flag", "" },
	};
	struct xbuf out;

	(void)state;
	xbuf_init(&out, 4096);
	assert_int_equal(dvmaster_format_handshake(&out, DVMASTER_MINOR_23, 42), 0);
	assert_string_equal(xbuf_cstr(&out), "VERSION\t1\t1\nSPID\t42\n");
	xbuf_reset(&out);
	assert_int_equal(dvmaster_format_user(&out, D23, 5, "a\001b", f, 4), 0);
	assert_string_equal(xbuf_cstr(&out),
			    "USER\t5\ta\0011b\tuid=1000\tgid=100\thome=/h/a\001tb\tflag\n");
	xbuf_reset(&out);
	assert_int_equal(dvmaster_format_user(&out, D24, 5, "a", f, 4), 0);
	assert_string_equal(xbuf_cstr(&out),
			    "USER\t5\ta\tuid=1000\tgid=100\thome=/h/a\001tb\tflag=\n");
	xbuf_reset(&out);
	/* no field: 2.3 still writes the TAB after the user */
	assert_int_equal(dvmaster_format_user(&out, D23, 6, "a", f, 0), 0);
	assert_int_equal(dvmaster_format_user(&out, D24, 6, "a", f, 0), 0);
	assert_string_equal(xbuf_cstr(&out), "USER\t6\ta\t\nUSER\t6\ta\n");
	xbuf_reset(&out);
	assert_int_equal(dvmaster_format_notfound(&out, 1), 0);
	assert_int_equal(dvmaster_format_fail(&out, 2), 0);
	assert_int_equal(dvmaster_format_list_fail(&out, 3), 0);
	assert_int_equal(dvmaster_format_pass_unsupported(&out, 4), 0);
	assert_string_equal(xbuf_cstr(&out),
			    "NOTFOUND\t1\nFAIL\t2\nDONE\t3\tfail\n"
			    "FAIL\t4\treason=Configured passdbs don't support credentials lookups\n");
	xbuf_free(&out);
	/* the bound: nothing is left half-written */
	xbuf_init(&out, 10);
	assert_int_equal(dvmaster_format_user(&out, D23, 5, "alice", f, 4), -1);
	assert_int_equal(out.len, 0);
	xbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dvmaster_version),
		cmocka_unit_test(test_dvmaster_request),
		cmocka_unit_test(test_dvmaster_request_longest),
		cmocka_unit_test(test_dvmaster_format),
	};

	return cmocka_run_group_tests_name("dvmaster", tests, NULL, NULL);
}
