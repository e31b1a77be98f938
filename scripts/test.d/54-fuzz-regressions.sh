#!/bin/bash
# 54-fuzz-regressions - a wire-fuzz finding is a regression test: against each
# deliberately broken helper in corpus/helpers/crashy_* (a crash of the auth
# helper and of the policy service, an auth helper that leaves a request
# unanswered, a policy service that closes without a reply, spawned and as a
# daemon, and one whose daemon stops accepting connections) fake-smtpd fuzz reports one signature with its hit count (the
# text summary and --format json agree) and writes one transcript, which keeps
# Postfix's handshake, ends in what Postfix waits for, fails against the helper
# and passes against its fixed twin (crashy_*_fixed.py); the same holds for a
# run bounded by time with a seed from the clock, as a user starts one (the
# longer run must not split the bug into more signatures). --corpus keeps
# inputs and a second run starts from them.
# Usage: 54-fuzz-regressions.sh BUILD_DIR (FUZZ_REGRESS_SECONDS: the timed runs, default 8)
set -u
. "$(dirname "$0")/suite.bash"
suite_init fs-fuzz-regress "${1:-}"
cd "$top" || exit 1
fs="$build/bin/fake-smtpd"
py=/usr/bin/python3
h=corpus/helpers
need "$fs"

# summary FILE - "kind hits file count-of-signatures" from the JSON summary
summary() {
	$py -c 'import json, sys
d = json.load(open(sys.argv[1]))
s = d["signatures"]
n = sum(d["by_kind"].values())
print(len(s), s[0]["kind"] if s else "-", s[0]["hits"] if s else 0, n,
      s[0]["file"] if s else "-", "shaped" if s and s[0]["postfix_shaped"] else "not-shaped")' "$1"
}

# check NAME PROTO KIND TARGET TWIN_TARGET RUN [REPLAY_RC]
# RUN: N execs with --seed 1, or a duration (e.g. 8s) with the clock's seed;
# fuzz_extra: more options for the fuzz run
check() {
	local name=$1 proto=$2 kind=$3 target=$4 twin=$5 iter=$6 want_rc=${7:-1}
	local out="$dir/$name" rc n k hits all file shaped tr run
	case $iter in
	*s) run="--duration $iter" ;;
	*) run="--seed 1 --iterations $iter" ;;
	esac
	timeout 300 "$fs" fuzz "--$proto" "$target" $run ${fuzz_extra:-} --out "$out" \
		--format json > "$dir/$name.json" 2> "$dir/$name.err" < /dev/null
	rc=$?
	read -r n k hits all file shaped < <(summary "$dir/$name.json" 2>/dev/null || echo "x")
	if [ "$rc" = 1 ] && [ "$n" = 1 ] && [ "$k" = "$kind" ] && [ "$hits" = "$all" ] &&
		[ "$(ls "$out" | wc -l)" = 1 ] && [ -f "$file" ]; then
		ok "$name: one signature ($kind, $hits hits), one transcript"
	else
		bad "$name: rc $rc, summary: $n $k $hits $all $file ($run)"
		grep -m1 'seed' "$dir/$name.err"
		cat "$dir/$name.err" "$dir/$name.json" | tail -5
		return
	fi
	tr=$file
	if [ "$proto" = auth ]; then
		grep -qx handshake "$tr" && grep -q '^S~ /^(OK|FAIL|CONT)\\t[0-9]*(\\t|\$)/$' "$tr"
	else
		grep -q '^S: action=\*$' "$tr"
	fi && ! grep -q '^expect close' "$tr" && { [ "$shaped" = shaped ] || [ "$kind" = down ]; } &&
		ok "$name: the transcript is Postfix-shaped and ends in what Postfix waits for" ||
		{ bad "$name: transcript shape ($shaped)"; grep -v '^[CS]-\?: ' "$tr" | head -20; }
	out=$(timeout 120 "$fs" replay --fast "$target" "$tr" 2>&1); rc=$?
	[ $rc = "$want_rc" ] && ok "$name: the transcript fails against the helper (exit $rc)" ||
		{ bad "$name: replay against the helper: rc $rc"; echo "$out" | tail -4; }
	out=$(timeout 120 "$fs" replay --fast "$twin" "$tr" 2>&1); rc=$?
	[ $rc = 0 ] && ok "$name: the transcript passes against the fixed twin" ||
		{ bad "$name: replay against the fixed twin: rc $rc"; echo "$out" | tail -6; }
}

check crash-auth auth crash "spawn:$py $h/crashy_auth_helper.py" \
	"spawn:$py $h/crashy_auth_helper_fixed.py" 400
check crash-policy policy crash "spawn:$py $h/crashy_policy_helper.py" \
	"spawn:$py $h/crashy_policy_helper_fixed.py" 1500
check close-spawn policy close "spawn:$py $h/crashy_close_policy_helper.py" \
	"spawn:$py $h/crashy_close_policy_helper_fixed.py" 1500
# bounded by time, seeded by the clock: still one signature, one transcript
secs=${FUZZ_REGRESS_SECONDS:-8}s
check crash-auth-$secs auth crash "spawn:$py $h/crashy_auth_helper.py" \
	"spawn:$py $h/crashy_auth_helper_fixed.py" "$secs"
check crash-policy-$secs policy crash "spawn:$py $h/crashy_policy_helper.py" \
	"spawn:$py $h/crashy_policy_helper_fixed.py" "$secs"
