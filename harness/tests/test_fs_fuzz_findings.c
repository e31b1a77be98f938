/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_fuzz_findings - what the wire fuzzer counts as a finding,
 *	how it groups them, and the inputs it keeps
 * DESCRIPTION
 *	fuzz_shape: tables of lines Postfix sends and lines it never sends
 *	(each row one property of protocols.md A.3, A.4, B.2), and the
 *	generator's own requests without mutation are all Postfix-shaped.
 *	fuzz_sig_norm: rows of texts that must come out equal for one bug
 *	(ids, lengths, pids, quoted values) and different for two.
 *	fuzz_json_str: escapes, UTF-8 kept, bad bytes replaced.
 *	fuzz_case_from_bytes: kept auth bytes get the connection's id in
 *	every line of the request and only there; policy bytes split at the
 *	empty lines. fuzz_corpus_mutate: thousands of mutations keep the
 *	framing (whole lines, one empty line per policy request) and change
 *	the bytes. The corpus directory keeps each behaviour once, a
 *	symbolic link planted under an entry's name is neither followed nor
 *	replaced, and a second open loads what the first kept. fuzz_out: a
 *	file is never written over, nor through a link planted under its
 *	name; a replacement replaces a link put in its place instead of
 *	following it; a regular file or a dangling link is no directory.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/fuzz/fuzz_corpus.h"
#include "harness/fuzz/fuzz_gen.h"
#include "harness/fuzz/fuzz_out.h"
#include "harness/fuzz/fuzz_shape.h"
#include "harness/fuzz/fuzz_sig.h"
#include "harness/postfix/pf_auth.h"
#include "util/xbuf.h"

/* the Postfix whose requests the generators start from */
static const struct pf_version v37 = { 3, 7, 11, 0 };

/* a handshake that offered PLAIN, LOGIN and ANONYMOUS */
static void offered(struct pf_auth_handshake *h)
{
	static const char *const lines[] = {
		"VERSION\t1\t2", "MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext",
		"MECH\tANONYMOUS\tanonymous", "SPID\t1", "CUID\t1", "DONE",
	};
	struct pf_version v;
	size_t i;

	assert_int_equal(pf_version_parse("3.7", &v), 0);
	pf_auth_handshake_init(h, &v);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		(void)pf_auth_handshake_line(h, lines[i], strlen(lines[i]));
}

struct shape_row {
	const char *line;
	unsigned last_id, cont_id;
	int want;
};

static const struct shape_row auth_rows[] = {
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=::1\n", 4, 0, 1 },
	{ "AUTH\t5\tplain\tservice=smtp\tnologin\tlip=\trip=\tsecured\tresp=AHUAcA==\n", 0, 0, 1 },
	{ "AUTH\t5\tLOGIN\tservice=smtp\tnologin\tlip=1.2.3.4\trip=5.6.7.8\tresp==\n", 0, 0, 1 },
	/* ids: only growing, without a leading zero, not too far ahead */
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\n", 5, 0, 0 },
	{ "AUTH\t05\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\n", 0, 0, 0 },
	{ "AUTH\t5000\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\n", 1, 0, 0 },
	/* a mechanism not offered, or one noanonymous takes away */
	{ "AUTH\t5\tCRAM-MD5\tservice=smtp\tnologin\tlip=\trip=\n", 0, 0, 0 },
	{ "AUTH\t5\tANONYMOUS\tservice=smtp\tnologin\tlip=\trip=\n", 0, 0, 0 },
	/* Postfix's fields, in Postfix's order, nothing else */
	{ "AUTH\t5\tPLAIN\tnologin\tservice=smtp\tlip=\trip=\n", 0, 0, 0 },
	{ "AUTH\t5\tPLAIN\tservice=imap\tnologin\tlip=\trip=\n", 0, 0, 0 },
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tfoo=bar\n", 0, 0, 0 },
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp=AA==\tsecured\n", 0, 0, 0 },
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=x\x01\trip=\n", 0, 0, 0 },
	/* resp: base64's charset, never empty; CR and NUL are not Postfix's */
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp=\n", 0, 0, 0 },
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp=a*b=\n", 0, 0, 0 },
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp=YWJj=\n", 0, 0, 1 },
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\r\n", 0, 0, 0 },
	{ "AUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=\trip=", 0, 0, 0 },
	/* CONT: the request whose last reply was CONT, base64 or nothing */
	{ "CONT\t5\tdGVzdDE=\n", 5, 5, 1 },
	{ "CONT\t5\t\n", 5, 5, 1 },
	{ "CONT\t5\tdGVzdDE=\n", 5, 0, 0 },
	{ "CONT\t6\tdGVzdDE=\n", 5, 5, 0 },
	{ "CONT\t5\n", 5, 5, 0 },
	{ "CONT\t5\ta\tb\n", 5, 5, 0 },
	{ "CONT\t5\t\x80\n", 5, 5, 0 },
	{ "CANCEL\t5\n", 5, 5, 0 },
};

