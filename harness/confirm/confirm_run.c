/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	confirm_run - run failed checks' exchanges through a private real
 *	Postfix (the thin shell)
 * SYNOPSIS
 *	#include "harness/confirm/confirm_run.h"
 * DESCRIPTION
 *	See confirm_run.h. Processes: postfix-ns start and stop (each
 *	waited for, killed by PID past its bound), the namespaces it starts
 *	(ended by postfix-ns stop, which kills them by the PID it kept),
 *	and one recording proxy per check (a forked child running
 *	record_run(), ended by SIGTERM to its PID and reaped, SIGKILL past
 *	CONFIRM_STOP_MS).
 * DIAGNOSTICS
 *	Environment failures: -1 with err. Sessions that do not get where
 *	they should are reported as errors of the confirmation, not as
 *	disagreements.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/confirm/confirm_run.h"
#include "harness/record/record.h"
#include "util/escape.h"
#include "util/msg.h"
#include "util/xmem.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* set by SIGINT, SIGTERM or SIGHUP while confirm_run() runs */
static volatile sig_atomic_t confirm_stop_flag;

/* reap - wait up to ms for pid, then SIGKILL it; its wait status */
static int reap(pid_t pid, long long ms)
{
	long long end = now_ms() + ms;
	int st = 0;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			return st;
		if (now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return st;
		}
		nap(20);
	}
}

/* run - argv with stdout and stderr into log; 0 when it exited 0 in time */
static int run(char *const argv[], const char *log, long long ms)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (freopen(log, "a", stdout) == NULL || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	st = reap(pid, ms);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* on_path - an executable name on PATH (or /usr/sbin), into buf */
static int on_path(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	char *d, *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if ((size_t)snprintf(buf, size, "%s/%s", d, name) < size && access(buf, X_OK) == 0)
			return 1;
	return 0;
}

int confirm_postfix(char *version, size_t size, char *why, size_t whylen)
{
	char pc[PATH_MAX];
	FILE *fp;
	char cmd[PATH_MAX + 64];

	if (!on_path("postconf", pc, sizeof(pc))) {
		snprintf(why, whylen, "Postfix is not installed (no postconf on PATH or in /usr/sbin)");
		return 0;
	}
	snprintf(version, size, "?");
	snprintf(cmd, sizeof(cmd), "'%s' -d -h mail_version 2>/dev/null", pc);
	if ((fp = popen(cmd, "r")) != NULL) {
		if (fgets(version, (int)size, fp) != NULL)
			version[strcspn(version, "\n")] = '\0';
		pclose(fp);
	}
	return 1;
}

/* write_text - a whole file; 0 or -1 */
static int write_text(const char *path, const char *p, size_t n, mode_t mode)
{
	FILE *fp;
	int rc;

	umask(022);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	rc = fwrite(p, 1, n, fp) == n ? 0 : -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc == 0 ? chmod(path, mode) : -1;
}

/* user_cf - the user's main.cf, rewritten for the private instance, into out */
static int user_cf(const struct confirm_options *o, const char *sock, struct xbuf *out,
		   char *err, size_t errlen)
{
	struct xbuf text;
	char buf[65536];
	FILE *fp = fopen(o->main_cf, "r");
	size_t n;
	int rc;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", o->main_cf, strerror(errno));
		return -1;
	}
	xbuf_init(&text, 16 << 20);
	rc = 0;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), fp)) > 0)
		rc = xbuf_append(&text, buf, n);
	if (ferror(fp) || rc < 0 || confirm_user_settings(text.data ? text.data : "", text.len,
							  o->proto, sock, o->time_scale, out) < 0) {
		snprintf(err, errlen, "%s: cannot read it whole", o->main_cf);
		rc = -1;
	}
	fclose(fp);
	xbuf_free(&text);
	return rc;
}

