/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_conf - a Postfix main.cf, read with Postfix's rules (pure)
 * SYNOPSIS
 *	#include "harness/postfix/pf_conf.h"
#include "util/xmem.h"
 * DESCRIPTION
 *	See pf_conf.h. The defaults table holds postconf -d's text of
 *	Postfix 3.7 for the parameters the oracle uses (pf_policy_conf.c)
 *	and the ones their defaults refer to, with the versions that
 *	changed them.
 * DIAGNOSTICS
 *	See pf_conf.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/postfix/pf_conf.h"
#include "util/xmem.h"

#define ISSPACE(ch)	((ch) == ' ' || ((ch) >= '\t' && (ch) <= '\r'))
#define ISALNUM(ch)	(((ch) >= '0' && (ch) <= '9') || ((ch) >= 'a' && (ch) <= 'z') || \
			 ((ch) >= 'A' && (ch) <= 'Z'))
#define WHITE		" \t\r\n"

/*
 * Defaults (postconf -d). A row applies from its version on; a later row
 * of the same name replaces it (rows in version order).
 */
static const struct {
	const char *name;
	unsigned major, minor;
	const char *value;
} defaults[] = {
	{ "compatibility_level", 2, 0, "0" },
	{ "mail_version", 2, 0, "" },
	{ "myhostname", 2, 0, "" },		/* the host's name: unknown here */
	{ "mydomain", 2, 0, "" },		/* derived from myhostname */
	{ "mydestination", 2, 0, "$myhostname, localhost.$mydomain, localhost" },
	{ "mynetworks_style", 2, 0, "subnet" },
	{ "mynetworks_style", 3, 0, "${{$compatibility_level} < {2} ? {subnet} : {host}}" },
	{ "mynetworks_style", 3, 6, "${{$compatibility_level} <level {2} ? {subnet} : {host}}" },
	{ "relay_domains", 2, 0, "$mydestination" },
	{ "relay_domains", 3, 0, "${{$compatibility_level} < {2} ? {$mydestination} : {}}" },
	{ "relay_domains", 3, 6, "${{$compatibility_level} <level {2} ? {$mydestination} : {}}" },
	{ "smtputf8_enable", 3, 0, "${{$compatibility_level} < {1} ? {no} : {yes}}" },
	{ "smtputf8_enable", 3, 6, "${{$compatibility_level} <level {1} ? {no} : {yes}}" },
	{ "soft_bounce", 2, 0, "no" },
	{ "smtpd_delay_reject", 2, 0, "yes" },
	{ "smtpd_client_restrictions", 2, 0, "" },
	{ "smtpd_helo_restrictions", 2, 0, "" },
	{ "smtpd_sender_restrictions", 2, 0, "" },
	{ "smtpd_recipient_restrictions", 2, 0, "permit_mynetworks, reject_unauth_destination" },
	{ "smtpd_recipient_restrictions", 2, 10, "" },
	{ "smtpd_relay_restrictions", 2, 10,
	  "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" },
	{ "smtpd_relay_restrictions", 3, 0, "${{$compatibility_level} < {1} ? {} : "
	  "{permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}" },
	{ "smtpd_relay_restrictions", 3, 6, "${{$compatibility_level} <level {1} ? {} : "
	  "{permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}" },
	{ "smtpd_relay_before_recipient_restrictions", 3, 6,
	  "${{$compatibility_level} <level {3.6} ? {no} : {yes}}" },
	{ "smtpd_data_restrictions", 2, 0, "" },
	{ "smtpd_end_of_data_restrictions", 2, 0, "" },
	{ "smtpd_etrn_restrictions", 2, 0, "" },
	{ "smtpd_policy_service_timeout", 2, 0, "100s" },
	{ "smtpd_policy_service_max_idle", 2, 0, "300s" },
	{ "smtpd_policy_service_max_ttl", 2, 0, "1000s" },
	{ "smtpd_policy_service_try_limit", 3, 0, "2" },
	{ "smtpd_policy_service_retry_delay", 3, 0, "1s" },
	{ "smtpd_policy_service_default_action", 3, 0, "451 4.3.5 Server configuration problem" },
	{ "smtpd_policy_service_request_limit", 3, 0, "0" },
	{ "smtpd_policy_service_policy_context", 3, 1, "" },
	{ "smtpd_sasl_security_options", 2, 0, "noanonymous" },
	{ "smtpd_sasl_mechanism_filter", 3, 6, "!external, static:rest" },
	{ "smtpd_sasl_service", 2, 11, "smtp" },
	{ "access_map_reject_code", 2, 0, "554" },
	{ "access_map_defer_code", 2, 0, "450" },
	{ "reject_code", 2, 0, "554" },
	{ "defer_code", 2, 0, "450" },
	{ "relay_domains_reject_code", 2, 0, "554" },
	{ "plaintext_reject_code", 2, 0, "450" },
};

