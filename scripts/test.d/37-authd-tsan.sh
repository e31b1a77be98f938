#!/bin/bash
# 37-authd-tsan - ref-authd's threads under ThreadSanitizer: the worker
# pool's own tests, then ref-authd built with -fsanitize=thread under
# {SHA512-CRYPT} load at 1, 64 and 512 connections (an idle pool handing
# work to one thread, a deep queue whose completions come back in
# batches), {PLAIN} load, a SIGHUP reload while hashes run, and SIGTERM
# with hashes in flight. Passes when TSan reports no race, every reply is
# the expected one and ref-authd exits 0.
# Usage: 37-authd-tsan.sh BUILD_DIR (the ASan build, build/asan-CC; the TSan
# build is build/tsan-CC, made by `make test`). Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
cc=${build##*/}
cc=${cc#*-}
tsan=$(dirname "$build")/tsan-$cc
fs="$build/bin/fake-smtpd"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

if [ ! -x "$tsan/bin/ref-authd" ] || [ ! -x "$tsan/tests/test_refcommon_workq" ]; then
	echo "no TSan build in $tsan (make test builds it)"
	echo "0 passed, 1 failed"
	exit 1
fi
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
# TSan wants the address space layout it knows: no randomization (setarch
# execs the program, so a PID taken with $! is the program's)
norand=()
setarch "$(uname -m)" -R true 2>/dev/null && norand=(setarch "$(uname -m)" -R)

dir=$(mktemp -d /tmp/authd-tsan.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

out=$("${norand[@]}" "$tsan/tests/test_refcommon_workq" 2>&1)
rc=$?
if [ $rc = 0 ] && ! grep -q ThreadSanitizer <<<"$out" && grep -q '^\[  PASSED  \]' <<<"$out"; then
	ok "the worker pool's tests under TSan: $(grep '^\[  PASSED  \]' <<<"$out" | tr -s ' ')"
else
	bad "the worker pool's tests under TSan (exit $rc)"
	grep -A12 ThreadSanitizer <<<"$out" | head -30
fi

printf 'plainuser:{PLAIN}pw\ncryptuser:%s\n' "$(doveadm pw -s SHA512-CRYPT -p pw)" > "$dir/users"
# reports to files of their own: ref-authd's stderr is its log
TSAN_OPTIONS="$TSAN_OPTIONS log_path=$dir/tsan" "${norand[@]}" "$tsan/bin/ref-authd" -p "$dir/users" \
	-d 0 --log-file /dev/null "unix:$dir/a.sock" 2>"$dir/stderr" &
pid=$!
for _ in $(seq 200); do [ -S "$dir/a.sock" ] && break; sleep 0.05; done
[ -S "$dir/a.sock" ] || bad "ref-authd (TSan) did not start"

# load USER CONNS SECONDS: every reply OK, none missing
load() {
	local j
	j=$("$fs" bench --auth "unix:$dir/a.sock" --user "$1" --password pw -c "$2" -d "$3" \
		--warmup 0 --timeout 20000 -q --format json 2>"$dir/bench.err")
	if /usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d["ok"] > 0 and d["fail"] == 0 and sum(d["errors"].values()) == 0 else 1)' "$j" 2>/dev/null
	then
		ok "$1 at $2 connections: $(/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1]); print("%d OK replies, no errors" % d["ok"])' "$j")"
	else
		bad "$1 at $2 connections: ${j:-$(cat "$dir/bench.err")}"
	fi
}
if [ -S "$dir/a.sock" ]; then
	load cryptuser 1 1
	load cryptuser 64 2
	# 512 connections run 6 s: each must be served at least once (the
	# bench counts one never answered as an error), and under TSan on a
	# busy 2-core machine the pool does ~150 hashes/s
	load cryptuser 512 6
	load plainuser 64 1
	# a reload while hashes run, then SIGTERM with hashes in flight
	"$fs" bench --auth "unix:$dir/a.sock" --user cryptuser --password pw -c 64 -d 3 \
		--warmup 0 -q --format json >/dev/null 2>&1 &
	gen=$!
	sleep 1
	kill -HUP "$pid"
	sleep 1
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	pid=""
	wait "$gen" 2>/dev/null
	if [ $st = 0 ]; then ok "SIGHUP and SIGTERM under load: exit 0"; else bad "exit $st after SIGHUP and SIGTERM under load"; fi
fi
if cat "$dir"/tsan.* "$dir/stderr" 2>/dev/null | grep -q ThreadSanitizer; then
	bad "TSan reported:"
	cat "$dir"/tsan.* "$dir/stderr" 2>/dev/null | grep -A20 ThreadSanitizer | head -40
else
	ok "no report from TSan"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
