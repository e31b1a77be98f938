/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_transcript_write - the transcript writer: what it writes
 *	parses back to the same exchange
 * DESCRIPTION
 *	Table-driven. Each row writes one thing (bytes to send, a line
 *	received, an argument, a line seen) with the writer, parses the
 *	result with transcript_parse() and checks that it says the same:
 *	the C:/C-: statements expand to exactly the bytes (with {id} = 42),
 *	the S: pattern matches the line and, when written exactly, nothing
 *	longer; an argument expands to its bytes; comments are no
 *	statement. Rows with a spelling compare the text too, so record's
 *	and the fuzzer's files keep their look. Long lines (over one
 *	statement's bound) are built at run time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness/script/transcript.h"
#include "harness/script/transcript_write.h"

enum tw_kind { TW_SEND, TW_EXPECT, TW_WORD, TW_SEEN };

struct tw_case {
	const char *name;
	enum tw_kind kind;
	const char *in;
	size_t len;
	const char *head;	/* TW_SEND, TW_EXPECT */
	unsigned flags;		/* TW_SEND: TWRITE_LF */
	const char *want;	/* the text written, or NULL: not compared */
	int want_rc;		/* TW_EXPECT: 1 written as a prefix and "*" */
};

#define S(s)	s, sizeof(s) - 1

static const struct tw_case tw_cases[] = {
	{ "every escape", TW_SEND, S("a\tb{c}$*\\\r\0\001\x7f\x80\xff"), NULL, TWRITE_LF,
	  "C: a\\tb\\{c\\}\\$\\*\\\\\\r\\x00\\x01\\x7f\\x80\\xff\n", 0 },
	{ "blanks at the ends", TW_SEND, S(" a b "), NULL, TWRITE_LF, "C: \\sa b\\s\n", 0 },
	{ "one blank", TW_SEND, S(" "), NULL, TWRITE_LF, "C: \\s\n", 0 },
	{ "empty line", TW_SEND, S(""), NULL, TWRITE_LF, "C:\n", 0 },
	{ "nothing at all", TW_SEND, S(""), NULL, 0, "", 0 },
	{ "no LF", TW_SEND, S("x"), NULL, 0, "C-: x\n", 0 },
	{ "lines", TW_SEND, S("l1\nl2\n"), NULL, 0, "C: l1\nC: l2\n", 0 },
	{ "lines, the last without LF", TW_SEND, S("l1\n\nl2"), NULL, 0, "C: l1\nC:\nC-: l2\n", 0 },
	{ "a line and an empty one", TW_SEND, S("l1\n"), NULL, TWRITE_LF, "C: l1\nC:\n", 0 },
	{ "a statement as text", TW_SEND, S("S: *"), NULL, TWRITE_LF, "C: S: \\*\n", 0 },
	{ "a comment as text", TW_SEND, S("# x"), NULL, TWRITE_LF, "C: # x\n", 0 },
	{ "variables as text", TW_SEND, S("${user}{id}{b64:x}"), NULL, TWRITE_LF,
	  "C: \\$\\{user\\}\\{id\\}\\{b64:x\\}\n", 0 },
	{ "octal-looking and hex-looking text", TW_SEND, S("\\001\\x41\0011"), NULL, TWRITE_LF,
	  "C: \\\\001\\\\x41\\x011\n", 0 },
	{ "NUL before digits", TW_SEND, S("\000123"), NULL, TWRITE_LF, "C: \\x00123\n", 0 },
	{ "a head with {id}", TW_SEND, S("\tPLAIN\tresp=AGEAYg=="), "AUTH\\t{id}", TWRITE_LF,
	  "C: AUTH\\t{id}\\tPLAIN\\tresp=AGEAYg==\n", 0 },
	{ "a head alone", TW_SEND, S(""), "CONT\\t{id}", 0, "C-: CONT\\t{id}\n", 0 },
	{ "CR LF", TW_SEND, S("x\r\n"), NULL, 0, "C: x\\r\n", 0 },
	{ "quote in text", TW_SEND, S("a\"b"), NULL, TWRITE_LF, "C: a\"b\n", 0 },
	{ "S: star", TW_EXPECT, S("*"), NULL, 0, "S: \\*\n", 0 },
	{ "S: empty line", TW_EXPECT, S(""), NULL, 0, "S:\n", 0 },
	{ "S: CR at the end", TW_EXPECT, S("DONE\r"), NULL, 0, "S: DONE\\r\n", 0 },
	{ "S: a reply with a head", TW_EXPECT, S("user=u *"), "OK\\t{id}\\t", 0,
	  "S: OK\\t{id}\\tuser=u \\*\n", 0 },
	{ "S: binary", TW_EXPECT, S("\0\t\xc3\xa9 "), NULL, 0, "S: \\x00\\t\\xc3\\xa9\\s\n", 0 },
	{ "S: a comment sign", TW_EXPECT, S("# x"), NULL, 0, "S: # x\n", 0 },
	{ "word with blanks and quotes", TW_WORD, S("a b\"c\td"), NULL, 0, "a\\sb\\x22c\\td", 0 },
	{ "empty word", TW_WORD, S(""), NULL, 0, "\"\"", 0 },
	{ "word with NUL and 8-bit", TW_WORD, S("\0\xff{x}"), NULL, 0, "\\x00\\xff\\{x\\}", 0 },
	{ "seen line", TW_SEEN, S("OK\t1\tuser=u"), NULL, 0, "# S: OK\\t1\\tuser=u\n", 0 },
	{ "seen empty line", TW_SEEN, S(""), NULL, 0, "# S:\n", 0 },
	{ "seen LF and CR", TW_SEEN, S("a\nb\r"), NULL, 0, "# S: a\\nb\\r\n", 0 },
};

