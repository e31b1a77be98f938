/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	action - judge an access(5) action the way Postfix's smtpd would
 * SYNOPSIS
 *	See action.h.
 * DESCRIPTION
 *	Order of the checks, as in check_table_result() (Postfix
 *	src/smtpd/smtpd_check.c), command = text before the first SP/TAB,
 *	compared case-insensitively, text = the rest without leading blanks:
 *	  DUNNO REJECT DEFER HANGUP INFO WARN FILTER HOLD DISCARD REDIRECT
 *	  BCC DEFER_IF_PERMIT DEFER_IF_REJECT PREPEND, then all-digit (OK),
 *	  then "4NN"/"5NN" followed by text, then OK/RELAY, then a value
 *	  with ":" (451 4.3.5 error), then a restriction list split on
 *	  ", TAB CR LF" (an unknown name is a 451 4.3.5 error).
 *	Additional refusals for actions that Postfix would log and ignore
 *	are listed in action.h. Input: (s, len), no NUL needed; bytes
 *	below 0x20 or 0x7f are refused, as is invalid UTF-8 (with
 *	smtputf8_enable Postfix applies the default action instead).
 *	Pure: no allocation, no I/O.
 * DIAGNOSTICS
 *	See action.h; every error text is a string literal.
 */
#include <string.h>
#include <strings.h>

#include "reference/policyd/action.h"

static const char *const restrictions[] = {
	"permit", "reject", "defer", "defer_if_permit", "defer_if_reject",
	"warn_if_reject", "permit_sasl_authenticated", "permit_mynetworks",
	"permit_inet_interfaces", "permit_naked_ip_address",
	"permit_auth_destination", "reject_unauth_destination",
	"defer_unauth_destination", "permit_mx_backup", "check_relay_domains",
	"permit_tls_clientcerts", "permit_tls_all_clientcerts",
	"reject_plaintext_session", "reject_sender_login_mismatch",
	"reject_unknown_client", "reject_unknown_client_hostname",
	"reject_unknown_reverse_client_hostname",
	"reject_unknown_forward_client_hostname",
	"reject_invalid_helo_hostname", "reject_invalid_hostname",
	"reject_unknown_helo_hostname", "reject_unknown_hostname",
	"reject_non_fqdn_helo_hostname", "reject_non_fqdn_hostname",
	"reject_non_fqdn_sender", "reject_non_fqdn_recipient",
	"reject_unknown_sender_domain", "reject_unknown_recipient_domain",
	"reject_unknown_address", "reject_unlisted_sender",
	"reject_unlisted_recipient", "check_recipient_maps",
	"reject_unverified_recipient", "reject_unverified_sender",
	"reject_multi_recipient_bounce", "reject_unauth_pipelining",
};

static const char *const kind_names[] = {
	"DUNNO", "OK", "REJECT", "DEFER", "DEFER_IF_PERMIT", "DEFER_IF_REJECT",
	"CODE", "HOLD", "DISCARD", "FILTER", "REDIRECT", "BCC", "PREPEND",
	"INFO", "WARN", "HANGUP", "RESTRICTIONS",
};

const char *action_kind_name(enum action_kind k)
{
	return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

/* word_is - case-insensitive equality of (p, n) and a keyword */
static int word_is(const char *p, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(p, kw, n) == 0;
}

/* utf8_valid - well-formed UTF-8, no overlongs or surrogates */
static int utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], need, min, cp, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; min = 0x80; cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; min = 0x800; cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; min = 0x10000; cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* is_header - "name: value" as Postfix's is_header() accepts it */
static int is_header(const char *p, size_t n)
{
	size_t i, namelen = 0;
	int space = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':')
			return namelen > 0;
		if (c == ' ' || c == '\t') {
			if (namelen == 0)
				return 0;
			space = 1;
			continue;
		}
		if (c >= 0x80 || c < 0x21 || c == 0x7f || space)
			return 0;
		namelen++;
	}
	return 0;
}

