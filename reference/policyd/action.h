/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	action - judge an access(5) action the way Postfix's smtpd would
 * SYNOPSIS
 *	#include "reference/policyd/action.h"
 *
 *	int action_check(const char *s, size_t len, unsigned states,
 *	                 enum action_kind *kind_r, const char **error_r);
 *	const char *action_kind_name(enum action_kind k);
 * DESCRIPTION
 *	action_check() classifies the action text s (no LF, trimmed by the
 *	caller) as smtpd_check.c check_table_result() would (protocols.md
 *	B.5): the command is the text up to the first SP or TAB, matched
 *	without regard to case. It refuses every action Postfix would
 *	answer with "451 4.3.5 Server configuration error" (an unknown
 *	word, a value with ":" that is not a keyword action), and also the
 *	ones Postfix would only log and ignore (FILTER without
 *	transport:destination, REDIRECT/BCC without user@domain, PREPEND
 *	without a valid header, PREPEND at END-OF-MESSAGE) or read in a way
 *	nobody means (an empty action or "4NN"/"5NN" alone, both OK). states
 *	is the set of protocol states the action can be sent at (bits from
 *	rules.h, 0 = any); it only matters for PREPEND.
 *
 *	Restriction lists (access(5) "restriction...") are accepted when
 *	every element is one of Postfix's built-in restrictions that take
 *	no argument (permit, reject, reject_unauth_destination, ...).
 * DIAGNOSTICS
 *	0 with *kind_r set, or -1 with *error_r a static string that says
 *	what Postfix would do with it.
 */
#ifndef REFERENCE_POLICYD_ACTION_H
#define REFERENCE_POLICYD_ACTION_H

#include <stddef.h>

#include "util/compiler.h"

enum action_kind {
	ACTION_DUNNO,
	ACTION_OK,		/* OK, RELAY, all-digit */
	ACTION_REJECT,
	ACTION_DEFER,
	ACTION_DEFER_IF_PERMIT,
	ACTION_DEFER_IF_REJECT,
	ACTION_CODE,		/* 4NN/5NN text */
	ACTION_HOLD,
	ACTION_DISCARD,
	ACTION_FILTER,
	ACTION_REDIRECT,
	ACTION_BCC,
	ACTION_PREPEND,
	ACTION_INFO,
	ACTION_WARN,
	ACTION_HANGUP,
	ACTION_RESTRICTIONS,	/* a list of smtpd restrictions */
};

/* the state bit of END-OF-MESSAGE, as rules.h numbers states */
#define ACTION_STATE_EOM	(1u << 6)

int action_check(const char *s, size_t len, unsigned states,
		 enum action_kind *kind_r, const char **error_r) ATTR_WUR;
const char *action_kind_name(enum action_kind k);

#endif
