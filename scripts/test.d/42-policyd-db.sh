#!/bin/bash
# 42-policyd-db - ref-policyd's database lookups run on worker threads,
# never on the event loop. With the SQLite database locked by a writer
# and 30 connections waiting for lookups, a request that needs no lookup
# is answered within 200 ms; the waiting ones get no reply and are
# closed (never DUNNO or OK) after --db-timeout, or get
# --db-failure-action; lookups work again once the lock is gone; a
# request that needs a lookup and one that does not, pipelined, are
# answered in order; SIGHUP picks up a replaced database; DUNNO and OK
# are refused as failure actions.
# Usage: 42-policyd-db.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init policyd-db "${1:-}"
bin="$build/bin/ref-policyd"
py=/usr/bin/python3
need "$bin"

"$bin" --create-sample-db "$dir/access.db" 2>/dev/null || bad "--create-sample-db"

# client.py SOCK: one Postfix-like client per mode
#   lock N TIMEOUT_S: N lookups wait, then a request without a lookup is
#     timed; prints "fast MS" and, per waiting one, its outcome
#   one REQ_ATTRS...: one request, prints the reply or EOF
cat > "$dir/client.py" <<'PY'
import socket, sys, time
sock, mode = sys.argv[1], sys.argv[2]
def req(**kv):
    return ("request=smtpd_access_policy\n" +
            "".join("%s=%s\n" % kv_ for kv_ in kv.items()) + "\n").encode()
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sock); s.settimeout(10); return s
pending = {}
def reply(s):
    got = pending.get(s, b"")
    while b"\n\n" not in got:
        b = s.recv(4096)
        if not b:
            return got.decode() or "EOF"
        got += b
    one, pending[s] = got.split(b"\n\n", 1)
    return one.decode()
LOOKUP = req(protocol_state="RCPT", client_address="192.0.2.9", sasl_username="test1")
PLAIN = req(protocol_state="END-OF-MESSAGE", size="60000000")
if mode == "lock":
    n = int(sys.argv[3])
    waiting = [conn() for _ in range(n)]
    for s in waiting:
        s.sendall(LOOKUP)
    time.sleep(0.1)
    s = conn(); t0 = time.monotonic(); s.sendall(PLAIN); r = reply(s)
    print("fast %.1f %s" % ((time.monotonic() - t0) * 1000, r))
    t0 = time.monotonic()
    outs = [reply(w) for w in waiting]
    print("waited %.0f" % ((time.monotonic() - t0) * 1000))
    for o in sorted(set(outs)):
        print("outcome %d %s" % (outs.count(o), o.replace("\n", " ")))
elif mode == "one":
    kv = dict(a.split("=", 1) for a in sys.argv[3:])
    s = conn(); s.sendall(req(**kv)); print(reply(s))
elif mode == "pipe":
    s = conn(); s.sendall(LOOKUP + PLAIN + LOOKUP)
    print(reply(s)); print(reply(s)); print(reply(s))
PY

# lock.py DB: holds an exclusive lock until killed
cat > "$dir/lock.py" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(600)
PY

start_policyd() {	# start_policyd NAME ARGS...: a server on $dir/NAME.sock
	local name=$1
	shift
	bg "$bin" --rules "$top/reference/policyd/sample.rules" --db "$dir/access.db" \
		--log-decisions no "$@" "unix:$dir/$name.sock" 2> "$dir/$name.log"
	policyd_pid=$last_pid
	wait_socket "$dir/$name.sock" || bad "$name: no socket"
}
lock_db() {	# lock_db: an exclusive lock; lock_pid holds the locker
	bg $py "$dir/lock.py" "$dir/access.db" > "$dir/lock.out"
	lock_pid=$last_pid
	for _ in $(seq 100); do grep -q locked "$dir/lock.out" && return 0; sleep 0.05; done
	bad "the database lock was not taken"
}
unlock_db() { kill "$lock_pid" 2>/dev/null; wait "$lock_pid" 2>/dev/null; }

