/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_passdb - passwd-file parsing and every password scheme
 * DESCRIPTION
 *	The stored values below were produced by Dovecot 2.3's own
 *	`doveadm pw -s SCHEME -p secret`, so a pass means ref-authd reads
 *	the same file Dovecot reads. Each must verify "secret" and reject
 *	"Secret" and "". File errors must name file:line.
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

#include "reference/authd/passdb.h"

static const char *doveadm_values[] = {
	"{SHA512-CRYPT}$6$6yVAyd8PzsIQmEYO$C5XvY8EMD52TsXekKbeQwhESRfH0fle5vKA3woRW10aykT91QmX7ZPbNtCaYzF7Tgs93wFRpnix2Asu/OL87A/",
	"{SHA256-CRYPT}$5$sQJTIcKbBSryOsNF$Mc/pPg8klo.Y1LhWec.EQyoB1/cJ8rRZhG1lI7vm4h1",
	"{BLF-CRYPT}$2y$05$s8kaFiurc0TMXDxI4kuzRutlM9AfoyM9pumFKGOYDBfxoMtK.zsJO",
	"{MD5-CRYPT}$1$2d497E60$e7nN/SvmmnR.F5T4sCrmf1",
	"{CRYPT}$2y$05$JZFuJ6ohj6gPBzapNWCDtOSVChxRoJeF/Qf/NIr2pKpF73QOa0MrS",
	"$1$2d497E60$e7nN/SvmmnR.F5T4sCrmf1",	/* no scheme: CRYPT */
	"{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=",
	"{SSHA256}gHhez+8176eJXNaIRjsglj4D4oQgxS5HtpGZTohEAuDHisTQ",
	"{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==",
	"{SSHA512}ExuXSozbOxeaTTIUI9Z7Si9tsbBcUHvjRviTgpCUPf1TQZIUC06HTLI1mQLVh9rsc0Ux7dVAyf0HpgzXz3P58+1KgWI=",
	"{SHA1}5en6G6MezRroT3XKqkdPOmY/BfQ=",
	"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=",
	"{SSHA}OKJtO6+4ALj2nEmCEn9U/x3eKh3dzrI8",
	"{PLAIN}secret",
	"{CLEARTEXT}secret",
	"{plain}secret",
	"{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56",
	"{SCRAM-SHA-1}4096,JFgHyhCtWEznRgHZD4yPCg==,CC9HH+huARWirWy7Sp4LJHAHTm4=,eJ+XlrPKGUZWcqidxOObytG9kCo=",
	"{SCRAM-SHA-256}4096,FF1qgEcvPL5LM4EJiGToVA==,1dV5tpKSntrhWxaMf/f4Q1N/vcbMnYNjg/rwQUR9aNM=,Ce2rZJ3ZiHF6WgnC8MTRpjXiJP4N4QVfIeg8EHH1CtM=",
	"{SHA256.HEX}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
};

static void test_authd_passdb_doveadm_schemes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(doveadm_values) / sizeof(doveadm_values[0]); i++) {
		char file[512], err[256] = "";
		struct passdb *db;
		const struct passdb_user *u;

		snprintf(file, sizeof(file), "# test\n\nalice:%s:1000:1000::/home/alice::\n",
			 doveadm_values[i]);
		db = passdb_parse(file, strlen(file), "users", err, sizeof(err));
		if (db == NULL)
			fail_msg("%s: %s", doveadm_values[i], err);
		u = passdb_lookup(db, "alice");
		assert_non_null(u);
		if (!passdb_verify(u, "secret"))
			fail_msg("%s: right password rejected", doveadm_values[i]);
		if (passdb_verify(u, "Secret") || passdb_verify(u, "") || passdb_verify(u, "secret "))
			fail_msg("%s: wrong password accepted", doveadm_values[i]);
		passdb_unref(&db);
		assert_null(db);
	}
}