/* start_postfix - the private instance in dir/pf; 0, or -1 with err */
static int start_postfix(const struct confirm_options *o, const char *dir, char *err,
			 size_t errlen)
{
	char pf[PATH_MAX], file[PATH_MAX + 16], sock[PATH_MAX], log[PATH_MAX];
	char prog[PATH_MAX], verb[] = "start";
	char *argv[] = { prog, verb, pf, NULL };
	struct xbuf cf;
	int rc = -1;

	snprintf(prog, sizeof(prog), "%s", o->postfix_ns);
	snprintf(pf, sizeof(pf), "%.4000s/pf", dir);
	snprintf(file, sizeof(file), "%s/postconf", pf);
	snprintf(sock, sizeof(sock), "%s/helper.sock", dir);
	snprintf(log, sizeof(log), "%s/postfix-ns.log", dir);
	xbuf_init(&cf, 1 << 20);
	if (mkdir(pf, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", pf, strerror(errno));
		goto out;
	}
	if ((o->main_cf != NULL ? user_cf(o, sock, &cf, err, errlen) :
				  confirm_settings(o->proto, sock, o->time_scale, &cf)) < 0 ||
	    write_text(file, cf.data, cf.len, 0644) < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot write %s", file);
		goto out;
	}
	if (run(argv, log, CONFIRM_START_MS) < 0) {
		snprintf(err, errlen, "the private Postfix did not start (%s start needs root and "
			 "namespaces; see %s)", o->postfix_ns, log);
		goto out;
	}
	rc = 0;
out:
	xbuf_free(&cf);
	return rc;
}

/* stop_postfix - postfix-ns stop: ends the namespaces by the PID it kept */
static void stop_postfix(const struct confirm_options *o, const char *dir)
{
	char pf[PATH_MAX], log[PATH_MAX], prog[PATH_MAX], verb[] = "stop";
	char *argv[] = { prog, verb, pf, NULL };

	snprintf(prog, sizeof(prog), "%s", o->postfix_ns);
	snprintf(pf, sizeof(pf), "%.4000s/pf", dir);
	snprintf(log, sizeof(log), "%s/postfix-ns.log", dir);
	if (run(argv, log, CONFIRM_START_MS) < 0)
		msg_warn("confirm: %s stop %s did not finish cleanly (see %s)", o->postfix_ns, pf,
			 log);
}

static void proxy_stop(int sig)
{
	(void)sig;
	record_request_stop();
}

/* proxy_start - the recording proxy in front of the helper; its PID, or -1 */
static pid_t proxy_start(const struct confirm_options *o, const char *sock, const char *out)
{
	struct record_options ro;
	long long end;
	pid_t pid;

	memset(&ro, 0, sizeof(ro));
	unlink(sock);
	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		struct sigaction sa;
		char listen[PATH_MAX + 8], err[600];
		unsigned n;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = proxy_stop;
		sigaction(SIGTERM, &sa, NULL);
		snprintf(listen, sizeof(listen), "unix:%s", sock);
		ro.listen = listen;
		ro.upstream = o->target;
		ro.out = out;
		ro.stderr_apart = o->stderr_apart;
		ro.quiet = 1;
		ro.force = 1;
		_exit(record_run(&ro, &n, err, sizeof(err)) == 0 ? 0 : 1);
	}
	for (end = now_ms() + 5000; now_ms() < end; nap(20))
		if (access(sock, F_OK) == 0 && chmod(sock, 0666) == 0)
			return pid;
	kill(pid, SIGKILL);
	reap(pid, CONFIRM_STOP_MS);
	return -1;
}

/* proxy_end - SIGTERM to the proxy's PID: it writes what it saw and exits */
static void proxy_end(pid_t pid)
{
	kill(pid, SIGTERM);
	reap(pid, CONFIRM_STOP_MS);
}

/* one reply compared, and where the confirmation of a check stands */
struct pairs {
	char *cmd[CONFIRM_MAX_SESSIONS];
	char *want[CONFIRM_MAX_SESSIONS];
	char *real[CONFIRM_MAX_SESSIONS];
	size_t n;
	int agree, disagree, errors;
	char error[400];
};

/* smtp_reply - one SMTP reply (its last line, CR cut) into buf; 1, 0 timeout/EOF */
static int smtp_reply(struct tconn *c, long long end, struct xbuf *log, char *buf, size_t size)
{
	for (;;) {
		const char *l;
		size_t len;
		long long left = end - now_ms();
		int rc = left > 0 ? tconn_read_line(c, left > 200 ? 200 : (int)left, &l, &len) : 0;

		if (rc == 0 && left > 0 && !confirm_stop_flag)
			continue;	/* waits in slices, so that an interrupt ends it soon */
		if (rc != 1) {
			snprintf(buf, size, "%s", rc == 0 ? "(no reply in time)" : CONFIRM_CLOSED);
			(void)!xbuf_printf(log, "S: %s\n", buf);
			return 0;
		}
		if (len > 0 && l[len - 1] == '\r')
			len--;
		snprintf(buf, size, "%.*s", (int)len, l);
		{
			char shown[1200];

			(void)!xbuf_printf(log, "S: %s\n", escape_for_log(shown, sizeof(shown), l, len));
		}
		if (len < 4 || l[3] != '-')
			return 1;
	}
}