fuzz_extra="--timeout 1s" check hang-auth-$secs auth hang "spawn:$py $h/crashy_auth_helper.py --hang" \
	"spawn:$py $h/crashy_auth_helper_fixed.py --hang" "$secs"
check close-spawn-$secs policy close "spawn:$py $h/crashy_close_policy_helper.py" \
	"spawn:$py $h/crashy_close_policy_helper_fixed.py" "$secs"

# a close seen after requests Postfix never sends is confirmed with the last request
# alone, and that is also what its minimized transcript holds
out=$(timeout 120 "$fs" fuzz --policy "spawn:$py $h/crashy_close_policy_helper.py" --seed 2 \
	--iterations 300 --out "$dir/confirmed" --format json 2>/dev/null < /dev/null)
echo "$out" | $py -c 'import json, sys
s = json.load(sys.stdin)["signatures"]
assert len(s) == 1 and s[0]["kind"] == "close", s
assert s[0]["postfix_shaped"] and s[0]["kept"] == 1 and s[0]["units"] > 1, s[0]' &&
	ok "a close confirmed apart from other requests: minimized to the one request Postfix sends" ||
	{ bad "confirmed close"; echo "$out" | cut -c1-600; }

# the same service as a daemon on a UNIX socket: it closes the connection
bg $py $h/crashy_close_policy_helper.py --listen "$dir/close.sock"
bg $py $h/crashy_close_policy_helper_fixed.py --listen "$dir/fixed.sock"
if wait_socket "$dir/close.sock" && wait_socket "$dir/fixed.sock"; then
	check close-unix policy close "unix:$dir/close.sock" "unix:$dir/fixed.sock" 1500
	check close-unix-$secs policy close "unix:$dir/close.sock" "unix:$dir/fixed.sock" "$secs"
else
	bad "the close daemons did not start"
fi
# and a daemon that exits: it stops accepting connections, whatever made it exit (here
# a request Postfix never sends); replay cannot connect (exit 2)
bg $py $h/crashy_close_policy_helper.py --listen "$dir/die2.sock" --die
bg $py $h/crashy_close_policy_helper_fixed.py --listen "$dir/nodie.sock" --die
if wait_socket "$dir/die2.sock" && wait_socket "$dir/nodie.sock"; then
	check down-unix policy down "unix:$dir/die2.sock" "unix:$dir/nodie.sock" 1500 2
	# what Postfix sees names the socket as given (digits in it too)
	grep -q "\"symptom\":\"the daemon stopped accepting connections: unix:$dir/die2.sock: " \
		"$dir/down-unix.json" && ok "down-unix: the symptom names the socket as given" ||
		{ bad "down-unix: symptom"; grep -o '"symptom":"[^"]*"' "$dir/down-unix.json"; }
	grep -q '^reconnect$' "$dir/down-unix"/*.tr 2>/dev/null &&
		ok "down-unix: the transcript checks that the next connection works" ||
		bad "down-unix: no reconnect in the transcript"
else
	bad "the --die daemons did not start"
fi

# the text summary counts the same hits per signature as the JSON one
out=$(timeout 120 "$fs" fuzz --auth "spawn:$py $h/crashy_auth_helper.py" --seed 1 --iterations 400 \
	--out "$dir/text" 2>&1 < /dev/null); rc=$?
hits=$(summary "$dir/crash-auth.json" | cut -d' ' -f3)
[ $rc = 1 ] && echo "$out" | grep -q "^findings: $hits in 1 signature (crash $hits," &&
	echo "$out" | grep -q "^signature 1: crash, killed by signal 11 (Segmentation fault) in the AUTH exchange: $hits hits" &&
	[ "$(echo "$out" | grep -c '^finding ')" -ge 1 ] && [ "$(ls "$dir/text" | wc -l)" = 1 ] &&
	ok "the text summary: $hits hits of one signature, as in JSON" ||
	{ bad "text summary: rc $rc"; echo "$out" | tail -6; }

# --corpus: a run keeps inputs, the next one starts from them and finds the crash at once
out=$(timeout 120 "$fs" fuzz --auth "spawn:$py $h/crashy_auth_helper.py" --seed 1 --iterations 400 \
	--corpus "$dir/kept" --format json 2>/dev/null < /dev/null)
kept=$(echo "$out" | $py -c 'import json,sys; print(json.load(sys.stdin)["corpus_kept"])' 2>/dev/null)
files=$(ls "$dir/kept" 2>/dev/null | wc -l)
[ -n "$kept" ] && [ "$kept" -gt 0 ] && [ "$files" = "$kept" ] &&
	ok "--corpus keeps $kept inputs with new behaviour" || bad "--corpus kept ${kept:-?}, files $files"
out=$(timeout 120 "$fs" fuzz --auth "spawn:$py $h/crashy_auth_helper.py" --seed 7 --iterations 200 \
	--corpus "$dir/kept" --format json 2>/dev/null < /dev/null)
echo "$out" | $py -c 'import json, sys
d = json.load(sys.stdin)
assert d["corpus_loaded"] == int(sys.argv[1]), d["corpus_loaded"]
assert d["signatures"] and d["signatures"][0]["first_exec"] <= d["corpus_loaded"], d["signatures"]' "$files" &&
	ok "a second run loads the $files kept inputs and finds the crash among them" ||
	{ bad "--corpus resume"; echo "$out" | cut -c1-400; }

suite_end
