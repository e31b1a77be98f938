/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_client_auth_session - fuzz target for fake-smtpd's auth client fed a hostile server
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Stateful target: a whole client connection as the replay engine
 *	runs it (harness/replay/replay.c, "handshake" then "auth" steps),
 *	without sockets: the input is everything the auth server sends,
 *	one line per LF (a CR stays in the line, as Postfix reads). Input
 *	layout:
 *	  byte 0  bits 0-2 Postfix version (fuzz_versions[], modulo its
 *	          size); bits 4-6 the first mechanism (enum sasl_mech,
 *	          modulo SASL_MECH_COUNT)
 *	  rest    the server's lines
 *	Lines go to pf_auth_handshake_line() until the handshake is
 *	decided. Then up to FUZZ_CAS_MAX_AUTH AUTH requests follow, each
 *	with the next mechanism (alice/secret, fixed SCRAM client nonce),
 *	ids 1, 2, ...: a mechanism the handshake did not offer gets no line
 *	(Postfix answers 535 itself); otherwise the AUTH line carries the
 *	initial response, server lines are judged (pf_auth_judge) until a
 *	verdict, and each 334 challenge is base64-decoded, answered by the
 *	SASL client (sasl_client_step) and sent back as CONT, at most
 *	REPLAY_MAX_ROUNDS rounds. A challenge that is not base64 or that
 *	the client cannot answer ends the session, as in the engine.
 *
 *	Checked: the handshake result is -2..1 with a reason when
 *	negative; every AUTH and CONT line the client writes ends in LF,
 *	is at most DVAUTH_MAX_LINE bytes and parses as a Dovecot client
 *	line of that command with the request's id; verdicts have a known
 *	outcome whose SMTP code matches it (235, 334, 535, 454) and
 *	NUL-terminated texts. At most FUZZ_CAS_MAX_INPUT bytes.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "harness/postfix/pf_auth.h"
#include "harness/replay/replay.h"
#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "util/compiler.h"
#include "util/xmem.h"

#define FUZZ_CAS_MAX_INPUT	(64 * 1024)
#define FUZZ_CAS_MAX_AUTH	4

static const char *const fuzz_versions[] = {
	"2.11", "3.0", "3.4", "3.7.11", "3.9-20231112", "3.11", "3.12-20260710",
};

#define TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

struct cas {
	struct pf_version v;
	const char *p, *end;		/* server bytes not read yet */
	struct dvauth_client_msg *cm;
	struct xbuf line, raw, b64, resp;
};

/* next_line - the server's next line, 0 at EOF */
static int next_line(struct cas *c, const char **line_r, size_t *len_r)
{
	const char *lf;

	if (c->p >= c->end)
		return 0;
	lf = memchr(c->p, '\n', (size_t)(c->end - c->p));
	*line_r = c->p;
	*len_r = lf ? (size_t)(lf - c->p) : (size_t)(c->end - c->p);
	c->p += *len_r + 1;
	return 1;
}

/* check_sent - a line the client writes is a well-formed client line */
static void check_sent(struct cas *c, enum dvauth_cmd cmd, unsigned id)
{
	const char *err = NULL;

	FUZZ_CHECK(c->line.len > 0 && c->line.len <= DVAUTH_MAX_LINE);
	FUZZ_CHECK(c->line.data[c->line.len - 1] == '\n');
	FUZZ_CHECK(dvauth_parse_client_line(c->line.data, c->line.len - 1, c->cm, &err) == 0);
	FUZZ_CHECK(c->cm->cmd == cmd && c->cm->id == id);
}

/* check_verdict - a verdict is complete and its code matches it */
static void check_verdict(const struct pf_auth_verdict *vd)
{
	static const char *const codes[] = { NULL, "235", "334", "535", "454" };

	FUZZ_CHECK(TERMINATED(vd->smtp) && TERMINATED(vd->user) && TERMINATED(vd->note));
	FUZZ_CHECK(pf_auth_outcome_name(vd->outcome) != NULL);
	FUZZ_CHECK((unsigned)vd->outcome < N_ELEMENTS(codes));
	if (codes[vd->outcome] != NULL)
		FUZZ_CHECK(strncmp(vd->smtp, codes[vd->outcome], 3) == 0);
}

