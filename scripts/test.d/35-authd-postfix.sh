#!/bin/bash
# 35-authd-postfix - real Postfix (private instance in its own namespaces)
# with smtpd_sasl_path pointing at ref-authd: over a UNIX socket and as a
# master.cf spawn service. swaks drives SMTP AUTH with each mechanism.
# Usage: 35-authd-postfix.sh BUILD_DIR    Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="$build/bin/ref-authd"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

if ! command -v postfix > /dev/null || ! command -v swaks > /dev/null; then
	echo "postfix or swaks missing (scripts/install-deps installs them)"
	echo "0 passed, 1 failed"
	exit 1
fi
work=$(mktemp -d /tmp/authd-postfix.XXXXXX)
chmod 755 "$work"
cleanup() {
	for i in "$work"/*/; do "$top/scripts/postfix-ns" stop "$i" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

printf 'alice:{PLAIN}secret\ncarol:%s\n' "$(doveadm pw -s SHA512-CRYPT -p s3cret)" > "$work/users"
chmod 644 "$work/users"

# auth USER PASS MECH -> the SMTP reply code to AUTH
auth() {
	swaks --socket "$1/spool/public/smtpd-unix" --ehlo client.test --auth "$4" \
		--auth-user "$2" --auth-password "$3" --quit-after AUTH --timeout 20 2>&1 |
		sed -n 's/^<[-~*]* *\([0-9][0-9][0-9]\) .*/\1/p' | grep -E '^(235|535|454)$' | tail -1
}

run_instance() {
	local name=$1 path=$2 inst="$work/$1"
	mkdir -p "$inst"
	cat > "$inst/postconf" <<EOC
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $path
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
EOC
	if [ "$name" = spawn ]; then
		printf 'authspawn unix - n n - - spawn user=nobody argv=%s -p %s -d 0 spawn\n' \
			"$bin" "$work/users" > "$inst/master.cf.add"
	else
		printf '"%s" -p "%s" -d 0 --owner postfix unix:/var/spool/postfix/auth.sock 2> "%s/authd.log" &\n' \
			"$bin" "$work/users" "$inst" > "$inst/helpers.sh"
	fi
	if ! "$top/scripts/postfix-ns" start "$inst"; then
		bad "$name: private Postfix did not start"
		return
	fi
	for m in PLAIN LOGIN CRAM-MD5; do
		got=$(auth "$inst" alice secret $m)
		[ "$got" = 235 ] && ok "$name: AUTH $m right password -> 235" ||
			bad "$name: AUTH $m right password -> [$got], want 235"
		got=$(auth "$inst" alice wrong $m)
		[ "$got" = 535 ] && ok "$name: AUTH $m wrong password -> 535" ||
			bad "$name: AUTH $m wrong password -> [$got], want 535"
	done
	got=$(auth "$inst" carol s3cret PLAIN)
	[ "$got" = 235 ] && ok "$name: SHA512-CRYPT user -> 235" || bad "$name: SHA512-CRYPT user -> [$got]"
	"$top/scripts/postfix-ns" stop "$inst"
}

run_instance unix unix:/var/spool/postfix/auth.sock
run_instance spawn private/authspawn
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
