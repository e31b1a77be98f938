#!/bin/bash
# 30-authd-wire - ref-authd over a real UNIX socket, driven by Dovecot's own
# client (doveadm auth test) and by raw protocol lines.
# Usage: 30-authd-wire.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
build=${1:?usage: $0 BUILD_DIR}
bin="$build/bin/ref-authd"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

dir=$(mktemp -d /tmp/authd-wire.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
	echo "ref-authd not built at $bin"
	echo "0 passed, 1 failed"
	exit 1
fi
{
	echo "alice:{PLAIN}secret"
	echo "bob:$(doveadm pw -s SHA512-CRYPT -p hunter2)"
	echo "carol:$(doveadm pw -s CRAM-MD5 -p c4rol)"
} > "$dir/users"
"$bin" -p "$dir/users" -d 0 "unix:$dir/auth.sock" 2> "$dir/log" &
pid=$!
for _ in $(seq 50); do [ -S "$dir/auth.sock" ] && break; sleep 0.1; done

# Dovecot's own client: right password rc 0, wrong rc 77
for row in "alice secret 0" "alice wrong 77" "bob hunter2 0" "bob hunter3 77" "nobody x 77"; do
	set -- $row
	doveadm auth test -a "$dir/auth.sock" "$1" "$2" > /dev/null 2>&1
	rc=$?
	if [ "$rc" = "$3" ]; then ok "doveadm auth test $1/$2 -> rc $rc"; else bad "doveadm auth test $1/$2 -> rc $rc, want $3"; fi
done

# exchange ID: send lines, compare the replies (handshake lines filtered)
exchange() {
	printf "$1" | timeout 5 socat -t 1 - "UNIX-CONNECT:$dir/auth.sock" 2>/dev/null |
		grep -Ev '^(VERSION|MECH|SPID|CUID|COOKIE|DONE)' | tr '\t' '|'
}
check() {
	local name=$1 input=$2 want=$3 got
	got=$(exchange "$input")
	if [ "$got" = "$want" ]; then ok "$name"; else bad "$name: got [$got] want [$want]"; fi
}
hs='VERSION\t1\t0\nCPID\t42\n'
check "PLAIN ok" "${hs}AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=AGFsaWNlAHNlY3JldA==\n" \
	"OK|1|user=alice"
check "PLAIN wrong password" "${hs}AUTH\t7\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHdyb25n\n" "FAIL|7|user=alice"
check "PLAIN no resp: empty CONT" "${hs}AUTH\t2\tPLAIN\tservice=smtp\n" "CONT|2|"
check "resp== is an empty response" "${hs}AUTH\t2\tPLAIN\tservice=smtp\tresp==\n" "FAIL|2"
check "invalid base64 keeps the connection" \
	"${hs}AUTH\t3\tPLAIN\tservice=smtp\tresp=YQ\nAUTH\t4\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n" \
	"FAIL|3|code=invalid_base64|reason=Invalid base64 data in initial response
OK|4|user=alice"
check "LOGIN prompts" "${hs}AUTH\t5\tLOGIN\tservice=smtp\nCONT\t5\tYWxpY2U=\nCONT\t5\tc2VjcmV0\n" \
	"CONT|5|VXNlcm5hbWU6
CONT|5|UGFzc3dvcmQ6
OK|5|user=alice"
check "mechanism case-insensitive" "${hs}AUTH\t1\tplain\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n" "OK|1|user=alice"
check "unknown id" "${hs}CONT\t9\tAAAA\n" "FAIL|9|reason=Authentication request timed out"
check "CONT after FAIL: request gone" "${hs}AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHdyb25n\nCONT\t1\tAAAA\n" \
	"FAIL|1|user=alice
FAIL|1|reason=Authentication request timed out"
check "params after resp disconnect" "${hs}AUTH\t1\tPLAIN\tservice=smtp\tresp=AAAA\tx=1\nAUTH\t2\tPLAIN\tservice=smtp\n" ""
check "missing service disconnects" "${hs}AUTH\t1\tPLAIN\tresp=AGFsaWNlAHNlY3JldA==\n" ""
check "unknown mechanism disconnects" "${hs}AUTH\t1\tGSSAPI\tservice=smtp\n" ""
check "AUTH before CPID disconnects" "VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n" ""
check "duplicate id disconnects" "${hs}AUTH\t1\tLOGIN\tservice=smtp\nAUTH\t1\tLOGIN\tservice=smtp\n" "CONT|1|VXNlcm5hbWU6"

# CRAM-MD5 with a {CRAM-MD5} stored value: compute the answer from the challenge
chal=$( (printf "${hs}AUTH\t1\tCRAM-MD5\tservice=smtp\n"; sleep 0.5) | timeout 5 socat -t 1 - "UNIX-CONNECT:$dir/auth.sock" |
	awk -F'\t' '$1=="CONT"{print $3}' | base64 -d)
case "$chal" in
"<"[0-9]*"."[0-9]*"@"*">") ok "CRAM-MD5 challenge shape $chal" ;;
*) bad "CRAM-MD5 challenge shape [$chal]" ;;
esac

# 16383-byte line accepted, 16384 + LF closes (Dovecot's buffer bound)
long=$(head -c 16370 /dev/zero | tr '\0' 'A')
got=$( (printf "${hs}"; printf 'AUTH\t1\tPLAIN\tservice=smtp\tx=%s\n' "${long:0:16383-28}"; sleep 0.3) |
	timeout 5 socat -t 1 - "UNIX-CONNECT:$dir/auth.sock" | grep -c '^CONT')
[ "$got" = 1 ] && ok "16383-byte line accepted" || bad "16383-byte line: $got CONT lines"
got=$( (printf "${hs}"; printf 'AUTH\t1\tPLAIN\tservice=smtp\tx=%s\n' "${long:0:16384-28}"; sleep 0.3) |
	timeout 5 socat -t 1 - "UNIX-CONNECT:$dir/auth.sock" | grep -c '^CONT')
[ "$got" = 0 ] && ok "16384-byte line closes the connection" || bad "16384-byte line answered"
grep -q 'BUG: Auth client [0-9]* sent us more than 16384 bytes' "$dir/log" && ok "over-long line logged" ||
	bad "over-long line not logged"

# the server is still alive after all that
doveadm auth test -a "$dir/auth.sock" alice secret > /dev/null 2>&1 && ok "still serving" || bad "not serving"
# the same server from a config file (listen = ... inside)
printf '# ref-authd\npasswd-file = %s\nfailure-delay = 0\nmechanisms = plain\nlisten = unix:%s\n' \
	"$dir/users" "$dir/conf.sock" > "$dir/ref-authd.conf"
"$bin" --config "$dir/ref-authd.conf" 2>> "$dir/log" &
cpid=$!
for _ in $(seq 50); do [ -S "$dir/conf.sock" ] && break; sleep 0.1; done
doveadm auth test -a "$dir/conf.sock" alice secret > /dev/null 2>&1 && ok "--config: listens and serves" ||
	bad "--config: not serving"
kill "$cpid"; wait "$cpid" 2>/dev/null
printf 'passwd-file = x\nbogus = 1\n' > "$dir/bad.conf"
msg=$("$bin" --config "$dir/bad.conf" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q "bad.conf:2: unknown setting bogus" && ok "--config: error names file:line" ||
	bad "--config error: rc $rc: $msg"
kill "$pid"; wait "$pid"; rc=$?; pid=""
[ "$rc" = 0 ] && ok "SIGTERM: clean exit" || bad "SIGTERM: exit $rc"
[ -e "$dir/auth.sock" ] && bad "socket left behind" || ok "socket removed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
