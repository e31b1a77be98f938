#!/bin/sh
# 10-fuzz-replay - run every fuzz target's replay build over its seeds
# (corpus/fuzz/<target>/) and its regression inputs (corpus/regress/<target>/)
# under the build's sanitizers. One check per target: it passes when every
# input ran and the binary exited 0; a target with no input at all fails, so a
# new target cannot be added without seeds.
# Usage: 10-fuzz-replay.sh BUILD_DIR
set -u
build=${1:?usage: $0 BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0 fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for src in fuzz/fuzz_*.c; do
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
	if "$bin" -v "$@" >"$log" 2>&1; then
		n=$(sed -n 's/^.*: \([0-9]*\) inputs$/\1/p' "$log" | tail -1)
		if [ "${n:-0}" -gt 0 ]; then
			echo "ok   - $t: $n inputs"
			pass=$((pass + 1))
		else
			echo "FAIL - $t: no inputs in $*"
			fail=$((fail + 1))
		fi
	else
		echo "FAIL - $t: exit $?, last input: $(grep 'running ' "$log" | tail -1)"
		grep -v ': running ' "$log" | tail -30
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
