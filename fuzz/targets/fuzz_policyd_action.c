/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_policyd_action - fuzz target for ref-policyd's action check
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input: byte 0 selects the protocol states the action may be sent
 *	at (0: any; otherwise bit n-1 of the rules.h state numbering, so
 *	byte 0 = 7 is END-OF-MESSAGE only), the rest is the action text
 *	given to action_check() as is (at most FUZZ_ACTION_MAX_INPUT
 *	bytes).
 *
 *	Checked: the result is 0 or -1; an accepted action has a kind with
 *	a name, a refused one a non-empty reason; the same text is judged
 *	the same way twice (no hidden state); an empty text is refused.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "reference/policyd/action.h"

#define FUZZ_ACTION_MAX_INPUT	(16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	const char *why = NULL, *why2 = NULL;
	enum action_kind kind, kind2;
	unsigned states;
	size_t len;
	int rc, rc2;

	if (size < 1 || size > FUZZ_ACTION_MAX_INPUT)
		return 0;
	states = data[0] == 0 ? 0 : 1u << ((data[0] - 1) % 9);
	len = size - 1;
	rc = action_check(text, len, states, &kind, &why);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(action_kind_name(kind) != NULL);
		FUZZ_CHECK(len > 0);
	} else {
		FUZZ_CHECK(why != NULL && *why != '\0');
	}
	rc2 = action_check(text, len, states, &kind2, &why2);
	FUZZ_CHECK(rc2 == rc);
	if (rc == 0)
		FUZZ_CHECK(kind2 == kind);
	else
		FUZZ_CHECK(why2 == why);
	return 0;
}
