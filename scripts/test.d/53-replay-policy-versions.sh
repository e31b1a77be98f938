#!/bin/bash
# 53-replay-policy-versions - fake-smtpd replay's policy macro sends the
# attribute set of --postfix-version, in Postfix's order (protocols.md B.2):
# a spawned helper logs every request it gets; the names are compared with
# lists written out here from B.2, for 2.1, 3.0, 3.7 (the default with a
# postconf that says 3.7.11) and a 3.12 snapshot (3.12 is not released);
# overrides of an attribute the version does not send go back to its
# Postfix position, unknown names to the end, -NAME leaves one out.
# Usage: 53-replay-policy-versions.sh BUILD_DIR   Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
fs="$build/bin/fake-smtpd"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
dir=$(mktemp -d /tmp/replay-versions.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# the helper: one connection on stdin/stdout; appends each request to LOG,
# blocks separated by an empty line, and answers DUNNO
cat > "$dir/logger.py" <<'EOF'
import sys
log = open(sys.argv[1], "a")
block = []
for line in sys.stdin:
    if line == "\n":
        log.write("".join(block) + "\n")
        log.flush()
        block = []
        sys.stdout.write("action=DUNNO\n\n")
        sys.stdout.flush()
    else:
        block.append(line)
EOF
printf 'protocol policy\npolicy\nexpect action DUNNO\n' > "$dir/plain.tr"
mkdir "$dir/pc" && printf '#!/bin/sh\necho 3.7.11\n' > "$dir/pc/postconf" && chmod +x "$dir/pc/postconf"
printf 'protocol policy\npolicy sasl_username=test1 -client_name foo_bar=1 tls_sni=mx.example\nexpect action DUNNO\n' > "$dir/over.tr"

names() {	# names VERSION TRANSCRIPT -> the attribute names of the one request sent
	local out rc
	rm -f "$dir/log"
	if [ -n "$1" ]; then
		out=$(timeout 30 "$fs" replay --fast --postfix-version "$1" \
			"spawn:/usr/bin/python3 $dir/logger.py $dir/log" "$2" 2>&1)
	else
		# the default: the installed Postfix's version, here a postconf that says 3.7.11
		out=$(PATH="$dir/pc:$PATH" timeout 30 "$fs" replay --fast \
			"spawn:/usr/bin/python3 $dir/logger.py $dir/log" "$2" 2>&1)
	fi
	rc=$?
	[ $rc = 0 ] || { echo "replay exit $rc: $out" >&2; return 1; }
	[ "$(grep -c '^$' "$dir/log")" = 1 ] || { echo "not exactly one request logged" >&2; return 1; }
	sed -n 's/=.*//p' "$dir/log" | tr '\n' ' ' | sed 's/ $//'
}
check() {	# check NAME VERSION TRANSCRIPT WANT
	local got
	got=$(names "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1"; else bad "$1: got [$got], want [$4]"; fi
}

v21="request protocol_state protocol_name client_address client_name helo_name sender recipient queue_id instance"
v30="request protocol_state protocol_name client_address client_name client_port reverse_client_name helo_name sender recipient recipient_count queue_id instance size etrn_domain stress sasl_method sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize"
v37="request protocol_state protocol_name client_address client_name client_port reverse_client_name server_address server_port helo_name sender recipient recipient_count queue_id instance size etrn_domain stress sasl_method sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize policy_context"
v312="request protocol_state protocol_name client_address client_name client_port reverse_client_name server_address server_port helo_name sender recipient recipient_count queue_id instance size etrn_domain stress sasl_method sasl_username sasl_sender ccert_subject ccert_issuer ccert_fingerprint ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize tls_sni policy_context compatibility_level mail_version"

check "2.1: the ten attributes of Postfix 2.1, in order" 2.1 "$dir/plain.tr" "$v21"
check "3.0: client_port, reverse_client_name, sasl_*, ccert_*, encryption_* join, no server_*" 3.0 "$dir/plain.tr" "$v30"
check "no --postfix-version: the installed Postfix's set (3.7.11)" "" "$dir/plain.tr" "$v37"
check "3.7.11: the same" 3.7.11 "$dir/plain.tr" "$v37"
check "3.12-20260821: tls_sni, compatibility_level, mail_version" 3.12-20260821 "$dir/plain.tr" "$v312"
check "3.12-20260710 (before tls_sni)" 3.12-20260710 "$dir/plain.tr" "${v312/ tls_sni/}"
check "2.1 with overrides: sasl_username at its place, -client_name, unknown last" 2.1 "$dir/over.tr" \
	"request protocol_state protocol_name client_address helo_name sender recipient queue_id instance sasl_username tls_sni foo_bar"
check "3.12-20260821 with overrides: tls_sni replaced in place" 3.12-20260821 "$dir/over.tr" \
	"$(echo "$v312" | sed 's/ client_name / /') foo_bar"

# values: the 3.12 request carries its own mail_version and the override values
names 3.12-20260821 "$dir/over.tr" > /dev/null
grep -qx 'mail_version=3.12-20260821' "$dir/log" && grep -qx 'compatibility_level=3.6' "$dir/log" &&
	grep -qx 'tls_sni=mx.example' "$dir/log" && grep -qx 'sasl_username=test1' "$dir/log" &&
	grep -qx 'protocol_state=RCPT' "$dir/log" &&
	ok "3.12-20260821 values: its mail_version, compatibility_level=3.6, overrides as given" ||
	bad "3.12 values: $(tr '\n' ' ' < "$dir/log")"
names 3.8-20220816 "$dir/plain.tr" > /dev/null
grep -qx 'mail_version=3.8-20220816' "$dir/log" && ok "a snapshot's mail_version is the snapshot" ||
	bad "snapshot mail_version: $(grep mail_version "$dir/log")"

# no note that the request is 3.7's any more
out=$(timeout 30 "$fs" replay --fast -v --postfix-version 2.1 "spawn:/usr/bin/python3 $dir/logger.py $dir/log" "$dir/plain.tr" 2>&1)
echo "$out" | grep -q "3.7's attribute set" && bad "replay still says it sends 3.7's attribute set" ||
	ok "the report does not claim a 3.7 request"

# an action that is not UTF-8: smtputf8_enable (yes since 3.0) makes
# Postfix apply the default action (smtpd_check.c valid_utf8_action), once
# per request; 2.11 has no such check and rejects with the text
printf 'import sys\nfor line in sys.stdin.buffer:\n    if line == b"\\n":\n        sys.stdout.buffer.write(b"action=REJECT caf\\xe9\\n\\n")\n        sys.stdout.buffer.flush()\n' > "$dir/latin1.py"
printf 'protocol policy\npolicy\nexpect smtp 451 4.3.5 *Server configuration problem\n' > "$dir/utf8.tr"
printf 'protocol policy\npolicy\nexpect smtp 554 5.7.1 *caf*\n' > "$dir/latin1.tr"
out=$(timeout 30 "$fs" replay --fast -v --postfix-version 3.7 "spawn:/usr/bin/python3 $dir/latin1.py" "$dir/utf8.tr" 2>&1)
[ $? = 0 ] && echo "$out" | grep -q "malformed UTF-8 (smtputf8_enable=yes)" &&
	ok "3.7: an action that is not UTF-8 gives the default action" || bad "3.7 latin-1 action: $out"
out=$(timeout 30 "$fs" replay --fast -v --postfix-version 2.11 "spawn:/usr/bin/python3 $dir/latin1.py" "$dir/latin1.tr" 2>&1)
[ $? = 0 ] && ok "2.11: the same action is taken as it is" || bad "2.11 latin-1 action: $out"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
