/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	catalogue - data checks of the conformance catalogue (auth and policy)
 * SYNOPSIS
 *	#include "harness/check/catalogue.h"
 * DESCRIPTION
 *	See catalogue.h: the metadata header parser (pure), the directory
 *	loader shared by `check --auth` and `check --policy`, an entry as a
 *	row of the runner (check/runner.h), and the replay of one data
 *	check: the replay reports into a scratch report whose wire log and
 *	first reason move under the check's id.
 * DIAGNOSTICS
 *	Errors name the file and, for the header, the line. A target that
 *	cannot be reached makes a data check an error, not the run.
 */
#define _GNU_SOURCE		/* open_memstream is POSIX 2008 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/check/catalogue.h"
#include "harness/replay/replay.h"
#include "util/xmem.h"

/* meta_severity - the four severity names of docs/conformance.md */
static int meta_severity(const char *s, enum check_severity *sev)
{
	static const struct {
		const char *name;
		enum check_severity sev;
	} t[] = {
		{ "breaks-postfix", SEV_BREAKS_POSTFIX }, { "security", SEV_SECURITY },
		{ "diverges-dovecot", SEV_DIVERGES_DOVECOT }, { "advisory", SEV_ADVISORY },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0) {
			*sev = t[i].sev;
			return 0;
		}
	return -1;
}

/* catalogue_meta_parse - the "# key: value" header of a data check */
int catalogue_meta_parse(const char *buf, size_t len, const char *file, struct catalogue_meta *m,
			 char *err, size_t errlen)
{
	size_t pos = 0, line = 0;

	memset(m, 0, sizeof(*m));
	m->severity = SEV_BREAKS_POSTFIX;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *l = buf + pos, *colon;
		char key[32], val[400];
		size_t kn, vn;

		line++;
		pos += n + 1;
		while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' '))
			n--;
		if (n == 0)
			continue;
		if (l[0] != '#')
			break;
		l++, n--;
		while (n > 0 && *l == ' ')
			l++, n--;
		colon = memchr(l, ':', n);
		kn = colon ? (size_t)(colon - l) : 0;
		if (colon == NULL || kn == 0 || kn >= sizeof(key) || memchr(l, ' ', kn) != NULL)
			continue;	/* an ordinary comment */
		memcpy(key, l, kn);
		key[kn] = '\0';
		l = colon + 1;
		n -= kn + 1;
		while (n > 0 && *l == ' ')
			l++, n--;
		vn = n < sizeof(val) ? n : sizeof(val) - 1;
		memcpy(val, l, vn);
		val[vn] = '\0';
		if (strcmp(key, "id") == 0) {
			if (vn == 0 || vn >= sizeof(m->id)) {
				snprintf(err, errlen, "%s:%zu: id: empty or too long", file, line);
				return -1;
			}
			snprintf(m->id, sizeof(m->id), "%.63s", val);
			m->has_id = 1;
		} else if (strcmp(key, "title") == 0) {
			snprintf(m->title, sizeof(m->title), "%.199s", val);
		} else if (strcmp(key, "severity") == 0) {
			if (meta_severity(val, &m->severity) < 0) {
				snprintf(err, errlen, "%s:%zu: severity: want breaks-postfix, security, "
					 "diverges-dovecot or advisory, not \"%.100s\"", file, line, val);
				return -1;
			}
		} else if (strcmp(key, "why") == 0) {
			snprintf(m->why, sizeof(m->why), "%s", val);
		} else if (strcmp(key, "fix") == 0) {
			snprintf(m->fix, sizeof(m->fix), "%s", val);
		} else if (strcmp(key, "tags") == 0) {
			snprintf(m->tags, sizeof(m->tags), "%.199s", val);
		} else if (strcmp(key, "fails-on") == 0) {
			snprintf(m->fails_on, sizeof(m->fails_on), "%.199s", val);
		} else {
			snprintf(err, errlen, "%s:%zu: unknown header key \"%s\" (id, title, severity, "
				 "why, fix, tags, fails-on)", file, line, key);
			return -1;
		}
	}
	return 0;
}

