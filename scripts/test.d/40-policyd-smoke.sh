#!/bin/bash
# 40-policyd-smoke - ref-policyd over a UNIX socket, IPv4 and IPv6
# loopback and spawn (stdin/stdout), driven by a small client that sends
# Postfix-style requests and checks every reply byte for byte: the seed
# scenario against the sample database, persistent connections,
# pipelining, bad clients dropped without a reply while others go on,
# SIGHUP reload (good and bad rule files), fault switches, SIGTERM exit
# (also after --user: the socket and pid file removed).
# Usage: 40-policyd-smoke.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
build=${1:?usage: $0 BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="$build/bin/ref-policyd"
py=/usr/bin/python3
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

dir=$(mktemp -d /tmp/policyd-smoke.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
	echo "ref-policyd not built at $bin"
	echo "0 passed, 1 failed"
	exit 1
fi

# client.py TARGET SCRIPT: SCRIPT is a Python literal list of steps
# ("send", bytes) / ("expect", bytes) / ("eof",) / ("silence", secs);
# prints "OK" or what differed.
cat > "$dir/client.py" <<'EOF'
import ast, socket, subprocess, sys, time
target, steps = sys.argv[1], ast.literal_eval(sys.argv[2])
if target.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX); s.connect(target[5:])
elif target.startswith("inet6:"):
    h, p = target[6:].rsplit(":", 1); s = socket.socket(socket.AF_INET6); s.connect((h, int(p)))
else:
    h, p = target[5:].rsplit(":", 1); s = socket.create_connection((h, int(p)))
s.settimeout(5)
def recv_exact(n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b: break
        got += b
    return got
for st in steps:
    if st[0] == "send":
        s.sendall(st[1])
    elif st[0] == "expect":
        got = recv_exact(len(st[1]))
        if got != st[1]:
            print("got %r want %r" % (got, st[1])); sys.exit(1)
    elif st[0] == "eof":
        try:
            b = s.recv(100)
        except socket.timeout:
            print("no EOF"); sys.exit(1)
        except ConnectionResetError:
            b = b""         # closed with our unread bytes pending: a reset
        if b:
            print("got %r, want EOF" % b); sys.exit(1)
    elif st[0] == "silence":
        s.settimeout(st[1])
        try:
            b = s.recv(100)
            print("got %r, want silence" % b); sys.exit(1)
        except socket.timeout:
            pass
        s.settimeout(5)
print("OK")
EOF

req() {	# req NAME=VALUE... -> a request as a Python bytes literal body
	local out="request=smtpd_access_policy\\n" a
	for a in "$@"; do out="$out$a\\n"; done
	printf '%s' "${out}\\n"
}
run() {	# run NAME TARGET STEPS
	local got
	got=$($py "$dir/client.py" "$2" "$3" 2>&1)
	if [ "$got" = "OK" ]; then ok "$1"; else bad "$1: $got"; fi
}
start() {	# start LOG ARGS... ; sets $pid
	"$bin" "$@" 2> "$1.log.tmp" &
	pid=$!
	pids="$pids $pid"
}
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$bin" --create-sample-db "$dir/access.db" 2>/dev/null && ok "sample database created" ||
	bad "--create-sample-db"
"$bin" --rules "$top/reference/policyd/sample.rules" --db "$dir/access.db" --check > "$dir/check.out" 2>&1 &&
	grep -q '7 rules' "$dir/check.out" && ok "--check loads the sample rules" ||
	bad "--check: $(cat "$dir/check.out")"
cp "$top/reference/policyd/sample.rules" "$dir/rules"
port=$(free_port)
port6=$(free_port)
"$bin" --rules "$dir/rules" --db "$dir/access.db" --max-line 200 --max-attrs 50 \
	"unix:$dir/p.sock" "inet:127.0.0.1:$port" "inet:[::1]:$port6" 2> "$dir/main.log" &
pid=$!
pids="$pids $pid"
wait_sock "$dir/p.sock" || bad "unix socket did not appear"
[ "$(stat -c %a "$dir/p.sock")" = 600 ] && ok "unix socket mode 0600 by default" ||
	bad "unix socket mode $(stat -c %a "$dir/p.sock") without --mode (want 600)"
sleep 0.2

R_NET="action=REJECT 5.7.1 not from your network\\n\\n"
DUNNO="action=DUNNO\\n\\n"
for t in "unix:$dir/p.sock" "inet:127.0.0.1:$port" "inet6:::1:$port6"; do
	run "seed: test1 from outside its networks is refused ($t)" "$t" \
		"[('send', b'$(req protocol_state=RCPT client_address=10.9.9.9 sasl_username=test1)'), ('expect', b'$R_NET')]"
	run "seed: test1 from 192.0.2.0/24 passes ($t)" "$t" \
		"[('send', b'$(req protocol_state=RCPT client_address=192.0.2.44 sasl_username=test1)'), ('expect', b'$DUNNO')]"
done
run "alice from IPv6 network in the database" "unix:$dir/p.sock" \
	"[('send', b'$(req protocol_state=RCPT client_address=2001:db8:1::25 sasl_username=alice)'), ('expect', b'$DUNNO')]"
run "unknown user is refused (no rows)" "unix:$dir/p.sock" \
	"[('send', b'$(req protocol_state=RCPT client_address=127.0.0.1 sasl_username=mallory)'), ('expect', b'$R_NET')]"
run "client_address=unknown (sendmail -bs, XCLIENT) is in no network: refused" "unix:$dir/p.sock" \
	"[('send', b'$(req protocol_state=RCPT client_address=unknown sasl_username=test1)'), ('expect', b'$R_NET')]"
run "client_address=unknown, unauthenticated, local sender domain: refused" "unix:$dir/p.sock" \
	"[('send', b'$(req protocol_state=MAIL client_address=unknown sasl_username= sender=a@example.com)'), ('expect', b'action=REJECT 5.7.1 authenticate to send as example.com\\n\\n')]"
run "SQL injection in sasl_username does not widen access" "unix:$dir/p.sock" \
	"[('send', b\"$(req protocol_state=RCPT client_address=127.0.0.1 "sasl_username=x' OR '1'='1")\"), ('expect', b'$R_NET')]"
run "no reply before the empty line, then one" "unix:$dir/p.sock" \
	"[('send', b'request=smtpd_access_policy\\nprotocol_state=RCPT\\n'), ('silence', 0.3), ('send', b'\\n'), ('expect', b'$DUNNO')]"
run "persistent connection: 50 requests in turn" "unix:$dir/p.sock" \
	"[$(for i in $(seq 50); do printf "('send', b'%s'), ('expect', b'%s')," "$(req protocol_state=RCPT client_address=10.0.0.$i sasl_username=test1)" "$R_NET"; done)]"
run "pipelined: 3 requests in one write, 3 replies in order" "inet:127.0.0.1:$port" \
	"[('send', b'$(req protocol_state=RCPT client_address=10.1.1.1 sasl_username=test1)$(req protocol_state=END-OF-MESSAGE size=60000000)$(req protocol_state=RCPT client_address=127.0.0.1 sasl_username=test1)'), ('expect', b'${R_NET}action=552 5.3.4 message too big\\n\\n$DUNNO')]"
run "unknown attributes and lines without = are ignored" "unix:$dir/p.sock" \
	"[('send', b'$(req foo_bar=1 'no equals' protocol_state=RCPT sasl_username= client_address=127.0.0.1)'), ('expect', b'$DUNNO')]"
long=$(head -c 300 /dev/zero | tr '\0' a)
run "over-long line: dropped without a reply" "unix:$dir/p.sock" \
	"[('send', b'request=smtpd_access_policy\\nhelo_name=$long\\n\\n'), ('eof',)]"
run "too many attributes: dropped without a reply" "unix:$dir/p.sock" \
	"[('send', b'request=smtpd_access_policy\\n$(for i in $(seq 60); do printf 'x=%s\\n' "$i"; done)\\n'), ('eof',)]"
run "garbage without request=: dropped without a reply" "unix:$dir/p.sock" \
	"[('send', b'\\x00\\xff garbage\\n\\n'), ('eof',)]"
run "earlier pipelined reply still sent before a bad request closes" "unix:$dir/p.sock" \
	"[('send', b'$(req protocol_state=RCPT)junk\\n\\n'), ('expect', b'$DUNNO'), ('eof',)]"
grep -q 'rule=user-network line=7 action="REJECT 5.7.1 not from your network" protocol_state=RCPT sasl_username=test1 client_address=10.9.9.9' "$dir/main.log" &&
	ok "decision log line names rule, action and attributes" || bad "decision log line missing"
grep -q 'line longer than 200 bytes; disconnecting without a reply' "$dir/main.log" &&
	ok "over-long line logged" || bad "over-long line not logged"

# SIGHUP: a bad rule file is refused with file:line:column, the old rules stay
# and an open connection survives; a good one takes effect on that connection.
$py - "$dir/p.sock" "$dir/hup.out" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
req = b"request=smtpd_access_policy\nprotocol_state=RCPT\nhelo_name=reload.test\n\n"
out = []
for i in range(3):
    s.sendall(req)
    out.append(s.recv(200).decode())
    time.sleep(0.6)
open(sys.argv[2], "w").write("|".join(out))
EOF
hup_client=$!
sleep 0.3
printf 'rule broken: helo_name == x => NO_SUCH_WORD\n' > "$dir/rules"
kill -HUP "$pid"
sleep 0.6
printf 'rule reloaded: helo_name == reload.test => REJECT reloaded\n' > "$dir/rules"
kill -HUP "$pid"
wait "$hup_client"
got=$(cat "$dir/hup.out" 2>/dev/null)
want='action=DUNNO

|action=DUNNO

|action=REJECT reloaded'
[ "$got" = "$want" ] && ok "SIGHUP reload on a live connection: bad file kept old rules, good file applied" ||
	bad "SIGHUP reload: got [$got]"
grep -q "reload failed, keeping the old rules and database: $dir/rules:1:32: action \"NO_SUCH_WORD\": unknown action" "$dir/main.log" &&
	ok "failed reload logged with file:line:column" || bad "failed reload not logged: $(grep reload "$dir/main.log")"

kill -TERM "$pid"
wait "$pid"
rc=$?
pids=${pids% $pid}
[ "$rc" = 0 ] && ok "SIGTERM: clean exit 0" || bad "SIGTERM exit $rc"
[ ! -S "$dir/p.sock" ] && ok "unix socket removed on exit" || bad "unix socket left behind"

# spawn: the connection is stdin/stdout, many requests, exit at EOF
got=$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=10.0.0.1\nsasl_username=test1\n\nrequest=smtpd_access_policy\n\n' |
	timeout 10 "$bin" --rules "$top/reference/policyd/sample.rules" --db "$dir/access.db" spawn 2>/dev/null | od -An -c | tr -s ' \n' ' ')
want=$(printf 'action=REJECT 5.7.1 not from your network\n\naction=DUNNO\n\n' | od -An -c | tr -s ' \n' ' ')
[ "$got" = "$want" ] && ok "spawn: two requests on stdin answered on stdout, exit at EOF" || bad "spawn: got [$got]"

# faults, one switch each, on a unix socket
fault() {	# fault NAME WANT-BYTES [extra steps]
	local sock="$dir/f-$1.sock" fp
	"$bin" --fault "$1" "unix:$sock" 2>/dev/null &
	fp=$!
	pids="$pids $fp"
	wait_sock "$sock"
	run "fault $1" "unix:$sock" "[('send', b'$(req protocol_state=RCPT)'), ('expect', b'$2')${3:-}]"
	kill "$fp"; wait "$fp" 2>/dev/null
	pids=${pids% $fp}
}
fault crlf 'action=DUNNO\r\n\r\n'
fault no-action '\n'
fault action-case 'Action=DUNNO\n\n'
fault extra-empty-line 'action=DUNNO\n\n\n'
fault close-after-reply 'action=DUNNO\n\n' ", ('eof',)"
fault no-terminator 'action=DUNNO\n' ", ('silence', 0.3)"
fault bad-action 'action=NO_SUCH_ACTION\n\n'
fault colon-action 'action=check_client_access hash:/etc/postfix/access\n\n'
sock="$dir/early.sock"
"$bin" --fault early-reply "unix:$sock" 2>/dev/null &
fp=$!; pids="$pids $fp"; wait_sock "$sock"
run "fault early-reply: answer after the first line" "unix:$sock" \
	"[('send', b'request=smtpd_access_policy\\n'), ('expect', b'$DUNNO'), ('send', b'protocol_state=RCPT\\n\\n'), ('silence', 0.3)]"
kill "$fp"; wait "$fp" 2>/dev/null; pids=${pids% $fp}
sock="$dir/delay.sock"
"$bin" --fault delay=400 "unix:$sock" 2>/dev/null &
fp=$!; pids="$pids $fp"; wait_sock "$sock"
run "fault delay=400: no reply within 0.25 s, then the reply" "unix:$sock" \
	"[('send', b'$(req protocol_state=RCPT)'), ('silence', 0.25), ('expect', b'$DUNNO')]"
kill "$fp"; wait "$fp" 2>/dev/null; pids=${pids% $fp}

# start-up errors name file:line
printf 'sender == a => OK\nclient_address in 10.0.0.1/8 => REJECT\n' > "$dir/bad.rules"
msg=$("$bin" --rules "$dir/bad.rules" --check 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$msg" | grep -q "$dir/bad.rules:2:19: bad network \"10.0.0.1/8\": host bits set beyond the prefix" &&
	ok "bad rule file refused at start with file:line:column" || bad "bad rule file: rc $rc [$msg]"
msg=$("$bin" --fault nonsense spawn 2>&1 < /dev/null)
[ $? = 2 ] && echo "$msg" | grep -q 'unknown fault nonsense' && ok "unknown fault refused" || bad "unknown fault: [$msg]"

# --mode and --owner for unix: sockets (the skeleton's, as in ref-authd)
"$bin" --mode 0660 "unix:$dir/m.sock" 2> "$dir/mode.log" &
mpid=$!
pids="$pids $mpid"
wait_sock "$dir/m.sock" && [ "$(stat -c %a "$dir/m.sock")" = 660 ] && ok "--mode 0660" ||
	bad "--mode 0660: $(stat -c %a "$dir/m.sock" 2>&1) $(cat "$dir/mode.log")"
kill "$mpid" && wait "$mpid"

# --user: the socket and pid file in root's directory are still removed at SIGTERM
if [ "$(id -u)" = 0 ]; then
	"$bin" --user nobody --pid-file "$dir/u.pid" "unix:$dir/u.sock" 2> "$dir/user.log" &
	upid=$!
	pids="$pids $upid"
	wait_sock "$dir/u.sock"
	run "--user nobody: serving" "unix:$dir/u.sock" \
		"[('send', b'$(req protocol_state=RCPT)'), ('expect', b'$DUNNO')]"
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$upid/status")" = "$(id -u nobody)" ] &&
		ok "--user nobody: running as nobody" || bad "--user nobody: uid"
	kill "$upid" && wait "$upid"
	pids=${pids% $upid}
	[ ! -e "$dir/u.sock" ] && [ ! -e "$dir/u.pid" ] &&
		ok "--user nobody: socket and pid file removed at SIGTERM" ||
		bad "--user nobody: left behind: $(ls "$dir" | grep -E '^u\.(sock|pid)$' | tr '\n' ' ')"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
