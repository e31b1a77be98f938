#!/bin/bash
# 55-fake-smtpd-fuzz - fake-smtpd fuzz: the crash in each deliberately broken
# seed-style helper is found with a fixed seed within a bounded number of
# execs, the same seed finds it at the same exec, the transcript written for
# it replays to the same crash; the same helpers with the bug out of reach
# give no finding; a helper that leaves a request unanswered is a hang whose
# transcript fails on replay; ref-authd and ref-policyd (UNIX sockets) survive
# a few thousand execs; bad options and unusable targets exit 2; --out never
# writes over an earlier finding or through a planted link, and a regular
# file there is refused up front; a helper that never completes the
# handshake, or streams lines or stderr forever, cannot keep a run past its
# bound, and the run says what it met (a run whose --duration ends before
# any answer exits 2, never 0).
# Usage: 55-fake-smtpd-fuzz.sh BUILD_DIR
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
fs="$build/bin/fake-smtpd"
ad="$build/bin/ref-authd"
pd="$build/bin/ref-policyd"
py=/usr/bin/python3
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
dir=$(mktemp -d /tmp/fs-fuzz.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
crashy_auth="spawn:$py corpus/helpers/crashy_auth_helper.py"
crashy_policy="spawn:$py corpus/helpers/crashy_policy_helper.py"
fuzz() { timeout 120 "$fs" fuzz "$@" < /dev/null; }

if [ ! -x "$fs" ]; then
	echo "fake-smtpd not built at $fs"
	echo "0 passed, 1 failed"
	exit 1
fi

# 1. bad options and unusable targets: exit 2, nothing run
for args in "" "--auth" "--auth spawn:/bin/true --policy spawn:/bin/true" \
	"--auth spawn:/bin/true --seed x1" "--auth spawn:/bin/true --duration 0" \
	"--auth spawn:/bin/true --duration 5parsecs" "--auth spawn:/bin/true --timeout 0" \
	"--auth spawn:/bin/true --iterations 0" "--auth spawn:/bin/true --max-findings -1" \
	"--auth spawn:/bin/true extra" "--auth spawn:/bin/true --no-such-option" \
	"--auth nowhere:/x" "--auth unix:$dir/absent.sock --iterations 5"; do
	out=$(fuzz $args 2>&1); rc=$?
	[ $rc = 2 ] && ok "exit 2: fuzz $args" || { bad "fuzz $args: rc $rc"; echo "$out" | tail -3; }
done
out=$(fuzz --auth spawn:/bin/true --iterations 5 --out /dev/null/findings 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q '/dev/null/findings: Not a directory' && ok "exit 2: an output directory that cannot be made" ||
	{ bad "--out /dev/null/findings: rc $rc"; echo "$out"; }
touch "$dir/plain-file"
out=$(fuzz --auth "spawn:$py corpus/helpers/crashy_auth_helper.py" --iterations 5 --out "$dir/plain-file" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'plain-file: exists and is not a directory' && ! echo "$out" | grep -q execs &&
	[ ! -s "$dir/plain-file" ] && ok "exit 2 up front: a regular file as --out (or --corpus) DIR" ||
	{ bad "--out FILE: rc $rc"; echo "$out"; }
out=$(fuzz --auth "spawn:$py corpus/helpers/crashy_auth_helper.py" --iterations 5 --corpus "$dir/plain-file" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'plain-file: exists and is not a directory' || bad "--corpus FILE: rc $rc"
# an --out DIR used before: an earlier finding and a planted link stay as they are
mkdir "$dir/reused"
echo "an earlier finding" > "$dir/reused/finding-001-crash.tr"
ln -s "$dir/victim" "$dir/reused/finding-002-crash.tr"
out=$(fuzz --auth "spawn:$py corpus/helpers/crashy_auth_helper.py" --seed 1 --iterations 300 --max-findings 1 \
	--out "$dir/reused" 2>&1); rc=$?
[ $rc = 1 ] && [ "$(cat "$dir/reused/finding-001-crash.tr")" = "an earlier finding" ] && [ ! -e "$dir/victim" ] &&
	[ -L "$dir/reused/finding-002-crash.tr" ] && grep -q '^protocol auth' "$dir/reused/finding-003-crash.tr" &&
	echo "$out" | grep -q -- '-> .*/reused/finding-003-crash.tr' &&
	ok "--out DIR: an earlier finding kept, a planted link not followed, the new one in finding-003-crash.tr" ||
	{ bad "--out reused: rc $rc"; ls -l "$dir/reused"; echo "$out" | tail -3; }

# bounds: targets that never become usable, or never stop talking
bounded() {	# bounded WHAT LIMIT_S ARGS...: the run ends by itself within LIMIT_S
	local what=$1 limit=$2 t0 t1 rc out
	shift 2
	t0=$(date +%s)
	out=$(timeout 100 "$fs" fuzz "$@" 2>&1 < /dev/null); rc=$?
	t1=$(date +%s)
	if [ $rc != 124 ] && [ $((t1 - t0)) -le "$limit" ]; then
		ok "$what: ends by itself in $((t1 - t0)) s (exit $rc)"
	else
		bad "$what: rc $rc after $((t1 - t0)) s"; echo "$out" | tail -3
	fi
	last_out=$out last_rc=$rc
}
bounded "a helper that exits at once, --iterations 30" 20 --auth spawn:/bin/true --iterations 30
echo "$last_out" | grep -q 'stopped: no reply came on 5 connections in a row' &&
	ok "... with a clear message: $(echo "$last_out" | grep -m1 -o 'stopped: no reply[^(]*')" || bad "no message: $last_out"
bounded "a helper that never answers the handshake, --iterations 30" 20 --auth "spawn:$py corpus/helpers/bad_helper.py silent" \
	--timeout 200ms --iterations 30
echo "$last_out" | grep -q 'stopped: no reply came on 5 connections in a row: the target is not usable (no handshake' &&
	ok "... with a clear message" || bad "no message: $last_out"
cat > "$dir/stream.py" <<'PY'
import os, sys
mode = sys.argv[1]
out = os.fdopen(1, "wb", 0)
if mode == "mech":			# a handshake without end
    out.write(b"VERSION\t1\t2\n")
    while True:
        out.write(b"MECH\tPLAIN\tplaintext\n" * 100)
if mode == "trickle":			# the same, a line every 50 ms
    import time
    out.write(b"VERSION\t1\t2\n")
    while True:
        out.write(b"MECH\tPLAIN\tplaintext\n")
        time.sleep(0.05)
out.write(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nDONE\n")
sys.stdin.buffer.readline()
sys.stdin.buffer.readline()
line = b"CONT\t99999\tx\n" if mode == "lines" else b"debug: still here\n"
dest = out if mode == "lines" else os.fdopen(2, "wb", 0)	# stderr is the connection
while True:
    dest.write(line * 100)
PY
# what each run must say: a hang in the handshake (it never ends), lines
# or stderr past what Postfix skips; with --duration shorter than
# --timeout, a handshake still under way is no finding but no pass either
# what each run must say (an ERE, and the exit status): a hang in the
# handshake, lines or stderr past what Postfix skips; with --duration
# shorter than --timeout, a handshake still under way is no finding but
# no pass either (streamed fast, its 1 MiB may come first)
TIME_OUT="stopped: the run's time ran out \\(3\\.[0-9] s\\) before the target answered on any of 1 connection: the target is not usable \\(a reply or handshake was still under way"
SKIPS="bad-reply: more than 1048576 bytes of lines Postfix skips before the reply"
declare -A said=(
	[mech.i]="stopped: no reply came on 5 connections in a row: the target is not usable \\((no handshake \\(up to DONE\\) within 1000 ms|more than 1048576 bytes of handshake without DONE)\\)"
	[lines.i]=$SKIPS [stderr.i]=$SKIPS [lines.d]=$SKIPS [stderr.d]=$SKIPS
	[mech.d]="$TIME_OUT|bad-reply: more than 1048576 bytes of handshake without DONE"
	[trickle.d]=$TIME_OUT
)
declare -A rcs=([mech.i]=1 [lines.i]=1 [stderr.i]=1 [mech.d]="[12]" [lines.d]=1 [stderr.d]=1
	[trickle.d]=2)
for m in mech lines stderr trickle; do
	for k in i d; do
		[ -n "${said[$m.$k]-}" ] || continue
		if [ $k = i ]; then
			bounded "a helper streaming $m forever, --iterations 30" 20 --auth "spawn:$py $dir/stream.py $m" \
				--timeout 1s --iterations 30
		else
			bounded "a helper streaming $m forever, --duration 3s --timeout 10s" 10 \
				--auth "spawn:$py $dir/stream.py $m" --timeout 10s --duration 3s
		fi
		# shellcheck disable=SC2053
		if [[ $last_rc == ${rcs[$m.$k]} ]] && echo "$last_out" | grep -Eq -- "${said[$m.$k]}"; then
			ok "... exit $last_rc, saying: $(echo "$last_out" | grep -Eo -m1 -- "${said[$m.$k]}" | cut -c1-100)"
		else
			bad "... exit $last_rc (want ${rcs[$m.$k]}), without /${said[$m.$k]}/"; echo "$last_out" | tail -4
		fi
	done
done
out=$(fuzz --help); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q -- '--max-findings' && ok "fuzz --help" || bad "fuzz --help: rc $rc"

# 2. the auth helper that crashes on a user name longer than 100 bytes
found() {	# found NAME TARGET PROTO: run with seed 1, check the finding, echo its exec
	local out rc
	out=$(fuzz "--$3" "$2" --seed 1 --iterations 500 --max-findings 1 --out "$dir/$1" 2>&1); rc=$?
	echo "$out" > "$dir/$1.out"
	[ $rc = 1 ] && echo "$out" | grep -q '^finding 1: crash: killed by signal 11' &&
		[ -f "$dir/$1/finding-001-crash.tr" ] && ! echo "$out" | grep -q $'\r'
}
for h in auth policy; do
	if [ $h = auth ]; then t=$crashy_auth; else t=$crashy_policy; fi
	if found "$h-1" "$t" $h; then
		ok "$h: the crash (SIGSEGV) is found with --seed 1 within 500 execs: $(grep -o 'exec [0-9]*' "$dir/$h-1.out" | head -1)"
	else
		bad "$h: crash not found"; cat "$dir/$h-1.out"
		continue
	fi
	# the same seed: the same exec, the same request
	found "$h-2" "$t" $h
	a=$(grep '^finding 1' "$dir/$h-1.out" | sed 's/ -> .*//') b=$(grep '^finding 1' "$dir/$h-2.out" | sed 's/ -> .*//')
	[ -n "$a" ] && [ "$a" = "$b" ] && ok "$h: the same seed finds it at the same exec" ||
		{ bad "$h: seed not deterministic"; echo "$a"; echo "$b"; }
	# the transcript replays to the crash
	tr="$dir/$h-1/finding-001-crash.tr"
	out=$(timeout 60 "$fs" replay --fast "$t" "$tr" 2>&1); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q 'helper crashed: killed by signal 11' &&
		ok "$h: fake-smtpd replay of the finding reports the crash" ||
		{ bad "$h: replay: rc $rc"; echo "$out" | tail -5; cat "$tr" | cut -c1-200; }
	grep -q '^# minimized: ' "$tr" && ok "$h: the transcript was minimized ($(grep -o '[0-9]* of [0-9]* requests kept' "$tr"))" ||
		{ bad "$h: not minimized"; head -5 "$tr"; }
	# what makes it crash is in what was sent
	if [ $h = auth ]; then
		grep -q '^C: \(AUTH\|CONT\)' "$tr" && ok "$h: the transcript sends the request" || bad "$h: no request in $tr"
	else
		grep -q '^C: sender=.\{101\}' "$tr" && ok "$h: the transcript sends a sender longer than 100 bytes" ||
			bad "$h: no long sender in $tr"
	fi
	# the same helper with the bug out of reach: no finding at all
	out=$(fuzz "--$h" "$t --limit 1000000" --seed 1 --iterations 1500 2>&1); rc=$?
	[ $rc = 0 ] && echo "$out" | grep -q '^findings: 0 ' &&
		ok "$h: the helper without its bug gives no finding in 1500 execs" || { bad "$h: false findings: rc $rc"; echo "$out" | tail -5; }
done

# 3. a helper that never answers a long user name: a hang, and the transcript fails where Postfix waits
out=$(fuzz --auth "spawn:$py corpus/helpers/crashy_auth_helper.py --hang" --seed 1 --timeout 300ms \
	--iterations 500 --max-findings 1 --out "$dir/hang" 2>&1); rc=$?
h=$(ls "$dir/hang"/finding-001-hang.tr 2>/dev/null)
[ $rc = 1 ] && echo "$out" | grep -q '^finding 1: hang: no reply' && [ -n "$h" ] &&
	ok "a missing reply is a hang finding" || { bad "hang: rc $rc"; echo "$out"; }
if [ -n "$h" ]; then
	out=$(timeout 60 "$fs" replay --time-scale 0.05 "spawn:$py corpus/helpers/crashy_auth_helper.py --hang" "$h" 2>&1); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q 'no line within\|no reply within' && ok "the hang transcript fails on replay: no reply" ||
		{ bad "hang replay: rc $rc"; echo "$out" | tail -5; }
	out=$(timeout 60 "$fs" replay --time-scale 0.05 "spawn:$py corpus/helpers/crashy_auth_helper_fixed.py --hang" "$h" 2>&1); rc=$?
	[ $rc = 0 ] && ok "the hang transcript passes against the fixed helper" ||
		{ bad "hang replay, fixed: rc $rc"; echo "$out" | tail -5; }
fi

# bytes Postfix chokes on: a CR LF policy reply, a handshake line over 64 KiB; replay fails there too
out=$(fuzz --policy "spawn:$py corpus/helpers/seed_policy_helper.py --crlf" --seed 1 --timeout 300ms \
	--iterations 20 --max-findings 1 --out "$dir/crlf" 2>&1); rc=$?
b=$(ls "$dir/crlf"/finding-001-bad-reply.tr 2>/dev/null)
[ $rc = 1 ] && echo "$out" | grep -q '^finding 1: bad-reply: Postfix counts this reply as a failed try: .*CR LF' &&
	[ -n "$b" ] && ok "a CR LF policy reply is a bad-reply finding" || { bad "crlf: rc $rc"; echo "$out"; }
if [ -n "$b" ]; then
	out=$(timeout 60 "$fs" replay --fast "spawn:$py corpus/helpers/seed_policy_helper.py --crlf" "$b" 2>&1); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q 'S: expected , got \\r' && ok "the CR LF transcript fails on replay where Postfix would" ||
		{ bad "crlf replay: rc $rc"; echo "$out" | tail -5; }
fi
out=$(fuzz --auth "spawn:$py corpus/helpers/bad_helper.py long-line" --seed 1 --timeout 1s \
	--iterations 20 --max-findings 1 --out "$dir/long" 2>&1); rc=$?
b=$(ls "$dir/long"/finding-001-bad-reply.tr 2>/dev/null)
[ $rc = 1 ] && echo "$out" | grep -q '^finding 1: bad-reply: handshake line longer than 65536 bytes' && [ -n "$b" ] &&
	ok "a 1 MiB handshake line is a bad-reply finding" || { bad "long line: rc $rc"; echo "$out"; }
if [ -n "$b" ]; then
	out=$(timeout 60 "$fs" replay --fast "spawn:$py corpus/helpers/bad_helper.py long-line" "$b" 2>&1); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q 'handshake: line longer than 65536 bytes' &&
		ok "the long-line transcript fails on replay in the handshake" || { bad "long-line replay: rc $rc"; echo "$out" | tail -5; }
fi

# 4. the reference servers survive a few thousand execs
if [ -x "$ad" ]; then
	cp corpus/demo/users "$dir/users"
	"$ad" -p "$dir/users" -d 0 -m plain,login "unix:$dir/a.sock" 2>> "$dir/authd.log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$dir/a.sock" ] && break; sleep 0.05; done
	out=$(fuzz --auth "unix:$dir/a.sock" --seed 2 --iterations 3000 --out "$dir/authd" 2>&1); rc=$?
	[ $rc = 0 ] && echo "$out" | grep -q '^3000 execs' && echo "$out" | grep -q '^findings: 0 ' &&
		kill -0 "$pid" 2>/dev/null && ok "ref-authd (unix:) survives 3000 execs: $(grep -o '[0-9]* exec/s' <<< "$out") (load $(cut -d' ' -f1 /proc/loadavg))" ||
		{ bad "ref-authd: rc $rc"; echo "$out" | tail -5; tail -5 "$dir/authd.log"; }
	# SIGINT ends the run early, with the summary
	"$fs" fuzz --auth "unix:$dir/a.sock" --seed 3 --duration 100s > "$dir/int.out" 2>&1 < /dev/null &
	fpid=$!
	sleep 1
	kill -INT "$fpid"
	for _ in $(seq 100); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$fpid" 2>/dev/null; then
		kill "$fpid"; wait "$fpid"; bad "SIGINT did not end the run within 10 s"
	else
		wait "$fpid"; rc=$?
		[ $rc = 0 ] && grep -q '^findings: 0 ' "$dir/int.out" && ok "SIGINT ends the run with the summary" ||
			{ bad "SIGINT: rc $rc"; cat "$dir/int.out"; }
	fi
	kill "$pid"; wait "$pid" 2>/dev/null; pid=""
	# a server that is gone: the next connection is refused, a finding, and the run stops
	"$ad" -p "$dir/users" -d 0 -m plain,login "unix:$dir/b.sock" 2>> "$dir/authd.log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$dir/b.sock" ] && break; sleep 0.05; done
	( sleep 1; kill "$pid" ) &
	killer=$!
	out=$(fuzz --auth "unix:$dir/b.sock" --seed 2 --duration 20s --reconnect-every 5 --out "$dir/down" 2>&1); rc=$?
	wait "$killer"; wait "$pid" 2>/dev/null; pid=""
	# the kill may land inside an exchange: a close finding may come first
	[ $rc = 1 ] && echo "$out" | grep -q '^finding [0-9]*: down: ' && ls "$dir/down"/finding-*-down.tr > /dev/null 2>&1 &&
		ok "a server that stops accepting connections is a 'down' finding" || { bad "down: rc $rc"; echo "$out" | tail -4; }
else
	bad "ref-authd not built in $build"
fi
if [ -x "$pd" ]; then
	"$pd" --create-sample-db "$dir/access.db" 2>/dev/null
	"$pd" --rules reference/policyd/sample.rules --db "$dir/access.db" "unix:$dir/p.sock" 2>> "$dir/policyd.log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$dir/p.sock" ] && break; sleep 0.05; done
	out=$(fuzz --policy "unix:$dir/p.sock" --seed 2 --iterations 3000 --out "$dir/policyd" 2>&1); rc=$?
	[ $rc = 0 ] && echo "$out" | grep -q '^3000 execs' && echo "$out" | grep -q '^findings: 0 ' &&
		kill -0 "$pid" 2>/dev/null && ok "ref-policyd (unix:) survives 3000 execs: $(grep -o '[0-9]* exec/s' <<< "$out") (load $(cut -d' ' -f1 /proc/loadavg))" ||
		{ bad "ref-policyd: rc $rc"; echo "$out" | tail -5; tail -5 "$dir/policyd.log"; }
	kill "$pid"; wait "$pid" 2>/dev/null; pid=""
else
	bad "ref-policyd not built in $build"
fi

# --postfix-version: the requests are those of that Postfix (compatibility_level
# since 3.8), named on the first line; unknown versions are refused
cat > "$dir/logpol.py" <<'PY'
import sys
log = open(sys.argv[1], "a")
for line in sys.stdin:
    log.write(line)
    log.flush()
    if line == "\n":
        sys.stdout.write("action=DUNNO\n\n")
        sys.stdout.flush()
PY
for v in 3.5 3.11; do
	: > "$dir/req-$v.log"
	out=$(fuzz --policy "spawn:$py $dir/logpol.py $dir/req-$v.log" --postfix-version $v --seed 3 --iterations 40 2>&1); rc=$?
	head -1 <<< "$out" | grep -q "as Postfix $v (--postfix-version)" || { bad "fuzz --postfix-version $v: first line: $(head -1 <<< "$out")"; continue; }
	n=$(grep -c '^compatibility_level=' "$dir/req-$v.log")
	reqs=$(grep -c '^request=smtpd_access_policy' "$dir/req-$v.log")
	if [ $v = 3.5 ]; then
		[ $rc = 0 ] && [ "$reqs" -gt 5 ] && [ "$n" = 0 ] && ok "fuzz --postfix-version 3.5: $reqs requests, none with compatibility_level" ||
			{ bad "fuzz --postfix-version 3.5: rc $rc, $reqs requests, $n with compatibility_level"; echo "$out" | tail -3; }
	else
		[ $rc = 0 ] && [ "$reqs" -gt 5 ] && [ "$n" -gt 0 ] && ok "fuzz --postfix-version 3.11: $n of $reqs requests with compatibility_level" ||
			{ bad "fuzz --postfix-version 3.11: rc $rc, $reqs requests, $n with compatibility_level"; echo "$out" | tail -3; }
	fi
done
out=$(fuzz --policy "spawn:$py $dir/logpol.py /dev/null" --postfix-version 9.9 --iterations 1 2>&1); rc=$?
[ $rc = 2 ] && grep -q 'not a Postfix version this oracle knows' <<< "$out" &&
	ok "fuzz --postfix-version 9.9 is refused (exit 2)" || { bad "fuzz --postfix-version 9.9: rc $rc"; echo "$out" | tail -3; }

echo "$pass passed, $fail failed"
[ $fail = 0 ]