/* session - one planned SMTP session over smtpd's UNIX socket, into pp and log */
static void session(const struct confirm_options *o, const char *smtpd,
		    const struct confirm_session *s, struct pairs *pp, struct xbuf *log)
{
	struct tconn_options to = { 0, 5000 };
	struct target t;
	struct tconn c;
	char reply[1200], spec[PATH_MAX + 8], err[600];
	long long end = now_ms() + CONFIRM_SESSION_MS +
			(o->proto == CONFIRM_POLICY ? (long long)(2 * 100000.0 * o->time_scale) : 0);
	size_t i;
	int alive;

	memset(&t, 0, sizeof(t));
	snprintf(spec, sizeof(spec), "unix:%s", smtpd);
	if (target_parse(spec, &t, err, sizeof(err)) < 0 ||
	    tconn_open(&t, &to, &c, err, sizeof(err)) < 0) {
		pp->errors++;
		snprintf(pp->error, sizeof(pp->error), "cannot connect to smtpd: %.300s", err);
		target_free(&t);
		return;
	}
	(void)!xbuf_printf(log, "-- session\n");
	alive = smtp_reply(&c, end, log, reply, sizeof(reply)) && reply[0] == '2';
	if (alive && o->proto == CONFIRM_AUTH) {
		(void)!xbuf_printf(log, "C: EHLO confirm.invalid\n");
		alive = tconn_write(&c, "EHLO confirm.invalid\r\n", 22, 5000) == 0 &&
			smtp_reply(&c, end, log, reply, sizeof(reply)) && reply[0] == '2';
	}
	for (i = 0; i < s->n && alive && !confirm_stop_flag; i++) {
		const struct confirm_step *st = &s->step[i];
		char line[CONFIRM_MAX_CMD + 2];
		int n = snprintf(line, sizeof(line), "%s\r\n", st->cmd);
		char shown[CONFIRM_MAX_CMD];

		(void)!xbuf_printf(log, "C: %s\n", escape_for_log(shown, sizeof(shown), st->cmd,
								 strlen(st->cmd)));
		if (tconn_write(&c, line, (size_t)n, 5000) < 0)
			snprintf(reply, sizeof(reply), "%s", CONFIRM_CLOSED);
		else
			(void)smtp_reply(&c, end, log, reply, sizeof(reply));
		if (st->want == NULL) {
			if (reply[0] != '2' && reply[0] != '3') {
				pp->errors++;
				snprintf(pp->error, sizeof(pp->error), "the session did not get where "
					 "the check was: \"%.80s\" got \"%.200s\"", st->cmd, reply);
				break;
			}
			continue;
		}
		if (pp->n < CONFIRM_MAX_SESSIONS) {
			struct xbuf all;
			size_t k;

			/* the session's commands up to this one: what the reply answers */
			xbuf_init(&all, 4 * CONFIRM_MAX_CMD);
			for (k = 0; k <= i; k++)
				(void)!xbuf_printf(&all, "%s%s", k ? " | " : "", s->step[k].cmd);
			pp->cmd[pp->n] = xstrdup(xbuf_cstr(&all));
			xbuf_free(&all);
			pp->want[pp->n] = xstrdup(st->want);
			pp->real[pp->n] = xstrdup(reply);
			pp->n++;
		}
		if (confirm_same(st->want, reply))
			pp->agree++;
		else
			pp->disagree++;
		alive = strcmp(reply, CONFIRM_CLOSED) != 0;
	}
	if (alive)
		(void)!(tconn_write(&c, "QUIT\r\n", 6, 2000) == 0 &&
			smtp_reply(&c, end, log, reply, sizeof(reply)));
	tconn_close(&c);
	xbuf_free(&c.err);
	target_free(&t);
}

/* pairs_free - what pairs holds */
static void pairs_free(struct pairs *pp)
{
	size_t i;

	for (i = 0; i < pp->n; i++) {
		free(pp->cmd[i]);
		free(pp->want[i]);
		free(pp->real[i]);
	}
}

