/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_record_file - a recording's file: private, never over another
 *	file, never through a link, nothing left when nothing was recorded
 * DESCRIPTION
 *	In a temporary directory: a new recording is mode 0600 whatever the
 *	umask, is not there before its first save and is rewritten whole by
 *	the next; a file or a link already at the path is refused without
 *	force and left as it was; with force a link is replaced, and the file
 *	it pointed to is not touched; a recording closed before its first
 *	save leaves the directory as it was (no temporary file); a path whose
 *	name was taken while the recording ran is not written over.
 *	record_live_upstream(): loopback and spawn: are not live; another
 *	address, Postfix's and Dovecot's socket directories are.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/record/record_file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-record-file.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *at(const char *name)
{
	static char buf[4][200];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static unsigned entries(void)
{
	char cmd[128];
	FILE *fp;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%u", &n), 1);
	pclose(fp);
	return n;
}

static void content(const char *path, const char *want)
{
	char buf[256] = "";
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, want);
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_fs_record_file_new(void **state)
{
	struct record_file f;
	struct stat sb;
	char err[300];
	mode_t old = umask(0);

	(void)state;
	assert_int_equal(record_file_open(&f, at("rec.tr"), 0, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(at("rec.tr"), &sb), -1);	/* not there before a save */
	assert_int_equal(record_file_save(&f, "one\n", 4, err, sizeof(err)), 0);
	assert_int_equal(stat(at("rec.tr"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(record_file_save(&f, "2\n", 2, err, sizeof(err)), 0);
	record_file_close(&f);
	content(at("rec.tr"), "2\n");
	assert_int_equal(entries(), 1);		/* no temporary left */
}

static void test_fs_record_file_nothing_left(void **state)
{
	struct record_file f;
	char err[300];

	(void)state;
	assert_int_equal(record_file_open(&f, at("never.tr"), 0, err, sizeof(err)), 0);
	assert_int_equal(entries(), 1);		/* the private temporary */
	record_file_close(&f);
	assert_int_equal(entries(), 0);
}

static void test_fs_record_file_not_over(void **state)
{
	struct record_file f;
	char err[300];

	(void)state;
	put(at("old.tr"), "precious\n");
	assert_int_equal(record_file_open(&f, at("old.tr"), 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists (--force replaces it)"));
	content(at("old.tr"), "precious\n");
	/* a link is refused too, and what it points to is not created */
	assert_int_equal(symlink(at("victim"), at("link.tr")), 0);
	assert_int_equal(record_file_open(&f, at("link.tr"), 0, err, sizeof(err)), -1);
	assert_int_equal(access(at("victim"), F_OK), -1);
	/* a name taken while the recording ran is not written over */
	assert_int_equal(record_file_open(&f, at("late.tr"), 0, err, sizeof(err)), 0);
	put(at("late.tr"), "theirs\n");
	assert_int_equal(record_file_save(&f, "mine\n", 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists now"));
	record_file_close(&f);
	content(at("late.tr"), "theirs\n");
	assert_int_equal(entries(), 3);
}

static void test_fs_record_file_force(void **state)
{
	struct record_file f;
	struct stat sb;
	char err[300];

	(void)state;
	put(at("victim"), "not ours\n");
	assert_int_equal(symlink(at("victim"), at("link.tr")), 0);
	assert_int_equal(record_file_open(&f, at("link.tr"), 1, err, sizeof(err)), 0);
	assert_int_equal(record_file_save(&f, "new\n", 4, err, sizeof(err)), 0);
	record_file_close(&f);
	assert_int_equal(lstat(at("link.tr"), &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	content(at("link.tr"), "new\n");
	content(at("victim"), "not ours\n");
	/* forced over a file: replaced; closed before a save: the file stays */
	assert_int_equal(record_file_open(&f, at("victim"), 1, err, sizeof(err)), 0);
	record_file_close(&f);
	content(at("victim"), "not ours\n");
	assert_int_equal(entries(), 2);
}

static void test_fs_record_file_live(void **state)
{
	static const struct {
		const char *spec;
		int live;
	} rows[] = {
		{ "inet:127.0.0.1:10000", 0 }, { "inet:127.8.9.10:10000", 0 },
		{ "inet:[::1]:10000", 0 }, { "inet:localhost:10000", 0 },
		{ "inet:10.0.0.5:12340", 1 }, { "inet:[2001:db8::1]:12340", 1 },
		{ "inet:mail.example.org:12340", 1 },
		{ "unix:/var/spool/postfix/private/auth", 1 }, { "unix:/run/dovecot/auth-client", 1 },
		{ "unix:/var/run/dovecot/auth-client", 1 }, { "unix:/tmp/helper.sock", 0 },
		{ "spawn:/usr/bin/python3 helper.py", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct target t;
		char err[300];

		assert_int_equal(target_parse(rows[i].spec, &t, err, sizeof(err)), 0);
		if ((record_live_upstream(&t) != NULL) != rows[i].live)
			fail_msg("%s: want live %d", rows[i].spec, rows[i].live);
		target_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fs_record_file_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fs_record_file_nothing_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fs_record_file_not_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fs_record_file_force, setup, teardown),
		cmocka_unit_test(test_fs_record_file_live),
	};

	return cmocka_run_group_tests_name("fs_record_file", tests, NULL, NULL);
}
