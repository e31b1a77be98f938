/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_catalogue - the data-check loader shared by check --auth and --policy
 * DESCRIPTION
 *	The directory loader (sorted by id, user files after it in the order
 *	given, ids required in the directory, duplicate ids refused with
 *	both files named, the wrong protocol refused, a broken transcript
 *	reported with file:line), the metadata header (every key,
 *	severities, ordinary comments, errors with file:line), an entry as a
 *	row of the runner, and the shipped catalogues: every auth file loads
 *	with a unique AUTH-*-1NN id, every policy file has a unique POLICY-*
 *	id, and both have a title, a why and a fix.
 */
#define _GNU_SOURCE		/* open_memstream is POSIX 2008 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/check/catalogue.h"

struct tmpdir {
	char path[64];
	char files[8][128];
	size_t n;
};

static void put(struct tmpdir *d, const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	assert_true(d->n < 8);
	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	memcpy(d->files[d->n], path, sizeof(path));
	fp = fopen(d->files[d->n], "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	d->n++;
}

static int setup_dir(void **state)
{
	struct tmpdir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/test_catalogue.XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown_dir(void **state)
{
	struct tmpdir *d = *state;
	size_t i;

	for (i = 0; i < d->n; i++)
		(void)unlink(d->files[i]);
	(void)rmdir(d->path);
	free(d);
	return 0;
}

static void test_catalogue_load_sorted_by_id(void **state)
{
	struct tmpdir *d = *state;
	struct catalogue c;
	char err[400];
	const char *files[1];

	put(d, "a.tr", "# id: AUTH-B-102\n# title: second\n# severity: advisory\n# tags: x, y\n"
		       "protocol auth\nhandshake\n");
	put(d, "b.tr", "# id: AUTH-A-101\n# why: w\n# fix: f\nprotocol auth\nhandshake\n");
	put(d, ".hidden.tr", "not a transcript\n");
	put(d, "notes.txt", "not a transcript either\n");
	put(d, "../test_catalogue_user.tr", "# mine\nprotocol auth\nhandshake\n");
	files[0] = d->files[d->n - 1];
	assert_int_equal(catalogue_load(&c, d->path, files, 1, TPROTO_AUTH, err, sizeof(err)), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0]->ci.id, "AUTH-A-101");
	assert_string_equal(c.v[0]->ci.why, "w");
	assert_string_equal(c.v[0]->m.fix, "f");
	assert_int_equal(c.v[0]->ci.severity, SEV_BREAKS_POSTFIX);
	assert_string_equal(c.v[1]->ci.id, "AUTH-B-102");
	assert_string_equal(c.v[1]->ci.title, "second");
	assert_int_equal(c.v[1]->ci.severity, SEV_ADVISORY);
	/* a user file without an id is named after its file, titled by its comment */
	assert_true(c.v[2]->user);
	assert_string_equal(c.v[2]->ci.id, "USER-test_catalogue_user.tr");
	assert_string_equal(c.v[2]->ci.title, "mine");
	catalogue_free(&c);
	assert_int_equal(c.n, 0);
	(void)unlink(files[0]);
	d->n--;
}

static void test_catalogue_load_refuses(void **state)
{
	struct tmpdir *d = *state;
	struct catalogue c;
	char err[400];

	/* the same id in two files of the directory */
	put(d, "one.tr", "# id: AUTH-X-101\nprotocol auth\nhandshake\n");
	put(d, "two.tr", "# id: AUTH-X-101\nprotocol auth\nhandshake\n");
	assert_int_equal(catalogue_load(&c, d->path, NULL, 0, TPROTO_AUTH, err, sizeof(err)), -1);
	if (strstr(err, "two.tr:1: id AUTH-X-101 is already used by") == NULL || !strstr(err, "one.tr"))
		fail_msg("%s", err);
	assert_null(c.e);
	(void)unlink(d->files[--d->n]);

	/* a directory file needs an id */
	put(d, "noid.tr", "# just a comment\nprotocol auth\nhandshake\n");
	assert_int_equal(catalogue_load(&c, d->path, NULL, 0, TPROTO_AUTH, err, sizeof(err)), -1);
	if (strstr(err, "noid.tr:1: no \"# id:\" header") == NULL)
		fail_msg("%s", err);
	(void)unlink(d->files[--d->n]);

	/* the other protocol */
	assert_int_equal(catalogue_load(&c, d->path, NULL, 0, TPROTO_POLICY, err, sizeof(err)), -1);
	if (strstr(err, "one.tr: not a policy transcript") == NULL)
		fail_msg("%s", err);

	/* a transcript error keeps its file:line */
	put(d, "bad.tr", "# id: AUTH-X-102\nprotocol auth\nhandshake\nfrobnicate\n");
	assert_int_equal(catalogue_load(&c, d->path, NULL, 0, TPROTO_AUTH, err, sizeof(err)), -1);
	if (strstr(err, "bad.tr:4") == NULL)
		fail_msg("%s", err);
	(void)unlink(d->files[--d->n]);

	/* a bad header line */
	put(d, "sev.tr", "# id: AUTH-X-103\n# severity: fatal\nprotocol auth\n");
	assert_int_equal(catalogue_load(&c, d->path, NULL, 0, TPROTO_AUTH, err, sizeof(err)), -1);
	if (strstr(err, "sev.tr:2: severity") == NULL)
		fail_msg("%s", err);
	(void)unlink(d->files[--d->n]);

	/* a missing directory */
	assert_int_equal(catalogue_load(&c, "/nonexistent/dir", NULL, 0, TPROTO_AUTH, err,
					sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/dir: "));
	/* no directory at all: an empty catalogue */
	assert_int_equal(catalogue_load(&c, NULL, NULL, 0, TPROTO_AUTH, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	catalogue_free(&c);
}

/* the metadata header: every key, severities, ordinary comments, errors with file:line */
static void test_catalogue_meta_parse(void **state)
{
	static const char good[] =
		"# id: POLICY-ATTR-099\n"
		"# title: a title\n"
		"# severity: security\n"
		"# why: because\n"
		"# fix: do this\n"
		"# tags: a, b\n"
		"# fails-on: someone\n"
		"# an ordinary comment: with a colon after blanks\n"
		"protocol policy\n"
		"# id: not read, after the first statement\n";
	struct catalogue_meta m;
	char err[300];

	(void)state;
	assert_int_equal(catalogue_meta_parse(good, strlen(good), "g.tr", &m, err, sizeof(err)), 0);
	assert_true(m.has_id);
	assert_string_equal(m.id, "POLICY-ATTR-099");
	assert_string_equal(m.title, "a title");
	assert_int_equal(m.severity, SEV_SECURITY);
	assert_string_equal(m.why, "because");
	assert_string_equal(m.fix, "do this");
	assert_string_equal(m.tags, "a, b");
	assert_string_equal(m.fails_on, "someone");

	/* no header at all: no id, severity defaults to breaks-postfix */
	assert_int_equal(catalogue_meta_parse("protocol policy\n", 16, "n.tr", &m, err,
						 sizeof(err)), 0);
	assert_false(m.has_id);
	assert_int_equal(m.severity, SEV_BREAKS_POSTFIX);

	assert_int_equal(catalogue_meta_parse("# id: X\n# severity: grave\n", 26, "b.tr", &m, err,
						 sizeof(err)), -1);
	assert_non_null(strstr(err, "b.tr:2: severity"));
	assert_int_equal(catalogue_meta_parse("#\n# colour: red\n", 16, "c.tr", &m, err,
						 sizeof(err)), -1);
	assert_non_null(strstr(err, "c.tr:2: unknown header key \"colour\""));
	assert_int_equal(catalogue_meta_parse("# id:\n", 6, "e.tr", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "e.tr:1: id"));
	/* CR LF files and a missing last LF */
	assert_int_equal(catalogue_meta_parse("# id: A-1\r\n# severity: advisory", 32, "w.tr", &m,
						 err, sizeof(err)), 0);
	assert_string_equal(m.id, "A-1");
	assert_int_equal(m.severity, SEV_ADVISORY);
}

/* every shipped data check has a unique POLICY-* id and a title, severity, why, fix */
static void test_catalogue_policy_shipped(void **state)
{
	const char *dirs[] = { "corpus/conformance/policy", "../corpus/conformance/policy",
			       "../../corpus/conformance/policy", "../../../corpus/conformance/policy" };
	char ids[64][64];
	size_t nids = 0, i, k;
	DIR *d = NULL;
	struct dirent *e;
	const char *dir = NULL;

	(void)state;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && d == NULL; i++)
		if ((d = opendir(dirs[i])) != NULL)
			dir = dirs[i];
	if (d == NULL)
		skip();
	while ((e = readdir(d)) != NULL) {
		char path[512], buf[65536], err[300];
		struct catalogue_meta m;
		size_t len, n = strlen(e->d_name);
		FILE *fp;

		if (n < 4 || strcmp(e->d_name + n - 3, ".tr") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		len = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		if (catalogue_meta_parse(buf, len, path, &m, err, sizeof(err)) < 0)
			fail_msg("%s", err);
		if (!m.has_id || strncmp(m.id, "POLICY-", 7) != 0 || !m.title[0] || !m.why[0] ||
		    !m.fix[0])
			fail_msg("%s: id, title, why and fix are required (id %s)", path, m.id);
		for (k = 0; k < nids; k++)
			if (strcmp(ids[k], m.id) == 0)
				fail_msg("%s: id %s used twice", path, m.id);
		assert_true(nids < 64);
		snprintf(ids[nids++], sizeof(ids[0]), "%s", m.id);
	}
	closedir(d);
	assert_true(nids >= 9);
}

/* an entry as the runner's row, and its --list line */
static void test_catalogue_def(void **state)
{
	struct tmpdir *d = *state;
	struct catalogue c;
	struct check_def def;
	char err[400], *text = NULL;
	size_t tlen = 0;
	FILE *mem;

	put(d, "a.tr", "# id: AUTH-B-102\n# title: second\n# severity: advisory\n# tags: x, y\n"
		       "# why: w\nprotocol auth\nhandshake\n");
	put(d, "b.tr", "# id: AUTH-A-101\n# title: first\nprotocol auth\nhandshake\n");
	assert_int_equal(catalogue_load(&c, d->path, NULL, 0, TPROTO_AUTH, err, sizeof(err)), 0);
	catalogue_def(c.v[1], &def);
	assert_string_equal(def.ci.id, "AUTH-B-102");
	assert_string_equal(def.ci.title, "second");
	assert_string_equal(def.ci.why, "w");
	assert_int_equal(def.ci.severity, SEV_ADVISORY);
	assert_string_equal(def.tags, "x, y");
	assert_int_equal(def.stage, CHECK_STAGE_MAIN);
	assert_int_equal(def.needs, 0);
	assert_null(def.run);
	assert_ptr_equal(def.arg, c.v[1]);
	mem = open_memstream(&text, &tlen);
	assert_non_null(mem);
	catalogue_list(mem, &c);
	fclose(mem);
	assert_string_equal(text, "AUTH-A-101         [breaks Postfix] first\n"
			    "AUTH-B-102         [advisory] second (tags: x, y)\n");
	free(text);
	catalogue_free(&c);
}

/* the shipped auth catalogue loads, with AUTH-<FAMILY>-1NN ids and every field */
static void test_catalogue_auth_shipped(void **state)
{
	const char *dirs[] = { "corpus/conformance/auth", "../corpus/conformance/auth",
			       "../../corpus/conformance/auth", "../../../corpus/conformance/auth" };
	struct catalogue c;
	char err[700];
	size_t i;
	const char *dir = NULL;
	DIR *d;

	(void)state;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && dir == NULL; i++)
		if ((d = opendir(dirs[i])) != NULL) {
			closedir(d);
			dir = dirs[i];
		}
	if (dir == NULL)
		skip();
	if (catalogue_load(&c, dir, NULL, 0, TPROTO_AUTH, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	for (i = 0; i < c.n; i++) {
		const struct catalogue_meta *m = &c.v[i]->m;
		const char *dash = strrchr(m->id, '-');

		if (strncmp(m->id, "AUTH-", 5) != 0 || dash == NULL || dash[1] != '1' ||
		    strlen(dash + 1) != 3 || !m->title[0] || !m->why[0] || !m->fix[0])
			fail_msg("%s: AUTH-<FAMILY>-1NN id, title, why and fix are required",
				 c.v[i]->t.file);
	}
	assert_true(c.n >= 20);
	catalogue_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalogue_load_sorted_by_id, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_catalogue_load_refuses, setup_dir, teardown_dir),
		cmocka_unit_test(test_catalogue_meta_parse),
		cmocka_unit_test_setup_teardown(test_catalogue_def, setup_dir, teardown_dir),
		cmocka_unit_test(test_catalogue_auth_shipped),
		cmocka_unit_test(test_catalogue_policy_shipped),
	};

	return cmocka_run_group_tests_name("catalogue", tests, NULL, NULL);
}
