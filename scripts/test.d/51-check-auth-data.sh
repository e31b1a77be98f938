#!/bin/bash
# 51-check-auth-data - the auth data checks (corpus/conformance/auth) of
# fake-smtpd check --auth: every one passes against a healthy ref-authd, in
# under 2 s all together, and every one fails against a helper with the bug
# it is about (corpus/helpers/auth_fault_proxy.py in front of ref-authd);
# listing, selection by tag, --no-catalogue, --catalogue DIR, -D, a
# broken or duplicated catalogue refused before anything is sent, and (when
# dovecot is installed) every data check passing against real Dovecot 2.3.
# Usage: 51-check-auth-data.sh BUILD_DIR
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
fs="$build/bin/fake-smtpd"
ad="$build/bin/ref-authd"
proxy="$top/corpus/helpers/auth_fault_proxy.py"
cat_dir="$top/corpus/conformance/auth"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
dir=$(mktemp -d /tmp/fs-authdata.XXXXXX)
pid="" dvpid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	# a Dovecot left running by an interrupted run: stopped by its master's pid
	[ -n "$dvpid" ] && kill "$dvpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
printf 'alice:{PLAIN}secret\n' > "$dir/users"

ids=$(sed -n 's/^# id: //p' "$cat_dir"/*.tr | sort | paste -sd, -)
n=$(ls "$cat_dir"/*.tr | wc -l)
check() { timeout 60 "$fs" check --auth "$1" --user alice --password secret --time-scale 0.05 "${@:2}"; }
# through the proxy (python and a spawned ref-authd start per connection): 2 s reads
pcheck() { check "spawn:/usr/bin/python3 $proxy $1 $ad -p $dir/users -d 0 -l $dir/spawn.log spawn" \
	--time-scale 0.2 "${@:2}"; }

"$ad" -p "$dir/users" -d 0 "unix:$dir/a.sock" 2>> "$dir/authd.log" &
pid=$!
for _ in $(seq 50); do [ -S "$dir/a.sock" ] && break; sleep 0.05; done

# healthy reference: every data check passes, all of them in under 2 s
t0=$(date +%s%N)
out=$(check "unix:$dir/a.sock" --only "$ids"); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ $rc = 0 ] && echo "$out" | grep -q "^$n passed, 0 failed$"; then
	ok "ref-authd: all $n data checks pass (${ms} ms)"
else
	bad "ref-authd: rc $rc"; echo "$out" | grep -A3 -E '^(FAIL|ERROR|SKIP)'
fi
# the bound is 2 s for a release build; ASan+UBSan builds (fake-smtpd and
# ref-authd both instrumented) take about 2.5x as long, so they get 5 s
limit=2000
case $(basename "$build") in asan*) limit=5000 ;; esac
[ "$ms" -lt "$limit" ] && ok "the auth catalogue runs in under $limit ms (${ms} ms)" ||
	bad "the auth catalogue took ${ms} ms (bound $limit ms)"
# the default catalogue joins the C-coded checks
out=$(check "unix:$dir/a.sock"); rc=$?
for id in AUTH-HANDSHAKE-001 AUTH-REQ-101 AUTH-MECH-108; do
	echo "$out" | grep -q "^PASS  $id " || bad "default run: no PASS for $id"
done
echo "$out" | grep -q "^PASS  AUTH-REQ-101 " && ok "default run includes the data checks"
out=$(check "unix:$dir/a.sock" --no-catalogue); rc=$?
echo "$out" | grep -q "AUTH-REQ-101" && bad "--no-catalogue still ran data checks" ||
	ok "--no-catalogue runs the C-coded checks only"
# selection by tag, and a skip without a test account
out=$(check "unix:$dir/a.sock" --catalogue "$cat_dir" --only base64); rc=$?
echo "$out" | grep -q '^2 passed, 0 failed$' && echo "$out" | grep -q '^PASS  AUTH-B64-102 ' &&
	ok "--only TAG selects data checks by tag" || { bad "--only base64 (rc $rc)"; echo "$out"; }
out=$(timeout 60 "$fs" check --auth "unix:$dir/a.sock" --time-scale 0.05 --only AUTH-ID-101,AUTH-REP-101); rc=$?
echo "$out" | grep -q '^SKIP  AUTH-ID-101 ' && echo "$out" | grep -q '^PASS  AUTH-REP-101 ' &&
	echo "$out" | grep -q 'needs --user and --password' && [ $rc = 0 ] &&
	ok "without an account: account checks skipped, the others run" || { bad "no account (rc $rc)"; echo "$out"; }
# -D wins over --user
out=$(check "unix:$dir/a.sock" --only AUTH-MECH-103 -D user=alice -D password=wrong); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q '^FAIL  AUTH-MECH-103 ' && ok "-D password= reaches the transcripts" ||
	{ bad "-D (rc $rc)"; echo "$out"; }
# a mechanism the helper does not offer: skipped, naming it
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""; }
stop
"$ad" -p "$dir/users" -d 0 -m plain "unix:$dir/a.sock" 2>> "$dir/authd.log" &
pid=$!
for _ in $(seq 50); do [ -S "$dir/a.sock" ] && break; sleep 0.05; done
out=$(check "unix:$dir/a.sock" --only AUTH-MECH-104,AUTH-MECH-101); rc=$?
echo "$out" | grep -q 'does not offer LOGIN' && echo "$out" | grep -q '^PASS  AUTH-MECH-101 ' && [ $rc = 0 ] &&
	ok "PLAIN-only helper: LOGIN checks skipped, naming LOGIN" || { bad "PLAIN-only (rc $rc)"; echo "$out"; }
stop

# every data check fails against the bug it is about
covered=""
while read -r f ids_broken; do
	[ -z "$f" ] && continue
	for id in ${ids_broken//,/ }; do
		out=$(pcheck "$f" --only "$id"); rc=$?
		if [ $rc = 1 ] && echo "$out" | grep -q "^FAIL  $id " && echo "$out" | grep -q 'Fix: '; then
			ok "fault $f: $id fails"
		else
			bad "fault $f: $id did not fail (rc $rc)"; echo "$out" | tail -8
		fi
		covered="$covered $id"
	done
done <<'EOF'
ipv6-refused AUTH-REQ-101
empty-addr-refused AUTH-REQ-102
mech-case AUTH-REQ-103
unknown-param AUTH-REQ-104
short-line AUTH-REQ-105,AUTH-CONT-104
one-line-per-read AUTH-REQ-106
signed-id AUTH-ID-101
id-from-one AUTH-ID-102
lenient-b64 AUTH-B64-101
b64-cont-disconnect AUTH-B64-102
plain-empty-ok AUTH-MECH-101
login-empty-resp AUTH-MECH-102
plain-noresp-fail AUTH-MECH-103
login-prompts AUTH-MECH-104
login-initial-ignored AUTH-MECH-105
cram-challenge AUTH-MECH-106
scram-ok-resp AUTH-MECH-107,AUTH-MECH-108
cont-after-done-disconnect AUTH-CONT-101
cont-unknown-ignored AUTH-CONT-102
cont-empty-disconnect AUTH-CONT-103
unescape AUTH-REP-101,AUTH-REP-102
handshake-one-read AUTH-HANDSHAKE-101
wait-cpid AUTH-HANDSHAKE-101
EOF
missing=""
for id in ${ids//,/ }; do
	case " $covered " in *" $id "*) ;; *) missing="$missing $id" ;; esac
done
[ -z "$missing" ] && ok "every data check has a fault that breaks it" || bad "no fault row for:$missing"
# the same proxy without a fault passes them all: the failures come from the faults
out=$(pcheck none --only "$ids"); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "^$n passed, 0 failed$" && ok "the proxy without a fault passes all" ||
	{ bad "proxy without a fault (rc $rc)"; echo "$out" | grep -A3 '^FAIL'; }

# listing: every data check with its severity
out=$("$fs" check --list); rc=$?
echo "$out" | grep -q '^AUTH-MECH-101 *\[security\]' && echo "$out" | grep -q '^AUTH-REQ-104 *\[diverges' &&
	[ "$(echo "$out" | grep -c -- '-1[0-9][0-9] ')" = "$n" ] && ok "--list shows the $n data checks" ||
	{ bad "--list (rc $rc)"; echo "$out" | tail -5; }

# a broken catalogue is refused before anything is sent (exit 2, file:line)
mkdir "$dir/cat"
cp "$cat_dir/req-ipv6.tr" "$dir/cat/a.tr"
cp "$cat_dir/req-ipv6.tr" "$dir/cat/b.tr"
msg=$("$fs" check --auth "spawn:$dir/never-started" --catalogue "$dir/cat" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q 'b.tr:1: id AUTH-REQ-101 is already used by' &&
	ok "duplicate id refused: $msg" || bad "duplicate id (rc $rc): $msg"
printf '# id: AUTH-X-101\nprotocol auth\nhandshake\nfrobnicate now\n' > "$dir/cat/b.tr"
msg=$("$fs" check --auth "spawn:$dir/never-started" --catalogue "$dir/cat" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q 'b.tr:4' && ! echo "$msg" | grep -q exec &&
	ok "broken transcript refused with file:line before connecting" || bad "broken transcript (rc $rc): $msg"
msg=$("$fs" check --auth "unix:$dir/a.sock" --catalogue "$dir/none" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q 'none: No such file' && ok "missing --catalogue DIR: exit 2" ||
	bad "missing catalogue dir (rc $rc): $msg"

# real Dovecot 2.3 (a private auth instance, as suite 32 starts it): the data
# checks describe what it does, so all of them pass against it. Its passdb
# failures wait for the failure queue's timer (about 0.6 s with
# auth_failure_delay = 0), hence 2 s reads here.
if command -v dovecot > /dev/null; then
	dv="$dir/dv"
	mkdir -p "$dv" && chmod 755 "$dir" "$dv"
	printf 'alice:{PLAIN}secret:1000:1000::%s::\n' "$dv" > "$dv/passwd"
	chmod 644 "$dv/passwd"
	if dvpid=$("$top/scripts/dovecot-auth" start "$dv" "$dv/passwd" authdata-$$); then
		out=$(check "unix:$dv/run/auth-client" --time-scale 0.2 --only "$ids"); rc=$?
		[ $rc = 0 ] && echo "$out" | grep -q "^$n passed, 0 failed$" &&
			ok "Dovecot $(dovecot --version | cut -d' ' -f1): all $n data checks pass" ||
			{ bad "Dovecot (rc $rc)"; echo "$out" | grep -A4 '^FAIL'; }
		"$top/scripts/dovecot-auth" stop "$dv" "$dvpid"
		dvpid=""
	else
		bad "Dovecot did not start"
	fi
else
	echo "# dovecot not installed (scripts/install-deps): not compared with Dovecot"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