ALLOW="action=DUNNO"
start_policyd a --db-timeout 1000
got=$($py "$dir/client.py" "$dir/a.sock" one protocol_state=RCPT client_address=192.0.2.9 sasl_username=test1)
[ "$got" = "$ALLOW" ] && ok "a lookup before the lock: allowed" || bad "before the lock: $got"

lock_db
out=$($py "$dir/client.py" "$dir/a.sock" lock 30)
ms=$(echo "$out" | awk '/^fast/ { print $2 }')
if echo "$out" | grep -q "^fast .* action=552 5.3.4 message too big$"; then
	if awk -v m="$ms" 'BEGIN { exit !(m < 200) }'; then
		ok "database locked, 30 lookups waiting: a request without a lookup answered in $ms ms"
	else
		bad "request without a lookup took $ms ms (want < 200)"
	fi
else
	bad "request without a lookup: $out"
fi
if echo "$out" | grep -q "^outcome 30 EOF$"; then
	ok "the 30 waiting lookups: no reply, closed ($(echo "$out" | awk '/^waited/ { print $2 }') ms)"
else
	bad "waiting lookups: $(echo "$out" | grep outcome | tr '\n' ';')"
fi
grep -q "database error; disconnecting without a reply" "$dir/a.log" &&
	ok "the failures are logged" || bad "no failure log line"
unlock_db
sleep 0.2
got=$($py "$dir/client.py" "$dir/a.sock" one protocol_state=RCPT client_address=10.9.9.9 sasl_username=test1)
[ "$got" = "action=REJECT 5.7.1 not from your network" ] &&
	ok "after the lock: lookups answer again (refused from outside)" || bad "after the lock: $got"
got=$($py "$dir/client.py" "$dir/a.sock" pipe | tr '\n' '|')
[ "$got" = "$ALLOW|action=552 5.3.4 message too big|$ALLOW|" ] &&
	ok "pipelined lookup, no lookup, lookup: answered in order" || bad "pipelined: $got"

# --db-failure-action and a short --db-timeout
start_policyd b --db-timeout 300 --db-connections 2 \
	--db-failure-action "DEFER_IF_PERMIT 4.3.0 try again later"
lock_db
out=$($py "$dir/client.py" "$dir/b.sock" lock 30)
waited=$(echo "$out" | awk '/^waited/ { print $2 }')
if echo "$out" | grep -q "^outcome 30 action=DEFER_IF_PERMIT 4.3.0 try again later$"; then
	ok "--db-failure-action: 30 waiting lookups get DEFER_IF_PERMIT"
else
	bad "--db-failure-action: $(echo "$out" | grep outcome | tr '\n' ';')"
fi
awk -v m="$waited" 'BEGIN { exit !(m < 900) }' &&
	ok "--db-timeout 300: all 30 answered within $waited ms of the fast one" ||
	bad "--db-timeout 300: $waited ms"
unlock_db

# SIGHUP: a database replaced by rename is read by every worker
/usr/bin/python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE access(user TEXT, network TEXT)')
c.execute(\"INSERT INTO access VALUES('test1', '10.9.9.0/24')\")
c.commit()" "$dir/new.db"
mv "$dir/new.db" "$dir/access.db"
kill -HUP "$policyd_pid"
sleep 0.3
got=$($py "$dir/client.py" "$dir/b.sock" one protocol_state=RCPT client_address=10.9.9.9 sasl_username=test1)
[ "$got" = "$ALLOW" ] && ok "SIGHUP: the new database's rows are used" || bad "after SIGHUP: $got"

for a in DUNNO OK "ok 250" PREPEND\ X-A:\ b; do
	if "$bin" --db "$dir/access.db" --db-failure-action "$a" --check >/dev/null 2>&1; then
		bad "--db-failure-action '$a' accepted"
	else
		ok "--db-failure-action '$a' refused"
	fi
done
suite_end
