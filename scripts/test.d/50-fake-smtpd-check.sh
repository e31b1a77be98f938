#!/bin/bash
# 50-fake-smtpd-check - fake-smtpd check --auth against ref-authd (healthy and
# with each fault switched on), against seed-style spawn helpers, and with bad
# input of every kind. Usage: 50-fake-smtpd-check.sh BUILD_DIR
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
fs="$build/bin/fake-smtpd"
ad="$build/bin/ref-authd"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
dir=$(mktemp -d /tmp/fs-check.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
printf 'alice:{PLAIN}secret\n' > "$dir/users"

start_authd() {
	"$ad" -p "$dir/users" -d 0 "$@" "unix:$dir/a.sock" 2>> "$dir/authd.log" &
	pid=$!
	for _ in $(seq 50); do [ -S "$dir/a.sock" ] && return 0; sleep 0.05; done
	return 1
}
stop_authd() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""; }
check() { timeout 120 "$fs" check --auth "$1" --user alice --password secret --time-scale 0.05 --no-catalogue "${@:2}"; }

# healthy reference: everything passes, exit 0
start_authd
out=$(check "unix:$dir/a.sock"); rc=$?
echo "$out" | grep -q '^40 passed, 0 failed$' && [ $rc = 0 ] && ok "ref-authd: all checks pass" ||
	{ bad "ref-authd: rc $rc"; echo "$out"; }
out=$(check "unix:$dir/a.sock" --format tap); rc=$?
echo "$out" | grep -q '^1\.\.40$' && echo "$out" | grep -c '^ok ' | grep -qx 40 && ok "TAP output" || bad "TAP output"

# bench: every reply verified; a healthy server gives no errors
out=$(timeout 60 "$fs" bench --auth "unix:$dir/a.sock" --user alice --password secret -c 4 -d 1 \
	--warmup 0.2 --wrong 50 --format json); rc=$?
echo "$out" | grep -q '"errors":{"wrong_id":0,"malformed":0,"verdict":0,"disconnect":0,"timeout":0}' &&
	echo "$out" | grep -q '"fail":[1-9]' && [ $rc = 0 ] && ok "bench: replies verified, no errors" ||
	bad "bench on a healthy server (rc $rc): $out"
stop_authd

# bench --users N: every user of the cycle is asked for (u5 missing from the
# second passwd-file: its requests must come back FAIL, counted as wrong verdicts)
printf 'u%d:{PLAIN}secret\n' 0 1 2 3 4 5 > "$dir/users6"
head -5 "$dir/users6" > "$dir/users5"
for n in 6 5; do
	start_authd -p "$dir/users$n"
	out=$(timeout 60 "$fs" bench --auth "unix:$dir/a.sock" --user 'u%u' --users 6 --password secret \
		-c 2 -n 600 --warmup 0 --format json); rc=$?
	if [ $n = 6 ]; then
		echo "$out" | grep -q '"errors":{"wrong_id":0,"malformed":0,"verdict":0,"disconnect":0,"timeout":0}' &&
			[ $rc = 0 ] && ok "bench --users 6: all six users authenticate" ||
			bad "bench --users 6 (rc $rc): $out"
	else
		echo "$out" | grep -q '"verdict":[1-9]' && [ $rc = 1 ] &&
			ok "bench --users 6: the missing u5 is asked for and fails" ||
			bad "bench --users 6 without u5 (rc $rc): $out"
	fi
	stop_authd
done

# bench counts a server that answers with the wrong ids
start_authd --fault wrong-id
out=$(timeout 60 "$fs" bench --auth "unix:$dir/a.sock" --user alice --password secret -c 2 -d 1 \
	--warmup 0); rc=$?
echo "$out" | grep -q 'wrong id [1-9]' && [ $rc = 1 ] && ok "bench: wrong ids counted as errors" ||
	bad "bench with wrong ids (rc $rc): $out"
stop_authd

