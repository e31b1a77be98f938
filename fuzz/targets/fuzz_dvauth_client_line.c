/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_dvauth_client_line - fuzz target for dvauth_parse_client_line()
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is one client -> server line (what a reference auth
 *	server reads) without its LF, at most DVAUTH_MAX_LINE - 1 bytes.
 *	Every view is checked to lie inside the input; AUTH's counts must
 *	add up to its field count; a parsed VERSION, CPID, AUTH, CONT or
 *	CANCEL is written again with dvauth_format_*() and must parse to
 *	the same message. The resp= value and CONT data are unescaped to
 *	exercise dvauth_unescape() on real field boundaries.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/dvauth.h"
#include "util/xmem.h"

static int inside(struct strview v, const char *p, size_t n)
{
	return v.p >= p && v.len <= n && (size_t)(v.p - p) <= n - v.len;
}

static int sv_same(struct strview a, struct strview b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* reformat - write m again as a line (LF stripped); 0 when not possible */
static int reformat(const struct dvauth_client_msg *m, struct xbuf *out)
{
	char *mech;
	int rc;

	switch (m->cmd) {
	case DVAUTH_VERSION:
		rc = dvauth_format_version(out, m->major, m->minor);
		break;
	case DVAUTH_CPID:
		rc = dvauth_format_cpid(out, m->pid);
		break;
	case DVAUTH_AUTH:
		/* fields after resp= are not written by the formatter */
		if (m->params_after_resp > 0 || memchr(m->mech.p, '\0', m->mech.len))
			return 0;
		mech = xstrndup(m->mech.p, m->mech.len);
		rc = dvauth_format_auth(out, m->id, mech, m->params, m->nparams,
					m->has_resp ? m->resp.p : NULL, m->resp.len);
		free(mech);
		break;
	case DVAUTH_CONT:
		if (!m->has_data || m->extra_fields > 0)
			return 0;
		rc = dvauth_format_cont(out, m->id, m->data.p, m->data.len);
		break;
	case DVAUTH_CANCEL:
		rc = dvauth_format_cancel(out, m->id);
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
	struct dvauth_client_msg *m, *m2;
	struct xbuf out, val;
	size_t i;

	if (size >= DVAUTH_MAX_LINE)
		return 0;
	m = xmalloc(sizeof(*m));
	m2 = xmalloc(sizeof(*m2));
	xbuf_init(&out, 4 * DVAUTH_MAX_LINE);
	xbuf_init(&val, DVAUTH_MAX_LINE);
	if (dvauth_parse_client_line(line, size, m, &err) < 0) {
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
	if (m->cmd == DVAUTH_AUTH) {
		FUZZ_CHECK(m->id != 0 && inside(m->mech, line, size));
		FUZZ_CHECK(3 + m->nparams + (m->has_resp ? 1 : 0) +
			   m->params_after_resp == m->fields.n);
		if (m->has_resp) {
			FUZZ_CHECK(inside(m->resp, line, size));
			FUZZ_CHECK(dvauth_unescape(m->resp.p, m->resp.len, &val) == 0);
			FUZZ_CHECK(val.len <= m->resp.len);
		}
	}
	if (m->cmd == DVAUTH_CONT && m->has_data) {
		FUZZ_CHECK(inside(m->data, line, size));
		FUZZ_CHECK(dvauth_unescape(m->data.p, m->data.len, &val) == 0);
	}
	if (m->cmd == DVAUTH_CPID)
		FUZZ_CHECK(m->pid != 0);

	if (!reformat(m, &out))
		goto done;
	err = NULL;
	FUZZ_CHECK(dvauth_parse_client_line(out.data, out.len, m2, &err) == 0);
	FUZZ_CHECK(m2->cmd == m->cmd);
	switch (m->cmd) {
	case DVAUTH_VERSION:
		FUZZ_CHECK(m2->major == m->major && m2->minor == m->minor);
		break;
	case DVAUTH_CPID:
		FUZZ_CHECK(m2->pid == m->pid);
		break;
	case DVAUTH_AUTH:
		FUZZ_CHECK(m2->id == m->id && sv_same(m2->mech, m->mech));
		FUZZ_CHECK(m2->nparams == m->nparams && m2->has_resp == m->has_resp);
		for (i = 0; i < m->nparams; i++) {
			FUZZ_CHECK(sv_same(m2->params[i].name, m->params[i].name));
			FUZZ_CHECK(sv_same(m2->params[i].value, m->params[i].value));
		}
		if (m->has_resp)
			FUZZ_CHECK(sv_same(m2->resp, m->resp));
		break;
	case DVAUTH_CONT:
		FUZZ_CHECK(m2->id == m->id && m2->has_data && sv_same(m2->data, m->data));
		break;
	case DVAUTH_CANCEL:
		FUZZ_CHECK(m2->id == m->id);
		break;
	default:
		break;
	}
done:
	xbuf_free(&val);
	xbuf_free(&out);
	free(m);
	free(m2);
	return 0;
}
