#!/bin/bash
# 56-auth-policy-commands - the one-line commands. `fake-smtpd auth` against
# ref-authd (UNIX socket and spawn): every mechanism accepted with the right
# password (exit 0, Postfix's 235), refused with a wrong one or an unknown
# user (exit 1, 535), -v shows the exchange Postfix would have, and exit 2
# for a mechanism the helper does not offer (with the 535 Postfix gives), a
# reply later than the timeout (454), a handshake Postfix refuses, a helper that says
# nothing, an unreachable target and bad arguments. `fake-smtpd policy`
# against ref-policyd with the sample rules and database: the default
# request (DUNNO), a REJECT with Postfix's reply naming the recipient given,
# a state with its defaults, -NAME leaving an attribute out, a DEFER_IF_PERMIT
# with its pending reply, a service that gives no usable answer (two tries,
# the default action, exit 1) and exit 2 for an unreachable service or bad
# arguments.
# Usage: 56-auth-policy-commands.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init one-line "${1:-}"
fs="$build/bin/fake-smtpd"
ad="$build/bin/ref-authd"
pd="$build/bin/ref-policyd"
need "$fs" "$ad" "$pd"

# start NAME PROGRAM ARGS...: a server on unix:$dir/NAME.sock, stopped at exit
start() {
	local name=$1; shift
	bg "$@" "unix:$dir/$name.sock" 2>>"$dir/$name.log"
	wait_socket "$dir/$name.sock" || bad "$name did not start: $(cat "$dir/$name.log")"
}
# run ARGS...: fake-smtpd ARGS; stdout and stderr in $out, exit status in $rc
run() {
	out=$("$fs" "$@" 2>&1)
	rc=$?
}
# want RC TEXT NAME: the last run exited RC and printed TEXT (a fixed string)
want() {
	if [ "$rc" = "$1" ] && grep -qF -- "$2" <<< "$out"; then
		ok "$3"
	else
		bad "$3: exit $rc (want $1), output: $out"
	fi
}

{
	echo "alice:{PLAIN}secret"
	echo "bob:{SHA512-CRYPT}$(/usr/bin/python3 -c 'import crypt; print(crypt.crypt("hunter2", crypt.mksalt(crypt.METHOD_SHA512)))' 2>/dev/null)"
} > "$dir/users"
start auth "$ad" --passwd-file "$dir/users" --failure-delay 0
start plain "$ad" --passwd-file "$dir/users" --failure-delay 0 --mechanisms plain
start slow "$ad" --passwd-file "$dir/users" --failure-delay 0 --fault delay=3s
start spid "$ad" --passwd-file "$dir/users" --failure-delay 0 --fault spid-before-mech
A="unix:$dir/auth.sock"

# --- auth ------------------------------------------------------------------------
for m in PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 login; do
	run auth "$A" alice secret --mech "$m"
	want 0 "accepted: $m as alice: Postfix answers 235 2.7.0 Authentication successful" \
		"auth --mech $m with the right password: exit 0, 235"
done
run auth "$A" bob hunter2
want 0 "Postfix answers 235" "auth: a {SHA512-CRYPT} password is accepted"
run auth "$A" alice wrong
want 1 "refused: PLAIN as alice: Postfix answers 535 5.7.8 Error: authentication failed" \
	"auth with a wrong password: exit 1, 535"
run auth "$A" nobody secret --mech SCRAM-SHA-256
want 1 "refused: SCRAM-SHA-256 as nobody: Postfix answers 535" "auth as an unknown user: exit 1"
run auth -v "$A" alice secret --mech LOGIN
want 0 "  C: AUTH\\t1\\tLOGIN\\tservice=smtp\\tnologin\\tlip=127.0.0.1\\trip=127.0.0.1" \
	"auth -v shows Postfix's AUTH line"
for l in "  C: VERSION\\t1\\t0" "  S: DONE" "  S: CONT\\t1\\tVXNlcm5hbWU6" "  C: CONT\\t1\\tYWxpY2U=" \
	 "  S: OK\\t1\\tuser=alice"; do
	grep -qF -- "$l" <<< "$out" && ok "auth -v shows [$l]" || bad "auth -v lacks [$l]: $out"
done
run auth "$A" alice secret
grep -q '  C: ' <<< "$out" && bad "auth without -v shows the exchange" || ok "auth without -v: one line"
run auth "spawn:$ad --passwd-file $dir/users --failure-delay 0 spawn" alice secret --mech CRAM-MD5
want 0 "Postfix answers 235" "auth against a spawned ref-authd"
run auth "unix:$dir/plain.sock" alice secret --mech LOGIN
want 2 "535 5.7.8 Error: authentication failed: Invalid authentication mechanism" \
	"auth with a mechanism the helper does not offer: exit 2 with Postfix's 535"
