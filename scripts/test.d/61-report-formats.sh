#!/bin/bash
# 61-report-formats - every report format of check --auth, check --policy and
# replay against ref-authd and ref-policyd, with transcripts whose titles hold a
# Latin-1 byte (and a UTF-8 one, a control character in a "why"): JUnit passes
# `xmllint --noout` and carries the title as the test name, the id, severity
# and the version line as properties, times, a failure with type and body, and
# the wire log of passing checks only with -v; JSON validates against
# docs/report.schema.json (python3-jsonschema) with valid UTF-8 through as it
# is; TAP is read by prove; text: colour with --color=always and on a terminal
# (a pseudo-terminal from script(1)), none with --color=never, $NO_COLOR or a
# pipe; the short summary of failures; long request runs folded (-v: whole);
# the summary line stays the last line, as scripts/run-tests reads it.
# Usage: 61-report-formats.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init report-formats "${1:?usage: $0 BUILD_DIR}"
fs="$build/bin/fake-smtpd"
# the Postfix version runs judge as by default (the installed one, else the newest verified)
pv=$("$fs" --version 2>/dev/null | sed -n 's/^postfix: judged as \([^ ]*\) .*/\1/p')
ad="$build/bin/ref-authd"
pd="$build/bin/ref-policyd"
py=/usr/bin/python3
schema="$top/docs/report.schema.json"
need "$fs" "$ad" "$pd"
command -v xmllint > /dev/null || suite_skip "xmllint missing (libxml2-utils: scripts/install-deps)"
$py -c 'import jsonschema' 2>/dev/null || suite_skip "python3-jsonschema missing (scripts/install-deps)"
cd "$top" || exit 2

# --- helpers and data ----------------------------------------------------------
printf 'alice:{PLAIN}secret\n' > "$dir/users"
bg "$ad" -p "$dir/users" -d 0 "unix:$dir/a.sock" 2>> "$dir/authd.log"
wait_socket "$dir/a.sock" || bad "ref-authd did not start"
"$pd" --create-sample-db "$dir/sample.db" > /dev/null 2>&1
bg "$pd" --rules reference/policyd/sample.rules --db "$dir/sample.db" "unix:$dir/p.sock" \
	2>> "$dir/policyd.log"
wait_socket "$dir/p.sock" || bad "ref-policyd did not start"

# the auth catalogue and two checks: a Latin-1 title that passes, a UTF-8 one that fails
mkdir "$dir/cat"
cp corpus/conformance/auth/*.tr "$dir/cat/"
printf '# id: AUTH-L1-001\n# title: Pr\xfcfung: PLAIN login (Latin-1 title)\n# severity: advisory\n# tags: l1\nprotocol auth\nhandshake\nC: AUTH\\t{id}\\tPLAIN\\tservice=smtp\\tnologin\\tlip=127.0.0.1\\trip=127.0.0.1\\tresp={b64:\\0${user}\\0${password}}\nS: OK\\t{id}\\tuser=${user}*\n' > "$dir/cat/l1-pass.tr"
printf '# id: AUTH-L1-002\n# title: Pr\xc3\xbcfung: a wrong password gets in\n# severity: security\n# why: a control \x01 byte and Latin-1 \xe9 here\n# tags: l1\nprotocol auth\nhandshake\nC: AUTH\\t{id}\\tPLAIN\\tservice=smtp\\tnologin\\tlip=127.0.0.1\\trip=127.0.0.1\\tresp={b64:\\0${user}\\0wrong}\nS: OK\\t{id}*\n' > "$dir/cat/l1-fail.tr"
# a policy transcript with a Latin-1 title, and one that fails after long requests
printf '# Richtlinie f\xfcr test1 (Latin-1 title)\nprotocol policy\npolicy client_address=127.0.0.1 sasl_method=PLAIN sasl_username=test1\nexpect action DUNNO\n' > "$dir/l1-policy.tr"
{
	printf '# three requests, the last one expected wrong\nprotocol policy\n'
	for u in test1 test2 test3; do
		printf 'policy client_address=127.0.0.1 sasl_method=PLAIN sasl_username=%s\n' "$u"
	done
	printf 'expect action OK\n'
} > "$dir/long.tr"

auth() { timeout 120 "$fs" check --auth "unix:$dir/a.sock" --user alice --password secret \
	--time-scale 0.05 --catalogue "$dir/cat" "$@"; }
policy() { timeout 120 "$fs" check --policy "unix:$dir/p.sock" --time-scale 0.05 "$@"; }
# valid FILE: JSON valid against the schema
valid() { $py - "$schema" "$1" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print("schema:", "/".join(map(str, e.absolute_path)), e.message[:300])
sys.exit(1 if errors else 0)
EOF
}
# xp FILE XPATH: the XPath's string value
xp() { xmllint --xpath "$2" "$1" 2>/dev/null; }
# tc ID: the XPath of the testcase whose id property is ID
tc() { echo "//testcase[properties/property[@name='id' and @value='$1']]"; }
version=$("$fs" --version | sed -n '1s/^fake-smtpd \([^ ]*\) .*/\1/p')

