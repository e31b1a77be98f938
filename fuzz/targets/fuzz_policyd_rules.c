/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_policyd_rules - fuzz target for ref-policyd's rule-file parser and matcher
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a rule file (at most FUZZ_RULES_MAX_INPUT bytes)
 *	given to rules_parse() under the name "fuzz", with a database (so
 *	networks(ATTR) is allowed). A file that loads is matched
 *	(rules_eval) against one request per protocol state whose other
 *	attributes come from fuzz_values[] (an attribute the table does not
 *	name gets "x"); networks(ATTR) answers from the user name's length,
 *	without a database.
 *
 *	Checked: a refused file has an error that starts with "fuzz:" and
 *	a line number; a loaded one has at most one rule per statement
 *	line, protocol_state in slot 0, every rule's reply is "action="
 *	its action LF LF with reply_len its length; matching never fails
 *	and always names a rule.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "reference/policyd/rules.h"
#include "util/compiler.h"

#define FUZZ_RULES_MAX_INPUT	(16 * 1024)

static const char *const fuzz_states[] = {
	"CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END-OF-MESSAGE", "VRFY", "ETRN",
	"BOGUS",
};

static const char *const fuzz_values[][2] = {
	{ "client_address", "192.0.2.7" },
	{ "client_name", "mail.example.com" },
	{ "helo_name", "mail7.re.example" },
	{ "sender", "exact@example.com" },
	{ "recipient", "bob@glob.example" },
	{ "sasl_username", "alice" },
	{ "size", "42" },
	{ "recipient_count", "50" },
	{ "etrn_domain", "" },
	{ "reverse_client_name", "2001:db8::1" },
};

/* fuzz_allows - networks(ATTR) without a database: odd user lengths allow */
static int fuzz_allows(void *ctx, const char *user, size_t ulen, const struct cidr_addr *addr)
{
	(void)ctx;
	(void)user;
	FUZZ_CHECK(addr->family == 4 || addr->family == 6);
	return (int)(ulen & 1);
}

static void check_rule(const struct rule *r)
{
	size_t alen;

	FUZZ_CHECK(r != NULL && r->action != NULL && r->reply != NULL);
	FUZZ_CHECK(memchr(r->id, '\0', sizeof(r->id)) != NULL);
	alen = strlen(r->action);
	FUZZ_CHECK(r->reply_len == alen + 9 && strlen(r->reply) == r->reply_len);
	FUZZ_CHECK(memcmp(r->reply, "action=", 7) == 0);
	FUZZ_CHECK(memcmp(r->reply + 7, r->action, alen) == 0);
	FUZZ_CHECK(memcmp(r->reply + 7 + alen, "\n\n", 2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rules_env env = { fuzz_allows, NULL, NULL };
	const char *buf = (const char *)data;
	struct rules_values v;
	const struct rule *r;
	struct rules *rs;
	char err[512];
	size_t lines = 1, i, j, slots;
	int s;

	if (size > FUZZ_RULES_MAX_INPUT)
		return 0;
	err[0] = '\0';
	rs = rules_parse(buf, size, "fuzz", NULL, 1, err, sizeof(err));
	if (rs == NULL) {
		FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0 && err[5] >= '1' && err[5] <= '9');
		return 0;
	}
	for (i = 0; i < size; i++)
		lines += buf[i] == '\n';
	FUZZ_CHECK(rules_count(rs) <= lines);
	slots = rules_nslots(rs);
	FUZZ_CHECK(slots >= 1 && slots <= RULES_MAX_SLOTS);
	FUZZ_CHECK(strcmp(rules_slot_name(rs, 0), "protocol_state") == 0);
	for (i = 0; i < rules_count(rs); i++)
		check_rule(rules_get(rs, i));
	check_rule(rules_default(rs));

	memset(&v, 0, sizeof(v));
	for (i = 1; i < slots; i++) {
		const char *name = rules_slot_name(rs, i);

		FUZZ_CHECK(name != NULL && rules_slot(rs, name, strlen(name)) == (int)i);
		v.val[i] = "x";
		for (j = 0; j < N_ELEMENTS(fuzz_values); j++)
			if (strcmp(name, fuzz_values[j][0]) == 0)
				v.val[i] = fuzz_values[j][1];
		v.len[i] = strlen(v.val[i]);
	}
	for (s = 0; s < (int)N_ELEMENTS(fuzz_states); s++) {
		v.val[0] = fuzz_states[s];
		v.len[0] = strlen(fuzz_states[s]);
		r = NULL;
		FUZZ_CHECK(rules_eval(rs, &v, &env, &r) == 0);
		check_rule(r);
	}
	rules_free(&rs);
	return 0;
}