# failed - the run exited 1 and every id of the comma-separated list failed
failed() {
	local id
	[ "$rc" = 1 ] || return 1
	for id in ${1//,/ }; do echo "$out" | grep -q "^FAIL  $id " || return 1; done
}

# every protocol fault of ref-authd is caught by the checks named for it (a third
# word limits the run to those checks where every reply would wait for the timeout)
for row in "spid-before-mech AUTH-HANDSHAKE-002" "crlf AUTH-HANDSHAKE-003" "no-done AUTH-HANDSHAKE-001" \
	"version-major-2 AUTH-HANDSHAKE-001,AUTH-HANDSHAKE-007" \
	"bare-version AUTH-HANDSHAKE-001,AUTH-HANDSHAKE-007" \
	"ok-without-user AUTH-MECH-001,AUTH-REP-003" \
	"wrong-id AUTH-MECH-001,AUTH-REP-012 AUTH-MECH,AUTH-REP" \
	"cont-extra-fields AUTH-MECH-001,AUTH-REP-009" \
	"garbage-line AUTH-REQ-004" "delay=800 AUTH-LAT-001 AUTH-MECH,AUTH-LAT-001" "fail-temp AUTH-REP-001" \
	"unescaped-tab-user AUTH-REP-002" "close-after=12 AUTH-MECH-001" "ok-nologin AUTH-REP-005" \
	"cont-no-data AUTH-MECH-001,AUTH-MECH-003,AUTH-REP-010" "leaky-reason AUTH-REP-008" \
	"final-resp-always AUTH-REP-006"; do
	set -- $row
	start_authd --fault "$1"
	out=$(check "unix:$dir/a.sock" ${3:+--only "$3"}); rc=$?
	if failed "$2"; then ok "fault $1 caught by $2"; else
		bad "fault $1 not caught by $2 (rc $rc)"; echo "$out" | grep -E '^(FAIL|PASS)'; fi
	stop_authd
done

# ref-authd set up the way real sites go wrong
printf 'alice:{PLAIN}secret::::::nologin\n' > "$dir/users-nologin"
for row in "--max-pending=100 AUTH-REQ-007 -" "--penalty AUTH-LAT-002 AUTH-LAT" \
	"-p=$dir/users-nologin AUTH-REP-005 -"; do
	set -- $row
	start_authd ${1/=/ }
	if [ "$3" = - ]; then out=$(check "unix:$dir/a.sock"); else out=$(check "unix:$dir/a.sock" --only "$3"); fi
	rc=$?
	if failed "$2"; then ok "ref-authd $1 caught by $2"; else
		bad "ref-authd $1 not caught by $2 (rc $rc)"; echo "$out" | grep -E '^(FAIL|PASS)'; fi
	stop_authd
done

# a helper with one quirk at a time (corpus/helpers/quirky_auth_helper.py): the
# check named for the quirk fails; without a quirk every check passes
quirky() {
	local m=$1
	shift
	check "spawn:/usr/bin/python3 $top/corpus/helpers/quirky_auth_helper.py${m:+ --mode $m}" \
		--user test1 --password pass1 "$@"
}
out=$(quirky ""); rc=$?
echo "$out" | grep -q '^40 passed, 0 failed$' && [ $rc = 0 ] && ok "quirky helper without quirks: all pass" ||
	{ bad "quirky helper without quirks (rc $rc)"; echo "$out" | grep '^FAIL'; }
# (the third word: the checks run, those whose exchanges show the quirk)
for row in "slow-handshake AUTH-HANDSHAKE-006 AUTH-HANDSHAKE" \
	"version-text AUTH-HANDSHAKE-007 AUTH-HANDSHAKE" "mech-no-flags AUTH-HANDSHAKE-008 AUTH-HANDSHAKE" \
	"mech-dups AUTH-HANDSHAKE-009 AUTH-HANDSHAKE" "one-write AUTH-HANDSHAKE-010 AUTH-HANDSHAKE" \
	"cpid-crash AUTH-HANDSHAKE-011 AUTH-HANDSHAKE" \
	"close-on-cont AUTH-REQ-006,AUTH-REQ-008 AUTH-REQ" "idle-close AUTH-REQ-009 AUTH-REQ-009" \
	"ok-empty-user AUTH-REP-004 AUTH-MECH-001,AUTH-REP" "ok-nologin AUTH-REP-005 AUTH-MECH-001,AUTH-REP" \
	"ok-resp AUTH-REP-006 AUTH-MECH-001,AUTH-REP" "reason-odd AUTH-REP-007 AUTH-REP" \
	"reason-long AUTH-REP-007 AUTH-REP" "leaky AUTH-REP-008 AUTH-REP" \
	"cont-extra AUTH-REP-009 AUTH-REQ-008,AUTH-REP" "cont-no-data AUTH-REP-010 AUTH-REQ-008,AUTH-REP" \
	"id-hex AUTH-REP-011 AUTH-REP" "unknown-words AUTH-REP-012 AUTH-REP" \
	"crlf-replies AUTH-REP-013 AUTH-REP"; do
	set -- $row
	out=$(quirky "$1" --only "$3"); rc=$?
	if failed "$2"; then ok "quirk $1 caught by $2"; else
		bad "quirk $1 not caught by $2 (rc $rc)"; echo "$out" | grep -E '^(FAIL|PASS)'; fi
done

# real Dovecot 2.3 (a private auth instance, as suites 32 and 51 start it): every
# C-coded check passes against it. anvil's penalty socket is closed (mode 0): with
# Dovecot's penalty the failures of AUTH-MECH-002 from 127.0.0.1 would delay the
# checks after it; its failure queue alone answers in about 0.5 s, hence 2 s reads.
if command -v dovecot > /dev/null; then
	dv="$dir/dv"
	mkdir -p "$dv" && chmod 755 "$dir" "$dv"
	printf 'alice:{PLAIN}secret:1000:1000::%s::\n' "$dv" > "$dv/passwd"
	chmod 644 "$dv/passwd"
	if dvpid=$("$top/scripts/dovecot-auth" start "$dv" "$dv/passwd" fscheck-$$); then
		out=$(check "unix:$dv/run/auth-client" --time-scale 0.2); rc=$?
		[ $rc = 0 ] && echo "$out" | grep -q '^40 passed, 0 failed$' &&
			ok "Dovecot $(dovecot --version | cut -d' ' -f1): all 40 checks pass" ||
			{ bad "Dovecot (rc $rc)"; echo "$out" | grep -A4 '^FAIL'; }
		"$top/scripts/dovecot-auth" stop "$dv" "$dvpid"
	else
		bad "Dovecot did not start"
	fi
else
	echo "# dovecot not installed (scripts/install-deps): not compared with Dovecot"
fi

# the oracle's EHLO line for duplicate, empty and blank-holding MECH names
out=$(quirky mech-dups --only AUTH-HANDSHAKE-009); rc=$?
echo "$out" | grep -qF 'Postfix would advertise: 250-AUTH PLAIN PLAIN  X Y' &&
	ok "mech-dups: the EHLO line Postfix would send is shown" ||
	{ bad "mech-dups: no EHLO line"; echo "$out"; }

# a helper gone right after DONE: the request probes name Postfix's 454, whether
# the AUTH write fails or the read sees EOF
out=$(quirky exit-after-done --only AUTH-REQ-007,AUTH-REQ-008 -v); rc=$?
if failed AUTH-REQ-007,AUTH-REQ-008 &&
	[ "$(echo "$out" | grep -c '454 4\.7\.0 Temporary authentication failure: Connection lost')" -ge 2 ]; then
	ok "helper gone after DONE: AUTH-REQ-007/008 fail with Postfix's 454"
else
	bad "helper gone after DONE (rc $rc)"; echo "$out" | grep -E '^(FAIL|PASS)' -A2
fi

# a line after DONE: in the same read Postfix drops it (its stream discards
# unread input when it writes), in a later read it is the next reply; the
# verdict says which
for m in same later; do
	out=$(check "spawn:/usr/bin/python3 $top/corpus/helpers/bad_helper.py stale-$m-read" \
		--user test1 --password pass1 --only AUTH-HANDSHAKE-005); rc=$?
	case $m in
	same) want='in the same read as DONE: Postfix drops it unread' ;;
	later) want='in a read of its own: Postfix will read it as the reply' ;;
	esac
	failed AUTH-HANDSHAKE-005 && echo "$out" | grep -q "$want" &&
		ok "a stale line in the $m read after DONE: AUTH-HANDSHAKE-005 says what Postfix does" ||
		{ bad "stale line, $m read (rc $rc)"; echo "$out" | grep -A3 'AUTH-HANDSHAKE-005'; }
