/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_sig - finding signatures: normalized texts, the table, summaries
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_sig.h"
 *
 *	void fuzz_summary_text(FILE *fp, const struct fuzz_options *o,
 *	                       const struct fuzz_result *res);
 *	void fuzz_summary_json(FILE *fp, const struct fuzz_options *o,
 *	                       const struct fuzz_result *res);
 * DESCRIPTION
 *	See fuzz_sig.h. fuzz_summary_text() writes the run's figures, the
 *	hits by kind and one paragraph per signature (its hits, where
 *	Postfix suffers, the helper's last line, its transcript).
 *	fuzz_summary_json() writes the same as one JSON object on one line:
 *
 *	  {"tool": "fake-smtpd fuzz", "version", "commit", "protocol",
 *	   "target", "seed", "execs", "seconds", "exec_per_s",
 *	   "connections", "findings", "by_kind": {KIND: N, ...},
 *	   "signatures": [{"id", "kind", "status", "signal", "exit_status",
 *	                   "where", "symptom", "last_line", "hits",
 *	                   "first_exec", "detail", "file", "postfix_shaped",
 *	                   "kept", "units"}, ...],
 *	   "other_hits", "out", "corpus", "corpus_loaded", "corpus_kept",
 *	   "stopped"}
 *
 *	"signal" and "exit_status" are numbers or null; "last_line",
 *	"file", "out", "corpus" and "stopped" are null when there is none;
 *	"kept" and "units" are 0 when the finding was not minimized.
 * DIAGNOSTICS
 *	None.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness/fuzz/fuzz_sig.h"
#include "util/version.h"

/* fuzz_result_findings - every hit of every kind */
uint64_t fuzz_result_findings(const struct fuzz_result *res)
{
	uint64_t n = 0;
	unsigned k;

	for (k = 0; k < FUZZ_NKINDS; k++)
		n += res->findings[k];
	return n;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hexish(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == 'x' ||
	       c == 'X';
}

/* fuzz_sig_norm - the text of a signature, the same for every hit of one bug */
void fuzz_sig_norm(char *dst, size_t size, const char *src)
{
	size_t n = 0, i = 0, end = strlen(src);

	if (size == 0)
		return;
	while (i < end && (src[i] == ' ' || src[i] == '\t'))
		i++;
	while (end > i && (src[end - 1] == ' ' || src[end - 1] == '\t' || src[end - 1] == '\r'))
		end--;
	while (i < end && n + 1 < size) {
		char c = src[i];
		const char *close;

		if (is_digit(c)) {
			while (i < end && is_hexish(src[i]))
				i++;
			dst[n++] = 'N';
			continue;
		}
		if ((c == '\'' || c == '"') &&
		    (close = memchr(src + i + 1, c, end - i - 1)) != NULL) {
			if (n + 3 >= size)
				break;
			dst[n++] = c;
			dst[n++] = '*';
			dst[n++] = c;
			i = (size_t)(close - src) + 1;
			continue;
		}
		dst[n++] = (unsigned char)c < 0x20 || (unsigned char)c >= 0x7f ? '?' : c;
		i++;
	}
	dst[n] = '\0';
}

/* fuzz_sig_find - the signature like key, or NULL */
struct fuzz_sig *fuzz_sig_find(struct fuzz_result *res, const struct fuzz_sig *key)
{
	unsigned i;

	for (i = 0; i < res->nsig; i++) {
		struct fuzz_sig *s = &res->sig[i];

		if (s->kind == key->kind && s->status == key->status &&
		    strcmp(s->last, key->last) == 0 && strcmp(s->symptom, key->symptom) == 0 &&
		    strcmp(s->where, key->where) == 0)
			return s;
	}
	return NULL;
}

/* utf8_len - the length of a valid UTF-8 sequence at s, or 0 */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	cp = s[0] & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* fuzz_json_str - s as a JSON string */
int fuzz_json_str(struct xbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (xbuf_append_char(out, '"') < 0)
		return -1;
	while (*p) {
		size_t n = 1;
		int rc;

		if (*p == '"' || *p == '\\')
			rc = xbuf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			rc = xbuf_printf(out, "\\u%04x", *p);
		else if (*p < 0x80)
			rc = xbuf_append_char(out, (char)*p);
		else if ((n = utf8_len(p)) > 0)
			rc = xbuf_append(out, p, n);
		else
			rc = xbuf_append_str(out, "\\ufffd");
		if (rc < 0)
			return -1;
		p += n ? n : 1;
	}
	return xbuf_append_char(out, '"');
}

/* json_str_or_null - a string, or null when s is NULL or empty */
static void json_str_or_null(struct xbuf *b, const char *s)
{
	if (s == NULL || s[0] == '\0')
		(void)!xbuf_append_str(b, "null");
	else
		(void)!fuzz_json_str(b, s);
}

/* json_sig - one signature as a JSON object */
static void json_sig(struct xbuf *b, const struct fuzz_options *o, const struct fuzz_sig *s,
		     unsigned id)
{
	char path[4200];

	(void)!xbuf_printf(b, "{\"id\":%u,\"kind\":\"%s\",\"status\":", id, fuzz_kind_name(s->kind));
	json_str_or_null(b, s->status_text);
	if (s->kind == FUZZ_CRASH && WIFSIGNALED(s->status))
		(void)!xbuf_printf(b, ",\"signal\":%d,\"exit_status\":null", WTERMSIG(s->status));
	else if (s->kind == FUZZ_EXIT && WIFEXITED(s->status))
		(void)!xbuf_printf(b, ",\"signal\":null,\"exit_status\":%d", WEXITSTATUS(s->status));
	else
		(void)!xbuf_append_str(b, ",\"signal\":null,\"exit_status\":null");
	(void)!xbuf_append_str(b, ",\"where\":");
	(void)!fuzz_json_str(b, s->where);
	(void)!xbuf_append_str(b, ",\"symptom\":");
	(void)!fuzz_json_str(b, s->symptom);
	(void)!xbuf_append_str(b, ",\"last_line\":");
	json_str_or_null(b, s->last);
	(void)!xbuf_printf(b, ",\"hits\":%llu,\"first_exec\":%llu,\"detail\":",
			   (unsigned long long)s->hits, (unsigned long long)s->first_exec);
	(void)!fuzz_json_str(b, s->detail);
	(void)!xbuf_append_str(b, ",\"file\":");
	snprintf(path, sizeof(path), "%s/%s", o->out ? o->out : "", s->file);
	json_str_or_null(b, s->file[0] ? path : NULL);
	(void)!xbuf_printf(b, ",\"postfix_shaped\":%s,\"kept\":%u,\"units\":%u}",
			   s->shaped ? "true" : "false", s->kept, s->units);
}

/* fuzz_summary_json - the run as one JSON object */
void fuzz_summary_json(FILE *fp, const struct fuzz_options *o, const struct fuzz_result *res)
{
	struct xbuf b;
	char seed[32];
	unsigned k;

	xbuf_init(&b, 16 * 1024 * 1024);
	(void)!xbuf_printf(&b, "{\"tool\":\"fake-smtpd fuzz\",\"version\":\"%s\",\"commit\":",
			   version_release());
	(void)!fuzz_json_str(&b, version_commit());
	(void)!xbuf_printf(&b, ",\"protocol\":\"%s\",\"target\":",
			   o->proto == FUZZ_PROTO_AUTH ? "auth" : "policy");
	(void)!fuzz_json_str(&b, o->target_text ? o->target_text : o->target->text);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)o->seed);
	(void)!xbuf_printf(&b, ",\"seed\":%s,\"execs\":%llu,\"seconds\":%.3f,\"exec_per_s\":%.1f,"
			   "\"connections\":%llu,\"findings\":%llu,\"by_kind\":{", seed,
			   (unsigned long long)res->execs, res->elapsed,
			   res->elapsed > 0 ? (double)res->execs / res->elapsed : 0.0,
			   (unsigned long long)res->connections,
			   (unsigned long long)fuzz_result_findings(res));
	for (k = 0; k < FUZZ_NKINDS; k++)
		(void)!xbuf_printf(&b, "%s\"%s\":%llu", k ? "," : "",
				   fuzz_kind_name((enum fuzz_kind)k),
				   (unsigned long long)res->findings[k]);
	(void)!xbuf_append_str(&b, "},\"signatures\":[");
	for (k = 0; k < res->nsig; k++) {
		if (k > 0)
			(void)!xbuf_append_char(&b, ',');
		json_sig(&b, o, &res->sig[k], k + 1);
	}
	(void)!xbuf_printf(&b, "],\"other_hits\":%llu,\"out\":", (unsigned long long)res->other_hits);
	json_str_or_null(&b, o->out);
	(void)!xbuf_append_str(&b, ",\"corpus\":");
	json_str_or_null(&b, o->corpus);
	(void)!xbuf_printf(&b, ",\"corpus_loaded\":%u,\"corpus_kept\":%u,\"stopped\":",
			   res->corpus_loaded, res->corpus_kept);
	json_str_or_null(&b, res->stopped);
	(void)!xbuf_append_str(&b, "}\n");
	(void)fwrite(b.data, 1, b.len, fp);
	xbuf_free(&b);
}