/* catalogue_slurp - a whole transcript file, NUL-terminated, at most TRANSCRIPT_MAX_FILE */
char *catalogue_slurp(const char *path, size_t *len_r, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > TRANSCRIPT_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, TRANSCRIPT_MAX_FILE);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len_r = got;
	return buf;
}

/* load_one - header and transcript of one file */
static int load_one(const char *path, int need_id, enum transcript_protocol proto,
		    struct catalogue_entry *d, char *err, size_t errlen)
{
	size_t len;
	char *buf = catalogue_slurp(path, &len, err, errlen);
	int rc = -1;

	if (buf == NULL)
		return -1;
	if (catalogue_meta_parse(buf, len, path, &d->m, err, errlen) < 0)
		goto out;
	if (need_id && !d->m.has_id) {
		snprintf(err, errlen, "%s:1: no \"# id:\" header", path);
		goto out;
	}
	if (transcript_parse(buf, len, path, &d->t, err, errlen) < 0)
		goto out;
	if (d->t.protocol != proto) {
		snprintf(err, errlen, "%s: not %s transcript", path,
			 proto == TPROTO_AUTH ? "an auth" : "a policy");
		transcript_free(&d->t);
		goto out;
	}
	if (!d->m.has_id) {
		const char *base = strrchr(path, '/');

		snprintf(d->idbuf, sizeof(d->idbuf), "USER-%.58s", base ? base + 1 : path);
	} else
		snprintf(d->idbuf, sizeof(d->idbuf), "%s", d->m.id);
	d->ci.id = d->idbuf;
	d->ci.title = d->m.title[0] ? d->m.title : d->t.title[0] ? d->t.title : path;
	d->ci.severity = d->m.severity;
	d->ci.why = d->m.why[0] ? d->m.why : NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cmp_entry - the directory's by id, then the user's as given */
static int cmp_entry(const void *a, const void *b)
{
	const struct catalogue_entry *x = *(const struct catalogue_entry *const *)a;
	const struct catalogue_entry *y = *(const struct catalogue_entry *const *)b;

	if (x->user != y->user)
		return x->user - y->user;
	if (x->user)
		return x < y ? -1 : x > y;
	return strcmp(x->idbuf, y->idbuf);
}

/* catalogue_load - the directory (sorted, unique ids) and the user's files */
int catalogue_load(struct catalogue *c, const char *dir, const char *const *files, size_t nfiles,
		   enum transcript_protocol proto, char *err, size_t errlen)
{
	char *paths[CATALOGUE_MAX_FILES];
	size_t np = 0, ndir = 0, i, k;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (dir != NULL) {
		DIR *d = opendir(dir);
		struct dirent *e;

		if (d == NULL) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name), dl = strlen(dir);

			if (l < 4 || strcmp(e->d_name + l - 3, ".tr") != 0 || e->d_name[0] == '.')
				continue;
			if (np >= CATALOGUE_MAX_FILES) {
				snprintf(err, errlen, "%s: more than %d transcripts", dir,
					 CATALOGUE_MAX_FILES);
				rc = -1;
				break;
			}
			paths[np] = xmalloc(dl + l + 2);
			memcpy(paths[np], dir, dl);
			paths[np][dl] = '/';
			memcpy(paths[np] + dl + 1, e->d_name, l + 1);
			np++;
		}
		closedir(d);
		qsort(paths, np, sizeof(paths[0]), cmp_str);
		ndir = np;
	}
	for (i = 0; rc == 0 && i < nfiles; i++) {
		if (np >= CATALOGUE_MAX_FILES) {
			snprintf(err, errlen, "more than %d transcripts", CATALOGUE_MAX_FILES);
			rc = -1;
			break;
		}
		paths[np++] = xstrdup(files[i]);
	}
	c->e = xcalloc(np ? np : 1, sizeof(*c->e));
	for (i = 0; i < np; i++) {
		c->e[i].user = i >= ndir;
		if (rc == 0 && load_one(paths[i], i < ndir, proto, &c->e[i], err, errlen) < 0) {
			for (k = 0; k < i; k++)
				transcript_free(&c->e[k].t);
			rc = -1;
		}
		/* one id, one check: a copied file must not shadow another */
		for (k = 0; rc == 0 && i < ndir && k < i; k++)
			if (strcmp(c->e[k].idbuf, c->e[i].idbuf) == 0) {
				snprintf(err, errlen, "%s:1: id %s is already used by %s", paths[i],
					 c->e[i].idbuf, c->e[k].t.file ? c->e[k].t.file : "another file");
				for (k = 0; k <= i; k++)
					transcript_free(&c->e[k].t);
				rc = -1;
			}
	}
	for (i = 0; i < np; i++)
		free(paths[i]);
	if (rc < 0) {
		free(c->e);
		memset(c, 0, sizeof(*c));
		return -1;
	}
	c->n = np;
	c->v = xcalloc(np ? np : 1, sizeof(*c->v));
	for (i = 0; i < np; i++)
		c->v[i] = &c->e[i];
	qsort(c->v, np, sizeof(*c->v), cmp_entry);
	return 0;
}

