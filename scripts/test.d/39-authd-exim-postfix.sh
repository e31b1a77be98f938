#!/bin/bash
# 39-authd-exim-postfix - one ref-authd in Dovecot 2.4's style serves two
# kinds of client at once: Postfix (a private instance, scripts/postfix-ns)
# on a 2.4-style socket, where the mechanisms follow the client's VERSION,
# and Exim's dovecot authenticator (Debian's exim4-daemon-heavy, unpacked
# by scripts/exim-private, in -bh host-checking mode) on its legacy:
# socket, which sends the whole handshake at once as Dovecot 2.4's
# auth-legacy listener does. Both sessions run at the same time: AUTH
# PLAIN with the right password is 235 and with a wrong one 535, for
# both; the ref-authd that answered is the one started (its log has both
# kinds of connection). Exim on the 2.4-style socket waits forever, as it
# does with Dovecot 2.4's auth-client: killed after 5 s without a reply.
# Then the same against a real Dovecot 2.4 (the newest Debian has, from
# scripts/build-peer, which builds it when its cache lacks it) with its
# auth-legacy listener: Exim gets 235 and 535 there and waits forever on
# its auth-client, and ref-authd's legacy: handshake is Dovecot's line for
# line (SPID, CUID and COOKIE values aside).
# Skipped when Postfix or swaks is missing or Exim cannot be fetched.
# Usage: 39-authd-exim-postfix.sh BUILD_DIR   Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init authd-exim-postfix "${1:-}"
bin="$build/bin/ref-authd"
need "$bin"

[ "$(id -u)" = 0 ] || suite_skip "needs root (namespaces)"
command -v postfix > /dev/null && command -v swaks > /dev/null ||
	suite_skip "postfix or swaks missing (scripts/install-deps installs them)"
"$top/scripts/exim-private" fetch > /dev/null 2> "$dir/fetch.err" ||
	suite_skip "Exim cannot be fetched: $(tail -n 1 "$dir/fetch.err")"

chmod 755 "$dir"
inst=$dir/pf
mkdir -p "$inst" "$dir/exim-spool" "$dir/exim-log"
chmod 777 "$dir/exim-log"
printf 'alice:{PLAIN}secret\n' > "$dir/users"
chmod 644 "$dir/users"
on_exit='"$top/scripts/postfix-ns" stop "$inst" > /dev/null 2>&1'

# the one ref-authd, inside Postfix's namespace: its sockets are files of
# the instance's spool, which Exim reaches from outside
cat > "$inst/postconf" <<EOC
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = unix:/var/spool/postfix/auth-client
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
EOC
printf '"%s" -v --handshake 2.4 -p "%s" -d 0 --mode 0666 unix:/var/spool/postfix/auth-client legacy:unix:/var/spool/postfix/auth-legacy 2> "%s/authd.log" &\n' \
	"$bin" "$dir/users" "$dir" > "$inst/helpers.sh"
if ! "$top/scripts/postfix-ns" start "$inst" > "$dir/pf.log" 2>&1; then
	cat "$dir/pf.log"
	bad "private Postfix did not start"
	suite_end
fi
wait_socket "$inst/spool/auth-legacy" || bad "ref-authd's legacy: socket did not appear"

# exim_conf SOCKET: a configuration with one dovecot authenticator
exim_conf() {
	cat <<EOC
exim_user = nobody
exim_group = nogroup
spool_directory = $dir/exim-spool
log_file_path = $dir/exim-log/%slog
primary_hostname = exim.test
acl_smtp_rcpt = accept
begin authenticators
dovecot_plain:
  driver = dovecot
  public_name = PLAIN
  server_socket = $1
  server_set_id = \$auth1
EOC
}
exim_conf "$inst/spool/auth-legacy" > "$dir/exim-legacy.conf"
exim_conf "$inst/spool/auth-client" > "$dir/exim-client.conf"

# exim_auth CONF SECS PASSWORD: Exim's reply codes to AUTH PLAIN, in -bh mode
exim_auth() {
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nQUIT\r\n' \
		"$(printf '\0alice\0%s' "$3" | base64)" |
		"$top/scripts/exim-private" run --timeout "$2" "$1" -bh 192.0.2.1 2>&1 |
		sed -n 's/^\(235\|535\|435\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//'
}
# pf_auth PASSWORD: Postfix's reply code to AUTH PLAIN
pf_auth() {
	swaks --socket "$inst/spool/public/smtpd-unix" --ehlo client.test --auth PLAIN \
		--auth-user alice --auth-password "$1" --quit-after AUTH --timeout 20 2>&1 |
		sed -n 's/^<[-~*]* *\([0-9][0-9][0-9]\) .*/\1/p' | grep -E '^(235|535|454)$' | tail -1
}

# all four at the same time
exim_auth "$dir/exim-legacy.conf" 30 secret > "$dir/e-right" &
e1=$!
exim_auth "$dir/exim-legacy.conf" 30 wrong > "$dir/e-wrong" &
e2=$!
pf_auth secret > "$dir/p-right" &
p1=$!
pf_auth wrong > "$dir/p-wrong" &
p2=$!
wait $e1 $e2 $p1 $p2