done

# a seed-style helper under spawn: works for PLAIN, but blocks on an
# abandoned request (a real bug such helpers have) - the check must say so
out=$(check "spawn:$top/corpus/helpers/seed_auth_helper.py" --user test1 --password pass1); rc=$?
echo "$out" | grep -q '^PASS  AUTH-MECH-001' && ok "seed helper: PLAIN works" || bad "seed helper: PLAIN"
echo "$out" | grep -q '^FAIL  AUTH-REQ-003' && [ $rc = 1 ] && ok "seed helper: abandoned-request bug found" ||
	bad "seed helper: abandoned-request bug not found (rc $rc)"

# a helper that crashes: reported with its signal, the run goes on
out=$(check "spawn:$top/corpus/helpers/seed_auth_helper.py --crash-on-auth" --stderr-apart); rc=$?
echo "$out" | grep -q 'killed by signal 11' && [ $rc = 1 ] && ok "crash reported with its signal" ||
	{ bad "crash not reported (rc $rc)"; echo "$out" | tail -5; }
echo "$out" | grep -q '^[0-9]* passed, [0-9]* failed' && ok "run went on after the crash" || bad "run stopped"

# bad input to fake-smtpd itself
"$fs" check > /dev/null 2>&1; [ $? = 2 ] && ok "no target: exit 2" || bad "no target"
"$fs" frobnicate > /dev/null 2>&1; [ $? = 2 ] && ok "unknown command: exit 2" || bad "unknown command"
msg=$("$fs" check --auth tcp:1.2.3.4:5 2>&1); [ $? = 2 ] && echo "$msg" | grep -q 'expected unix:/path' &&
	ok "bad target syntax: exit 2 with reason" || bad "bad target syntax: $msg"
