/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay_main - run a fuzz target over files, without a fuzzer
 * SYNOPSIS
 *	fuzz_<target> [-q] [-v] [path...]
 * DESCRIPTION
 *	Every path is a file or a directory; a directory is read one level
 *	deep (its regular files, in name order; names starting with "."
 *	are skipped). Each file is read whole and passed once to
 *	LLVMFuzzerTestOneInput(). With no path, standard input is the one
 *	input (afl-tmin and afl-showmap run the target this way, or with a
 *	file name through "@@").
 *
 *	This is the replay build of a fuzz target: linked with ASan and
 *	UBSan it is what make test runs over corpus/fuzz/<target>/ and
 *	corpus/regress/<target>/; linked with afl-clang-fast it is the
 *	non-persistent build afl-tmin needs.
 *
 *	Bounds: an input is at most REPLAY_MAX_INPUT bytes (larger files
 *	are an error, as libFuzzer's -max_len would cut them); a
 *	directory lists at most REPLAY_MAX_FILES entries.
 * DIAGNOSTICS
 *	Prints "<target>: N inputs" on success (nothing with -q) and exits
 *	0. -v names each input on stderr before it runs. A file that cannot be read is reported with its name and the
 *	reason on stderr and the exit status is 2. A bug in the target
 *	aborts (the sanitizer report names the input last started, which
 *	is printed to stderr before each run with -v).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz.h"
#include "util/xmem.h"

#define REPLAY_MAX_INPUT	(4u * 1024 * 1024)
#define REPLAY_MAX_FILES	100000

struct replay {
	const char *prog;
	int verbose;
	unsigned long count;
	int errors;
};

/* replay_stream - read one input from fp (at most REPLAY_MAX_INPUT) and run it */
static int replay_stream(struct replay *r, FILE *fp, const char *name)
{
	size_t cap = 4096, len = 0, n;
	unsigned char *buf = xmalloc(cap), *exact;

	for (;;) {
		if (len == cap) {
			if (cap > REPLAY_MAX_INPUT)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, fp);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: %s: read error: %s\n", r->prog, name, strerror(errno));
		free(buf);
		return -1;
	}
	if (len > REPLAY_MAX_INPUT) {
		fprintf(stderr, "%s: %s: input larger than %u bytes\n", r->prog, name,
			REPLAY_MAX_INPUT);
		free(buf);
		return -1;
	}
	if (r->verbose)
		fprintf(stderr, "%s: running %s (%zu bytes)\n", r->prog, name, len);
	/* An exact-size copy lets ASan see a read past the input's end. */
	exact = xmalloc(len);
	if (len > 0)
		memcpy(exact, buf, len);
	free(buf);
	(void)LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	r->count++;
	return 0;
}

/* replay_file - run one regular file */
static int replay_file(struct replay *r, const char *path)
{
	FILE *fp = fopen(path, "rb");
	int rc;

	if (fp == NULL) {
		fprintf(stderr, "%s: %s: %s\n", r->prog, path, strerror(errno));
		return -1;
	}
	rc = replay_stream(r, fp, path);
	fclose(fp);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* replay_dir - run every regular file of a directory, in name order */
static int replay_dir(struct replay *r, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL, *full;
	size_t n = 0, cap = 0, i, plen;
	struct stat st;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s: %s\n", r->prog, path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == REPLAY_MAX_FILES) {
			fprintf(stderr, "%s: %s: more than %d entries\n", r->prog, path,
				REPLAY_MAX_FILES);
			rc = -1;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		plen = strlen(path) + 1 + strlen(names[i]) + 1;
		full = xmalloc(plen);
		snprintf(full, plen, "%s/%s", path, names[i]);
		if (stat(full, &st) < 0) {
			fprintf(stderr, "%s: %s: %s\n", r->prog, full, strerror(errno));
			rc = -1;
		} else if (S_ISREG(st.st_mode) && replay_file(r, full) < 0) {
			rc = -1;
		}
		free(full);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct replay r = { argv[0], 0, 0, 0 };
	const char *slash = strrchr(argv[0], '/');
	int quiet = 0, i = 1;
	struct stat st;

	if (slash != NULL)
		r.prog = slash + 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "-q") == 0) {
			quiet = 1;
		} else if (strcmp(argv[i], "-v") == 0) {
			r.verbose = 1;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "usage: %s [-q] [-v] [path...]\n", r.prog);
			return 2;
		}
	}
	if (i == argc) {
		if (replay_stream(&r, stdin, "<stdin>") < 0)
			r.errors++;
	}
	for (; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s: %s\n", r.prog, argv[i], strerror(errno));
			r.errors++;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(&r, argv[i]) < 0)
				r.errors++;
		} else if (replay_file(&r, argv[i]) < 0) {
			r.errors++;
		}
	}
	if (!quiet)
		printf("%s: %lu inputs\n", r.prog, r.count);
	return r.errors ? 2 : 0;
}
