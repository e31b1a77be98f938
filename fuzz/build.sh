#!/bin/sh
# SPDX-License-Identifier: MIT
# NAME
#	build.sh - every fuzz target for OSS-Fuzz and ClusterFuzzLite
# SYNOPSIS
#	OUT=DIR [CC=.. CFLAGS=.. CXX=.. CXXFLAGS=.. LIB_FUZZING_ENGINE=..]
#	[WORK=DIR] [FUZZ_JOBS=N] fuzz/build.sh
# DESCRIPTION
#	Builds with OSS-Fuzz's build contract: the C sources compiled with
#	$CC $CFLAGS, each target linked by $CXX $CXXFLAGS with
#	$LIB_FUZZING_ENGINE (make fuzz-build-oss: the Makefile finds the
#	sources and the targets, as for every other build), and writes to
#	$OUT, for every fuzz/targets/fuzz_<name>.c:
#	  fuzz_<name>                  the fuzzer (libcrypto, libsqlite3,
#	                               jansson and libxml2 linked
#	                               statically: the runner image has
#	                               none of them)
#	  fuzz_<name>.dict             fuzz/targets/fuzz_<name>.dict
#	  fuzz_<name>_seed_corpus.zip  corpus/fuzz/fuzz_<name>/, and
#	                               corpus/regress/fuzz_<name>/ as
#	                               regress-<file>
#	  fuzz_<name>.options          libFuzzer's options as the project's
#	                               own campaigns use them: the dictionary,
#	                               timeout=10, rss_limit_mb=2048
#	Objects go to $WORK/fuzz-oss/<key> (OSS-Fuzz's scratch directory;
#	build/fuzz-oss/<key> of the tree when WORK is unset), one <key> per
#	compiler and flags, so a second run with the same ones only
#	relinks what changed. The tree is the parent of this script's
#	directory ($SRC/smtpd-harness in the OSS-Fuzz image).
#
#	Outside OSS-Fuzz the defaults are CC=clang CXX=clang++
#	CFLAGS="-fsanitize=address,fuzzer-no-link" CXXFLAGS=$CFLAGS
#	LIB_FUZZING_ENGINE=-fsanitize=fuzzer; OUT must be given. make runs
#	FUZZ_JOBS (default 2) jobs.
# DIAGNOSTICS
#	Exit 0, or non-zero when the build fails (make's message) or OUT is
#	not set. A target without seeds is named on stderr and gets no zip
#	(make test fails it already).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${OUT:?build.sh: set OUT to the output directory}"
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS-"-fsanitize=address,fuzzer-no-link"}
CXXFLAGS=${CXXFLAGS-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
key=$(printf '%s\n' "$CC" "$CFLAGS" "$CXX" "$CXXFLAGS" "$LIB_FUZZING_ENGINE" |
	cksum | cut -d' ' -f1)
objdir=${WORK:-$top/build}/fuzz-oss/$key

make --no-print-directory -C "$top" -j"${FUZZ_JOBS:-2}" fuzz-build-oss \
	FZ_DIR_oss="$objdir" CC="$CC" CFLAGS="$CFLAGS" CXX="$CXX" \
	CXXFLAGS="$CXXFLAGS" LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" >&2

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for src in "$top"/fuzz/targets/fuzz_*.c; do
	t=$(basename "$src" .c)
	cp "$objdir/$t" "$OUT/$t"
	rm -f "$OUT/$t.dict"
	{
		echo "[libfuzzer]"
		if [ -f "$top/fuzz/targets/$t.dict" ]; then
			cp "$top/fuzz/targets/$t.dict" "$OUT/$t.dict"
			echo "dict = $t.dict"
		fi
		echo "timeout = 10"
		echo "rss_limit_mb = 2048"
	} > "$OUT/$t.options"

	rm -rf "${stage:?}"/* "$OUT/${t}_seed_corpus.zip"
	for f in "$top/corpus/fuzz/$t"/*; do
		if [ -f "$f" ]; then cp "$f" "$stage/"; fi
	done
	for f in "$top/corpus/regress/$t"/*; do
		if [ -f "$f" ]; then cp "$f" "$stage/regress-$(basename "$f")"; fi
	done
	n=$(ls "$stage" | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "build.sh: $t: no seeds in corpus/fuzz/$t or corpus/regress/$t" >&2
		continue
	fi
	(cd "$stage" && zip -q -X "$OUT/${t}_seed_corpus.zip" ./*)
	echo "$t: built, $n seeds"
done