# --- JUnit ---------------------------------------------------------------------
auth --format junit > "$dir/auth.xml" 2> "$dir/auth.err"; rc=$?
[ $rc = 1 ] && ok "check --auth --format junit: exit 1 (a security check failed)" || bad "check --auth junit: exit $rc"
xmllint --noout "$dir/auth.xml" && ok "check --auth: JUnit passes xmllint --noout" ||
	bad "check --auth: xmllint: $(xmllint --noout "$dir/auth.xml" 2>&1 | head -3)"
n=$(ls "$dir/cat" | wc -l)
[ "$(xp "$dir/auth.xml" 'string(//testsuite/@failures)')" = 1 ] &&
	[ "$(xp "$dir/auth.xml" 'count(//testcase)')" -gt "$n" ] &&
	grep -qE '^[0-9]+ passed, 1 failed$' "$dir/auth.err" &&
	ok "check --auth: every check a testcase, one failure; the summary line on stderr" ||
	bad "check --auth: counts: $(head -c 300 "$dir/auth.xml"); $(cat "$dir/auth.err")"
[ "$(xp "$dir/auth.xml" "string($(tc AUTH-L1-001)/@name)")" = 'Pr\xfcfung: PLAIN login (Latin-1 title)' ] &&
	ok "JUnit: the title is the test name, its Latin-1 byte as \\xfc" ||
	bad "JUnit name: $(xp "$dir/auth.xml" "string($(tc AUTH-L1-001)/@name)")"
[ "$(xp "$dir/auth.xml" "string($(tc AUTH-L1-002)/@name)")" = 'Prüfung: a wrong password gets in' ] &&
	ok "JUnit: a UTF-8 title goes through as it is" || bad "JUnit UTF-8 name"
f="$(tc AUTH-L1-002)/failure"
[ "$(xp "$dir/auth.xml" "string($f/@type)")" = security ] &&
	[ "$(xp "$dir/auth.xml" "string($(tc AUTH-L1-002)/properties/property[@name='severity']/@value)")" = security ] &&
	xp "$dir/auth.xml" "string($f)" | grep -q 'why it matters: a control \\x01 byte and Latin-1 \\xe9 here' &&
	xp "$dir/auth.xml" "string($f)" | grep -q 'C: AUTH\\t[0-9]*\\tPLAIN' &&
	[ -n "$(xp "$dir/auth.xml" "string($f/@message)")" ] &&
	ok "JUnit: failure with the severity as type, the reason as message, why and the wire log as body" ||
	bad "JUnit failure: $(xp "$dir/auth.xml" "$f")"
xp "$dir/auth.xml" "string($(tc AUTH-L1-001)/@time)" | grep -qE '^[0-9]+\.[0-9]{3}$' &&
	xp "$dir/auth.xml" 'string(//testsuite/@time)' | grep -qE '^[0-9]+\.[0-9]{3}$' &&
	ok "JUnit: time per test and per suite" || bad "JUnit times"
