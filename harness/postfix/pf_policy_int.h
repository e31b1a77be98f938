/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy_int - what pf_policy.c and pf_policy_eval.c share
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy_int.h"
 * DESCRIPTION
 *	Internal to harness/postfix/pf_policy*.c.
 *	pf_pol_note_add() appends a formatted observation to a "; "-separated
 *	list in notes (cut to size); pf_pol_copy_str() is a bounded copy that
 *	always terminates; pf_pol_printable() does what Postfix's
 *	printable(s, ' ') does, in place: every byte but printable ASCII
 *	(and, with utf8, valid UTF-8 sequences) becomes a blank; pf_pol_after_mail() is true in the states
 *	where MAIL has been accepted (a transaction is open).
 */
#ifndef HARNESS_POSTFIX_PF_POLICY_INT_H
#define HARNESS_POSTFIX_PF_POLICY_INT_H

#include <stddef.h>

#include "harness/postfix/pf_policy.h"
#include "util/compiler.h"

/* the default request's values (what Postfix would send for a local test) */
#define DEF_CLIENT	"127.0.0.1"
#define DEF_HELO	"client.test"
#define DEF_SENDER	"sender@test.invalid"
#define DEF_RCPT	"rcpt@example.com"
#define DEF_QUEUE_ID	"ED5A9A722DC"
#define DEF_INSTANCE	"419e.6b02af7b.eb52e.0"
#define DEF_ETRN	"example.com"

void pf_pol_note_add(char *notes, size_t size, const char *fmt, ...) ATTR_PRINTF(3, 4);
void pf_pol_copy_str(char *dst, size_t size, const char *src);
void pf_pol_printable(char *s, int utf8);
int pf_pol_after_mail(enum pf_pol_state st);

#endif
