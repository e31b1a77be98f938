/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	listen - a listening socket for the record proxy
 * SYNOPSIS
 *	#include "harness/io/listen.h"
 *
 *	int tlisten_open(const char *spec, char *err, size_t errlen);
 *	int tlisten_accept(int lfd, int timeout_ms);
 *	void tlisten_close(int lfd, const char *spec);
 * DESCRIPTION
 *	spec is unix:/path or inet:host:port (inet:[::1]:port), as for
 *	targets. A stale UNIX socket file at the path is replaced; any other
 *	file there is an error. tlisten_close() removes the UNIX socket file.
 *	Accepted connections are non-blocking and close-on-exec.
 * DIAGNOSTICS
 *	tlisten_open: the listening fd, or -1 with a reason in err.
 *	tlisten_accept: a connected fd, -1 error (errno), -2 timeout.
 */
#ifndef HARNESS_IO_LISTEN_H
#define HARNESS_IO_LISTEN_H

#include <stddef.h>

int tlisten_open(const char *spec, char *err, size_t errlen);
int tlisten_accept(int lfd, int timeout_ms);
void tlisten_close(int lfd, const char *spec);

#endif
