/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_sig - finding signatures: normalized texts, the table, JSON
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_sig.h"
 *
 *	void fuzz_sig_norm(char *dst, size_t size, const char *src);
 *	struct fuzz_sig *fuzz_sig_find(struct fuzz_result *res,
 *	                               const struct fuzz_sig *key);
 *	int fuzz_json_str(struct xbuf *out, const char *s);
 * DESCRIPTION
 *	fuzz_sig_norm() makes a text of a signature (the helper's last line,
 *	Postfix's symptom) the same for every hit of one bug: printable
 *	ASCII (other bytes become '?'), blanks at either end dropped, every
 *	run of digits (with the hex digits and 'x' that follow it: 0x7f3a,
 *	12ab) becomes "N", what is between two single or two double quotes
 *	becomes "*", and the result is cut to size - 1 bytes.
 *
 *	fuzz_sig_find() is the signature of res->sig with the same kind,
 *	status, last line, symptom and place as key, or NULL.
 *
 *	fuzz_json_str() appends s as a JSON string: quotes, backslash and
 *	control bytes escaped, valid UTF-8 kept, other bytes as U+FFFD.
 *	The summaries (fuzz_summary_text, fuzz_summary_json) are declared
 *	in fuzz.h.
 * DIAGNOSTICS
 *	fuzz_json_str: 0, or -1 when out is full.
 */
#ifndef HARNESS_FUZZ_FUZZ_SIG_H
#define HARNESS_FUZZ_FUZZ_SIG_H

#include <stddef.h>

#include "harness/fuzz/fuzz.h"
#include "util/compiler.h"
#include "util/xbuf.h"

void fuzz_sig_norm(char *dst, size_t size, const char *src);
struct fuzz_sig *fuzz_sig_find(struct fuzz_result *res, const struct fuzz_sig *key);
int fuzz_json_str(struct xbuf *out, const char *s) ATTR_WUR;

#endif