/* slot - the index of name's entry, or c->n */
static size_t slot(const struct pf_conf *c, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		const char *n = c->text + c->e[i].name;

		if (strncmp(n, name, nlen) == 0 && n[nlen] == '\0')
			break;
	}
	return i;
}

/* find - the entry of name, or NULL */
static const struct pf_conf_ent *find(const struct pf_conf *c, const char *name, size_t nlen)
{
	size_t i = slot(c, name, nlen);

	return i < c->n ? &c->e[i] : NULL;
}

/* warn - append a warning to c->warnings */
static void ATTR_PRINTF(2, 3) warn(struct pf_conf *c, const char *fmt, ...)
{
	size_t used = strlen(c->warnings);
	va_list ap;

	if (used + 3 >= sizeof(c->warnings))
		return;
	if (used) {
		memcpy(c->warnings + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	(void)vsnprintf(c->warnings + used, sizeof(c->warnings) - used, fmt, ap);
	va_end(ap);
}

/* store - text into the arena; its offset, or (size_t)-1 when full */
static size_t store(struct pf_conf *c, const char *p, size_t len)
{
	size_t off = c->used;

	if (len >= sizeof(c->text) - c->used)
		return (size_t)-1;
	memcpy(c->text + off, p, len);
	c->text[off + len] = '\0';
	c->used += len + 1;
	return off;
}

/* put - set name = value (replacing an earlier one); 0 or -1 when full */
static int put(struct pf_conf *c, const char *name, size_t nlen, const char *value, size_t vlen,
	       enum pf_conf_origin origin, unsigned line)
{
	size_t i = slot(c, name, nlen), v;
	struct pf_conf_ent *e = i < c->n ? &c->e[i] : NULL;

	if ((v = store(c, value, vlen)) == (size_t)-1)
		return -1;
	if (e == NULL) {
		size_t n;

		if (c->n == PF_CONF_MAX_PARAMS || (n = store(c, name, nlen)) == (size_t)-1)
			return -1;
		e = &c->e[c->n++];
		e->name = n;
	}
	e->value = v;
	e->origin = origin;
	e->line = line;
	return 0;
}

void pf_conf_init(struct pf_conf *c, const struct pf_version *v)
{
	size_t i;

	c->v = *v;
	c->n = 0;
	c->used = 0;
	c->warnings[0] = '\0';
	for (i = 0; i < N_ELEMENTS(defaults); i++) {
		if (!pf_version_at_least(v, defaults[i].major, defaults[i].minor, 0))
			continue;
		if (put(c, defaults[i].name, strlen(defaults[i].name), defaults[i].value,
			strlen(defaults[i].value), PF_CONF_DEFAULT, 0) < 0)
			break;		/* cannot happen: the table is small */
	}
}

/* nameval - split_nameval() over one logical line; 0 or -1 with err */
static int nameval(struct pf_conf *c, const char *p, size_t len, enum pf_conf_origin origin,
		   unsigned line, char *err, size_t esize)
{
	const char *end = p + len, *np, *ne, *vp, *ve;
	const char *nul = memchr(p, '\0', len);

	if (nul != NULL)
		end = nul;		/* C strings end at the NUL */
	for (np = p; np < end && ISSPACE(*np); np++)
		;
	if (np == end || *np == '=') {
		snprintf(err, esize, "line %u: missing attribute name", line);
		return -1;
	}
	for (ne = np; ne < end && !ISSPACE(*ne) && *ne != '='; ne++)
		;
	for (vp = ne; vp < end && ISSPACE(*vp); vp++)
		;
	if (vp == end || *vp != '=') {
		snprintf(err, esize, "line %u: missing '=' after attribute name: \"%.*s\"", line,
			 (int)(end - p > 60 ? 60 : end - p), p);
		return -1;
	}
	for (vp++; vp < end && ISSPACE(*vp); vp++)
		;
	for (ve = end; ve > vp && ISSPACE(ve[-1]); ve--)
		;
	if (origin == PF_CONF_FILE) {
		const struct pf_conf_ent *old = find(c, np, (size_t)(ne - np));

		if (old != NULL && old->origin == PF_CONF_FILE &&
		    (strlen(c->text + old->value) != (size_t)(ve - vp) ||
		     memcmp(c->text + old->value, vp, (size_t)(ve - vp)) != 0))
			warn(c, "line %u: overriding earlier entry: %.*s=%.60s", line,
			     (int)(ne - np), np, c->text + old->value);
	}
	if ((size_t)(ne - np) > PF_CONF_MAX_NAME ||
	    put(c, np, (size_t)(ne - np), vp, (size_t)(ve - vp), origin, line) < 0) {
		snprintf(err, esize, "line %u: more than %d parameters or %d bytes", line,
			 PF_CONF_MAX_PARAMS, PF_CONF_MAX_TEXT);
		return -1;
	}
	return 0;
}

/* blank_or_comment - a physical line Postfix drops */
static int blank_or_comment(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && ISSPACE(p[i]))
		i++;
	return i == len || p[i] == '#';
}

/* flush - one logical line; one starting with whitespace is skipped (readllines) */
static int flush(struct pf_conf *c, const char *p, size_t len, unsigned line, char *err,
		 size_t esize)
{
	if (len == 0)
		return 0;
	if (ISSPACE(p[0])) {
		warn(c, "line %u: logical line must not start with whitespace: \"%.30s\"", line, p);
		return 0;
	}
	return nameval(c, p, len, PF_CONF_FILE, line, err, esize);
}

int pf_conf_parse(struct pf_conf *c, const char *buf, size_t len, char *err, size_t esize)
{
	char *logical = xmalloc(len + 1);
	size_t pos = 0, llen = 0;
	unsigned lineno = 0, first = 0;
	int rc = 0;

	while (pos < len && rc == 0) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		lineno++;
		if (!blank_or_comment(line, n)) {
			if (llen > 0 && !ISSPACE(line[0])) {
				logical[llen] = '\0';
				rc = flush(c, logical, llen, first, err, esize);
				llen = 0;
			}
			if (llen == 0)
				first = lineno;
			memcpy(logical + llen, line, n);
			llen += n;
		}
		if (memchr(line, '\0', n) != NULL)
			warn(c, "line %u: text after null byte may be ignored", lineno);
		pos += n + 1;
	}
	logical[llen] = '\0';
	if (rc == 0)
		rc = flush(c, logical, llen, first, err, esize);
	free(logical);
	return rc;
}

