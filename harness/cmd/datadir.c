/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	datadir - where fake-smtpd finds its data, and what it says about
 *	its version
 * SYNOPSIS
 *	#include "harness/cmd/cmd.h"
 *
 *	const char *cmd_datadir(char *buf, size_t size);
 *	const char *cmd_catalogue_dir(const char *proto, char *buf,
 *	                              size_t size);
 *	int cmd_catalogue_id(const char *dir, char *hex, size_t size,
 *	                     unsigned *n_r);
 *	void cmd_about(FILE *fp, const char *catdir);
 *	int cmd_version(FILE *fp);
 * DESCRIPTION
 *	The data directory holds conformance/auth, conformance/policy (the
 *	catalogue), transcripts/, helpers/ and demo/. cmd_datadir() writes
 *	its path into buf: $SMTPD_HARNESS_DATADIR when set and not empty;
 *	else the directory fixed at build time (SMTPDH_DATADIR: the
 *	clone's corpus/ for a build that is not installed,
 *	$(PREFIX)/share/smtpd-harness for an installed one) when it exists;
 *	else share/smtpd-harness next to the program's bin/ directory when
 *	that exists (a tree installed with DESTDIR, or moved); else the
 *	build-time path, so that errors name it.
 *
 *	cmd_catalogue_dir() is the catalogue directory of proto ("auth" or
 *	"policy") under cmd_datadir(), or NULL after msg_error() naming the
 *	path when it is not a directory.
 *
 *	cmd_catalogue_id() identifies a catalogue directory's content: the
 *	first 12 hex digits of a SHA-256 over the names and bytes of its
 *	"*.tr" files in name order (dot files left out, as catalogue_load()
 *	does), and their number.
 *
 *	cmd_about() writes the one-line header of a text report: the
 *	version, the commit and, when catdir is not NULL, the catalogue's
 *	id and directory. cmd_version() is `fake-smtpd --version`: the
 *	version line, the data directory, both catalogues' ids and the
 *	Postfix version checks judge as by default.
 * DIAGNOSTICS
 *	cmd_catalogue_dir: NULL after msg_error(). cmd_catalogue_id: 0, or
 *	-1 when the directory or a file cannot be read (hex is then "?").
 *	cmd_version: 0, or 2 when stdout cannot be written.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "harness/cmd/cmd.h"
#include "harness/check/catalogue.h"
#include "util/msg.h"
#include "util/version.h"

#ifndef SMTPDH_DATADIR
#define SMTPDH_DATADIR	"/usr/local/share/smtpd-harness"
#endif

#define CMD_DATADIR_ENV	"SMTPD_HARNESS_DATADIR"

/* is_dir - path names a directory */
static int is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* beside_program - <dir of the program>/../share/smtpd-harness, or 0 */
static int beside_program(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int w;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return 0;
	*slash = '\0';
	w = snprintf(buf, size, "%s/../share/smtpd-harness", exe);
	return w > 0 && (size_t)w < size && is_dir(buf);
}

/* cmd_datadir - the data directory, as DESCRIPTION says */
const char *cmd_datadir(char *buf, size_t size)
{
	const char *env = getenv(CMD_DATADIR_ENV);

	if (env != NULL && env[0] != '\0')
		snprintf(buf, size, "%s", env);
	else if (is_dir(SMTPDH_DATADIR) || !beside_program(buf, size))
		snprintf(buf, size, "%s", SMTPDH_DATADIR);
	return buf;
}

/* cmd_catalogue_dir - <datadir>/conformance/<proto>, which must exist */
const char *cmd_catalogue_dir(const char *proto, char *buf, size_t size)
{
	char dd[PATH_MAX];

	snprintf(buf, size, "%s/conformance/%s", cmd_datadir(dd, sizeof(dd)), proto);
	if (is_dir(buf))
		return buf;
	msg_error("no %s catalogue at %s (set %s to the data directory, or give --catalogue DIR "
		  "or --no-catalogue)", proto, buf, CMD_DATADIR_ENV);
	return NULL;
}

