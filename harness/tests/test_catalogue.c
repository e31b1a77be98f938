/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_catalogue - the data-check loader shared by check --auth and --policy
 * DESCRIPTION
 *	The directory loader (sorted by id, user files after it in the order
 *	given, ids required in the directory, duplicate ids refused with
 *	both files named, the wrong protocol refused, a broken transcript
 *	reported with file:line), the --only/--skip selection by id prefix
 *	and tag, and the shipped auth catalogue: every file loads, with a
 *	unique AUTH-*-1NN id, a title, a why and a fix.
 */
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

#include "harness/run/catalogue.h"

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

static void test_catalogue_wanted(void **state)
{
	static const struct {
		const char *only, *skip, *id, *tags;
		int want;
	} t[] = {
		{ NULL, NULL, "AUTH-REQ-101", "", 1 },
		{ "AUTH-REQ", NULL, "AUTH-REQ-101", "", 1 },
		{ "auth-req", NULL, "AUTH-REQ-101", "", 1 },
		{ "AUTH-REP", NULL, "AUTH-REQ-101", "", 0 },
		{ "AUTH-REP,AUTH-REQ-1", NULL, "AUTH-REQ-101", "", 1 },
		{ "base64", NULL, "AUTH-REQ-101", "ids, base64 ", 1 },
		{ "base", NULL, "AUTH-REQ-101", "base64", 0 },
		{ NULL, "base64", "AUTH-REQ-101", "x,base64", 0 },
		{ NULL, "AUTH-REQ-102", "AUTH-REQ-101", "", 1 },
		{ "AUTH", "AUTH-REQ-101", "AUTH-REQ-101", "", 0 },
		{ ",,", NULL, "AUTH-REQ-101", "", 0 },
		{ "", NULL, "AUTH-REQ-101", "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = catalogue_wanted(t[i].only, t[i].skip, t[i].id, t[i].tags);

		if (got != t[i].want)
			fail_msg("row %zu: only %s skip %s id %s tags %s: got %d", i,
				 t[i].only ? t[i].only : "-", t[i].skip ? t[i].skip : "-", t[i].id,
				 t[i].tags, got);
	}
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
		cmocka_unit_test(test_catalogue_wanted),
		cmocka_unit_test(test_catalogue_auth_shipped),
	};

	return cmocka_run_group_tests_name("catalogue", tests, NULL, NULL);
}
