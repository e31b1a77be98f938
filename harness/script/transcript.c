/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	transcript - parse a transcript file into an op list
 * SYNOPSIS
 *	#include "harness/script/transcript.h"
 *
 *	int transcript_parse(const char *buf, size_t len, const char *file,
 *	                     struct transcript *t_r, char *err, size_t errlen);
 *	void transcript_free(struct transcript *t);
 * DESCRIPTION
 *	The grammar is in transcript.h. The whole file is parsed before
 *	anything is run (OpenSMTPD smtpscript): a broken transcript never
 *	sends a byte. Lines end in LF; one CR before the LF is dropped (a CR
 *	to send is written \r). Statement arguments other than C:/S: text are
 *	separated by blanks; a double-quoted part keeps its blanks ("\"" is a
 *	quote inside it). Bounds: TRANSCRIPT_MAX_FILE bytes,
 *	TRANSCRIPT_MAX_LINE bytes per line, TRANSCRIPT_MAX_OPS statements,
 *	TRANSCRIPT_MAX_GROUP lines per anyorder block, TRANSCRIPT_MAX_ARGS
 *	arguments per statement.
 * DIAGNOSTICS
 *	-1 with "file:line: what is wrong" in err, e.g.
 *	"t.tr:7: S~ wants /regex/", "t.tr:3: unknown statement \"foo\"";
 *	"file:line:column:" when the column matters: an S~ pattern beyond
 *	the bounds of util/rebound ("t.tr:9:6: S~: repetition operator
 *	after a repetition operator ...").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/script/transcript.h"
#include "proto/sasl.h"
#include "util/rebound.h"
#include "util/xmem.h"

struct pctx {
	const char *file;
	unsigned line;
	char *err;
	size_t errlen;
	struct transcript *t;
	int have_protocol;
	struct top *group;	/* open anyorder block */
	unsigned group_line;
	size_t cap;
	const char *bol;	/* start of the current line, for columns */
};

static int perr(struct pctx *x, const char *fmt, ...) ATTR_PRINTF(2, 3);
static int perr_col(struct pctx *x, size_t col, const char *fmt, ...) ATTR_PRINTF(3, 4);
static int vperr(struct pctx *x, size_t col, const char *fmt, va_list ap) ATTR_PRINTF(3, 0);

/* vperr - "file:line: " or, with col > 0, "file:line:col: ", then the message */
static int vperr(struct pctx *x, size_t col, const char *fmt, va_list ap)
{
	int n = col > 0 ? snprintf(x->err, x->errlen, "%s:%u:%zu: ", x->file, x->line, col)
			: snprintf(x->err, x->errlen, "%s:%u: ", x->file, x->line);

	if (n < 0 || (size_t)n >= x->errlen)
		return -1;
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	return -1;
}

static int perr(struct pctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr(x, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* perr_col - perr with a column (1-based byte offset in the line) */
static int perr_col(struct pctx *x, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr(x, col, fmt, ap);
	va_end(ap);
	return -1;
}

const char *transcript_op_name(enum top_kind k)
{
	static const char *const names[] = {
		[TOP_SEND] = "C:", [TOP_EXPECT] = "S:", [TOP_ANYORDER] = "anyorder",
		[TOP_EXPECT_CLOSE] = "expect close", [TOP_EXPECT_SILENCE] = "expect silence",
		[TOP_EXPECT_SMTP] = "expect smtp", [TOP_EXPECT_ACTION] = "expect action",
		[TOP_HANDSHAKE] = "handshake", [TOP_AUTH] = "auth", [TOP_CONT] = "cont",
		[TOP_POLICY] = "policy", [TOP_RECONNECT] = "reconnect", [TOP_SLEEP] = "sleep",
		[TOP_SESSION] = "session",
	};

	return (size_t)k < N_ELEMENTS(names) && names[k] ? names[k] : "?";
}

/* tokenize - blank-separated words, double quotes keep blanks */
static int tokenize(struct pctx *x, const char *p, size_t len, char **argv, size_t *argc_r)
{
	size_t i = 0, n = 0;

	*argc_r = 0;
	while (i < len) {
		struct xbuf w;
		int quoted = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i >= len)
			break;
		if (n >= TRANSCRIPT_MAX_ARGS)
			return perr(x, "more than %d arguments", TRANSCRIPT_MAX_ARGS);
		xbuf_init(&w, TRANSCRIPT_MAX_LINE);
		while (i < len && (quoted || (p[i] != ' ' && p[i] != '\t'))) {
			int rc;

			if (p[i] == '"') {
				quoted = !quoted;
				i++;
				continue;
			}
			if (quoted && p[i] == '\\' && i + 1 < len && p[i + 1] == '"') {
				rc = xbuf_append_char(&w, '"');
				i += 2;
			} else {
				rc = xbuf_append_char(&w, p[i]);
				i++;
			}
			if (rc < 0) {
				xbuf_free(&w);
				return perr(x, "argument too long");
			}
		}
		if (quoted) {
			xbuf_free(&w);
			return perr(x, "unclosed double quote");
		}
		argv[n++] = xstrdup(xbuf_cstr(&w));
		*argc_r = n;
		xbuf_free(&w);
	}
	*argc_r = n;
	return 0;
}

static void free_args(char **argv, size_t argc)
{
	size_t i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
}

/* new_op - the next op slot, in the file or in the open anyorder block */
static struct top *new_op(struct pctx *x, enum top_kind k)
{
	struct transcript *t = x->t;
	struct top *op;

	if (t->nops >= TRANSCRIPT_MAX_OPS) {
		perr(x, "more than %d statements", TRANSCRIPT_MAX_OPS);
		return NULL;
	}
	if (t->nops == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 32;
		t->ops = xrealloc(t->ops, x->cap * sizeof(*t->ops));
	}
	op = &t->ops[t->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = k;
	op->line = x->line;
	return op;
}

static int compile_at(struct pctx *x, const char *what, const char *src, size_t len,
		      unsigned flags, struct tpat *p)
{
	const char *why;

	if (tpat_compile(src, len, flags, p, &why) < 0)
		return perr(x, "%s: %s", what, why);
	return 0;
}

/* parse_duration - "200ms", "2s", or "200" "ms" */
static int parse_duration(struct pctx *x, char **argv, size_t argc, size_t *i, unsigned *ms_r)
{
	const char *s;
	char *end;
	unsigned long v, mul;

	if (*i >= argc)
		return perr(x, "missing duration (e.g. 200ms or 2s)");
	s = argv[(*i)++];
	if (s[0] < '0' || s[0] > '9')
		return perr(x, "bad duration \"%s\" (e.g. 200ms or 2s)", s);
	v = strtoul(s, &end, 10);
	if (*end == '\0' && *i < argc &&
	    (strcmp(argv[*i], "ms") == 0 || strcmp(argv[*i], "s") == 0))
		end = argv[(*i)++];
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else
		return perr(x, "bad duration \"%s\" (e.g. 200ms or 2s)", s);
	if (v > TRANSCRIPT_MAX_MS / mul)
		return perr(x, "duration above %u s", TRANSCRIPT_MAX_MS / 1000);
	*ms_r = (unsigned)(v * mul);
	return 0;
}

static int is_code(const char *s)
{
	return strlen(s) == 3 && s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' &&
	       s[2] >= '0' && s[2] <= '9';
}

/* parse_expect_line - S: S? S~ (also inside anyorder) */
static int parse_expect_line(struct pctx *x, struct top *op, char kind, const char *text,
			     size_t len)
{
	if (kind == '~') {
		const char *bound;
		char *re;
		size_t i, j, off;
		int rc;

		if (len < 2 || text[0] != '/' || text[len - 1] != '/')
			return perr(x, "S~ wants /regex/");
		/* \t in the regex is a TAB; everything else goes to regcomp */
		re = xmalloc(len);
		for (i = 1, j = 0; i < len - 1; i++) {
			if (text[i] == '\\' && i + 1 < len - 1 && text[i + 1] == 't') {
				re[j++] = '\t';
				i++;
			} else {
				re[j++] = text[i];
			}
		}
		re[j] = '\0';
		/* regcomp's time and memory grow exponentially with stacked or
		   nested repetitions: bound the pattern before compiling it */
		bound = rebound_check(re, j, &off);
		if (bound != NULL) {
			free(re);
			for (i = 1; off > 0; off--)
				i += text[i] == '\\' && i + 1 < len - 1 && text[i + 1] == 't' ? 2 : 1;
			return perr_col(x, (size_t)(text + i - x->bol) + 1, "S~: %s", bound);
		}
		rc = regcomp(&op->re, re, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[200];

			regerror(rc, &op->re, why, sizeof(why));
			free(re);
			return perr(x, "S~: bad regular expression: %s", why);
		}
		op->is_regex = 1;
		free(re);
		return compile_at(x, "S~", text, len, TPAT_TEXT, &op->pat);
	}
	op->optional = kind == '?';
	return compile_at(x, kind == '?' ? "S?" : "S:", text, len, TPAT_GLOB, &op->pat);
}

/* wire_prefix - "C:" "C-:" "S:" "S?" "S~": length of the prefix, 0 if none */
static size_t wire_prefix(const char *p, size_t len)
{
	size_t n;

	if (len >= 3 && memcmp(p, "C-:", 3) == 0)
		n = 3;
	else if (len >= 2 && (memcmp(p, "C:", 2) == 0 || memcmp(p, "S:", 2) == 0 ||
			      memcmp(p, "S?", 2) == 0 || memcmp(p, "S~", 2) == 0))
		n = 2;
	else
		return 0;
	if (len > n && p[n] != ' ' && p[n] != '\t')
		return 0;
	return n;
}

static int parse_auth(struct pctx *x, struct top *op, char **argv, size_t argc)
{
	const struct sasl_mech_info *mi;
	size_t i, want_min, want_max, npos = 0;

	if (argc < 2)
		return perr(x, "auth wants a mechanism (auth MECH USER PASSWORD ...)");
	if (strlen(argv[1]) >= sizeof(op->mech))
		return perr(x, "auth: mechanism name too long");
	mi = sasl_mech_by_name(argv[1], strlen(argv[1]));
	if (mi == NULL)
		return perr(x, "auth: the harness does not run mechanism %s itself (PLAIN LOGIN "
			    "CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 ANONYMOUS EXTERNAL); write its "
			    "exchange with C:/S: lines", argv[1]);
	strcpy(op->mech, argv[1]);	/* as typed: Postfix keeps the client's case */
	switch (mi->mech) {
	case SASL_MECH_ANONYMOUS:
	case SASL_MECH_EXTERNAL:
		want_min = 0;
		want_max = 1;
		break;
	default:
		want_min = want_max = 2;
		break;
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "resp") == 0) {
			op->resp = TAUTH_RESP_YES;
		} else if (strcmp(a, "noresp") == 0) {
			op->resp = TAUTH_RESP_NO;
		} else if (strcmp(a, "secured") == 0) {
			op->secured = 1;
		} else if (strcmp(a, "expect") == 0) {
			if (i + 1 >= argc || !is_code(argv[i + 1]))
				return perr(x, "auth: expect wants an SMTP code (235, 535, 454 ...)");
			op->code = atoi(argv[++i]);
		} else {
			if (op->resp || op->secured || op->code)
				return perr(x, "auth: \"%s\" after the options", a);
			if (npos >= want_max)
				return perr(x, "auth %s: too many arguments at \"%s\"", mi->name, a);
			if (compile_at(x, "auth", a, strlen(a), TPAT_TEXT, &op->args[npos]) < 0)
				return -1;
			npos++;
			op->nargs = npos;
		}
	}
	if (npos < want_min)
		return perr(x, "auth %s wants USER PASSWORD", mi->name);
	if (op->resp == TAUTH_RESP_YES && !mi->client_first)
		return perr(x, "auth %s: the mechanism has no initial response", mi->name);
	return 0;
}

static int parse_policy(struct pctx *x, struct top *op, char **argv, size_t argc)
{
	size_t i;

	op->pol = xcalloc(argc, sizeof(*op->pol));
	for (i = 1; i < argc; i++) {
		struct tpolicy_arg *pa = &op->pol[op->npol];
		const char *a = argv[i], *eq = strchr(a, '=');
		const char *name = a[0] == '-' ? a + 1 : a;
		size_t nl = eq ? (size_t)(eq - a) : strlen(name);

		if (a[0] == '-' && eq)
			return perr(x, "policy: \"%s\": -NAME takes no value", a);
		if (a[0] != '-' && eq == NULL)
			return perr(x, "policy: \"%s\": want NAME=VALUE or -NAME", a);
		if (nl == 0 || nl > TPAT_MAX_NAME || memchr(name, '\n', nl))
			return perr(x, "policy: bad attribute name in \"%s\"", a);
		if (nl == 5 && memcmp(name, "state", 5) == 0)
			strcpy(pa->name, "protocol_state");
		else {
			memcpy(pa->name, name, nl);
			pa->name[nl] = '\0';
		}
		pa->remove = a[0] == '-';
		if (eq && compile_at(x, "policy", eq + 1, strlen(eq + 1), TPAT_TEXT, &pa->value) < 0)
			return -1;
		op->npol++;
	}
	return 0;
}

/* rest_after - offset of the text after the first nwords blank-separated words */
static size_t rest_after(const char *p, size_t len, int nwords)
{
	size_t i = 0;

	while (nwords-- > 0) {
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && p[i] != ' ' && p[i] != '\t')
			i++;
	}
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

static int need(struct pctx *x, enum transcript_protocol p, const char *what)
{
	if (!x->have_protocol)
		return perr(x, "%s before \"protocol auth\" or \"protocol policy\"", what);
	if (x->t->protocol != p)
		return perr(x, "%s needs protocol %s", what, p == TPROTO_AUTH ? "auth" : "policy");
	return 0;
}

/* parse_wire - a C:, C-:, S:, S?, S~ line (pre: the prefix's length) */
static int parse_wire(struct pctx *x, const char *p, size_t len, size_t pre)
{
	const char *text = p + pre + (len > pre ? 1 : 0);
	size_t tlen = len - pre - (len > pre ? 1 : 0);
	char kind = p[0] == 'C' ? 'C' : p[1] == ':' ? ':' : p[1];
	struct top *op;

	if (!x->have_protocol)
		return perr(x, "%.*s before \"protocol auth\" or \"protocol policy\"", (int)pre, p);
	if (x->group && kind == 'C')
		return perr(x, "only S:, S? and S~ lines inside anyorder (block from line %u)",
			    x->group_line);
	if (x->group) {
		if (x->group->nkids >= TRANSCRIPT_MAX_GROUP)
			return perr(x, "more than %d lines in an anyorder block", TRANSCRIPT_MAX_GROUP);
		op = &x->group->kids[x->group->nkids++];
		memset(op, 0, sizeof(*op));
		op->kind = TOP_EXPECT;
		op->line = x->line;
		return parse_expect_line(x, op, kind, text, tlen);
	}
	if (kind == 'C') {
		if ((op = new_op(x, TOP_SEND)) == NULL)
			return -1;
		op->nolf = pre == 3;
		return compile_at(x, pre == 3 ? "C-:" : "C:", text, tlen, TPAT_TEXT, &op->pat);
	}
	if ((op = new_op(x, TOP_EXPECT)) == NULL)
		return -1;
	return parse_expect_line(x, op, kind, text, tlen);
}

/* stmt_protocol - "protocol auth|policy", once */
static int stmt_protocol(struct pctx *x, char **argv, size_t argc)
{
	if (x->have_protocol)
		return perr(x, "protocol given twice");
	if (argc != 2 || (strcmp(argv[1], "auth") != 0 && strcmp(argv[1], "policy") != 0))
		return perr(x, "protocol wants auth or policy");
	x->t->protocol = strcmp(argv[1], "auth") == 0 ? TPROTO_AUTH : TPROTO_POLICY;
	x->have_protocol = 1;
	return 0;
}

/* stmt_default - "default NAME VALUE" */
static int stmt_default(struct pctx *x, char **argv, size_t argc)
{
	struct transcript *t = x->t;
	size_t n;

	if (argc != 3)
		return perr(x, "default wants NAME VALUE");
	if (t->ndefaults >= TVARS_MAX)
		return perr(x, "more than %d defaults", TVARS_MAX);
	n = strlen(argv[1]);
	if (n > TPAT_MAX_NAME || strchr(argv[1], '='))
		return perr(x, "default: bad variable name");
	memcpy(t->defaults[t->ndefaults].name, argv[1], n + 1);
	if (compile_at(x, "default", argv[2], strlen(argv[2]), TPAT_TEXT,
		       &t->defaults[t->ndefaults].value) < 0)
		return -1;
	t->ndefaults++;
	return 0;
}

/* stmt_group - "anyorder" / "S{" opens a block, "end" / "}" closes it */
static int stmt_group(struct pctx *x, char **argv, size_t argc)
{
	struct top *op;

	if (strcmp(argv[0], "end") == 0 || strcmp(argv[0], "}") == 0) {
		if (x->group == NULL)
			return perr(x, "%s without anyorder", argv[0]);
		if (x->group->nkids == 0)
			return perr(x, "empty anyorder block");
		x->group = NULL;
		return 0;
	}
	if (argc != 1)
		return perr(x, "%s takes no arguments", argv[0]);
	if ((op = new_op(x, TOP_ANYORDER)) == NULL)
		return -1;
	op->kids = xcalloc(TRANSCRIPT_MAX_GROUP, sizeof(*op->kids));
	x->group = op;
	x->group_line = x->line;
	return 0;
}

/* stmt_expect_text - "expect smtp CODE|PATTERN", "expect action PATTERN" */
static int stmt_expect_text(struct pctx *x, const char *p, size_t len, char **argv, size_t argc)
{
	int smtp = argv[1][0] == 's';
	struct top *op;
	size_t rest, n;

	if (argc < 3)
		return perr(x, "expect %s wants %s", argv[1],
			    smtp ? "a code or a reply pattern" : "an action pattern");
	if (!smtp && need(x, TPROTO_POLICY, "expect action") < 0)
		return -1;
	if ((op = new_op(x, smtp ? TOP_EXPECT_SMTP : TOP_EXPECT_ACTION)) == NULL)
		return -1;
	if (smtp && argc == 3 && is_code(argv[2])) {
		op->code = (argv[2][0] - '0') * 100 + (argv[2][1] - '0') * 10 + (argv[2][2] - '0');
		return 0;
	}
	/* the pattern is the raw rest of the line after the keyword */
	rest = rest_after(p, len, 2);
	n = len - rest;
	if (n >= 2 && p[rest] == '"' && p[len - 1] == '"') {
		rest++;
		n -= 2;
	}
	return compile_at(x, smtp ? "expect smtp" : "expect action", p + rest, n, TPAT_GLOB,
			  &op->pat);
}

/* stmt_expect - "expect close|silence D|smtp ...|action ..." */
static int stmt_expect(struct pctx *x, const char *p, size_t len, char **argv, size_t argc)
{
	struct top *op;
	size_t i = 2;

	if (argc < 2)
		return perr(x, "expect wants close, silence, smtp or action");
	if (strcmp(argv[1], "close") == 0 && argc == 2)
		return new_op(x, TOP_EXPECT_CLOSE) ? 0 : -1;
	if (strcmp(argv[1], "silence") == 0) {
		if ((op = new_op(x, TOP_EXPECT_SILENCE)) == NULL ||
		    parse_duration(x, argv, argc, &i, &op->ms) < 0)
			return -1;
		if (i != argc)
			return perr(x, "expect silence: extra \"%s\"", argv[i]);
		return 0;
	}
	if (strcmp(argv[1], "smtp") == 0 || strcmp(argv[1], "action") == 0)
		return stmt_expect_text(x, p, len, argv, argc);
	return perr(x, "expect wants close, silence DURATION, smtp CODE or action PATTERN");
}

/* transcript_auth_keyword - a word parse_auth() reads as an option, not an argument */
int transcript_auth_keyword(const char *p, size_t len)
{
	static const char *const words[] = { "resp", "noresp", "secured", "expect" };
	size_t i;

	for (i = 0; i < N_ELEMENTS(words); i++)
		if (strlen(words[i]) == len && memcmp(words[i], p, len) == 0)
			return 1;
	return 0;
}

/* stmt_auth - handshake [nosend], auth MECH ..., cont TEXT */
static int stmt_auth(struct pctx *x, const char *p, size_t len, char **argv, size_t argc)
{
	struct top *op;
	size_t rest;

	if (need(x, TPROTO_AUTH, argv[0]) < 0)
		return -1;
	if (strcmp(argv[0], "handshake") == 0) {
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "nosend") != 0))
			return perr(x, "handshake takes only \"nosend\"");
		if ((op = new_op(x, TOP_HANDSHAKE)) == NULL)
			return -1;
		op->nosend = argc == 2;
		return 0;
	}
	if (strcmp(argv[0], "auth") == 0)
		return (op = new_op(x, TOP_AUTH)) == NULL ? -1 : parse_auth(x, op, argv, argc);
	rest = rest_after(p, len, 1);
	if ((op = new_op(x, TOP_CONT)) == NULL)
		return -1;
	return compile_at(x, "cont", p + rest, len - rest, TPAT_TEXT, &op->pat);
}