check() { # WHAT FILE WANT
	local got
	got=$(cat "$2")
	[ "$got" = "$3" ] && ok "$1 -> $3" || bad "$1 -> [$got], want $3"
}
check "Exim, legacy: socket, right password" "$dir/e-right" 235
check "Exim, legacy: socket, wrong password" "$dir/e-wrong" 535
check "Postfix, 2.4-style socket, right password" "$dir/p-right" 235
check "Postfix, 2.4-style socket, wrong password" "$dir/p-wrong" 535

# one server answered both: Exim's connections (uid nobody) and Postfix's
# smtpd's (uid postfix) are in the log of the one ref-authd started
pfuid=$(id -u postfix)
[ "$(grep -c 'uid=65534: auth ok: id=1 mech=PLAIN user=alice$' "$dir/authd.log")" = 1 ] &&
	[ "$(grep -c 'uid=65534: auth failed: id=1 mech=PLAIN user=alice' "$dir/authd.log")" = 1 ] &&
	[ "$(grep -c "uid=$pfuid: auth ok: id=[0-9]* mech=PLAIN user=alice\$" "$dir/authd.log")" = 1 ] &&
	[ "$(grep -c "uid=$pfuid: auth failed: id=[0-9]* mech=PLAIN user=alice" "$dir/authd.log")" = 1 ] &&
	[ "$(grep -c 'ready: 2 listener' "$dir/authd.log")" = 1 ] &&
	ok "one ref-authd (2 listeners) answered Exim (uid 65534) and Postfix (uid $pfuid)" ||
	{ bad "ref-authd's log does not show both clients"; cat "$dir/authd.log"; }

# Exim on the 2.4-style socket: no handshake before its VERSION, no reply
got=$(exim_auth "$dir/exim-client.conf" 5 secret)
[ -z "$got" ] && ok "Exim on the 2.4-style socket gets no reply (killed after 5 s)" ||
	bad "Exim on the 2.4-style socket -> [$got], want no reply"

"$top/scripts/postfix-ns" stop "$inst" > /dev/null 2>&1
on_exit=

# --- the same with a real Dovecot 2.4 ---------------------------------------
if ! root=$("$top/scripts/build-peer" dovecot 2.4 2> "$dir/build.err" | tail -n 1); then
	bad "Dovecot 2.4 cannot be built: $(tail -n 1 "$dir/build.err")"
	suite_end
fi
v=$("$top/scripts/dovecot-auth" version "$root")
ddir=$dir/dovecot
if ! dpid=$("$top/scripts/dovecot-auth" start "$ddir" "$dir/users" "exim-$$" 0 --dovecot "$root"); then
	bad "Dovecot $v did not start"
	suite_end
fi
on_exit='"$top/scripts/dovecot-auth" stop "$ddir" "$dpid"'
exim_conf "$ddir/run/auth-legacy" > "$dir/exim-dlegacy.conf"
exim_conf "$ddir/run/auth-client" > "$dir/exim-dclient.conf"
exim_auth "$dir/exim-dlegacy.conf" 30 secret > "$dir/d-right" &
e1=$!
exim_auth "$dir/exim-dlegacy.conf" 30 wrong > "$dir/d-wrong" &
e2=$!
exim_auth "$dir/exim-dclient.conf" 5 secret > "$dir/d-client" &
e3=$!
wait $e1 $e2 $e3
check "Exim, Dovecot $v auth-legacy, right password" "$dir/d-right" 235
check "Exim, Dovecot $v auth-legacy, wrong password" "$dir/d-wrong" 535
[ -z "$(cat "$dir/d-client")" ] && ok "Exim on Dovecot $v's auth-client gets no reply either" ||
	bad "Exim on Dovecot $v's auth-client -> [$(cat "$dir/d-client")], want no reply"

# the legacy handshakes side by side (ref-authd offers Dovecot's mechanisms)
bg "$bin" --handshake 2.4 -p "$dir/users" -d 0 "legacy:unix:$dir/ref-legacy" 2> "$dir/ref.log"
wait_socket "$dir/ref-legacy" || bad "ref-authd's legacy: socket did not appear"
hs() {
	/usr/bin/python3 - "$1" <<'PY'
import re, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(0.3)
lines = []
try:
    for line in s.makefile("rb"):
        lines.append(line)
        if line == b"DONE\n":
            break
except socket.timeout:
    pass
buf = b"".join(lines)
print(re.sub(r"(SPID|CUID|COOKIE)\t[0-9a-f]+", r"\1\t<n>", buf.decode()).replace("\t", "#"))
PY
}
ref=$(hs "$dir/ref-legacy")
dov=$(hs "$ddir/run/auth-legacy")
# Dovecot 2.4.4 and later say VERSION 1 4 where ref-authd's 2.4 mode says 1 3
# (as 2.4.0-2.4.3), and 2.4.5 lists MECH DOVECOT-TOKEN private in every
# handshake (both known gaps of suites 32 and 33): compared without them
note=
case $v in
2.4.[0-3]) ;;
*)
	dov=$(echo "$dov" | sed 's/^VERSION#1#4$/VERSION#1#3/' | grep -v '^MECH#DOVECOT-TOKEN#private$')
	note=", its VERSION 1 4 and DOVECOT-TOKEN aside"
	;;
esac
[ -n "$ref" ] && [ "$ref" = "$dov" ] &&
	ok "ref-authd's legacy: handshake is Dovecot $v's auth-legacy handshake ($(echo "$ref" | wc -l) lines$note)" ||
	{ bad "legacy handshakes differ"; printf 'ref-authd:\n%s\ndovecot:\n%s\n' "$ref" "$dov"; }
suite_end
