#!/bin/bash
# 32-authd-vs-dovecot - differential test: the same exchanges against
# ref-authd and a real Dovecot auth server reading the same passwd-file
# (private instance: own base_dir, auth penalty and failure delay off),
# for each Dovecot in SMTPDH_DOVECOT_ROOTS (blank-separated: "installed"
# for the host's Dovecot 2.3, or a root made by scripts/build-peer). The
# default is the host's and the newest Dovecot 2.4 Debian has, built by
# scripts/build-peer when its cache lacks it (about 6 minutes on 2 cores;
# SMTPDH_DOVECOT_ROOTS=installed leaves it out). Against 2.4, ref-authd
# runs with --handshake 2.4.
# Exchanges where real Dovecot 2.4 answers otherwise than 2.3 and
# ref-authd's 2.4 mode does not follow yet, or follows 2.4.5 where 2.4.1
# differs, are listed in GAPS_24 (the exchange's name, the versions, what
# that Dovecot does): against 2.4 they count as skipped,
# each printed with its reason, and one that agrees fails the run (drop
# it from the list). Any other difference fails.
# Usage: 32-authd-vs-dovecot.sh BUILD_DIR
# Last line: "N passed, N failed[, N skipped]".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/authd-diff.XXXXXX)
chmod 755 "$dir"
refpid="" dpid="" ddir=""
stop_servers() {
	[ -n "$refpid" ] && kill "$refpid" 2>/dev/null && wait "$refpid" 2>/dev/null
	[ -n "$dpid" ] && "$top/scripts/dovecot-auth" stop "$ddir" "$dpid"
	refpid="" dpid=""
}
cleanup() {
	stop_servers
	rm -rf "$dir"
}
trap cleanup EXIT
if ! command -v dovecot > /dev/null; then
	echo "dovecot missing (scripts/install-deps installs dovecot-core)"
	echo "0 passed, 1 failed"
	exit 1
fi
roots=${SMTPDH_DOVECOT_ROOTS-}
if [ -z "$roots" ]; then
	if r24=$("$top/scripts/build-peer" dovecot 2.4); then
		roots="installed $r24"
	else
		echo "Dovecot 2.4 cannot be built (scripts/build-peer dovecot 2.4)"
		echo "0 passed, 1 failed"
		exit 1
	fi
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
declare -A GAPS_24=(
	["invalid base64 in CONT"]="2.4.1|closes the connection after its FAIL code=invalid_base64; ref-authd follows 2.4.5 (keeps it)"
	["extra: user without password"]="2.4.1|takes a passwd-file line without a password field as no password: OK; ref-authd follows 2.4.5 (FAIL)"
	["SCRAM two-byte gs2 flag"]="2.4.1|takes the gs2 flag \"nx\" as \"n\" (as 2.3): OK; ref-authd follows 2.4.5 (FAIL)"
	["SCRAM empty authzid"]="2.4.1|answers FAIL user=alice (as 2.3); ref-authd follows 2.4.5 (FAIL without user=)"
)

# gap NAME VERSION: the reason, if NAME is a known gap against VERSION
gap() {
	local e=${GAPS_24[$1]-}
	case " ${e%%|*} " in *" $2 "*) echo "${e#*|}" ;; esac
}

# judge_24 VERSION OUTPUT: the differential's result against Dovecot 2.4
# with the known gaps skipped, each named; sets p, f and sk. Dovecot 2.4.5
# lists "MECH DOVECOT-TOKEN private" in every handshake (src/auth/
# auth-client-connection.c), ref-authd does not: an exchange that differs
# in that alone agrees, and the handshake counts once as a known gap.
TOKEN="'MECH\\tDOVECOT-TOKEN\\tprivate', "
judge_24() {
	local -a lines
	local i g name ref dov why agrees token=0
	mapfile -t lines <<< "$2"
	p=0 f=0 sk=0
	for ((i = 0; i < ${#lines[@]}; i++)); do
		case ${lines[i]} in
		"ok   - "*)
			name=${lines[i]#ok   - } agrees=1
			for g in "${!GAPS_24[@]}"; do
				case $name in "$g: "* | "$g") name=$g ;; esac
			done
			;;
		"FAIL - "*)
			name=${lines[i]#FAIL - } agrees=0
			ref=${lines[i + 1]#   ref-authd: } dov=${lines[i + 2]#   dovecot:   }
			if [ "$ref" = "${dov//"$TOKEN"/}" ]; then
				agrees=1 token=1
			fi
			;;
		*) continue ;;
		esac
		why=$(gap "$name" "$1")
		if [ -n "$why" ] && [ "$agrees" = 1 ]; then
			echo "known gap now agrees against $1: $name (drop it from GAPS_24)"
			f=$((f + 1))
		elif [ -n "$why" ]; then
			echo "known gap of ref-authd's 2.4 mode: $name: Dovecot $1 $why"
			sk=$((sk + 1))
		elif [ "$agrees" = 1 ]; then
			p=$((p + 1))
		else
			f=$((f + 1))
		fi
	done
	if [ "$token" = 1 ]; then
		echo "known gap of ref-authd's 2.4 mode: its handshake lacks Dovecot $1's MECH DOVECOT-TOKEN private (the exchanges compared without it)"
		sk=$((sk + 1))
	fi
}

passed=0 failed=0 skipped=0 n=0
for root in $roots; do
	n=$((n + 1))
	ddir=$dir/dovecot$n
	opt=() handshake=()
	[ "$root" = installed ] || opt=(--dovecot "$root")
	v=$("$top/scripts/dovecot-auth" version "${opt[@]:1}")
	case $v in 2.3.*) ;; *) handshake=(--handshake 2.4) ;; esac
	echo "== Dovecot $v (${root})"
	if ! dpid=$("$top/scripts/dovecot-auth" start "$ddir" "$dir/passwd" "authd-diff-$$-$n" 0 \
		"${opt[@]}"); then
		dpid=""
		failed=$((failed + 1))
		continue
	fi
	"$build/bin/ref-authd" -p "$dir/passwd" -d 0 -m plain,login,cram-md5,scram-sha-1,scram-sha-256 \
		"${handshake[@]}" "unix:$dir/ref$n.sock" 2> "$dir/ref$n.log" &
	refpid=$!
	for _ in $(seq 60); do [ -S "$dir/ref$n.sock" ] && break; sleep 0.05; done
	out=$(/usr/bin/python3 "$top/reference/tests/authd_differential.py" "$dir/ref$n.sock" \
		"$ddir/run/auth-client")
	rc=$?
	echo "$out"
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
	elif [ ${#handshake[@]} = 0 ]; then
		p=${line%% passed*} f=${line#* passed, } f=${f%% failed*}
		passed=$((passed + p)) failed=$((failed + f))
		[ "$rc" = 0 ] || [ "$f" != 0 ] || failed=$((failed + 1))
	else
		judge_24 "$v" "$out"
		echo "Dovecot $v: $p exchanges agree, $f differ, $sk known gaps of ref-authd's 2.4 mode"
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + sk))
	fi
	stop_servers
done
if [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
