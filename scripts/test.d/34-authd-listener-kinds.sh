#!/bin/bash
# 34-authd-listener-kinds - one --handshake 2.4 ref-authd with a plain, a
# legacy: and a userdb: listener (the last from its config file): what each
# sends before the client writes (VERSION 1 3 alone; the whole handshake,
# as Dovecot 2.4's auth-legacy; VERSION and SPID of the auth-userdb
# protocol), that a client that writes first gets the rest of the 2.4
# handshake, and that legacy:spawn and an unknown prefix behave.
# Usage: 34-authd-listener-kinds.sh BUILD_DIR  Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init authd-kinds "${1:-}"
bin="$build/bin/ref-authd"
need "$bin"

printf 'alice:{PLAIN}secret:1000:1000::/home/alice::\n' > "$dir/users"
printf 'listen = userdb:unix:%s/userdb\n' "$dir" > "$dir/authd.conf"
bg "$bin" -c "$dir/authd.conf" --handshake 2.4 -p "$dir/users" -d 0 -m plain \
	"unix:$dir/client" "legacy:unix:$dir/legacy"
for s in client legacy userdb; do
	wait_socket "$dir/$s" || bad "socket $s did not appear"
done

# greeting SOCKET [CLIENT-TEXT]: what the server sends within 0.3 s, TAB as
# "#" and LF as "|" (CLIENT-TEXT is written first; \t, \n and \0 in it
# stand for TAB, LF and NUL)
greeting() {
	/usr/bin/python3 - "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
if len(sys.argv) > 2:
    s.sendall(sys.argv[2].replace("\\t", "\t").replace("\\n", "\n").replace("\\0", "\0").encode())
s.settimeout(0.3)
buf = b""
try:
    while True:
        c = s.recv(4096)
        if not c:
            break
        buf += c
except socket.timeout:
    pass
print(buf.decode().replace("\t", "#").replace("\n", "|"))
PY
}
rest='MECH#PLAIN#plaintext|SPID#[0-9]*|CUID#[0-9]*|COOKIE#[0-9a-f]\{32\}|DONE|'
plain=$(printf '\0alice\0secret' | base64)

got=$(greeting "$dir/client")
[ "$got" = 'VERSION#1#3|' ] && ok "plain listener (2.4): VERSION 1 3 alone" ||
	bad "plain listener: [$got]"
got=$(greeting "$dir/client" 'VERSION\t1\t0\n')
echo "$got" | grep -q "^VERSION#1#3|$rest\$" &&
	ok "plain listener (2.4): the rest after the client's VERSION" || bad "plain, after VERSION: [$got]"
got=$(greeting "$dir/legacy")
echo "$got" | grep -q "^VERSION#1#3|$rest\$" &&
	ok "legacy: listener: the whole handshake before the client writes" || bad "legacy: [$got]"
got=$(greeting "$dir/legacy" "VERSION\\t1\\t0\\nCPID\\t7\\nAUTH\\t1\\tPLAIN\\tservice=smtp\\tresp=$plain\\n")
echo "$got" | grep -q "^VERSION#1#3|${rest}OK#1#user=alice|\$" &&
	ok "legacy: listener: the handshake once, then AUTH answered" || bad "legacy, AUTH: [$got]"
got=$(greeting "$dir/userdb" 'VERSION\t1\t0\nUSER\t1\talice\tprotocol=lmtp\n')
echo "$got" | grep -q '^VERSION#1#3|SPID#[0-9]*|USER#1#alice#uid=1000#gid=1000#home=/home/alice|$' &&
	ok "userdb: listener from the config file: 2.4's auth-userdb answer" || bad "userdb: [$got]"

# legacy:spawn: the whole handshake on standard output at once
got=$(printf 'VERSION\t1\t0\n' | timeout 5 "$bin" --handshake 2.4 -p "$dir/users" -m plain \
	legacy:spawn 2> /dev/null | tr '\t\n' '#|')
echo "$got" | grep -q '^VERSION#1#3|MECH#PLAIN#plaintext|SPID#[0-9]*|CUID#[0-9]*|COOKIE#[0-9a-f]*|DONE|$' &&
	ok "legacy:spawn: the handshake once" || bad "legacy:spawn: [$got]"

# a prefix ref-authd does not know is a listen spec it cannot parse
msg=$("$bin" -p "$dir/users" "auth:unix:$dir/x" 2>&1)
[ $? = 2 ] && echo "$msg" | grep -q "auth:unix:$dir/x" && ok "unknown prefix refused: $msg" ||
	bad "unknown prefix: [$msg]"
suite_end
