/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy_conf - the settings of a main.cf the policy oracle uses
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy_conf.h"
 * DESCRIPTION
 *	pf_pol_conf_load() and pf_pol_conf_plain(); see pf_policy_conf.h.
 *	Values as Postfix's mail_conf_*() read them: booleans yes/no
 *	(case-insensitive), numbers in decimal, times with an optional
 *	unit s, m, h, d or w (default s); the per-service form
 *	"{ inet:host:port, name=value, ... }" as smtpd_check.c's
 *	policy_client_register() splits it (attr_override: names timeout,
 *	max_idle, max_ttl, try_limit, retry_delay, default_action,
 *	request_limit, policy_context; a value may be written in { }).
 * DIAGNOSTICS
 *	See pf_policy_conf.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/postfix/pf_policy_conf.h"
#include "harness/postfix/pf_policy_int.h"

#define ISSPACE(ch)	((ch) == ' ' || ((ch) >= '\t' && (ch) <= '\r'))
#define SEP		", \t\r\n"

static const char *const list_param[PF_POL_NLISTS] = {
	"smtpd_client_restrictions", "smtpd_helo_restrictions", "smtpd_sender_restrictions",
	"smtpd_relay_restrictions", "smtpd_recipient_restrictions", "smtpd_data_restrictions",
	"smtpd_end_of_data_restrictions", "smtpd_etrn_restrictions",
};

const char *pf_pol_list_name(enum pf_pol_list l)
{
	return (size_t)l < PF_POL_NLISTS ? list_param[l] : "?";
}

/* used - note a setting for the report */
static void used(struct pf_pol_conf *pc, const char *name, const char *value, const char *origin)
{
	struct pf_pol_setting *s;

	if (pc->nused == PF_POL_MAX_USED)
		return;
	s = &pc->used[pc->nused++];
	s->name = name;
	pf_pol_copy_str(s->value, sizeof(s->value), value);
	pf_pol_copy_str(s->origin, sizeof(s->origin), origin);
}

/* get - a parameter, expanded, noted as used; unknown parts go to the notes */
static void get(struct pf_pol_conf *pc, const struct pf_conf *c, const char *name, char *out,
		size_t size)
{
	enum pf_conf_origin o = PF_CONF_DEFAULT;
	const struct pf_conf_ent *e;
	char origin[40];
	int st;
	size_t i;

	(void)pf_conf_raw(c, name, &o);
	st = pf_conf_expand(c, name, out, size);
	if (st & PF_CONF_UNKNOWN)
		pf_pol_note_add(pc->notes, sizeof(pc->notes), "%s refers to a parameter whose "
				"default this oracle does not know (taken as empty)", name);
	if (st & (PF_CONF_TRUNC | PF_CONF_BAD))
		pf_pol_note_add(pc->notes, sizeof(pc->notes), "%s: %s", name, st & PF_CONF_BAD ?
				"a malformed $ reference (Postfix warns and stops expanding)" :
				"longer than this oracle reads (cut)");
	for (i = 0, e = NULL; i < c->n; i++)
		if (strcmp(c->text + c->e[i].name, name) == 0)
			e = &c->e[i];
	if (o == PF_CONF_FILE && e != NULL)
		snprintf(origin, sizeof(origin), "main.cf line %u", e->line);
	else
		snprintf(origin, sizeof(origin), "%s", pf_conf_origin_name(o));
	used(pc, name, out, origin);
}

/* get_bool - yes/no */
static int get_bool(struct pf_pol_conf *pc, const struct pf_conf *c, const char *name,
		    int *v, char *err, size_t esize)
{
	char buf[PF_POL_VALUE_MAX];

	get(pc, c, name, buf, sizeof(buf));
	if (strcasecmp(buf, "yes") == 0)
		*v = 1;
	else if (strcasecmp(buf, "no") == 0)
		*v = 0;
	else {
		snprintf(err, esize, "%s = %.100s: Postfix wants yes or no", name, buf);
		return -1;
	}
	return 0;
}