static void test_fs_fuzz_shape_auth(void **state)
{
	struct pf_auth_handshake h;
	size_t i;

	(void)state;
	offered(&h);
	for (i = 0; i < sizeof(auth_rows) / sizeof(auth_rows[0]); i++) {
		const struct shape_row *r = &auth_rows[i];
		struct fuzz_shape_auth st = { r->last_id, r->cont_id };
		unsigned id;

		if (fuzz_shape_auth(&h, &st, r->line, strlen(r->line), &id) != r->want)
			fail_msg("row %zu: %s: want %d", i, r->line, r->want);
	}
}

static void test_fs_fuzz_shape_lengths(void **state)
{
	struct pf_auth_handshake h;
	struct fuzz_shape_auth st = { 5, 5 };
	struct xbuf b;
	unsigned id;

	(void)state;
	offered(&h);
	xbuf_init(&b, 64 * 1024);
	/* a CONT up to smtpd_sasl_response_limit, not beyond */
	assert_int_equal(xbuf_append_str(&b, "CONT\t5\t"), 0);
	while (b.len < 7 + FUZZ_SHAPE_RESP_MAX)
		assert_int_equal(xbuf_append_char(&b, 'A'), 0);
	assert_int_equal(xbuf_append_char(&b, '\n'), 0);
	assert_int_equal(fuzz_shape_auth(&h, &st, b.data, b.len, &id), 1);
	b.data[b.len - 1] = 'A';
	assert_int_equal(xbuf_append_char(&b, '\n'), 0);
	assert_int_equal(fuzz_shape_auth(&h, &st, b.data, b.len, &id), 0);
	/* an initial response that no longer fits in the SMTP command line */
	xbuf_reset(&b);
	assert_int_equal(xbuf_append_str(&b, "AUTH\t6\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp="), 0);
	while (b.len < 3000)
		assert_int_equal(xbuf_append_char(&b, 'A'), 0);
	assert_int_equal(xbuf_append_char(&b, '\n'), 0);
	assert_int_equal(fuzz_shape_auth(&h, &st, b.data, b.len, &id), 0);
	xbuf_free(&b);
	assert_int_equal(fuzz_shape_handshake("VERSION\t1\t0\nCPID\t42\n", 20, 42), 1);
	assert_int_equal(fuzz_shape_handshake("VERSION\t1\t0\nCPID\t42\n", 20, 43), 0);
	assert_int_equal(fuzz_shape_handshake("VERSION\t1\t0\r\nCPID\t42\n", 21, 42), 0);
}

static const struct {
	const char *block;
	int want;
} policy_rows[] = {
	{ "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b\n\n", 1 },
	{ "request=smtpd_access_policy\nsender=\xc3\x28@b\nhelo_name=\xff\n\n", 1 },
	{ "request=smtpd_access_policy\nprotocol_state=rcpt\n\n", 0 },
	{ "request=smtpd_access_policy\nprotocol_state=XFUZZ\n\n", 0 },
	{ "request=smtpd_access_policy2\n\n", 0 },
	{ "sender=a@b\n\n", 0 },
	{ "request=smtpd_access_policy\nsender=a\nsender=b\n\n", 0 },
	{ "request=smtpd_access_policy\nx_fuzz=1\n\n", 0 },
	{ "request=smtpd_access_policy\nsender\n\n", 0 },
	{ "request=smtpd_access_policy\nsender=a\r\n\n", 0 },
	{ "request=smtpd_access_policy\n=a\n\n", 0 },
	{ "request=smtpd_access_policy\nsender=a\n", 0 },
	{ "request=smtpd_access_policy\n\nsender=a\n\n", 0 },
};

