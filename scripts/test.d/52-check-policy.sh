#!/bin/bash
# 52-check-policy - `fake-smtpd check --policy` against ref-policyd and a
# small scripted policy server: every check green against ref-policyd with
# the sample rules and database (UNIX socket and spawn); every ref-policyd
# fault switch caught by a named check (the id is asserted); the checks
# that ref-policyd cannot fail (empty or all-digit action, injection that
# widens access, an answer that changes on retry, extra attributes) made to
# fail by the scripted server; --expect rules, user transcripts, --only and
# --skip by id and tag, bad options and broken data files (exit 2 with
# file:line); an action whose outcome is not predicted passes no check; the time of the whole catalogue against ref-policyd.
# Usage: 52-check-policy.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
build=${1:?usage: $0 BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
fs="$build/bin/fake-smtpd"
pd="$build/bin/ref-policyd"
py=/usr/bin/python3
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

dir=$(mktemp -d /tmp/check-policy.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

if [ ! -x "$fs" ] || [ ! -x "$pd" ]; then
	echo "fake-smtpd or ref-policyd not built under $build"
	echo "0 passed, 1 failed"
	exit 1
fi
cd "$top" || exit 1
rules="$top/reference/policyd/sample.rules"
"$pd" --create-sample-db "$dir/sample.db" >/dev/null 2>&1

# start_pd NAME ARGS...: ref-policyd on $dir/NAME.sock; its PID joins $pids
start_pd() {
	local name=$1; shift
	"$pd" --rules "$rules" --db "$dir/sample.db" "$@" "unix:$dir/$name.sock" \
		2>>"$dir/$name.log" &
	pids="$pids $!"
	last_pid=$!
	for _ in $(seq 100); do
		[ -S "$dir/$name.sock" ] && return 0
		sleep 0.05
	done
	return 1
}
stop_pid() {
	kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
	pids=$(echo " $pids " | sed "s/ $1 / /")
}

# run OUT ARGS...: fake-smtpd check --policy; exit status in $rc
run() {
	local out=$1; shift
	"$fs" check "$@" >"$dir/$out" 2>&1
	rc=$?
}
has()    { grep -q "^$2 *$3 " "$dir/$1"; }	# has OUT PASS|FAIL|SKIP ID

# --- all green against ref-policyd ------------------------------------------------
if start_pd clean; then ok "ref-policyd listens"; else bad "ref-policyd did not start"; fi
clean_pid=$last_pid
t0=$(date +%s.%N)
run clean.out --policy "unix:$dir/clean.sock"
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
n=$(grep -c '^PASS' "$dir/clean.out")
if [ "$rc" = 0 ] && ! grep -q '^FAIL\|^ERROR\|^SKIP' "$dir/clean.out" && [ "$n" -ge 45 ]; then
	ok "catalogue against ref-policyd (unix): $n checks pass in ${secs}s (load $(cut -d' ' -f1-3 /proc/loadavg))"
else
	bad "catalogue against ref-policyd (unix): rc=$rc"; grep -A12 '^FAIL\|^ERROR\|^SKIP' "$dir/clean.out" | head -40
fi
for id in POLICY-REPLY-001 POLICY-REPLY-010 POLICY-CONN-003 POLICY-REQ-001 POLICY-STATE-009 POLICY-VERSION-001 \
	  POLICY-VERSION-010 POLICY-INJ-001 POLICY-ATTR-001 POLICY-ATTR-006 POLICY-CONN-005 POLICY-LAT-001; do
	if has clean.out PASS "$id"; then ok "$id passes"; else bad "$id did not pass"; fi
done
# the sample database lets test1 relay from 127.0.0.1: the injection reference is meaningful
run inj.out --policy "unix:$dir/clean.sock" --only POLICY-INJ-001 -v
if [ "$rc" = 0 ] && grep -q 'action=DUNNO' "$dir/inj.out" && grep -q 'not from your network' "$dir/inj.out" &&
   ! grep -q 'no more access than an unknown one' "$dir/inj.out"; then
	ok "POLICY-INJ-001: the known user is allowed, controls are rejected"
else
	bad "POLICY-INJ-001 reference"; head -30 "$dir/inj.out"
fi
run spawn.out --policy "spawn:$pd --rules $rules --db $dir/sample.db spawn" --format tap
if [ "$rc" = 0 ] && grep -q '^1\.\.[0-9]' "$dir/spawn.out" && ! grep -q '^not ok' "$dir/spawn.out"; then
	ok "catalogue against ref-policyd (spawn, TAP)"
else
	bad "catalogue against ref-policyd (spawn): rc=$rc"; grep -A8 '^not ok' "$dir/spawn.out" | head -30
fi

"$fs" check --policy "unix:$dir/clean.sock" --format json >"$dir/clean.json" 2>/dev/null
if $py -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["failed"] == 0 and d["passed"] == len(d["results"]) >= 45 else 1)' "$dir/clean.json"; then
	ok "--format json parses, every result passed"
else
	bad "--format json"; head -5 "$dir/clean.json"
fi

# --- every fault switch caught by a named check ------------------------------------
# fault:check ids that must fail[:the checks run] (the time scale makes
# Postfix's 100 s 1 s; every reply 0.7 s late passes POLICY-REPLY-001 and
# fails POLICY-LAT-001, the half of the timeout)
for spec in crlf:POLICY-REPLY-003,POLICY-REPLY-001 no-action:POLICY-REPLY-001 \
	    action-case:POLICY-REPLY-002 extra-empty-line:POLICY-REPLY-009 \
	    close-after-reply:POLICY-CONN-001 early-reply:POLICY-REPLY-010 \
	    no-terminator:POLICY-REPLY-004 bad-action:POLICY-REPLY-006 \
	    colon-action:POLICY-REPLY-007 delay=700:POLICY-LAT-001:POLICY-REPLY-001,POLICY-LAT-001; do
	fault=${spec%%:*}
	ids=${spec#*:}
	only=
	case $ids in *:*) only=${ids#*:}; ids=${ids%%:*} ;; esac
	name=f-${fault%%=*}
	if ! start_pd "$name" -f "$fault"; then bad "ref-policyd -f $fault did not start"; continue; fi
	fpid=$last_pid
	if [ -n "$only" ]; then
		run "$name.out" --policy "unix:$dir/$name.sock" --time-scale 0.01 --only "$only"
	else
		run "$name.out" --policy "unix:$dir/$name.sock" --time-scale 0.01 --skip attributes,POLICY-CONN-005
	fi
	stop_pid "$fpid"
	for id in ${ids//,/ }; do
		if [ "$rc" = 1 ] && has "$name.out" FAIL "$id"; then
			ok "-f $fault caught by $id"
		else
			bad "-f $fault not caught by $id (rc=$rc)"; grep -A6 "$id" "$dir/$name.out" | head -12
		fi
	done
done
# the failure report says what Postfix answers and how to fix it
if grep -q '451 4.3.5 Server configuration error' "$dir/f-bad-action.out" &&
   grep -q 'Use OK, DUNNO' "$dir/f-bad-action.out"; then
	ok "bad-action: report names Postfix's 451 4.3.5 and the fix"
else
	bad "bad-action report"; grep -A8 POLICY-REPLY-006 "$dir/f-bad-action.out" | head
fi
if grep -q 'Server configuration problem' "$dir/f-no-action.out"; then
	ok "no-action: report names Postfix's default action"
else
	bad "no-action report"; grep -A8 POLICY-REPLY-001 "$dir/f-no-action.out" | head
fi

# --- a scripted server for what ref-policyd refuses to do --------------------------
# mock.py MODE: spawn-mode policy server (stdin/stdout).
#   action=TEXT  always that action
#   naive        user = first blank-separated word of sasl_username, quotes
#                "OR" taken as true; test1 from 127.0.0.1 is allowed
#   counting F   greylisting that counts retries: the first sight of a
#                (client, sender, recipient) gets DEFER_IF_PERMIT, later DUNNO;
#                the triplets seen are kept in file F, as a daemon's database
#   strict       refuses (closes on) attributes it does not know
cat > "$dir/mock.py" <<'EOF'
import sys
mode = sys.argv[1]
known = set("""request protocol_state protocol_name client_address client_name client_port
reverse_client_name server_address server_port helo_name sender recipient recipient_count
queue_id instance size etrn_domain stress sasl_method sasl_username sasl_sender ccert_subject
ccert_issuer ccert_fingerprint ccert_pubkey_fingerprint encryption_protocol encryption_cipher
encryption_keysize policy_context""".split())
seen = set()
inp, out = sys.stdin.buffer, sys.stdout.buffer
attrs = {}
while True:
    line = inp.readline()
    if not line:
        break
    line = line.rstrip(b"\n")
    if line:
        k, _, v = line.partition(b"=")
        if mode == "strict" and k.decode("latin-1") not in known:
            sys.exit(0)
        attrs[k] = v
        continue
    if mode.startswith("action="):
        act = mode[7:].encode()
    elif mode == "naive":
        u = attrs.get(b"sasl_username", b"")
        word = u.split()[0] if u.split() else b""
        ok = (word == b"test1" or b"' OR '" in u) and attrs.get(b"client_address") == b"127.0.0.1"
        act = b"DUNNO" if ok or not u else b"REJECT 5.7.1 not allowed"
    elif mode == "counting":
        key = repr((attrs.get(b"client_address"), attrs.get(b"sender"), attrs.get(b"recipient")))
        try:
            seen = set(open(sys.argv[2]).read().splitlines())
        except OSError:
            seen = set()
        act = b"DUNNO" if key in seen else b"DEFER_IF_PERMIT 4.7.1 greylisted"
        with open(sys.argv[2], "a") as f:
            f.write(key + "\n")
    else:
        act = b"DUNNO"
    out.write(b"action=" + act + b"\n\n")
    out.flush()
    attrs = {}
EOF
mock() { echo "spawn:$py $dir/mock.py $1"; }
run m-empty.out --policy "$(mock action=)" --no-catalogue --only POLICY-REPLY
if [ "$rc" = 1 ] && has m-empty.out FAIL POLICY-REPLY-005 && has m-empty.out PASS POLICY-REPLY-001; then
	ok "empty action caught by POLICY-REPLY-005"
else
	bad "empty action (rc=$rc)"; head -20 "$dir/m-empty.out"
fi
run m-digits.out --policy "$(mock action=550)" --no-catalogue --only POLICY-REPLY
if [ "$rc" = 1 ] && has m-digits.out FAIL POLICY-REPLY-008 && grep -q 'as OK and permits' "$dir/m-digits.out"; then
	ok "all-digit action caught by POLICY-REPLY-008"
else
	bad "all-digit action (rc=$rc)"; head -20 "$dir/m-digits.out"
fi
run m-naive.out --policy "$(mock naive)" --no-catalogue --only injection
if [ "$rc" = 1 ] && has m-naive.out FAIL POLICY-INJ-001 && grep -q 'space: control' "$dir/m-naive.out" &&
   grep -q 'SQL quote: control' "$dir/m-naive.out" && has m-naive.out PASS POLICY-INJ-002; then
	ok "naive user parsing caught by POLICY-INJ-001 (a blank, SQL quote)"
else
	bad "naive server (rc=$rc)"; head -30 "$dir/m-naive.out"
fi
run m-count.out --policy "$(mock "counting $dir/seen.txt")" --no-catalogue --only POLICY-CONN-003
if [ "$rc" = 1 ] && has m-count.out FAIL POLICY-CONN-003; then
	ok "an answer that changes on retry caught by POLICY-CONN-003"
else
	bad "counting server (rc=$rc)"; head -20 "$dir/m-count.out"
fi
run m-strict.out --policy "$(mock strict)" --time-scale 0.01 --only POLICY-ATTR-001,POLICY-VERSION-010,POLICY-VERSION-001
if [ "$rc" = 1 ] && has m-strict.out FAIL POLICY-ATTR-001 && has m-strict.out FAIL POLICY-VERSION-010 &&
   has m-strict.out PASS POLICY-VERSION-001; then
	ok "a service refusing unknown attributes caught by POLICY-ATTR-001 and POLICY-VERSION-010"
else
	bad "strict server (rc=$rc)"; head -30 "$dir/m-strict.out"
fi

# a daemon that dies on its first ETRN request: the check that killed it fails,
# the later ones are skipped, and the run is a failure (1), not an environment
# error (2). Two ways to die: "now" stops listening and exits at once;
# "linger" still accepts one more connection (the harness's second try, or
# its look whether the service is still there), drops it unread, and only
# then stops listening. Either way the death is POLICY-STATE-009's finding,
# and every check after it is not run because the service died there
cat > "$dir/dying.py" <<'EOF'
import os, socketserver, sys
def die(server):
    # stop listening first: at exit the kernel may drop the connection
    # before the listening socket, and a reconnect in that gap would
    # still be accepted
    server.socket.close()
    os._exit(3)
class H(socketserver.StreamRequestHandler):
    def handle(self):
        if self.server.dying:
            die(self.server)
        attrs = {}
        for line in self.rfile:
            line = line.rstrip(b"\n")
            if line:
                k, _, v = line.partition(b"=")
                attrs[k] = v
                continue
            if attrs.get(b"protocol_state") == b"ETRN":
                if sys.argv[2] == "now":
                    die(self.server)
                self.server.dying = True
                return
            self.wfile.write(b"action=DUNNO\n\n")
            self.wfile.flush()
            attrs = {}
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    dying = False
S(sys.argv[1], H).serve_forever()
EOF
for how in now linger; do
	$py "$dir/dying.py" "$dir/dying-$how.sock" "$how" &
	dpid=$!
	pids="$pids $dpid"
	for _ in $(seq 100); do [ -S "$dir/dying-$how.sock" ] && break; sleep 0.05; done
	run "dying-$how.out" --policy "unix:$dir/dying-$how.sock" --no-catalogue
	if [ "$rc" = 1 ] && has "dying-$how.out" FAIL POLICY-STATE-009 &&
	   has "dying-$how.out" BLOCKED POLICY-VERSION-001 && [ "$(grep -c '^FAIL' "$dir/dying-$how.out")" = 1 ] &&
	   grep -q 'blocked by POLICY-STATE-009: not run, the service died there' "$dir/dying-$how.out" &&
	   grep -A2 '^FAIL  POLICY-STATE-009' "$dir/dying-$how.out" | grep -q 'the helper died during this check'; then
		ok "a daemon that dies ($how): POLICY-STATE-009 fails, the rest is skipped, exit 1"
	else
		bad "dying daemon, $how (rc=$rc)"; grep -A4 'STATE-009\|VERSION-001' "$dir/dying-$how.out" | head -20
	fi
	stop_pid "$dpid"
done

# --- rules, user transcripts, selection, errors ------------------------------------
run exp.out --policy "unix:$dir/clean.sock" --no-catalogue --only expect \
	--expect 'sasl_username=test1 sasl_method=PLAIN client_address=127.0.0.1 => DUNNO' \
	--expect 'sasl_username=test1 client_address=198.51.100.7 => REJECT*network' \
	--expect 'state=END-OF-MESSAGE size=60000000 recipient_count=1 => 552 *' \
	--expect 'sasl_username=test1 client_address=198.51.100.7 => OK'
if [ "$rc" = 1 ] && has exp.out PASS POLICY-EXPECT-001 && has exp.out PASS POLICY-EXPECT-002 &&
   has exp.out PASS POLICY-EXPECT-003 && has exp.out FAIL POLICY-EXPECT-004 &&
   grep -q 'expected an action matching OK, got REJECT 5.7.1 not from your network' "$dir/exp.out" &&
   [ "$(grep -c '^PASS\|^FAIL' "$dir/exp.out")" = 4 ]; then
	ok "--expect rules: three hold, a wrong one fails with what came back"
else
	bad "--expect (rc=$rc)"; cat "$dir/exp.out" | head -30
fi
printf '# rules\n\nstate=MAIL sasl_username= sender=x@example.com client_address=203.0.113.9 => REJECT*\n' >"$dir/rules.txt"
run expf.out --policy "unix:$dir/clean.sock" --no-catalogue --only POLICY-EXPECT --expect-file "$dir/rules.txt"
if [ "$rc" = 0 ] && has expf.out PASS POLICY-EXPECT-001; then ok "--expect-file"; else bad "--expect-file (rc=$rc)"; cat "$dir/expf.out"; fi
run expbad.out --policy "unix:$dir/clean.sock" --no-catalogue --only expect --expect 'state=NOPE => OK'
if [ "$rc" = 2 ] && grep -q 'unknown protocol_state NOPE' "$dir/expbad.out"; then
	ok "a broken --expect rule is an error naming the problem"
else
	bad "broken --expect (rc=$rc)"; cat "$dir/expbad.out"
fi
cat > "$dir/mine.tr" <<'EOF'
# my own: test1 may not relay from 198.51.100.7
protocol policy
policy state=RCPT sasl_method=PLAIN sasl_username=test1 client_address=198.51.100.7
expect action REJECT*
EOF
run user.out --policy "unix:$dir/clean.sock" --no-catalogue "$dir/mine.tr"
if [ "$rc" = 0 ] && has user.out PASS USER-mine.tr; then ok "a user transcript runs as check USER-mine.tr"; else bad "user transcript (rc=$rc)"; tail -5 "$dir/user.out"; fi
sed 's/REJECT\*/OK/' "$dir/mine.tr" >"$dir/mine2.tr"
run user2.out --policy "unix:$dir/clean.sock" --no-catalogue "$dir/mine2.tr"
if [ "$rc" = 1 ] && has user2.out FAIL USER-mine2.tr && grep -q 'mine2.tr:4' "$dir/user2.out"; then
	ok "a failing user transcript names file:line"
else
	bad "failing user transcript (rc=$rc)"; cat "$dir/user2.out" | head -20
fi
mkdir -p "$dir/cat"
printf '# id: POLICY-X-001\n# severity: fatal\nprotocol policy\n' >"$dir/cat/x.tr"
run catbad.out --policy "unix:$dir/clean.sock" --catalogue "$dir/cat"
if [ "$rc" = 2 ] && grep -q 'x.tr:2: severity' "$dir/catbad.out"; then
	ok "a bad metadata header stops the run with file:line"
else
	bad "bad metadata (rc=$rc)"; cat "$dir/catbad.out"
fi
run only.out --policy "unix:$dir/clean.sock" --only state,POLICY-VERSION-00 --skip POLICY-STATE-009
if [ "$rc" = 0 ] && [ "$(grep -c '^PASS' "$dir/only.out")" = 17 ] && ! grep -q 'POLICY-STATE-009\|POLICY-VERSION-010' "$dir/only.out"; then
	ok "--only by tag and id prefix, --skip by id (17 checks)"
else
	bad "--only/--skip (rc=$rc, $(grep -c '^PASS' "$dir/only.out") checks)"
fi
run list.out --policy --list
if [ "$rc" = 0 ] && grep -q '^POLICY-ATTR-001 ' "$dir/list.out" && grep -q '^POLICY-INJ-003 ' "$dir/list.out"; then
	ok "--list shows built-in and data checks"
else
	bad "--list (rc=$rc)"
fi
run badopt.out --policy "unix:$dir/clean.sock" --time-scale 0
if [ "$rc" = 2 ]; then ok "--time-scale 0 is a usage error"; else bad "--time-scale 0 (rc=$rc)"; fi
run unreach.out --policy "unix:$dir/nothing.sock"
if [ "$rc" = 2 ] && grep -q 'nothing.sock' "$dir/unreach.out"; then ok "unreachable target: exit 2"; else bad "unreachable target (rc=$rc)"; fi

# an action whose outcome the oracle does not predict (a restriction that looks up
# DNS) is never a pass: the checks that judge the outcome are not exercised
unpred="spawn:$py $top/corpus/helpers/bad_helper.py policy-action reject_rbl_client zen.example.invalid"
"$fs" check --policy "$unpred" --fast --only POLICY-STATE-005,POLICY-VERSION-006,POLICY-INJ-002 \
	> "$dir/unpred.out" 2>&1; rc=$?
if [ "$rc" = 0 ] && ! grep -q '^PASS' "$dir/unpred.out" &&
	[ "$(grep -c '^SKIP  POLICY-\(STATE-005\|VERSION-006\|INJ-002\) ' "$dir/unpred.out")" = 3 ] &&
	[ "$(grep -c 'unpredicted is not a pass' "$dir/unpred.out")" = 3 ]; then
	ok "an unpredicted outcome (reject_rbl_client): 3 checks not exercised, none passed, exit 0"
else
	bad "unpredicted outcome (rc=$rc)"; cat "$dir/unpred.out"
fi

stop_pid "$clean_pid"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
