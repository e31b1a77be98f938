/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	msg - diagnostics for programs (never called by lib/proto)
 * SYNOPSIS
 *	#include "util/msg.h"
 *
 *	void msg_init(const char *progname);
 *	void msg_set_verbose(int level);
 *	void msg_info(const char *fmt, ...);
 *	void msg_warn(const char *fmt, ...);
 *	void msg_error(const char *fmt, ...);
 *	_Noreturn void msg_fatal(const char *fmt, ...);
 *	_Noreturn void msg_panic(const char *fmt, ...);
 *	void msg_debug(int level, const char *fmt, ...);
 * DESCRIPTION
 *	One line per message on stderr: "progname: [level: ]text".
 *	msg_error() reports an error the caller then returns from (a usage
 *	or environment error of a command: "progname: text", no level tag,
 *	the caller decides the exit status).
 *	msg_fatal() is for main()-level environment failures (exit 2);
 *	msg_panic() is for our own bugs (abort, core dump).
 *	The protocol codecs in lib/proto never call these: they return
 *	errors as values. Untrusted text must pass through escape_for_log().
 */
#ifndef LIB_UTIL_MSG_H
#define LIB_UTIL_MSG_H

#include "util/compiler.h"

void msg_init(const char *progname);
void msg_set_verbose(int level);
int msg_verbose(void);
void msg_info(const char *fmt, ...) ATTR_PRINTF(1, 2);
void msg_warn(const char *fmt, ...) ATTR_PRINTF(1, 2);
void msg_error(const char *fmt, ...) ATTR_PRINTF(1, 2);
_Noreturn void msg_fatal(const char *fmt, ...) ATTR_PRINTF(1, 2);
_Noreturn void msg_panic(const char *fmt, ...) ATTR_PRINTF(1, 2);
void msg_debug(int level, const char *fmt, ...) ATTR_PRINTF(2, 3);

#endif
