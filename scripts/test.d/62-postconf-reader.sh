#!/bin/bash
# 62-postconf-reader - fake-smtpd's main.cf reader (harness/postfix/pf_conf.c)
# against Postfix's own: for each main.cf of the project (the fidelity
# scenarios' corpus/recorded/postconf-*/ *.main.cf, integration/postfix/
# main.cf.in with its placeholders filled) and one written here with
# continuation lines, comments, $name/${name}/$(name), ${x?..}/${x:..},
# {} operands, relational expressions, later entries winning and -o, every
# setting `fake-smtpd replay --postconf` reports using equals
# `postconf -c DIR -xh NAME` (postconf prints whitespace runs as one
# blank; both sides are compared so). Skipped where Postfix is not
# installed. Usage: 62-postconf-reader.sh BUILD_DIR   Last line: "N passed, N failed".
set -u
build=$(realpath "${1:?usage: $0 BUILD_DIR}")
fs="$build/bin/fake-smtpd"
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
PATH=$PATH:/usr/sbin:/sbin
if ! command -v postconf > /dev/null; then
	echo "skip - postconf(1) is not installed"
	echo "0 passed, 0 failed"
	exit 0
fi
version=$(postconf -dh mail_version)
dir=$(mktemp -d /tmp/postconf-reader.XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf 'protocol policy\n' > "$dir/empty.tr"

# the settings our reader used, as name, value, origin (0x1f between), from replay's header
ours() {	# ours MAINCF [-o N=V ...]
	local f=$1
	shift
	"$fs" replay --postfix-version "$version" --postconf "$f" "$@" unix:"$dir/none.sock" \
		"$dir/empty.tr" 2> "$dir/err" |
		sed -n $'s/^  \\([a-z_0-9]*\\) = \\(.*\\) \\[\\([^]]*\\)\\]$/\\1\x1f\\2\x1f\\3/p'
}

norm() { tr -s ' \t' '  ' | sed 's/^ //; s/ $//'; }

compare() {	# compare LABEL MAINCF [-o N=V ...]: every setting used equals postconf -xh
	local label=$1 f=$2 n=0 bad_names="" name value origin want got
	shift 2
	mkdir -p "$dir/c"
	cp "$f" "$dir/c/main.cf"
	: > "$dir/c/master.cf"
	local -a pco=()
	local o
	for o in "$@"; do
		[ "$o" = -o ] && continue
		pco+=(-o "$o")
	done
	while IFS=$'\x1f' read -r name value origin; do
		# a default that depends on the host (mynetworks) is not a text
		case $value in "(from the host"*) continue ;; esac
		# the { } form of the service is not a main.cf parameter
		[ "$origin" = "{ } of the service" ] && continue
		want=$(postconf -c "$dir/c" "${pco[@]}" -xh "$name" 2> /dev/null | norm)
		got=$(printf '%s' "$value" | norm)
		n=$((n + 1))
		if [ "$want" != "$got" ]; then
			bad_names="$bad_names $name (postconf \"$want\", ours \"$got\")"
		fi
	done < <(ours "$f" "$@")
	if [ "$n" -lt 20 ]; then
		bad "$label: only $n settings reported ($(head -c 300 "$dir/err"))"
	elif [ -n "$bad_names" ]; then
		bad "$label:$bad_names"
	else
		ok "$label: $n settings equal postconf -c DIR -xh"
	fi
}

