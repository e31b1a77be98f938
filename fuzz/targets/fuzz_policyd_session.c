/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_policyd_session - fuzz target for a whole ref-policyd connection
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Stateful target: everything a policy client sends on one
 *	connection is handed to the session as ref-policyd's connection
 *	layer hands it (block mode: the unconsumed bytes in one run,
 *	policyd_session_input, at most max_request + max_line + 1 of them;
 *	what a request used is dropped), without sockets. Input layout:
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
 *	faults the output stays within 64 KiB per request; the session
 *	refuses or answers before max_request + max_line + 1 bytes are
 *	pending, so the connection's bound is never the one that stops
 *	it. At most FUZZ_POLICYD_MAX_INPUT bytes.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
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

/* one_request - the session's answer to the pending bytes; -1: the connection ends */
static int one_request(struct policyd_session *s, struct policyd_engine *e, struct xbuf *in,
		       struct xbuf *out, int check)
{
	struct policyd_decision d;
	size_t before = out->len, used = 0;
	int rc = policyd_session_input(s, e, in->data, in->len, &used, out, &d);

	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc < 0) {
		const char *err = policyd_session_error(s);

		FUZZ_CHECK(err != NULL && *err != '\0' && used == 0);
		return -1;
	}
	FUZZ_CHECK(out->len - before <= 64 * 1024);
	FUZZ_CHECK(rc == 0 ? used == 0 : used > 0 && used <= in->len);
	if (check && rc == 1) {
		FUZZ_CHECK(d.rule != NULL && d.replied && !d.close);
		FUZZ_CHECK(out->len - before == d.rule->reply_len);
		FUZZ_CHECK(memcmp(out->data + before, d.rule->reply, d.rule->reply_len) == 0);
	} else if (check) {
		FUZZ_CHECK(out->len == before);
	}
	xbuf_consume(in, used);
	xbuf_reset(out);
	if (rc == 1 && d.close)
		return -1;
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policyd_settings set;
	struct policyd_engine *e;
	struct policyd_session s;
	struct rules_env env;
	struct xbuf in, out;
	const uint8_t *p;
	size_t n, bound, take;
	unsigned mode;
	int rc = 0, check;

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
	bound = set.max_request + set.max_line + 1;
	xbuf_init(&in, bound);
	xbuf_init(&out, 0);
	p = data + 2;
	n = size - 2;
	while (rc >= 0 && n > 0) {
		take = bound - in.len < n ? bound - in.len : n;
		FUZZ_CHECK(xbuf_append(&in, p, take) == 0);
		p += take;
		n -= take;
		while ((rc = one_request(&s, e, &in, &out, check)) == 1)
			;
		/* the session decides before the connection's bound is full */
		FUZZ_CHECK(rc < 0 || in.len < bound);
	}
	xbuf_free(&in);
	xbuf_free(&out);
	policyd_session_free(&s);
	policyd_engine_destroy(&e);
	return 0;
}
