#!/bin/bash
# 54-verdicts - verdicts on helpers written the way people really write
# them (corpus/helpers/): for each class of mistake the verdict, the exit
# status, and exactly one failure per root cause, in every target mode the
# class shows in (spawn:, unix:, inet:).
#
#   deaths     a C policy daemon that overruns a buffer on a long sender and
#              crashes on the next request; a Python auth daemon that aborts
#              on a lower-case mechanism: the check whose request met the
#              death fails with it (and the request before it), a daemon
#              gone leaves the rest "not run", a spawned helper that dies
#              again is blocked by its first death, exit 1
#   late end   a Python policy script that closes its connection and aborts
#              0.5 s later; a caller that ignores SIGCHLD: the same verdict as
#              a prompt crash
#   one cause  a Perl auth daemon that refuses AUTH PLAIN without an initial
#              response: one failure, the checks that need it blocked by it
#   unseen     a Python auth helper that never escapes user names and sends
#              none in FAIL: the escaping checks are not exercised, not passed
#   account    a wrong --password: stopped after one login, exit 2
#   selection  --only/--skip that name no check: exit 2; run from / the
#              catalogue is still found; --list --needs lists every check,
#              and docs/conformance.md holds its current table
#   spawn env  a Python service that never flushes: one verdict whatever the
#              caller's environment; the environment and user spawn(8) gives
#   endless    yes(1) and a Python helper logging to the connection without end:
#              every run ends by itself, --max-time too while bytes come
#   slow       a service 2.5 s per answer: --max-time ends the run, exit 1;
#              a progress line on a terminal
#   outcomes   a daemon whose texts carry a counter: no failure; with --flip
#              (every other answer deferred) one failure calling it
#              nondeterministic
#   lint       a Perl service answering unknown users "554" (all digits: OK to
#              Postfix) while the first reply is DUNNO: one failure, found on
#              the reject path
#   inputs     a Python daemon decoding each 1,024-byte read as UTF-8, a Perl
#              one dying on a UTF-8 SASL user: one failure each
#   injection  a Perl service dying on a quote in the sender: the injection
#              check fails with the death, not only for wider access
#   late death a Perl policy script that dies of SIGPIPE writing to stderr
#              after the client closed: notes, no failure, exit 0
#
# Timeouts are Postfix's times 0.2 (2 s for auth): interpreted helpers
# spawned per connection start slowly on a loaded machine.
# Usage: 54-verdicts.sh BUILD_DIR      Last line: "N passed, N failed".
set -u
# shellcheck source=scripts/test.d/suite.bash
. "$(dirname "$0")/suite.bash"
suite_init 54-verdicts "${1:-}"
fs="$build/bin/fake-smtpd"
helpers="$top/corpus/helpers"
py=/usr/bin/python3
need "$fs"

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run OUT ARGS...: fake-smtpd check, output in $dir/OUT, exit status in $rc
run() {
	local out=$1
	shift
	timeout 300 "$fs" check "$@" > "$dir/$out" 2>&1
	rc=$?
}
# nfail OUT: the number of failed checks
nfail() { grep -c '^FAIL ' "$dir/$1"; }
# verdict OUT WANT_RC ID TEXT: exit WANT_RC, exactly one failure, ID's, saying TEXT
verdict() {
	[ "$rc" = "$2" ] && [ "$(nfail "$1")" = 1 ] && grep -q "^FAIL  $3 " "$dir/$1" &&
		grep -A3 "^FAIL  $3 " "$dir/$1" | grep -qF "$4"
}
# block OUT ID: the report of check ID
block() { awk -v id="$2" '$1 ~ /^[A-Z]+$/ && p { exit } $2 == id { p = 1 } p' "$dir/$1"; }
show() { grep -E '^(FAIL|ERROR|[0-9]+ passed)' -A3 "$dir/$1" | cut -c1-240 | head -40; }

# target MODE NAME ARGV...: $t, the TARGET of a helper in MODE; a daemon
# is started on a socket of its own (its PID joins those stopped at exit)
target() {
	local mode=$1 name=$2
	shift 2
	case $mode in
	spawn) t="spawn:$* -"; return ;;
	unix) t="unix:$dir/$name.sock" ;;
	inet) t="inet:127.0.0.1:$(free_port)" ;;
	esac
	bg "$@" "$t" > "$dir/$name.log" 2>&1
	if [ "$mode" = unix ]; then wait_socket "$dir/$name.sock"; else sleep 0.5; fi
}

