/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	smtpdh_mutator - AFL++ custom mutator for the auth and policy protocols
 * SYNOPSIS
 *	AFL_CUSTOM_MUTATOR_LIBRARY=build/fuzz-afl/libsmtpdh-mutator.so
 *	SMTPDH_MUTATOR_PREFIX=N		(selector bytes, 0..8; default 0)
 * DESCRIPTION
 *	Mutates inputs as the protocols see them: a body of LF-separated
 *	lines whose fields are separated by TAB (Dovecot auth) or name=value
 *	(policy), after N leading selector bytes (the targets' byte 0 or
 *	bytes 0-1: version, flags, faults). Each call applies one to four of:
 *	  line-del, line-dup, line-swap, line-ins (a line of the splice
 *	  input add_buf, or of this input), splice (this input's first
 *	  lines, add_buf's last lines);
 *	  field-del, field-dup, field-swap, field-ins in one line (TAB
 *	  fields, else "="-separated, else SP-separated);
 *	  attr-swap: two neighbouring name=value lines (attribute order);
 *	  tab-escape: a TAB becomes Dovecot's \001t, or a \001 escape with
 *	  a random or invalid letter is planted;
 *	  boundary: a value replaced by 0, 1, 8191, 8192, 8193, 16383,
 *	  16384, 16385 or 65536 bytes;
 *	  number: a decimal number replaced by 0, 1, 2^32-1, 2^32, 2^64-1,
 *	  2^64 or -1;
 *	  b64-reencode: a base64 token decoded, its bytes changed (bit
 *	  flip, cut, byte added, replaced by a SASL message) and encoded
 *	  again; b64-corrupt: a character dropped, "=" or an invalid
 *	  character inserted, padding removed or added;
 *	  cr: a CR before an LF, or at a random place;
 *	  keyword: a line's first field replaced by a protocol word.
 *	The selector bytes are copied, except that one call in 16 flips one
 *	bit of one of them (the targets read them modulo their tables, so
 *	any value is sane; flipping keeps most of them as they were).
 *
 *	Deterministic for a given seed (afl_custom_init's), never reads
 *	outside buf/add_buf, never writes more than max_size bytes: every
 *	write goes through a builder that stops at max_size (a result cut
 *	there is still a valid input). The output buffer belongs to the
 *	mutator and is valid until the next call.
 * DIAGNOSTICS
 *	afl_custom_init: NULL when out of memory. afl_custom_fuzz: 0 (AFL++
 *	skips the call) when max_size is 0 or memory runs out.
 */
#include <stdlib.h>
#include <string.h>

#include "smtpdh_mutator.h"

#define SMUT_MAX_LINES	4096
#define SMUT_MAX_FIELDS	256
#define SMUT_MAX_TOKENS	64

enum smut_op {
	OP_LINE_DEL, OP_LINE_DUP, OP_LINE_SWAP, OP_LINE_INS, OP_SPLICE,
	OP_FIELD_DEL, OP_FIELD_DUP, OP_FIELD_SWAP, OP_FIELD_INS, OP_ATTR_SWAP,
	OP_TAB_ESCAPE, OP_BOUNDARY, OP_NUMBER, OP_B64_REENCODE, OP_B64_CORRUPT,
	OP_CR, OP_KEYWORD, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"line-del", "line-dup", "line-swap", "line-ins", "splice",
	"field-del", "field-dup", "field-swap", "field-ins", "attr-swap",
	"tab-escape", "boundary", "number", "b64-reencode", "b64-corrupt",
	"cr", "keyword",
};

struct span {
	const uint8_t *p;
	size_t n;
};

struct smut {
	uint64_t rng;
	size_t prefix;
	uint8_t *buf[2];
	size_t cap;
	uint8_t *scratch;	/* base64 decode/encode work space */
	size_t scratch_cap;
	struct span lines[SMUT_MAX_LINES + 1];
	struct span fields[SMUT_MAX_FIELDS + 1];
	char desc[128];
};

struct bld {
	uint8_t *p;
	size_t len, cap;
};

/* --- randomness and output ---------------------------------------------- */

static uint64_t rnd64(struct smut *m)
{
	/* xorshift64* */
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return m->rng * 0x2545F4914F6CDD1DULL;
}

/* rnd - uniform in 0..n-1 (n > 0) */
static size_t rnd(struct smut *m, size_t n)
{
	return (size_t)((rnd64(m) >> 11) % n);
}

static void put(struct bld *b, const void *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	if (n > 0) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void put_c(struct bld *b, uint8_t c)
{
	put(b, &c, 1);
}

static void put_str(struct bld *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_fill(struct bld *b, uint8_t c, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memset(b->p + b->len, c, n);
	b->len += n;
}

/* --- views -------------------------------------------------------------- */

/* split_lines - body into lines without LF; *final_lf: body ends in LF */
static size_t split_lines(struct smut *m, const uint8_t *p, size_t n, int *final_lf)
{
	size_t k = 0, i = 0;

	*final_lf = n > 0 && p[n - 1] == '\n';
	while (i < n) {
		const uint8_t *lf;

		if (k == SMUT_MAX_LINES) {	/* the rest is one "line" */
			m->lines[k].p = p + i;
			m->lines[k].n = n - i - (*final_lf ? 1 : 0);
			return k + 1;
		}
		lf = memchr(p + i, '\n', n - i);
		m->lines[k].p = p + i;
		m->lines[k].n = lf ? (size_t)(lf - (p + i)) : n - i;
		i += m->lines[k].n + 1;
		k++;
	}
	return k;
}

/* join_lines - lines with LF between, and after the last when final_lf */
static void join_lines(struct bld *b, const struct span *l, size_t k, int final_lf)
{
	size_t i;

	for (i = 0; i < k; i++) {
		put(b, l[i].p, l[i].n);
		if (i + 1 < k || final_lf)
			put_c(b, '\n');
	}
}

static uint8_t field_sep(const struct span *l)
{
	if (l->n > 0 && memchr(l->p, '\t', l->n))
		return '\t';
	if (l->n > 0 && memchr(l->p, '=', l->n))
		return '=';
	return ' ';
}

static size_t split_fields(struct smut *m, const struct span *l, uint8_t sep)
{
	size_t k = 0, i = 0;

	for (;;) {
		const uint8_t *s = i < l->n ? memchr(l->p + i, sep, l->n - i) : NULL;

		m->fields[k].p = l->p + i;
		m->fields[k].n = s ? (size_t)(s - (l->p + i)) : l->n - i;
		k++;
		if (s == NULL)
			return k;
		i += m->fields[k - 1].n + 1;
		if (k == SMUT_MAX_FIELDS) {	/* the rest is one field */
			m->fields[k].p = l->p + i;
			m->fields[k].n = l->n - i;
			return k + 1;
		}
	}
}

static void join_fields(struct bld *b, const struct span *f, size_t k, uint8_t sep)
{
	size_t i;

	for (i = 0; i < k; i++) {
		if (i > 0)
			put_c(b, sep);
		put(b, f[i].p, f[i].n);
	}
}

/* --- base64 ------------------------------------------------------------- */

static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(uint8_t c)
{
	const char *p = c ? strchr(b64_alpha, c) : NULL;

	return p ? (int)(p - b64_alpha) : -1;
}

static int is_b64(uint8_t c)
{
	return c == '=' || b64_val(c) >= 0;
}

/* b64_decode - lenient: skips what is not in the alphabet; returns bytes */
static size_t b64_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	size_t bits = 0, o = 0, i;

	for (i = 0; i < n; i++) {
		int v = b64_val(s[i]);

		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

static void b64_encode(struct bld *b, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		put_c(b, (uint8_t)b64_alpha[v >> 18]);
		put_c(b, (uint8_t)b64_alpha[(v >> 12) & 63]);
		put_c(b, (uint8_t)b64_alpha[(v >> 6) & 63]);
		put_c(b, (uint8_t)b64_alpha[v & 63]);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;

		put_c(b, (uint8_t)b64_alpha[v >> 18]);
		put_c(b, (uint8_t)b64_alpha[(v >> 12) & 63]);
		put_str(b, "==");
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;

		put_c(b, (uint8_t)b64_alpha[v >> 18]);
		put_c(b, (uint8_t)b64_alpha[(v >> 12) & 63]);
		put_c(b, (uint8_t)b64_alpha[(v >> 6) & 63]);
		put_c(b, '=');
	}
}

/* find_token - a random base64 token of >= 4 bytes after TAB, '=' or a line start */
static int find_token(struct smut *m, const uint8_t *p, size_t n, size_t *at, size_t *len)
{
	size_t start[SMUT_MAX_TOKENS], tlen[SMUT_MAX_TOKENS];
	size_t k = 0, i = 0, j;

	while (i < n && k < SMUT_MAX_TOKENS) {
		if (is_b64(p[i]) && (i == 0 || p[i - 1] == '\t' || p[i - 1] == '=' ||
				     p[i - 1] == '\n' || p[i - 1] == ' ')) {
			for (j = i; j < n && is_b64(p[j]); j++)
				;
			if (j - i >= 4 && (j == n || p[j] == '\t' || p[j] == '\n' || p[j] == '\r')) {
				start[k] = i;
				tlen[k] = j - i;
				k++;
			}
			i = j > i ? j : i + 1;
		} else {
			i++;
		}
	}
	if (k == 0)
		return 0;
	j = rnd(m, k);
	*at = start[j];
	*len = tlen[j];
	return 1;
}

/* --- operations: each writes a whole new body into b -------------------- */

static const uint8_t *pick_add_line(struct smut *m, const uint8_t *add, size_t add_len,
				    const uint8_t *p, size_t n, size_t *len_r)
{
	const uint8_t *src = add_len > 0 && rnd(m, 2) ? add : p;
	size_t sn = src == add ? add_len : n, i, e;

	if (sn == 0) {
		*len_r = 0;
		return src;
	}
	i = rnd(m, sn);
	while (i > 0 && src[i - 1] != '\n')
		i--;
	for (e = i; e < sn && src[e] != '\n'; e++)
		;
	*len_r = e - i;
	return src + i;
}

static int op_lines(struct smut *m, enum smut_op op, struct bld *b, const uint8_t *p,
		    size_t n, const uint8_t *add, size_t add_len)
{
	struct span tmp;
	size_t k, i, j;
	int final_lf;

	k = split_lines(m, p, n, &final_lf);
	switch (op) {
	case OP_LINE_DEL:
		if (k == 0)
			return -1;
		i = rnd(m, k);
		memmove(&m->lines[i], &m->lines[i + 1], (k - i - 1) * sizeof(m->lines[0]));
		k--;
		break;
	case OP_LINE_DUP:
		if (k == 0 || k >= SMUT_MAX_LINES)
			return -1;
		i = rnd(m, k);
		memmove(&m->lines[i + 1], &m->lines[i], (k - i) * sizeof(m->lines[0]));
		k++;
		break;
	case OP_LINE_SWAP:
	case OP_ATTR_SWAP:
		if (k < 2)
			return -1;
		i = rnd(m, k - 1);
		if (op == OP_ATTR_SWAP) {
			/* the first neighbours from i on that are both name=value */
			for (; i + 1 < k; i++)
				if (m->lines[i].n && memchr(m->lines[i].p, '=', m->lines[i].n) &&
				    m->lines[i + 1].n && memchr(m->lines[i + 1].p, '=', m->lines[i + 1].n))
					break;
			if (i + 1 >= k)
				return -1;
			j = i + 1;
		} else {
			j = i + 1 + rnd(m, k - i - 1);
		}
		tmp = m->lines[i];
		m->lines[i] = m->lines[j];
		m->lines[j] = tmp;
		break;
	case OP_LINE_INS:
		if (k >= SMUT_MAX_LINES)
			return -1;
		i = rnd(m, k + 1);
		memmove(&m->lines[i + 1], &m->lines[i], (k - i) * sizeof(m->lines[0]));
		m->lines[i].p = pick_add_line(m, add, add_len, p, n, &m->lines[i].n);
		k++;
		if (i == k - 1)
			final_lf = 1;
		break;
	case OP_SPLICE: {
		/* this input's first lines, then add_buf from one of its line starts */
		size_t at;

		if (add_len == 0)
			return -1;
		i = rnd(m, k + 1);
		join_lines(b, m->lines, i, i > 0);
		at = rnd(m, add_len);
		while (at > 0 && add[at - 1] != '\n')
			at--;
		put(b, add + at, add_len - at);
		return 0;
	}
	default:
		return -1;
	}
	join_lines(b, m->lines, k, final_lf);
	return 0;
}

/* pick_line - a random non-empty line: its offset and length in p */
static int pick_line(struct smut *m, const uint8_t *p, size_t n, size_t *at, size_t *len)
{
	size_t k, i, tries;
	int final_lf;

	k = split_lines(m, p, n, &final_lf);
	if (k == 0)
		return -1;
	for (tries = 0; tries < 8; tries++) {
		i = rnd(m, k);
		if (m->lines[i].n > 0) {
			*at = (size_t)(m->lines[i].p - p);
			*len = m->lines[i].n;
			return 0;
		}
	}
	return -1;
}

static const char *const keywords[] = {
	"VERSION", "MECH", "SPID", "CUID", "COOKIE", "DONE", "OK", "FAIL", "CONT",
	"CANCELLED", "AUTH", "CPID", "CANCEL", "request=smtpd_access_policy",
	"protocol_state=RCPT", "protocol_state=END-OF-MESSAGE", "action=DUNNO",
	"action=REJECT", "action=", "", "user=", "resp=", "reason=", "temp",
	"sasl_username=", "client_address=",
};

static int op_fields(struct smut *m, enum smut_op op, struct bld *b, const uint8_t *p,
		     size_t n, const uint8_t *add, size_t add_len)
{
	struct span line, tmp;
	size_t at, len, k, i, j;
	uint8_t sep;

	if (pick_line(m, p, n, &at, &len) < 0)
		return -1;
	line.p = p + at;
	line.n = len;
	sep = field_sep(&line);
	k = split_fields(m, &line, sep);
	switch (op) {
	case OP_FIELD_DEL:
		if (k < 2)
			return -1;
		i = rnd(m, k);
		memmove(&m->fields[i], &m->fields[i + 1], (k - i - 1) * sizeof(m->fields[0]));
		k--;
		break;
	case OP_FIELD_DUP:
		if (k >= SMUT_MAX_FIELDS)
			return -1;
		i = rnd(m, k);
		memmove(&m->fields[i + 1], &m->fields[i], (k - i) * sizeof(m->fields[0]));
		k++;
		break;
	case OP_FIELD_SWAP:
		if (k < 2)
			return -1;
		i = rnd(m, k - 1);
		j = i + 1 + rnd(m, k - i - 1);
		tmp = m->fields[i];
		m->fields[i] = m->fields[j];
		m->fields[j] = tmp;
		break;
	case OP_FIELD_INS: {
		/* a field of another line (add_buf or this input) */
		struct span other;

		if (k >= SMUT_MAX_FIELDS)
			return -1;
		other.p = pick_add_line(m, add, add_len, p, n, &other.n);
		if (other.n > 0) {
			const uint8_t *s;
			size_t from = rnd(m, other.n);

			/* from a separator-delimited start, to the next separator */
			while (from > 0 && other.p[from - 1] != sep)
				from--;
			s = memchr(other.p + from, sep, other.n - from);
			other.p += from;
			other.n = s ? (size_t)(s - other.p) : other.n - from;
		}
		i = rnd(m, k + 1);
		memmove(&m->fields[i + 1], &m->fields[i], (k - i) * sizeof(m->fields[0]));
		m->fields[i] = other;
		k++;
		break;
	}
	case OP_KEYWORD: {
		const char *kw = keywords[rnd(m, sizeof(keywords) / sizeof(keywords[0]))];

		m->fields[0].p = (const uint8_t *)kw;
		m->fields[0].n = strlen(kw);
		break;
	}
	default:
		return -1;
	}
	put(b, p, at);
	join_fields(b, m->fields, k, sep);
	put(b, p + at + len, n - at - len);
	return 0;
}

static int op_tab_escape(struct smut *m, struct bld *b, const uint8_t *p, size_t n)
{
	static const char letters[] = "1trn0x";
	size_t tabs = 0, i, want;

	for (i = 0; i < n; i++)
		tabs += p[i] == '\t';
	if (tabs > 0 && rnd(m, 4) != 0) {
		want = rnd(m, tabs);
		for (i = 0; i < n; i++) {
			if (p[i] == '\t' && want-- == 0) {
				put(b, p, i);
				put_str(b, "\001t");
				put(b, p + i + 1, n - i - 1);
				return 0;
			}
		}
	}
	/* plant an escape (valid or not), or a lone \001 at the end */
	i = n ? rnd(m, n + 1) : 0;
	put(b, p, i);
	put_c(b, 1);
	if (i < n || rnd(m, 2))
		put_c(b, (uint8_t)letters[rnd(m, sizeof(letters) - 1)]);
	put(b, p + i, n - i);
	return 0;
}

/* value_span - a value in a random line: after '=' or the last TAB field */
static int value_span(struct smut *m, const uint8_t *p, size_t n, size_t *vat, size_t *vlen)
{
	size_t at, len, s, e;
	const uint8_t *eq, *tab;

	if (pick_line(m, p, n, &at, &len) < 0) {
		*vat = n ? rnd(m, n + 1) : 0;	/* no line: insert at a random place */
		*vlen = 0;
		return 0;
	}
	eq = memchr(p + at, '=', len);
	tab = memchr(p + at, '\t', len);
	if (tab != NULL && (eq == NULL || rnd(m, 2))) {
		/* a random TAB field */
		size_t k = 0, want, i;

		for (i = at; i < at + len; i++)
			k += p[i] == '\t';
		want = rnd(m, k);
		for (i = at; i < at + len; i++)
			if (p[i] == '\t' && want-- == 0)
				break;
		s = i + 1;
		/* "name=value" field: only the value */
		for (e = s; e < at + len && p[e] != '\t'; e++)
			;
		eq = memchr(p + s, '=', e - s);
		if (eq != NULL)
			s = (size_t)(eq - p) + 1;
	} else if (eq != NULL) {
		s = (size_t)(eq - p) + 1;
		for (e = s; e < at + len && p[e] != '\t'; e++)
			;
	} else {
		s = at;
		e = at + len;
	}
	*vat = s;
	*vlen = e - s;
	return 0;
}

static int op_boundary(struct smut *m, struct bld *b, const uint8_t *p, size_t n)
{
	static const size_t lens[] = { 0, 1, 8191, 8192, 8193, 16383, 16384, 16385, 65536 };
	size_t at, len, want = lens[rnd(m, sizeof(lens) / sizeof(lens[0]))];
	uint8_t c;

	(void)value_span(m, p, n, &at, &len);
	c = len > 0 ? p[at] : 'A';
	if (c == '\n' || c == '\t')
		c = 'A';
	put(b, p, at);
	put_fill(b, c, want);
	put(b, p + at + len, n - at - len);
	return 0;
}

static int op_number(struct smut *m, struct bld *b, const uint8_t *p, size_t n)
{
	static const char *const nums[] = {
		"0", "1", "4294967295", "4294967296", "18446744073709551615",
		"18446744073709551616", "-1", "00", "2147483648",
	};
	size_t starts[SMUT_MAX_TOKENS], k = 0, i = 0, at, e;

	while (i < n && k < SMUT_MAX_TOKENS) {
		if (p[i] >= '0' && p[i] <= '9' && (i == 0 || p[i - 1] < '0' || p[i - 1] > '9'))
			starts[k++] = i;
		i++;
	}
	if (k == 0)
		return -1;
	at = starts[rnd(m, k)];
	for (e = at; e < n && p[e] >= '0' && p[e] <= '9'; e++)
		;
	put(b, p, at);
	put_str(b, nums[rnd(m, sizeof(nums) / sizeof(nums[0]))]);
	put(b, p + e, n - e);
	return 0;
}

static int scratch(struct smut *m, size_t need)
{
	uint8_t *q;

	if (need <= m->scratch_cap)
		return 0;
	q = realloc(m->scratch, need);
	if (q == NULL)
		return -1;
	m->scratch = q;
	m->scratch_cap = need;
	return 0;
}

static int op_b64(struct smut *m, enum smut_op op, struct bld *b, const uint8_t *p, size_t n)
{
	static const char *const sasl[] = {
		"\0alice\0secret", "alice", "secret", "n,,n=alice,r=fuzzcnonce",
		"bob cd3ba7deaad6e5ca23448ba42e379747", "=", "",
	};
	static const size_t sasl_len[] = { 13, 5, 6, 23, 36, 1, 0 };
	size_t at, len, dn, i;

	if (!find_token(m, p, n, &at, &len))
		return -1;
	put(b, p, at);
	if (op == OP_B64_REENCODE) {
		if (scratch(m, len + 2) < 0)
			return -1;
		dn = b64_decode(p + at, len, m->scratch);
		switch (rnd(m, 5)) {
		case 0:
			if (dn > 0)
				m->scratch[rnd(m, dn)] ^= (uint8_t)(1u << rnd(m, 8));
			break;
		case 1:
			dn = dn ? rnd(m, dn) : 0;
			break;
		case 2:
			m->scratch[dn++] = (uint8_t)rnd64(m);
			break;
		case 3:
			if (dn > 0)
				m->scratch[rnd(m, dn)] = rnd(m, 2) ? '\0' : ',';
			break;
		default:
			i = rnd(m, sizeof(sasl) / sizeof(sasl[0]));
			if (scratch(m, sasl_len[i] + 1) < 0)
				return -1;
			memcpy(m->scratch, sasl[i], sasl_len[i]);
			dn = sasl_len[i];
			break;
		}
		b64_encode(b, m->scratch, dn);
	} else {
		i = rnd(m, len);
		switch (rnd(m, 5)) {
		case 0:		/* drop one character */
			put(b, p + at, i);
			put(b, p + at + i + 1, len - i - 1);
			break;
		case 1:		/* padding in the middle */
			put(b, p + at, i);
			put_c(b, '=');
			put(b, p + at + i, len - i);
			break;
		case 2:		/* a character outside the alphabet */
			put(b, p + at, i);
			put_c(b, (uint8_t)"*-_ .!\001"[rnd(m, 7)]);
			put(b, p + at + i, len - i);
			break;
		case 3:		/* padding removed */
			for (i = len; i > 0 && p[at + i - 1] == '='; i--)
				;
			put(b, p + at, i);
			break;
		default:	/* padding added */
			put(b, p + at, len);
			put_str(b, rnd(m, 2) ? "=" : "==");
			break;
		}
	}
	put(b, p + at + len, n - at - len);
	return 0;
}

static int op_cr(struct smut *m, struct bld *b, const uint8_t *p, size_t n)
{
	size_t lfs = 0, i, want;

	for (i = 0; i < n; i++)
		lfs += p[i] == '\n';
	if (lfs > 0 && rnd(m, 4) != 0) {
		want = rnd(m, lfs);
		for (i = 0; i < n; i++)
			if (p[i] == '\n' && want-- == 0)
				break;
	} else {
		i = n ? rnd(m, n + 1) : 0;
	}
	put(b, p, i);
	put_c(b, '\r');
	put(b, p + i, n - i);
	return 0;
}

static int apply(struct smut *m, enum smut_op op, struct bld *b, const uint8_t *p, size_t n,
		 const uint8_t *add, size_t add_len)
{
	switch (op) {
	case OP_LINE_DEL:
	case OP_LINE_DUP:
	case OP_LINE_SWAP:
	case OP_LINE_INS:
	case OP_SPLICE:
	case OP_ATTR_SWAP:
		return op_lines(m, op, b, p, n, add, add_len);
	case OP_FIELD_DEL:
	case OP_FIELD_DUP:
	case OP_FIELD_SWAP:
	case OP_FIELD_INS:
	case OP_KEYWORD:
		return op_fields(m, op, b, p, n, add, add_len);
	case OP_TAB_ESCAPE:
		return op_tab_escape(m, b, p, n);
	case OP_BOUNDARY:
		return op_boundary(m, b, p, n);
	case OP_NUMBER:
		return op_number(m, b, p, n);
	case OP_B64_REENCODE:
	case OP_B64_CORRUPT:
		return op_b64(m, op, b, p, n);
	case OP_CR:
		return op_cr(m, b, p, n);
	default:
		return -1;
	}
}

/* --- AFL++ interface -------------------------------------------------------- */

void *afl_custom_init(void *afl, unsigned int seed)
{
	struct smut *m;
	const char *env = getenv("SMTPDH_MUTATOR_PREFIX");

	(void)afl;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->rng = ((uint64_t)seed << 1 | 1) * 0x9E3779B97F4A7C15ULL;
	if (env != NULL && env[0] >= '0' && env[0] <= '9' && env[1] == '\0')
		m->prefix = (size_t)(env[0] - '0') > SMUT_MAX_PREFIX ? SMUT_MAX_PREFIX
								     : (size_t)(env[0] - '0');
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct smut *m = data;
	size_t len, pre, addpre, rounds, r, tries, cur = 0;
	const uint8_t *add;
	const char *name;
	int d = 0;

	*out_buf = buf;
	if (max_size == 0)
		return 0;
	if (max_size > m->cap) {
		uint8_t *a = realloc(m->buf[0], max_size);

		if (a == NULL)
			return 0;
		m->buf[0] = a;
		a = realloc(m->buf[1], max_size);
		if (a == NULL)
			return 0;
		m->buf[1] = a;
		m->cap = max_size;
	}
	if (add_buf == NULL)
		add_buf_size = 0;
	len = buf_size < max_size ? buf_size : max_size;
	if (len > 0)
		memcpy(m->buf[0], buf, len);
	pre = m->prefix < len ? m->prefix : len;
	addpre = m->prefix < add_buf_size ? m->prefix : add_buf_size;
	add = add_buf_size > 0 ? add_buf + addpre : NULL;
	if (pre > 0 && rnd(m, 16) == 0)
		m->buf[0][rnd(m, pre)] ^= (uint8_t)(1u << rnd(m, 8));
	m->desc[0] = '\0';
	rounds = 1 + rnd(m, 4);
	for (r = 0; r < rounds; r++) {
		struct bld b;
		enum smut_op op = OP_COUNT;
		int rc = -1;

		b.p = m->buf[cur ^ 1];
		b.cap = max_size;
		for (tries = 0; tries < 4 && rc < 0; tries++) {
			op = (enum smut_op)rnd(m, OP_COUNT);
			memcpy(b.p, m->buf[cur], pre);
			b.len = pre;
			rc = apply(m, op, &b, m->buf[cur] + pre, len - pre, add,
				   add_buf_size - addpre);
		}
		if (rc < 0)
			continue;
		cur ^= 1;
		len = b.len;
		name = op_names[op];
		if (strlen(m->desc) + strlen(name) + 2 < sizeof(m->desc)) {
			if (d++)
				strcat(m->desc, ",");
			strcat(m->desc, name);
		}
	}
	*out_buf = m->buf[cur];
	return len;
}

const char *afl_custom_describe(void *data, size_t max_len)
{
	struct smut *m = data;

	if (max_len > 0 && strlen(m->desc) >= max_len)
		m->desc[max_len - 1] = '\0';
	return m->desc[0] ? m->desc : "none";
}

void afl_custom_deinit(void *data)
{
	struct smut *m = data;

	if (m == NULL)
		return;
	free(m->buf[0]);
	free(m->buf[1]);
	free(m->scratch);
	free(m);
}
