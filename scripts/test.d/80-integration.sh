#!/bin/sh
# 80-integration - the integration suite (integration/: pytest drives a
# real Postfix in private namespaces) as part of make test, then its
# fidelity part (integration/test_fidelity.py) once more against the
# newest Postfix Debian has, built by scripts/build-peer when its cache
# lacks it (SMTPDH_FIDELITY_POSTFIX=VERSION picks another, =none leaves
# this second run out), and scripts/postfix-ns start --postfix with that
# root: its master logs that version and its smtpd greets.
# Usage: 80-integration.sh BUILD_DIR     Last line: "N passed, N failed"
# (", N skipped" when pytest skipped some or marked known failures
# xfailed), from pytest's own summaries;
# pytest's errors count as failures, and a run that ends without a
# summary counts as one failure, as does a Postfix that cannot be built.
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: $0 BUILD_DIR}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
p=0 f=0 s=0

# suite [PYTEST_ARGS...]: one run of integration/run; adds to p, f, s
suite() {
	"$top/integration/run" "$build" -q "$@" > "$out" 2>&1
	rc=$?
	cat "$out"
	summary=$(grep -E '^=* *[0-9]+ (passed|failed|skipped|errors?|deselected)' "$out" | tail -1)
	rp=$(count passed) rf=$(count failed) rs=$(count skipped) re=$(count 'errors\{0,1\}')
	rx=$(count xfailed) rxp=$(count xpassed)
	rp=$((${rp:-0} + ${rxp:-0})) rf=$((${rf:-0} + ${re:-0})) rs=$((${rs:-0} + ${rx:-0}))
	if [ -z "$summary" ] || { [ "$rc" != 0 ] && [ "$rf" = 0 ]; }; then
		rf=$((rf + 1))
	fi
	p=$((p + rp)) f=$((f + rf)) s=$((s + rs))
}
count() {
	echo "$summary" | sed -n "s/.*\\b\\([0-9][0-9]*\\) $1\\b.*/\\1/p" | head -1
}

# postfix_ns ROOT: postfix-ns runs that Postfix; adds one to p or f
postfix_ns() {
	local d v banner ok=0
	d=$(mktemp -d /tmp/pfns-80.XXXXXX)
	v=$("$1/usr/sbin/postconf" -dh mail_version)
	if "$top/scripts/postfix-ns" start "$d" --postfix "$1"; then
		# the client speaks after the greeting (3.9 and later refuse early talk)
		banner=$({ sleep 1; printf 'QUIT\r\n'; } |
			timeout 10 socat - "UNIX-CONNECT:$d/spool/public/smtpd-unix" 2> /dev/null |
			head -1)
		grep -q "daemon started -- version $v," "$d/spool/maillog" &&
			case $banner in 220*) ok=1 ;; esac
	fi
	"$top/scripts/postfix-ns" stop "$d"
	if [ "$ok" = 1 ]; then
		echo "ok - postfix-ns start --postfix: Postfix $v greets ($banner)"
		p=$((p + 1))
	else
		echo "FAIL - postfix-ns start --postfix $1: banner '$banner'"
		tail -5 "$d/ns.log" "$d/start.log" "$d/spool/maillog" 2> /dev/null
		f=$((f + 1))
	fi
	rm -rf "$d"
}

suite
version=${SMTPDH_FIDELITY_POSTFIX:-newest}
if [ "$version" != none ]; then
	t0=$(date +%s)
	if root=$("$top/scripts/build-peer" postfix "$version"); then
		echo "== the fidelity suite against Postfix $("$root/usr/sbin/postconf" -dh mail_version)" \
			"($root; build-peer took $(($(date +%s) - t0)) s)"
		SMTPDH_POSTFIX_ROOT=$root suite "$top"/integration/test_fidelity*.py
		postfix_ns "$root"
	else
		echo "80-integration: Postfix $version cannot be built (scripts/build-peer postfix $version)"
		f=$((f + 1))
	fi
fi
if [ "$s" != 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" = 0 ]