cc -O2 -o "$dir/overrun_policyd" "$helpers/overrun_policyd.c" || bad "overrun_policyd.c does not build"

# --- 1: a death is a finding of the exchange that caused it -----------------------
for mode in spawn unix inet; do
	target $mode overrun "$dir/overrun_policyd"
	run "overrun-$mode" --policy "$t" --time-scale 0.2
	if verdict "overrun-$mode" 1 POLICY-INPUT-002 "the helper died during this check" &&
	   block "overrun-$mode" POLICY-INPUT-002 | grep -A40 'request before it' | grep -q 'C: sender=abcdefghij'; then
		ok "overrun policy daemon ($mode): POLICY-INPUT-002 fails with the death and the long sender before it, exit 1"
	else
		bad "overrun policy daemon ($mode): rc $rc, $(nfail "overrun-$mode") failure(s)"; show "overrun-$mode"
	fi
	if [ $mode != spawn ]; then
		if grep -q '^BLOCKED  POLICY-ATTR-001 ' "$dir/overrun-$mode" &&
		   grep -q 'blocked by POLICY-INPUT-002: not run, the service died there' "$dir/overrun-$mode" &&
		   ! grep -q '^ERROR' "$dir/overrun-$mode"; then
			ok "overrun policy daemon ($mode): the checks after the death are blocked by it, no error"
		else
			bad "overrun policy daemon ($mode): the rest of the run"; show "overrun-$mode"
		fi
	fi
done

# a death seen late: a helper that closes its connection and ends 0.5 s later (on a
# loaded machine any end may be reaped that late), and a caller that ignores SIGCHLD
# (the kernel would reap the helper unseen): the verdict of a prompt crash, one failure,
# the data check that meets the same death blocked by it, no note of an "end after close"
run slowexit --policy "spawn:$helpers/slowexit_policy.py" --time-scale 0.2
if verdict slowexit 1 POLICY-INPUT-004 "killed by signal 6 (Aborted)" &&
   grep -q '^BLOCKED  POLICY-ATTR-003 ' "$dir/slowexit" &&
   grep -A1 '^BLOCKED  POLICY-ATTR-003 ' "$dir/slowexit" | grep -q 'blocked by POLICY-INPUT-004: the helper died again' &&
   ! grep -q 'after fake-smtpd closed the connection' "$dir/slowexit"; then
	ok "a crash reaped 0.5 s after the connection closed: POLICY-INPUT-004 fails with it, the data check blocked, exit 1"
else
	bad "slow exit: rc $rc, $(nfail slowexit) failure(s)"; show slowexit
fi
$py -c 'import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])' \
	"$fs" check --policy "spawn:$dir/overrun_policyd -" --time-scale 0.2 > "$dir/sigchld" 2>&1
rc=$?
verdict sigchld 1 POLICY-INPUT-002 "killed by signal 11" &&
	ok "overrun policy daemon (spawn), SIGCHLD ignored by the caller: the same verdict" ||
	{ bad "SIGCHLD ignored: rc $rc, $(nfail sigchld) failure(s)"; show sigchld; }

for mode in spawn unix inet; do
	target $mode casepanic $py "$helpers/casepanic_authd.py"
	run "casepanic-$mode" --auth "$t" --user test1 --password pass1 --time-scale 0.2
	if verdict "casepanic-$mode" 1 AUTH-REQ-001 "the helper died during this check" &&
	   ! grep -q 'could not open a connection' "$dir/casepanic-$mode"; then
		ok "auth daemon that aborts on a lower-case mechanism ($mode): AUTH-REQ-001 fails with the death, exit 1"
	else
		bad "lower-case abort ($mode): rc $rc, $(nfail "casepanic-$mode") failure(s)"; show "casepanic-$mode"
	fi
	case $mode in
	spawn) grep -q 'killed by signal 6' "$dir/casepanic-$mode" &&
		ok "lower-case abort (spawn): the signal is named, the run goes on with new processes" ||
		bad "lower-case abort (spawn): no signal" ;;
	*) grep -q '^BLOCKED  AUTH-REQ-002 ' "$dir/casepanic-$mode" &&
		grep -q 'blocked by AUTH-REQ-001: not run, the service died there' "$dir/casepanic-$mode" &&
		ok "lower-case abort ($mode): the checks after the death are blocked by it" ||
		{ bad "lower-case abort ($mode): the rest of the run"; show "casepanic-$mode"; } ;;
	esac