msg=$("$fs" check --auth "unix:$dir/none.sock" 2>&1); [ $? = 2 ] && echo "$msg" | grep -q 'No such file' &&
	ok "unreachable target: exit 2 with reason" || bad "unreachable target: $msg"
msg=$("$fs" check --auth "spawn:$dir/no-such-helper" 2>&1); [ $? = 2 ] && echo "$msg" | grep -q 'exec' &&
	ok "helper that cannot start: exit 2 with reason" || bad "helper that cannot start: $msg"
msg=$("$fs" check --auth "unix:$dir/a.sock" --time-scale x 2>&1); [ $? = 2 ] && ok "bad option value: exit 2" ||
	bad "bad option value"

# garbage and a 1 MiB line from the peer: a clear failure in bounded time
printf '#!/bin/sh\nhead -c 1048576 /dev/zero | tr "\\\\0" x\nsleep 5\n' > "$dir/huge.sh"
printf '#!/bin/sh\nprintf "\\001\\002\\377garbage\\n\\n\\tDONE\\n"\nsleep 5\n' > "$dir/garbage.sh"
chmod +x "$dir/huge.sh" "$dir/garbage.sh"
start=$(date +%s)
out=$(check "spawn:$dir/huge.sh"); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'longer than 65536' && ok "1 MiB line: reported, exit 1" ||
	{ bad "1 MiB line (rc $rc)"; echo "$out" | head; }
out=$(check "spawn:$dir/garbage.sh"); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q '^FAIL  AUTH-HANDSHAKE-001' && ok "garbage handshake: reported, exit 1" ||
	bad "garbage handshake (rc $rc)"
[ $(( $(date +%s) - start )) -lt 30 ] && ok "bounded time" || bad "took too long"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
