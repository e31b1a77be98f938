#!/bin/bash
# 36-authd-load - 1,000 concurrent Postfix-like clients authenticating in a
# loop against ref-authd, plus one client sending a 16385-byte line and
# garbage: replies never cross ids, the bad client is dropped, no crash.
# Usage: 36-authd-load.sh BUILD_DIR         Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/authd-load.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
printf 'alice:{PLAIN}secret\n' > "$dir/users"
"$build/bin/ref-authd" -p "$dir/users" -d 0 --log-file /dev/null "unix:$dir/a.sock" &
pid=$!
for _ in $(seq 50); do [ -S "$dir/a.sock" ] && break; sleep 0.05; done
out=$(/usr/bin/python3 "$top/reference/tests/authd_load.py" "$dir/a.sock" 1000 3)
echo "$out" | grep -v 'passed,'
p=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
p=${p:-0}; f=${f:-1}
if kill -0 "$pid" 2>/dev/null; then
	echo "ok   - ref-authd still running"; p=$((p + 1))
	kill "$pid"; wait "$pid"; st=$?; pid=""
	if [ $st = 0 ]; then echo "ok   - clean exit after the load"; p=$((p + 1));
	else echo "FAIL - exit $st"; f=$((f + 1)); fi
else
	echo "FAIL - ref-authd died"; f=$((f + 1))
fi
echo "$p passed, $f failed"
[ "$f" = 0 ]
