/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_policy_reply - fuzz target for policy_parse_reply()
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is what a policy service answers, read the way Postfix
 *	reads it (at most FUZZ_REPLY_MAX_INPUT bytes). Checked: the
 *	answer is decided exactly at *used_r (every shorter prefix needs
 *	more input, the byte before *used_r is the LF that decided it),
 *	the counts agree (nactions <= nattrs, an OK reply has an action),
 *	the action lies inside the input and holds no LF, action_nul is
 *	exact; an OK action that Postfix's grammar can carry is written
 *	again with policy_format_reply() and read back as the same action.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/policy.h"

#define FUZZ_REPLY_MAX_INPUT	(64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *err = NULL;
	struct policy_reply rep, rep2;
	struct xbuf out;
	size_t used = 0, used2 = 0;
	const struct strview *a = &rep.action;

	if (size > FUZZ_REPLY_MAX_INPUT)
		return 0;
	if (policy_parse_reply(buf, size, &rep, &used, &err) == 0) {
		/* undecided: more input needed */
		return 0;
	}
	FUZZ_CHECK(used > 0 && used <= size && buf[used - 1] == '\n');
	FUZZ_CHECK(policy_parse_reply(buf, used - 1, &rep2, &used2, &err) == 0);
	FUZZ_CHECK(rep.nactions <= rep.nattrs);
	switch (rep.status) {
	case POLICY_REPLY_OK:
		FUZZ_CHECK(rep.nactions >= 1);
		break;
	case POLICY_REPLY_MISSING_ACTION:
	case POLICY_REPLY_MALFORMED:
		FUZZ_CHECK(rep.nactions == 0);
		return 0;
	default:
		FUZZ_CHECK(0);
	}
	FUZZ_CHECK(a->p >= buf && a->len <= used && (size_t)(a->p - buf) <= used - a->len);
	FUZZ_CHECK(a->len == 0 || memchr(a->p, '\n', a->len) == NULL);
	FUZZ_CHECK(!rep.action_nul == (a->len == 0 || memchr(a->p, '\0', a->len) == NULL));
	if (rep.action_nul)
		return 0;
	xbuf_init(&out, 2 * FUZZ_REPLY_MAX_INPUT);
	FUZZ_CHECK(policy_format_reply(&out, a->p, a->len) == 0);
	FUZZ_CHECK(policy_parse_reply(out.data, out.len, &rep2, &used2, &err) == 1);
	FUZZ_CHECK(used2 == out.len && rep2.status == POLICY_REPLY_OK);
	FUZZ_CHECK(rep2.action.len == a->len &&
		   (a->len == 0 || memcmp(rep2.action.p, a->p, a->len) == 0));
	FUZZ_CHECK(rep2.nattrs == 1 && rep2.nactions == 1 && rep2.nunknown == 0);
	xbuf_free(&out);
	return 0;
}
