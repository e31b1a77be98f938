/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_shape - is what the wire fuzzer sent something Postfix sends
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_shape.h"
 * DESCRIPTION
 *	See fuzz_shape.h. Pure: fields are views into the caller's bytes,
 *	at most FUZZ_SHAPE_FIELDS per auth line and FUZZ_SHAPE_ATTRS
 *	attributes per policy request are looked at (more is not Postfix).
 * DIAGNOSTICS
 *	None.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness/fuzz/fuzz_shape.h"
#include "harness/postfix/pf_policy.h"
#include "proto/dvauth.h"
#include "util/compiler.h"
#include "util/strnum.h"

#define FUZZ_SHAPE_FIELDS	12
#define FUZZ_SHAPE_ATTRS	96
#define FUZZ_SHAPE_NAME		64

struct view {
	const char *p;
	size_t len;
};

/* fuzz_shape_handshake - Postfix's VERSION and CPID, byte for byte */
int fuzz_shape_handshake(const char *p, size_t len, unsigned cpid)
{
	char want[64];
	int n = snprintf(want, sizeof(want), "VERSION\t1\t0\nCPID\t%u\n", cpid);

	return n > 0 && (size_t)n == len && memcmp(p, want, len) == 0;
}

/* split_tabs - a line without its LF into fields; 0 when there are too many */
static size_t split_tabs(const char *p, size_t len, struct view *f, size_t max)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '\t')
			continue;
		if (n == max)
			return 0;
		f[n].p = p + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

static int is_word(struct view v, const char *w)
{
	return v.len == strlen(w) && memcmp(v.p, w, v.len) == 0;
}

static int has_prefix(struct view v, const char *w)
{
	return v.len >= strlen(w) && memcmp(v.p, w, strlen(w)) == 0;
}

/* span - every byte of v from set */
static int span(struct view v, size_t from, const char *set)
{
	size_t i;

	for (i = from; i < v.len; i++)
		if (v.p[i] == '\0' || strchr(set, v.p[i]) == NULL)
			return 0;
	return 1;
}

static const char b64set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/* postfix_id - decimal, no sign, no leading zero, not 0 */
static int postfix_id(struct view v, unsigned *id)
{
	return v.len > 0 && v.p[0] != '0' && str_to_uint(v.p, v.len, id) == 0;
}

/* offered - Postfix sends only a mechanism the handshake left after noanonymous */
static int offered(const struct pf_auth_handshake *hs, struct view mech)
{
	const char *names[PF_AUTH_MAX_MECHS];
	size_t n = pf_auth_filter(hs, 0, DVAUTH_MECH_ANONYMOUS, names, PF_AUTH_MAX_MECHS), i;

	if (mech.len == 0 || !span(mech, 0, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789-_"))
		return 0;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == mech.len && strncasecmp(names[i], mech.p, mech.len) == 0)
			return 1;
	return 0;
}

/* auth_request - the fields of an AUTH line as xsasl_dovecot_server_first writes them */
static int auth_request(const struct pf_auth_handshake *hs, const struct view *f, size_t n)
{
	size_t i = 7;

	if (n < 7 || !offered(hs, f[2]) || !is_word(f[3], "service=smtp") ||
	    !is_word(f[4], "nologin") || !has_prefix(f[5], "lip=") || !has_prefix(f[6], "rip=") ||
	    !span(f[5], 4, "0123456789abcdefABCDEF.:") || !span(f[6], 4, "0123456789abcdefABCDEF.:"))
		return 0;
	if (i < n && is_word(f[i], "secured"))
		i++;
	if (i < n && has_prefix(f[i], "resp=")) {
		/* "AUTH " mech " " resp CR LF is one SMTP command line */
		if (f[i].len == 5 || !span(f[i], 5, b64set) ||
		    f[i].len - 5 + f[2].len + 8 > FUZZ_SHAPE_CMD_MAX)
			return 0;
		i++;
	}
	return i == n;
}

/* fuzz_shape_auth - one AUTH or CONT line as Postfix writes it */
int fuzz_shape_auth(const struct pf_auth_handshake *hs, const struct fuzz_shape_auth *st,
		    const char *line, size_t len, unsigned *id_r)
{
	struct view f[FUZZ_SHAPE_FIELDS];
	unsigned id = 0;
	size_t n;

	*id_r = 0;
	if (len < 2 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL)
		return 0;
	n = split_tabs(line, len - 1, f, FUZZ_SHAPE_FIELDS);
	if (n < 2 || !postfix_id(f[1], &id))
		return 0;
	*id_r = id;
	if (is_word(f[0], "AUTH"))
		return id > st->last_id && id - st->last_id <= FUZZ_SHAPE_ID_GAP &&
		       auth_request(hs, f, n);
	if (is_word(f[0], "CONT"))
		return n == 3 && id == st->cont_id && f[2].len <= FUZZ_SHAPE_RESP_MAX &&
		       span(f[2], 0, b64set);
	return 0;
}

/* attr_ok - one NAME=VALUE line; names[] collects the names seen */
static int attr_ok(struct view l, struct view *names, size_t *nnames, int *have_request)
{
	const char *eq = memchr(l.p, '=', l.len);
	struct view name, value;
	char nb[FUZZ_SHAPE_NAME];
	size_t i;

	if (eq == NULL || *nnames == FUZZ_SHAPE_ATTRS)
		return 0;
	name.p = l.p;
	name.len = (size_t)(eq - l.p);
	value.p = eq + 1;
	value.len = l.len - name.len - 1;
	if (name.len == 0 || name.len >= sizeof(nb) || value.len > FUZZ_SHAPE_CMD_MAX ||
	    memchr(l.p, '\0', l.len) != NULL || memchr(l.p, '\r', l.len) != NULL)
		return 0;
	memcpy(nb, name.p, name.len);
	nb[name.len] = '\0';
	if (pf_pol_attr_find(nb) < 0)
		return 0;
	for (i = 0; i < *nnames; i++)
		if (names[i].len == name.len && memcmp(names[i].p, name.p, name.len) == 0)
			return 0;
	names[(*nnames)++] = name;
	if (strcmp(nb, "request") == 0) {
		*have_request = 1;
		return is_word(value, "smtpd_access_policy");
	}
	if (strcmp(nb, "protocol_state") == 0) {
		char sb[32];
		enum pf_pol_state st;

		if (value.len >= sizeof(sb))
			return 0;
		memcpy(sb, value.p, value.len);
		sb[value.len] = '\0';
		return pf_pol_state_parse(sb, &st) == 0 && strcmp(pf_pol_state_name(st), sb) == 0;
	}
	return 1;
}

/* fuzz_shape_policy - a request block as Postfix's attr_clnt writes it */
int fuzz_shape_policy(const char *p, size_t len)
{
	struct view names[FUZZ_SHAPE_ATTRS];
	size_t nnames = 0, i = 0;
	int have_request = 0;

	if (len < 2 || p[len - 1] != '\n' || p[len - 2] != '\n')
		return 0;
	while (i < len - 1) {
		const char *nl = memchr(p + i, '\n', len - i);
		struct view l;

		l.p = p + i;
		l.len = (size_t)(nl - l.p);
		if (l.len == 0 || !attr_ok(l, names, &nnames, &have_request))
			return 0;
		i += l.len + 1;
	}
	return have_request;
}