run auth --fast "unix:$dir/slow.sock" alice secret
want 2 "error: PLAIN as alice: Postfix answers 454 4.7.0" "auth: no reply within the (scaled) timeout is 454, exit 2"
run auth "unix:$dir/spid.sock" alice secret
want 2 "Postfix refuses the handshake" "auth: a handshake Postfix refuses: exit 2"
run auth --fast "spawn:/bin/cat" alice secret
want 2 "the handshake ended before DONE" "auth: a helper that never finishes the handshake: exit 2"
run auth "unix:$dir/none.sock" alice secret
want 2 "none.sock" "auth: an unreachable target: exit 2 naming it"
run auth "$A" alice
want 2 "auth needs TARGET USER PASSWORD" "auth with two arguments: exit 2"
run auth "$A" alice secret --mech ANONYMOUS
want 2 "--mech: want PLAIN, LOGIN" "auth --mech ANONYMOUS: exit 2"
run auth --help
want 0 "Exit status: 0 accepted, 1 refused" "auth --help"

# --- policy ----------------------------------------------------------------------
"$pd" --create-sample-db "$dir/sample.db" >/dev/null 2>&1
rules="$top/reference/policyd/sample.rules"
start pol "$pd" --rules "$rules" --db "$dir/sample.db"
start noact "$pd" --fault no-action
P="unix:$dir/pol.sock"

run policy "$P"
want 0 "action: DUNNO" "policy: the default RCPT request gets DUNNO, exit 0"
grep -qF "postfix: dunno - the next restriction in the list decides" <<< "$out" &&
	ok "policy: DUNNO explained" || bad "policy: DUNNO not explained: $out"
run policy "$P" sasl_username=test1 client_address=10.9.9.9 recipient=bob@example.org
want 0 "action: REJECT 5.7.1 not from your network" "policy: the sample rule rejects test1 from 10.9.9.9"
grep -qxF "postfix: 554 5.7.1 <bob@example.org>: Recipient address rejected: not from your network" <<< "$out" &&
	ok "policy: Postfix's 554 names the recipient given" || bad "policy: Postfix's reply: $out"
run policy "$P" sasl_username=test1 client_address=192.0.2.44
want 0 "action: DUNNO" "policy: test1 from its own network gets DUNNO"
run policy "$P" state=DATA recipient_count=150
want 0 "action: DEFER_IF_PERMIT 4.5.3 too many recipients at once" "policy state=DATA: the DATA rule fires"
grep -qF "postfix: later, if the message would be accepted: 450 4.5.3" <<< "$out" &&
	ok "policy: DEFER_IF_PERMIT's pending reply shown" || bad "policy: pending reply: $out"
run policy -v "$P" state=MAIL -sender sasl_username=test1
want 0 "  C: protocol_state=MAIL" "policy -v shows the request with protocol_state=MAIL"
grep -q '  C: sender=' <<< "$out" && bad "policy -sender still sent sender=" || ok "policy -sender leaves sender out"
grep -qF "  S: action=" <<< "$out" && ok "policy -v shows the reply" || bad "policy -v: no reply shown: $out"
run policy -v --time-scale 0.05 "unix:$dir/noact.sock"
want 1 'no usable answer' "policy: a reply without action: exit 1"
grep -qF "postfix: 451 4.3.5 <rcpt@example.com>: Recipient address rejected: Server configuration problem" \
	<<< "$out" && ok "policy: Postfix applies the default action" || bad "policy default action: $out"
[ "$(grep -c '  > try . of 2 failed' <<< "$out")" = 2 ] && ok "policy: two tries, as Postfix" ||
	bad "policy: tries: $out"
run policy "unix:$dir/none.sock"
want 2 "none.sock" "policy: an unreachable service: exit 2"
run policy "$P" sender
want 2 "want NAME=VALUE or -NAME" "policy: a bare word is refused, exit 2"
run policy "$P" state=LUNCH
want 2 "not a protocol_state: LUNCH" "policy: an unknown state, exit 2"
run policy "$P" -v
want 2 "options go before TARGET" "policy: an option after TARGET is refused, exit 2"

# a last reply without LF, then EOF: Postfix reads it as a line (235 / 535, not 454)
bh="spawn:/usr/bin/python3 $top/corpus/helpers/bad_helper.py"
run auth --postfix-version 3.7.11 "$bh eof-ok" test1 pw
want 0 "Postfix answers 235 2.7.0 Authentication successful" "auth: OK without LF before EOF is 235"
run auth --postfix-version 3.7.11 "$bh eof-fail" test1 pw
want 1 "535 5.7.8 Error: authentication failed: nope" "auth: FAIL without LF before EOF is 535"
# a stale FAIL in the same read as DONE is dropped when the AUTH is written
run auth -v --postfix-version 3.7.11 "$bh stale-same-read" test1 pw
want 0 "Postfix drops 20 unread bytes" "auth: a stale FAIL in the DONE read is dropped, the reply is 235"

suite_end
