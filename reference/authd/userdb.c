/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	userdb - the server side of one Dovecot auth-userdb connection
 * SYNOPSIS
 *	#include "reference/authd/userdb.h"
 * DESCRIPTION
 *	See userdb.h. The reply's names and values are copied into one
 *	buffer sized for the worst case (every extra word twice, the home
 *	and two numbers), so that adding a field never reallocates it and
 *	the fields' pointers stay valid.
 * DIAGNOSTICS
 *	Disconnect reasons use Dovecot's log texts ("BUG: Master sent
 *	broken USER", ...).
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference/authd/userdb.h"
#include "util/escape.h"
#include "util/strnum.h"
#include "util/xbuf.h"
#include "util/xmem.h"

#define MINOR_24	3	/* AUTH_CLIENT_PROTOCOL_MINOR_VERSION of 2.4.0-2.4.3 */

struct authd_userdb {
	struct authd_userdb_settings set;
	const struct authd_userdb_ops *ops;
	void *ctx;
	int version_received;
	char error[200];
	struct xbuf out;
	struct dvmaster_request req;
};

/* --- the lookup ---------------------------------------------------------- */

/* save - a copy of [p, p + n) in r->text */
static const char *save(struct authd_userdb_reply *r, size_t *used, const char *p, size_t n)
{
	char *dst = r->text + *used;

	memcpy(dst, p, n);
	dst[n] = '\0';
	*used += n + 1;
	return dst;
}

static struct dvmaster_field *field_find(struct authd_userdb_reply *r, const char *name,
					 size_t len)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strlen(r->f[i].name) == len && memcmp(r->f[i].name, name, len) == 0)
			return &r->f[i];
	return NULL;
}

/* field_set - auth_fields_add: a known name keeps its place */
static void field_set(struct authd_userdb_reply *r, size_t *used, const char *name, size_t nlen,
		      const char *value, size_t vlen)
{
	struct dvmaster_field *f = field_find(r, name, nlen);

	if (f == NULL) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 8;
			r->f = xrealloc(r->f, r->cap * sizeof(*r->f));
		}
		f = &r->f[r->n++];
		f->name = save(r, used, name, nlen);
	}
	f->value = save(r, used, value, vlen);
}

static void field_remove(struct authd_userdb_reply *r, const char *name, size_t len)
{
	struct dvmaster_field *f = field_find(r, name, len);

	if (f != NULL) {
		memmove(f, f + 1, (size_t)(r->f + r->n - (f + 1)) * sizeof(*f));
		r->n--;
	}
}

/*
 * id_resolve - userdb_parse_uid/gid: a number, or a user (group) name from
 * the system's database; -1 when it is neither, or (uid_t)-1
 */
static int id_resolve(const char *p, size_t len, int group, unsigned *id_r)
{
	char name[256];

	if (str_to_uint(p, len, id_r) == 0)
		return *id_r != (unsigned)-1 ? 0 : -1;
	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, p, len);
	name[len] = '\0';
	if (group) {
		const struct group *gr = getgrnam(name);

		if (gr == NULL)
			return -1;
		*id_r = (unsigned)gr->gr_gid;
	} else {
		const struct passwd *pw = getpwnam(name);

		if (pw == NULL)
			return -1;
		*id_r = (unsigned)pw->pw_uid;
	}
	return 0;
}

/* id_parse - a uid or gid column: resolved, and not 0 */
static int id_parse(const char *p, size_t len, int group, unsigned *id_r)
{
	return id_resolve(p, len, group, id_r) == 0 && *id_r != 0 ? 0 : -1;
}

