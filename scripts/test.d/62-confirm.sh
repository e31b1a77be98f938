#!/bin/bash
# 62-confirm - fake-smtpd check --confirm: each failed check's exchange once
# more through a private real Postfix (scripts/postfix-ns), real Postfix's
# reply beside the prediction. Two helpers of corpus/helpers with three
# different failures each, both of which real Postfix shows the SMTP client
# as the oracle predicted:
#   auth    picky_auth_helper.py: AUTH-MECH-003 (no initial response
#           refused), AUTH-REQ-001 (case-sensitive mechanism), AUTH-REP-008
#           (leaky FAIL reasons)
#   policy  naive_policy.py: POLICY-REPLY-006 (unknown action word),
#           POLICY-INJ-002 and POLICY-INJ-003 (a quote in sender or helo_name
#           grants access)
# Every report format carries the confirmation; nothing of the private
# Postfix is left running, also after an interrupt. Skips when Postfix is not installed, or without
# root or namespaces. Usage: 62-confirm.sh BUILD_DIR
set -u
# shellcheck source=scripts/test.d/suite.bash
. "$(dirname "$0")/suite.bash"
suite_init 62-confirm "${1:-}"
fs="$build/bin/fake-smtpd"
py=/usr/bin/python3
need "$fs"
command -v postconf > /dev/null 2>&1 || [ -x /usr/sbin/postconf ] || suite_skip "Postfix is not installed"
[ "$(id -u)" = 0 ] || suite_skip "needs root (private namespaces)"
unshare --net --mount --pid --fork true 2> /dev/null || suite_skip "no namespaces here"
auth="spawn:$py $top/corpus/helpers/picky_auth_helper.py"
policy="spawn:$py $top/corpus/helpers/naive_policy.py"
# the confirmation's directories, removed at exit
on_exit='for d in $(cat "$dir"/out.* 2>/dev/null | grep -o "/tmp/fake-smtpd-confirm\.[A-Za-z0-9]*" | sort -u); do rm -rf "$d"; done'

# run OUT ARGS...: fake-smtpd check --confirm, output in $dir/OUT, status in $rc
run() {
	local out=$1
	shift
	timeout 600 "$fs" check --confirm "$@" > "$dir/out.$out" 2> "$dir/err.$out"
	rc=$?
}
# agrees OUT ID: ID was run through real Postfix, agreeing, replies side by side
agrees() {
	awk -v id="$2" '$1 == "CONFIRM" { p = ($2 == id) } p' "$dir/out.$1" > "$dir/block"
	grep -q "^CONFIRM  $2  agree$" "$dir/block" && grep -q '^        predicted: ' "$dir/block" &&
		grep -q '^        real Postfix: ' "$dir/block" &&
		[ "$(grep -c '^        predicted: ' "$dir/block")" = "$(grep -c '^        real Postfix: ' "$dir/block")" ]
}
# left: processes of the private Postfix still running (none after the run)
left() { pgrep -f "fake-smtpd-confirm\." 2> /dev/null | grep -vx "$$" || true; }
# confirmed OUT IDS...: each ID failed, and real Postfix's reply agrees with the
# prediction; no disagreement at all; nothing of the private Postfix left running
confirmed() {
	local out=$1 id
	shift
	for id in "$@"; do
		if [ $rc = 1 ] && grep -q "^FAIL  $id " "$dir/out.$out" && agrees "$out" "$id"; then
			ok "$out: $id failed, and real Postfix's reply agrees with the prediction"
		else
			bad "$out: $id (rc $rc)"; grep -A8 "CONFIRM  $id" "$dir/out.$out" | head -20
		fi
	done
	grep -q 'DISAGREE' "$dir/out.$out" && bad "$out: a disagreement" || ok "$out: no disagreement"
	[ -z "$(left)" ] && ok "$out: nothing of the private Postfix is left running" ||
		bad "$out: left running: $(left)"
}

run auth --auth "$auth" --user test1 --password pass1 --time-scale 0.1
confirmed auth AUTH-MECH-003 AUTH-REQ-001 AUTH-REP-008
grep -q 'real Postfix: 535 5.7.8 Error: authentication failed: Unknown user$' "$dir/out.auth" &&
	grep -q 'real Postfix: 535 5.7.8 Error: authentication failed: Password mismatch$' "$dir/out.auth" &&
	ok "auth: the two replies that tell accounts apart come from real Postfix" ||
	bad "auth: AUTH-REP-008's real replies"
f=$(grep -o '/tmp/fake-smtpd-confirm\.[A-Za-z0-9]*/AUTH-REP-008\.helper\.tr' "$dir/out.auth" | head -1)
[ -n "$f" ] && grep -q '^C: AUTH' "$f" && grep -q 'FAIL' "$f" &&
	ok "auth: the transcript of what Postfix and the helper said is written where the report says" ||
	bad "auth: no helper transcript ($f)"

