#!/bin/bash
# 31-authd-daemon - ref-authd as a daemon: unix + inet (IPv4, IPv6)
# listeners in one process, --mode/--owner, SIGHUP reload (good and broken
# file, an open connection kept), failure delay and request timeout as
# durations, --penalty, --max-connections, spawn mode (and a stdin it cannot
# use), --user, --pid-file, SIGTERM.
# Usage: 31-authd-daemon.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
build=${1:?usage: $0 BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="$build/bin/ref-authd"
cli="/usr/bin/python3 $top/reference/tests/authd_client.py"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { # name got want
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$2] want [$3]"; fi
}

dir=$(mktemp -d /tmp/authd-daemon.XXXXXX)
chmod 755 "$dir"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
if [ ! -x "$bin" ]; then
	echo "ref-authd not built at $bin"
	echo "0 passed, 1 failed"
	exit 1
fi
freeport() {
	/usr/bin/python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET6 if sys.argv[1]=="6" else socket.AF_INET)
s.bind(("::1" if sys.argv[1]=="6" else "127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
waitsock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }
replies() { cut -d' ' -f2- ; }	# drop the timing column

printf 'alice:{PLAIN}secret\nbob:%s\n' "$(doveadm pw -s SHA512-CRYPT -p hunter2)" > "$dir/users"
p4=$(freeport 4)
p6=$(freeport 6)
owner=""
if [ "$(id -u)" = 0 ]; then owner="--owner nobody:nogroup"; fi

# --- several listeners in one process, socket mode and owner -------------
"$bin" -p "$dir/users" -d 300ms --request-timeout 1s --mode 0600 $owner \
	"unix:$dir/auth.sock" "inet:127.0.0.1:$p4" "inet:[::1]:$p6" 2> "$dir/log" &
pid=$!
pids="$pids $pid"
waitsock "$dir/auth.sock" || bad "no socket"
for _ in $(seq 50); do grep -q ready "$dir/log" && break; sleep 0.05; done
check "unix socket mode 0600" "$(stat -c %a "$dir/auth.sock")" 600
if [ -n "$owner" ]; then
	check "unix socket owner nobody:nogroup" "$(stat -c %U:%G "$dir/auth.sock")" nobody:nogroup
fi
# --penalty: a second server; its client runs in the background too
"$bin" -p "$dir/users" -d 0 --penalty "unix:$dir/pen.sock" 2> "$dir/logpen" &
penpid=$!
pids="$pids $penpid"
waitsock "$dir/pen.sock"
check "unix socket mode without --mode: 0600" "$(stat -c %a "$dir/pen.sock")" 600
$cli "$dir/pen.sock" 'AUTH\t1\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp={b64:\0alice\0wrong}' \
	'AUTH\t2\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp={b64:\0alice\0secret}' \
	'AUTH\t3\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp={b64:\0alice\0secret}' > "$dir/pen" &
pencli=$!
# runs in the background while the checks below go on
$cli "$dir/auth.sock" 'AUTH\t3\tLOGIN\tservice=smtp' sleep:6.2 'CONT\t3\t{b64:alice}' > "$dir/expiry" &
expiry=$!
plain_ok='AUTH\t1\tPLAIN\tservice=smtp\tresp={b64:\0alice\0secret}'
check "unix: PLAIN" "$($cli "$dir/auth.sock" "$plain_ok" | replies)" "$(printf 'OK\t1\tuser=alice')"
check "inet IPv4: PLAIN" "$($cli "127.0.0.1:$p4" "$plain_ok" | replies)" "$(printf 'OK\t1\tuser=alice')"
check "inet IPv6: PLAIN" "$($cli "[::1]:$p6" "$plain_ok" | replies)" "$(printf 'OK\t1\tuser=alice')"
check "SHA512-CRYPT on the worker pool" \
	"$($cli "127.0.0.1:$p4" 'AUTH\t7\tPLAIN\tservice=smtp\tresp={b64:\0bob\0hunter2}' | replies)" \
	"$(printf 'OK\t7\tuser=bob')"
grep -q "127.0.0.1:[0-9]*: auth ok: id=1 mech=PLAIN user=alice" "$dir/log" &&
	ok "log line names peer, id, mechanism, user" || bad "no auth log line for the IPv4 peer"
grep -q secret "$dir/log" && bad "a password reached the log" || ok "no password in the log"
$cli "$dir/auth.sock" 'AUTH\t8\tPLAIN\tservice=smtp\tresp={b64:\0nosuch\0pw}' > /dev/null
grep -q "auth failed: id=8 mech=PLAIN user=nosuch: unknown user$" "$dir/log" &&
	ok "an unknown PLAIN user is logged as unknown, not as a password mismatch" ||
	bad "unknown user: $(grep 'id=8' "$dir/log")"

# --- failure delay 300ms: FAIL late, OK at once ---------------------------
out=$($cli "$dir/auth.sock" 'AUTH\t1\tPLAIN\tservice=smtp\tresp={b64:\0alice\0wrong}' "$plain_ok")
fms=$(echo "$out" | sed -n 1p | cut -d' ' -f1)
oms=$(echo "$out" | sed -n 2p | cut -d' ' -f1)
[ "$fms" -ge 280 ] && [ "$fms" -lt 1500 ] && ok "FAIL after the 300ms delay (${fms} ms)" ||
	bad "FAIL after ${fms} ms, want about 300"
[ "$oms" -lt 200 ] && ok "OK without delay (${oms} ms)" || bad "OK after ${oms} ms"

# --- SIGHUP: new user, then a broken file keeps the old users -------------
# (the held CONT comes before the 1 s request timeout)
$cli "$dir/auth.sock" 'AUTH\t1\tLOGIN\tservice=smtp' sleep:0.9 'CONT\t1\t{b64:dave}' \
	'CONT\t1\t{b64:d4ve}' > "$dir/held" &
held=$!
sleep 0.3
printf 'alice:{PLAIN}secret\ndave:{PLAIN}d4ve\nalice:{PLAIN}other\n' > "$dir/users.new"
mv "$dir/users.new" "$dir/users"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'reloaded' "$dir/log" && break; sleep 0.05; done
grep -q "reloaded $dir/users: 2 users" "$dir/log" && ok "SIGHUP reload logged" || bad "no reload line"
grep -q "warning: $dir/users:3: user alice exists more than once (line 1 counts)" "$dir/log" &&
	ok "repeated user warned about at reload" || bad "no warning for the repeated user"
wait "$held"
check "connection open across the reload sees the new user" "$(replies < "$dir/held" | tr '\t\n' ' |')" \
	"CONT 1 VXNlcm5hbWU6|CONT 1 UGFzc3dvcmQ6|OK 1 user=dave|"
printf 'alice:{PLAIN}secret\ndave:{SHA3}zzz\n' > "$dir/users"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'reload failed' "$dir/log" && break; sleep 0.05; done
grep -q "reload failed, keeping the old users: $dir/users:2: user dave: unknown password scheme" \
	"$dir/log" && ok "broken file refused with file:line" || bad "broken reload not logged"
check "old users kept after a failed reload" \
	"$($cli "$dir/auth.sock" 'AUTH\t1\tPLAIN\tservice=smtp\tresp={b64:\0dave\0d4ve}' | replies)" \
	"$(printf 'OK\t1\tuser=dave')"

# an empty file loads (Dovecot's does), with a warning
: > "$dir/users"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'no users' "$dir/log" && break; sleep 0.05; done
grep -q "warning: reloaded $dir/users: no users: every login fails until it has some" "$dir/log" &&
	ok "reload to an empty passwd-file warns" || bad "no warning for an empty passwd-file"

printf 'alice:{PLAIN}secret\n' > "$dir/users"	# a good file again for the servers below
kill -HUP "$pid"

# --- request timeout 1s (checked on a 5 s tick): CONT later is timed out --
wait "$expiry"
check "abandoned request dropped after --request-timeout" \
	"$(replies < "$dir/expiry" | tr '\t\n' ' |')" \
	"CONT 3 VXNlcm5hbWU6|FAIL 3 reason=Authentication request timed out|"

# --- --penalty: after a failure from 192.0.2.7 the next request waits 4 s --
wait "$pencli"
t1=$(sed -n 1p "$dir/pen" | cut -d' ' -f1)
t2=$(sed -n 2p "$dir/pen" | cut -d' ' -f1)
t3=$(sed -n 3p "$dir/pen" | cut -d' ' -f1)
check "--penalty: replies" "$(replies < "$dir/pen" | tr '\t\n' ' |')" \
	"FAIL 1 user=alice|OK 2 user=alice|OK 3 user=alice|"
[ "$t1" -lt 500 ] && ok "--penalty: first failure at once (${t1} ms)" || bad "first failure after ${t1} ms"
[ "$t2" -ge 3900 ] && [ "$t2" -lt 5500 ] && ok "--penalty: next request waited 4 s (${t2} ms)" ||
	bad "--penalty: next request after ${t2} ms, want about 4000"
[ "$t3" -lt 500 ] && ok "--penalty: cleared by the success (${t3} ms)" || bad "not cleared: ${t3} ms"
grep -q "penalty 1 for 192.0.2.7: request 2 waits 4 s" "$dir/logpen" && ok "--penalty: logged" ||
	bad "--penalty: no log line"
kill -TERM "$penpid"; wait "$penpid"

# --- SIGTERM ---------------------------------------------------------------
kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exit 0" "$?" 0
pids=""
[ -e "$dir/auth.sock" ] && bad "socket left behind" || ok "socket removed"

# --- --max-connections 1: the second client waits for the first ------------
"$bin" -p "$dir/users" -d 0 --max-connections 1 "unix:$dir/one.sock" 2> "$dir/log1" &
pid=$!
pids="$pid"
waitsock "$dir/one.sock"
(sleep 1.5 | $cli "$dir/one.sock" hold > /dev/null) &
first=$!
sleep 0.3
$cli "$dir/one.sock" --greeting-timeout 0.5 "$plain_ok" > "$dir/second"
wait "$first"
check "second connection served only after the first closed" "$(tr '\t\n' ' |' < "$dir/second")" \
	"no greeting|$(sed -n 2p "$dir/second" | cut -d' ' -f1) OK 1 user=alice|"
kill -TERM "$pid"; wait "$pid"; pids=""
grep -q "warning: 1 connections: --max-connections reached; new clients wait until one closes" \
	"$dir/log1" && ok "--max-connections reached is logged" || bad "no log line at --max-connections"

# --- saturation logged once per episode: 9 connections held at a limit of 10
# while 5 clients in turn take the tenth place
# and at a file descriptor limit (ulimit -n 40, 60 connections)
hold() { # SOCKET N SECONDS: N connections held open for SECONDS
	/usr/bin/python3 -c 'import socket, sys, time
ss = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); ss.append(s)
time.sleep(float(sys.argv[3]))' "$@"
}
"$bin" -p "$dir/users" -d 0 --max-connections 10 "unix:$dir/ten.sock" 2> "$dir/log10" &
pid=$!
pids="$pid"
waitsock "$dir/ten.sock"
hold "$dir/ten.sock" 9 2.5 &
held=$!
sleep 0.5
for _ in 1 2 3 4 5; do $cli "$dir/ten.sock" "$plain_ok" > /dev/null; done
check "--max-connections: one warning for the episode" \
	"$(grep -c "max-connections reached" "$dir/log10")" 1