/* stmt_other - policy, reconnect, session, sleep */
static int stmt_other(struct pctx *x, char **argv, size_t argc)
{
	struct top *op;
	size_t i = 1;

	if (strcmp(argv[0], "policy") == 0) {
		if (need(x, TPROTO_POLICY, "policy") < 0 || (op = new_op(x, TOP_POLICY)) == NULL)
			return -1;
		return parse_policy(x, op, argv, argc);
	}
	if (strcmp(argv[0], "reconnect") == 0) {
		if (argc != 1)
			return perr(x, "reconnect takes no arguments");
		return new_op(x, TOP_RECONNECT) ? 0 : -1;
	}
	if (strcmp(argv[0], "session") == 0) {
		if (need(x, TPROTO_AUTH, "session") < 0)
			return -1;
		if (argc != 1)
			return perr(x, "session takes no arguments");
		return new_op(x, TOP_SESSION) ? 0 : -1;
	}
	if (strcmp(argv[0], "sleep") == 0) {
		if ((op = new_op(x, TOP_SLEEP)) == NULL ||
		    parse_duration(x, argv, argc, &i, &op->ms) < 0)
			return -1;
		if (i != argc)
			return perr(x, "sleep: extra \"%s\"", argv[i]);
		return 0;
	}
	return perr(x, "unknown statement \"%s\"", argv[0]);
}