/* catalogue_free - every transcript and both arrays */
void catalogue_free(struct catalogue *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		transcript_free(&c->e[i].t);
	free(c->e);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* catalogue_def - the runner's row for an entry: its id, title, tags and the entry */
void catalogue_def(const struct catalogue_entry *e, struct check_def *d)
{
	memset(d, 0, sizeof(*d));
	d->ci = e->ci;
	d->tags = e->m.tags;
	d->stage = CHECK_STAGE_MAIN;
	d->arg = e;
}

/* catalogue_list - the --list lines of the entries, in run order */
void catalogue_list(FILE *out, const struct catalogue *c)
{
	struct check_def d;
	size_t i;

	for (i = 0; i < c->n; i++) {
		catalogue_def(c->v[i], &d);
		check_list(out, &d, 1);
	}
}

/* --- replaying a data check ------------------------------------------------- */

/* catalogue_replay_options - Postfix's client against target, as the run's options say */
void catalogue_replay_options(struct replay_options *ro, const struct target *target,
			      const struct pf_version *version, double time_scale,
			      int stderr_apart, const struct tvars *defines)
{
	replay_options_init(ro);
	ro->target = target;
	ro->version = *version;
	ro->time_scale = time_scale;
	ro->stderr_apart = stderr_apart;
	ro->defines = defines;
}

/*
 * catalogue_replay - replay data check d with ro into a scratch report.
 * Adds the replay's wire log to r->log (the check begun by the runner),
 * where the caller reads it; a run that did not pass leaves the first
 * reason line of the scratch report in why.
 */
enum check_result catalogue_replay(const struct catalogue_entry *d, const struct replay_options *ro,
				   struct report *r, char *why, size_t whylen)
{
	struct report scratch;
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem;
	enum check_result res;

	why[0] = 0;
	mem = open_memstream(&text, &tlen);
	if (mem == NULL) {
		snprintf(why, whylen, "open_memstream: %s", strerror(errno));
		return CHECK_ERROR;
	}
	report_init(&scratch, REPORT_TEXT, mem, 0);
	res = replay_run(ro, &d->t, &scratch);
	fflush(mem);
	/* the text report: "FAIL  id title\n      why\n" then the log */
	if (text != NULL && res != CHECK_PASS) {
		const char *nl = strchr(text, '\n');

		if (nl != NULL) {
			const char *w = nl + 1, *e;

			while (*w == ' ')
				w++;
			e = strchr(w, '\n');
			snprintf(why, whylen, "%.*s", (int)(e ? e - w : (long)strlen(w)), w);
		}
	}
	(void)!xbuf_append_str(&r->log, xbuf_cstr(&scratch.log));
	fclose(mem);
	free(text);
	xbuf_free(&scratch.log);
	xbuf_free(&scratch.doc);
	xbuf_free(&scratch.notice);
	return res;
}