/* fuzz_summary_text - figures, hits by kind, one paragraph per signature */
void fuzz_summary_text(FILE *fp, const struct fuzz_options *o, const struct fuzz_result *res)
{
	unsigned k;

	fprintf(fp, "%llu execs in %.1f s, %.0f exec/s, %llu connections\n",
		(unsigned long long)res->execs, res->elapsed,
		res->elapsed > 0 ? (double)res->execs / res->elapsed : 0.0,
		(unsigned long long)res->connections);
	fprintf(fp, "findings: %llu in %u signature%s (", (unsigned long long)fuzz_result_findings(res),
		res->nsig, res->nsig == 1 ? "" : "s");
	for (k = 0; k < FUZZ_NKINDS; k++)
		fprintf(fp, "%s%s %llu", k ? ", " : "", fuzz_kind_name((enum fuzz_kind)k),
			(unsigned long long)res->findings[k]);
	fprintf(fp, ")%s%s\n", res->written && o->out ? ", transcripts in " : "",
		res->written && o->out ? o->out : "");
	for (k = 0; k < res->nsig; k++) {
		const struct fuzz_sig *s = &res->sig[k];

		fprintf(fp, "signature %u: %s%s%s in the %s: %llu hit%s, first at exec %llu%s%s%s%s\n",
			k + 1, fuzz_kind_name(s->kind), s->status_text[0] ? ", " : "",
			s->status_text, s->where, (unsigned long long)s->hits,
			s->hits == 1 ? "" : "s", (unsigned long long)s->first_exec,
			s->file[0] ? " -> " : "", s->file[0] ? o->out : "", s->file[0] ? "/" : "",
			s->file);
		fprintf(fp, "  Postfix: %s\n", s->symptom);
		if (s->last[0])
			fprintf(fp, "  the helper's last line: %s\n", s->last);
	}
	if (res->other_hits)
		fprintf(fp, "%llu more hits of signatures beyond the first %d\n",
			(unsigned long long)res->other_hits, FUZZ_MAX_SIGS);
	if (res->stopped[0])
		fprintf(fp, "stopped: %s\n", res->stopped);
}
