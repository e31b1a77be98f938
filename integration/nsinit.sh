#!/bin/bash
# SPDX-License-Identifier: MIT
#
# NAME
#	nsinit.sh - PID 1 of a private Postfix instance's namespaces
#
# SYNOPSIS
#	unshare --net --mount --pid --fork --mount-proc --kill-child \
#		nsinit.sh DIR [prepare]
#
# DESCRIPTION
#	Runs as PID 1 inside fresh network, mount and PID namespaces and
#	turns DIR (prepared by integration/conftest.py) into the running
#	instance:
#	  - brings up the private loopback (127.0.0.0/8, ::1; nothing else);
#	  - copies the host's /etc/postfix into DIR/etc, puts the rendered
#	    DIR/main.cf and DIR/master.cf in it, backdates both (Postfix
#	    waits for a config file whose mtime is not yet in the past);
#	  - bind-mounts DIR/etc, DIR/spool and DIR/data over /etc/postfix,
#	    /var/spool/postfix and /var/lib/postfix (mount propagation is
#	    private, so the host never sees these mounts);
#	  - sources DIR/helpers.sh, which starts auth/policy helpers (and
#	    Dovecot) in the background on the private loopback and waits
#	    until each one listens;
#	  - runs "postfix start" under script(1): without a tty its own
#	    fatal errors would go to a syslog that is not there;
#	  - writes DIR/status ("ready", or "failed: WHAT"), then idles,
#	    reaping orphans, until it is killed.
#	The host ends everything by sending SIGKILL to this process: the
#	kernel then kills every process of the PID namespace and the
#	mount namespace disappears with its last process.
#
#	If the file DIR/postfix-root names a private Postfix root (made by
#	scripts/build-peer), that Postfix runs instead of the host's: its
#	commands come first on PATH, its etc/postfix is copied instead of
#	/etc/postfix, and main.cf points at its directories (the lines of
#	"scripts/postfix-ns settings ROOT").
#
#	If the file DIR/skeleton names a directory, its spool/ and data/
#	(queue directories made by "postfix check", nothing else) are
#	copied first and postfix starts with quick-start, skipping the
#	integrity checks that take most of a start. "nsinit.sh DIR prepare"
#	makes such a skeleton in DIR: mounts, "postfix check", then exits
#	0 (or 1, with DIR/status saying why).
#
# DIAGNOSTICS
#	DIR/status names the step that failed; DIR/start.log holds the
#	output of postfix start, DIR/spool/maillog Postfix's log, and
#	DIR/log/NAME.log each helper's output.
set -u
D=${1:?usage: nsinit.sh DIR [prepare]}
mode=${2:-run}

fail() {
	echo "failed: $*" > "$D/status.tmp" && mv "$D/status.tmp" "$D/status"
	[ "$mode" = prepare ] && exit 1
	while :; do sleep 3600 & wait $!; done
}

# wait_listen SPEC PID NAME: until SPEC (unix:/path | inet:host:port)
# accepts a connection, for at most 10 s, while process PID lives.
wait_listen() {
	local spec=$1 pid=$2 name=$3 i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2> /dev/null || fail "helper $name exited (see log/$name.log)"
		case $spec in
		unix:*) [ -S "${spec#unix:}" ] && return 0 ;;
		inet:*)
			local hp=${spec#inet:}
			(exec 3<> "/dev/tcp/${hp%:*}/${hp##*:}") 2> /dev/null && return 0
			;;
		*) return 0 ;;
		esac
		sleep 0.05
	done
	fail "helper $name does not listen on $spec after 10 s (see log/$name.log)"
}

top=$(cd "$(dirname "$0")/.." && pwd)
proot=
[ -f "$D/postfix-root" ] && proot=$(cat "$D/postfix-root")
etc=/etc/postfix
if [ -n "$proot" ]; then
	export PATH="$proot/usr/sbin:$PATH"
	etc=$proot/etc/postfix
fi

ip link set lo up || fail "ip link set lo up"
mkdir -p "$D/etc" "$D/spool" "$D/data" "$D/log" || fail "mkdir in $D"
if [ "$mode" = run ] && [ -f "$D/skeleton" ]; then
	skel=$(cat "$D/skeleton")
	cp -a "$skel/spool/." "$D/spool/" && cp -a "$skel/data/." "$D/data/" ||
		fail "copy skeleton $skel"
	touch "$D/spool/quick-start"
fi
cp -a "$etc/." "$D/etc/" || fail "copy $etc"
cp "$D/main.cf" "$D/master.cf" "$D/etc/" || fail "install main.cf/master.cf"
if [ -n "$proot" ]; then
	settings=$("$top/scripts/postfix-ns" settings "$proot") || fail "settings for $proot"
	while IFS= read -r line; do
		postconf -c "$D/etc" -e "$line" || fail "postconf -e $line"
	done <<< "$settings"
fi
touch -d '-5 seconds' "$D/etc/main.cf" "$D/etc/master.cf"
chown postfix:postfix "$D/data" || fail "chown $D/data"
mount --bind "$D/etc" /etc/postfix || fail "bind mount /etc/postfix"
mount --bind "$D/spool" /var/spool/postfix || fail "bind mount /var/spool/postfix"
mount --bind "$D/data" /var/lib/postfix || fail "bind mount /var/lib/postfix"

if [ "$mode" = prepare ]; then
	script -qefc "postfix check" /dev/null > "$D/start.log" 2>&1 ||
		fail "postfix check exited $?"
	echo ready > "$D/status"
	exit 0
fi

if [ -f "$D/helpers.sh" ]; then
	# shellcheck disable=SC1091
	. "$D/helpers.sh"
fi

script -qefc "postfix start" /dev/null > "$D/start.log" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "postfix start exited $rc"
echo ready > "$D/status.tmp" && mv "$D/status.tmp" "$D/status"
while :; do sleep 3600 & wait $!; done
