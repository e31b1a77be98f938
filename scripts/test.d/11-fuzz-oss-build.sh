#!/bin/sh
# 11-fuzz-oss-build - fuzz/build.sh, the OSS-Fuzz and ClusterFuzzLite build,
# as those services run it: clang with ASan and libFuzzer into a temporary
# OUT. Checks: build.sh exits 0; for every fuzz/targets/fuzz_<name>.c, OUT
# holds the fuzzer, its dictionary (when the target has one), an options
# file naming it, and a seed-corpus zip with every input of corpus/fuzz/<t>/
# and corpus/regress/<t>/; the fuzzer then runs over its unpacked zip and
# OSS_RUNS (300) mutations more, exits 0 and reports every seed read (every
# one that is not empty: libFuzzer runs the empty input on its own) and
# every run done. Objects stay in build/fuzz-oss/ between runs, so after
# the first build a run relinks only what changed.
# Usage: 11-fuzz-oss-build.sh BUILD_DIR (not used: build.sh builds its own)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
runs=${OSS_RUNS:-300}
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
dir=$(mktemp -d /tmp/fuzz-oss.XXXXXX)
trap 'rm -rf "$dir"' EXIT
out=$dir/out

env -u WORK CC=clang CXX=clang++ CFLAGS="-fsanitize=address,fuzzer-no-link" \
	CXXFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
	OUT="$out" FUZZ_JOBS=2 fuzz/build.sh >"$dir/build.log" 2>&1
rc=$?
if [ $rc = 0 ]; then
	ok "fuzz/build.sh: exit 0"
else
	bad "fuzz/build.sh: exit $rc"
	tail -20 "$dir/build.log"
fi

# count DIR [find-test] - regular files in DIR (0 when it does not exist)
count() { if [ -d "$1" ]; then d=$1; shift; find "$d" -type f "$@" | wc -l; else echo 0; fi; }

for src in fuzz/targets/fuzz_*.c; do
	t=$(basename "$src" .c)
	bin=$out/$t
	why=""
	[ -x "$bin" ] || why="$why, no fuzzer"
	if [ -f "fuzz/targets/$t.dict" ]; then
		cmp -s "fuzz/targets/$t.dict" "$out/$t.dict" || why="$why, no dictionary"
		grep -qx "dict = $t.dict" "$out/$t.options" 2>/dev/null ||
			why="$why, options file without the dictionary"
	fi
	grep -qx '\[libfuzzer\]' "$out/$t.options" 2>/dev/null || why="$why, no options file"
	want=$(( $(count "corpus/fuzz/$t") + $(count "corpus/regress/$t") ))
	mkdir -p "$dir/$t.seeds" "$dir/$t.corpus"
	unzip -q "$out/${t}_seed_corpus.zip" -d "$dir/$t.seeds" 2>/dev/null
	have=$(count "$dir/$t.seeds")
	[ "$want" -gt 0 ] && [ "$have" = "$want" ] ||
		why="$why, seed zip holds $have inputs of $want"
	if [ -n "$why" ]; then
		bad "$t:${why#,}"
		continue
	fi
	set -- -runs="$runs" -timeout=10 -rss_limit_mb=2048
	[ -f "$out/$t.dict" ] && set -- "$@" -dict="$out/$t.dict"
	timeout -k 5 120 "$bin" "$@" "$dir/$t.corpus" "$dir/$t.seeds" >"$dir/$t.log" 2>&1
	rc=$?
	# libFuzzer runs the empty input first and counts the other seeds
	nonempty=$(count "$dir/$t.seeds" -size +0)
	seen=$(sed -n 's/^INFO: seed corpus: files: \([0-9]*\) .*/\1/p' "$dir/$t.log")
	if [ $rc = 0 ] && [ "$seen" = "$nonempty" ] && grep -q "^Done $runs runs" "$dir/$t.log"; then
		ok "$t: $want seeds and $runs runs under ASan"
	else
		bad "$t: exit $rc, seeds read ${seen:-none} of $nonempty (not empty)"
		tail -20 "$dir/$t.log"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
