/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_pf_policy - fuzz target for the Postfix oracle's policy reply reading and action evaluation
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input: byte 0 selects the Postfix version (fuzz_versions[]) and
 *	whether the stream then ended (bit 7: EOF), byte 1 the protocol
 *	state (modulo 9) and the context (bit 4 relay_ok, bit 5 mynetworks,
 *	bit 6 tls, bit 7 an authenticated user; bit 3 smtputf8); the rest is
 *	what a policy server answered. pf_pol_read_reply() reads it as
 *	Postfix does; a received action is evaluated with pf_pol_eval() as
 *	check_policy_service would; a failed try gets the default action
 *	(pf_pol_eval_failure). At most FUZZ_PF_POLICY_MAX_INPUT bytes.
 *
 *	Checked: the reader decides or waits (0/1), a decided try either
 *	has an action inside the input or a reason; text fields are
 *	NUL-terminated in their arrays; a REJECT or CONFIG_ERROR verdict
 *	carries a 4xx/5xx reply; disconnect only with 421 or 521.
 *	Differential: when this oracle received an action and
 *	policy_parse_reply() (the shared codec) decided OK on the same
 *	bytes without a NUL, both hold the same action.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "harness/postfix/pf_policy.h"
#include "proto/policy.h"

#define FUZZ_PF_POLICY_MAX_INPUT	(64 * 1024)

static const char *const fuzz_versions[] = {
	"2.1", "2.6", "2.11", "3.0", "3.7.11", "3.11", "3.12-20260710",
};

#define TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

/* check_verdict - what every verdict keeps */
static void check_verdict(const struct pf_pol_verdict *vd)
{
	FUZZ_CHECK(TERMINATED(vd->smtp) && TERMINATED(vd->arg) && TERMINATED(vd->pending) &&
		   TERMINATED(vd->notes));
	FUZZ_CHECK(pf_pol_kind_name(vd->kind) != NULL);
	if (vd->kind == PF_POL_REJECT || vd->kind == PF_POL_CONFIG_ERROR)
		FUZZ_CHECK((vd->smtp[0] == '4' || vd->smtp[0] == '5') &&
			   vd->smtp[1] >= '0' && vd->smtp[1] <= '9' &&
			   vd->smtp[2] >= '0' && vd->smtp[2] <= '9');
	if (vd->disconnect)
		FUZZ_CHECK(strncmp(vd->smtp, "421", 3) == 0 || strncmp(vd->smtp, "521", 3) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf, *err = NULL;
	struct pf_pol_read rd;
	struct pf_pol_verdict vd;
	struct pf_pol_ctx c;
	struct pf_version v;
	struct policy_reply rep;
	size_t len, used = 0;
	int rc, rc2;

	if (size < 2 || size > FUZZ_PF_POLICY_MAX_INPUT)
		return 0;
	FUZZ_CHECK(pf_version_parse(fuzz_versions[(data[0] & 0x7f) % N_ELEMENTS(fuzz_versions)],
				    &v) == 0);
	buf = (const char *)data + 2;
	len = size - 2;
	memset(&rd, 0, sizeof(rd));
	rc = pf_pol_read_reply(buf, len, (data[0] & 0x80) ? PF_POL_END_EOF : PF_POL_END_NONE,
			       (data[1] & 8) != 0, &rd);
	FUZZ_CHECK(rc == 0 || rc == 1);
	FUZZ_CHECK(TERMINATED(rd.why) && TERMINATED(rd.notes));
	if (rc == 0)
		return 0;
	pf_pol_ctx_init(&c, &v, (enum pf_pol_state)((data[1] & 7) % 9));
	c.relay_ok = (data[1] & 0x10) != 0;
	c.mynetworks = (data[1] & 0x20) != 0;
	c.tls = (data[1] & 0x40) != 0;
	c.sasl_user = (data[1] & 0x80) ? "alice" : NULL;
	c.client = "client.test[192.0.2.1]";
	c.helo = "client.test";
	c.sender = "alice@example.com";
	c.recipient = "bob@example.net";
	memset(&vd, 0, sizeof(vd));
	if (!rd.ok) {
		FUZZ_CHECK(rd.why[0] != '\0');
		pf_pol_eval_failure(&c, NULL, &vd);
		check_verdict(&vd);
		return 0;
	}
	FUZZ_CHECK(rd.used <= len && rd.action.len <= len);
	FUZZ_CHECK(rd.action.p >= buf && (size_t)(rd.action.p - buf) <= len - rd.action.len);
	pf_pol_eval(&c, rd.action.p, rd.action.len, &vd);
	check_verdict(&vd);

	rc2 = policy_parse_reply(buf, len, &rep, &used, &err);
	if (rc2 == 1 && rep.status == POLICY_REPLY_OK && !rep.action_nul && !rd.nul)
		FUZZ_CHECK(rep.action.len == rd.action.len &&
			   memcmp(rep.action.p, rd.action.p, rd.action.len) == 0);
	return 0;
}