wait "$held"
sleep 0.2
grep -q "connections: below --max-connections again" "$dir/log10" &&
	ok "--max-connections: the end of the episode is logged" || bad "no end line: $(cat "$dir/log10")"
(ulimit -n 40; exec "$bin" -p "$dir/users" -d 0 -w 1 "unix:$dir/fd.sock" 2> "$dir/logfd") &
fdpid=$!
pids="$pid $fdpid"
waitsock "$dir/fd.sock"
hold "$dir/fd.sock" 60 1.5 &
held=$!
sleep 1	# 10 retries meanwhile
check "fd limit: one warning for the episode" \
	"$(grep -c "unix:$dir/fd.sock: cannot accept connections: Too many open files" "$dir/logfd")" 1
wait "$held"
$cli "$dir/fd.sock" "$plain_ok" > /dev/null
grep -q "unix:$dir/fd.sock: accepting connections again" "$dir/logfd" &&
	ok "fd limit: its end is logged" || bad "fd limit: no end line: $(cat "$dir/logfd")"
kill -TERM "$pid" "$fdpid"; wait "$pid" "$fdpid"; pids=""

# --- spawn: one connection on stdin/stdout, exit at its end ---------------
out=$(printf 'VERSION\t1\t0\nCPID\t1\nAUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n' |
	timeout 10 "$bin" -p "$dir/users" -d 0 spawn 2> "$dir/log2")