int pf_conf_set(struct pf_conf *c, const char *nv, char *err, size_t esize)
{
	const char *eq = strchr(nv, '=');
	const char *np = nv, *ne;

	while (ISSPACE(*np))
		np++;
	if (eq == NULL || eq == np) {
		snprintf(err, esize, "-o %.100s: want name=value", nv);
		return -1;
	}
	for (ne = eq; ne > np && ISSPACE(ne[-1]); ne--)
		;
	if ((size_t)(ne - np) > PF_CONF_MAX_NAME ||
	    put(c, np, (size_t)(ne - np), eq + 1, strlen(eq + 1), PF_CONF_OPTION, 0) < 0) {
		snprintf(err, esize, "-o %.100s: name too long or too many parameters", nv);
		return -1;
	}
	return 0;
}

const char *pf_conf_raw(const struct pf_conf *c, const char *name, enum pf_conf_origin *origin_r)
{
	const struct pf_conf_ent *e = find(c, name, strlen(name));

	if (e == NULL)
		return NULL;
	if (origin_r)
		*origin_r = e->origin;
	return c->text + e->value;
}

const char *pf_conf_origin_name(enum pf_conf_origin o)
{
	switch (o) {
	case PF_CONF_DEFAULT: return "default";
	case PF_CONF_FILE: return "main.cf";
	case PF_CONF_OPTION: return "-o";
	}
	return "?";
}

