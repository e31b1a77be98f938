#!/bin/bash
# 32-authd-vs-dovecot - differential test: the same exchanges against
# ref-authd and a real Dovecot 2.3 auth server reading the same passwd-file
# (private instance: own base_dir, auth penalty and failure delay off).
# Usage: 32-authd-vs-dovecot.sh BUILD_DIR   Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/authd-diff.XXXXXX)
chmod 755 "$dir"
refpid="" dpid=""
cleanup() {
	[ -n "$refpid" ] && kill "$refpid" 2>/dev/null && wait "$refpid" 2>/dev/null
	[ -n "$dpid" ] && "$top/scripts/dovecot-auth" stop "$dir" "$dpid"
	rm -rf "$dir"
}
trap cleanup EXIT
if ! command -v dovecot > /dev/null; then
	echo "dovecot missing (scripts/install-deps installs dovecot-core)"
	echo "0 passed, 1 failed"
	exit 1
fi
printf 'alice:{PLAIN}secret:1000:1000::%s::\nbob:%s:1000:1000::%s::\n' "$dir" \
	"$(doveadm pw -s CRAM-MD5 -p secret)" "$dir" > "$dir/passwd"
# users with extra fields (the eighth field): visible, hidden-only, renames,
# nopassword, fail, a repeated name, a tab inside a value
{
	printf 'visible:{PLAIN}pw:1000:1000::%s::quota=10M nologin reason=a\tb\n' "$dir"
	printf 'hidden:{PLAIN}pw:1000:1000::%s::userdb_home=/x userdb_uid=7\n' "$dir"
	printf 'renamed:{PLAIN}pw:1000:1000::%s::user=newname quota=1\n' "$dir"
	printf 'renamedonly:{PLAIN}pw:1000:1000::%s::user=other\n' "$dir"
	printf 'samename:{PLAIN}pw:1000:1000::%s::user=samename\n' "$dir"
	printf 'dom@example.com:{PLAIN}pw:1000:1000::%s::username=x\n' "$dir"
	printf 'adddom:{PLAIN}pw:1000:1000::%s::domain=example.org\n' "$dir"
	printf 'free::1000:1000::%s::nopassword\n' "$dir"
	printf 'freeshown::1000:1000::%s::nopassword quota=2\n' "$dir"
	printf 'notfree:{PLAIN}pw:1000:1000::%s::nopassword\n' "$dir"
	printf 'failing:{PLAIN}pw:1000:1000::%s::fail quota=3\n' "$dir"
	printf 'failren:{PLAIN}pw:1000:1000::%s::fail user=gone\n' "$dir"
	printf 'emptyren:{PLAIN}pw:1000:1000::%s::user=\n' "$dir"
	printf 'twice:{PLAIN}pw:1000:1000::%s::a=1 b=2 a=3\n' "$dir"
	printf 'twice:{PLAIN}other:1000:1000::%s::\n' "$dir"
	printf ':{PLAIN}pw:1000:1000::%s::\n' "$dir"
	printf 'bare\n'
	printf 'cram:%s:1000:1000::%s::quota=4 user=cram2\n' "$(doveadm pw -s CRAM-MD5 -p pw)" "$dir"
	printf 'cramhidden:%s:1000:1000::%s::userdb_uid=8\n' "$(doveadm pw -s CRAM-MD5 -p pw)" "$dir"
	# {SCRAM-SHA-256} values made here: 1000 rounds (Dovecot refuses under 4096) and 4096
	for u in lowiter:1000 scramok:4096; do
		printf '%s:{SCRAM-SHA-256}%s:1000:1000::%s::\n' "${u%%:*}" "$(/usr/bin/python3 -c '
import base64, hashlib, hmac, sys
salt = b"0123456789abcdef"
sp = hashlib.pbkdf2_hmac("sha256", b"pw", salt, int(sys.argv[1]))
ck = hmac.new(sp, b"Client Key", "sha256").digest()
sk = hmac.new(sp, b"Server Key", "sha256").digest()
e = lambda b: base64.b64encode(b).decode()
print("%s,%s,%s,%s" % (sys.argv[1], e(salt), e(hashlib.sha256(ck).digest()), e(sk)))' "${u#*:}")" "$dir"
	done
} >> "$dir/passwd"
chmod 644 "$dir/passwd"
if ! dpid=$("$top/scripts/dovecot-auth" start "$dir" "$dir/passwd" authd-diff-$$); then
	echo "0 passed, 1 failed"
	exit 1
fi
"$build/bin/ref-authd" -p "$dir/passwd" -d 0 -m plain,login,cram-md5,scram-sha-1,scram-sha-256 "unix:$dir/ref.sock" 2> "$dir/ref.log" &
refpid=$!
for _ in $(seq 60); do [ -S "$dir/ref.sock" ] && break; sleep 0.05; done
/usr/bin/python3 "$top/reference/tests/authd_differential.py" "$dir/ref.sock" "$dir/run/auth-client"
