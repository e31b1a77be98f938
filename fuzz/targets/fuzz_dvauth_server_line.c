/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_dvauth_server_line - fuzz target for dvauth_parse_server_line()
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is one server -> client line without its LF, at most
 *	DVAUTH_MAX_LINE - 1 bytes (the framing layer's bound). Every view
 *	the parser returns is checked to lie inside the input. A line that
 *	parses is written again with the matching dvauth_format_*() and
 *	the result parsed once more: both parses must agree (command,
 *	numbers, flags, parameters, data).
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/dvauth.h"
#include "util/xmem.h"

/* inside - v lies within [p, p + n) */
static int inside(struct strview v, const char *p, size_t n)
{
	return v.p >= p && v.len <= n && (size_t)(v.p - p) <= n - v.len;
}

/* sv_same - two views hold the same bytes */
static int sv_same(struct strview a, struct strview b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* reformat - write m again as a line (LF stripped); 0 when not possible */
static int reformat(const struct dvauth_server_msg *m, struct xbuf *out)
{
	char *s;
	int rc;

	switch (m->cmd) {
	case DVAUTH_VERSION:
		rc = dvauth_format_version(out, m->major, m->minor);
		break;
	case DVAUTH_MECH:
		if (memchr(m->mech.p, '\0', m->mech.len) != NULL)
			return 0;
		s = xstrndup(m->mech.p, m->mech.len);
		rc = dvauth_format_mech(out, s, m->mech_flags);
		free(s);
		break;
	case DVAUTH_SPID:
		rc = dvauth_format_spid(out, m->num);
		break;
	case DVAUTH_CUID:
		rc = dvauth_format_cuid(out, m->num);
		break;
	case DVAUTH_DONE:
		rc = dvauth_format_done(out);
		break;
	case DVAUTH_OK:
		rc = dvauth_format_ok(out, m->id, m->params, m->nparams);
		break;
	case DVAUTH_FAIL:
		rc = dvauth_format_fail(out, m->id, m->params, m->nparams);
		break;
	case DVAUTH_CONT:
		rc = dvauth_format_cont(out, m->id, m->data.p, m->data.len);
		break;
	case DVAUTH_CANCELLED:
		rc = dvauth_format_cancelled(out, m->id);
		break;
	default:
		return 0;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(out->len > 0 && out->data[out->len - 1] == '\n');
	out->len--;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data, *err = NULL;
	struct dvauth_server_msg *m, *m2;
	struct xbuf out;
	size_t i;

	if (size >= DVAUTH_MAX_LINE)
		return 0;
	m = xmalloc(sizeof(*m));
	m2 = xmalloc(sizeof(*m2));
	xbuf_init(&out, 4 * DVAUTH_MAX_LINE);
	if (dvauth_parse_server_line(line, size, m, &err) < 0) {
		FUZZ_CHECK(err != NULL && *err != '\0');
		goto done;
	}
	FUZZ_CHECK(m->fields.n >= 1 && m->fields.n <= DVAUTH_MAX_FIELDS);
	for (i = 0; i < m->fields.n; i++)
		FUZZ_CHECK(inside(m->fields.f[i], line, size));
	FUZZ_CHECK(m->nparams <= DVAUTH_MAX_PARAMS);
	for (i = 0; i < m->nparams; i++) {
		FUZZ_CHECK(inside(m->params[i].name, line, size));
		FUZZ_CHECK(inside(m->params[i].value, line, size));
	}
	if (m->cmd == DVAUTH_MECH)
		FUZZ_CHECK(m->mech.len > 0 && inside(m->mech, line, size));
	if (m->cmd == DVAUTH_CONT)
		FUZZ_CHECK(inside(m->data, line, size));
	if (m->cmd == DVAUTH_COOKIE)
		FUZZ_CHECK(inside(m->cookie, line, size));

	if (!reformat(m, &out))
		goto done;
	err = NULL;
	FUZZ_CHECK(dvauth_parse_server_line(out.data, out.len, m2, &err) == 0);
	FUZZ_CHECK(m2->cmd == m->cmd);
	switch (m->cmd) {
	case DVAUTH_VERSION:
		FUZZ_CHECK(m2->major == m->major && m2->minor == m->minor);
		break;
	case DVAUTH_MECH:
		FUZZ_CHECK(sv_same(m2->mech, m->mech));
		FUZZ_CHECK(m2->mech_flags == m->mech_flags && m2->mech_unknown_flags == 0);
		break;
	case DVAUTH_SPID:
	case DVAUTH_CUID:
		FUZZ_CHECK(m2->num == m->num);
		break;
	case DVAUTH_OK:
	case DVAUTH_FAIL:
		FUZZ_CHECK(m2->id == m->id && m2->nparams == m->nparams);
		for (i = 0; i < m->nparams; i++) {
			FUZZ_CHECK(sv_same(m2->params[i].name, m->params[i].name));
			FUZZ_CHECK(sv_same(m2->params[i].value, m->params[i].value));
			FUZZ_CHECK(m2->params[i].has_value == m->params[i].has_value);
		}
		break;
	case DVAUTH_CONT:
		/* fields after data (2.4's channel_binding=) are not written */
		FUZZ_CHECK(m2->id == m->id && sv_same(m2->data, m->data));
		break;
	case DVAUTH_CANCELLED:
		FUZZ_CHECK(m2->id == m->id);
		break;
	default:
		break;
	}
done:
	xbuf_free(&out);
	free(m);
	free(m2);
	return 0;
}
