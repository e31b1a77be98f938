#!/bin/bash
# 33-authd-userdb-vs-dovecot - differential test of the auth-userdb socket:
# the same USER requests (known, unknown and refused names, the passwd-file's
# uid/gid/home columns and userdb_ extra fields, temporary failures) and
# malformed lines (broken ids, no service, unknown commands, a bad VERSION,
# line length) against ref-authd's userdb: socket and a real Dovecot's
# auth-userdb reading the same passwd-file, for each Dovecot in
# SMTPDH_DOVECOT_ROOTS (as suite 32: "installed" for the host's Dovecot 2.3,
# or roots of scripts/build-peer; the default is the host's and the newest
# Dovecot 2.4, built when the cache lacks it). Against 2.4, ref-authd runs
# with --handshake 2.4 and the requests name protocol= instead of service=.
# Every reply line (the SPID value aside) and every disconnect must agree;
# Dovecot 2.4.4 and later say "VERSION 1 4" where ref-authd's 2.4 mode says
# "VERSION 1 3" (as 2.4.0-2.4.3 do): counted once as a skipped known gap.
# Usage: 33-authd-userdb-vs-dovecot.sh BUILD_DIR
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init authd-userdb-diff "${1:-}"
bin="$build/bin/ref-authd"
need "$bin"
command -v dovecot > /dev/null ||
	{ bad "dovecot missing (scripts/install-deps installs dovecot-core)"; suite_end; }
roots=${SMTPDH_DOVECOT_ROOTS-}
if [ -z "$roots" ]; then
	if r24=$("$top/scripts/build-peer" dovecot 2.4 | tail -n 1); then
		roots="installed $r24"
	else
		bad "Dovecot 2.4 cannot be built (scripts/build-peer dovecot 2.4)"
		suite_end
	fi
fi
chmod 755 "$dir"
{
	printf 'alice:{PLAIN}secret:1000:1000::/home/alice::userdb_quota_rule=*:storage=1G userdb_flag userdb_uid=2000 nologin\n'
	printf 'bare:{PLAIN}x\n'
	printf 'nouid:{PLAIN}x:\n'
	printf 'empty:{PLAIN}x::\n'
	printf 'rootuid:{PLAIN}x:0:0::/r::\n'
	printf 'named:{PLAIN}x:daemon:daemon::/h::\n'
	printf 'badname:{PLAIN}x:1000:1000::/h::userdb_uid=no-such-user-here\n'
	printf 'sys:{PLAIN}x:1000:1000::/h::userdb_system_user=foo userdb_x:protected=1 userdb_home:remove userdb_x=2 userdb_y:protected=3\n'
	printf 'tf:{PLAIN}x:1000:1000::/h::userdb_tempfail\n'
	printf 'tabbed:{PLAIN}x:1000:1000::/h::userdb_mail=a\tb\001c\n'
	printf 'dflt:{PLAIN}x:1000:1000::/h::userdb_a=1 userdb_a:default=2 userdb_b:default=3\n'
} > "$dir/passwd"
chmod 644 "$dir/passwd"

n=0 dpid="" ddir="" refpid="" skipped=0
on_exit='[ -n "$dpid" ] && "$top/scripts/dovecot-auth" stop "$ddir" "$dpid"'
for root in $roots; do
	n=$((n + 1))
	ddir=$dir/dovecot$n
	opt=() handshake=() proto=service minor=()
	[ "$root" = installed ] || opt=(--dovecot "$root")
	v=$("$top/scripts/dovecot-auth" version "${opt[@]:1}")
	case $v in
	2.3.*) ;;
	2.4.[0-3]) handshake=(--handshake 2.4) proto=protocol ;;
	*) handshake=(--handshake 2.4) proto=protocol minor=(4) ;;
	esac
	echo "== Dovecot $v ($root)"
	if ! dpid=$("$top/scripts/dovecot-auth" start "$ddir" "$dir/passwd" "authd-udb-$$-$n" 0 \
		"${opt[@]}"); then
		dpid=""
		bad "Dovecot $v did not start"
		continue
	fi
	if ! wait_socket "$ddir/run/auth-userdb"; then
		bad "Dovecot $v has no auth-userdb socket"
		"$top/scripts/dovecot-auth" stop "$ddir" "$dpid"
		dpid=""
		continue
	fi
	bg "$bin" -p "$dir/passwd" "${handshake[@]}" "userdb:unix:$dir/ref$n.sock" 2> "$dir/ref$n.log"
	refpid=$last_pid
	wait_socket "$dir/ref$n.sock" || bad "ref-authd's userdb: socket did not appear"
	out=$(/usr/bin/python3 "$top/reference/tests/userdb_differential.py" "$dir/ref$n.sock" \
		"$ddir/run/auth-userdb" "$proto" "${minor[@]}")
	echo "$out" | sed "s/^\(ok   - \|FAIL - \)/\1Dovecot $v: /" | grep -v ' passed, '
	grep -q 'ERROR: AddressSanitizer\|runtime error' "$dir/ref$n.log" &&
		{ bad "Dovecot $v: ref-authd's sanitizers reported"; cat "$dir/ref$n.log"; }
	line=$(echo "$out" | tail -n 1)
	case $line in
	*" passed, "*" failed"*)
		p=${line%% passed*} f=${line#* passed, } f=${f%% failed*}
		pass=$((pass + p)) fail=$((fail + f))
		case $line in *", 1 skipped") skipped=$((skipped + 1)) ;; esac
		;;
	*) bad "Dovecot $v: the differential did not finish" ;;
	esac
	kill "$refpid" 2> /dev/null && wait "$refpid" 2> /dev/null
	"$top/scripts/dovecot-auth" stop "$ddir" "$dpid"
	dpid=""
done
if [ "$skipped" != 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
	[ "$fail" = 0 ]
	exit
fi
suite_end
