/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_bench - fake-smtpd bench: its pure parts and a run against
 *	the null responder
 * DESCRIPTION
 *	Action matching, percentiles, the policy request template (varying
 *	client_address and sasl_username, --set and deletion, bad input),
 *	the null responder's framing (requests cut anywhere, auth lines
 *	across reads), and whole runs over a UNIX socket in a temporary
 *	directory: every reply verified, a wrong expectation counted as a
 *	wrong action, the auth handshake and ids. Runs are bounded by a
 *	request count, never by how fast the machine is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench/bench.h"
#include "harness/bench/bench_null.h"

static void test_expect_match(void **state)
{
	(void)state;
	assert_int_equal(bench_expect_match("DUNNO", "DUNNO", 5), 1);
	assert_int_equal(bench_expect_match("DUNNO", "dunno", 5), 1);
	assert_int_equal(bench_expect_match("DUNNO", "DUNNO ", 6), 0);
	assert_int_equal(bench_expect_match("DUNNO", "DUNN", 4), 0);
	assert_int_equal(bench_expect_match("REJECT 5.7.1 no", "reject 5.7.1 no", 15), 1);
	/* the text after the keyword is compared exactly */
	assert_int_equal(bench_expect_match("REJECT 5.7.1 no", "REJECT 5.7.1 NO", 15), 0);
	assert_int_equal(bench_expect_match("PREPEND X-Greylist*", "PREPEND X-Greylist: x", 21), 1);
	assert_int_equal(bench_expect_match("PREPEND X-Greylist*", "PREPEND X-Grey", 14), 0);
	assert_int_equal(bench_expect_match("*", "", 0), 1);
	assert_int_equal(bench_expect_match("", "", 0), 1);
	assert_int_equal(bench_expect_match("", "x", 1), 0);
}

static void test_percentile(void **state)
{
	uint32_t v[100];
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		v[i] = (uint32_t)(i + 1);
	assert_int_equal(bench_percentile(v, 0, 0.5), 0);
	assert_int_equal(bench_percentile(v, 1, 0.999), 1);
	assert_int_equal(bench_percentile(v, 100, 0.0), 1);
	assert_int_equal(bench_percentile(v, 100, 0.5), 51);
	assert_int_equal(bench_percentile(v, 100, 0.99), 99);
	assert_int_equal(bench_percentile(v, 100, 1.0), 100);
}

static void opts_policy(struct bench_options *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = BENCH_POLICY;
	assert_int_equal(pf_version_parse("3.7", &o->version), 0);
	o->state = PF_POL_RCPT;
}

static char *request(const struct bench_tmpl *t, unsigned long seq)
{
	struct xbuf out;
	char *s;

	xbuf_init(&out, 1 << 20);
	assert_int_equal(bench_tmpl_request(t, seq, &out), 0);
	s = strndup(out.data, out.len);
	xbuf_free(&out);
	return s;
}

static void test_template_fixed(void **state)
{
	struct bench_options o;
	struct bench_tmpl t;
	char err[256], *s;

	(void)state;
	opts_policy(&o);
	o.set[o.nset++] = "sender=a@example.org";
	o.set[o.nset++] = "x_extra=1";
	o.set[o.nset++] = "helo_name=";	/* deleted */
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), 0);
	s = request(&t, 7);
	assert_non_null(strstr(s, "request=smtpd_access_policy\nprotocol_state=RCPT\n"));
	assert_non_null(strstr(s, "\nsender=a@example.org\n"));
	assert_null(strstr(s, "helo_name="));
	assert_non_null(strstr(s, "\nx_extra=1\n\n"));
	assert_true(strlen(s) > 2 && strcmp(s + strlen(s) - 2, "\n\n") == 0);
	/* nothing varies: every request is the same */
	free(s);
	s = request(&t, 7);
	{
		char *s2 = request(&t, 8);

		assert_string_equal(s, s2);
		free(s2);
	}
	free(s);
	bench_tmpl_free(&t);
}

