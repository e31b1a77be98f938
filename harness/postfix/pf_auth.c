/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_auth - how Postfix's smtpd reads a Dovecot auth server (the oracle)
 * SYNOPSIS
 *	#include "harness/postfix/pf_auth.h"
 * DESCRIPTION
 *	See pf_auth.h. Postfix handles lines as C strings: a NUL byte ends
 *	the line for every comparison, so the functions here stop at the
 *	first NUL too. Version gates (protocols.md A.2.3, A.6):
 *	  3.0 (2.12-20140905)  SPID before MECH fails the handshake
 *	  3.9-20231112         empty FAIL reason reads "(reason unavailable)"
 *	                       (HISTORY 20231105), back-ported to 3.5.25,
 *	                       3.6.15, 3.7.11 and 3.8.6 (all 2024-03-04);
 *	                       3.4 ended at 3.4.29 without it
 *	  3.11-20250304        reconnect after an I/O error (HISTORY
 *	                       20250304), back-ported to 3.7.15, 3.8.10,
 *	                       3.9.4 and 3.10.2
 *	  3.12-20260710        a bare VERSION line no longer crashes
 *	                       (HISTORY 20260806 of the stable releases),
 *	                       back-ported to 3.5.27, 3.6.20, 3.7.22,
 *	                       3.8.20, 3.9.14, 3.10.13 and 3.11.6
 * DIAGNOSTICS
 *	None: every input maps to a verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness/postfix/pf_auth.h"
#include "proto/dvauth.h"
#include "util/strnum.h"

/*
 * xsasl_dovecot_server_connect() compares "VERSION" only when a TAB
 * follows it: postfix-3.10.13/src/xsasl/xsasl_dovecot_server.c:316
 * 'if (strcmp(cmd, "VERSION") == 0 && line != NULL)'; before, sscanf()
 * read the NULL pointer (3.7.11: same file, line 315).
 */
static const struct pf_version_fix bare_version_fix = {
	3, 12, 20260710,
	{ { 3, 5, 27 }, { 3, 6, 20 }, { 3, 7, 22 }, { 3, 8, 20 }, { 3, 9, 14 }, { 3, 10, 13 },
	  { 3, 11, 6 }, { 0, 0, 0 } },
};

/* note_add - append an observation */
static void note_add(char *notes, size_t size, const char *text)
{
	size_t used = strlen(notes);

	if (used > 0 && used + 2 < size) {
		memcpy(notes + used, "; ", 3);
		used += 2;
	}
	if (used < size)
		snprintf(notes + used, size - used, "%s", text);
}

/* cstr_len - the length Postfix sees: up to the first NUL */
static size_t cstr_len(const char *p, size_t len)
{
	const char *nul = memchr(p, '\0', len);

	return nul ? (size_t)(nul - p) : len;
}

/* field - the field at *pos up to the next TAB; advances *pos past it */
static int next_field(const char *line, size_t len, size_t *pos, const char **f, size_t *flen)
{
	const char *tab;

	if (*pos > len)
		return 0;
	*f = line + *pos;
	tab = memchr(*f, '\t', len - *pos);
	*flen = tab ? (size_t)(tab - *f) : len - *pos;
	*pos += *flen + 1;
	return 1;
}

void pf_auth_handshake_init(struct pf_auth_handshake *h, const struct pf_version *v)
{
	memset(h, 0, sizeof(*h));
	h->v = *v;
}

/*
 * sscanf_uint - sscanf "%u" over a bounded string, as glibc does it: skip
 * white space, optional sign, digits converted as strtoul() (overflow
 * gives ULONG_MAX, a minus sign negates modulo 2^64), then the result is
 * stored into an unsigned int, keeping the low 32 bits. So
 * "4294967297" reads as 1 and "-4294967295" as 1 too.
 */
