/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_replay_auth - replay reads an auth server as Postfix's stream does
 * DESCRIPTION
 *	Table-driven: each row is a server script (chunks, each one write,
 *	after a pause or after the AUTH line arrived, the connection closed
 *	or kept at the end), a Postfix version and a transcript; replay_run
 *	against a child process serving the script on a UNIX socket in a
 *	temporary directory must give the row's result and show the row's
 *	text in its log. The rows: a last reply without LF before EOF (OK
 *	235, FAIL 535, FAIL without reason by version); stray lines in the
 *	same read as DONE (dropped when the AUTH is written) and in a later
 *	read (the reply); the EHLO list after the mechanism filter, by
 *	version; two AUTHs in one SMTP session ("session": the second after
 *	a 235 gets 503 and reaches no helper) and without one. The child is
 *	stopped by its PID after each row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/replay/replay.h"
#include "harness/report/report_int.h"
#include "harness/script/transcript.h"
#include "util/compiler.h"

#define HS	"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t0\nDONE\n"
#define HS_EXT	"VERSION\t1\t2\nMECH\tEXTERNAL\nMECH\tPLAIN\tplaintext\nDONE\n"
#define AUTH_PLAIN	"protocol auth\nhandshake\nsleep 300ms\nauth PLAIN u p resp\n"
#define AUTH_PLAIN_E	"auth PLAIN u p resp expect "

struct chunk {
	int after_auth;			/* wait for the AUTH line with this id first */
	int pause_ms;			/* then pause */
	const char *bytes;		/* then one write */
};

struct row {
	const char *name, *version;
	struct chunk chunks[4];		/* ended by bytes == NULL */
	int close_after;		/* close after the last chunk (else wait for EOF) */
	const char *tr;
	enum check_result want;
	const char *shows;		/* in the log */
};

static const struct row rows[] = {
	{ "OK without LF, then EOF", "3.7.11", { { 0, 0, HS }, { 1, 0, "OK\t1\tuser=u" } }, 1,
	  AUTH_PLAIN "expect smtp 235 2.7.0 Authentication successful\n", CHECK_PASS,
	  "(no LF: the connection ended after this line" },
	{ "FAIL without LF, then EOF", "3.7.11", { { 0, 0, HS }, { 1, 0, "FAIL\t1\treason=no" } }, 1,
	  AUTH_PLAIN "expect smtp 535 5.7.8 Error: authentication failed: no\n", CHECK_PASS,
	  "S: FAIL\\t1\\treason=no" },
	{ "FAIL without reason, 3.7.11", "3.7.11", { { 0, 0, HS }, { 1, 0, "FAIL\t1" } }, 1,
	  AUTH_PLAIN "expect smtp 535 5.7.8 Error: authentication failed: (reason unavailable)\n",
	  CHECK_PASS, "would answer: 535" },
	{ "FAIL without reason, 3.7.10", "3.7.10", { { 0, 0, HS }, { 1, 0, "FAIL\t1" } }, 1,
	  AUTH_PLAIN "expect smtp 535 5.7.8 Error: authentication failed: \n", CHECK_PASS,
	  "would answer: 535" },
	{ "DONE without LF, then EOF: the handshake ends", "3.7.11",
	  { { 0, 0, "MECH\tPLAIN\tplaintext\nDONE" } }, 1,
	  "protocol auth\nhandshake\n", CHECK_PASS, "EHLO would offer AUTH PLAIN" },
	{ "a stale FAIL in the same read as DONE is dropped", "3.7.11",
	  { { 0, 0, HS "FAIL\t1\treason=stale\n" }, { 1, 0, "OK\t1\tuser=u\n" } }, 0,
	  AUTH_PLAIN "expect smtp 235\n", CHECK_PASS,
	  "Postfix drops 20 unread bytes that came in the same read" },
	{ "a stale FAIL in a later read is the reply", "3.7.11",
	  { { 0, 0, HS }, { 0, 100, "FAIL\t1\treason=stale\n" }, { 1, 0, "OK\t1\tuser=u\n" } }, 0,
	  AUTH_PLAIN "expect smtp 535 5.7.8 Error: authentication failed: stale\n", CHECK_PASS,
	  "S: FAIL\\t1\\treason=stale" },
	{ "both: the later one is the reply", "3.7.11",
	  { { 0, 0, HS "FAIL\t1\treason=first\n" }, { 0, 100, "FAIL\t1\treason=second\n" },
	    { 1, 0, "OK\t1\tuser=u\n" } }, 0,
	  AUTH_PLAIN "expect smtp 535 5.7.8 Error: authentication failed: second\n", CHECK_PASS,
	  "reason=first\\n" },
	{ "EXTERNAL hidden from EHLO since 3.6", "3.7.11", { { 0, 0, HS_EXT } }, 0,
	  "protocol auth\nhandshake\n", CHECK_PASS, "EHLO would offer AUTH PLAIN; " },
	{ "EXTERNAL in EHLO before 3.6", "3.5.25", { { 0, 0, HS_EXT } }, 0,
	  "protocol auth\nhandshake\n", CHECK_PASS, "EHLO would offer AUTH EXTERNAL PLAIN\n" },
	{ "AUTH EXTERNAL accepted though hidden", "3.7.11",
	  { { 0, 0, HS_EXT }, { 1, 0, "OK\t1\tuser=u\n" } }, 0,
	  "protocol auth\nhandshake\nauth EXTERNAL expect 235\n", CHECK_PASS,
	  "C: AUTH\\t1\\tEXTERNAL" },
	{ "one session: an AUTH after 235 gets 503 and reaches no helper", "3.7.11",
	  { { 0, 0, HS }, { 1, 0, "OK\t1\tuser=u\n" } }, 0,
	  "protocol auth\nhandshake\nsession\n" AUTH_PLAIN_E "235\n" AUTH_PLAIN_E "503\n"
	  "expect smtp 503 5.5.1 Error: already authenticated\n", CHECK_PASS,
	  "this SMTP session is authenticated already: Postfix sends nothing" },
	{ "one session: an AUTH after 535 reaches the helper", "3.7.11",
	  { { 0, 0, HS }, { 1, 0, "FAIL\t1\treason=no\n" }, { 2, 0, "OK\t2\tuser=u\n" } }, 0,
	  "protocol auth\nhandshake\nsession\n" AUTH_PLAIN_E "535\n" AUTH_PLAIN_E "235\n",
	  CHECK_PASS, "C: AUTH\\t2\\tPLAIN" },
	{ "no session statement: each AUTH is a session of its own", "3.7.11",
	  { { 0, 0, HS }, { 1, 0, "OK\t1\tuser=u\n" }, { 2, 0, "OK\t2\tuser=u\n" } }, 0,
	  "protocol auth\nhandshake\n" AUTH_PLAIN_E "235\n" AUTH_PLAIN_E "235\n", CHECK_PASS,
	  "C: AUTH\\t2\\tPLAIN" },
	{ "a new session forgets the last one's 235", "3.7.11",
	  { { 0, 0, HS }, { 1, 0, "OK\t1\tuser=u\n" }, { 2, 0, "OK\t2\tuser=u\n" } }, 0,
	  "protocol auth\nhandshake\nsession\n" AUTH_PLAIN_E "235\nsession\n" AUTH_PLAIN_E
	  "235\n", CHECK_PASS, "C: AUTH\\t2\\tPLAIN" },
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* has_line - a whole line that starts with start among the bytes */
static int has_line(const char *p, size_t n, const char *start)
{
	size_t i, k = strlen(start);

	for (i = 0; i + k <= n; i++)
		if ((i == 0 || p[i - 1] == '\n') && memcmp(p + i, start, k) == 0 &&
		    memchr(p + i, '\n', n - i) != NULL)
			return 1;
	return 0;
}

/* serve - the child: one connection, the row's script; never returns */
static void serve(int lfd, const struct row *row)
{
	char buf[4096], seen[8192], want[32];
	size_t used = 0, i;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(1);
	for (i = 0; i < N_ELEMENTS(row->chunks) && row->chunks[i].bytes != NULL; i++) {
		const struct chunk *c = &row->chunks[i];

		/*
		 * the first chunk after VERSION and CPID are in: a server that
		 * closed before they were written would fail the handshake write
		 * (EPIPE), on a loaded machine now and then
		 */
		if (c->after_auth)
			snprintf(want, sizeof(want), "AUTH\t%d\t", c->after_auth);
		else
			snprintf(want, sizeof(want), "CPID\t");
		while (!has_line(seen, used, want)) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n <= 0)
				_exit(0);
			if (used + (size_t)n <= sizeof(seen)) {
				memcpy(seen + used, buf, (size_t)n);
				used += (size_t)n;
			}
		}
		if (c->pause_ms)
			sleep_ms(c->pause_ms);
		if (write(fd, c->bytes, strlen(c->bytes)) < 0)
			_exit(1);
	}
	if (!row->close_after)
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	_exit(0);
}