/* parse - "protocol auth" and text; the transcript, or a failed test */
static void parse(const char *name, const struct xbuf *text, struct transcript *t)
{
	struct xbuf all;
	char err[300];

	xbuf_init(&all, TRANSCRIPT_MAX_FILE);
	assert_int_equal(xbuf_append_str(&all, "protocol auth\n"), 0);
	if (text->len)
		assert_int_equal(xbuf_append(&all, text->data, text->len), 0);
	if (transcript_parse(all.data, all.len, "w.tr", t, err, sizeof(err)) < 0)
		fail_msg("%s: what was written does not parse: %s", name, err);
	xbuf_free(&all);
}

static void set_id(struct tvars *v)
{
	tvars_init(v);
	assert_int_equal(tvars_set(v, "id", "42", 2), 0);
}

/* expand_head - head (transcript notation) as it goes on the wire with id 42 */
static void expand_head(const char *head, struct xbuf *out)
{
	struct tvars v;
	struct tpat p;
	const char *why;

	if (head == NULL)
		return;
	set_id(&v);
	assert_int_equal(tpat_compile(head, strlen(head), TPAT_TEXT, &p, &why), 0);
	assert_int_equal(tpat_expand(&p, &v, out, &why), 0);
	tpat_free(&p);
	tvars_free(&v);
}

/* check_send - the statements send head, the bytes and the LF asked for */
static void check_send(const char *name, const char *head, const char *in, size_t len,
		       unsigned flags, const struct xbuf *text)
{
	struct xbuf want, sent;
	struct transcript t;
	struct tvars v;
	size_t k;

	xbuf_init(&want, 1 << 20);
	xbuf_init(&sent, 1 << 20);
	expand_head(head, &want);
	assert_int_equal(xbuf_append(&want, in, len), 0);
	if (flags & TWRITE_LF)
		assert_int_equal(xbuf_append_char(&want, '\n'), 0);
	parse(name, text, &t);
	set_id(&v);
	for (k = 0; k < t.nops; k++) {
		const char *why;

		if (t.ops[k].kind != TOP_SEND)
			fail_msg("%s: statement %zu is %s", name, k + 1, transcript_op_name(t.ops[k].kind));
		assert_int_equal(tpat_expand(&t.ops[k].pat, &v, &sent, &why), 0);
		if (!t.ops[k].nolf)
			assert_int_equal(xbuf_append_char(&sent, '\n'), 0);
	}
	if (sent.len != want.len || (want.len && memcmp(sent.data, want.data, want.len) != 0))
		fail_msg("%s: the statements send %zu bytes, not the %zu written", name, sent.len,
			 want.len);
	tvars_free(&v);
	transcript_free(&t);
	xbuf_free(&want);
	xbuf_free(&sent);
}

