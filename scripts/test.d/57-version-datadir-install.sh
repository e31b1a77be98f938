#!/bin/bash
# 57-version-datadir-install - what tells a run apart and where the data is.
# fake-smtpd --version (release, commit, data directory, the catalogues'
# ids and sizes, the default Postfix version: the installed one, else the
# newest verified; unknown versions refused); the text reports of check and
# replay start with that version line; check --list is the same from / as
# from the clone; SMTPD_HARNESS_DATADIR moves the catalogue (a changed file
# changes the id, a copy keeps it) and a missing catalogue directory is an
# error naming the path (exit 2) unless --no-catalogue or --catalogue;
# --fail-on chooses the severities that fail check --policy, check --auth and
# replay (exit 0 with a note on stderr when only others failed, JUnit output
# too; bad lists exit 2). Then `make install DESTDIR=... PREFIX=/usr/local`
# as the current user: the programs, smtpd-harness-postfix-ns, the man pages
# (rendered by man without warnings), the data directory and the docs; the
# installed fake-smtpd run from / finds its data beside its bin/ and lists
# the same checks as the clone; `make uninstall` removes every file.
# Usage: 57-version-datadir-install.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init version-datadir "${1:-}"
fs="$build/bin/fake-smtpd"
ad="$build/bin/ref-authd"
pd="$build/bin/ref-policyd"
need "$fs" "$ad" "$pd"
# run ARGS...: fake-smtpd ARGS from /; stdout in $out, stderr in $err, status in $rc
run() {
	out=$(cd / && "$fs" "$@" 2>"$dir/err")
	rc=$?
	err=$(cat "$dir/err")
}
# expect RC NAME: the last run's exit status
expect() {
	if [ "$rc" = "$1" ]; then ok "$2"; else bad "$2: exit $rc, want $1; $err"; fi
}

# --- --version ---------------------------------------------------------------------
release=$(cat "$top/VERSION")
nauth=$(find "$top/corpus/conformance/auth" -maxdepth 1 -name '*.tr' | wc -l)
npol=$(find "$top/corpus/conformance/policy" -maxdepth 1 -name '*.tr' | wc -l)
run --version
expect 0 "--version exits 0"
head -1 <<< "$out" | grep -Eq "^fake-smtpd $release \\(commit ([0-9a-f]{7,}(-dirty)?|unknown)\\)\$" &&
	ok "--version: release $release and the commit" || bad "--version first line: $out"
grep -qx "data: $top/corpus" <<< "$out" && ok "--version: the clone's corpus/ is the data directory" ||
	bad "--version data line: $out"
grep -Eqx "catalogue auth: sha256:[0-9a-f]{12} \\($nauth data checks\\)" <<< "$out" &&
	ok "--version: the auth catalogue's id and its $nauth checks" || bad "--version auth catalogue: $out"
grep -Eqx "catalogue policy: sha256:[0-9a-f]{12} \\($npol data checks\\)" <<< "$out" &&
	ok "--version: the policy catalogue's id and its $npol checks" || bad "--version policy catalogue: $out"
# the default version: the installed Postfix's (postconf on PATH), else the newest verified
mkdir -p "$dir/pc" && printf '#!/bin/sh\necho 3.5.25\n' > "$dir/pc/postconf" && chmod +x "$dir/pc/postconf"
pc=$(PATH="$dir/pc:$PATH" "$build/bin/fake-smtpd" --version 2>&1 | grep '^postfix:')
none=$(PATH=/nonexistent "$build/bin/fake-smtpd" --version 2>&1 | grep '^postfix:')
[ "$pc" = "postfix: judged as 3.5.25 (the installed Postfix) unless --postfix-version says otherwise" ] &&
	[ "$none" = "postfix: judged as 3.11.7 (no Postfix installed: the newest the oracle was verified against) unless --postfix-version says otherwise" ] &&
	ok "--version: the default Postfix version is the installed one, else 3.11.7" ||
	bad "--version postfix line: $pc / $none"
for v in 2.0 9.9 3.7.99 3.12; do
	err=$("$build/bin/fake-smtpd" replay --postfix-version $v unix:/nonexistent x.tr 2>&1); vrc=$?
	[ $vrc = 2 ] && grep -q "$v is not a Postfix version this oracle knows; known: 2.1.0-2.1.6, .*3.11.0-3.11.7; snapshots" <<< "$err" &&
		ok "--postfix-version $v: refused with the known versions" || bad "--postfix-version $v (exit $vrc): $err"
done
id_auth=$(sed -n 's/^catalogue auth: sha256:\([0-9a-f]*\).*/\1/p' <<< "$out")
for d in ref-authd ref-policyd; do
	v=$("$build/bin/$d" --version 2>&1); vrc=$?
	[ "$vrc" = 0 ] && head -1 <<< "$v" | grep -Eq "^$d $release \\(commit ([0-9a-f]{7,}(-dirty)?|unknown)\\)" &&
		ok "$d --version: release $release and the commit" || bad "$d --version (exit $vrc): $v"
done