done

# --- 3: one root cause, one failure -------------------------------------------------
# a Perl auth daemon that FAILs AUTH PLAIN without an initial response: AUTH-MECH-003
# fails, and the seven checks that need that exchange are blocked by it, with no advice
for mode in spawn unix inet; do
	target $mode respfirst "$helpers/respfirst_authd.pl"
	run "respfirst-$mode" --auth "$t" --user test1 --password pass1 --time-scale 0.2
	if verdict "respfirst-$mode" 1 AUTH-MECH-003 "got 535 5.7.8" &&
	   [ "$(grep -c '^BLOCKED  .*' "$dir/respfirst-$mode")" = 7 ] &&
	   [ "$(grep -c 'blocked by AUTH-MECH-003: needs AUTH PLAIN without an initial response' \
		"$dir/respfirst-$mode")" = 7 ] &&
	   grep -q '^[0-9]* passed, 1 failed, 7 blocked' "$dir/respfirst-$mode" &&
	   ! block "respfirst-$mode" AUTH-CONT-104 | grep -q 'Fix:\|severity'; then
		ok "PLAIN without initial response refused ($mode): 1 failure (AUTH-MECH-003), 7 blocked by it, exit 1"
	else
		bad "respfirst ($mode): rc $rc, $(nfail "respfirst-$mode") failure(s)"; show "respfirst-$mode"
	fi
done

# --- 4: a check passes only when it exercised its property --------------------------
# a helper that never tab-escapes and sends no user= in FAIL: the escaping checks
# cannot see it and must not pass - not exercised, and the run has no failure
run rawname --auth "spawn:$helpers/rawname_auth.py" --user test1 --password pass1 --time-scale 0.2
if [ "$rc" = 0 ] && [ "$(nfail rawname)" = 0 ] &&
   for id in AUTH-REP-002 AUTH-REP-101 AUTH-REP-102; do
	block rawname $id | grep -q "^SKIP  $id .*" && block rawname $id | grep -q 'not exercised:' || exit 1
   done; then
	ok "escaping never seen: AUTH-REP-002, 101, 102 not exercised (not passed), exit 0"
else
	bad "rawname: rc $rc"; grep -A1 'REP-10[12]\|REP-002' "$dir/rawname"
fi

# --- 8: the account is checked before the catalogue -----------------------------------
# a wrong password: one login, the reply shown, "check --user/--password", exit 2, and
# not one check reported (it used to be 30 failures with wrong fixes)
for mode in spawn unix; do
	target $mode account "$helpers/respfirst_authd.pl"
	start=$(date +%s)
	run "account-$mode" --auth "$t" --user test1 --password wrong --time-scale 0.2
	if [ "$rc" = 2 ] && grep -q 'the account does not log in: PLAIN with user test1' "$dir/account-$mode" &&
	   grep -q 'got "FAIL\\t[0-9]*\\tuser=test1"' "$dir/account-$mode" &&
	   grep -q 'check --user/--password' "$dir/account-$mode" &&
	   ! grep -q '^\(PASS\|FAIL\|SKIP\|BLOCKED\) ' "$dir/account-$mode" &&
	   [ $(( $(date +%s) - start )) -lt 10 ]; then
		ok "wrong account ($mode): stopped before the catalogue with the reply, exit 2"
	else
		bad "wrong account ($mode): rc $rc"; head -20 "$dir/account-$mode"
	fi
done

# --- 9: the catalogue wherever the tool runs; a selection of nothing is an error -------
for sel in "--only TYPO" "--skip AUTH-REQ-001,NOPE" "--only AUTH-REQ-001 --skip AUTH-REQ"; do
	# shellcheck disable=SC2086
	run "select" --auth "spawn:$helpers/rawname_auth.py" $sel
	if [ "$rc" = 2 ] && grep -q -- 'names no check\|leave no check to run' "$dir/select" &&
	   ! grep -q '^\(PASS\|FAIL\|SKIP\) ' "$dir/select"; then
		ok "check $sel: nothing sent, exit 2"
	else
		bad "check $sel: rc $rc"; cat "$dir/select"
	fi