static void test_fs_fuzz_shape_policy(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(policy_rows) / sizeof(policy_rows[0]); i++)
		if (fuzz_shape_policy(policy_rows[i].block, strlen(policy_rows[i].block)) !=
		    policy_rows[i].want)
			fail_msg("row %zu: want %d", i, policy_rows[i].want);
	/* a NUL in a value is not Postfix's */
	assert_int_equal(fuzz_shape_policy("request=smtpd_access_policy\nsender=a\0b\n\n", 40), 0);
}

/* the generator's requests without a mutation are what Postfix sends */
static void test_fs_fuzz_shape_generated(void **state)
{
	struct pf_auth_handshake h;
	struct fuzz_rng r;
	struct fuzz_case c;
	struct fuzz_auth_state st = { 1, 0 };
	unsigned i, plain = 0, shaped = 0;

	(void)state;
	offered(&h);
	fuzz_rng_seed(&r, 3);
	fuzz_case_init(&c);
	for (i = 0; i < 3000; i++) {
		struct fuzz_shape_auth ss = { st.next_id - 1, 0 };
		unsigned id;

		fuzz_gen_auth(&r, &st, &c);
		if (strchr(c.what, ',') != NULL || c.nsteps == 0)
			continue;	/* mutated */
		plain++;
		shaped += fuzz_shape_auth(&h, &ss, c.buf.data, c.step[0].len, &id);
	}
	assert_true(plain > 100);
	assert_int_equal(shaped, plain);
	for (i = 0, plain = shaped = 0; i < 3000; i++) {
		fuzz_gen_policy(&r, &v37, &c);
		if (strchr(c.what, ',') != NULL)
			continue;
		plain++;
		shaped += fuzz_shape_policy(c.buf.data, c.buf.len);
	}
	assert_true(plain > 100);
	assert_int_equal(shaped, plain);
	fuzz_case_free(&c);
}

static const struct {
	const char *a, *b;
	int same;
} norm_rows[] = {
	{ "no reply to request 13 within 3000 ms", "no reply to request 7 within 300 ms", 1 },
	{ "KeyError: b'12'", "KeyError: b'abc\\tdef'", 1 },
	{ "ValueError: invalid literal: \"x\"", "ValueError: invalid literal: \"yy\"", 1 },
	{ "segfault at 0x7f3a12 pid 4242", "segfault at 0x1 pid 7", 1 },
	{ "  trailing blanks \t", "trailing blanks", 1 },
	{ "KeyError: b'12'", "IndexError: list index out of range", 0 },
	{ "line \x01\xff", "line ??", 1 },
};

static void test_fs_fuzz_sig_norm(void **state)
{
	char a[64], b[64], small[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(norm_rows) / sizeof(norm_rows[0]); i++) {
		fuzz_sig_norm(a, sizeof(a), norm_rows[i].a);
		fuzz_sig_norm(b, sizeof(b), norm_rows[i].b);
		if ((strcmp(a, b) == 0) != norm_rows[i].same)
			fail_msg("row %zu: \"%s\" and \"%s\"", i, a, b);
	}
	fuzz_sig_norm(a, sizeof(a), "no reply to request 13 within 3000 ms");
	assert_string_equal(a, "no reply to request N within N ms");
	fuzz_sig_norm(small, sizeof(small), "abcdefghijkl");
	assert_string_equal(small, "abcdefg");
}

static void test_fs_fuzz_json_str(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 1024);
	assert_int_equal(fuzz_json_str(&b, "a\"b\\c\td\x01 Pr\xc3\xbc" "fung \xff\xc3("), 0);
	assert_string_equal(xbuf_cstr(&b),
			    "\"a\\\"b\\\\c\\u0009d\\u0001 Pr\xc3\xbc" "fung \\ufffd\\ufffd(\"");
	xbuf_free(&b);
}