# --- the data directory ----------------------------------------------------------------
list_clone=$(cd "$top" && "$fs" check --list)
run check --list
[ "$rc" = 0 ] && [ "$out" = "$list_clone" ] && [ "$(grep -c 'AUTH-' <<< "$out")" -gt "$nauth" ] &&
	ok "check --list from / is the clone's ($(wc -l <<< "$out") lines)" || bad "check --list from /: rc $rc"
mkdir -p "$dir/data"
cp -r "$top/corpus/conformance" "$dir/data/"
SMTPD_HARNESS_DATADIR=$dir/data run --version
grep -q "^data: $dir/data\$" <<< "$out" && grep -q "sha256:$id_auth ($nauth data" <<< "$out" &&
	ok "SMTPD_HARNESS_DATADIR: a copy of the catalogue keeps its id" || bad "copied catalogue: $out"
sed 's/^# id: AUTH-REQ-101$/# id: AUTH-REQ-901/' "$top/corpus/conformance/auth/req-ipv6.tr" \
	> "$dir/data/conformance/auth/req-ipv6.tr"
grep -q AUTH-REQ-901 "$dir/data/conformance/auth/req-ipv6.tr" || bad "the test's catalogue edit did not apply"
SMTPD_HARNESS_DATADIR=$dir/data run --version
grep -q "sha256:$id_auth" <<< "$out" && bad "a changed catalogue file kept the id" ||
	ok "a changed catalogue file changes the id"
SMTPD_HARNESS_DATADIR=$dir/data run check --list
grep -q '^AUTH-REQ-901 ' <<< "$out" && ! grep -q '^AUTH-REQ-101 ' <<< "$out" &&
	ok "SMTPD_HARNESS_DATADIR: check --list reads that catalogue" || bad "check --list with the copy: $out"
SMTPD_HARNESS_DATADIR=$dir/none run check --list
expect 2 "a missing catalogue directory: exit 2"
grep -qF "no auth catalogue at $dir/none/conformance/auth" <<< "$err" &&
	ok "the error names the missing path" || bad "missing catalogue message: $err"
SMTPD_HARNESS_DATADIR=$dir/none run check --policy --list
expect 2 "check --policy with a missing catalogue directory: exit 2"
SMTPD_HARNESS_DATADIR=$dir/none run check --list --no-catalogue
expect 0 "--no-catalogue needs no data directory"
SMTPD_HARNESS_DATADIR=$dir/none run check --list --catalogue "$top/corpus/conformance/auth"
expect 0 "--catalogue DIR needs no data directory"

# --- report headers ------------------------------------------------------------------------
echo "alice:{PLAIN}secret" > "$dir/users"
A="spawn:$ad --passwd-file $dir/users --failure-delay 0 spawn"
run check --auth "$A" --user alice --password secret --fast --only AUTH-HANDSHAKE-001
expect 0 "check --auth against ref-authd"
head -1 <<< "$out" | grep -Eq "^fake-smtpd $release \\(commit [^)]*\\); catalogue sha256:$id_auth \\($nauth data checks\\) in $top/corpus/conformance/auth\$" &&
	ok "check's text report starts with the version and the catalogue id" || bad "check header: $(head -2 <<< "$out")"
run replay --fast "$A" "$top/corpus/transcripts/auth/plain-macro.tr" -D user=alice -D password=secret
expect 0 "replay against ref-authd"
head -1 <<< "$out" | grep -Eq "^fake-smtpd $release \\(commit [^)]*\\)\$" &&
	ok "replay's text report starts with the version" || bad "replay header: $(head -2 <<< "$out")"

# --- --fail-on -------------------------------------------------------------------------------
bg "$pd" "unix:$dir/p.sock" 2>"$dir/p.log"
wait_socket "$dir/p.sock" || bad "ref-policyd did not start: $(cat "$dir/p.log")"
mkdir -p "$dir/cat"
for sev in advisory breaks-postfix; do
	printf '# id: POLICY-T-%s\n# title: expects what ref-policyd does not answer\n# severity: %s\nprotocol policy\npolicy state=RCPT\nexpect action REJECT*\n' \
		"$sev" "$sev" > "$dir/cat/$sev.tr"
done
P=(check --policy "unix:$dir/p.sock" --catalogue "$dir/cat" --fast)
run "${P[@]}" --only POLICY-T-advisory
expect 1 "an advisory failure fails the run by default"
run "${P[@]}" --only POLICY-T-advisory --fail-on breaks-postfix,security
expect 0 "--fail-on breaks-postfix,security: an advisory failure does not"
grep -q "1 failed check of a severity outside --fail-on: not failing the run" <<< "$err" &&
	ok "--fail-on says on stderr what it let pass" || bad "--fail-on note: $err"