auth --format junit -v > "$dir/auth-v.xml" 2>/dev/null
[ "$(xp "$dir/auth.xml" "count($(tc AUTH-L1-001)/system-out)")" = 0 ] &&
	xp "$dir/auth-v.xml" "string($(tc AUTH-L1-001)/system-out)" | grep -q 'S: OK\\t' &&
	ok "JUnit: a passing check's wire log only with -v" || bad "JUnit system-out"
p() { xp "$1" "string(//testsuite/properties/property[@name='$2']/@value)"; }
[ "$(p "$dir/auth.xml" version)" = "$version" ] && [ -n "$(p "$dir/auth.xml" commit)" ] &&
	[ "$(p "$dir/auth.xml" target)" = "unix:$dir/a.sock" ] && [ -n "$pv" ] && [ "$(p "$dir/auth.xml" postfix.version)" = "$pv" ] &&
	[ "$(p "$dir/auth.xml" catalogue.checks)" = "$n" ] && [ "$(p "$dir/auth.xml" catalogue.dir)" = "$dir/cat" ] &&
	p "$dir/auth.xml" catalogue.id | grep -qE '^sha256:[0-9a-f]{12}$' &&
	ok "JUnit: version, commit, target, Postfix version and catalogue as testsuite properties" ||
	bad "JUnit properties: $(xp "$dir/auth.xml" '//testsuite/properties')"

policy --format junit "$dir/l1-policy.tr" > "$dir/policy.xml" 2>/dev/null; rc=$?
catid=$("$fs" --version | sed -n 's/^catalogue policy: \(sha256:[0-9a-f]*\) .*/\1/p')
[ $rc = 0 ] && xmllint --noout "$dir/policy.xml" &&
	[ "$(xp "$dir/policy.xml" "string($(tc USER-l1-policy.tr)/@name)")" = 'Richtlinie f\xfcr test1 (Latin-1 title)' ] &&
	[ "$(p "$dir/policy.xml" catalogue.id)" = "$catid" ] &&
	ok "check --policy: JUnit passes xmllint, Latin-1 title escaped, the catalogue id of --version" ||
	bad "check --policy junit (rc $rc): $(xmllint --noout "$dir/policy.xml" 2>&1 | head -3)"

# --- JSON ----------------------------------------------------------------------
auth --format json > "$dir/auth.json" 2>/dev/null
policy --format json "$dir/l1-policy.tr" > "$dir/policy.json" 2>/dev/null
timeout 60 "$fs" replay --format json "unix:$dir/p.sock" "$dir/l1-policy.tr" > "$dir/replay.json" 2>/dev/null
for j in auth policy replay; do
	out=$(valid "$dir/$j.json") && ok "$j --format json validates against docs/report.schema.json" ||
		bad "$j JSON: $out"
done
$py - "$dir/auth.json" "$dir/policy.json" "$dir/cat" "$version" "unix:$dir/a.sock" "$pv" <<'EOF' &&
import json, sys
a, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
r = {x["id"]: x for x in a["results"]}
assert r["AUTH-L1-001"]["title"] == "Pr\\xfcfung: PLAIN login (Latin-1 title)", r["AUTH-L1-001"]["title"]
assert r["AUTH-L1-002"]["title"] == "Pr\u00fcfung: a wrong password gets in", r["AUTH-L1-002"]["title"]
assert r["AUTH-L1-002"]["why_it_matters"] == "a control \\x01 byte and Latin-1 \\xe9 here"
assert r["AUTH-L1-002"]["severity"] == "security" and r["AUTH-L1-002"]["result"] == "fail"
assert r["AUTH-L1-001"]["severity"] == "advisory" and r["AUTH-L1-001"]["class"] == "pass"
assert a["version"] == sys.argv[4] and a["target"] == sys.argv[5] and a["postfix_version"] == sys.argv[6]
assert a["catalogue"]["dir"] == sys.argv[3] and a["failed_by_severity"]["security"] == 1
assert a["failed"] == 1 and a["total"] == len(a["results"])
u = [x for x in p["results"] if x["id"] == "USER-l1-policy.tr"][0]
assert u["title"] == "Richtlinie f\\xfcr test1 (Latin-1 title)" and u["result"] == "pass"
assert p["failed"] == 0 and p["postfix_version"].startswith("3.")
EOF
	ok "JSON: Latin-1 as \\xfc, UTF-8 as it is, severity, version, target, catalogue, counts" ||
	bad "JSON content"