static int is_delim(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* restriction_list - every element a known argument-free restriction */
static int restriction_list(const char *s, size_t len, const char **error_r)
{
	size_t i = 0, nwords = 0;

	while (i < len) {
		size_t start, k;
		int known = 0;

		while (i < len && is_delim(s[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_delim(s[i]))
			i++;
		nwords++;
		for (k = 0; k < sizeof(restrictions) / sizeof(restrictions[0]); k++)
			if (word_is(s + start, i - start, restrictions[k]))
				known = 1;
		if (!known) {
			*error_r = "unknown action or restriction: Postfix answers "
				   "451 4.3.5 Server configuration error";
			return -1;
		}
	}
	if (nwords == 0) {
		*error_r = "empty action: Postfix reads it as OK";
		return -1;
	}
	return 0;
}

/* action_check - classify or refuse an action text */
int action_check(const char *s, size_t len, unsigned states,
		 enum action_kind *kind_r, const char **error_r)
{
	size_t cmd_len = 0, i;
	const char *text;
	size_t text_len;
	int alldig;

	if (len == 0) {
		*error_r = "empty action: Postfix reads it as OK";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*error_r = "control character in action";
			return -1;
		}
	}
	if (!utf8_valid((const unsigned char *)s, len)) {
		*error_r = "action is not valid UTF-8: Postfix with smtputf8_enable "
			   "applies the default action";
		return -1;
	}
	if (s[0] == ' ' || s[0] == '\t') {
		*error_r = "action starts with white space: Postfix answers "
			   "451 4.3.5 Server configuration error";
		return -1;
	}
	while (cmd_len < len && s[cmd_len] != ' ' && s[cmd_len] != '\t')
		cmd_len++;
	text = s + cmd_len;
	text_len = len - cmd_len;
	while (text_len > 0 && (*text == ' ' || *text == '\t')) {
		text++;
		text_len--;
	}

#define KW(w, k) if (word_is(s, cmd_len, (w))) { *kind_r = (k); goto keyword; }
	KW("DUNNO", ACTION_DUNNO);
	KW("REJECT", ACTION_REJECT);
	KW("DEFER", ACTION_DEFER);
	KW("HANGUP", ACTION_HANGUP);
	KW("INFO", ACTION_INFO);
	KW("WARN", ACTION_WARN);
	KW("FILTER", ACTION_FILTER);
	KW("HOLD", ACTION_HOLD);
	KW("DISCARD", ACTION_DISCARD);
	KW("REDIRECT", ACTION_REDIRECT);
	KW("BCC", ACTION_BCC);
	KW("DEFER_IF_PERMIT", ACTION_DEFER_IF_PERMIT);
	KW("DEFER_IF_REJECT", ACTION_DEFER_IF_REJECT);
	KW("PREPEND", ACTION_PREPEND);
#undef KW

	alldig = 1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			alldig = 0;
	if (alldig) {
		if (len == 3 && (s[0] == '4' || s[0] == '5')) {
			*error_r = "SMTP code without text: Postfix reads an all-digit "
				   "action as OK";
			return -1;
		}
		*kind_r = ACTION_OK;
		return 0;
	}
	if (cmd_len == 3 && text_len > 0 && (s[0] == '4' || s[0] == '5') &&
	    s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
		*kind_r = ACTION_CODE;
		return 0;
	}
	if (word_is(s, cmd_len, "OK") || word_is(s, cmd_len, "RELAY")) {
		*kind_r = ACTION_OK;
		return 0;
	}
	if (memchr(s, ':', len) != NULL) {
		*error_r = "':' in an action that is not FILTER, PREPEND or text: "
			   "Postfix answers 451 4.3.5 Server configuration error";
		return -1;
	}
	if (restriction_list(s, len, error_r) < 0)
		return -1;
	*kind_r = ACTION_RESTRICTIONS;
	return 0;

keyword:
	switch (*kind_r) {
	case ACTION_FILTER:
		if (text_len == 0 || memchr(text, ':', text_len) == NULL) {
			*error_r = "FILTER needs transport:destination: Postfix logs a "
				   "warning and ignores it";
			return -1;
		}
		break;
	case ACTION_REDIRECT:
	case ACTION_BCC:
		if (memchr(text, '@', text_len) == NULL) {
			*error_r = "REDIRECT and BCC need user@domain: Postfix logs a "
				   "warning and ignores it";
			return -1;
		}
		break;
	case ACTION_PREPEND:
		if (text_len == 0 || !is_header(text, text_len)) {
			*error_r = "PREPEND needs \"header: text\": Postfix logs a "
				   "warning and ignores it";
			return -1;
		}
		if ((states & ACTION_STATE_EOM) != 0) {
			*error_r = "PREPEND at END-OF-MESSAGE: Postfix logs a "
				   "warning and ignores it";
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}
