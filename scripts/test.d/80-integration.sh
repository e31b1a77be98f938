#!/bin/sh
# 80-integration - the integration suite (integration/: pytest drives a
# real Postfix in private namespaces) as part of make test.
# Usage: 80-integration.sh BUILD_DIR     Last line: "N passed, N failed"
# (", N skipped" when pytest skipped some or marked known failures
# xfailed), from pytest's own summary;
# pytest's errors count as failures, and a run that ends without a
# summary counts as one failure.
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: $0 BUILD_DIR}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$top/integration/run" "$build" -q > "$out" 2>&1
rc=$?
cat "$out"
summary=$(grep -E '^=* *[0-9]+ (passed|failed|skipped|errors?|deselected)' "$out" | tail -1)
count() {
	echo "$summary" | sed -n "s/.*\\b\\([0-9][0-9]*\\) $1\\b.*/\\1/p" | head -1
}
p=$(count passed) f=$(count failed) s=$(count skipped) e=$(count 'errors\{0,1\}')
x=$(count xfailed) xp=$(count xpassed)
p=$((${p:-0} + ${xp:-0})) f=$((${f:-0} + ${e:-0})) s=$((${s:-0} + ${x:-0}))
if [ -z "$summary" ] || { [ "$rc" != 0 ] && [ "$f" = 0 ]; }; then
	f=$((f + 1))
fi
if [ "$s" != 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" = 0 ]
