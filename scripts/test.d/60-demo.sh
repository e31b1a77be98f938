#!/bin/bash
# 60-demo - make demo's script (scripts/demo) against this build: it exits
# 0, both reference servers pass every check (the auth and policy summary
# lines say 0 failed; the seed scenario's two --expect rules against the
# sample database pass), the seed-style helper's findings are shown without
# turning the exit status red, the time is printed, and nothing it started
# is left (its PIDs and its directory are gone). Then with a ref-authd that
# answers in CRLF the demo must exit 1 and say so.
# Usage: 60-demo.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
out=$(mktemp /tmp/demo-suite.XXXXXX)
trap 'rm -f "$out"' EXIT

"$top/scripts/demo" "$build" > "$out" 2>&1
rc=$?
plain=$(sed 's/\x1b\[[0-9;]*m//g' "$out")
[ $rc = 0 ] && ok "demo exits 0" || { bad "demo exit $rc"; echo "$plain" | tail -40; }
grep -qx '   ref-authd:         every check passed' <<< "$plain" &&
	ok "ref-authd: every check passed" || bad "ref-authd verdict: $(grep 'ref-authd:' <<< "$plain")"
grep -qx '   ref-policyd:       every check passed' <<< "$plain" &&
	ok "ref-policyd: every check passed" || bad "ref-policyd verdict: $(grep 'ref-policyd:' <<< "$plain")"
# the summary lines of the two reference checks, in the order shown: N passed, 0 failed
sums=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<< "$plain")
a=$(sed -n 1p <<< "$sums") p=$(sed -n 2p <<< "$sums") s=$(sed -n 3p <<< "$sums")
[[ $a =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]] && ok "auth catalogue against ref-authd: $a" || bad "auth summary: [$a]"
[[ $p =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]] && ok "policy catalogue against ref-policyd: $p" || bad "policy summary: [$p]"
[ "$(grep -c '^PASS  POLICY-EXPECT-00[12]  rule: sasl_username=test1 client_address=' <<< "$plain")" = 2 ] &&
	ok "the seed scenario from the sample database holds (two --expect rules pass)" ||
	bad "--expect rules: $(grep 'POLICY-EXPECT' <<< "$plain")"
[[ $s =~ [1-9][0-9]*\ failed ]] && grep -q 'seed_auth_helper:  findings reported above, as expected' <<< "$plain" &&
	ok "seed helper: findings shown ($s), exit status still 0" || bad "seed helper: [$s]"
secs=$(sed -n 's/^Done in \([0-9.]*\) s\.$/\1/p' <<< "$plain")
[ -n "$secs" ] && ok "demo ran in $secs s ($(basename "$build"), load average $(cut -d' ' -f1 /proc/loadavg))" ||
	bad "no 'Done in' line"
ddir=$(sed -n 's|.*listening on unix:\(/tmp/smtpd-harness-demo\.[A-Za-z0-9]*\)/auth.sock.*|\1|p' <<< "$plain")
pids=$(sed -n 's/.*(pid \([0-9]*\))$/\1/p' <<< "$plain" | tr '\n' ' ')
left=""
for p in $pids; do kill -0 "$p" 2>/dev/null && [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" != Z ] && left="$left $p"; done
[ -n "$ddir" ] && [ ! -e "$ddir" ] && [ -n "$pids" ] && [ -z "$left" ] &&
	ok "servers ($pids) stopped and $ddir removed" || bad "left behind: dir [$ddir] pids [$pids] alive [$left]"

SMTPDH_DEMO_AUTHD_FAULT=crlf "$top/scripts/demo" "$build" > "$out" 2>&1
rc=$?
plain=$(sed 's/\x1b\[[0-9;]*m//g' "$out")
[ $rc = 1 ] && grep -qx '   ref-authd:         checks FAILED (exit 1)' <<< "$plain" &&
	ok "a ref-authd that answers in CRLF: demo exits 1 and says checks FAILED" ||
	{ bad "faulty ref-authd: exit $rc"; grep 'ref-authd:' <<< "$plain"; }

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