run policy --policy "$policy" --time-scale 0.05 --only POLICY-REPLY,POLICY-INJ-002,POLICY-INJ-003
confirmed policy POLICY-REPLY-006 POLICY-INJ-002 POLICY-INJ-003
grep -q "MAIL FROM:<sender'--@example.com> | RCPT TO:<rcpt@example.com>" "$dir/out.policy" &&
	grep -q 'XCLIENT ADDR=198.51.100.7' "$dir/out.policy" &&
	ok "policy: the payload reaches real Postfix through the SMTP session (XCLIENT, MAIL FROM)" ||
	bad "policy: the sessions"

# without Postfix (postconf hidden in a private mount namespace) --confirm is an
# error before any check runs: exit 2, saying so
pc=$(command -v postconf || echo /usr/sbin/postconf)
unshare --mount --propagation private sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' \
	sh "$pc" "$fs" check --confirm --auth "$auth" --user test1 --password pass1 \
	> "$dir/nopf.out" 2> "$dir/nopf.err"
rc=$?
[ $rc = 2 ] && grep -q 'confirm: Postfix is not installed' "$dir/nopf.err" && ! grep -q '^PASS' "$dir/nopf.out" &&
	ok "without Postfix: --confirm is an error (exit 2) before any check" ||
	bad "without Postfix: rc $rc, $(head -c 300 "$dir/nopf.err")"

# and as another user than root: exit 2 before any check
setpriv --reuid=65534 --regid=65534 --clear-groups "$fs" check --confirm --policy "$policy" \
	> "$dir/nonroot.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q 'confirm: the private Postfix needs root' "$dir/nonroot.out" &&
	! grep -q '^PASS' "$dir/nonroot.out" && ok "not root: --confirm is an error (exit 2) before any check" ||
	bad "not root: rc $rc, $(head -c 300 "$dir/nonroot.out")"

# an interrupt while real Postfix waits for a helper that never ends its reply
# (CR LF) ends the run soon, Postfix stopped: exit 2, nothing left running
"$fs" check --confirm --policy "spawn:$py $top/corpus/helpers/seed_policy_helper.py --crlf" \
	--time-scale 0.1 --only POLICY-REPLY-001 > "$dir/out.int" 2>&1 &
ipid=$!
pids="$pids $ipid"
for _ in $(seq 120); do grep -q '^fake-smtpd: confirming' "$dir/out.int" && break; sleep 0.5; done
sleep 2
kill -INT "$ipid"
t0=$(date +%s)
wait "$ipid"
rc=$?
secs=$(($(date +%s) - t0))
[ $rc = 2 ] && [ "$secs" -le 10 ] && grep -q 'interrupted; the private Postfix in .* is stopped' "$dir/out.int" &&
	[ -z "$(left)" ] && ok "an interrupt stops the private Postfix and the run within ${secs} s, exit 2" ||
	bad "interrupt: rc $rc after $secs s, left: $(left)"

# every report format carries the confirmation
run json --policy "$policy" --time-scale 0.05 --only POLICY-REPLY-006 --format json
if $py -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["results"] if x["id"] == "POLICY-REPLY-006"][0]
c = r["confirmed"]
assert c["status"] == "agree" and c["agree"] is True, c
assert c["replies"] and all(p["agree"] and p["predicted"] == p["real"] for p in c["replies"]), c
import jsonschema
jsonschema.validate(d, json.load(open(sys.argv[2])))
' "$dir/out.json" "$top/docs/report.schema.json"; then
	ok "json: the check's \"confirmed\" holds the real reply and the agreement, valid against the schema"
else
	bad "json: $(head -c 600 "$dir/out.json")"
fi
run junit --policy "$policy" --time-scale 0.05 --only POLICY-REPLY-006 --format junit
grep -q '<property name="confirm.status" value="agree"' "$dir/out.junit" &&
	grep -q '<property name="confirm.1.real" value="451 4.3.5 Server configuration error"' "$dir/out.junit" &&
	ok "junit: confirm.* properties with the real reply" || bad "junit: $(grep -c confirm "$dir/out.junit") confirm lines"
run tap --policy "$policy" --time-scale 0.05 --only POLICY-REPLY-006 --format tap
grep -q '^# CONFIRM  POLICY-REPLY-006  agree' "$dir/out.tap" && grep -q '^#         real Postfix: 451' "$dir/out.tap" &&
	ok "tap: the confirmation as comment lines" || bad "tap: $(grep -c CONFIRM "$dir/out.tap")"
suite_end
