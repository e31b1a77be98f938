/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	record_file - where a recording goes, and which upstreams look live
 * SYNOPSIS
 *	#include "harness/record/record_file.h"
 *
 *	int record_file_open(struct record_file *f, const char *path,
 *	                     int force, char *err, size_t errlen);
 *	int record_file_save(struct record_file *f, const void *data,
 *	                     size_t len, char *err, size_t errlen);
 *	void record_file_close(struct record_file *f);
 *	const char *record_live_upstream(const struct target *t);
 * DESCRIPTION
 *	A recording holds what real clients sent, credentials among them, so
 *	its file is private and never takes the place of another file by
 *	surprise. record_file_open() refuses a path that is there (a file, a
 *	link, anything) unless force is set, and starts the recording in a
 *	new file of the same directory (mkstemp: mode 0600, O_EXCL) named
 *	".NAME.XXXXXX". record_file_save() writes data as the whole file;
 *	the first save puts it in place: without force by link(), which
 *	fails when something took the name meanwhile (on a file system
 *	without hard links, the name is created with O_CREAT|O_EXCL|
 *	O_NOFOLLOW and mode 0600 instead), with force by rename(), which
 *	replaces a file or a symbolic link there and never writes through
 *	one. Later saves rewrite the same file through its descriptor.
 *	record_file_close() removes the temporary file when nothing was
 *	saved: a run that ends before its first recorded connection leaves
 *	nothing behind.
 *
 *	record_live_upstream() says why an upstream looks like a live server
 *	whose users' exchanges would be recorded: inet: to anything but a
 *	loopback address (127.0.0.0/8, ::1, "localhost"), or a UNIX socket
 *	in the places Postfix and Dovecot keep theirs (/var/spool/postfix/,
 *	/run/dovecot/, /var/run/dovecot/, /var/lib/dovecot/); NULL when it
 *	does not (spawn:, a socket elsewhere).
 * DIAGNOSTICS
 *	record_file_open, record_file_save: 0, or -1 with the reason in err.
 */
#ifndef HARNESS_RECORD_RECORD_FILE_H
#define HARNESS_RECORD_RECORD_FILE_H

#include <stddef.h>

#include "harness/io/target.h"

struct record_file {
	int fd;
	char *path;
	char *tmp;			/* the temporary name until the first save */
	int force;
	int placed;			/* the first save put it at path */
};

int record_file_open(struct record_file *f, const char *path, int force, char *err,
		     size_t errlen);
int record_file_save(struct record_file *f, const void *data, size_t len, char *err,
		     size_t errlen);
void record_file_close(struct record_file *f);
const char *record_live_upstream(const struct target *t);

#endif
