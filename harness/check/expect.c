/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	expect - the --expect rule language of check --policy
 * SYNOPSIS
 *	#include "harness/check/expect.h"
 * DESCRIPTION
 *	See expect.h. Pure: no I/O, no allocation; the request is built by
 *	the Postfix oracle (pf_pol_req_init) and the values live in the
 *	caller's store.
 * DIAGNOSTICS
 *	check_expect_parse: 0, or -1 with the reason (and column) in err.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "harness/check/expect.h"

/* check_expect_glob - '*' and '?', case-insensitive, over (s, len) */
int check_expect_glob(const char *pat, const char *s, size_t len)
{
	size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
	size_t plen = strlen(pat);

	while (si < len) {
		if (pi < plen && pat[pi] == '*') {
			star_p = pi++;
			star_s = si;
		} else if (pi < plen && (pat[pi] == '?' ||
					 tolower((unsigned char)pat[pi]) == tolower((unsigned char)s[si]))) {
			pi++;
			si++;
		} else if (star_p != (size_t)-1) {
			pi = star_p + 1;
			si = ++star_s;
		} else {
			return 0;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

/* check_expect_parse - one rule: the request it sends and the pattern its action must match */
int check_expect_parse(const char *text, struct pf_pol_req *req, const struct pf_version *v,
		       char *store, size_t store_size, const char **pattern_r, char *err,
		       size_t errlen)
{
	const char *p = text;
	size_t used = 0;
	enum pf_pol_state st = PF_POL_RCPT;
	const char *arrow = strstr(text, "=>");
	struct {
		const char *name, *value;
	} kv[PF_POL_MAX_REQ];
	size_t nkv = 0, i;

	if (arrow == NULL) {
		snprintf(err, errlen, "no \"=>\" before the expected action");
		return -1;
	}
	while (p < arrow) {
		const char *name, *eq;
		char *dst;

		while (p < arrow && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= arrow)
			break;
		name = p;
		eq = NULL;
		while (p < arrow && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		if (p >= arrow || *p != '=') {
			snprintf(err, errlen, "column %zu: want NAME=VALUE", (size_t)(name - text) + 1);
			return -1;
		}
		eq = p++;
		if (eq == name) {
			snprintf(err, errlen, "column %zu: empty attribute name", (size_t)(name - text) + 1);
			return -1;
		}
		if (used + (size_t)(eq - name) + 2 > store_size || nkv >= PF_POL_MAX_REQ) {
			snprintf(err, errlen, "too many or too long attributes");
			return -1;
		}
		dst = store + used;
		memcpy(dst, name, (size_t)(eq - name));
		dst[eq - name] = '\0';
		kv[nkv].name = dst;
		used += (size_t)(eq - name) + 1;
		dst = store + used;
		if (p < arrow && *p == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(arrow - p - 1));

			if (q == NULL) {
				snprintf(err, errlen, "column %zu: unterminated quote", (size_t)(p - text) + 1);
				return -1;
			}
			if (used + (size_t)(q - p) + 1 > store_size) {
				snprintf(err, errlen, "attributes too long");
				return -1;
			}
			memcpy(dst, p + 1, (size_t)(q - p - 1));
			dst[q - p - 1] = '\0';
			used += (size_t)(q - p);
			p = q + 1;
		} else {
			const char *s = p;

			while (p < arrow && *p != ' ' && *p != '\t')
				p++;
			if (used + (size_t)(p - s) + 1 > store_size) {
				snprintf(err, errlen, "attributes too long");
				return -1;
			}
			memcpy(dst, s, (size_t)(p - s));
			dst[p - s] = '\0';
			used += (size_t)(p - s) + 1;
		}
		kv[nkv].value = dst;
		if (strcmp(kv[nkv].name, "state") == 0)
			kv[nkv].name = "protocol_state";
		if (strcmp(kv[nkv].name, "protocol_state") == 0 && pf_pol_state_parse(dst, &st) < 0) {
			snprintf(err, errlen, "unknown protocol_state %s", dst);
			return -1;
		}
		nkv++;
	}
	pf_pol_req_init(req, v, st);
	for (i = 0; i < nkv; i++)
		if (pf_pol_req_set(req, kv[i].name, kv[i].value) < 0) {
			snprintf(err, errlen, "attribute %s cannot be sent", kv[i].name);
			return -1;
		}
	p = arrow + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		snprintf(err, errlen, "no action pattern after \"=>\"");
		return -1;
	}
	*pattern_r = p;
	return 0;
}
