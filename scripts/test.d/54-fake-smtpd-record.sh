#!/bin/bash
# 54-fake-smtpd-record - fake-smtpd record keeps users' files and passwords:
# -o FILE never replaces a file or follows a link there (exit 2 before it
# listens) unless --force, which replaces the link itself; a run that ends
# before a connection was recorded (no client in time, SIGTERM) leaves
# nothing; the recording is mode 0600, holds PLAIN and LOGIN credentials as
# ${user}/${password} variables (right and wrong passwords apart) with the
# user names as defaults, and replays green with -D; --keep-credentials
# keeps the bytes; an upstream that looks like a live server is warned about.
# Usage: 54-fake-smtpd-record.sh BUILD_DIR
set -u
. "$(dirname "$0")/suite.bash"
suite_init fs-record "${1:-}"
cd "$top" || exit 1
fs="$build/bin/fake-smtpd"
py=/usr/bin/python3
helper="spawn:$py corpus/helpers/crashy_auth_helper.py"
need "$fs"

# start_record NAME ARGS...: a recorder on $dir/NAME.sock in the background
start_record() {
	local name=$1
	shift
	bg timeout 60 "$fs" record -q --listen "unix:$dir/$name.sock" --upstream "$helper" "$@" \
		2> "$dir/$name.err"
	rec_pid=$last_pid
}

