/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_policyd_session - fuzz target for a whole ref-policyd connection
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Stateful target: everything a policy client sends on one
 *	connection, framed by linebuf exactly as ref-policyd frames it
 *	(max_line + 1 with the LF, CR kept as data), is fed line by line to
 *	the session (policyd_session_line), without sockets. Input layout:
 *	  byte 0  bit 0 duplicates keep the last value (else the first);
 *	          bit 1 byte 1 holds fault switches (POLICYD_F_*, low 8
 *	          bits) and bit 2 adds colon-action; bit 3 small bounds
 *	          (max_line 64, max_attrs 8, max_request 1024); bits 4-5
 *	          what networks(ATTR) answers: in, not in, in for odd user
 *	          name lengths, database error
 *	  byte 1  faults (when byte 0 bit 1)
 *	  rest    the client's bytes
 *	The rules (fuzz_rules below) use every test kind, scoped and
 *	unscoped rules and networks(sasl_username); they are parsed once.
 *
 *	Checked: without faults each answered request appends exactly its
 *	rule's reply ("action=..." LF LF) and nothing else is ever sent; a
 *	refused request names its error and ends the connection; with
 *	faults the output stays within 64 KiB per request. At most
 *	FUZZ_POLICYD_MAX_INPUT bytes.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/linebuf.h"
#include "proto/policy.h"
#include "reference/policyd/rules.h"
#include "reference/policyd/session.h"
#include "util/xbuf.h"

#define FUZZ_POLICYD_MAX_INPUT	(128 * 1024)

static const char fuzz_rules[] =
	"rule user-network: at RCPT\n"
	"\tsasl_username nonempty and client_address not in networks(sasl_username)\n"
	"\t=> REJECT 5.7.1 not from your network\n"
	"rule forged: at RCPT, MAIL sasl_username empty and sender iglob \"*@example.com\"\n"
	"\tand client_address not in [127.0.0.0/8, ::1, 192.0.2.0/24] => REJECT 5.7.1 forged\n"
	"rule eq: sender == \"exact@example.com\" => REJECT eq\n"
	"rule ieq: sender ~= CI@EXAMPLE.COM => 450 4.7.1 ieq\n"
	"rule glob: recipient glob \"*@glob.example\" => DEFER glob\n"
	"rule re: helo_name =~ /^(localhost|\\[?127\\.)/i => REJECT 5.7.1 bogus HELO\n"
	"rule nre: helo_name !~ /\\./ and helo_name present => WARN nre\n"
	"rule big: at END-OF-MESSAGE size > 50000000 => 552 5.3.4 too big\n"
	"rule rcpts: at DATA recipient_count >= 100 => DEFER_IF_PERMIT 4.5.3 too many\n"
	"rule sizeeq: size == 42 => HOLD sizeeq\n"
	"rule v6: client_address in [2001:db8::/32, 198.51.100.7] => DISCARD v6\n"
	"rule paren: at VRFY (sender == a or sender == b) and not (recipient == c) => OK\n"
	"rule ne: at ETRN etrn_domain != \"example.com\" => REJECT ne\n"
	"rule tag: at RCPT sasl_username empty and client_address not in 127.0.0.0/8\n"
	"\t=> PREPEND X-Policy: unauthenticated submission\n"
	"rule missing: at CONNECT client_name missing => INFO no name\n"
	"rule restr: at EHLO always => permit_mynetworks, reject\n"
	"always => DUNNO\n";

static const struct rules *fuzz_rules_parsed;

/* fz_allows - networks(ATTR): set by byte 0 bits 4-5 */
static int fz_allows(void *ctx, const char *user, size_t ulen, const struct cidr_addr *addr)
{
	unsigned mode = *(const unsigned *)ctx;

	(void)user;
	FUZZ_CHECK(addr->family == 4 || addr->family == 6);
	switch (mode) {
	case 0:
		return 1;
	case 1:
		return 0;
	case 2:
		return (int)(ulen & 1);
	default:
		return -1;
	}
}

/* rules - parsed once: read-only from then on */
static const struct rules *rules(void)
{
	char err[256];

	if (fuzz_rules_parsed == NULL) {
		fuzz_rules_parsed = rules_parse(fuzz_rules, sizeof(fuzz_rules) - 1, "fuzz.rules",
						NULL, 1, err, sizeof(err));
		FUZZ_CHECK(fuzz_rules_parsed != NULL);
	}
	return fuzz_rules_parsed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policyd_settings set;
	struct policyd_engine *e;
	struct policyd_session s;
	struct policyd_decision d;
	struct rules_env env;
	struct linebuf lb;
	struct xbuf out;
	const char *line, *err;
	const uint8_t *p;
	size_t n, len, took, before;
	unsigned mode;
	int rc = 0, closed = 0, check;

	if (size < 2 || size > FUZZ_POLICYD_MAX_INPUT)
		return 0;
	memset(&set, 0, sizeof(set));
	set.dup = (data[0] & 1) ? POLICY_DUP_LAST : POLICY_DUP_FIRST;
	set.faults = (data[0] & 2) ? data[1] | ((data[0] & 4) ? POLICYD_F_COLON_ACTION : 0) : 0;
	set.max_line = (data[0] & 8) ? 64 : POLICY_MAX_LINE;
	set.max_attrs = (data[0] & 8) ? 8 : POLICY_MAX_ATTRS;
	set.max_request = (data[0] & 8) ? 1024 : 256 * 1024;
	mode = (data[0] >> 4) & 3;
	check = set.faults == 0;
	env.user_allows = fz_allows;
	env.ctx = &mode;

	e = policyd_engine_create(&set);
	FUZZ_CHECK(e != NULL);
	policyd_engine_set_rules(e, rules());
	policyd_engine_set_env(e, &env);
	policyd_session_init(&s, &set);
	xbuf_init(&out, 0);
	linebuf_init(&lb, set.max_line + 1, LINEBUF_CR_KEEP);
	p = data + 2;
	n = size - 2;
	while (n > 0 && !closed) {
		took = linebuf_feed(&lb, p, n);
		p += took;
		n -= took;
		while (!closed && (rc = linebuf_next(&lb, &line, &len)) == 1) {
			before = out.len;
			rc = policyd_session_line(&s, e, line, len, &out, &d);
			FUZZ_CHECK(rc >= -1 && rc <= 1);
			if (rc < 0) {
				err = policyd_session_error(&s);
				FUZZ_CHECK(err != NULL && *err != '\0');
				closed = 1;
				break;
			}
			FUZZ_CHECK(out.len - before <= 64 * 1024);
			if (check) {
				if (rc == 1) {
					FUZZ_CHECK(d.rule != NULL && d.replied && !d.close);
					FUZZ_CHECK(out.len - before == d.rule->reply_len);
					FUZZ_CHECK(memcmp(out.data + before, d.rule->reply,
							  d.rule->reply_len) == 0);
				} else {
					FUZZ_CHECK(out.len == before);
				}
			}
			if (rc == 1 && d.close)
				closed = 1;
			xbuf_reset(&out);
		}
		if (rc < 0)
			break;		/* line too long: the shell disconnects */
	}
	linebuf_free(&lb);
	xbuf_free(&out);
	policyd_session_free(&s);
	policyd_engine_destroy(&e);
	return 0;
}