/* time_ms - a Postfix time value ("100s", "2m", "1"); -1 when malformed */
static int time_ms(const char *s, unsigned long *ms_r)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10), unit = 1000;

	if (end == s || *s == '-')
		return -1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': unit = 60 * 1000UL; break;
	case 'h': unit = 3600 * 1000UL; break;
	case 'd': unit = 86400 * 1000UL; break;
	case 'w': unit = 7 * 86400 * 1000UL; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	*ms_r = n * unit;
	return 0;
}

/* number - a decimal number; -1 when malformed */
static int number(const char *s, unsigned long *v_r)
{
	char *end;

	if (*s == '\0' || *s == '-')
		return -1;
	*v_r = strtoul(s, &end, 10);
	return *end ? -1 : 0;
}

/* get_num - a number or time parameter */
static int get_num(struct pf_pol_conf *pc, const struct pf_conf *c, const char *name, int is_time,
		   unsigned long *v, char *err, size_t esize)
{
	char buf[PF_POL_VALUE_MAX];

	get(pc, c, name, buf, sizeof(buf));
	if ((is_time ? time_ms(buf, v) : number(buf, v)) < 0) {
		snprintf(err, esize, "%s = %.100s: not a %s Postfix accepts", name, buf,
			 is_time ? "time" : "number");
		return -1;
	}
	return 0;
}

/* words - argv_splitq(s, SEP, "{}"): the next word at *pp, braces grouped; its length */
static size_t word(const char **pp, const char **w)
{
	const char *p = *pp + strspn(*pp, SEP);
	int depth = 0;

	*w = p;
	while (*p && (depth > 0 || !strchr(SEP, *p))) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && depth > 0)
			depth--;
		p++;
	}
	*pp = p;
	return (size_t)(p - *w);
}

