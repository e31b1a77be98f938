#!/bin/bash
# 45-policyd-regex - a rule regex that backtracks exponentially cannot
# stall ref-policyd: with "(.*a){100}$" on helo_name, 4 connections each
# pipelining 25 requests with a 7 KB HELO name (glibc's regexec took
# 5.2 s on one) are all answered, by the default action (the limited
# test is false), within a bound, while another client's requests are
# each answered within 200 ms; the limit is logged with the rule's name
# and line, once per request; ordinary HELO names are decided.
# Usage: 45-policyd-regex.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init policyd-regex "${1:-}"
bin="$build/bin/ref-policyd"
py=/usr/bin/python3
need "$bin"

cat > "$dir/slow.rules" <<'EOF2'
# a pattern no careful author writes, but one a file may hold
rule slow-helo: helo_name =~ /(.*a){100}$/ => REJECT 5.7.1 slow
rule short-helo: helo_name =~ /^x$/ => REJECT 5.7.1 x
EOF2

# attack.py SOCK: prints "attack N MS" (replies, time for all) and
# "other MAX_MS P50_MS N" for the ordinary client's sequential requests
cat > "$dir/attack.py" <<'PY'
import socket, sys, threading, time
sock = sys.argv[1]
def req(**kv):
    return ("request=smtpd_access_policy\n" +
            "".join("%s=%s\n" % i for i in kv.items()) + "\n").encode()
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sock); s.settimeout(60); return s
def replies(s, n):
    got, out = b"", []
    while len(out) < n:
        b = s.recv(65536)
        if not b:
            break
        got += b
        while b"\n\n" in got:
            one, got = got.split(b"\n\n", 1)
            out.append(one.decode())
    return out
helo = "".join("a" if i % 3 == 0 else "b" for i in range(7000))
BAD = req(protocol_state="RCPT", helo_name=helo, client_address="192.0.2.1")
GOOD = req(protocol_state="RCPT", helo_name="mail.example", client_address="192.0.2.2")
result = {}
def attacker(k):
    s = conn(); s.sendall(BAD * 25); result[k] = replies(s, 25)
t0 = time.monotonic()
ths = [threading.Thread(target=attacker, args=(k,)) for k in range(4)]
for t in ths: t.start()
time.sleep(0.05)
lat, other = [], conn()
for _ in range(20):
    t1 = time.monotonic(); other.sendall(GOOD); r = replies(other, 1)
    lat.append((time.monotonic() - t1) * 1000)
    if r != ["action=DUNNO"]:
        print("other-reply %r" % r)
for t in ths: t.join()
all_ms = (time.monotonic() - t0) * 1000
outs = sum(result.values(), [])
print("attack %d %.0f %s" % (len(outs), all_ms, ",".join(sorted(set(outs)))))
lat.sort()
print("other %.1f %.1f %d" % (lat[-1], lat[len(lat) // 2], len(lat)))
PY

bg "$bin" --rules "$dir/slow.rules" --log-decisions no "unix:$dir/p.sock" 2> "$dir/p.log"
wait_socket "$dir/p.sock" || bad "no socket"
out=$($py "$dir/attack.py" "$dir/p.sock")
echo "$out" | sed 's/^/     /'
read -r _ n ms acts <<< "$(echo "$out" | grep '^attack')"
if [ "$n" = 100 ] && [ "$acts" = "action=DUNNO" ]; then
	ok "100 requests with a 7 KB HELO: all answered by the default action (the limited test is false)"
else
	bad "attack replies: $n, $acts"
fi
[ "$n" = 100 ] && [ "$ms" -lt 10000 ] && ok "all 100 answered in $ms ms (bound 10 s; unbounded: 5.2 s each)" ||
	bad "the attack's requests took $ms ms"
read -r _ max p50 cnt <<< "$(echo "$out" | grep '^other ')"
if [ "$cnt" = 20 ] && ! echo "$out" | grep -q other-reply &&
	awk -v m="$max" 'BEGIN { exit !(m < 200) }'; then
	ok "meanwhile another client's 20 requests: max $max ms, median $p50 ms (< 200 ms)"
else
	bad "another client: max ${max:-?} ms over ${cnt:-0} requests $(echo "$out" | grep other-reply | head -1)"
fi
if grep -q "rule=slow-helo line=2: the regular expression on helo_name reached its match limit; the test is false" "$dir/p.log"; then
	ok "the limit is logged with the rule and its line"
else
	bad "no log line naming the rule: $(head -3 "$dir/p.log")"
fi
got=$($py - "$dir/p.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nhelo_name=mail.example\n\n"
          b"request=smtpd_access_policy\nprotocol_state=RCPT\nhelo_name=x\n\n")
got = b""
while got.count(b"\n\n") < 2:
    b = s.recv(4096)
    if not b: break
    got += b
print(got.decode().replace("\n\n", "|"))
PY
)
[ "$got" = "action=DUNNO|action=REJECT 5.7.1 x|" ] &&
	ok "ordinary HELO names: decided without reaching the limit (DUNNO, then the next rule)" ||
	bad "ordinary values: $got"
n=$(grep -c "reached its match limit" "$dir/p.log")
[ "$n" = 100 ] && ok "one log line per limited request (100)" || bad "$n limit log lines, want 100"
suite_end