/* check_expect - one S: statement; it matches the line, and nothing longer when exact */
static void check_expect(const char *name, const char *head, const char *in, size_t len,
			 int exact, const struct xbuf *text)
{
	struct xbuf line;
	struct transcript t;
	struct tvars v;
	const char *why;

	xbuf_init(&line, 1 << 20);
	expand_head(head, &line);
	assert_int_equal(xbuf_append(&line, in, len), 0);
	parse(name, text, &t);
	assert_int_equal(t.nops, 1);
	assert_int_equal(t.ops[0].kind, TOP_EXPECT);
	set_id(&v);
	if (tpat_match(&t.ops[0].pat, &v, line.data ? line.data : "", line.len, &why) != 1)
		fail_msg("%s: the S: pattern does not match the line", name);
	assert_int_equal(xbuf_append_char(&line, 'x'), 0);
	if (tpat_match(&t.ops[0].pat, &v, line.data, line.len, &why) != !exact)
		fail_msg("%s: the S: pattern %s a longer line", name, exact ? "matches" : "refuses");
	tvars_free(&v);
	transcript_free(&t);
	xbuf_free(&line);
}

/* check_word - "auth PLAIN WORD p": the first argument expands to the bytes */
static void check_word(const char *name, const char *in, size_t len, const struct xbuf *word)
{
	struct xbuf text, got;
	struct transcript t;
	struct tvars v;
	const char *why;

	xbuf_init(&text, 1 << 20);
	xbuf_init(&got, 1 << 20);
	assert_int_equal(xbuf_append_str(&text, "auth PLAIN "), 0);
	assert_int_equal(xbuf_append(&text, word->data, word->len), 0);
	assert_int_equal(xbuf_append_str(&text, " p\n"), 0);
	parse(name, &text, &t);
	assert_int_equal(t.nops, 1);
	assert_int_equal(t.ops[0].nargs, 2);
	tvars_init(&v);
	assert_int_equal(tpat_expand(&t.ops[0].args[0], &v, &got, &why), 0);
	if (got.len != len || (len && memcmp(got.data, in, len) != 0))
		fail_msg("%s: the argument is %zu other bytes", name, got.len);
	transcript_free(&t);
	xbuf_free(&text);
	xbuf_free(&got);
}

/* write_check - write one row, compare its spelling, parse it back */
static void write_check(const struct tw_case *c)
{
	struct transcript t;
	struct xbuf text;
	int rc = 0;

	xbuf_init(&text, TRANSCRIPT_MAX_FILE);
	switch (c->kind) {
	case TW_SEND:
		assert_int_equal(twrite_send(&text, c->head, c->in, c->len, c->flags), 0);
		break;
	case TW_EXPECT:
		rc = twrite_expect(&text, c->head, c->in, c->len);
		break;
	case TW_WORD:
		assert_int_equal(twrite_text(&text, c->in, c->len, TWRITE_WORD), 0);
		break;
	case TW_SEEN:
		assert_int_equal(twrite_seen(&text, 'S', c->in, c->len), 0);
		break;
	}
	if (rc != c->want_rc)
		fail_msg("%s: rc %d, want %d", c->name, rc, c->want_rc);
	if (c->want != NULL && strcmp(xbuf_cstr(&text), c->want) != 0)
		fail_msg("%s: wrote\n%s\nwant\n%s", c->name, xbuf_cstr(&text), c->want);
	switch (c->kind) {
	case TW_SEND:
		check_send(c->name, c->head, c->in, c->len, c->flags, &text);
		break;
	case TW_EXPECT:
		check_expect(c->name, c->head, c->in, c->len, rc == 0, &text);
		break;
	case TW_WORD:
		check_word(c->name, c->in, c->len, &text);
		break;
	case TW_SEEN:
		parse(c->name, &text, &t);
		assert_int_equal(t.nops, 0);
		transcript_free(&t);
		break;
	}
	xbuf_free(&text);
}

