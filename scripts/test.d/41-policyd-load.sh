#!/bin/bash
# 41-policyd-load - ref-policyd under load: 1,000 concurrent persistent
# connections over 127.0.0.1 sending Postfix-like requests in a loop (one
# in flight each, the seed scenario against the sample database), plus
# hostile clients sending a line over the bound, garbage without
# request=, and a request cut off by EOF. Every well-behaved request must
# get exactly its own correct reply; every hostile client must be closed
# without a reply; the server must exit 0 on SIGTERM. Then a throughput
# figure: 64 connections with 32 requests pipelined each.
# Usage: 41-policyd-load.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
build=${1:?usage: $0 BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="$build/bin/ref-policyd"
py=/usr/bin/python3
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

dir=$(mktemp -d /tmp/policyd-load.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
	echo "ref-policyd not built at $bin"
	echo "0 passed, 1 failed"
	exit 1
fi
ulimit -n 8192 2>/dev/null
"$bin" --create-sample-db "$dir/access.db" || bad "--create-sample-db"
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --rules "$top/reference/policyd/sample.rules" --db "$dir/access.db" \
	--log-decisions no --max-connections 5000 "inet:127.0.0.1:$port" 2> "$dir/log" &
pid=$!
for _ in $(seq 100); do
	$py -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
	sleep 0.05
done

cat > "$dir/load.py" <<'EOF'
import selectors, socket, sys, time
port, nconn, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
CASES = [  # (attributes, expected reply)
    ("protocol_state=RCPT\nclient_address=10.%d.%d.1\nsasl_username=test1\n",
     b"action=REJECT 5.7.1 not from your network\n\n"),
    ("protocol_state=RCPT\nclient_address=192.0.2.%d\nsasl_username=test1\ninstance=%d\n",
     b"action=DUNNO\n\n"),
    ("protocol_state=END-OF-MESSAGE\nsize=6%d00000%d\nclient_address=127.0.0.1\n",
     b"action=552 5.3.4 message too big\n\n"),
    ("protocol_state=RCPT\nclient_address=2001:db8:1::%d\nsasl_username=alice\nx=%d\n",
     b"action=DUNNO\n\n"),
]
sel = selectors.DefaultSelector()
stats = {"ok": 0, "wrong": 0, "hostile_ok": 0, "hostile_bad": 0}
errors = []

class Client:
    def __init__(self, i):
        self.i, self.n, self.buf = i, 0, b""
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setblocking(False)
        sel.register(self.s, selectors.EVENT_READ, self)
        self.send()
    def send(self):
        c = CASES[(self.i + self.n) % len(CASES)]
        body = c[0] % (self.i % 250, self.n % 250) if c[0].count("%d") == 2 else c[0]
        self.want = c[1]
        self.s.sendall(b"request=smtpd_access_policy\n" + body.encode() + b"\n")
    def readable(self):
        try:
            data = self.s.recv(4096)
        except ConnectionError as e:
            data = b""
        if not data:
            errors.append("client %d: closed after %d replies" % (self.i, self.n))
            self.close(); return
        self.buf += data
        if len(self.buf) < len(self.want):
            return
        if self.buf != self.want:
            stats["wrong"] += 1
            errors.append("client %d: got %r want %r" % (self.i, self.buf, self.want))
            self.close(); return
        stats["ok"] += 1
        self.buf = b""
        self.n += 1
        if self.n == rounds:
            self.close()
        else:
            self.send()
    def close(self):
        sel.unregister(self.s); self.s.close()

class Hostile:
    def __init__(self, payload):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.sendall(payload)
        if payload.endswith(b"cut"):
            self.s.shutdown(socket.SHUT_WR)
        self.s.setblocking(False)
        sel.register(self.s, selectors.EVENT_READ, self)
    def readable(self):
        try:
            data = self.s.recv(65536)
        except ConnectionError:
            data = b""
        stats["hostile_ok" if not data else "hostile_bad"] += 1
        if data:
            errors.append("hostile client got %r" % data[:80])
        sel.unregister(self.s); self.s.close()

t0 = time.time()
clients = [Client(i) for i in range(nconn)]
Hostile(b"request=smtpd_access_policy\nhelo_name=" + b"x" * 9000 + b"\n\n")
Hostile(b"\x00\xff\xfe garbage\r\n\x01\x02\n\n")
Hostile(b"request=smtpd_access_policy\nprotocol_state=RCPT\ncut")
while len(sel.get_map()) > 0 and time.time() - t0 < 120:
    for key, _ in sel.select(timeout=1):
        key.data.readable()
el = time.time() - t0
print("load: %d connections x %d requests: %d correct replies, %d wrong, %.1f s (%.0f/s); "
      "hostile clients closed without reply: %d, answered: %d"
      % (nconn, rounds, stats["ok"], stats["wrong"], el, stats["ok"] / el,
         stats["hostile_ok"], stats["hostile_bad"]))
for e in errors[:5]:
    print("  " + e)
ok = stats["ok"] == nconn * rounds and stats["wrong"] == 0 and stats["hostile_ok"] == 3
sys.exit(0 if ok else 1)
EOF

out=$($py "$dir/load.py" "$port" 1000 20 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && ok "1,000 persistent connections x 20 requests: every reply exact; 3 hostile clients dropped" ||
	bad "load"
grep -q 'line longer than 8192 bytes' "$dir/log" && ok "over-long line logged" || bad "over-long line not logged"
grep -q 'request without request=smtpd_access_policy' "$dir/log" && ok "garbage logged" || bad "garbage not logged"

cat > "$dir/tput.py" <<'EOF'
import selectors, socket, sys, time
port, nconn, depth, secs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
REQ = (b"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
       b"client_address=192.0.2.10\nclient_name=unknown\nhelo_name=client.example\n"
       b"sender=a@example.com\nrecipient=b@example.net\nrecipient_count=0\nsize=1234\n"
       b"sasl_method=plain\nsasl_username=test1\nsasl_sender=\n\n")
REP = b"action=DUNNO\n\n"
sel = selectors.DefaultSelector()
done = [0]
bad = [0]
class C:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port)); self.buf = b""
        self.s.setblocking(False); sel.register(self.s, selectors.EVENT_READ, self)
        self.s.sendall(REQ * depth)
    def readable(self):
        self.buf += self.s.recv(65536)
        n = len(self.buf) // len(REP)
        if n:
            if self.buf[:n * len(REP)] != REP * n: bad[0] += 1
            self.buf = self.buf[n * len(REP):]
            done[0] += n
            self.s.sendall(REQ * n)
cs = [C() for _ in range(nconn)]
t0 = time.time()
while time.time() - t0 < secs:
    for key, _ in sel.select(timeout=0.5):
        key.data.readable()
print("throughput: %d connections, %d pipelined: %.0f decisions/s, %d bad replies"
      % (nconn, depth, done[0] / (time.time() - t0), bad[0]))
sys.exit(1 if bad[0] else 0)
EOF
out=$($py "$dir/tput.py" "$port" 64 32 3 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && ok "throughput run (database with locking): every reply correct" || bad "throughput run"
kill -TERM "$pid"; wait "$pid"; pid=""
"$bin" --rules "$top/reference/policyd/sample.rules" --db "$dir/access.db" --db-immutable yes \
	--log-decisions no "inet:127.0.0.1:$port" 2>> "$dir/log" &
pid=$!
for _ in $(seq 100); do
	$py -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
	sleep 0.05
done
out=$($py "$dir/tput.py" "$port" 64 32 3 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && ok "throughput run (--db-immutable yes): every reply correct" || bad "throughput run"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" = 0 ] && ok "SIGTERM after load: exit 0" || bad "exit $rc after load"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
