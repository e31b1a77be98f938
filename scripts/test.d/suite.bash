# suite.bash - what the suites under scripts/test.d share; sourced, never run
# (scripts/run-tests runs the executable *.sh files only).
#
#   suite_init NAME BUILD_DIR  build (absolute), top (the source tree), dir (a
#                              private temporary directory, removed at exit)
#   ok TEXT, bad TEXT          one passed or failed check, printed
#   need FILE...               stop with one failure unless each is executable
#   bg CMD ARGS...             start CMD in the background; stopped by its PID
#                              at exit (last_pid holds it)
#   wait_socket PATH           up to 5 s for a UNIX socket; 1 if it never came
#   suite_skip WHY             "skip - WHY", "0 passed, 0 failed, 1 skipped", exit 0
#   suite_end                  "N passed, N failed"; exit 1 if a check failed
# A suite may set on_exit to a command run before the directory is removed.
pass=0 fail=0 pids="" on_exit=""
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

suite_cleanup() {
	local p
	[ -n "$on_exit" ] && eval "$on_exit"
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -n "${dir:-}" ] && rm -rf "$dir"
}

suite_init() {
	build=$(realpath "${2:?usage: $1 BUILD_DIR}")
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	dir=$(mktemp -d "/tmp/$1.XXXXXX")
	trap suite_cleanup EXIT
}

need() {
	local f
	for f in "$@"; do
		if [ ! -x "$f" ]; then
			echo "$f not built"
			echo "0 passed, 1 failed"
			exit 1
		fi
	done
}

bg() {
	"$@" &
	last_pid=$!
	pids="$pids $last_pid"
}

wait_socket() {
	local _
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

suite_skip() {
	echo "skip - $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

suite_end() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