# 1. what is at FILE is refused before anything listens
echo "an earlier recording" > "$dir/old.tr"
out=$(timeout 30 "$fs" record --listen "unix:$dir/a.sock" --upstream "$helper" -o "$dir/old.tr" \
	--accept-timeout 1 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'old.tr: exists (--force replaces it)' &&
	[ "$(cat "$dir/old.tr")" = "an earlier recording" ] && [ ! -e "$dir/a.sock" ] &&
	ok "an existing FILE: exit 2 before listening, the file as it was" || { bad "existing FILE: rc $rc"; echo "$out"; }
ln -s "$dir/victim" "$dir/link.tr"
out=$(timeout 30 "$fs" record --listen "unix:$dir/a.sock" --upstream "$helper" -o "$dir/link.tr" \
	--accept-timeout 1 2>&1); rc=$?
[ $rc = 2 ] && [ ! -e "$dir/victim" ] && [ -L "$dir/link.tr" ] &&
	ok "a link at FILE: exit 2, nothing written through it" || { bad "link FILE: rc $rc"; echo "$out"; }

# 2. a run that ends before a connection was recorded leaves nothing
mkdir "$dir/empty"
out=$(timeout 30 "$fs" record --listen "unix:$dir/b.sock" --upstream "$helper" -o "$dir/empty/rec.tr" \
	--accept-timeout 1 2>&1); rc=$?
[ $rc = 2 ] && [ -z "$(ls -A "$dir/empty")" ] && echo "$out" | grep -q 'nothing written' &&
	ok "no client in time: exit 2, nothing left in the directory" || { bad "accept timeout: rc $rc"; ls -A "$dir/empty"; }
bg timeout 60 "$fs" record --listen "unix:$dir/c.sock" --upstream "$helper" -o "$dir/empty/rec.tr" --count 0 \
	2> "$dir/sig.err"
rpid=$last_pid
wait_socket "$dir/c.sock"
kill -TERM "$rpid"
wait "$rpid"; rc=$?
[ $rc = 0 ] && [ -z "$(ls -A "$dir/empty")" ] &&
	ok "SIGTERM before any connection: exit 0, nothing left" || { bad "SIGTERM: rc $rc"; ls -A "$dir/empty"; }

# 3. a recording: private, credentials as variables, replays green with -D
cat > "$dir/logins.tr" <<'EOF'
protocol auth
handshake
auth PLAIN test1 pass1 expect 235
auth LOGIN test1 wrong expect 535
auth PLAIN test1 pass1 noresp expect 235
EOF
start_record rec -o "$dir/rec.tr" --accept-timeout 20
wait_socket "$dir/rec.sock"
out=$(timeout 30 "$fs" replay "unix:$dir/rec.sock" "$dir/logins.tr" 2>&1); r1=$?
wait "$rec_pid"; rr=$?
mode=$(stat -c %a "$dir/rec.tr" 2>/dev/null)
[ $r1 = 0 ] && [ $rr = 0 ] && [ "$mode" = 600 ] && ok "the recording is mode 600" ||
	{ bad "recording: replay $r1, record $rr, mode $mode"; echo "$out"; cat "$dir/rec.err"; }
if grep -q 'pass1\|wrong\|cGFzczE\|d3Jvbmc\|AHRlc3QxAHBhc3Mx' "$dir/rec.tr"; then
	bad "a password (or its base64) is in the recording"; cat "$dir/rec.tr"
else
	ok "no password, not even in base64, in the recording"
fi
grep -q '^default user test1$' "$dir/rec.tr" && grep -q 'resp={b64:\\0${user}\\0${password}}' "$dir/rec.tr" &&
	grep -q '^C: CONT\\t{id}\\t{b64:${password-2}}$' "$dir/rec.tr" &&
	grep -q '^S: OK\\t{id}\\tuser=${user}$' "$dir/rec.tr" &&
	ok "PLAIN and LOGIN as \${user}/\${password} variables, the wrong password as \${password-2}" ||
	{ bad "variables"; cat "$dir/rec.tr"; }
out=$(timeout 30 "$fs" replay --fast -D password=pass1 -D password-2=wrong "$helper" "$dir/rec.tr" 2>&1); rc=$?
[ $rc = 0 ] && ok "the recording replays green with -D password=... -D password-2=..." ||
	{ bad "replay of the recording: rc $rc"; echo "$out" | tail -5; }
out=$(timeout 30 "$fs" replay --fast "$helper" "$dir/rec.tr" 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q 'variable not set in .*${password}' &&
	ok "without -D the replay fails: the password is not in the file" ||
	{ bad "replay without -D: rc $rc"; echo "$out" | tail -3; }

# 4. --force replaces a link (not what it points to); --keep-credentials keeps the bytes
echo "not ours" > "$dir/target"
ln -s "$dir/target" "$dir/forced.tr"
start_record forced -o "$dir/forced.tr" --force --keep-credentials --accept-timeout 20
wait_socket "$dir/forced.sock"
printf 'protocol auth\nhandshake\nauth PLAIN test1 pass1 expect 235\n' > "$dir/one.tr"
timeout 30 "$fs" replay "unix:$dir/forced.sock" "$dir/one.tr" > /dev/null 2>&1; r1=$?
wait "$rec_pid"; rr=$?
[ $r1 = 0 ] && [ $rr = 0 ] && [ ! -L "$dir/forced.tr" ] && [ "$(cat "$dir/target")" = "not ours" ] &&
	[ "$(stat -c %a "$dir/forced.tr")" = 600 ] && grep -q 'resp=AHRlc3QxAHBhc3Mx$' "$dir/forced.tr" &&
	ok "--force replaced the link, not its target; --keep-credentials wrote the bytes" ||
	{ bad "--force: $r1 $rr"; ls -l "$dir"; cat "$dir/forced.tr"; }

# 5. an upstream that looks like a live server is warned about
for up in inet:192.0.2.1:10025 unix:/var/spool/postfix/private/auth; do
	out=$(timeout 30 "$fs" record --listen "unix:$dir/w.sock" --upstream "$up" -o "$dir/w.tr" \
		--accept-timeout 1 2>&1)
	echo "$out" | grep -q "warning: record: the upstream $up looks like a live server" &&
		ok "a warning for $up" || { bad "no warning for $up"; echo "$out"; }
done
out=$(timeout 30 "$fs" record --listen "unix:$dir/w.sock" --upstream "inet:127.0.0.1:10025" -o "$dir/w.tr" \
	--accept-timeout 1 2>&1)
echo "$out" | grep -q 'live server' && bad "a warning for a loopback upstream" || ok "no warning for loopback"

suite_end