static int sscanf_uint(const char *p, size_t len, size_t *pos, unsigned *out)
{
	size_t i = *pos;
	uint64_t n = 0;
	int neg = 0, any = 0, over = 0;

	while (i < len && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
		i++;
	if (i < len && (p[i] == '+' || p[i] == '-'))
		neg = p[i++] == '-';
	while (i < len && p[i] >= '0' && p[i] <= '9') {
		unsigned d = (unsigned)(p[i++] - '0');

		if (n > (UINT64_MAX - d) / 10)
			over = 1;
		else
			n = n * 10 + d;
		any = 1;
	}
	if (!any)
		return -1;
	if (over)
		n = UINT64_MAX;
	else if (neg)
		n = 0 - n;
	*out = (unsigned)(n & 0xffffffffu);
	*pos = i;
	return 0;
}

/* mech_props - Postfix's name_mask over the flag words */
static unsigned mech_props(const char *p, size_t len, char *notes, size_t nsize)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{ "private", DVAUTH_MECH_PRIVATE }, { "anonymous", DVAUTH_MECH_ANONYMOUS },
		{ "plaintext", DVAUTH_MECH_PLAINTEXT }, { "dictionary", DVAUTH_MECH_DICTIONARY },
		{ "active", DVAUTH_MECH_ACTIVE }, { "forward-secrecy", DVAUTH_MECH_FORWARD_SECRECY },
		{ "mutual-auth", DVAUTH_MECH_MUTUAL_AUTH },
	};
	unsigned props = 0;
	size_t pos = 0;
	const char *f;
	size_t fl;

	while (next_field(p, len, &pos, &f, &fl)) {
		size_t i;
		int found = 0;

		if (fl == 0)
			continue;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			if (strlen(known[i].name) == fl && strncasecmp(known[i].name, f, fl) == 0) {
				props |= known[i].bit;
				found = 1;
			}
		}
		if (!found) {
			char t[128];

			snprintf(t, sizeof(t), "MECH flag '%.*s' is unknown to Postfix (ignored)",
				 (int)(fl > 40 ? 40 : fl), f);
			note_add(notes, nsize, t);
		}
	}
	return props;
}