/* parse_words - a statement of words (not a wire line) */
static int parse_words(struct pctx *x, const char *p, size_t len, char **argv, size_t argc)
{
	const char *w = argv[0];

	if (x->group && strcmp(w, "end") != 0 && strcmp(w, "}") != 0)
		return perr(x, "only S:, S? and S~ lines inside anyorder (block from line %u)",
			    x->group_line);
	if (strcmp(w, "protocol") == 0)
		return stmt_protocol(x, argv, argc);
	if (strcmp(w, "default") == 0)
		return stmt_default(x, argv, argc);
	if (!x->have_protocol)
		return perr(x, "\"%s\" before \"protocol auth\" or \"protocol policy\"", w);
	if (strcmp(w, "anyorder") == 0 || strcmp(w, "S{") == 0 || strcmp(w, "end") == 0 ||
	    strcmp(w, "}") == 0)
		return stmt_group(x, argv, argc);
	if (strcmp(w, "expect") == 0)
		return stmt_expect(x, p, len, argv, argc);
	if (strcmp(w, "handshake") == 0 || strcmp(w, "auth") == 0 || strcmp(w, "cont") == 0)
		return stmt_auth(x, p, len, argv, argc);
	return stmt_other(x, argv, argc);
}

/* parse_stmt - one non-comment line */
static int parse_stmt(struct pctx *x, const char *p, size_t len)
{
	size_t pre = wire_prefix(p, len);
	char *argv[TRANSCRIPT_MAX_ARGS];
	size_t argc = 0;
	int rc;

	if (pre)
		return parse_wire(x, p, len, pre);
	if (tokenize(x, p, len, argv, &argc) < 0) {
		free_args(argv, argc);
		return -1;
	}
	rc = argc == 0 ? 0 : parse_words(x, p, len, argv, argc);
	free_args(argv, argc);
	return rc;
}

