/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy_conf - the user's main.cf drives the policy oracle
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy_conf.h"
 *
 *	int pf_pol_conf_load(struct pf_pol_conf *pc, const struct pf_conf *c,
 *	                     char *err, size_t esize);
 *	void pf_pol_conf_plain(struct pf_pol_conf *pc,
 *	                       const struct pf_version *v);
 *	void pf_pol_conf_ctx(const struct pf_pol_conf *pc,
 *	                     const struct pf_pol_req *req,
 *	                     struct pf_pol_ctx *ctx);
 *	void pf_pol_conf_smtp(const struct pf_pol_conf *pc,
 *	                      const struct pf_pol_ctx *ctx,
 *	                      const struct pf_pol_verdict *pv,
 *	                      struct pf_pol_smtp *out);
 *	const char *pf_pol_list_name(enum pf_pol_list l);
 *	int pf_pol_conf_line(const struct pf_pol_conf *pc, size_t i,
 *	                     char *buf, size_t size);
 * DESCRIPTION
 *	What a main.cf (read by pf_conf.h) says about the policy service
 *	and what smtpd does around it (postfix/src/smtpd/smtpd_check.c:
 *	smtpd_check_client/_helo/_mail/_rcpt, generic_checks,
 *	check_policy_service; smtpd.c).
 *
 *	pf_pol_conf_load() reads the settings: the eight restriction
 *	lists, expanded; the list that holds the first
 *	check_policy_service, its server and the restrictions before and
 *	after it; smtpd_delay_reject; the order of the relay and recipient
 *	lists (smtpd_relay_before_recipient_restrictions);
 *	smtpd_policy_service_{timeout, max_idle, max_ttl, try_limit,
 *	retry_delay, request_limit, default_action, policy_context},
 *	overridden by the per-service form "{ server, name=value, ... }"
 *	(3.0); soft_bounce, smtputf8_enable, the reject codes;
 *	mynetworks (literal addresses and CIDR blocks; by default the
 *	loopback net is in it), mydestination and relay_domains (literal
 *	domains, with relay_domains' parent-domain matching); and
 *	smtpd_sasl_security_options, smtpd_sasl_mechanism_filter and
 *	smtpd_sasl_service for the auth side. pc->used lists every
 *	setting read, with its value and origin, for the report.
 *
 *	pf_pol_conf_line() formats line i of the settings for a report
 *	(0: where the check is; then each setting used "name = value
 *	[origin]"; then the notes): 1, or 0 past the last line.
 *
 *	pf_pol_conf_plain() is the configuration assumed without a
 *	main.cf: Postfix v's defaults, and check_policy_service the only
 *	restriction in the list of the request's state (so DUNNO and OK
 *	end in the accept reply).
 *
 *	pf_pol_conf_ctx() fills an evaluation context for a request:
 *	the reply names from its attributes (client_name[client_address],
 *	helo_name, sender, recipient), the stage from the list holding the
 *	check when that list runs at the request's protocol_state (with
 *	smtpd_delay_reject = yes the client, HELO and sender lists run at
 *	RCPT time, so a request that says protocol_state=RCPT is answered
 *	"Client host rejected", "Helo command rejected" or "Sender address
 *	rejected"), soft_bounce and the codes, whether the client is in
 *	mynetworks and the recipient relayable (or that neither is known).
 *
 *	pf_pol_conf_smtp() is what the SMTP client gets for the command
 *	of that state: the restriction lists smtpd runs then, in order
 *	(RCPT: client, HELO, sender when delayed, then relay and recipient
 *	in the configured order, then a pending DEFER_IF_PERMIT), with the
 *	policy verdict pv in its place: REJECT ends all; OK ends its list;
 *	DUNNO goes on with the next restriction (the real consequence of
 *	DUNNO is the next restriction's verdict). Restrictions before the
 *	check may decide first (then the service is not asked). A
 *	restriction the oracle does not model makes the prediction
 *	PF_POL_SMTP_UNMODELLED, with the name in out->notes.
 * BOUNDS
 *	Lists up to PF_POL_LIST_MAX bytes, values up to PF_POL_VALUE_MAX,
 *	at most PF_POL_MAX_USED settings listed.
 * DIAGNOSTICS
 *	pf_pol_conf_load: 0, or -1 with err when a value is not what
 *	Postfix accepts (a bad time or number, a boolean that is not
 *	yes/no: Postfix would not start). What the oracle cannot know
 *	(an unknown default, a lookup table) goes to pc->notes.
 */
#ifndef HARNESS_POSTFIX_PF_POLICY_CONF_H
#define HARNESS_POSTFIX_PF_POLICY_CONF_H

#include <stddef.h>

#include "harness/postfix/pf_conf.h"
#include "harness/postfix/pf_policy.h"

#define PF_POL_LIST_MAX		4096
#define PF_POL_VALUE_MAX	1024
#define PF_POL_MAX_USED		40

enum pf_pol_list {
	PF_POL_L_CLIENT,
	PF_POL_L_HELO,
	PF_POL_L_SENDER,
	PF_POL_L_RELAY,
	PF_POL_L_RECIPIENT,
	PF_POL_L_DATA,
	PF_POL_L_EOD,
	PF_POL_L_ETRN,
	PF_POL_NLISTS,
};

struct pf_pol_setting {
	const char *name;
	char value[300];
	char origin[40];		/* "main.cf line 7", "default", "-o", "service" */
};

struct pf_pol_conf {
	int given;			/* from a main.cf or -o */
	struct pf_version v;
	char lists[PF_POL_NLISTS][PF_POL_LIST_MAX];
	int policy_list;		/* enum pf_pol_list, -1: none */
	char service[PF_POL_VALUE_MAX];	/* the server (first word of { }) */
	char before[PF_POL_LIST_MAX];	/* restrictions before it in its list */
	char after[PF_POL_LIST_MAX];	/* and after it */
	int delay_reject;
	int relay_first;		/* relay list before the recipient list */
	int soft_bounce;
	int smtputf8;
	struct pf_pol_params params;	/* default_action points into pc */
	char default_action[PF_POL_VALUE_MAX];
	char policy_context[PF_POL_VALUE_MAX];
	unsigned long max_idle_ms, max_ttl_ms;
	char sasl_security_options[PF_POL_VALUE_MAX];
	char sasl_mechanism_filter[PF_POL_VALUE_MAX];
	char sasl_service[PF_POL_VALUE_MAX];
	struct pf_pol_codes codes;
	char mynetworks[PF_POL_VALUE_MAX];
	int mynetworks_set;		/* 0: the default (loopback included) */
	char mydestination[PF_POL_VALUE_MAX];
	char relay_domains[PF_POL_VALUE_MAX];
	int domains_unknown;		/* mydestination/relay_domains not all known */
	struct pf_pol_class classes[PF_POL_MAX_CLASSES];
	size_t nclasses;		/* of smtpd_restriction_classes */
	size_t nused;
	struct pf_pol_setting used[PF_POL_MAX_USED];
	char notes[PF_POL_TEXT_MAX];
};

enum pf_pol_smtp_what {
	PF_POL_SMTP_REPLY,		/* out->reply is what the client gets */
	PF_POL_SMTP_HANGUP,		/* no reply: the connection is dropped */
	PF_POL_SMTP_UNMODELLED,		/* a restriction decides that is not modelled */
};

struct pf_pol_smtp {
	enum pf_pol_smtp_what what;
	int asked;			/* Postfix asks the policy service */
	int disconnect;			/* 421/521: the session ends after it */
	char reply[PF_POL_REPLY_MAX];
	char notes[PF_POL_TEXT_MAX];
	struct pf_pol_verdict v;	/* the last verdict, for its effects */
};

int pf_pol_conf_load(struct pf_pol_conf *pc, const struct pf_conf *c, char *err, size_t esize)
	ATTR_WUR;
void pf_pol_conf_plain(struct pf_pol_conf *pc, const struct pf_version *v);
void pf_pol_conf_ctx(const struct pf_pol_conf *pc, const struct pf_pol_req *req,
		     struct pf_pol_ctx *ctx);
void pf_pol_conf_smtp(const struct pf_pol_conf *pc, const struct pf_pol_ctx *ctx,
		      const struct pf_pol_verdict *pv, struct pf_pol_smtp *out);
const char *pf_pol_list_name(enum pf_pol_list l);
int pf_pol_conf_line(const struct pf_pol_conf *pc, size_t i, char *buf, size_t size);

#endif