grep -q '^FAIL  POLICY-T-advisory' <<< "$out" && ok "the failure is still reported" || bad "report: $out"
run "${P[@]}" --only POLICY-T-advisory --fail-on advisory
expect 1 "--fail-on advisory: an advisory failure fails"
run "${P[@]}" --only POLICY-T --fail-on security
expect 0 "--fail-on security: advisory and breaks-postfix failures pass"
run "${P[@]}" --only POLICY-T --fail-on advisory
expect 1 "--fail-on advisory with both failing"
run "${P[@]}" --only POLICY-T-breaks --fail-on none --format junit
expect 0 "--fail-on none with --format junit"
xmllint --noout - <<< "$out" 2>/dev/null && grep -q 'failures="1"' <<< "$out" &&
	ok "the JUnit report still holds the failure" || bad "junit: $out"
run "${P[@]}" --only POLICY-T-advisory --fail-on all
expect 1 "--fail-on all"
run "${P[@]}" --fail-on minor
expect 2 "--fail-on with an unknown severity: exit 2"
run "${P[@]}" --fail-on ''
expect 2 "--fail-on with an empty list: exit 2"
run check --auth "spawn:$ad --passwd-file $dir/users --failure-delay 0 --fault crlf spawn" --user alice \
	--password secret --fast --no-catalogue
crlf_rc=$rc
run check --auth "spawn:$ad --passwd-file $dir/users --failure-delay 0 --fault crlf spawn" --user alice \
	--password secret --fast --no-catalogue --fail-on none
[ "$crlf_rc" = 1 ] && [ "$rc" = 0 ] && ok "check --auth: a CRLF helper fails, and passes with --fail-on none" ||
	bad "check --auth --fail-on: rc $crlf_rc then $rc"
printf '# wants a REJECT\nprotocol policy\npolicy state=RCPT\nexpect action REJECT*\n' > "$dir/rej.tr"
run replay --fast "unix:$dir/p.sock" "$dir/rej.tr"
expect 1 "replay: a failed transcript fails the run"
run replay --fast --fail-on advisory "unix:$dir/p.sock" "$dir/rej.tr"
expect 0 "replay --fail-on advisory: a transcript counts as breaks-postfix"

# --- make install / uninstall as this user ------------------------------------------------------------
dest="$dir/dest"
t0=$(date +%s)
if make -C "$top" --no-print-directory install DESTDIR="$dest" PREFIX=/usr/local > "$dir/install.log" 2>&1; then
	ok "make install DESTDIR PREFIX=/usr/local as $(id -un) ($(($(date +%s) - t0)) s with the build)"
else
	bad "make install failed:"; tail -20 "$dir/install.log"
fi
u=$dest/usr/local
for f in bin/fake-smtpd bin/ref-authd bin/ref-policyd sbin/smtpd-harness-postfix-ns; do
	[ -x "$u/$f" ] && ok "installed $f" || bad "$f not installed"
done
for f in man1/fake-smtpd.1 man8/ref-authd.8 man8/ref-policyd.8 man8/smtpd-harness-postfix-ns.8; do
	if [ ! -f "$u/share/man/$f" ]; then
		bad "man page $f not installed"
	elif w=$(MANWIDTH=80 man --warnings -l "$u/share/man/$f" 2>&1 >/dev/null) && [ -z "$w" ]; then
		ok "man page $f installed, rendered without warnings"
	else
		bad "man page $f: $w"
	fi
done
n=$(find "$u/share/smtpd-harness/conformance" -name '*.tr' | wc -l)
[ "$n" = $((nauth + npol)) ] && ok "the catalogue installed ($n files)" || bad "installed catalogue: $n files"
[ -x "$u/share/smtpd-harness/helpers/seed_auth_helper.py" ] && [ -f "$u/share/smtpd-harness/demo/users" ] &&
	[ -f "$u/share/smtpd-harness/transcripts/auth/plain-macro.tr" ] && [ -f "$u/share/doc/smtpd-harness/README.md" ] &&
	ok "helpers, demo data, transcripts and docs installed" || bad "data or docs missing under $u/share"
if [ -d /usr/local/share/smtpd-harness ]; then
	ok "skipped: the installed program's own lookup (a real /usr/local/share/smtpd-harness exists here)"
else
	inst=$(cd / && "$u/bin/fake-smtpd" --version)
	grep -qx "data: $u/bin/../share/smtpd-harness" <<< "$inst" && grep -q "sha256:$id_auth ($nauth" <<< "$inst" &&
		ok "the installed fake-smtpd run from / finds its data beside its bin/" || bad "installed --version: $inst"
	[ "$(cd / && "$u/bin/fake-smtpd" check --list)" = "$list_clone" ] &&
		ok "the installed fake-smtpd lists the same checks as the clone" || bad "installed check --list differs"
fi
strings "$u/bin/fake-smtpd" | grep -qx "/usr/local/share/smtpd-harness" &&
	ok "the installed fake-smtpd has \$(PREFIX)/share/smtpd-harness built in" || bad "built-in data directory"
make -C "$top" --no-print-directory uninstall DESTDIR="$dest" PREFIX=/usr/local > "$dir/uninstall.log" 2>&1
left=$(find "$dest" -type f)
[ -z "$left" ] && ok "make uninstall removes every installed file" || bad "left after uninstall: $left"

suite_end
