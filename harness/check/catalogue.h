/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	catalogue - data checks of the conformance catalogue (auth and policy)
 * SYNOPSIS
 *	#include "harness/check/catalogue.h"
 *
 *	int catalogue_meta_parse(const char *buf, size_t len, const char *file,
 *	                         struct catalogue_meta *m,
 *	                         char *err, size_t errlen);
 *	int catalogue_load(struct catalogue *c, const char *dir,
 *	                   const char *const *files, size_t nfiles,
 *	                   enum transcript_protocol proto,
 *	                   char *err, size_t errlen);
 *	void catalogue_free(struct catalogue *c);
 *	char *catalogue_slurp(const char *path, size_t *len_r,
 *	                      char *err, size_t errlen);
 *	void catalogue_def(const struct catalogue_entry *e,
 *	                   struct check_def *d);
 *	void catalogue_list(FILE *out, const struct catalogue *c);
 *	void catalogue_replay_options(struct replay_options *ro,
 *	                        const struct target *target,
 *	                        const struct pf_version *version,
 *	                        double time_scale, int stderr_apart,
 *	                        const struct tvars *defines);
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
 *	catalogue_slurp() reads a whole file (at most TRANSCRIPT_MAX_FILE
 *	bytes) into a NUL-terminated buffer the caller frees.
 *
 *	catalogue_def() makes an entry a row of the runner
 *	(check/runner.h): its id, title, severity and why, its tags, stage
 *	CHECK_STAGE_MAIN, and the entry itself as d->arg; the suite adds
 *	what the check needs and the function that runs it.
 *	catalogue_list() prints the entries' --list lines, in run order.
 *
 *	catalogue_replay_options() sets up Postfix's client (replay.h) for
 *	the run's target, Postfix version, time scale, stderr handling and
 *	variables. catalogue_replay() replays data check d with it on a fresh
 *	connection to ro->target into a scratch report, and adds the
 *	replay's wire log and Postfix verdicts to the check the runner
 *	began in r; the suite judges r->log further and ends the check.
 *	When the replay did not pass, why holds its first failing step.
 * DIAGNOSTICS
 *	catalogue_meta_parse, catalogue_load: 0, or -1 with the reason in
 *	err (catalogue_load then holds nothing to free).
 *	catalogue_slurp: NULL with the reason in err.
 *	catalogue_replay: the replay's result; CHECK_ERROR, with why, when
 *	no scratch report can be made.
 * SEE ALSO
 *	docs/conformance.md, harness/check/auth.c, harness/check/policy.c
 */
#ifndef HARNESS_CHECK_CATALOGUE_H
#define HARNESS_CHECK_CATALOGUE_H

#include <stddef.h>
#include <stdio.h>

#include "harness/check/runner.h"
#include "harness/io/target.h"
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

int catalogue_meta_parse(const char *buf, size_t len, const char *file, struct catalogue_meta *m,
			 char *err, size_t errlen) __attribute__((warn_unused_result));
int catalogue_load(struct catalogue *c, const char *dir, const char *const *files, size_t nfiles,
		   enum transcript_protocol proto, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void catalogue_free(struct catalogue *c);
char *catalogue_slurp(const char *path, size_t *len_r, char *err, size_t errlen);
void catalogue_def(const struct catalogue_entry *e, struct check_def *d);
void catalogue_list(FILE *out, const struct catalogue *c);
struct replay_options;
struct pf_version;
void catalogue_replay_options(struct replay_options *ro, const struct target *target,
			      const struct pf_version *version, double time_scale,
			      int stderr_apart, const struct tvars *defines);
enum check_result catalogue_replay(const struct catalogue_entry *d, const struct replay_options *ro,
				   struct report *r, char *why, size_t whylen);

#endif