/* pf_auth_handshake_line - one server line during the handshake */
int pf_auth_handshake_line(struct pf_auth_handshake *h, const char *line, size_t len)
{
	const char *rest;
	size_t clen, rlen;
	const char *tab;

	if (h->done) {
		if (h->after_done++ == 0)
			note_add(h->notes, sizeof(h->notes),
				 "lines after DONE: Postfix does not read them in the handshake; "
				 "those in the same read as DONE are dropped when it writes the "
				 "first AUTH, those in a later read are read as replies to it");
		return 1;
	}
	len = cstr_len(line, len);
	if (len > 0 && line[len - 1] == '\r' && !strstr(h->notes, "CR"))
		note_add(h->notes, sizeof(h->notes),
			 "line ends in CR: Postfix keeps the CR as data (CRLF is not a line end)");
	tab = memchr(line, '\t', len);
	clen = tab ? (size_t)(tab - line) : len;
	rest = tab ? tab + 1 : NULL;
	rlen = tab ? len - clen - 1 : 0;

	if (clen == 7 && memcmp(line, "VERSION", 7) == 0) {
		size_t pos = 0;
		unsigned major, minor;

		if (rest == NULL) {
			if (!pf_version_has_fix(&h->v, &bare_version_fix)) {
				snprintf(h->why, sizeof(h->why),
					 "bare VERSION line: Postfix before 3.12-20260710 (3.5.27, "
					 "3.6.20, 3.7.22, 3.8.20, 3.9.14, 3.10.13, 3.11.6) crashes "
					 "(NULL pointer read in xsasl_dovecot_server_connect)");
				return -2;
			}
			return 0;
		}
		/* sscanf("%u\t%u"): the TAB in the format matches any white space */
		if (sscanf_uint(rest, rlen, &pos, &major) < 0 ||
		    sscanf_uint(rest, rlen, &pos, &minor) < 0) {
			snprintf(h->why, sizeof(h->why), "SASL: Protocol version error");
			return -1;
		}
		if (major != 1) {
			snprintf(h->why, sizeof(h->why), "SASL: Protocol version mismatch (%d vs. 1)",
				 (int)major);	/* Postfix prints it with %d */
			return -1;
		}
		h->saw_version = 1;
		h->server_major = major;
		h->server_minor = minor;
		return 0;
	}
	if (clen == 4 && memcmp(line, "MECH", 4) == 0 && rest != NULL) {
		const char *ftab = memchr(rest, '\t', rlen);
		size_t nlen = ftab ? (size_t)(ftab - rest) : rlen;
		unsigned props = ftab ? mech_props(ftab + 1, rlen - nlen - 1, h->notes,
						    sizeof(h->notes)) : 0;
		size_t i;

		h->have_mech = 1;
		if (props & DVAUTH_MECH_PRIVATE)
			return 0;
		if (nlen == 0)
			note_add(h->notes, sizeof(h->notes),
				 "empty MECH name: Postfix advertises an empty mechanism");
		for (i = 0; i < h->nmechs; i++)
			if (strlen(h->mechs[i].name) == nlen &&
			    memcmp(h->mechs[i].name, rest, nlen) == 0)
				note_add(h->notes, sizeof(h->notes),
					 "duplicate MECH line: the EHLO AUTH list repeats it");
		if (nlen > 63)
			note_add(h->notes, sizeof(h->notes),
				 "MECH name longer than 63 bytes: Postfix keeps it whole, this "
				 "oracle keeps its first 63");
		if (h->nmechs < PF_AUTH_MAX_MECHS) {
			snprintf(h->mechs[h->nmechs].name, sizeof(h->mechs[0].name), "%.*s",
				 (int)(nlen > 63 ? 63 : nlen), rest);
			h->mechs[h->nmechs].props = props;
			h->nmechs++;
		} else {
			note_add(h->notes, sizeof(h->notes),
				 "more than 64 MECH lines: this oracle keeps the first 64");
		}
		return 0;
	}
	if (clen == 4 && memcmp(line, "SPID", 4) == 0) {
		if (!h->have_mech && pf_version_cmp(&h->v, 2, 12, 20140905) >= 0) {
			snprintf(h->why, sizeof(h->why),
				 "SASL: Connected to wrong auth socket (auth-master instead of "
				 "auth-client): SPID arrived before any MECH line");
			return -1;
		}
		return 0;
	}
	if (clen == 4 && memcmp(line, "DONE", 4) == 0) {
		/* split_at() cuts at the TAB first: "DONE\t..." is DONE too */
		if (rest != NULL)
			note_add(h->notes, sizeof(h->notes),
				 "DONE carries TAB fields: Postfix ignores them");
		h->done = 1;
		return 1;
	}
	return 0;
}

/* pf_auth_filter - smtpd_sasl_security_options over the handshake's list */
size_t pf_auth_filter(const struct pf_auth_handshake *h, unsigned require, unsigned forbid,
		      const char **names_r, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < h->nmechs && n < max; i++) {
		unsigned p = h->mechs[i].props;

		if ((p & require) == require && (p & forbid) == 0)
			names_r[n++] = h->mechs[i].name;
	}
	return n;
}