/* want_tr - a catalogue file: "*.tr", not a dot file */
static int want_tr(const struct dirent *e)
{
	size_t l = strlen(e->d_name);

	return e->d_name[0] != '.' && l >= 4 && strcmp(e->d_name + l - 3, ".tr") == 0;
}

/* by_name - byte order, whatever the locale */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* digest_file - the name, a NUL, the length and the bytes of one file */
static int digest_file(EVP_MD_CTX *md, const char *dir, const char *name)
{
	char path[PATH_MAX], err[300], lenbuf[32];
	size_t len;
	char *buf;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((buf = catalogue_slurp(path, &len, err, sizeof(err))) == NULL)
		return -1;
	snprintf(lenbuf, sizeof(lenbuf), "%zu", len);
	rc = EVP_DigestUpdate(md, name, strlen(name) + 1) == 1 &&
	     EVP_DigestUpdate(md, lenbuf, strlen(lenbuf) + 1) == 1 &&
	     EVP_DigestUpdate(md, buf, len) == 1 ? 0 : -1;
	free(buf);
	return rc;
}

/* cmd_catalogue_id - SHA-256 of the catalogue's files, 12 hex digits */
int cmd_catalogue_id(const char *dir, char *hex, size_t size, unsigned *n_r)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0, i;
	struct dirent **v = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int n = scandir(dir, &v, want_tr, by_name), k, rc = -1;

	snprintf(hex, size, "?");
	*n_r = 0;
	if (md != NULL && n >= 0 && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		for (k = 0; k < n && digest_file(md, dir, v[k]->d_name) == 0; k++)
			;
		if (k == n && EVP_DigestFinal_ex(md, d, &dlen) == 1) {
			for (i = 0; i < 6 && i < dlen && 2 * i + 2 < size; i++)
				snprintf(hex + 2 * i, size - 2 * i, "%02x", d[i]);
			*n_r = (unsigned)n;
			rc = 0;
		}
	}
	for (k = 0; k < n; k++)
		free(v[k]);
	free(v);
	EVP_MD_CTX_free(md);
	return rc;
}

/* cmd_about - "fake-smtpd 0.1.0 (commit X); catalogue sha256:ID (N checks) in DIR" */
void cmd_about(FILE *fp, const char *catdir)
{
	char hex[32];
	unsigned n;

	fprintf(fp, "fake-smtpd %s (commit %s)", version_release(), version_commit());
	if (catdir != NULL) {
		(void)cmd_catalogue_id(catdir, hex, sizeof(hex), &n);
		fprintf(fp, "; catalogue sha256:%s (%u data checks) in %s", hex, n, catdir);
	}
	fputc('\n', fp);
}

/* cmd_version - fake-smtpd --version */
int cmd_version(FILE *fp)
{
	static const char *const protos[] = { "auth", "policy" };
	char dd[PATH_MAX], dir[PATH_MAX + 32], hex[32], pv[40];
	const char *from;
	struct pf_version v;
	unsigned n;
	size_t i;

	fprintf(fp, "fake-smtpd %s (commit %s)\n", version_release(), version_commit());
	fprintf(fp, "data: %s\n", cmd_datadir(dd, sizeof(dd)));
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/conformance/%s", dd, protos[i]);
		if (cmd_catalogue_id(dir, hex, sizeof(hex), &n) < 0)
			fprintf(fp, "catalogue %s: not found at %s\n", protos[i], dir);
		else
			fprintf(fp, "catalogue %s: sha256:%s (%u data checks)\n", protos[i], hex, n);
	}
	from = cmd_default_version(&v);
	if (pf_version_format(&v, pv, sizeof(pv)) < 0)
		snprintf(pv, sizeof(pv), "?");
	fprintf(fp, "postfix: judged as %s (%s) unless --postfix-version says otherwise\n", pv,
		from);
	return fflush(fp) == 0 && !ferror(fp) ? 0 : 2;
}
