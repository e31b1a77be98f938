#!/bin/bash
# 58-deb-package - the Debian package. Builds it with `dpkg-buildpackage -us
# -uc -b` from a copy of the source tree (tracked and new files, nothing
# built), or reuses the one built for the same sources (BUILD_DIR/deb/,
# keyed by a SHA-256 over every source file); lintian finds no error in it;
# it depends on the libraries the programs link; it is unpacked with
# `dpkg -x` into a private root (nothing is installed on this machine) and
# holds the programs, smtpd-harness-postfix-ns, the compressed man pages and
# the data directory; the packaged programs have /usr/share/smtpd-harness
# built in and, run from /, find the unpacked data beside their bin/;
# the packaged fake-smtpd lists the clone's checks and passes `check --auth`
# against the packaged ref-authd (UNIX socket and spawn, the packaged demo
# users) and `check --policy` against the packaged ref-policyd, and `auth`
# and `policy` answer through them. The times of the build and of the checks
# are printed. Without dpkg-buildpackage or debhelper (scripts/install-deps
# installs them) the suite is skipped: "0 passed, 0 failed, 1 skipped".
# Usage: 58-deb-package.sh BUILD_DIR     Last line: "N passed, N failed[, N skipped]".
set -u
. "$(dirname "$0")/suite.bash"
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" > /dev/null 2>&1 || suite_skip "$t is not installed (scripts/install-deps)"
done
suite_init deb-package "${1:-}"
t_start=$(date +%s.%N)

# sources - every file of the source tree, NUL-separated, relative to $top
sources() {
	if git -C "$top" rev-parse --git-dir > /dev/null 2>&1; then
		git -C "$top" ls-files -co --exclude-standard -z
	else
		(cd "$top" && find . -type f -not -path './build/*' -not -path './bin/*' -printf '%P\0')
	fi
}