/* transcript_parse - the whole file, or nothing */
int transcript_parse(const char *buf, size_t len, const char *file, struct transcript *t_r,
		     char *err, size_t errlen)
{
	struct pctx x;
	size_t pos = 0;

	memset(t_r, 0, sizeof(*t_r));
	memset(&x, 0, sizeof(x));
	t_r->file = xstrdup(file);
	x.file = file;
	x.err = err;
	x.errlen = errlen;
	x.t = t_r;
	if (len > TRANSCRIPT_MAX_FILE) {
		perr(&x, "file larger than %d bytes", TRANSCRIPT_MAX_FILE);
		goto fail;
	}
	while (pos < len) {
		const char *p = buf + pos, *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;

		x.bol = p;
		pos += n + (nl ? 1 : 0);
		x.line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > TRANSCRIPT_MAX_LINE) {
			perr(&x, "line longer than %d bytes", TRANSCRIPT_MAX_LINE);
			goto fail;
		}
		if (memchr(p, '\0', n)) {
			perr(&x, "NUL byte in the line (write \\0 or \\x00)");
			goto fail;
		}
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n == 0)
			continue;
		if (*p == '#') {
			if (t_r->title[0] == '\0' && t_r->nops == 0) {
				size_t k = 1;

				while (k < n && (p[k] == ' ' || p[k] == '\t'))
					k++;
				snprintf(t_r->title, sizeof(t_r->title), "%.*s", (int)(n - k), p + k);
			}
			continue;
		}
		if (parse_stmt(&x, p, n) < 0)
			goto fail;
	}
	if (x.group) {
		x.line = x.group_line;
		perr(&x, "anyorder block has no end");
		goto fail;
	}
	if (!x.have_protocol) {
		x.line = x.line ? x.line : 1;
		perr(&x, "no \"protocol auth\" or \"protocol policy\" line");
		goto fail;
	}
	return 0;
fail:
	transcript_free(t_r);
	return -1;
}

static void op_free(struct top *op)
{
	size_t i;

	tpat_free(&op->pat);
	if (op->is_regex)
		regfree(&op->re);
	for (i = 0; i < op->nkids; i++)
		op_free(&op->kids[i]);
	free(op->kids);
	for (i = 0; i < op->nargs; i++)
		tpat_free(&op->args[i]);
	for (i = 0; i < op->npol; i++)
		tpat_free(&op->pol[i].value);
	free(op->pol);
}

void transcript_free(struct transcript *t)
{
	size_t i;

	for (i = 0; i < t->nops; i++)
		op_free(&t->ops[i]);
	free(t->ops);
	for (i = 0; i < t->ndefaults; i++)
		tpat_free(&t->defaults[i].value);
	free(t->file);
	memset(t, 0, sizeof(*t));
}