/* extra_field - one userdb_ extra field (auth_request_set_userdb_field); -1 tempfail */
static int extra_field(struct authd_userdb_reply *r, size_t *used, const char *w, size_t wlen,
		       int dovecot24)
{
	const char *keep = dovecot24 ? ":default" : ":protected";
	size_t klen = strlen(keep);
	const char *eq = memchr(w, '=', wlen), *v = eq ? eq + 1 : "";
	size_t nlen = eq ? (size_t)(eq - w) : wlen, vlen = eq ? wlen - nlen - 1 : 0;
	char num[16];
	unsigned id;

	if (nlen > klen && memcmp(w + nlen - klen, keep, klen) == 0) {
		nlen -= klen;
		if (field_find(r, w, nlen) != NULL)
			return 0;
	} else if (nlen > 7 && memcmp(w + nlen - 7, ":remove", 7) == 0) {
		field_remove(r, w, nlen - 7);
		return 0;
	}
	if ((nlen == 3 && (memcmp(w, "uid", 3) == 0 || memcmp(w, "gid", 3) == 0))) {
		if (id_resolve(v, vlen, w[0] == 'g', &id) < 0)
			return -1;
		vlen = (size_t)snprintf(num, sizeof(num), "%u", id);
		v = num;
	} else if (nlen == 8 && memcmp(w, "tempfail", 8) == 0) {
		return -1;
	} else if ((nlen == 4 && memcmp(w, "user", 4) == 0) ||
		   (nlen == 8 && memcmp(w, "username", 8) == 0) ||
		   (nlen == 6 && memcmp(w, "domain", 6) == 0) ||
		   (nlen == 11 && memcmp(w, "uidgid_file", 11) == 0) ||
		   (nlen == 13 && memcmp(w, "userdb_import", 13) == 0)) {
		return 0;	/* not done: see userdb.h */
	} else if (nlen == 11 && memcmp(w, "system_user", 11) == 0) {
		w = "system_groups_user";
		nlen = 18;
	}
	field_set(r, used, w, nlen, v, vlen);
	return 0;
}

/* extra_fields - the userdb_ words of the extra column, in order */
static int extra_fields(struct authd_userdb_reply *r, size_t *used, const char *extra,
			int dovecot24)
{
	while (extra != NULL && *extra != '\0') {
		size_t wlen = strcspn(extra, " ");

		if (wlen > 7 && memcmp(extra, "userdb_", 7) == 0 &&
		    extra_field(r, used, extra + 7, wlen - 7, dovecot24) < 0)
			return -1;
		extra += wlen;
		extra += strspn(extra, " ");
	}
	return 0;
}

/* user_name - auth_username_chars and %Lu; -1 when Dovecot refuses the name */
static int user_name(const char *user, char *out, size_t size)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789.-_@";
	size_t i, n = strlen(user);

	if (n == 0 || n >= size || strspn(user, chars) != n)
		return -1;
	for (i = 0; i <= n; i++)
		out[i] = user[i] >= 'A' && user[i] <= 'Z' ? (char)(user[i] - 'A' + 'a') : user[i];
	return 0;
}

/* authd_userdb_lookup - a USER lookup in the passwd-file */
int authd_userdb_lookup(const struct passdb *db, const char *user, int dovecot24,
			struct authd_userdb_reply *r)
{
	const struct passdb_user *pu;
	unsigned uid = 0, gid = 0;
	size_t used = 0, ulen, glen;
	char num[16];

	memset(r, 0, sizeof(*r));
	if (user_name(user, r->name, sizeof(r->name)) < 0 ||
	    (pu = passdb_lookup(db, r->name)) == NULL || pu->uid == NULL || pu->gid == NULL)
		return 0;
	ulen = strlen(pu->uid);
	glen = strlen(pu->gid);
	if ((ulen > 0 && id_parse(pu->uid, ulen, 0, &uid) < 0) ||
	    (glen > 0 && id_parse(pu->gid, glen, 1, &gid) < 0))
		return 0;
	r->text = xmalloc(64 + strlen(pu->home ? pu->home : "") +
			  4 * strlen(pu->extra ? pu->extra : ""));
	if (ulen > 0)
		field_set(r, &used, "uid", 3, num, (size_t)snprintf(num, sizeof(num), "%u", uid));
	if (glen > 0)
		field_set(r, &used, "gid", 3, num, (size_t)snprintf(num, sizeof(num), "%u", gid));
	if (pu->home != NULL && pu->home[0] != '\0')
		field_set(r, &used, "home", 4, pu->home, strlen(pu->home));
	if (extra_fields(r, &used, pu->extra, dovecot24) < 0) {
		authd_userdb_reply_free(r);
		return -1;
	}
	return 1;
}