/* pf_auth_request - the AUTH line as Postfix writes it */
int pf_auth_request(struct xbuf *out, unsigned id, const char *mech, const char *service,
		    const char *lip, const char *rip, int secured, const char *resp)
{
	size_t old = out->len;

	if (xbuf_printf(out, "AUTH\t%u\t%s\tservice=%s\tnologin\tlip=%s\trip=%s", id, mech,
			service, lip, rip) < 0 ||
	    (secured && xbuf_append_str(out, "\tsecured") < 0) ||
	    (resp && xbuf_printf(out, "\tresp=%s", resp) < 0) ||
	    xbuf_append_char(out, '\n') < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

/* utf8_seq - length of a valid UTF-8 sequence at p[0, n), or 0 */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t k, i;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	k = c <= 0xdf ? 2 : c <= 0xef ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;		/* over-long */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (k > n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/*
 * printable - Postfix printable(s, '?') into dst. With utf8 (smtputf8_enable,
 * yes since 3.0: util_utf8_enable follows it) valid UTF-8 stays; every
 * other byte outside 0x20..0x7e becomes '?'. Returns 1 if a byte changed.
 */
static int printable(char *dst, size_t dsize, const char *p, size_t len, int utf8)
{
	size_t i = 0, n = len < dsize - 1 ? len : dsize - 1;
	int changed = 0;

	while (i < n) {
		const unsigned char *u = (const unsigned char *)p + i;
		size_t k;

		if (*u >= 0x20 && *u < 0x7f) {
			dst[i++] = (char)*u;
		} else if (utf8 && (k = utf8_seq(u, n - i)) > 0) {
			memcpy(dst + i, u, k);
			i += k;
		} else {
			dst[i++] = '?';
			changed = 1;
		}
	}
	dst[n] = '\0';
	return changed;
}

/* note_more - append to a verdict's note */
static void note_more(struct pf_auth_verdict *out, const char *text)
{
	note_add(out->note, sizeof(out->note), text);
}

/* leaky - a FAIL reason that tells user-unknown from bad-password */
static int leaky(const char *reason)
{
	static const char *const words[] = {
		"unknown user", "user unknown", "no such user", "does not exist",
		"not found", "bad password", "wrong password", "invalid password",
		"password mismatch", "incorrect password",
	};
	size_t i, k, rl = strlen(reason);

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i]);

		for (k = 0; k + wl <= rl; k++)
			if (strncasecmp(reason + k, words[i], wl) == 0)
				return 1;
	}
	return 0;
}

const char *pf_auth_outcome_name(enum pf_auth_outcome o)
{
	switch (o) {
	case PF_AUTH_SKIP: return "skip";
	case PF_AUTH_DONE: return "done";
	case PF_AUTH_MORE: return "more";
	case PF_AUTH_FAIL: return "fail";
	case PF_AUTH_TEMP: return "temp";
	}
	return "?";
}

/*
 * The 535 text for an empty reason: smtpd_sasl_glue.c "Cleanup: Postfix
 * SMTP server response with an empty authentication failure reason"
 * (HISTORY 20231105, first in snapshot 3.9-20231112; stable releases of
 * 2024-03-04). Before it the line ends in "failed: ".
 */
static const struct pf_version_fix reason_unavailable_fix = {
	3, 9, 20231112,
	{ { 3, 5, 25 }, { 3, 6, 15 }, { 3, 7, 11 }, { 3, 8, 6 }, { 0, 0, 0 } },
};

/*
 * xsasl_dovecot_server.c resets the reply buffer before parsing each
 * reply (HISTORY 20231102, same snapshot and back-ports).
 */
static const struct pf_version_fix reply_reset_fix = {
	3, 9, 20231112,
	{ { 3, 5, 25 }, { 3, 6, 15 }, { 3, 7, 11 }, { 3, 8, 6 }, { 0, 0, 0 } },
};

/* fail_reply - the 535 line for a reason, as this version words it */
static void fail_reply(const struct pf_version *v, const char *reason,
		       struct pf_auth_verdict *out)
{
	if (reason[0] == '\0' && pf_version_has_fix(v, &reason_unavailable_fix))
		reason = "(reason unavailable)";
	out->outcome = PF_AUTH_FAIL;
	snprintf(out->smtp, sizeof(out->smtp), "535 5.7.8 Error: authentication failed: %s", reason);
}

/* pf_auth_judge - one reply line while request id is in flight */
void pf_auth_judge(const struct pf_version *v, unsigned id, const char *line, size_t len,
		   struct pf_auth_verdict *out)
{
	size_t pos = 0;
	const char *cmd, *idf, *f;
	size_t clen, idlen, fl;
	int is_ok, is_cont, is_fail;
	char canon[16];

