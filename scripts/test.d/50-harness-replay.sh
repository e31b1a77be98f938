#!/bin/bash
# 50-harness-replay - fake-smtpd replay: the corpus transcripts against the
# seed-style helpers (spawn:) and against ref-authd when it is built; then the
# bad-input cases: missing file, broken transcript, unreachable target,
# garbage and a 1 MiB line from the peer, a helper that crashes mid-exchange,
# a helper whose stderr is the connection; report formats.
# Usage: 50-harness-replay.sh BUILD_DIR
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
fs="$build/bin/fake-smtpd"
ad="$build/bin/ref-authd"
py=/usr/bin/python3
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
dir=$(mktemp -d /tmp/fs-replay.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
A=corpus/transcripts/auth
P=corpus/transcripts/policy
seed_auth="spawn:$py corpus/helpers/seed_auth_helper.py"
seed_policy="spawn:$py corpus/helpers/seed_policy_helper.py"
badh="spawn:$py corpus/helpers/bad_helper.py"
replay() { timeout 60 "$fs" replay --fast "$@"; }

# 1. the seed-style auth helper: every transcript that fits its account and mechanisms
seedset="$A/x-trust-spawn.tr $A/plain-resp.tr $A/plain-macro.tr $A/plain-noresp.tr $A/empty-resp.tr
	$A/handshake-only.tr $A/ids-reconnect.tr $A/anonymous.tr $A/external-absent.tr
	$A/implicit-handshake.tr $A/handshake-order.tr $A/mech-set.tr $A/session-after-ok.tr"
n=$(echo $seedset | wc -w)
out=$(replay -D user=test1 -D password=pass1 "$seed_auth" $seedset); rc=$?
echo "$out" | tail -1 | grep -qx "$n passed, 0 failed" && [ $rc = 0 ] &&
	ok "seed auth helper (spawn): $n transcripts pass" || { bad "seed auth helper: rc $rc"; echo "$out"; }

# 2. the seed-style policy helper: seed scenario (b), both directions
out=$(replay "$seed_policy" $P/*.tr); rc=$?
np=$(ls $P/*.tr | wc -l)
echo "$out" | tail -1 | grep -qx "$np passed, 0 failed" && [ $rc = 0 ] &&
	ok "seed policy helper (spawn): $np transcripts pass" || { bad "seed policy helper: rc $rc"; echo "$out"; }
# the same requests against a helper that answers with CRLF: the DUNNO check must fail
out=$(replay "$seed_policy --crlf" $P/seed-relay-allowed-raw.tr); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'S: action=DUNNO\\r' && ok "CRLF policy replies are shown and fail" ||
	{ bad "CRLF policy replies: rc $rc"; echo "$out"; }

# the policy client as Postfix's: a CRLF reply never ends, two tries, then the default action
out=$(timeout 60 "$fs" replay -v --time-scale 0.01 "$seed_policy --crlf" $P/seed-relay-macro.tr); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'try 2 of 2 failed: no complete reply within 1 s (scaled: Postfix would have waited 100 s)' &&
	echo "$out" | grep -q 'applies smtpd_policy_service_default_action: 451 4.3.5 Server configuration problem' &&
	ok "policy: CRLF reply -> retry with the same request -> default action" || { bad "policy retries: rc $rc"; echo "$out"; }
out=$(replay -v --policy-request-limit 1 "$seed_policy" $P/states.tr); rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | grep -c 'request limit 1 reached')" = 9 ] &&
	ok "policy: --policy-request-limit closes after each request" || { bad "request limit: rc $rc"; echo "$out"; }
out=$(replay -v "$badh policy-flaky $dir/flaky.log" $P/seed-relay-macro.tr); rc=$?
req1=$(awk 'BEGIN{RS=""} NR==1' "$dir/flaky.log"); req2=$(awk 'BEGIN{RS=""} NR==2' "$dir/flaky.log")
[ $rc = 1 ] && echo "$out" | grep -q 'try 1 of 2 failed: an "action" line without "="' && [ -n "$req1" ] && [ "$req1" = "$req2" ] &&
	echo "$out" | grep -q 'expected action REJECT \*, got DUNNO' &&
	ok "policy: a malformed reply is retried on a new connection with the same request" || { bad "policy retry: rc $rc"; echo "$out"; cat "$dir/flaky.log"; }
[ -x "$build/bin/ref-policyd" ] || echo "skip - ref-policyd not built in $build: policy reference replays skipped"

# 3. ref-authd, every auth transcript, over a UNIX socket and as spawn
if [ -x "$ad" ]; then
	cp corpus/demo/users "$dir/users"
	"$ad" -p "$dir/users" -d 0 -m plain,login,cram-md5,scram-sha-1,scram-sha-256,anonymous \
		--unsafe-trust-username X-TRUST "unix:$dir/a.sock" 2>> "$dir/authd.log" &
	pid=$!
	for _ in $(seq 50); do [ -S "$dir/a.sock" ] && break; sleep 0.05; done
	na=$(ls $A/*.tr | wc -l)
	out=$(replay -D user=demo-plain -D password=demo-secret "unix:$dir/a.sock" $A/*.tr); rc=$?
	echo "$out" | tail -1 | grep -qx "$na passed, 0 failed" && [ $rc = 0 ] &&
		ok "ref-authd (unix:): $na transcripts pass" || { bad "ref-authd unix: rc $rc"; echo "$out"; }
	# a wrong password turns the 235 expectations red
	out=$(replay -D user=demo-plain -D password=wrong "unix:$dir/a.sock" $A/plain-macro.tr); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q 'expected SMTP 235, Postfix would answer: 535' &&
		ok "wrong password: expectation fails with Postfix's 535" || { bad "wrong password: rc $rc"; echo "$out"; }
	kill "$pid"; wait "$pid" 2>/dev/null; pid=""
	port=$((20000 + $$ % 20000))
	"$ad" -p "$dir/users" -d 0 "inet:127.0.0.1:$port" "inet:[::1]:$port" 2>> "$dir/authd-inet.log" &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$dir/authd-inet.log" 2>/dev/null && break; sleep 0.05; done
	o4=$(replay -D user=demo-plain -D password=demo-secret "inet:127.0.0.1:$port" $A/login-macro.tr); r4=$?
	o6=$(replay -D user=demo-plain -D password=demo-secret "inet:[::1]:$port" $A/login-macro.tr); r6=$?
	[ $r4 = 0 ] && [ $r6 = 0 ] && ok "ref-authd over inet: IPv4 and [::1]" || { bad "inet: $r4 $r6"; echo "$o4 $o6"; }
	kill "$pid"; wait "$pid" 2>/dev/null; pid=""
	out=$(replay -D user=demo-plain -D password=demo-secret \
		"spawn:$ad -p $dir/users -d 0 -l $dir/spawn.log spawn" $A/login-macro.tr $A/cram-md5.tr); rc=$?
	echo "$out" | tail -1 | grep -qx "2 passed, 0 failed" && ok "ref-authd (spawn:) passes" ||
		{ bad "ref-authd spawn: rc $rc"; echo "$out"; }
	# a helper that closed before VERSION/CPID went out (write EPIPE) fails
	# Postfix's handshake as an EOF does: the SMTP client sees a drop
	"$ad" -p "$dir/users" -d 0 --fault close-after=1 "unix:$dir/c.sock" 2>> "$dir/authd-c.log" &
	pid=$!
	for _ in $(seq 50); do [ -S "$dir/c.sock" ] && break; sleep 0.05; done
	printf 'protocol auth\nS~ /^VERSION\\t/\nsleep 300ms\nhandshake\n' > "$dir/epipe.tr"
	out=$(replay -v "unix:$dir/c.sock" "$dir/epipe.tr"); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q 'handshake: write failed: Broken pipe' &&
		echo "$out" | grep -q 'the handshake fails (the helper closed before VERSION and CPID were written); smtpd exits with "fatal: no SASL' &&
		ok "handshake write EPIPE: predicted as Postfix's failed handshake (connection drop)" ||
		{ bad "handshake EPIPE: rc $rc"; echo "$out"; }
	kill "$pid"; wait "$pid" 2>/dev/null; pid=""
else
	echo "skip - ref-authd not built in $build: reference replays skipped"
fi

# 4. bad input: exit 2 with a clear message, nothing sent
out=$("$fs" replay "$seed_auth" "$dir/missing.tr" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "missing.tr: No such file or directory" &&
	ok "missing transcript: exit 2 with the file named" || { bad "missing file: rc $rc"; echo "$out"; }
printf 'protocol auth\nhandshake\nS: OK\\t{id\n' > "$dir/broken.tr"
printf '#!/bin/sh\ntouch %s/started\nexec cat\n' "$dir" > "$dir/marker.sh"; chmod +x "$dir/marker.sh"
out=$("$fs" replay "spawn:$dir/marker.sh" $A/handshake-only.tr "$dir/broken.tr" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "broken.tr:3: S:: unclosed {" && [ ! -e "$dir/started" ] &&
	ok "broken transcript: exit 2 with file:line, the helper never started" || { bad "broken transcript: rc $rc"; echo "$out"; }
out=$("$fs" replay "unix:$dir/nothing.sock" $A/handshake-only.tr 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "cannot use the target: unix:$dir/nothing.sock: connect: No such file" &&
	ok "unreachable target: exit 2" || { bad "unreachable: rc $rc"; echo "$out"; }
out=$("$fs" replay "spawn:$dir/no-such-helper" $A/handshake-only.tr 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "exec $dir/no-such-helper" && ok "helper that cannot start: exit 2" ||
	{ bad "exec failure: rc $rc"; echo "$out"; }
out=$("$fs" replay --format xml x y 2>&1); rc=$?
[ $rc = 2 ] && ok "bad option: exit 2" || bad "bad option: rc $rc"

# 5. a hostile peer: garbage, a 1 MiB line; bounded time, no crash
s=$(date +%s%N)
out=$(replay "$badh garbage" $A/handshake-only.tr); rc=$?
ms=$(( ($(date +%s%N) - s) / 1000000 ))
[ $rc = 1 ] && echo "$out" | grep -q 'S: \\x00\\xff\\xfe garbage' && [ $ms -lt 5000 ] &&
	ok "garbage from the helper: shown escaped, failure in $ms ms" || { bad "garbage: rc $rc ($ms ms)"; echo "$out"; }
s=$(date +%s%N)
out=$(replay "$badh long-line" $A/handshake-only.tr); rc=$?
ms=$(( ($(date +%s%N) - s) / 1000000 ))
[ $rc = 1 ] && echo "$out" | grep -q 'line longer than 65536 bytes' && [ $ms -lt 5000 ] &&
	ok "1 MiB line: reported as longer than 65536 bytes in $ms ms" || { bad "long line: rc $rc ($ms ms)"; echo "$out"; }
out=$(replay "$badh silent" $A/handshake-only.tr); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'no line within 500 ms' && ok "silent helper: the scaled 10 s timeout is reported" ||
	{ bad "silent: rc $rc"; echo "$out"; }

# 6. a helper that crashes mid-exchange: a finding with signal and stderr, the run goes on
out=$(replay --stderr-apart "$badh crash" $A/plain-macro.tr $A/handshake-only.tr); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'helper crashed: killed by signal 11 (Segmentation fault)' &&
	echo "$out" | grep -q 'helper stderr: bad_helper: about to crash' &&
	echo "$out" | tail -1 | grep -qx '1 passed, 1 failed' &&
	ok "crash: signal and stderr reported, next transcript still runs" || { bad "crash: rc $rc"; echo "$out"; }

# after EOF, Postfix before 3.11-20250304 (3.7.15, ...) keeps the broken connection:
# on a UNIX socket (spawn: too) the next AUTH's write fails and Postfix reconnects
# under the next id (1, then 3); 3.11 and the back-ports close it and reconnect (1, 2)
printf 'protocol auth\nauth PLAIN u p expect 454\nauth PLAIN u p expect 454\n' > "$dir/broken-conn.tr"
out=$(replay -v --postfix-version 3.7 "$badh crash" "$dir/broken-conn.tr"); rc=$?
[ $rc = 1 ] && [ "$(echo "$out" | grep -c "EHLO would offer")" = 2 ] &&
	echo "$out" | grep -q 'Postfix 3.7 kept it, so the write of AUTH 2 fails; Postfix closes, connects and sends the request again as 3' &&
	echo "$out" | grep -q 'C: AUTH\\t3\\tPLAIN' && ! echo "$out" | grep -q 'C: AUTH\\t2\\t' &&
	ok "3.7: a broken auth connection is kept; the next AUTH's write fails, reconnect as id 3" ||
	{ bad "3.7 broken connection: rc $rc"; echo "$out"; }
for v in 3.11 3.7.15; do
	out=$(replay -v --postfix-version $v "$badh crash" "$dir/broken-conn.tr"); rc=$?
	[ $rc = 1 ] && [ "$(echo "$out" | grep -c "EHLO would offer")" = 2 ] &&
		echo "$out" | grep -q "Postfix $v closed it and connects again" &&
		echo "$out" | grep -q 'C: AUTH\\t2\\tPLAIN' &&
		ok "$v: the next AUTH reconnects with a new handshake as id 2" ||
		{ bad "$v reconnect: rc $rc"; echo "$out"; }
done

# how Postfix reads auth replies (each row: helper mode, version, transcript tail, the
# reply or note that must show): the bytes before EOF are a last line; what came in
# the same read as DONE is dropped when the AUTH is written, a later read is a reply;
# EHLO's AUTH list passes smtpd_sasl_mechanism_filter (3.6+), AUTH accepts EXTERNAL
while IFS='|' read -r mode v tail want; do
	printf 'protocol auth\nhandshake\nsleep 600ms\n%b\n' "$tail" > "$dir/read.tr"
	out=$(replay -v --postfix-version "$v" "$badh $mode" "$dir/read.tr"); rc=$?
	[ $rc = 0 ] && echo "$out" | grep -qF -- "$want" && ok "$mode as $v: $want" ||
		{ bad "$mode as $v: rc $rc, want $want"; echo "$out"; }
done <<'EOF'
eof-ok|3.7.11|auth PLAIN u p expect 235|(no LF: the connection ended after this line
eof-fail|3.7.11|auth PLAIN u p expect 535|would answer: 535 5.7.8 Error: authentication failed: nope
stale-same-read|3.7.11|auth PLAIN u p expect 235|Postfix drops 20 unread bytes that came in the same read
stale-later-read|3.7.11|auth PLAIN u p\nexpect smtp 535 5.7.8 Error: authentication failed: stale|would answer: 535 5.7.8 Error: authentication failed: stale
external|3.7.11|auth PLAIN u p expect 235|EHLO would offer AUTH PLAIN;
external|3.5.25|auth PLAIN u p expect 235|EHLO would offer AUTH EXTERNAL PLAIN
external|3.7.11|auth EXTERNAL expect 235|EHLO would offer AUTH PLAIN;
EOF

# 7. stderr on the connection (spawn(8) default) versus --stderr-apart
out=$(replay -v "$badh stderr" $A/plain-macro.tr 2>&1)
echo "$out" | grep -q 'S: debug: got AUTH' && ok "default spawn: the helper's stderr arrives on the connection" ||
	{ bad "stderr on the connection"; echo "$out"; }
out=$(replay -v --stderr-apart "$badh stderr" $A/handshake-only.tr 2>&1)
echo "$out" | grep -q 'helper stderr: debug: starting' && ! echo "$out" | grep -q 'S: debug' &&
	ok "--stderr-apart: stderr captured and shown apart" || { bad "--stderr-apart"; echo "$out"; }

# 8. report formats for CI
out=$(replay --format tap -D user=test1 -D password=pass1 "$seed_auth" $A/plain-macro.tr $A/x-trust-spawn.tr)
echo "$out" | grep -qx '1\.\.2' && [ "$(echo "$out" | grep -c '^ok ')" = 2 ] && ok "TAP" || { bad "TAP"; echo "$out"; }
replay --format json "$badh silent" $A/handshake-only.tr > "$dir/r.json" 2> "$dir/r.err"
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["failed"]==1 and d["results"][0]["result"]=="fail"' "$dir/r.json" &&
	grep -qx '0 passed, 1 failed' "$dir/r.err" && ok "JSON parses, summary on stderr" || { bad "JSON"; cat "$dir/r.json"; }
replay --format junit -D user=test1 -D password=pass1 "$seed_auth" $A/plain-macro.tr > "$dir/r.xml" 2>/dev/null
$py -c 'import sys,xml.etree.ElementTree as E; s=E.parse(sys.argv[1]).getroot().find("testsuite"); assert s.get("tests")=="1" and s.get("failures")=="0"' "$dir/r.xml" &&
	ok "JUnit XML parses" || { bad "JUnit"; cat "$dir/r.xml"; }

# 9. record: a proxy that passes bytes through and writes a transcript that replays green
waitsock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }
timeout 60 "$fs" record -q --listen "unix:$dir/rec.sock" --upstream "$seed_auth" -o "$dir/rec.tr" \
	--count 2 --accept-timeout 20 --keep-credentials & rpid=$!
waitsock "$dir/rec.sock"
o1=$(replay -D user=test1 -D password=pass1 "unix:$dir/rec.sock" $A/plain-macro.tr); r1=$?
o2=$(replay -D user=test1 -D password=pass1 "unix:$dir/rec.sock" $A/x-trust-spawn.tr); r2=$?
wait $rpid; rr=$?
out=$(replay "$seed_auth" "$dir/rec.tr"); rc=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && [ $rr = 0 ] && [ $rc = 0 ] && grep -q '^reconnect$' "$dir/rec.tr" &&
	grep -q '^C: CPID\\t{pid}$' "$dir/rec.tr" && grep -q '^S: OK\\t{id}\\tuser=test1$' "$dir/rec.tr" &&
	ok "record (auth, 2 connections through the proxy) replays green" ||
	{ bad "record auth: $r1 $r2 $rr $rc"; echo "$o1 $o2"; cat "$dir/rec.tr"; echo "$out"; }
timeout 60 "$fs" record -q --listen "inet:127.0.0.1:0" --upstream "$seed_auth" -o "$dir/x.tr" 2>/dev/null
[ $? = 0 ] && bad "record: port 0 accepted" || ok "record: a bad listen address is refused"
timeout 60 "$fs" record -q --listen "unix:$dir/recp.sock" --upstream "$seed_policy" -o "$dir/recp.tr" \
	--accept-timeout 20 & rpid=$!
waitsock "$dir/recp.sock"
o1=$(replay "unix:$dir/recp.sock" $P/seed-relay-denied-raw.tr); r1=$?
wait $rpid; rr=$?
out=$(replay "$seed_policy" "$dir/recp.tr"); rc=$?
[ $r1 = 0 ] && [ $rr = 0 ] && [ $rc = 0 ] && grep -q '^S: action=REJECT user test1 may not send from 198.51.100.7$' "$dir/recp.tr" &&
	ok "record (policy) replays green" || { bad "record policy: $r1 $rr $rc"; cat "$dir/recp.tr"; echo "$out"; }

# concurrent connections (Postfix keeps one per smtpd process), stopped by SIGTERM
printf 'protocol auth\nhandshake\nsleep 1500ms\nauth PLAIN ${user} ${password} expect 235\n' > "$dir/slow.tr"
"$fs" record -q --listen "unix:$dir/conc.sock" --upstream "$seed_auth" -o "$dir/conc.tr" --count 0 & rpid=$!
waitsock "$dir/conc.sock"
s=$(date +%s%N)
replay -D user=test1 -D password=pass1 "unix:$dir/conc.sock" "$dir/slow.tr" > "$dir/c1.out" & c1=$!
replay -D user=test1 -D password=pass1 "unix:$dir/conc.sock" "$dir/slow.tr" > "$dir/c2.out" & c2=$!
wait $c1; r1=$?; wait $c2; r2=$?
ms=$(( ($(date +%s%N) - s) / 1000000 ))
kill -TERM $rpid; wait $rpid; rr=$?
out=$(replay -D password=pass1 "$seed_auth" "$dir/conc.tr"); rc=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && [ $rr = 0 ] && [ $rc = 0 ] && [ $ms -lt 2900 ] &&
	[ "$(grep -c '^# connection' "$dir/conc.tr")" = 2 ] &&
	ok "record: two connections at once ($ms ms), SIGTERM saves and exits 0, replays green" ||
	{ bad "record concurrent: $r1 $r2 $rr $rc ($ms ms)"; cat "$dir/conc.tr"; echo "$out"; }

# fidelity: the policy macro's request, recorded on the wire, equals what Postfix 3.7 sent (feasibility 3a)
timeout 60 "$fs" record -q --listen "unix:$dir/fid.sock" --upstream "$seed_policy" -o "$dir/fid.tr" \
	--accept-timeout 20 & rpid=$!
waitsock "$dir/fid.sock"
o1=$(replay "unix:$dir/fid.sock" $P/postfix37-request.tr); r1=$?
wait $rpid
if [ $r1 = 0 ] && diff <(grep '^C:' "$dir/fid.tr") <(grep '^C:' $P/seed-relay-allowed-raw.tr) > "$dir/fid.diff"; then
	ok "policy macro: the bytes on the wire equal Postfix 3.7's request"
else
	bad "policy macro bytes differ from Postfix 3.7's: rc $r1"; echo "$o1"; cat "$dir/fid.diff"
fi
timeout 60 "$fs" record -q --listen "unix:$dir/fida.sock" --upstream "$seed_auth" -o "$dir/fida.tr" \
	--accept-timeout 20 --keep-credentials & rpid=$!
waitsock "$dir/fida.sock"
printf 'protocol auth\nauth PLAIN alice secret\n' > "$dir/alice.tr"
o1=$(replay "unix:$dir/fida.sock" "$dir/alice.tr"); r1=$?
wait $rpid
printf '%s\n' 'C: VERSION\t1\t0' 'C: CPID\t{pid}' \
	'C: AUTH\t{id}\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=AGFsaWNlAHNlY3JldA==' > "$dir/fida.want"
if [ $r1 = 0 ] && diff <(grep '^C:' "$dir/fida.tr") "$dir/fida.want" > "$dir/fida.diff"; then
	ok "auth macro: the bytes on the wire equal Postfix 3.7's (VERSION/CPID, AUTH PLAIN)"
else
	bad "auth macro bytes differ from Postfix 3.7's: rc $r1"; echo "$o1"; cat "$dir/fida.diff"
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
