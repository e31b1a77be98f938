#!/bin/bash
# 36-authd-load - 1,000 concurrent Postfix-like clients authenticating in a
# loop against ref-authd, plus one client sending a 16385-byte line and
# garbage: replies never cross ids, the bad client is dropped, no crash.
# Twice: a {PLAIN} user (answered on the event loop) and a {SHA512-CRYPT}
# user (1,000 hashes queued for the worker threads, whose completions come
# back in batches): every client gets replies, and every request still in
# flight at the end is answered.
# Usage: 36-authd-load.sh BUILD_DIR         Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/authd-load.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
printf 'alice:{PLAIN}secret\ncarol:%s\n' "$(doveadm pw -s SHA512-CRYPT -p s3cret)" > "$dir/users"
"$build/bin/ref-authd" -p "$dir/users" -d 0 --log-file /dev/null "unix:$dir/a.sock" &
pid=$!
for _ in $(seq 50); do [ -S "$dir/a.sock" ] && break; sleep 0.05; done
p=0; f=0
for who in "alice secret" "carol s3cret"; do
	# shellcheck disable=SC2086
	out=$(/usr/bin/python3 "$top/reference/tests/authd_load.py" "$dir/a.sock" 1000 3 $who)
	echo "$out" | grep -v 'passed,' | sed "s/^\(ok  \|FAIL\) - /&${who%% *}: /"
	n=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	m=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	p=$((p + ${n:-0})); f=$((f + ${m:-1}))
done
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