static void test_fs_fuzz_case_from_bytes(void **state)
{
	static const char auth[] = "AUTH\t13\tLOGIN\tservice=smtp\tnologin\tlip=\trip=\n"
				   "CONT\t13\tdGVzdDE=\nCONT\t130\tx\nCONT\t13\tcGFzczE=\n";
	static const char pol[] = "request=smtpd_access_policy\nsender=a\n\n"
				  "request=smtpd_access_policy\n\nrest";
	struct fuzz_case c;

	(void)state;
	fuzz_case_init(&c);
	assert_int_equal(fuzz_case_from_bytes(auth, strlen(auth), 0, 2, &c), 4);
	assert_string_equal(xbuf_cstr(&c.buf), "AUTH\t2\tLOGIN\tservice=smtp\tnologin\tlip=\trip=\n"
			    "CONT\t2\tdGVzdDE=\nCONT\t130\tx\nCONT\t2\tcGFzczE=\n");
	assert_int_equal(c.step[0].due, FUZZ_DUE_AUTH);
	assert_int_equal(c.step[0].id, 2);
	assert_int_equal(c.step[2].id, 130);
	assert_int_equal(c.step[3].off + c.step[3].len, c.buf.len);
	assert_int_equal(fuzz_case_from_bytes(pol, strlen(pol), 1, 9, &c), 3);
	assert_int_equal(c.step[0].len, 38);
	assert_int_equal(c.step[0].due, FUZZ_DUE_POLICY);
	assert_int_equal(c.step[1].len, 29);
	assert_int_equal(c.step[2].due, FUZZ_DUE_NONE);	/* no empty line after it */
	assert_int_equal(fuzz_case_from_bytes("", 0, 0, 1, &c), 0);
	fuzz_case_free(&c);
}

/* every line ends in LF; a policy request has exactly one empty line, at its end */
static void framing_kept(const struct xbuf *b, int policy)
{
	size_t i, empties = 0;

	assert_true(b->len > 0 && b->data[b->len - 1] == '\n');
	for (i = 0; i + 1 < b->len; i++)
		empties += b->data[i] == '\n' && b->data[i + 1] == '\n';
	if (policy) {
		assert_int_equal(empties, 1);
		assert_true(b->len >= 2 && b->data[b->len - 2] == '\n');
	}
}

static void test_fs_fuzz_corpus_mutate(void **state)
{
	static const char *const bases[2][2] = {
		{ "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=\trip=\tresp=AHRlc3QxAHBhc3Mx\n",
		  "CONT\t4\tdGVzdDE=\n" },
		{ "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b\n\n",
		  "request=smtpd_access_policy\nrecipient=c@d\n\n" },
	};
	struct xbuf base, other, out, again;
	struct fuzz_rng r, r2;
	int policy;

	(void)state;
	xbuf_init(&base, 1 << 20);
	xbuf_init(&other, 1 << 20);
	xbuf_init(&out, 1 << 20);
	xbuf_init(&again, 1 << 20);
	for (policy = 0; policy < 2; policy++) {
		unsigned i, changed = 0;

		xbuf_reset(&base);
		xbuf_reset(&other);
		assert_int_equal(xbuf_append_str(&base, bases[policy][0]), 0);
		assert_int_equal(xbuf_append_str(&other, bases[policy][1]), 0);
		fuzz_rng_seed(&r, 11);
		fuzz_rng_seed(&r2, 11);
		for (i = 0; i < 2000; i++) {
			fuzz_corpus_mutate(&r, &base, &other, policy, &out);
			fuzz_corpus_mutate(&r2, &base, &other, policy, &again);
			assert_int_equal(out.len, again.len);
			assert_memory_equal(out.data, again.data, out.len);
			framing_kept(&out, policy);
			changed += out.len != base.len || memcmp(out.data, base.data, out.len) != 0;
		}
		assert_true(changed > 1800);
	}
	xbuf_free(&base);
	xbuf_free(&other);
	xbuf_free(&out);
	xbuf_free(&again);
}

