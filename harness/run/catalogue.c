/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	catalogue - data checks of the conformance catalogue (auth and policy)
 * SYNOPSIS
 *	#include "harness/run/catalogue.h"
 * DESCRIPTION
 *	See catalogue.h: the metadata header parser (pure), the directory
 *	loader shared by `check --auth` and `check --policy`, the
 *	--only/--skip selection by id prefix or tag, and the runner of the
 *	auth data checks over the replay engine. The replay reports into a
 *	scratch report whose wire log and verdict move under the check's id
 *	(as check --policy does with its own data checks).
 * DIAGNOSTICS
 *	Errors name the file and, for the header, the line. A target that
 *	cannot be reached makes each data check an error, not the run.
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

#include "harness/run/catalogue.h"
#include "harness/replay/replay.h"
#include "proto/sasl.h"
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

/* tag_next - the next blank-trimmed tag of a comma-separated list */
static const char *tag_next(const char *p, const char **tag_r, size_t *len_r)
{
	const char *comma = strchr(p, ',');
	size_t n = comma ? (size_t)(comma - p) : strlen(p);

	while (n > 0 && *p == ' ')
		p++, n--;
	while (n > 0 && p[n - 1] == ' ')
		n--;
	*tag_r = p;
	*len_r = n;
	return comma ? comma + 1 : NULL;
}

/* catalogue_match - an id prefix or a whole tag of the comma-separated list matches */
int catalogue_match(const char *list, const char *id, const char *tags)
{
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n > 0 && strncasecmp(id, p, n) == 0)
			return 1;
		if (n > 0) {
			const char *t, *next = tags;
			size_t tn;

			while (next != NULL && *next) {
				next = tag_next(next, &t, &tn);
				if (tn == n && strncasecmp(t, p, n) == 0)
					return 1;
			}
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* catalogue_wanted - --only, then --skip */
int catalogue_wanted(const char *only, const char *skip, const char *id, const char *tags)
{
	if (only && !catalogue_match(only, id, tags))
		return 0;
	if (skip && catalogue_match(skip, id, tags))
		return 0;
	return 1;
}

/* --- running auth data checks --------------------------------------------------- */

/* skip_reason - why a check cannot run against this helper, or NULL */
static const char *skip_reason(const struct catalogue_entry *d, const struct catalogue_run_options *o,
			       char *buf, size_t size)
{
	const char *p = d->m.tags;

	if (o->skip_all != NULL)
		return o->skip_all;
	while (p != NULL && *p) {
		const char *t;
		size_t n, k;
		const struct sasl_mech_info *mi;

		p = tag_next(p, &t, &n);
		if (n == 7 && strncasecmp(t, "account", 7) == 0 &&
		    (o->user == NULL || o->password == NULL))
			return "needs --user and --password";
		if (n == 0 || o->mechs == NULL || (mi = sasl_mech_by_name(t, n)) == NULL)
			continue;
		for (k = 0; k < o->nmechs; k++)
			if (strcasecmp(o->mechs[k], mi->name) == 0)
				break;
		if (k == o->nmechs) {
			snprintf(buf, size, "the helper does not offer %s (after Postfix's "
				 "noanonymous filter)", mi->name);
			return buf;
		}
	}
	return NULL;
}

/* log_finding - what Postfix loses that the transcript cannot see, or NULL */
static const char *log_finding(const char *log)
{
	const char *l = log;

	if (strstr(log, "the server signature was never checked") != NULL)
		return "SCRAM reached OK without the server-final CONT round: Postfix never sends "
		       "final-resp-ok, so v=... must come as CONT, then an empty response, then OK";
	while (l != NULL && *l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const char *s = memchr(l, 'S', n);

		if (s != NULL && (size_t)(l + n - s) > 6 && strncmp(s, "S: OK\\t", 7) == 0) {
			const char *f;

			for (f = s; f + 7 <= l + n; f++)
				if (strncmp(f, "\\tresp=", 7) == 0)
					return "an OK reply carries resp=: Postfix never sends final-resp-ok "
					       "and drops that data; send it as CONT and wait for the "
					       "empty response";
		}
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/*
 * catalogue_replay - replay data check d with ro into a scratch report.
 * Begins d's entry in r and leaves the replay's wire log in r->log, where
 * the caller reads it; a run that did not pass leaves the first reason line
 * of the scratch report in why.
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
	report_begin(r, &d->ci);
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
	return res;
}

/* run_one - replay one auth data check and report it */
static void run_one(const struct catalogue_entry *d, const struct catalogue_run_options *o,
		    struct tvars *vars, struct report *r)
{
	struct replay_options ro;
	enum check_result res;
	char why[1200];
	const char *finding;

	replay_options_init(&ro);
	ro.target = o->target;
	ro.version = o->version;
	ro.time_scale = o->time_scale;
	ro.stderr_apart = o->stderr_apart;
	ro.defines = vars;
	res = catalogue_replay(d, &ro, r, why, sizeof(why));
	if (res == CHECK_PASS && (finding = log_finding(xbuf_cstr(&r->log))) != NULL) {
		res = CHECK_FAIL;
		snprintf(why, sizeof(why), "%s", finding);
	}
	if (res == CHECK_FAIL && d->m.fix[0]) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, ". Fix: %s", d->m.fix);
	}
	report_end(r, res, "%s", why);
}

/* catalogue_run_auth - every selected auth data check, in catalogue order */
void catalogue_run_auth(const struct catalogue *c, const struct catalogue_run_options *o,
			struct report *r)
{
	struct tvars vars;
	size_t i, k;
	char buf[200];

	tvars_init(&vars);
	for (k = 0; o->defines != NULL && k < o->defines->n; k++)
		(void)!tvars_set(&vars, o->defines->v[k].name, o->defines->v[k].value,
				o->defines->v[k].len);
	if (o->user != NULL && tvars_get(&vars, "user") == NULL)
		(void)!tvars_set(&vars, "user", o->user, strlen(o->user));
	if (o->password != NULL && tvars_get(&vars, "password") == NULL)
		(void)!tvars_set(&vars, "password", o->password, strlen(o->password));
	for (i = 0; i < c->n; i++) {
		const struct catalogue_entry *d = c->v[i];
		const char *why;

		if (!catalogue_wanted(o->only, o->skip, d->ci.id, d->m.tags))
			continue;
		report_begin(r, &d->ci);
		if ((why = skip_reason(d, o, buf, sizeof(buf))) != NULL) {
			report_end(r, CHECK_SKIP, "%s", why);
			continue;
		}
		run_one(d, o, &vars, r);
	}
	tvars_free(&vars);
}