static void test_authd_passdb_creds(void **state)
{
	const char *file = "p:{PLAIN}pw\nc:{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56\n"
			   "s:{SCRAM-SHA-256}4096,FF1qgEcvPL5LM4EJiGToVA==,1dV5tpKSntrhWxaMf/f4Q1N/vcbMnYNjg/rwQUR9aNM=,"
			   "Ce2rZJ3ZiHF6WgnC8MTRpjXiJP4N4QVfIeg8EHH1CtM=\nh:{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\n"
			   "x:{BLF-CRYPT}$2y$05$s8kaFiurc0TMXDxI4kuzRutlM9AfoyM9pumFKGOYDBfxoMtK.zsJO\n";
	char err[256];
	struct passdb *db = passdb_parse(file, strlen(file), "users", err, sizeof(err));
	struct sasl_creds cr;

	(void)state;
	assert_non_null(db);
	assert_int_equal(passdb_count(db), 5);
	assert_int_equal(passdb_creds(passdb_lookup(db, "p"), SASL_MECH_CRAM_MD5, &cr), 0);
	assert_int_equal(cr.kind, SASL_CREDS_PLAINTEXT);
	assert_int_equal(passdb_creds(passdb_lookup(db, "p"), SASL_MECH_SCRAM_SHA_1, &cr), 0);
	assert_int_equal(passdb_creds(passdb_lookup(db, "c"), SASL_MECH_CRAM_MD5, &cr), 0);
	assert_int_equal(cr.kind, SASL_CREDS_CRAM_MD5);
	assert_int_equal(passdb_creds(passdb_lookup(db, "c"), SASL_MECH_SCRAM_SHA_256, &cr), -1);
	assert_int_equal(passdb_creds(passdb_lookup(db, "s"), SASL_MECH_SCRAM_SHA_256, &cr), 0);
	assert_int_equal(cr.kind, SASL_CREDS_SCRAM);
	assert_int_equal(passdb_creds(passdb_lookup(db, "s"), SASL_MECH_SCRAM_SHA_1, &cr), -1);
	assert_int_equal(passdb_creds(passdb_lookup(db, "h"), SASL_MECH_CRAM_MD5, &cr), -1);
	assert_true(passdb_scheme_expensive(passdb_lookup(db, "x")));
	assert_false(passdb_scheme_expensive(passdb_lookup(db, "h")));
	/* a PLAIN login against a SCRAM value runs PBKDF2: off the loop too */
	assert_true(passdb_scheme_expensive(passdb_lookup(db, "s")));
	assert_false(passdb_scheme_expensive(passdb_lookup(db, "p")));
	assert_null(passdb_lookup(db, "nobody"));
	assert_null(passdb_lookup(db, "P"));
	passdb_unref(&db);
}

struct bad_file {
	const char *text;
	const char *err;
};

static void test_authd_passdb_errors(void **state)
{
	static const struct bad_file rows[] = {
		/* a line with only a user name, a line starting with ':', an empty
		   password and a repeated user are accepted as Dovecot accepts
		   them: see test_authd_passwdfile.c */
		{ "a:{SHA3}abc\n", "users:1: user a: unknown password scheme {SHA3}abc" },
		{ "a:{PLAIN.HEX}abc\n", "users:1: user a: unknown password scheme {PLAIN.HEX}abc" },
		{ "a:{SHA256.XYZ}abc\n", "users:1: user a: unknown password scheme {SHA256.XYZ}abc" },
		{ "a:{PLAIN\n", "users:1: user a: password scheme without closing }" },
		{ "#c\na:{SHA256}abc\n", "users:2: user a: malformed digest value" },
		{ "a:{SSHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\n",
		  "users:1: user a: salted digest value too short" },
		{ "a:{CRAM-MD5}00\n", "users:1: user a: malformed CRAM-MD5 value (want 64 hex digits)" },
		{ "a:{SCRAM-SHA-1}4096,abc\n",
		  "users:1: user a: malformed SCRAM value (want iter,salt,storedkey,serverkey)" },
		{ "b:{PLAIN}x\na:{PLAIN}y\nb:{SHA}zz\n", "users:3: user b: malformed digest value" },
		{ "a:{SCRAM-SHA-256}1000001,FF1qgEcvPL5LM4EJiGToVA==,"
		  "1dV5tpKSntrhWxaMf/f4Q1N/vcbMnYNjg/rwQUR9aNM=,Ce2rZJ3ZiHF6WgnC8MTRpjXiJP4N4QVfIeg8EHH1CtM=\n",
		  "users:1: user a: SCRAM iteration count above 1000000" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char err[256] = "";
		struct passdb *db = passdb_parse(rows[i].text, strlen(rows[i].text), "users", err,
						 sizeof(err));

		if (db != NULL)
			fail_msg("row %zu accepted", i);
		if (strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu: \"%s\", want \"%s\"", i, err, rows[i].err);
	}
}

static void test_authd_passdb_load(void **state)
{
	char path[] = "/tmp/passdb.XXXXXX";
	char err[256];
	struct passdb *db;
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("bob:{PLAIN}pw:1:1::/home/bob::userdb_quota=1G nopassword\r\n", f);
	fclose(f);
	db = passdb_load(path, err, sizeof(err));
	assert_non_null(db);
	assert_string_equal(passdb_lookup(db, "bob")->extra, "userdb_quota=1G nopassword");
	assert_true(passdb_verify(passdb_lookup(db, "bob"), "pw"));
	{
		struct passdb *keep = db;

		passdb_ref(db);
		passdb_unref(&db);	/* the reload path drops its reference */
		assert_null(db);
		/* the request that still holds one can use it */
		assert_true(passdb_verify(passdb_lookup(keep, "bob"), "pw"));
		passdb_unref(&keep);
	}
	unlink(path);
	assert_null(passdb_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authd_passdb_doveadm_schemes),
		cmocka_unit_test(test_authd_passdb_creds),
		cmocka_unit_test(test_authd_passdb_errors),
		cmocka_unit_test(test_authd_passdb_load),
	};

	return cmocka_run_group_tests_name("authd_passdb", tests, NULL, NULL);
}
