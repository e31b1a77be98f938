/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cfgfile - "key = value" configuration files, iterator style
 * SYNOPSIS
 *	#include "reference/common/cfgfile.h"
 * DESCRIPTION
 *	See cfgfile.h. Pure: works on a buffer the caller read.
 * DIAGNOSTICS
 *	See cfgfile.h.
 */
#include <stdio.h>
#include <string.h>

#include "reference/common/cfgfile.h"

void cfg_init(struct cfg_iter *it, const char *buf, size_t len, const char *file)
{
	it->buf = buf;
	it->len = len;
	it->pos = 0;
	it->line = 0;
	it->file = file;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int cfg_next(struct cfg_iter *it, struct cfg_entry *e, char *err, size_t errlen)
{
	while (it->pos < it->len) {
		const char *p = it->buf + it->pos;
		const char *nl = memchr(p, '\n', it->len - it->pos);
		size_t n = nl ? (size_t)(nl - p) : it->len - it->pos;
		size_t i = 0, k, vstart, vend;

		it->pos += n + (nl ? 1 : 0);
		it->line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > CFG_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line too long", it->file, it->line);
			return -1;
		}
		while (i < n && is_blank(p[i]))
			i++;
		if (i == n || p[i] == '#')
			continue;
		for (k = i; k < n; k++) {
			char c = p[k];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				break;
		}
		if (k == i || k - i >= sizeof(e->key)) {
			snprintf(err, errlen, "%s:%u: bad key", it->file, it->line);
			return -1;
		}
		memcpy(e->key, p + i, k - i);
		e->key[k - i] = '\0';
		while (k < n && is_blank(p[k]))
			k++;
		if (k == n || p[k] != '=') {
			snprintf(err, errlen, "%s:%u: missing '=' after %s", it->file, it->line, e->key);
			return -1;
		}
		k++;
		while (k < n && is_blank(p[k]))
			k++;
		vstart = k;
		vend = n;
		while (vend > vstart && is_blank(p[vend - 1]))
			vend--;
		if (vend - vstart >= sizeof(e->value)) {
			snprintf(err, errlen, "%s:%u: value too long", it->file, it->line);
			return -1;
		}
		if (memchr(p + vstart, '\0', vend - vstart) != NULL) {
			snprintf(err, errlen, "%s:%u: NUL byte in value", it->file, it->line);
			return -1;
		}
		memcpy(e->value, p + vstart, vend - vstart);
		e->value[vend - vstart] = '\0';
		e->line = it->line;
		return 1;
	}
	return 0;
}