static void test_template_vary(void **state)
{
	struct bench_options o;
	struct bench_tmpl t;
	char err[256], *s;

	(void)state;
	opts_policy(&o);
	o.vary_clients = 70000;
	o.vary_users = 3;
	o.user_pattern = "u%u@example.net";
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), 0);
	s = request(&t, 65536 + 258);
	assert_non_null(strstr(s, "\nclient_address=10.1.1.2\n"));
	assert_non_null(strstr(s, "\nsasl_username=u1@example.net\n"));	/* 65794 % 3 */
	assert_null(strchr(s, '\001'));
	free(s);
	s = request(&t, 70001);	/* wraps to 1 */
	assert_non_null(strstr(s, "\nclient_address=10.0.0.1\n"));
	assert_non_null(strstr(s, "\nsasl_username=u2@example.net\n"));	/* 70001 % 3 */
	free(s);
	bench_tmpl_free(&t);

	/* only the user varies */
	opts_policy(&o);
	o.vary_users = 10;
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), 0);
	s = request(&t, 13);
	assert_non_null(strstr(s, "\nsasl_username=user3\n"));
	assert_non_null(strstr(s, "\nclient_address=127.0.0.1\n"));
	free(s);
	bench_tmpl_free(&t);

	/* digits are written without printf: 0, 3-digit parts, long numbers */
	opts_policy(&o);
	o.vary_clients = 16777216;
	o.vary_users = 16777216;
	o.user_pattern = "n%u";
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), 0);
	s = request(&t, (255ul << 16) | 100);
	assert_non_null(strstr(s, "\nclient_address=10.255.0.100\n"));
	assert_non_null(strstr(s, "\nsasl_username=n16711780\n"));
	free(s);
	s = request(&t, 16777216ul * 3);
	assert_non_null(strstr(s, "\nclient_address=10.0.0.0\n"));
	assert_non_null(strstr(s, "\nsasl_username=n0\n"));
	free(s);
	s = request(&t, 16777215ul);
	assert_non_null(strstr(s, "\nclient_address=10.255.255.255\n"));
	assert_non_null(strstr(s, "\nsasl_username=n16777215\n"));
	free(s);
	bench_tmpl_free(&t);
}

static void test_template_errors(void **state)
{
	struct bench_options o;
	struct bench_tmpl t;
	char err[256];

	(void)state;
	opts_policy(&o);
	o.set[o.nset++] = "novalue";
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "novalue"));
	bench_tmpl_free(&t);

	opts_policy(&o);
	o.set[o.nset++] = "=x";
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), -1);
	bench_tmpl_free(&t);

	opts_policy(&o);
	o.set[o.nset++] = "sender=a\nb";	/* a value with LF cannot be sent */
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), -1);
	bench_tmpl_free(&t);

	opts_policy(&o);
	o.vary_users = 2;
	o.user_pattern = "user%s%u";
	assert_int_equal(bench_tmpl_build(&t, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "%u"));
	bench_tmpl_free(&t);
}

static void test_null_policy_framing(void **state)
{
	static const char req[] = "request=smtpd_access_policy\nprotocol_state=RCPT\n\n";
	struct bench_null_conn c;
	struct xbuf out;
	size_t cut, k;

	(void)state;
	xbuf_init(&out, 1 << 16);
	/* two requests cut at every position: exactly two replies */
	for (cut = 0; cut <= 2 * (sizeof(req) - 1); cut++) {
		char two[2 * sizeof(req)];

		memcpy(two, req, sizeof(req) - 1);
		memcpy(two + sizeof(req) - 1, req, sizeof(req) - 1);
		memset(&c, 0, sizeof(c));
		xbuf_reset(&out);
		bench_null_reply(&c, BENCH_POLICY, two, cut, &out);
		bench_null_reply(&c, BENCH_POLICY, two + cut, 2 * (sizeof(req) - 1) - cut, &out);
		assert_int_equal(out.len, 2 * strlen("action=DUNNO\n\n"));
	}
	/* byte by byte */
	memset(&c, 0, sizeof(c));
	xbuf_reset(&out);
	for (k = 0; k < sizeof(req) - 1; k++)
		bench_null_reply(&c, BENCH_POLICY, req + k, 1, &out);
	assert_int_equal(out.len, strlen("action=DUNNO\n\n"));
	xbuf_free(&out);
}

static void test_null_auth_framing(void **state)
{
	static const char in[] = "VERSION\t1\t0\nCPID\t42\nAUTH\t7\tPLAIN\tservice=smtp\tresp=x\n"
				 "AUTH\t12345\tPLAIN\tservice=smtp\n";
	struct bench_null_conn c;
	struct xbuf out;
	size_t k;
	const char *s;

	(void)state;
	xbuf_init(&out, 1 << 16);
	memset(&c, 0, sizeof(c));
	for (k = 0; k < sizeof(in) - 1; k += 5)
		bench_null_reply(&c, BENCH_AUTH, in + k, sizeof(in) - 1 - k < 5 ? sizeof(in) - 1 - k : 5,
				 &out);
	s = xbuf_cstr(&out);
	assert_non_null(strstr(s, "MECH\tPLAIN"));
	assert_non_null(strstr(s, "\nDONE\nOK\t7\tuser=null\nOK\t12345\tuser=null\n"));
	xbuf_free(&out);
}

struct run {
	char dir[64];
	char spec[128];
	pid_t pid;
	struct target t;
};

static void run_start(struct run *rn, int kind, int batching)
{
	char err[256];

	strcpy(rn->dir, "/tmp/test_fs_bench.XXXXXX");
	assert_non_null(mkdtemp(rn->dir));
	snprintf(rn->spec, sizeof(rn->spec), "unix:%s/null.sock", rn->dir);
	assert_int_equal(bench_null_start(rn->spec, kind, batching, &rn->pid, err, sizeof(err)), 0);
	assert_true(rn->pid > 0);
	assert_int_equal(target_parse(rn->spec, &rn->t, err, sizeof(err)), 0);
}