/* tell - the report on one check */
static void tell(struct report *r, const char *check, const struct confirm_plan *p,
		 const struct pairs *pp, const char *smtpf, const char *helperf)
{
	struct report_confirmed rc;
	char note[2400];
	size_t n = 0;

	memset(&rc, 0, sizeof(rc));
	note[0] = '\0';
	rc.n = pp->n;
	rc.command = (const char *const *)pp->cmd;
	rc.predicted = (const char *const *)pp->want;
	rc.real = (const char *const *)pp->real;
	if (p->n == 0) {
		rc.status = "not confirmable";
		n += (size_t)snprintf(note, sizeof(note), "%s", p->why);
	} else if (pp->disagree > 0) {
		rc.status = "disagree";
		n += (size_t)snprintf(note, sizeof(note), "real Postfix disagrees with fake-smtpd's "
				      "prediction: that is a bug in fake-smtpd's oracle. Please file "
				      "it with %s (the SMTP sessions) and %s (what Postfix and the "
				      "helper said)", smtpf, helperf);
	} else if (pp->errors > 0 || pp->agree == 0) {
		rc.status = "error";
		n += (size_t)snprintf(note, sizeof(note), "%s; see %s and %s",
				      pp->errors ? pp->error : "no reply was compared", smtpf, helperf);
	} else {
		rc.status = "agree";
		rc.agree = 1;
		n += (size_t)snprintf(note, sizeof(note), "transcripts: %s, %s", smtpf, helperf);
	}
	if (p->n > 0 && p->skipped > 0 && n < sizeof(note))
		n += (size_t)snprintf(note + n, sizeof(note) - n, "; %zu exchange(s) not "
				      "confirmable (%s)", p->skipped, p->skip_why);
	if (p->left_out > 0 && n < sizeof(note))
		snprintf(note + n, sizeof(note) - n, "; %zu more session(s) left out", p->left_out);
	rc.note = note;
	report_confirm(r, check, &rc);
}

/* confirm_one - the sessions of one failed check */
static void confirm_one(const struct confirm_options *o, const char *dir,
			const struct confirm_entry *e, const char *check, struct report *r)
{
	char sock[PATH_MAX], smtpd[PATH_MAX], smtpf[PATH_MAX], helperf[PATH_MAX];
	struct confirm_plan p;
	struct pairs pp;
	struct xbuf log;
	pid_t proxy = -1;
	size_t i;

	memset(&pp, 0, sizeof(pp));
	xbuf_init(&log, 16 << 20);
	snprintf(sock, sizeof(sock), "%s/helper.sock", dir);
	snprintf(smtpd, sizeof(smtpd), "%s/pf/spool/public/smtpd-unix", dir);
	snprintf(smtpf, sizeof(smtpf), "%s/%s.smtp", dir, check);
	snprintf(helperf, sizeof(helperf), "%s/%s.helper.tr", dir, check);
	if (o->proto == CONFIRM_AUTH)
		confirm_plan_auth(e, &p);
	else
		confirm_plan_policy(e, &o->version, &p);
	if (p.n > 0 && (proxy = proxy_start(o, sock, helperf)) < 0) {
		pp.errors++;
		snprintf(pp.error, sizeof(pp.error), "the recording proxy did not start");
	}
	for (i = 0; i < p.n && proxy > 0 && !confirm_stop_flag; i++)
		session(o, smtpd, &p.s[i], &pp, &log);
	if (proxy > 0) {
		nap(300);	/* smtpd (max_use 1) exits and closes its helper connection */
		proxy_end(proxy);
	}
	if (p.n > 0 && write_text(smtpf, log.data ? log.data : "", log.len, 0644) < 0)
		msg_warn("confirm: cannot write %s: %s", smtpf, strerror(errno));
	tell(r, check, &p, &pp, smtpf, helperf);
	pairs_free(&pp);
	confirm_plan_free(&p);
	xbuf_free(&log);
}

static void confirm_stop(int sig)
{
	(void)sig;
	confirm_stop_flag = 1;
}

/* interrupts - while Postfix runs, SIGINT, SIGTERM and SIGHUP end the run
 * cleanly (Postfix stopped) instead of leaving it running; on 0 they are put back */
static void interrupts(int on, struct sigaction *saved)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = confirm_stop;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (on)
			sigaction(sigs[i], &sa, &saved[i]);
		else
			sigaction(sigs[i], &saved[i], NULL);
}

int confirm_run(const struct confirm_options *o, const struct confirm_book *b, struct report *r,
		char *err, size_t errlen)
{
	char tmp[] = "/tmp/fake-smtpd-confirm.XXXXXX";
	const char *dir = o->dir;
	struct sigaction saved[3];
	size_t i;

	err[0] = '\0';
	if (dir == NULL && (dir = mkdtemp(tmp)) == NULL) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	if (chmod(dir, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	confirm_stop_flag = 0;
	interrupts(1, saved);
	if (start_postfix(o, dir, err, errlen) < 0) {
		stop_postfix(o, dir);
		interrupts(0, saved);
		return -1;
	}
	for (i = 0; i < b->n && !confirm_stop_flag; i++)
		if (b->e[i].failed)
			confirm_one(o, dir, confirm_book_source(b, &b->e[i]), b->e[i].check, r);
	stop_postfix(o, dir);
	interrupts(0, saved);
	if (confirm_stop_flag) {
		snprintf(err, errlen, "interrupted; the private Postfix in %s is stopped", dir);
		return -1;
	}
	return 0;
}