/* --- expansion (mac_parse, mac_expand) -------------------------------- */

struct mx {
	const struct pf_conf *c;
	char *out;
	size_t size, len;
	int status;
	int depth;
};

static void expand(struct mx *m, const char *p, size_t len);

/* emit - append to the result */
static void emit(struct mx *m, const char *p, size_t len)
{
	if (m->len + len >= m->size) {
		m->status |= PF_CONF_TRUNC;
		len = m->size - 1 - m->len;
	}
	memcpy(m->out + m->len, p, len);
	m->len += len;
	m->out[m->len] = '\0';
}

/* curly - the payload of "{...}" at *pp (after blanks); NULL when none */
static const char *curly(const char **pp, const char *end, size_t *plen)
{
	const char *p = *pp, *q;
	int level = 1;

	while (p < end && strchr(WHITE, *p))
		p++;
	if (p == end || *p != '{')
		return NULL;
	for (q = p + 1; q < end; q++) {
		if (*q == '{')
			level++;
		else if (*q == '}' && --level == 0)
			break;
	}
	if (q == end)
		return NULL;
	*plen = (size_t)(q - p - 1);
	for (*pp = q + 1; *pp < end && strchr(WHITE, **pp); (*pp)++)
		;
	return p + 1;
}

/* sub - the expansion of text into a buffer of its own */
static int sub(struct mx *m, const char *p, size_t len, char *out, size_t size)
{
	struct mx s = { m->c, out, size, 0, 0, m->depth };

	out[0] = '\0';
	expand(&s, p, len);
	m->status |= s.status;
	return s.status;
}

/* level_cmp - compat_level_relop(): "3.6" against "1" as major.minor.patch */
static int level_cmp(const char *a, const char *b)
{
	int i;

	for (i = 0; i < 3; i++) {
		char *ea, *eb;
		long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);

		if (x != y)
			return x < y ? -1 : 1;
		a = ea + (*ea == '.');
		b = eb + (*eb == '.');
	}
	return 0;
}

/* relop - the truth of "{l} op {r}"; -1 on a bad operator */
static int relop(const char *l, const char *op, size_t oplen, int level, const char *r)
{
	long d;

	if (level)
		d = level_cmp(l, r);
	else if (l[0] && r[0] && strspn(l, "0123456789") == strlen(l) &&
		 strspn(r, "0123456789") == strlen(r))
		d = atol(l) - atol(r);
	else
		d = strcmp(l, r);
	if (oplen == 2 && op[0] == '=' && op[1] == '=') return d == 0;
	if (oplen == 2 && op[0] == '!' && op[1] == '=') return d != 0;
	if (oplen == 1 && op[0] == '<') return d < 0;
	if (oplen == 2 && op[0] == '<' && op[1] == '=') return d <= 0;
	if (oplen == 1 && op[0] == '>') return d > 0;
	if (oplen == 2 && op[0] == '>' && op[1] == '=') return d >= 0;
	return -1;
}

/* relational - "{a} op {b}" at p; *truth_r, the rest in *pp; -1 malformed */
static int relational(struct mx *m, const char **pp, const char *end, int *truth_r)
{
	char l[1024], r[1024];
	const char *a, *b, *op;
	size_t alen, blen, oplen;
	int level = 0;

	if ((a = curly(pp, end, &alen)) == NULL)
		return -1;
	op = *pp;
	oplen = strspn(op, "<>!=?+-*/~&|%");
	if (op + oplen > end)
		return -1;
	*pp += oplen;
	if ((size_t)(end - *pp) >= 5 && strncmp(*pp, "level", 5) == 0) {
		level = 1;
		*pp += 5;
	}
	if ((b = curly(pp, end, &blen)) == NULL)
		return -1;
	(void)sub(m, a, alen, l, sizeof(l));
	(void)sub(m, b, blen, r, sizeof(r));
	*truth_r = relop(l, op, oplen, level, r);
	return *truth_r < 0 ? -1 : 0;
}

