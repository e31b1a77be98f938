/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cfgfile - "key = value" configuration files, iterator style
 * SYNOPSIS
 *	#include "reference/common/cfgfile.h"
 * DESCRIPTION
 *	See cfgfile.h. Pure: works on a buffer the caller read.
 *	cfg_argv() collects the file's options and its listen entries in
 *	two growing arrays, then lays out the result in one.
 * DIAGNOSTICS
 *	See cfgfile.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference/common/cfgfile.h"
#include "util/xmem.h"

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

/* cfg_list - a growing array of strings */
struct cfg_list {
	char **v;
	size_t n, cap;
};

static void cfg_list_add(struct cfg_list *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static void cfg_list_free(struct cfg_list *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
	free(l->v);
}

/* cfg_is_config - the --config argument (and the value it takes: *skip_r) */
static int cfg_is_config(const char *arg, int *skip_r)
{
	*skip_r = strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0;
	return *skip_r || strncmp(arg, "--config=", 9) == 0;
}

/* cfg_file_args - the file's entries: options in opts, listen values in listen */
static int cfg_file_args(const char *buf, size_t len, const char *file, cfg_key_fn *key,
			 void *ctx, struct cfg_list *opts, struct cfg_list *listen, char *err,
			 size_t errlen)
{
	struct cfg_iter it;
	struct cfg_entry e;
	char opt[sizeof(e.key) + 2];
	int rc, kind;

	cfg_init(&it, buf, len, file);
	while ((rc = cfg_next(&it, &e, err, errlen)) == 1) {
		if (strcmp(e.key, "listen") == 0) {
			cfg_list_add(listen, xstrdup(e.value));
			continue;
		}
		kind = key(ctx, e.key);
		if (kind < 0) {
			snprintf(err, errlen, "%s:%u: unknown setting %s", file, e.line, e.key);
			return -1;
		}
		if (kind == 0 && e.value[0] != '\0' && strcmp(e.value, "yes") != 0) {
			snprintf(err, errlen, "%s:%u: %s takes no value (or \"yes\")", file, e.line,
				 e.key);
			return -1;
		}
		snprintf(opt, sizeof(opt), "--%s", e.key);
		cfg_list_add(opts, xstrdup(opt));
		if (kind == 1)
			cfg_list_add(opts, xstrdup(e.value));
	}
	return rc;
}

/* cfg_argv - the file's settings, then the command line, then the listen entries */
int cfg_argv(const char *buf, size_t len, const char *file, int argc, char **argv,
	     cfg_key_fn *key, void *ctx, struct cfg_args *out, char *err, size_t errlen)
{
	struct cfg_list opts = { NULL, 0, 0 }, listen = { NULL, 0, 0 };
	size_t i, n = 0;
	int a, skip;

	if (cfg_file_args(buf, len, file, key, ctx, &opts, &listen, err, errlen) < 0) {
		cfg_list_free(&opts);
		cfg_list_free(&listen);
		return -1;
	}
	out->argv = xcalloc((size_t)argc + opts.n + listen.n + 1, sizeof(char *));
	out->owned = xcalloc(opts.n + listen.n + 1, sizeof(char *));
	out->nowned = 0;
	out->argv[n++] = argv[0];
	for (i = 0; i < opts.n; i++)
		out->argv[n++] = out->owned[out->nowned++] = opts.v[i];
	for (a = 1; a < argc; a++) {
		if (cfg_is_config(argv[a], &skip)) {
			a += skip;
			continue;
		}
		out->argv[n++] = argv[a];
	}
	for (i = 0; i < listen.n; i++)
		out->argv[n++] = out->owned[out->nowned++] = listen.v[i];
	out->argv[n] = NULL;
	out->argc = (int)n;
	free(opts.v);
	free(listen.v);
	return 0;
}

/* cfg_args_free - the strings cfg_argv made, and its arrays */
void cfg_args_free(struct cfg_args *a)
{
	while (a->nowned > 0)
		free(a->owned[--a->nowned]);
	free(a->owned);
	free(a->argv);
	a->owned = NULL;
	a->argv = NULL;
	a->argc = 0;
}