static void run_row(const struct row *row, const char *dir)
{
	char path[100], spec[120], err[300];
	struct sockaddr_un sa;
	struct replay_options o;
	struct transcript t;
	struct target tg;
	struct report r;
	FILE *out = tmpfile();
	pid_t pid;
	int lfd, st, saved;

	assert_non_null(out);
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	unlink(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		serve(lfd, row);
	close(lfd);

	snprintf(spec, sizeof(spec), "unix:%s", path);
	assert_int_equal(target_parse(spec, &tg, err, sizeof(err)), 0);
	if (transcript_parse(row->tr, strlen(row->tr), "row.tr", &t, err, sizeof(err)) < 0)
		fail_msg("%s: transcript: %s", row->name, err);
	replay_options_init(&o);
	o.target = &tg;
	o.time_scale = 0.2;
	assert_int_equal(pf_version_parse(row->version, &o.version), 0);
	report_init(&r, REPORT_JSON, out, 1);
	(void)replay_run(&o, &t, &r);
	assert_int_equal(r.nentries, 1);
	if (r.entries[0].res != row->want || strstr(r.entries[0].log, row->shows) == NULL)
		fail_msg("%s: result %d (want %d), want \"%s\" in the log:\n%s\n%s", row->name,
			 (int)r.entries[0].res, (int)row->want, row->shows, r.entries[0].reason,
			 r.entries[0].log);
	/* the summary line goes to stderr: not into the test's output */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0 && dup2(fileno(out), STDERR_FILENO) >= 0);
	(void)report_finish(&r);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	fclose(out);
	transcript_free(&t);
	target_free(&tg);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	unlink(path);
}

static void test_replay_auth_reads(void **state)
{
	char dir[] = "/tmp/test_replay_auth.XXXXXX";
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < N_ELEMENTS(rows); i++)
		run_row(&rows[i], dir);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_auth_reads),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("replay_auth", tests, NULL, NULL);
}
