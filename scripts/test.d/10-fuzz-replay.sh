#!/bin/sh
# 10-fuzz-replay - run every fuzz target's replay build over its seeds
# (corpus/fuzz/<target>/) and its regression inputs (corpus/regress/<target>/)
# under the build's sanitizers. One check per target: it passes when every
# input ran and the binary exited 0; a target with no input at all fails, so a
# new target cannot be added without seeds. A target whose replay runs longer
# than REPLAY_SECONDS (300) fails as a hang (timeout(1) stops it). A target
# left directly in fuzz/ (the layout before fuzz/targets/) fails too: no
# build would find it.
# Usage: 10-fuzz-replay.sh BUILD_DIR
set -u
build=${1:?usage: $0 BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
limit=${REPLAY_SECONDS:-300}
pass=0 fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for src in fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	echo "FAIL - $src: no build finds a target outside fuzz/targets/ (move it there, with its .dict)"
	fail=$((fail + 1))
done
for src in fuzz/targets/fuzz_*.c; do
	t=$(basename "$src" .c)
	bin="$build/fuzz/$t"
	if [ ! -x "$bin" ]; then
		echo "FAIL - $t: $bin not built"
		fail=$((fail + 1))
		continue
	fi
	set --
	for d in "corpus/fuzz/$t" "corpus/regress/$t"; do
		[ -d "$d" ] && set -- "$@" "$d"
	done
	if [ $# -eq 0 ]; then
		echo "FAIL - $t: no corpus/fuzz/$t or corpus/regress/$t"
		fail=$((fail + 1))
		continue
	fi
	timeout -k 10 "$limit" "$bin" -v "$@" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		n=$(sed -n 's/^.*: \([0-9]*\) inputs$/\1/p' "$log" | tail -1)
		if [ "${n:-0}" -gt 0 ]; then
			echo "ok   - $t: $n inputs"
			pass=$((pass + 1))
		else
			echo "FAIL - $t: no inputs in $*"
			fail=$((fail + 1))
		fi
	else
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL - $t: still running after $limit s (a hang?), last input: $(grep 'running ' "$log" | tail -1)"
		else
			echo "FAIL - $t: exit $rc, last input: $(grep 'running ' "$log" | tail -1)"
		fi
		grep -v ': running ' "$log" | tail -30
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