/* unbrace - "{ text }" -> "text" (trimmed), in place */
static char *unbrace(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
		s[n - 1] = '\0';
		s++;
	}
	while (ISSPACE(*s))
		s++;
	n = strlen(s);
	while (n > 0 && ISSPACE(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* the per-service attributes (smtpd_check.c policy_client_register) */
static const struct {
	const char *name, *param;
	int kind;			/* 't' time, 'n' number, 's' text */
} overrides[] = {
	{ "timeout", "smtpd_policy_service_timeout", 't' },
	{ "max_idle", "smtpd_policy_service_max_idle", 't' },
	{ "max_ttl", "smtpd_policy_service_max_ttl", 't' },
	{ "try_limit", "smtpd_policy_service_try_limit", 'n' },
	{ "retry_delay", "smtpd_policy_service_retry_delay", 't' },
	{ "default_action", "smtpd_policy_service_default_action", 's' },
	{ "request_limit", "smtpd_policy_service_request_limit", 'n' },
	{ "policy_context", "smtpd_policy_service_policy_context", 's' },
};

/* service_override - one name=value of the per-service form */
static int service_override(struct pf_pol_conf *pc, char *nv, char *err, size_t esize)
{
	char *eq = strchr(nv, '='), *name, *val;
	unsigned long n = 0;
	size_t i;

	if (eq == NULL) {
		snprintf(err, esize, "check_policy_service { ... %.60s }: want name=value", nv);
		return -1;
	}
	*eq = '\0';
	name = unbrace(nv);
	val = unbrace(eq + 1);
	for (i = 0; i < N_ELEMENTS(overrides); i++)
		if (strcmp(name, overrides[i].name) == 0)
			break;
	if (i == N_ELEMENTS(overrides)) {
		snprintf(err, esize, "check_policy_service: unknown attribute name \"%.60s\" "
			 "(Postfix: fatal)", name);
		return -1;
	}
	if ((overrides[i].kind == 't' && time_ms(val, &n) < 0) ||
	    (overrides[i].kind == 'n' && number(val, &n) < 0)) {
		snprintf(err, esize, "check_policy_service: %s=%.60s: bad value", name, val);
		return -1;
	}
	switch (i) {
	case 0: pc->params.timeout_ms = n; break;
	case 1: pc->max_idle_ms = n; break;
	case 2: pc->max_ttl_ms = n; break;
	case 3: pc->params.try_limit = (unsigned)n; break;
	case 4: pc->params.retry_ms = n; break;
	case 5: pf_pol_copy_str(pc->default_action, sizeof(pc->default_action), val); break;
	case 6: pc->params.request_limit = (unsigned)n; break;
	default: pf_pol_copy_str(pc->policy_context, sizeof(pc->policy_context), val); break;
	}
	used(pc, overrides[i].param, val, "{ } of the service");
	return 0;
}

/* service - the argument of check_policy_service: a server, or { server, name=value ... } */
static int service(struct pf_pol_conf *pc, const char *arg, size_t len, char *err, size_t esize)
{
	char buf[PF_POL_VALUE_MAX], *p;
	const char *q, *w;
	size_t n;
	int first = 1;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, arg);
	if (buf[0] != '{') {
		pf_pol_copy_str(pc->service, sizeof(pc->service), buf);
		return 0;
	}
	p = unbrace(buf);
	for (q = p; (n = word(&q, &w)) > 0;) {
		char one[PF_POL_VALUE_MAX];

		snprintf(one, sizeof(one), "%.*s", (int)n, w);
		if (first)
			pf_pol_copy_str(pc->service, sizeof(pc->service), one);
		else if (service_override(pc, one, err, esize) < 0)
			return -1;
		first = 0;
	}
	if (first) {
		snprintf(err, esize, "check_policy_service { }: no server");
		return -1;
	}
	return 0;
}

/* find_check - the first check_policy_service of the lists, in the order smtpd runs them */
static int find_check(struct pf_pol_conf *pc, char *err, size_t esize)
{
	static const enum pf_pol_list order[] = {
		PF_POL_L_CLIENT, PF_POL_L_HELO, PF_POL_L_SENDER, PF_POL_L_RELAY,
		PF_POL_L_RECIPIENT, PF_POL_L_DATA, PF_POL_L_EOD, PF_POL_L_ETRN,
	};
	size_t i, found = 0;

	pc->policy_list = -1;
	for (i = 0; i < N_ELEMENTS(order); i++) {
		const char *list = pc->lists[order[i]], *q = list, *w, *a;
		size_t n, alen;

		while ((n = word(&q, &w)) > 0) {
			if (n != 20 || strncasecmp(w, "check_policy_service", 20) != 0)
				continue;
			alen = word(&q, &a);
			if (found++)
				continue;
			pc->policy_list = (int)order[i];
			snprintf(pc->before, sizeof(pc->before), "%.*s", (int)(w - list), list);
			pf_pol_copy_str(pc->after, sizeof(pc->after), q);
			if (service(pc, a, alen, err, esize) < 0)
				return -1;
		}
	}
	if (found > 1)
		pf_pol_note_add(pc->notes, sizeof(pc->notes), "main.cf has %zu check_policy_service "
				"restrictions: the first, in %s, is the one modelled", found,
				list_param[pc->policy_list]);
	if (found == 0)
		pf_pol_note_add(pc->notes, sizeof(pc->notes), "no check_policy_service in any "
				"restriction list: Postfix would not ask a policy service; predicted "
				"as if it were the only restriction of the request's stage");
	return 0;
}

/* codes - the reject and defer codes */
static int codes(struct pf_pol_conf *pc, const struct pf_conf *c, char *err, size_t esize)
{
	static const struct {
		const char *name;
		size_t off;
	} t[] = {
		{ "access_map_reject_code", offsetof(struct pf_pol_codes, access_map_reject) },
		{ "access_map_defer_code", offsetof(struct pf_pol_codes, access_map_defer) },
		{ "reject_code", offsetof(struct pf_pol_codes, reject) },
		{ "defer_code", offsetof(struct pf_pol_codes, defer) },
		{ "relay_domains_reject_code", offsetof(struct pf_pol_codes, relay) },
		{ "plaintext_reject_code", offsetof(struct pf_pol_codes, plaintext) },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(t); i++) {
		enum pf_conf_origin o = PF_CONF_DEFAULT;
		unsigned long v;

		(void)pf_conf_raw(c, t[i].name, &o);
		if (o == PF_CONF_DEFAULT) {
			char buf[16];

			(void)pf_conf_expand(c, t[i].name, buf, sizeof(buf));
			v = strtoul(buf, NULL, 10);	/* our own defaults are numbers */
		} else if (get_num(pc, c, t[i].name, 0, &v, err, esize) < 0) {
			return -1;
		}
		*(unsigned *)(void *)((char *)&pc->codes + t[i].off) = (unsigned)v;
	}
	return 0;
}

/* policy_params - smtpd_policy_service_* */
static int policy_params(struct pf_pol_conf *pc, const struct pf_conf *c, char *err,
			 size_t esize)
{
	unsigned long v;

	if (get_num(pc, c, "smtpd_policy_service_timeout", 1, &pc->params.timeout_ms, err,
		    esize) < 0 ||
	    get_num(pc, c, "smtpd_policy_service_max_idle", 1, &pc->max_idle_ms, err, esize) < 0 ||
	    get_num(pc, c, "smtpd_policy_service_max_ttl", 1, &pc->max_ttl_ms, err, esize) < 0)
		return -1;
	if (!pf_version_at_least(&pc->v, 3, 0, 0))
		return 0;
	if (get_num(pc, c, "smtpd_policy_service_retry_delay", 1, &pc->params.retry_ms, err,
		    esize) < 0 ||
	    get_num(pc, c, "smtpd_policy_service_try_limit", 0, &v, err, esize) < 0)
		return -1;
	pc->params.try_limit = (unsigned)v;
	if (get_num(pc, c, "smtpd_policy_service_request_limit", 0, &v, err, esize) < 0)
		return -1;
	pc->params.request_limit = (unsigned)v;
	get(pc, c, "smtpd_policy_service_default_action", pc->default_action,
	    sizeof(pc->default_action));
	if (pf_version_at_least(&pc->v, 3, 1, 0))
		get(pc, c, "smtpd_policy_service_policy_context", pc->policy_context,
		    sizeof(pc->policy_context));
	return 0;
}

/* networks - mynetworks, mydestination, relay_domains */
static void networks(struct pf_pol_conf *pc, const struct pf_conf *c)
{
	enum pf_conf_origin o = PF_CONF_DEFAULT;
	char notes[sizeof(pc->notes)];

	(void)pf_conf_raw(c, "mynetworks", &o);
	pc->mynetworks_set = pf_conf_raw(c, "mynetworks", NULL) != NULL;
	if (pc->mynetworks_set)
		get(pc, c, "mynetworks", pc->mynetworks, sizeof(pc->mynetworks));
	else
		used(pc, "mynetworks", "(from the host's interfaces: the loopback net is in it)",
		     "default");
	pf_pol_copy_str(notes, sizeof(notes), pc->notes);
	get(pc, c, "mydestination", pc->mydestination, sizeof(pc->mydestination));
	get(pc, c, "relay_domains", pc->relay_domains, sizeof(pc->relay_domains));
	/* an unknown $myhostname or $mydomain: some domain is not known */
	pc->domains_unknown = strcmp(notes, pc->notes) != 0;
}

/* sasl - the auth side's settings, read for the report and the auth oracle */
static void sasl(struct pf_pol_conf *pc, const struct pf_conf *c)
{
	get(pc, c, "smtpd_sasl_security_options", pc->sasl_security_options,
	    sizeof(pc->sasl_security_options));
	if (pf_conf_raw(c, "smtpd_sasl_mechanism_filter", NULL) != NULL)
		get(pc, c, "smtpd_sasl_mechanism_filter", pc->sasl_mechanism_filter,
		    sizeof(pc->sasl_mechanism_filter));
	get(pc, c, "smtpd_sasl_service", pc->sasl_service, sizeof(pc->sasl_service));
}

/* classes - smtpd_restriction_classes and the list of each class */
static void classes(struct pf_pol_conf *pc, const struct pf_conf *c)
{
	char names[PF_POL_VALUE_MAX], *p, *tok, *save = NULL;

	get(pc, c, "smtpd_restriction_classes", names, sizeof(names));
	for (p = names; (tok = strtok_r(p, ", \t\r\n", &save)) != NULL; p = NULL) {
		struct pf_pol_class *k;

		if (pc->nclasses >= PF_POL_MAX_CLASSES) {
			pf_pol_note_add(pc->notes, sizeof(pc->notes), "more than %d restriction "
					"classes: the rest are not read", PF_POL_MAX_CLASSES);
			break;
		}
		k = &pc->classes[pc->nclasses];
		pf_pol_copy_str(k->name, sizeof(k->name), tok);
		get(pc, c, k->name, k->list, sizeof(k->list));
		pc->nclasses++;
	}
}

int pf_pol_conf_load(struct pf_pol_conf *pc, const struct pf_conf *c, char *err, size_t esize)
{
	char buf[PF_POL_VALUE_MAX];
	size_t i;

	pf_pol_conf_plain(pc, &c->v);
	pc->given = 1;
	pc->nused = 0;
	pc->notes[0] = '\0';
	for (i = 0; i < PF_POL_NLISTS; i++)
		get(pc, c, list_param[i], pc->lists[i], sizeof(pc->lists[i]));
	if (get_bool(pc, c, "smtpd_delay_reject", &pc->delay_reject, err, esize) < 0 ||
	    get_bool(pc, c, "soft_bounce", &pc->soft_bounce, err, esize) < 0)
		return -1;
	pc->relay_first = 0;
	if (pf_version_at_least(&c->v, 3, 6, 0) &&
	    get_bool(pc, c, "smtpd_relay_before_recipient_restrictions", &pc->relay_first, err,
		     esize) < 0)
		return -1;
	if (pf_version_at_least(&c->v, 3, 0, 0)) {
		get(pc, c, "smtputf8_enable", buf, sizeof(buf));
		pc->smtputf8 = strcasecmp(buf, "yes") == 0;
	}
	if (policy_params(pc, c, err, esize) < 0 || codes(pc, c, err, esize) < 0)
		return -1;
	networks(pc, c);
	sasl(pc, c);
	classes(pc, c);
	/* last: the per-service { } settings override the global ones */
	return find_check(pc, err, esize);
}

int pf_pol_conf_line(const struct pf_pol_conf *pc, size_t i, char *buf, size_t size)
{
	if (i == 0) {
		snprintf(buf, size, "check_policy_service %.300s in %s%s",
			 pc->service[0] ? pc->service : "(none)", pc->policy_list >= 0 ?
			 pf_pol_list_name((enum pf_pol_list)pc->policy_list) : "no list",
			 pc->given ? "" : " (no main.cf: Postfix's defaults, the check the only "
			 "restriction of the request's stage)");
		return 1;
	}
	if (i - 1 < pc->nused) {
		const struct pf_pol_setting *s = &pc->used[i - 1];

		snprintf(buf, size, "%s = %s [%s]", s->name, s->value, s->origin);
		return 1;
	}
	if (i - 1 == pc->nused && pc->notes[0]) {
		snprintf(buf, size, "note: %s", pc->notes);
		return 1;
	}
	return 0;
}

void pf_pol_conf_plain(struct pf_pol_conf *pc, const struct pf_version *v)
{
	memset(pc, 0, sizeof(*pc));
	pc->v = *v;
	pc->policy_list = -1;
	pc->delay_reject = 1;
	pc->relay_first = pf_version_at_least(v, 3, 6, 0);
	pc->smtputf8 = pf_version_at_least(v, 3, 0, 0);
	pf_pol_params_init(&pc->params);
	pc->max_idle_ms = 300000;
	pc->max_ttl_ms = 1000000;
	pf_pol_copy_str(pc->default_action, sizeof(pc->default_action), PF_POL_DEFAULT_ACTION);
	pc->params.default_action = pc->default_action;
	pf_pol_copy_str(pc->sasl_security_options, sizeof(pc->sasl_security_options),
			"noanonymous");
	if (pf_version_at_least(v, 3, 6, 0))
		pf_pol_copy_str(pc->sasl_mechanism_filter, sizeof(pc->sasl_mechanism_filter),
				"!external, static:rest");
	pf_pol_copy_str(pc->sasl_service, sizeof(pc->sasl_service), "smtp");
	pf_pol_codes_init(&pc->codes);
}
