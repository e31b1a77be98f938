#!/bin/bash
# 38-authd-harden - ref-authd against hostile local clients: a PLAIN login
# for a {SCRAM-SHA-256} user with 600,000 PBKDF2 rounds runs on the worker
# threads (another client's {PLAIN} login is answered within 100 ms, p99),
# and a passwd-file asking for more than 1,000,000 rounds is refused;
# 20 connections x 1,024 SCRAM requests with a 12,000-byte client nonce
# (915 MB of pending state unbounded) are cut off by --max-pending-bytes
# and --max-pending-total: the server grows by less than 64 MB (ASan's
# quarantine off, so that freed memory is given back as in a release
# build), says why it disconnects them, and ordinary logins go on;
# 300 connections that never read 200 big OK replies each are cut off
# by --max-pending-total too (their queued output counts). All three at
# once, with the defaults: other clients' {PLAIN} logins p99 under 100 ms
# and the server under 64 MB of RSS (the figures printed).
# SCRAM for an unknown user gets a server-first like a known user's (a
# stable salt, the same rounds) and the same FAIL after the proof, timed
# alike.
# Usage: 38-authd-harden.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init authd-harden "${1:-}"
bin="$build/bin/ref-authd"
need "$bin"
attack="/usr/bin/python3 $top/reference/tests/authd_attack.py"

# field FIELD LINE - the value of FIELD=... in an authd_attack.py result line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# below A B - is the number A below B
below() { /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }
scram() { # USER PASSWORD ROUNDS: a {SCRAM-SHA-256} passwd-file line
	/usr/bin/python3 - "$@" <<'PY'
import base64, hashlib, hmac, sys
user, pw, it = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
salt = b"0123456789abcdef"
sp = hashlib.pbkdf2_hmac("sha256", pw, salt, it)
ck = hmac.new(sp, b"Client Key", "sha256").digest()
sk = hmac.new(sp, b"Server Key", "sha256").digest()
b = lambda x: base64.b64encode(x).decode()
print("%s:{SCRAM-SHA-256}%d,%s,%s,%s" % (user, it, b(salt), b(hashlib.sha256(ck).digest()), b(sk)))
PY
}

{ echo 'alice:{PLAIN}secret'; scram slow s3cret 600000
  printf 'big:{PLAIN}pw::::::quota=%s\n' "$(head -c 6000 /dev/zero | tr '\0' a)"; } > "$dir/users"

# --- the stall: PBKDF2 for PLAIN logins off the event loop ---------------
bg "$bin" -p "$dir/users" -d 0 -w 2 --log-file "$dir/log" "unix:$dir/a.sock"
pid=$last_pid
wait_socket "$dir/a.sock" || bad "no socket"
r=$($attack "$dir/a.sock" "$pid" 3 stall=4:slow:s3cret)
echo "# stall: $r"
if [ "$(field ok "$r")" -gt 10 ]; then ok "ordinary logins answered during the PBKDF2 stall"
else bad "ordinary logins: $r"; fi
if below "$(field p99_ms "$r")" 100; then ok "{PLAIN} login p99 under 100 ms while PBKDF2 runs"
else bad "{PLAIN} login p99 $(field p99_ms "$r") ms (want < 100)"; fi
grep -q "auth ok: id=1 mech=PLAIN user=slow" "$dir/log" &&
	ok "the 600,000-round SCRAM user logs in with PLAIN" || bad "no PLAIN login for the SCRAM user"

# --- the memory attack: pending requests bounded in bytes -----------------
# mem_attack NAME OPTIONS...: the attack against a server started with OPTIONS
mem_attack() {
	local name=$1 r grow
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
		bg "$bin" -p "$dir/users" -d 0 --log-file "$dir/log.$name" "$@" "unix:$dir/$name.sock"
	wait_socket "$dir/$name.sock" || bad "$name: no socket"
	r=$($attack "$dir/$name.sock" "$last_pid" 2 memory=20:1024:12000)
	echo "# $name: $r"
	grow=$(( $(field rss_max_kb "$r") - $(field rss_start_kb "$r") ))
	if [ "$grow" -lt 65536 ]; then ok "$name: RSS grew by $grow KB (< 64 MB)"
	else bad "$name: RSS grew by $grow KB"; fi
	if [ "$(field ok "$r")" -gt 10 ] && below "$(field p99_ms "$r")" 100; then
		ok "$name: ordinary logins answered, p99 under 100 ms"
	else bad "$name: ordinary logins: $r"; fi
}
mem_attack perconn
grep -q "Authentication client [0-9]* has more than 1048576 bytes in pending requests" \
	"$dir/log.perconn" && ok "perconn: the disconnect is logged with the bound" ||
	bad "perconn: no log line for --max-pending-bytes"
mem_attack total --max-pending-bytes 0 --max-pending-total 8m
grep -q "pending requests and unread output of all clients above --max-pending-total 8388608 bytes: disconnecting client [0-9]*, the largest" \
	"$dir/log.total" && ok "total: the eviction is logged with the bound" ||
	bad "total: no log line for --max-pending-total"