grep -q 'Pr\\u00' "$dir/auth.json" && bad "JSON still writes bytes as \\u00XX" ||
	ok "JSON: no byte written as \\u00XX"

# --- TAP -----------------------------------------------------------------------
policy --format tap "$dir/l1-policy.tr" > "$dir/policy.tap" 2>&1
prove -e cat "$dir/policy.tap" > "$dir/prove.out" 2>&1 && grep -q '^# fake-smtpd ' "$dir/policy.tap" &&
	grep -q ' - USER-l1-policy.tr Richtlinie f\\xfcr test1' "$dir/policy.tap" &&
	ok "TAP: prove reads it; the version line as a comment" || { bad "TAP"; cat "$dir/prove.out"; }

# --- text: colour, short summary, folding --------------------------------------
esc=$(printf '\033[')
auth --only l1 > "$dir/plain.out" 2>&1
auth --only l1 --color=always > "$dir/always.out" 2>&1
auth --only l1 --color=never > "$dir/never.out" 2>&1
grep -qF "$esc" "$dir/plain.out" && bad "colour in a pipe" || ok "no colour in a pipe (auto)"
grep -qF "${esc}1;31mFAIL" "$dir/always.out" && ok "--color=always: FAIL in red" || bad "--color=always"
grep -qF "$esc" "$dir/never.out" && bad "--color=never coloured" || ok "--color=never: no colour"
tail -1 "$dir/always.out" | grep -qxE '[0-9]+ passed, [0-9]+ failed' &&
	ok "the summary line stays plain and last with colour" || bad "summary line: $(tail -1 "$dir/always.out" | od -c | head -2)"
# a terminal: script(1) gives the command a pseudo-terminal
cmd="$fs check --auth unix:$dir/a.sock --user alice --password secret --time-scale 0.05 --catalogue $dir/cat --only l1"
TERM=xterm script -qec "$cmd" /dev/null > "$dir/tty.out" 2>&1 < /dev/null
NO_COLOR=1 TERM=xterm script -qec "$cmd" /dev/null > "$dir/tty-no.out" 2>&1 < /dev/null
grep -qF "${esc}32mPASS" "$dir/tty.out" && ok "colour on a terminal (auto)" || bad "no colour on a terminal: $(head -3 "$dir/tty.out")"
grep -qF "$esc" "$dir/tty-no.out" && bad "NO_COLOR=1 still coloured" || ok "NO_COLOR=1: no colour on a terminal"
grep -A3 -x 'short summary:' "$dir/plain.out" | grep -q '^  FAIL  AUTH-L1-002 \[security\] ' &&
	ok "text: a short summary of the failures at the end" || bad "short summary: $(tail -5 "$dir/plain.out")"

policy --no-catalogue --only USER "$dir/long.tr" > "$dir/long.out" 2>&1
policy --no-catalogue --only USER -v "$dir/long.tr" > "$dir/long-v.out" 2>&1
grep -q 'more C: lines (-v shows them)' "$dir/long.out" && grep -q 'sasl_username=test3' "$dir/long.out" &&
	! grep -q 'more C: lines' "$dir/long-v.out" &&
	[ "$(wc -l < "$dir/long.out")" -lt "$(( $(wc -l < "$dir/long-v.out") / 2 ))" ] &&
	ok "text: long requests folded to what changes ($(wc -l < "$dir/long.out") lines; -v $(wc -l < "$dir/long-v.out"))" ||
	{ bad "folding"; cat "$dir/long.out"; }

suite_end