done
run "select" --policy "spawn:$helpers/farewell_policy.pl" --only expect
[ "$rc" = 2 ] && grep -q -- '--only expect names no check' "$dir/select" &&
	ok "check --policy --only expect without rules: exit 2" || { bad "--only expect (rc $rc)"; cat "$dir/select"; }
(cd / && "$fs" check --auth "spawn:$helpers/rawname_auth.py" --user test1 --password pass1 \
	--time-scale 0.2 --only AUTH-REQ-10 > "$dir/elsewhere" 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q "catalogue sha256:[0-9a-f]* (25 data checks) in $top/corpus/conformance/auth" \
	"$dir/elsewhere" && [ "$(grep -c '^PASS  AUTH-REQ-10' "$dir/elsewhere")" = 5 ]; then
	ok "run from /: the catalogue of the data directory, its data checks run"
else
	bad "run from / (rc $rc)"; head "$dir/elsewhere"
fi

# the needs table: every check listed once, and docs/conformance.md's copy current
for m in auth policy; do
	ids=$("$fs" check --$m --list | awk '{print $1}')
	nids=$("$fs" check --$m --list --needs | awk -F' [|] ' '{print substr($1, 3)}')
	[ -n "$ids" ] && [ "$ids" = "$nids" ] && ! "$fs" check --$m --list --needs | grep -v -q '^| [A-Z0-9-]* | .* | .* | .* |$' &&
		ok "check --$m --list --needs: a row for each of the $(echo "$ids" | wc -l) checks, in --list order" ||
		bad "check --$m --list --needs: the rows differ from --list"
done
"$top/scripts/conformance-needs" --check "$build" > "$dir/needs" 2>&1 &&
	ok "docs/conformance.md: the needs table is current" || { bad "the needs table"; cat "$dir/needs"; }

# --- 10: spawn: as spawn(8) runs it ------------------------------------------------------
# a Python service that never flushes: the same verdict whatever the caller's
# environment (spawn(8) does not pass PYTHONUNBUFFERED), passing only when it is given
for e in "" "PYTHONUNBUFFERED=1"; do
	(if [ -n "$e" ]; then export "${e?}"; fi
	 run "unflushed" --policy "spawn:$helpers/unflushed_policy.py" --time-scale 0.02; exit $rc)
	rc=$?
	if verdict unflushed 1 POLICY-REPLY-001 "timeout while reading"; then
		ok "unflushed Python service, caller env [${e:-clean}]: POLICY-REPLY-001 fails alone, exit 1"
	else
		bad "unflushed, env [$e]: rc $rc, $(nfail unflushed) failure(s)"; show unflushed
	fi
done
run unflushed --policy "spawn:$helpers/unflushed_policy.py" --time-scale 0.2 --spawn-env PYTHONUNBUFFERED=1
[ "$rc" = 0 ] && [ "$(nfail unflushed)" = 0 ] && ok "--spawn-env PYTHONUNBUFFERED=1: it passes" ||
	{ bad "--spawn-env (rc $rc)"; show unflushed; }
# what the helper gets: its environment and user on the wire (-v shows the lines)
printf '#!/bin/sh\nenv | sort | sed "s/^/ENV\t/"\nprintf "UID\t%%s\\nVERSION\t1\t2\\nMECH\tPLAIN\tplaintext\\nDONE\\n" "$(id -u):$(id -g):$(id -G)"\ncat > /dev/null\n' \
	> "$dir/env.sh"
chmod 755 "$dir/env.sh" "$dir"
user_opt=""
[ "$(id -u)" = 0 ] && user_opt="--spawn-user nobody"
# shellcheck disable=SC2086
env TZ=Europe/Paris PYTHONUNBUFFERED=1 HOME=/root FOO=1 "$fs" check --auth "spawn:$dir/env.sh" --only AUTH-HANDSHAKE-001 \
	--time-scale 0.2 -v --spawn-env FOO --spawn-env BAR=2 $user_opt > "$dir/env" 2>&1
vars=$(sed -n 's/^ *S: ENV\\t\([A-Z_]*\)=.*/\1/p' "$dir/env" | grep -v '^PWD$' | paste -sd' ' -)
if [ "$vars" = "BAR FOO LANG MAIL_CONFIG PATH TZ" ] && grep -q 'S: ENV\\tLANG=C$' "$dir/env" &&
   grep -q 'S: ENV\\tPATH=/usr/bin:/bin$' "$dir/env" && grep -q 'S: ENV\\tTZ=Europe/Paris$' "$dir/env"; then
	ok "spawn: environment as spawn(8)'s: LANG=C MAIL_CONFIG PATH TZ, and what --spawn-env adds"
else
	bad "spawn: environment [$vars]"; grep 'S: ENV' "$dir/env"
fi
if [ -n "$user_opt" ]; then
	nobody="$(id -u nobody):$(id -g nobody):$(id -g nobody)"
	grep -qxF "      S: UID\\t$nobody" "$dir/env" && ok "--spawn-user nobody: uid, gid and no other group" ||
		{ bad "--spawn-user"; grep 'S: UID' "$dir/env"; }
	run spawnroot --auth "spawn:$dir/env.sh" --spawn-user root
	[ "$rc" = 2 ] && grep -q 'refuses to run a command as root' "$dir/spawnroot" &&
		ok "--spawn-user root refused, as spawn(8) does, exit 2" || bad "--spawn-user root (rc $rc)"
fi

# --- 11: a bound on the whole run, and a progress line on a terminal --------------------
# a service that takes 2.5 s per answer (Postfix waits 100 s) would keep a full run
# busy for minutes: --max-time 6s ends it, what is left is not run, exit 1; on a
# terminal (script(1) gives one) each wait over a second is shown
start=$(date +%s)
script -qefc "'$fs' check --policy 'spawn:$helpers/slowlookup_policy.py' --max-time 6s" \
	"$dir/slow.tty" > /dev/null 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
tr '\r' '\n' < "$dir/slow.tty" > "$dir/slow"
if [ "$rc" = 1 ] && [ "$secs" -lt 15 ] && grep -q 'the run reached --max-time 6s before its end' "$dir/slow" &&
   grep -q 'not run: the run reached its --max-time' "$dir/slow" && [ "$(nfail slow)" = 0 ] &&
   grep -q 'POLICY-REPLY-001: waiting for the helper, 2 s (Postfix waits up to 100 s for a reply)' "$dir/slow"; then
	ok "slow service: --max-time 6s ends the run in ${secs} s, the rest not run, exit 1, progress shown on a terminal"
else
	bad "slow service: rc $rc in ${secs} s"; grep -E 'waiting|max-time|passed' "$dir/slow" | head
fi
"$fs" check --policy "spawn:$helpers/slowlookup_policy.py" --max-time 4s --only POLICY-REPLY-001 > "$dir/slow2" 2>&1
rc=$?
[ "$rc" = 0 ] && ! grep -q 'waiting for' "$dir/slow2" && ok "not a terminal: no progress lines; a run within its bound passes" ||
	{ bad "slow service, one check (rc $rc)"; cat "$dir/slow2"; }

# --- a helper that never stops talking: every run ends by itself -------------------------
# yes(1) as the helper (lines without end), and a Python helper whose debug log goes
# to stderr (the connection under spawn(8)) or stdout for ever: at --time-scale 0.1
# each run ends by itself within a minute with its findings (it used to run until
# killed), and --max-time ends one even while bytes keep coming
for h in "auth:/usr/bin/yes" "policy:/usr/bin/yes" "auth:$helpers/chatty_helper.py auth" \
	 "auth:$helpers/chatty_helper.py auth stream" "policy:$helpers/chatty_helper.py policy" \
	 "policy:$helpers/chatty_helper.py policy stream"; do
	acct=()
	[ "${h%%:*}" = auth ] && acct=(--user test1 --password pass1)
	start=$(date +%s)
	run chatty --"${h%%:*}" "spawn:${h#*:}" "${acct[@]}" --time-scale 0.1
	secs=$(( $(date +%s) - start ))
	if [ "$rc" = 1 ] && [ "$secs" -lt 60 ] && [ "$(nfail chatty)" -ge 1 ] &&
	   grep -q '^[0-9]* passed, [0-9]* failed' "$dir/chatty"; then
		ok "endless output (${h##*/}, ${h%%:*}): the run ends by itself in ${secs} s, exit 1"
	else
		bad "endless output (${h##*/}, ${h%%:*}): rc $rc in ${secs} s"; show chatty
	fi
done
run chatty --auth "spawn:/usr/bin/yes" --user test1 --password pass1 --time-scale 0.1
grep -A2 '^FAIL  AUTH-HANDSHAKE-001 ' "$dir/chatty" | grep -q 'no DONE: more than 1048576 bytes of lines' &&
	ok "endless handshake lines: AUTH-HANDSHAKE-001 says Postfix would read on" ||
	{ bad "endless handshake lines: the reason"; show chatty; }
start=$(date +%s)
run chatty --auth "spawn:$helpers/chatty_helper.py auth stream" --user test1 --password pass1 --max-time 2s
secs=$(( $(date +%s) - start ))
[ "$rc" = 1 ] && [ "$secs" -lt 10 ] && grep -q 'the run reached --max-time 2s before its end' "$dir/chatty" &&
	ok "endless output: --max-time 2s ends the run in ${secs} s" ||
	{ bad "endless output, --max-time 2s: rc $rc in ${secs} s"; show chatty; }

# --- 5: outcomes, not texts; the control rerun; a nondeterministic service named -------
# a correct daemon whose texts carry a request counter: no failure in any mode
for mode in spawn unix inet; do
	target $mode counting $py "$helpers/counting_policyd.py"
	run "counting-$mode" --policy "$t" --time-scale 0.2
	[ "$rc" = 0 ] && [ "$(nfail "counting-$mode")" = 0 ] &&
		ok "texts with a counter, the same outcomes ($mode): 0 failures, exit 0" ||
		{ bad "counting ($mode): rc $rc"; show "counting-$mode"; }
done
# every other answer from a backend that is down: called nondeterministic once, and
# the comparisons that cannot be judged then are not exercised
target unix flip $py "$helpers/counting_policyd.py" --flip
run flip --policy "$t" --time-scale 0.2
if verdict flip 1 POLICY-CONN-003 "the service is nondeterministic" &&
   block flip POLICY-ATTR-002 | grep -q 'not exercised: .*nondeterministic'; then
	ok "a service that alternates: one failure, POLICY-CONN-003 calls it nondeterministic, exit 1"
else
	bad "flip: rc $rc, $(nfail flip) failure(s)"; show flip
fi

# --- 6: the decision space: the reject path too; replies linted -----------------------
# a Perl service that refuses unknown SASL users with a bare "554" (OK to Postfix),
# while the first reply is a plain DUNNO: found on the reject path, one failure
run codeonly --policy "spawn:$helpers/codeonly_policy.pl" --time-scale 0.2 -v
if verdict codeonly 1 POLICY-LINT-001 "action=554: an all-digit action is OK to Postfix" &&
   grep -A1 '^PASS  POLICY-CONN-003' "$dir/codeonly" | grep -q 'the accept path: dunno on both connections; the reject path: reject 5xx'; then
	ok "a bare 554 on the reject path: POLICY-LINT-001 alone fails; the retry check ran on both paths"
else
	bad "codeonly: rc $rc, $(nfail codeonly) failure(s)"; show codeonly
fi

# --- 7: inputs Postfix really sends, at its real limits --------------------------------
# a Python daemon that decodes each 1,024-byte read as UTF-8: a Latin-1 sender or a
# character cut by a read ends the connection - one failure, POLICY-INPUT-001, and the
# check of characters across 1024/4096/8192 blocked by it
for mode in spawn unix inet; do
	target $mode chunkutf8 $py "$helpers/chunkutf8_policyd.py"
	run "chunkutf8-$mode" --policy "$t" --time-scale 0.2
	if verdict "chunkutf8-$mode" 1 POLICY-INPUT-001 "a Latin-1 byte in the sender" &&
	   grep -q '^BLOCKED  POLICY-INPUT-002 ' "$dir/chunkutf8-$mode"; then
		ok "UTF-8 decoded per 1,024-byte read ($mode): POLICY-INPUT-001 alone fails, exit 1"
	else
		bad "chunkutf8 ($mode): rc $rc, $(nfail "chunkutf8-$mode") failure(s)"; show "chunkutf8-$mode"
	fi
done
# a Perl service that dies on a SASL user name outside ASCII (Postfix passes UTF-8 ones)
run asciiuser --policy "spawn:$helpers/asciiuser_policy.pl" --time-scale 0.2
verdict asciiuser 1 POLICY-INPUT-001 "SASL user" &&
	ok "dies on a UTF-8 SASL user: POLICY-INPUT-001 alone fails, exit 1" ||
	{ bad "asciiuser: rc $rc, $(nfail asciiuser) failure(s)"; show asciiuser; }

# a Perl service whose lookup dies on a quote in the sender (o'brien@example.com): the
# injection check that sent it fails with the death, not only for wider access
run quote --policy "spawn:$helpers/quote_policy.pl" --time-scale 0.2
verdict quote 1 POLICY-INJ-002 "the helper process ended (exit 255)" &&
	ok "dies on a quote in the sender: POLICY-INJ-002 alone fails with the death, exit 1" ||
	{ bad "quote: rc $rc, $(nfail quote) failure(s)"; show quote; }

# --- a correct helper passes in every mode, whatever the caller's environment ----------
# the counting daemon (policy) and ref-authd (auth), with an empty environment and
# with a crowded one (PYTHONUNBUFFERED, a German locale, PERL5OPT, PYTHONWARNINGS)
printf 'test1:{PLAIN}pass1\n' > "$dir/users"
for envset in clean crowded; do
	if [ $envset = clean ]; then envv=(env -i PATH=/usr/bin:/bin); else
		envv=(env PYTHONUNBUFFERED=1 LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 PERL5OPT=-W
			PYTHONWARNINGS=error TZ=Pacific/Auckland); fi
	for mode in spawn unix inet; do
		target $mode "c-$envset" $py "$helpers/counting_policyd.py"
		"${envv[@]}" "$fs" check --policy "$t" --time-scale 0.2 > "$dir/cp" 2>&1
		rc=$?
		if [ $mode = spawn ]; then at="spawn:$build/bin/ref-authd -p $dir/users -d 0 spawn"; else
			case $mode in unix) at="unix:$dir/a-$envset.sock" ;; inet) at="inet:127.0.0.1:$(free_port)" ;; esac
			bg "$build/bin/ref-authd" -p "$dir/users" -d 0 "$at" 2> /dev/null
			if [ $mode = unix ]; then wait_socket "$dir/a-$envset.sock"; else sleep 0.5; fi
		fi
		"${envv[@]}" "$fs" check --auth "$at" --user test1 --password pass1 --time-scale 0.2 \
			--skip AUTH-REQ-009 > "$dir/ca" 2>&1
		rca=$?
		if [ "$rc" = 0 ] && [ "$rca" = 0 ] && [ "$(nfail cp)" = 0 ] && [ "$(nfail ca)" = 0 ]; then
			ok "correct helpers ($mode, $envset environment): 0 failures, exit 0"
		else
			bad "correct helpers ($mode, $envset): policy rc $rc, auth rc $rca"; show cp; show ca
		fi
	done
done

# --- 2: only what Postfix can see counts ------------------------------------------
# a Perl script that writes to stderr (the socket) after the client closed: it
# dies of SIGPIPE with every reply delivered - notes, not failures
run farewell --policy "spawn:$helpers/farewell_policy.pl" --time-scale 0.2
if [ "$rc" = 0 ] && [ "$(nfail farewell)" = 0 ] && grep -q '^[0-9]* passed, 0 failed, [0-9]* notes$' "$dir/farewell" &&
   grep -q 'note: the helper was killed by signal 13 (Broken pipe) after fake-smtpd closed the connection' "$dir/farewell" &&
   grep -q 'spawn(8) logs "warning: command .*farewell_policy.pl killed by signal 13"' "$dir/farewell"; then
	ok "death after the client closed (SIGPIPE at exit): notes naming spawn(8)'s log line, 0 failures, exit 0"
else
	bad "farewell script: rc $rc, $(nfail farewell) failure(s)"; show farewell
fi

suite_end