	memset(out, 0, sizeof(*out));
	out->outcome = PF_AUTH_SKIP;
	len = cstr_len(line, len);
	next_field(line, len, &pos, &cmd, &clen);
	is_ok = clen == 2 && memcmp(cmd, "OK", 2) == 0;
	is_cont = clen == 4 && memcmp(cmd, "CONT", 4) == 0;
	is_fail = clen == 4 && memcmp(cmd, "FAIL", 4) == 0;
	if (!is_ok && !is_cont && !is_fail) {
		snprintf(out->note, sizeof(out->note), "unknown reply word: Postfix skips the line");
		return;
	}
	if (!next_field(line, len, &pos, &idf, &idlen)) {
		snprintf(out->note, sizeof(out->note),
			 "%.*s without a TAB: Postfix logs \"SASL: Protocol error\" and skips it",
			 (int)clen, cmd);
		return;
	}
	if (str_strtoul_loose(idf, idlen) != (unsigned long)id) {
		snprintf(out->note, sizeof(out->note),
			 "id \"%.*s\" is not the request in flight (%u): Postfix skips the line",
			 (int)(idlen > 20 ? 20 : idlen), idf, id);
		return;
	}
	snprintf(canon, sizeof(canon), "%u", id);
	if (idlen != strlen(canon) || memcmp(idf, canon, idlen) != 0)
		snprintf(out->note, sizeof(out->note),
			 "id \"%.*s\" is not canonical decimal; Postfix's strtoul(..., 0) "
			 "accepts it, Dovecot's own client would not", (int)(idlen > 20 ? 20 : idlen), idf);
	if (is_cont) {
		if (pos > len) {
			fail_reply(v, "Authentication backend error", out);
			snprintf(out->note, sizeof(out->note),
				 "CONT without a data field: \"missing Dovecot server CONT reply field\"");
			return;
		}
		out->outcome = PF_AUTH_MORE;
		{
			size_t n = len - pos;

			/*
			 * Everything after the id, verbatim: TABs and CRs included
			 * (smtpd_chat_reply does not sanitize it).
			 */
			if (n > sizeof(out->smtp) - 5)
				n = sizeof(out->smtp) - 5;
			memcpy(out->smtp, "334 ", 4);
			memcpy(out->smtp + 4, line + pos, n);
			out->smtp[4 + n] = '\0';
			if (memchr(line + pos, '\t', len - pos) != NULL)
				snprintf(out->note, sizeof(out->note),
					 "CONT carries extra TAB fields: Postfix puts them into the 334 line");
		}
		return;
	}
	{
		char reason[1024] = "";
		int have_user = 0, nologin = 0, proxy = 0, resp = 0, mangled = 0, nreason = 0;
		int utf8 = pf_version_cmp(v, 3, 0, 0) >= 0;
		size_t reason_len = 0;

		while (next_field(line, len, &pos, &f, &fl)) {
			if (fl >= 5 && memcmp(f, "user=", 5) == 0) {
				mangled |= printable(out->user, sizeof(out->user), f + 5, fl - 5,
						     utf8);
				have_user = 1;
			} else if (fl >= 7 && memcmp(f, "reason=", 7) == 0) {
				if (is_fail) {
					mangled |= printable(reason, sizeof(reason), f + 7, fl - 7,
							     utf8);
					reason_len = fl - 7;
					nreason++;
				}
			} else if (fl == 7 && memcmp(f, "nologin", 7) == 0) {
				nologin = 1;
			} else if (fl == 5 && memcmp(f, "proxy", 5) == 0) {
				proxy = 1;
			} else if (fl >= 5 && memcmp(f, "resp=", 5) == 0) {
				resp = 1;
			}
		}
		if (mangled)
			note_more(out, "control or non-UTF-8 bytes (a CR from CRLF, a raw "
				  "escape) in user= or reason=: Postfix shows them as '?'");
		if (is_fail) {
			fail_reply(v, reason, out);
			if (reason[0] == '\0' && !pf_version_has_fix(v, &reply_reset_fix))
				note_more(out, "FAIL without reason=: Postfix before 3.9-20231112 "
					  "(3.5.25, 3.6.15, 3.7.11, 3.8.6) does not clear its "
					  "reply buffer, so the 535 text can repeat an earlier "
					  "reply (the last 334 challenge or reason)");
			if (nreason > 1)
				note_more(out, "several reason= fields: the last one wins");
			if (leaky(reason))
				note_more(out, "the reason tells an unknown user from a wrong "
					  "password: SMTP clients see it (user enumeration)");
			if (strlen(out->smtp) > 510 || reason_len >= sizeof(reason))
				note_more(out, "over-long reason: Postfix sends the 535 line uncut, "
					  "beyond the 512-byte SMTP reply line limit (this oracle "
					  "keeps the first 1023 bytes of the reason)");
			return;
		}
		if (!have_user) {
			fail_reply(v, "Authentication backend error", out);
			snprintf(out->note, sizeof(out->note),
				 "OK without user=: \"missing Dovecot server OK username field\"");
			return;
		}
		out->outcome = PF_AUTH_DONE;
		snprintf(out->smtp, sizeof(out->smtp), "235 2.7.0 Authentication successful");
		if (nologin || proxy)
			snprintf(out->note, sizeof(out->note),
				 "OK with %s: Postfix grants the login anyway", nologin ? "nologin" : "proxy");
		else if (resp)
			snprintf(out->note, sizeof(out->note),
				 "OK with resp=: Postfix drops final server data (it never sends "
				 "final-resp-ok)");
		else if (out->user[0] == '\0')
			snprintf(out->note, sizeof(out->note),
				 "empty user=: 235, but permit_sasl_authenticated will not match");
	}
}

