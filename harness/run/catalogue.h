/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	catalogue - data checks of the conformance catalogue (auth and policy)
 * SYNOPSIS
 *	#include "harness/run/catalogue.h"
 *
 *	int catalogue_meta_parse(const char *buf, size_t len, const char *file,
 *	                         struct catalogue_meta *m,
 *	                         char *err, size_t errlen);
 *	int catalogue_load(struct catalogue *c, const char *dir,
 *	                   const char *const *files, size_t nfiles,
 *	                   enum transcript_protocol proto,
 *	                   char *err, size_t errlen);
 *	void catalogue_free(struct catalogue *c);
 *	int catalogue_match(const char *list, const char *id, const char *tags);
 *	int catalogue_wanted(const char *only, const char *skip,
 *	                     const char *id, const char *tags);
 *	char *catalogue_slurp(const char *path, size_t *len_r,
 *	                      char *err, size_t errlen);
 *	void catalogue_run_auth(const struct catalogue *c,
 *	                        const struct catalogue_run_options *o,
 *	                        struct report *r);
 *	enum check_result catalogue_replay(const struct catalogue_entry *d,
 *	                        const struct replay_options *ro,
 *	                        struct report *r, char *why, size_t whylen);
 * DESCRIPTION
 *	A data check is a transcript (docs/transcripts.md) whose leading
 *	comment lines carry a metadata header, one "# key: value" per line:
 *
 *	  header  := *(meta-line / comment-line / blank-line)
 *	  meta    := "#" *SP key ":" *SP value      key has no blank
 *	  key     := "id" / "title" / "severity" / "why" / "fix" / "tags"
 *	           / "fails-on"
 *	  severity := "breaks-postfix" / "security" / "diverges-dovecot"
 *	           / "advisory"
 *
 *	The header ends at the first line that is not a comment. A comment
 *	whose text before the first ':' holds a blank (or has no ':') is an
 *	ordinary comment. Unknown keys are errors. Values are cut to their
 *	field's size (id 63 bytes, title/tags/fails-on 199, why/fix 399).
 *	Without "# severity:" a check is breaks-postfix.
 *
 *	catalogue_meta_parse() is pure over (buf, len): no I/O, no
 *	allocation; errors are "file:line: what".
 *
 *	catalogue_load() reads every "*.tr" file of dir (none when dir is
 *	NULL; dot files skipped), each of which needs an id, then the
 *	user's files (id optional: "USER-<basename>" otherwise), parses
 *	each as a transcript of protocol proto, and refuses an id that two
 *	files of the directory share. c->v lists the entries to run: the
 *	directory's sorted by id, then the user's in the order given.
 *	At most CATALOGUE_MAX_FILES files.
 *
 *	catalogue_match() is true when an element of the comma-separated
 *	list is a prefix of id (case-insensitive) or equals one of the
 *	comma-separated tags (blanks around tags ignored).
 *	catalogue_wanted() applies --only (NULL: all) then --skip.
 *
 *	catalogue_slurp() reads a whole file (at most TRANSCRIPT_MAX_FILE
 *	bytes) into a NUL-terminated buffer the caller frees.
 *
 *	catalogue_run_auth() runs the auth data checks c->v selected by
 *	o->only/o->skip, each as one check under its own id: the transcript
 *	is replayed (harness/run/replay.c) on a fresh connection to
 *	o->target with o->defines plus user and password from o->user and
 *	o->password (a -D definition wins). The replay's wire log, its
 *	Postfix verdicts and the first failing step become the check's
 *	report, followed by the header's fix line. A check is skipped,
 *	saying why, when o->skip_all is set, when its tags hold "account"
 *	and there is no user or password, or when a tag names a SASL
 *	mechanism that o->mechs (the handshake's list after Postfix's
 *	noanonymous filter; NULL: not known) lacks. Beyond the transcript,
 *	a check fails when a SCRAM exchange reached OK without the
 *	server-final CONT round, or when an OK reply carries resp=: Postfix
 *	never sends final-resp-ok and drops that data (protocols.md A.5).
 * DIAGNOSTICS
 *	catalogue_meta_parse, catalogue_load: 0, or -1 with the reason in
 *	err (catalogue_load then holds nothing to free).
 *	catalogue_slurp: NULL with the reason in err.
 * SEE ALSO
 *	docs/conformance.md, harness/run/check_policy.c, check_auth.c
 */
#ifndef HARNESS_RUN_CATALOGUE_H
#define HARNESS_RUN_CATALOGUE_H

#include <stddef.h>

#include "harness/io/target.h"
#include "harness/postfix/pf_auth.h"
#include "harness/report/report.h"
#include "harness/script/transcript.h"

#define CATALOGUE_MAX_FILES	256

struct catalogue_meta {
	char id[64];
	char title[200];
	enum check_severity severity;
	char why[400];
	char fix[400];
	char tags[200];			/* comma-separated */
	char fails_on[200];
	int has_id;
};

struct catalogue_entry {
	int user;			/* given on the command line */
	struct catalogue_meta m;
	struct transcript t;
	struct check_info ci;		/* points into m, t and idbuf */
	char idbuf[64];
};

struct catalogue {
	struct catalogue_entry *e;	/* in load order */
	struct catalogue_entry **v;	/* in run order */
	size_t n;
};

struct catalogue_run_options {
	const struct target *target;
	struct pf_version version;
	double time_scale;		/* 1.0 = Postfix's real timeouts */
	int stderr_apart;
	const char *only;		/* comma-separated id prefixes or tags */
	const char *skip;
	const struct tvars *defines;	/* -D NAME=VALUE, or NULL */
	const char *user, *password;	/* the test account, or NULL */
	const char *const *mechs;	/* offered after noanonymous; NULL: unknown */
	size_t nmechs;
	const char *skip_all;		/* skip every check with this reason */
};

int catalogue_meta_parse(const char *buf, size_t len, const char *file, struct catalogue_meta *m,
			 char *err, size_t errlen) __attribute__((warn_unused_result));
int catalogue_load(struct catalogue *c, const char *dir, const char *const *files, size_t nfiles,
		   enum transcript_protocol proto, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void catalogue_free(struct catalogue *c);
int catalogue_match(const char *list, const char *id, const char *tags);
int catalogue_wanted(const char *only, const char *skip, const char *id, const char *tags);
char *catalogue_slurp(const char *path, size_t *len_r, char *err, size_t errlen);
void catalogue_run_auth(const struct catalogue *c, const struct catalogue_run_options *o,
			struct report *r);
struct replay_options;
enum check_result catalogue_replay(const struct catalogue_entry *d, const struct replay_options *ro,
				   struct report *r, char *why, size_t whylen);

#endif