for f in "$top"/corpus/recorded/postconf-*/*.main.cf; do
	[ -e "$f" ] || continue
	compare "$(basename "$(dirname "$f")")/$(basename "$f")" "$f"
done

sed 's/@sasl_auth_enable@/no/; s|@sasl_path@|private/auth|;
     s/@relay_restrictions@/permit_sasl_authenticated, reject_unauth_destination/;
     s/@recipient_restrictions@/check_policy_service unix:private\/policy/' \
	"$top/integration/postfix/main.cf.in" > "$dir/instance.cf"
compare "integration/postfix/main.cf.in (filled)" "$dir/instance.cf"

cat > "$dir/edge.cf" <<'EOF'
# comments, blank lines and continuations as Postfix reads them
compatibility_level = 3.6
myhostname = mx.example.org
mydomain = example.org
mydestination = $myhostname, localhost.$mydomain,
	localhost

# a comment inside a logical line does not end it
smtpd_sender_restrictions =
    permit_mynetworks,
# (here)

    check_policy_service { inet:127.0.0.1:10023, timeout=10s,
      default_action=DUNNO },
    reject
relay_domains = ${mydomain?{.$mydomain}:{none}} $(myhostname) $$literal
smtpd_policy_service_default_action = ${soft_bounce:{450 4.7.1 empty}}${{$compatibility_level} >=level {3.6} ? {451 4.3.5 new} : {451 4.3.5 old}}
smtpd_delay_reject = no
smtpd_delay_reject = yes
soft_bounce = ${{2} < {10} ? {yes} : {no}}
smtpd_policy_service_try_limit=3
smtpd_client_restrictions = ${unset_parameter?never}${unset_parameter:permit}
EOF
compare "continuations, comments, expansions" "$dir/edge.cf"
compare "the same with -o" "$dir/edge.cf" -o soft_bounce=no -o "smtpd_helo_restrictions=reject, \$mydomain" -o smtpd_policy_service_timeout=7s

# check --auth takes the SASL settings (for the EHLO AUTH list) and says so
out=$("$fs" check --auth unix:"$dir/none.sock" --postfix-version "$version" --no-catalogue \
	--postconf "$dir/edge.cf" -o 'smtpd_sasl_mechanism_filter=plain, login' 2>&1)
if printf '%s\n' "$out" | grep -q '^  smtpd_sasl_mechanism_filter = plain, login \[-o\]$' &&
	printf '%s\n' "$out" | grep -q '^  smtpd_sasl_security_options = noanonymous \[default\]$'; then
	ok "check --auth --postconf -o: the SASL settings used are in the header"
else
	bad "check --auth --postconf: $(printf '%s' "$out" | head -c 600)"
fi
# fake-smtpd policy follows main.cf too: the check in smtpd_sender_restrictions
# answers "Sender address rejected" at RCPT, soft_bounce from -o makes it 4xx
cat > "$dir/answer.py" <<'EOF'
import sys
for line in sys.stdin:
    if line == "\n":
        sys.stdout.write("action=REJECT go away\n\n")
        sys.stdout.flush()
EOF
printf 'smtpd_sender_restrictions = check_policy_service unix:private/policy\n' > "$dir/sender.cf"
out=$("$fs" policy --postconf "$dir/sender.cf" -o soft_bounce=yes \
	spawn:"/usr/bin/python3 $dir/answer.py" sender=a@test.invalid 2>&1)
if printf '%s\n' "$out" | grep -qx 'smtp (RCPT): 454 4.7.1 <a@test.invalid>: Sender address rejected: go away'; then
	ok "policy --postconf -o: the SMTP reply follows the list and soft_bounce"
else
	bad "policy --postconf: $out"
fi

# check --policy waits for a reply as long as the main.cf's Postfix would:
# a service that answers in 2.5 s passes with the default 100 s and fails
# with smtpd_policy_service_timeout = 1s
printf 'smtpd_recipient_restrictions = check_policy_service unix:private/policy\nsmtpd_policy_service_timeout = 1s\n' > "$dir/timeout.cf"
slow="spawn:/usr/bin/python3 corpus/helpers/slowlookup_policy.py"
out=$("$fs" check --policy "$slow" --postconf "$dir/timeout.cf" --only POLICY-REPLY-001 2>&1); rc=$?
out2=$("$fs" check --policy "$slow" --only POLICY-REPLY-001 2>&1); rc2=$?
if [ "$rc" = 1 ] && printf '%s' "$out" | grep -q 'FAIL  POLICY-REPLY-001 .*timeout while reading' && [ "$rc2" = 0 ]; then
	ok "check --policy --postconf: smtpd_policy_service_timeout = 1s fails a 2.5 s reply the default 100 s lets pass"
else
	bad "check --policy timeout from main.cf: rc $rc / $rc2"; printf '%s\n' "$out" | tail -5
fi

# what Postfix would refuse is refused, with the file and the reason
refused() {	# refused LABEL MAINCF-TEXT GREP-PATTERN
	local out rc
	printf '%s\n' "$2" > "$dir/bad.cf"
	out=$("$fs" replay --postconf "$dir/bad.cf" unix:"$dir/none.sock" "$dir/empty.tr" 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && printf '%s' "$out" | grep -q -- "$3"; then
		ok "$1: exit 2 with the reason"
	else
		bad "$1: exit $rc: $out"
	fi
}
refused "a boolean that is not yes/no" 'smtpd_delay_reject = maybe' \
	'bad.cf: smtpd_delay_reject = maybe: Postfix wants yes or no'
refused "a line without '=' (Postfix: fatal)" 'junk line' \
	"line 1: missing '=' after attribute name"
refused "a time Postfix cannot read" 'smtpd_policy_service_timeout = 10x' \
	'smtpd_policy_service_timeout = 10x: not a time'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