/*
 * xsasl_dovecot_handle_reply() closes the connection after "Connection
 * lost to authentication server": postfix-3.10.13/src/xsasl/
 * xsasl_dovecot_server.c:620 (also :711 and :740, the failed writes);
 * postfix-3.7.11's (:618) returns with the stream kept. HISTORY 20250304.
 */
static const struct pf_version_fix reconnect_fix = {
	3, 11, 20250304,
	{ { 3, 7, 15 }, { 3, 8, 10 }, { 3, 9, 4 }, { 3, 10, 2 }, { 0, 0, 0 } },
};

/* pf_auth_io_failure - EOF, read error or timeout while waiting */
void pf_auth_io_failure(const struct pf_version *v, struct pf_auth_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->outcome = PF_AUTH_TEMP;
	snprintf(out->smtp, sizeof(out->smtp),
		 "454 4.7.0 Temporary authentication failure: Connection lost to authentication server");
	if (pf_version_has_fix(v, &reconnect_fix))
		snprintf(out->note, sizeof(out->note), "Postfix disconnects and reconnects on the next AUTH");
	else
		snprintf(out->note, sizeof(out->note),
			 "Postfix before 3.11 keeps the broken connection (the fix of "
			 "3.11-20250304 is in 3.7.15, 3.8.10, 3.9.4, 3.10.2): the next AUTH's "
			 "write fails and Postfix reconnects under a new request id, except "
			 "after EOF on inet:, where the write succeeds and that AUTH gets 454 too");
}

/* pf_auth_link_after - the connection an I/O failure (how) leaves */
enum pf_auth_link pf_auth_link_after(const struct pf_version *v, enum pf_auth_link how)
{
	if (how == PF_AUTH_LINK_UP || how == PF_AUTH_LINK_DOWN)
		return how;
	return pf_version_has_fix(v, &reconnect_fix) ? PF_AUTH_LINK_DOWN : how;
}

/*
 * pf_auth_next_request - the next AUTH on that link: vstream_fflush()
 * fails at once on a stream with its error flag (util/vstream.c:781
 * in 3.7.11), and a failed first write makes xsasl_dovecot_server_first
 * close, connect and write again with a new id (its loop "Reconnect
 * and try again"); after EOF a UNIX socket refuses the write (EPIPE)
 * but TCP takes it, and the read that follows fails.
 */
enum pf_auth_next pf_auth_next_request(enum pf_auth_link link, int inet)
{
	switch (link) {
	case PF_AUTH_LINK_UP:
		return PF_AUTH_NEXT_SEND;
	case PF_AUTH_LINK_DOWN:
		return PF_AUTH_NEXT_CONNECT;
	case PF_AUTH_LINK_EOF:
		return inet ? PF_AUTH_NEXT_DEAD : PF_AUTH_NEXT_RETRY;
	case PF_AUTH_LINK_ERROR:
		break;
	}
	return PF_AUTH_NEXT_RETRY;
}
