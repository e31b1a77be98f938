/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	death - what the helper did to the exchanges of a check: drops, crashes, a service gone
 * SYNOPSIS
 *	#include "harness/check/death.h"
 *
 *	void death_init(struct death *h, const struct target *t);
 *	void death_begin(struct death *h);
 *	void death_opened(struct death *h);
 *	void death_sent(struct death *h, const char *p, size_t len);
 *	void death_dropped(struct death *h, struct tconn *c, int postfix);
 *	void death_closed(struct death *h, struct report *r,
 *	                  const struct tconn *c);
 *	void death_gone(struct death *h, const char *id);
 *	void death_replayed(struct death *h, enum check_result res,
 *	                    const char *why);
 *	int death_probe_due(const struct death *h);
 *	int death_verdict(struct death *h, struct report *r, const char *id,
 *	                  const char *consequence, enum check_result *res,
 *	                  char *why, size_t size);
 * DESCRIPTION
 *	A death is a finding of the exchange that caused it. The suites
 *	tell this module what happens on the wire; at the end of each check
 *	(the runner's leave hook) death_verdict() turns a death into the
 *	check's failure, whatever the check itself concluded.
 *
 *	death_init() for a run against target t (a daemon for unix: and
 *	inet:, else spawn:). death_begin() before each check forgets what
 *	the last check saw. death_opened() counts a new connection;
 *	death_sent() keeps the last two requests written (a request is a
 *	line of the auth protocol or a whole policy block; of a spawned
 *	helper only those of the current connection), so that a failure can
 *	show the request in flight and, when the damage showed only on the
 *	next request, the one before it.
 *
 *	death_dropped(): a connection ended (EOF, or a write failed) while a
 *	reply was awaited. postfix is 1 when the request was one Postfix
 *	sends: then the drop is a finding (h->dropped); for odd input that
 *	Postfix never sends, closing is the helper's right and only a crash
 *	or a service gone count. Of a spawned helper the exit is awaited
 *	briefly: a death by a signal is a crash. death_closed(), after
 *	tconn_close(): a spawned helper that ended by a signal while the
 *	connection was open crashed; one that ended badly only after the
 *	close, every reply delivered, is a notice (report_notice(): what
 *	spawn(8) would log), not a failure: Postfix cannot see it.
 *
 *	death_replayed(): a data check ended with res and why (the replay
 *	opens connections of its own): one that did not pass ended one, and
 *	a spawned helper that the replay saw crash (why holds
 *	DEATH_REPLAY_CRASH, the replay's words) died in it.
 *
 *	death_gone(): a daemon refuses connections after one worked; id is
 *	the check during which that was found. death_probe_due() is 1 when
 *	the suite should look whether a daemon is still there (a
 *	connection ended during the check and no death is known yet); a
 *	suite's probe that fails calls death_gone().
 *
 *	death_verdict(): when the helper died during the check, *res
 *	becomes CHECK_FAIL and why says how, with consequence (what Postfix
 *	answers then) in place of the check's own reason and advice, which
 *	were written for a live helper; the request(s) go to the check's
 *	log. A drop of a Postfix request turns a pass into a failure the
 *	same way. Otherwise nothing changes. One root cause, one failure: a
 *	spawned helper that dies again in a later check (id) is that
 *	check's CHECK_BLOCKED by the first check it died in (h->first_id),
 *	and death_verdict() returns 1 then (the caller names the root to the
 *	runner); it returns 0 otherwise.
 * DIAGNOSTICS
 *	None; everything goes into the report.
 */
#ifndef HARNESS_CHECK_DEATH_H
#define HARNESS_CHECK_DEATH_H

#include <stddef.h>

#include "harness/io/target.h"
#include "harness/report/report.h"

#define DEATH_REQ_MAX	16384	/* the part of a request kept for the report */
#define DEATH_REPLAY_CRASH "helper crashed: "	/* how a replay's reason names a crash */

struct death {
	int daemon;			/* unix: or inet: (else spawn:) */
	const char *argv0;		/* spawn: the command, as spawn(8) logs it */
	unsigned conn;			/* connections opened */
	/* the last two requests, and the connection each went on */
	char req[2][DEATH_REQ_MAX];
	size_t req_len[2];
	unsigned req_conn[2];
	/* during the current check */
	int ended;			/* a connection ended: EOF or a failed write */
	int dropped;			/* ... while Postfix waited for a reply */
	int died;			/* crashed, or the service is gone */
	char how[200];
	char at[2][DEATH_REQ_MAX];	/* the request in flight, the one before */
	size_t at_len[2];
	/* for the run */
	int gone;			/* a daemon refuses connections */
	char gone_id[64];		/* the check it died in */
	char first_id[64];		/* the first check whose finding was a death */
};

void death_init(struct death *h, const struct target *t);
void death_begin(struct death *h);
void death_opened(struct death *h);
void death_sent(struct death *h, const char *p, size_t len);
void death_dropped(struct death *h, struct tconn *c, int postfix);
void death_closed(struct death *h, struct report *r, const struct tconn *c);
void death_gone(struct death *h, const char *id);
void death_replayed(struct death *h, enum check_result res, const char *why);
int death_probe_due(const struct death *h);
int death_verdict(struct death *h, struct report *r, const char *id, const char *consequence,
		  enum check_result *res, char *why, size_t size);

#endif