static void test_fs_transcript_write_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tw_cases) / sizeof(tw_cases[0]); i++)
		write_check(&tw_cases[i]);
}

/* long lines: every byte value, over one statement's bound */
static void test_fs_transcript_write_long(void **state)
{
	static const struct { const char *name; enum tw_kind kind; size_t len; int fill; unsigned
		flags; int want_rc; } rows[] = {
		{ "send 70000 printable", TW_SEND, 70000, 'a', TWRITE_LF, 0 },
		{ "send 70000 \\x01, no LF", TW_SEND, 70000, 1, 0, 0 },
		{ "send 3 chunks exactly, no LF", TW_SEND, 3 * TWRITE_CHUNK, 'b', 0, 0 },
		{ "send every byte value", TW_SEND, 65536, -1, TWRITE_LF, 0 },
		{ "expect that just fits", TW_EXPECT, TRANSCRIPT_MAX_LINE - 3, 'a', 0, 0 },
		{ "expect one byte over", TW_EXPECT, TRANSCRIPT_MAX_LINE - 2, 'a', 0, 1 },
		{ "expect 65536 8-bit bytes", TW_EXPECT, 65536, 0xff, 0, 1 },
		{ "expect every byte value", TW_EXPECT, 65536, -1, 0, 1 },
		{ "seen 5000 bytes", TW_SEEN, 5000, 0, 0, 0 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *in = malloc(rows[i].len);
		struct tw_case c;

		assert_non_null(in);
		for (k = 0; k < rows[i].len; k++)
			in[k] = (char)(rows[i].fill < 0 ? (int)(k % 256) : rows[i].fill);
		memset(&c, 0, sizeof(c));
		c.name = rows[i].name;
		c.kind = rows[i].kind;
		c.in = in;
		c.len = rows[i].len;
		c.flags = rows[i].flags;
		c.want_rc = rows[i].want_rc;
		write_check(&c);
		free(in);
	}
}

/* a comment stays one comment line whatever it holds */
static void test_fs_transcript_write_comment(void **state)
{
	struct transcript t;
	struct xbuf text;
	char big[TWRITE_COMMENT_MAX * 2];

	(void)state;
	xbuf_init(&text, 1 << 20);
	assert_int_equal(twrite_comment(&text, "a%sb", "\n\r\0"), 0);
	assert_string_equal(xbuf_cstr(&text), "# a??b\n");
	xbuf_reset(&text);
	assert_int_equal(twrite_comment(&text, "x\ty\x7f%d", 5), 0);
	assert_string_equal(xbuf_cstr(&text), "# x\ty?5\n");
	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[100] = '\n';
	assert_int_equal(twrite_comment(&text, "%s", big), 0);
	assert_int_equal(text.len, 8 + 2 + TWRITE_COMMENT_MAX + 1);
	parse("comments", &text, &t);
	assert_int_equal(t.nops, 0);
	assert_string_equal(t.title, "x\ty?5");
	transcript_free(&t);
	xbuf_free(&text);
}

/* a full buffer is -1, never a write past it */
static void test_fs_transcript_write_full(void **state)
{
	struct xbuf text;

	(void)state;
	xbuf_init(&text, 10);
	assert_int_equal(twrite_send(&text, NULL, "0123456789abc", 13, TWRITE_LF), -1);
	assert_true(text.len <= 10);
	xbuf_reset(&text);
	assert_int_equal(twrite_expect(&text, NULL, "\001\002\003", 3), -1);
	xbuf_reset(&text);
	assert_int_equal(twrite_seen(&text, 'C', "abcdefghijk", 11), -1);
	xbuf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_transcript_write_table),
		cmocka_unit_test(test_fs_transcript_write_long),
		cmocka_unit_test(test_fs_transcript_write_comment),
		cmocka_unit_test(test_fs_transcript_write_full),
	};

	return cmocka_run_group_tests_name("fs_transcript_write", tests, NULL, NULL);
}