/* branch - the operand after ? or : at *pp: {text} or the rest */
static const char *branch(const char **pp, const char *end, size_t *len_r)
{
	const char *p = *pp, *t;

	if ((t = curly(&p, end, len_r)) != NULL) {
		*pp = p;
		return t;
	}
	*len_r = (size_t)(end - *pp);
	t = *pp;
	*pp = end;
	return t;
}

/* expr - one ${...} / $(...) / $name body (mac_expand_callback) */
static void expr(struct mx *m, const char *p, size_t len)
{
	const char *end = p + len, *cp = p, *val = NULL, *t;
	size_t tlen;
	int truth = 0, ch;

	while (cp < end && strchr(WHITE, *cp))
		cp++;
	if (cp < end && *cp == '{') {
		if (relational(m, &cp, end, &truth) < 0) {
			m->status |= PF_CONF_BAD;
			return;
		}
		val = truth ? "1" : "";
	} else {
		const char *np = cp;
		const struct pf_conf_ent *e;

		while (cp < end && (ISALNUM(*cp) || *cp == '_'))
			cp++;
		e = find(m->c, np, (size_t)(cp - np));
		if (e == NULL || cp == np)
			m->status |= PF_CONF_UNKNOWN;
		else
			val = m->c->text + e->value;
		while (cp < end && strchr(WHITE, *cp))
			cp++;
	}
	if (cp == end) {
		if (val != NULL && *val)
			expand(m, val, strlen(val));
		return;
	}
	ch = *cp++;
	if (ch != '?' && ch != ':') {
		m->status |= PF_CONF_BAD;
		return;
	}
	if (ch == '?') {
		t = branch(&cp, end, &tlen);
		if (val != NULL && *val)
			expand(m, t, tlen);
		if (cp == end)
			return;
		if (*cp++ != ':') {
			m->status |= PF_CONF_BAD;
			return;
		}
	}
	t = branch(&cp, end, &tlen);
	if (val == NULL || *val == '\0')
		expand(m, t, tlen);
	if (cp != end)
		m->status |= PF_CONF_BAD;
}

/* expand - mac_parse(): literal text, $$ and macro references */
static void expand(struct mx *m, const char *p, size_t len)
{
	const char *end = p + len;

	if (++m->depth > PF_CONF_MAX_DEPTH) {
		m->status |= PF_CONF_BAD;
		m->depth--;
		return;
	}
	while (p < end && !(m->status & PF_CONF_BAD)) {
		const char *d = memchr(p, '$', (size_t)(end - p)), *q;

		if (d == NULL) {
			emit(m, p, (size_t)(end - p));
			break;
		}
		emit(m, p, (size_t)(d - p));
		if (d + 1 < end && d[1] == '$') {
			emit(m, "$", 1);
			p = d + 2;
			continue;
		}
		p = d + 1;
		if (p < end && (*p == '{' || *p == '(')) {
			char open = *p, close = open == '{' ? '}' : ')';
			int level = 1;

			for (q = p + 1; q < end; q++) {
				if (*q == open)
					level++;
				else if (*q == close && --level == 0)
					break;
			}
			if (q == end) {
				m->status |= PF_CONF_BAD;	/* truncated macro reference */
				break;
			}
			expr(m, p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else {
			for (q = p; q < end && (ISALNUM(*q) || *q == '_'); q++)
				;
			if (q == p) {
				m->status |= PF_CONF_BAD;	/* empty macro name */
				break;
			}
			expr(m, p, (size_t)(q - p));
			p = q;
		}
	}
	m->depth--;
}

int pf_conf_expand_text(const struct pf_conf *c, const char *text, char *out, size_t size)
{
	struct mx m = { c, out, size, 0, 0, 0 };

	out[0] = '\0';
	expand(&m, text, strlen(text));
	return m.status;
}

int pf_conf_expand(const struct pf_conf *c, const char *name, char *out, size_t size)
{
	const char *raw = pf_conf_raw(c, name, NULL);

	if (raw == NULL) {
		out[0] = '\0';
		return PF_CONF_UNKNOWN;
	}
	return pf_conf_expand_text(c, raw, out, size);
}