# --- unread output counts in --max-pending-total --------------------------
# 300 connections x 200 PLAIN logins for a user whose OK carries 6 KB of
# fields, never reading: nothing stays pending, but each queue holds ~54 KB
# beyond what the socket buffers took (16 MB in all, unbounded)
unread_attack() {	# NAME OPTIONS...: grow, the server's RSS growth in KB
	local name=$1 r
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
		bg "$bin" -p "$dir/users" -d 0 --max-pending-bytes 0 --log-file "$dir/log.$name" "$@" \
		"unix:$dir/$name.sock"
	wait_socket "$dir/$name.sock" || bad "$name: no socket"
	r=$($attack "$dir/$name.sock" "$last_pid" 2 unread=300:200:big:pw)
	echo "# $name: $r"
	grow=$(( $(field rss_max_kb "$r") - $(field rss_start_kb "$r") ))
	if [ "$(field ok "$r")" -gt 10 ] && below "$(field p99_ms "$r")" 100; then
		ok "$name: ordinary logins answered, p99 $(field p99_ms "$r") ms"
	else bad "$name: ordinary logins: $r"; fi
}
unread_attack unread --max-pending-total 8m
g8=$grow
n=$(grep -c "pending requests and unread output of all clients above --max-pending-total 8388608 bytes: disconnecting client [0-9]*, the largest (0 requests, 0 bytes; [0-9]* bytes of output)" "$dir/log.unread")
[ "$n" -gt 100 ] && ok "unread replies: $n clients disconnected at --max-pending-total, their output counted" ||
	bad "unread replies: $n evictions logged (want > 100)"
unread_attack unbounded --max-pending-total 0
[ "$g8" -lt "$grow" ] && ok "unread replies: RSS grew by $g8 KB with the bound, $grow KB without" ||
	bad "unread replies: RSS grew by $g8 KB with the bound, $grow KB without"

# --- all together: stall, memory and unread replies with ordinary clients --
# the defaults (--max-pending-bytes 1m, --max-pending-total 16m), two workers
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	bg "$bin" -p "$dir/users" -d 0 -w 2 --log-file "$dir/log.all" "unix:$dir/all.sock"
wait_socket "$dir/all.sock" || bad "all: no socket"
r=$($attack "$dir/all.sock" "$last_pid" 4 stall=4:slow:s3cret memory=20:1024:12000 \
	unread=100:200:big:pw)
echo "# all together: $r"
echo "# {PLAIN} logins: $(field probes "$r") answered, p50 $(field p50_ms "$r") ms, p99 $(field p99_ms "$r") ms, max $(field max_ms "$r") ms; RSS $(field rss_start_kb "$r") KB at start, at most $(field rss_max_kb "$r") KB"
if [ "$(field ok "$r")" -gt 10 ] && below "$(field p99_ms "$r")" 100; then
	ok "all together: {PLAIN} logins p99 $(field p99_ms "$r") ms (< 100 ms)"
else bad "all together: {PLAIN} logins: $r"; fi
if [ "$(field rss_max_kb "$r")" -lt 65536 ]; then
	ok "all together: the server's RSS at most $(field rss_max_kb "$r") KB (< 64 MB)"
else bad "all together: RSS $(field rss_max_kb "$r") KB"; fi
grep -q "auth ok: id=[0-9]* mech=PLAIN user=slow" "$dir/log.all" &&
	ok "all together: the 600,000-round user still logs in" || bad "all together: no slow login"

# --- SCRAM: an unknown user answered as a known one ---------------------
bg "$bin" -p "$dir/users" -d 300ms --log-file "$dir/log.enum" "unix:$dir/e.sock"
wait_socket "$dir/e.sock" || bad "enum: no socket"
probe="/usr/bin/python3 $top/reference/tests/authd_scram_probe.py $dir/e.sock"	# N USER...
out=$($probe 16 alice nobody)
k=$(echo "$out" | grep '^user=alice ')
u=$(echo "$out" | grep '^user=nobody ')
echo "# known:   $k"
echo "# unknown: $u"
if [ "$(field first "$u")" = CONT ] && [ "$(field iters "$u")" = "$(field iters "$k")" ] &&
	[ "$(field salts "$u")" = 1 ] && [ "$(field salts "$k")" = 1 ]; then
	ok "unknown user: a server-first like a known one's (one salt per user, $(field iters "$u") rounds)"
else bad "unknown user's first reply: $u (known: $k)"; fi
if [ "$(field final "$u")" = "FAIL/ID/user=nobody" ] && [ "$(field final "$k")" = "FAIL/ID/user=alice" ]; then
	ok "unknown user: the same FAIL as a wrong password, after the proof"
else bad "final replies: $(field final "$u") / $(field final "$k")"; fi
# the fastest of 16 interleaved answers each: what a patient client sees
# through the noise of a busy machine
diff_ms() { /usr/bin/python3 -c 'import sys; print("%.1f" % abs(float(sys.argv[1]) - float(sys.argv[2])))' "$@"; }
dfirst=$(diff_ms "$(field first_min_ms "$u")" "$(field first_min_ms "$k")")
dfinal=$(diff_ms "$(field final_min_ms "$u")" "$(field final_min_ms "$k")")
if below "$dfirst" 10 && below "$dfinal" 20; then
	ok "unknown vs known: the fastest first replies differ by $dfirst ms, the FAILs by $dfinal ms"
else bad "timing tells them apart: first $dfirst ms, final $dfinal ms"; fi
grep -q "auth failed: id=[0-9]* mech=SCRAM-SHA-256 user=nobody: Unknown user" "$dir/log.enum" &&
	ok "the log still says Unknown user" || bad "no 'Unknown user' in the log"

# --- the bound on rounds -------------------------------------------------
scram big pw 1000001 > "$dir/big"
timeout 10 "$bin" -p "$dir/big" "unix:$dir/b.sock" 2> "$dir/biglog"
st=$?
if [ $st = 2 ] && grep -q "big:1: user big: SCRAM iteration count above 1000000" "$dir/biglog"; then
	ok "1,000,001 rounds refused at start with file:line"
else bad "1,000,001 rounds: exit $st, $(cat "$dir/biglog")"; fi
suite_end