rc=$?
check "spawn: exit 0 at end of input" "$rc" 0
echo "$out" | grep -q "^OK	1	user=alice$" && ok "spawn: OK on stdout" || bad "spawn: [$out]"
echo "$out" | grep -q "^DONE$" && ok "spawn: greeting on stdout" || bad "spawn: no DONE"

# --- spawn on a stdin that cannot be watched (a regular file): refused ------
# (it used to wait for SIGTERM with no connection at all)
msg=$(timeout 10 "$bin" -p "$dir/users" -d 0 spawn < "$dir/users" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q "fatal: spawn: stdin/stdout cannot be used" &&
	ok "spawn: unusable stdin is an error, not a hang" || bad "spawn, stdin a file: rc $rc: $msg"

# --- --pid-file: the pid, locked against a second daemon, removed at exit ---
"$bin" -p "$dir/users" -d 0 --pid-file "$dir/authd.pid" "unix:$dir/pid.sock" 2> "$dir/log6" &
pid=$!
pids="$pid"
waitsock "$dir/pid.sock"
check "--pid-file: holds the daemon's pid" "$(cat "$dir/authd.pid" 2>&1)" "$pid"
ino=$(stat -c %i "$dir/pid.sock")
msg=$(timeout 10 "$bin" -p "$dir/users" --pid-file "$dir/authd.pid" "unix:$dir/pid.sock" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q -- "--pid-file $dir/authd.pid: locked by process $pid" &&
	ok "--pid-file: a second daemon is refused, naming the first" || bad "second daemon: rc $rc: $msg"
check "--pid-file: the refused daemon left the first one's socket alone" \
	"$(stat -c %i "$dir/pid.sock" 2>&1)" "$ino"
kill -TERM "$pid"; wait "$pid"; pids=""
[ -e "$dir/authd.pid" ] && bad "--pid-file left behind" || ok "--pid-file removed at exit"

# --- a repeated user is warned about at start, the first line counts ------
printf 'alice:{PLAIN}secret\nbob:{PLAIN}x\nalice:{PLAIN}other\nbob:{PLAIN}y\n' > "$dir/dups"
out=$(printf 'VERSION\t1\t0\nCPID\t1\nAUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n' |
	timeout 10 "$bin" -p "$dir/dups" -d 0 spawn 2> "$dir/log5")
grep -q "warning: $dir/dups:3: user alice exists more than once (line 1 counts) (and 1 more repeated user lines)" \
	"$dir/log5" && ok "repeated users warned about at start" || bad "start warning: $(cat "$dir/log5")"
echo "$out" | grep -q "^OK	1	user=alice$" && ok "first line of a repeated user counts" ||
	bad "repeated user: [$out]"

# --- --user: privileges dropped after binding ------------------------------
if [ "$(id -u)" = 0 ]; then
	"$bin" -p "$dir/users" -d 0 --user nobody --pid-file "$dir/u.pid" "unix:$dir/u.sock" \
		2> "$dir/log3" &
	pid=$!
	pids="$pid"
	waitsock "$dir/u.sock"
	check "--user nobody: running as nobody" "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" \
		"$(id -u nobody)"
	check "--user nobody: still serving" "$($cli "$dir/u.sock" "$plain_ok" | replies)" \
		"$(printf 'OK\t1\tuser=alice')"
	keeper=$(ps -o pid= --ppid "$pid" | tr -d ' ')
	kill -TERM "$pid"; wait "$pid"; pids=""
	# the directory is root's: nobody may not unlink in it, the keeper does
	[ ! -e "$dir/u.sock" ] && [ ! -e "$dir/u.pid" ] &&
		ok "--user nobody: socket and pid file removed at SIGTERM ($(stat -c %U "$dir") owns the directory)" ||
		bad "--user nobody: left behind: $(ls "$dir" | grep -E '^u\.(sock|pid)$' | tr '\n' ' ')"
	[ -n "$keeper" ] && ! kill -0 "$keeper" 2>/dev/null &&
		ok "--user nobody: the keeper process ($keeper) ended with the server" ||
		bad "--user nobody: keeper [$keeper] still there"
fi

# --- --send-batching no: plain read/send, same answers ----------------------
"$bin" -p "$dir/users" -d 0 --send-batching no "unix:$dir/nb.sock" 2> "$dir/log4" &
pid=$!
pids="$pid"
waitsock "$dir/nb.sock"
check "--send-batching no: PLAIN" "$($cli "$dir/nb.sock" "$plain_ok" | replies)" \
	"$(printf 'OK\t1\tuser=alice')"
kill -TERM "$pid"; wait "$pid"; pids=""

# --- bad values are refused with the option's name -------------------------
msg=$("$bin" -p "$dir/users" --send-batching maybe spawn 2>&1 < /dev/null)
[ $? = 2 ] && echo "$msg" | grep -q -- "--send-batching: want yes or no" &&
	ok "bad --send-batching refused" || bad "bad --send-batching: $msg"
msg=$("$bin" -p "$dir/users" --failure-delay 2x spawn 2>&1 < /dev/null)
[ $? = 2 ] && echo "$msg" | grep -q -- "--failure-delay: not a duration" &&
	ok "bad duration refused" || bad "bad duration: $msg"
msg=$("$bin" -p "$dir/users" --mode 999 spawn 2>&1 < /dev/null)
[ $? = 2 ] && echo "$msg" | grep -q -- "--mode: want octal" && ok "bad mode refused" || bad "bad mode: $msg"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