/* offered - the mechanism survives Postfix's filter (noanonymous) */
static int offered(const struct pf_auth_handshake *h, const char *name)
{
	const char *names[PF_AUTH_MAX_MECHS];
	size_t n, i;

	n = pf_auth_filter(h, 0, DVAUTH_MECH_ANONYMOUS, names, N_ELEMENTS(names));
	FUZZ_CHECK(n <= h->nmechs);
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* run_auth - one AUTH request; -1 when the session ends */
static int run_auth(struct cas *c, const struct pf_auth_handshake *h, enum sasl_mech mech,
		    unsigned id)
{
	const struct sasl_mech_info *mi = sasl_mech_get(mech);
	struct sasl_client_params cp;
	struct sasl_client *sc;
	struct pf_auth_verdict vd;
	const char *line, *why;
	size_t len;
	int rounds, rc = -1, have;

	FUZZ_CHECK(mi != NULL);
	if (!offered(h, mi->name))
		return 0;
	memset(&cp, 0, sizeof(cp));
	cp.authcid = "alice";
	cp.password = "secret";
	cp.authzid = mech == SASL_MECH_EXTERNAL ? "alice" : NULL;
	cp.trace = "fuzz";
	cp.cnonce = "fuzzcnonce";
	sc = sasl_client_create(mech, &cp);
	FUZZ_CHECK(sc != NULL);
	xbuf_reset(&c->raw);
	xbuf_reset(&c->b64);
	xbuf_reset(&c->line);
	if (mi->client_first) {
		FUZZ_CHECK(sasl_client_initial(sc, &c->raw) >= 0);
		if (c->raw.len == 0)
			FUZZ_CHECK(xbuf_append_str(&c->b64, "=") == 0);
		else
			FUZZ_CHECK(base64_encode(c->raw.data, c->raw.len, &c->b64) == 0);
	}
	FUZZ_CHECK(pf_auth_request(&c->line, id, mi->name, "smtp", "127.0.0.1", "127.0.0.1", 0,
				   c->b64.len ? xbuf_cstr(&c->b64) : NULL) == 0);
	check_sent(c, DVAUTH_AUTH, id);
	for (rounds = 0; rounds < REPLAY_MAX_ROUNDS; rounds++) {
		have = 0;
		while (!have && next_line(c, &line, &len)) {
			memset(&vd, 0x5a, sizeof(vd));
			pf_auth_judge(&c->v, id, line, len, &vd);
			check_verdict(&vd);
			have = vd.outcome != PF_AUTH_SKIP;
		}
		if (!have)
			goto out;	/* EOF: Postfix answers 454 */
		if (vd.outcome != PF_AUTH_MORE) {
			rc = 0;
			goto out;
		}
		xbuf_reset(&c->raw);
		why = NULL;
		if (base64_decode(vd.smtp + 4, strlen(vd.smtp + 4), 0, &c->raw, &why) < 0) {
			FUZZ_CHECK(why != NULL);
			goto out;
		}
		xbuf_reset(&c->resp);
		why = NULL;
		if (sasl_client_step(sc, c->raw.data ? c->raw.data : "", c->raw.len, &c->resp,
				     &why) < 0) {
			FUZZ_CHECK(why != NULL && *why != '\0');
			goto out;
		}
		xbuf_reset(&c->b64);
		xbuf_reset(&c->line);
		if (base64_encode(c->resp.data ? c->resp.data : "", c->resp.len, &c->b64) < 0 ||
		    dvauth_format_cont(&c->line, id, c->b64.data ? c->b64.data : "", c->b64.len) < 0)
			goto out;	/* over a bound: the engine fails the step */
		check_sent(c, DVAUTH_CONT, id);
	}
out:
	sasl_client_destroy(&sc);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_auth_handshake h;
	struct cas c;
	const char *line;
	size_t len;
	unsigned k;
	int rc = 0;

	if (size < 1 || size > FUZZ_CAS_MAX_INPUT)
		return 0;
	FUZZ_CHECK(pf_version_parse(fuzz_versions[(data[0] & 7) % N_ELEMENTS(fuzz_versions)],
				    &c.v) == 0);
	c.p = (const char *)data + 1;
	c.end = (const char *)data + size;
	pf_auth_handshake_init(&h, &c.v);
	while (rc == 0 && next_line(&c, &line, &len))
		rc = pf_auth_handshake_line(&h, line, len);
	FUZZ_CHECK(rc >= -2 && rc <= 1);
	FUZZ_CHECK(TERMINATED(h.why) && TERMINATED(h.notes));
	FUZZ_CHECK(h.nmechs <= PF_AUTH_MAX_MECHS);
	if (rc < 0)
		FUZZ_CHECK(h.why[0] != '\0');
	if (rc != 1)
		return 0;
	c.cm = xmalloc(sizeof(*c.cm));
	xbuf_init(&c.line, DVAUTH_MAX_LINE * 4);
	xbuf_init(&c.raw, SASL_MAX_MESSAGE);
	xbuf_init(&c.b64, SASL_MAX_MESSAGE * 2);
	xbuf_init(&c.resp, SASL_MAX_MESSAGE);
	for (k = 0; k < FUZZ_CAS_MAX_AUTH; k++) {
		enum sasl_mech m = (enum sasl_mech)((((unsigned)data[0] >> 4) + k) % SASL_MECH_COUNT);

		if (run_auth(&c, &h, m, k + 1) < 0)
			break;
	}
	xbuf_free(&c.line);
	xbuf_free(&c.raw);
	xbuf_free(&c.b64);
	xbuf_free(&c.resp);
	free(c.cm);
	return 0;
}