static void run_stop(struct run *rn)
{
	bench_null_stop(rn->pid, rn->spec);
	target_free(&rn->t);
	assert_int_equal(access(rn->spec + 5, F_OK), -1);	/* socket file removed */
	assert_int_equal(rmdir(rn->dir), 0);
}

static void test_run_policy(void **state)
{
	struct run rn;
	struct bench_options o;
	struct bench_result r;
	char err[256];

	(void)state;
	run_start(&rn, BENCH_POLICY, 1);
	opts_policy(&o);
	o.target = &rn.t;
	o.connections = 4;
	o.pipeline = 3;
	o.requests = 3000;
	o.timeout_ms = 60000;
	o.quiet = 1;
	o.vary_clients = 100;
	o.expect[o.nexpect++] = "REJECT";
	o.expect[o.nexpect++] = "dunno";
	assert_int_equal(bench_run(&o, &r, err, sizeof(err)), 0);
	assert_true(r.ok >= 3000);
	assert_true(r.total >= r.ok);
	assert_int_equal(r.err_malformed + r.err_verdict + r.err_disconnect + r.err_timeout +
			 r.err_wrong_id, 0);
	assert_true(r.p50 <= r.p90 && r.p90 <= r.p99 && r.p99 <= r.p999 && r.p999 <= r.max);
	assert_true(r.client_cpu_s > 0 && r.client_cpu_s < 600);

	/* a wrong expectation: every reply is a wrong action, none is ok */
	o.nexpect = 0;
	o.expect[o.nexpect++] = "REJECT";
	o.requests = 200;
	assert_int_equal(bench_run(&o, &r, err, sizeof(err)), 0);
	assert_int_equal(r.ok, 0);
	assert_true(r.err_verdict >= 200);
	assert_non_null(strstr(r.first_error, "action=DUNNO"));
	run_stop(&rn);
}

static void test_run_auth(void **state)
{
	struct run rn;
	struct bench_options o;
	struct bench_result r;
	char err[256];

	(void)state;
	run_start(&rn, BENCH_AUTH, 1);
	memset(&o, 0, sizeof(o));
	o.kind = BENCH_AUTH;
	o.target = &rn.t;
	o.connections = 3;
	o.requests = 2000;
	o.timeout_ms = 60000;
	o.quiet = 1;
	o.user = "u%u";
	o.users = 5;
	o.password = "pw";
	assert_int_equal(bench_run(&o, &r, err, sizeof(err)), 0);
	assert_true(r.ok >= 2000);
	assert_int_equal(r.fail + r.err_malformed + r.err_verdict + r.err_disconnect +
			 r.err_timeout + r.err_wrong_id, 0);
	/* wrong passwords expected to FAIL: the null responder says OK */
	o.users = 0;
	o.user = "u";
	o.wrong_percent = 50;
	o.requests = 400;
	assert_int_equal(bench_run(&o, &r, err, sizeof(err)), 0);
	assert_true(r.err_verdict >= 150);
	assert_true(r.ok >= 150);
	run_stop(&rn);
}

/* --batching no on both sides: one read and one send per connection */
static void test_run_plain_io(void **state)
{
	struct run rn;
	struct bench_options o;
	struct bench_result r;
	char err[256];
	int kind;

	(void)state;
	for (kind = BENCH_AUTH; kind <= BENCH_POLICY; kind++) {
		run_start(&rn, kind, 0);
		if (kind == BENCH_POLICY) {
			opts_policy(&o);
			o.vary_clients = 300;
		} else {
			memset(&o, 0, sizeof(o));
			o.kind = BENCH_AUTH;
			o.user = "u";
			o.password = "pw";
		}
		o.no_batching = 1;
		o.target = &rn.t;
		o.connections = 5;
		o.pipeline = 2;
		o.requests = 2000;
		o.timeout_ms = 60000;
		o.quiet = 1;
		assert_int_equal(bench_run(&o, &r, err, sizeof(err)), 0);
		assert_true(r.ok >= 2000);
		assert_int_equal(r.fail + r.err_malformed + r.err_verdict + r.err_disconnect +
				 r.err_timeout + r.err_wrong_id, 0);
		run_stop(&rn);
	}
}

static void test_run_no_server(void **state)
{
	struct bench_options o;
	struct bench_result r;
	struct target t;
	char err[256];

	(void)state;
	assert_int_equal(target_parse("unix:/nonexistent/dir/sock", &t, err, sizeof(err)), 0);
	opts_policy(&o);
	o.target = &t;
	o.connections = 2;
	o.requests = 10;
	o.quiet = 1;
	assert_int_equal(bench_run(&o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/dir/sock"));
	target_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expect_match),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_template_fixed),
		cmocka_unit_test(test_template_vary),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_null_policy_framing),
		cmocka_unit_test(test_null_auth_framing),
		cmocka_unit_test(test_run_policy),
		cmocka_unit_test(test_run_auth),
		cmocka_unit_test(test_run_plain_io),
		cmocka_unit_test(test_run_no_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