# --- the .deb: reused when the sources have not changed ------------------------------
version=$(sed -n '1s/^smtpd-harness (\([^)]*\)).*/\1/p' "$top/debian/changelog")
arch=$(dpkg --print-architecture)
deb_name=smtpd-harness_${version}_${arch}.deb
cache="$build/deb"
key=$(cd "$top" && sources | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
if [ -f "$cache/$deb_name" ] && [ "$(cat "$cache/key" 2>/dev/null)" = "$key" ]; then
	ok "the package of these sources is reused ($cache/$deb_name)"
else
	rm -rf "$cache"
	mkdir -p "$dir/src/smtpd-harness-$version" "$cache"
	(cd "$top" && sources | tar -c --null -T - -f -) | tar -x -C "$dir/src/smtpd-harness-$version"
	t0=$(date +%s.%N)
	# the package is built as a distribution would: no make test flags
	if (cd "$dir/src/smtpd-harness-$version" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -us -uc -b) > "$dir/build.log" 2>&1; then
		ok "dpkg-buildpackage -us -uc -b builds $deb_name in $(printf '%.0f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
		cp "$dir/src/$deb_name" "$cache/"
		t0=$(date +%s.%N)
		lintian --fail-on error "$dir/src/smtpd-harness_${version}_${arch}.changes" > "$cache/lintian.out" 2>&1
		echo $? > "$cache/lintian.rc"
		echo "lintian took $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
		echo "$key" > "$cache/key"
	else
		bad "dpkg-buildpackage failed:"
		tail -30 "$dir/build.log"
		suite_end
	fi
fi
deb="$cache/$deb_name"
if [ "$(cat "$cache/lintian.rc" 2>/dev/null)" = 0 ]; then
	ok "lintian: no errors ($(grep -c '^[WI]: ' "$cache/lintian.out") warnings and notes)"
else
	bad "lintian found errors:"; cat "$cache/lintian.out"
fi
deps=$(dpkg-deb -f "$deb" Depends)
for lib in libssl3 libsqlite3-0 libcrypt1 libpcre2-8-0 libc6; do
	grep -q "$lib" <<< "$deps" && ok "Depends: $lib" || bad "Depends lacks $lib: $deps"
done

# --- unpacked into a private root --------------------------------------------------------
root="$dir/root"
dpkg -x "$deb" "$root" && ok "dpkg -x unpacks the package" || bad "dpkg -x failed"
for f in usr/bin/fake-smtpd usr/bin/ref-authd usr/bin/ref-policyd usr/sbin/smtpd-harness-postfix-ns; do
	[ -x "$root/$f" ] && ok "/$f" || bad "/$f missing"
done
for f in man1/fake-smtpd.1.gz man8/ref-authd.8.gz man8/ref-policyd.8.gz man8/smtpd-harness-postfix-ns.8.gz; do
	[ -f "$root/usr/share/man/$f" ] && ok "/usr/share/man/$f" || bad "/usr/share/man/$f missing"
done
for f in conformance/auth conformance/policy transcripts/auth helpers demo/users; do
	[ -e "$root/usr/share/smtpd-harness/$f" ] && ok "/usr/share/smtpd-harness/$f" || bad "/usr/share/smtpd-harness/$f missing"
done
[ -f "$root/usr/share/doc/smtpd-harness/copyright" ] && ok "/usr/share/doc/smtpd-harness/copyright" ||
	bad "copyright missing"
strings "$root/usr/bin/fake-smtpd" | grep -qx /usr/share/smtpd-harness &&
	ok "the packaged fake-smtpd has /usr/share/smtpd-harness built in" || bad "built-in data directory"

F=$root/usr/bin/fake-smtpd
if [ -d /usr/share/smtpd-harness ]; then
	want_data=/usr/share/smtpd-harness
else
	want_data=$root/usr/bin/../share/smtpd-harness
fi
v=$(cd / && "$F" --version)
grep -qx "data: $want_data" <<< "$v" && ok "the packaged fake-smtpd run from / finds $want_data" ||
	bad "packaged --version: $v"
[ "$(cd / && "$F" check --list)" = "$(cd "$top" && "$build/bin/fake-smtpd" check --list)" ] &&
	ok "the packaged fake-smtpd lists the clone's checks" || bad "packaged check --list differs from the clone's"

# --- the packaged programs against each other, from / ---------------------------------
users=$root/usr/share/smtpd-harness/demo/users
bg "$root/usr/bin/ref-authd" --passwd-file "$users" --failure-delay 0 "unix:$dir/auth.sock" 2> "$dir/authd.log"
bg "$root/usr/bin/ref-policyd" "unix:$dir/policy.sock" 2> "$dir/policyd.log"
wait_socket "$dir/auth.sock" || bad "the packaged ref-authd did not start: $(cat "$dir/authd.log")"
wait_socket "$dir/policy.sock" || bad "the packaged ref-policyd did not start: $(cat "$dir/policyd.log")"
t0=$(date +%s.%N)
# pkgcheck NAME ARGS...: the packaged fake-smtpd check from /, every check passed
pkgcheck() {
	local name=$1 out rc sum; shift
	out=$(cd / && "$F" check "$@" --fast 2>&1)
	rc=$?
	sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<< "$out" | tail -1)
	if [ "$rc" = 0 ] && [[ $sum =~ ^[1-9][0-9]*\ passed,\ 0\ failed ]]; then
		ok "packaged fake-smtpd check $name: $sum"
	else
		bad "packaged fake-smtpd check $name: exit $rc"; grep -A8 '^FAIL\|^ERROR' <<< "$out" | head -30
	fi
}
pkgcheck "--auth (UNIX socket)" --auth "unix:$dir/auth.sock" --user demo-plain --password demo-secret
pkgcheck "--auth (spawn)" --auth "spawn:$root/usr/bin/ref-authd --passwd-file $users --failure-delay 0 spawn" \
	--user demo-plain --password demo-secret
pkgcheck "--policy" --policy "unix:$dir/policy.sock"
echo "the packaged checks took $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
out=$(cd / && "$F" auth "unix:$dir/auth.sock" demo-crammd5 demo-secret --mech CRAM-MD5)
[ $? = 0 ] && ok "packaged fake-smtpd auth: $out" || bad "packaged fake-smtpd auth: $out"
out=$(cd / && "$F" policy "unix:$dir/policy.sock" sasl_username=demo-plain)
[ $? = 0 ] && grep -q '^action: DUNNO$' <<< "$out" && ok "packaged fake-smtpd policy: DUNNO" ||
	bad "packaged fake-smtpd policy: $out"

echo "58-deb-package took $(printf '%.0f' "$(echo "$(date +%s.%N) - $t_start" | bc)") s"
suite_end