void authd_userdb_reply_free(struct authd_userdb_reply *r)
{
	free(r->f);
	free(r->text);
	r->f = NULL;
	r->text = NULL;
	r->n = r->cap = 0;
}

/* --- the session ----------------------------------------------------------- */

static void flush(struct authd_userdb *u)
{
	if (u->out.len > 0)
		u->ops->send(u->ctx, u->out.data, u->out.len);
	xbuf_reset(&u->out);
}

static int fail(struct authd_userdb *u, const char *why, const char *line, size_t len)
{
	char shown[120];

	if (line != NULL)
		snprintf(u->error, sizeof(u->error), "%s: %s", why,
			 escape_for_log(shown, sizeof(shown), line, len > 80 ? 80 : len));
	else
		snprintf(u->error, sizeof(u->error), "%s", why);
	return -1;
}

/* user - a USER request's answer */
static void user(struct authd_userdb *u, const struct dvmaster_request *q)
{
	enum dvmaster_dialect d = u->set.dovecot24 ? DVMASTER_DOVECOT24 : DVMASTER_DOVECOT23;
	struct authd_userdb_reply r;
	int rc = authd_userdb_lookup(u->ops->db(u->ctx), q->user, u->set.dovecot24, &r);

	if (rc > 0 && dvmaster_format_user(&u->out, d, q->id, r.name, r.f, r.n) < 0)
		rc = -1;	/* too long for one reply: a temporary failure */
	if (rc < 0 && dvmaster_format_fail(&u->out, q->id) < 0)
		xbuf_reset(&u->out);
	if (rc == 0 && dvmaster_format_notfound(&u->out, q->id) < 0)
		xbuf_reset(&u->out);
	authd_userdb_reply_free(&r);
}

/* authd_userdb_line - one client line, without its LF */
int authd_userdb_line(struct authd_userdb *u, const char *line, size_t len)
{
	enum dvmaster_dialect d = u->set.dovecot24 ? DVMASTER_DOVECOT24 : DVMASTER_DOVECOT23;
	const char *why;
	int rc = 0;

	if (!u->version_received) {
		if (dvmaster_parse_version(line, len, d, &why) < 0)
			return fail(u, why, NULL, 0);
		u->version_received = 1;
		return 0;
	}
	if (dvmaster_parse_request(line, len, d, &u->req, &why) < 0)
		return fail(u, why, strncmp(why, "BUG: Unknown", 12) == 0 ? line : NULL, len);
	switch (u->req.cmd) {
	case DVMASTER_USER: user(u, &u->req); break;
	case DVMASTER_PASS: rc = dvmaster_format_pass_unsupported(&u->out, u->req.id); break;
	case DVMASTER_LIST: rc = dvmaster_format_list_fail(&u->out, u->req.id); break;
	}
	if (rc < 0)
		xbuf_reset(&u->out);
	flush(u);
	return 0;
}

struct authd_userdb *authd_userdb_create(const struct authd_userdb_settings *set,
					 const struct authd_userdb_ops *ops, void *ctx)
{
	struct authd_userdb *u = xcalloc(1, sizeof(*u));

	u->set = *set;
	u->ops = ops;
	u->ctx = ctx;
	xbuf_init(&u->out, 64 * 1024);
	return u;
}

/* authd_userdb_start - VERSION and SPID, at once */
void authd_userdb_start(struct authd_userdb *u)
{
	if (dvmaster_format_handshake(&u->out, u->set.dovecot24 ? MINOR_24 : DVMASTER_MINOR_23,
				      u->set.spid) < 0)
		xbuf_reset(&u->out);
	flush(u);
}

const char *authd_userdb_error(const struct authd_userdb *u)
{
	return u->error;
}

void authd_userdb_destroy(struct authd_userdb **up)
{
	struct authd_userdb *u = *up;

	if (u == NULL)
		return;
	xbuf_free(&u->out);
	free(u);
	*up = NULL;
}