static void test_fs_fuzz_corpus_dir(void **state)
{
	char dir[] = "/tmp/test-fuzz-corpus.XXXXXX", path[200], err[300], name[32];
	struct fuzz_corpus cp;
	struct fuzz_case c;
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kept", dir);
	assert_int_equal(fuzz_corpus_open(&cp, path, err, sizeof(err)), 0);
	assert_int_equal(cp.n, 0);
	/* a behaviour counts once */
	assert_int_equal(fuzz_corpus_novel(&cp, 42), 1);
	assert_int_equal(fuzz_corpus_novel(&cp, 42), 0);
	assert_int_equal(fuzz_corpus_novel(&cp, 0), 1);
	fuzz_case_init(&c);
	assert_int_equal(fuzz_case_from_bytes("CONT\t1\tx\n", 9, 0, 1, &c), 1);
	assert_int_equal(fuzz_corpus_keep(&cp, &c), 1);
	assert_int_equal(fuzz_corpus_keep(&cp, &c), 0);	/* the same bytes: one file */
	/* a link planted under the next entry's name is left alone */
	assert_int_equal(fuzz_case_from_bytes("CONT\t1\ty\n", 9, 0, 1, &c), 1);
	snprintf(name, sizeof(name), "%016llx",
		 (unsigned long long)fuzz_fp_add(FUZZ_FP_SEED, c.buf.data, c.buf.len));
	snprintf(path, sizeof(path), "%s/kept/%s", dir, name);
	assert_int_equal(symlink("../victim", path), 0);
	assert_int_equal(fuzz_corpus_keep(&cp, &c), 0);
	snprintf(path, sizeof(path), "%s/victim", dir);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(errno, ENOENT);
	fuzz_corpus_close(&cp);
	/* a second run loads what the first kept (the link is not followed) */
	snprintf(path, sizeof(path), "%s/kept", dir);
	assert_int_equal(fuzz_corpus_open(&cp, path, err, sizeof(err)), 0);
	assert_int_equal(cp.n, 1);
	assert_string_equal(xbuf_cstr(&cp.ent[0]), "CONT\t1\tx\n");
	fuzz_corpus_close(&cp);
	fuzz_case_free(&c);
	/* a regular file is no corpus directory */
	snprintf(path, sizeof(path), "%s/kept/%s", dir, name);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	assert_int_equal(fuzz_corpus_open(&cp, "/etc/passwd", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
}

static void test_fs_fuzz_out(void **state)
{
	char dir[] = "/tmp/test-fuzz-out.XXXXXX", path[200], err[300], buf[64];
	struct stat sb;
	FILE *fp;
	int dfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	dfd = fuzz_dir_open(path, err, sizeof(err));	/* made when absent */
	assert_true(dfd >= 0);
	assert_int_equal(fuzz_dir_create(dfd, "a.tr", "one\n", 4), 0);
	assert_int_equal(fuzz_dir_create(dfd, "a.tr", "two\n", 4), -1);
	assert_int_equal(errno, EEXIST);
	snprintf(path, sizeof(path), "%s/out/a.tr", dir);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "one\n");
	/* a link planted under the name: not followed */
	snprintf(path, sizeof(path), "%s/out/b.tr", dir);
	assert_int_equal(symlink("../victim", path), 0);
	assert_int_equal(fuzz_dir_create(dfd, "b.tr", "x", 1), -1);
	assert_int_equal(errno, EEXIST);
	snprintf(path, sizeof(path), "%s/victim", dir);
	assert_int_equal(stat(path, &sb), -1);
	/* a replacement puts a new file where the link was, and leaves no temporary */
	assert_int_equal(fuzz_dir_replace(dfd, "b.tr", "new\n", 4), 0);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/out/b.tr", dir);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, 4);
	snprintf(path, sizeof(path), "ls -A %s/out | wc -l | grep -qx 2", dir);
	assert_int_equal(system(path), 0);
	close(dfd);
	/* what is no directory */
	snprintf(path, sizeof(path), "%s/out/a.tr", dir);
	assert_int_equal(fuzz_dir_open(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists and is not a directory"));
	snprintf(path, sizeof(path), "%s/dangling", dir);
	assert_int_equal(symlink("nowhere", path), 0);
	assert_int_equal(fuzz_dir_open(path, err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_fuzz_shape_auth),
		cmocka_unit_test(test_fs_fuzz_shape_lengths),
		cmocka_unit_test(test_fs_fuzz_shape_policy),
		cmocka_unit_test(test_fs_fuzz_shape_generated),
		cmocka_unit_test(test_fs_fuzz_sig_norm),
		cmocka_unit_test(test_fs_fuzz_json_str),
		cmocka_unit_test(test_fs_fuzz_case_from_bytes),
		cmocka_unit_test(test_fs_fuzz_corpus_mutate),
		cmocka_unit_test(test_fs_fuzz_corpus_dir),
		cmocka_unit_test(test_fs_fuzz_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
