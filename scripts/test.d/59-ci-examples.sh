#!/bin/bash
# 59-ci-examples - runs the CI examples for helpers' repositories
# (contrib/ci/github-actions.yml, contrib/ci/gitlab-ci.yml) here, step by
# step, as their CI systems would, so that they stay true. A workspace
# stands for the helper's repository: smtpd-harness/ holds a copy of this
# source tree (the submodule); the install step's prefix is moved into the
# workspace (SMTPD_HARNESS_PREFIX, the one variable changed; nothing is
# installed on this machine). GitHub Actions: each `run` step in bash -eo
# pipefail with the workflow's and the job's env, GITHUB_PATH and GITHUB_ENV
# honoured between steps, `if: always()` steps run after a failure, `uses:`
# steps stood for by the workspace (checkout) or by checking the paths they
# would keep (upload-artifact). GitLab CI: before_script and script in one
# bash -eo pipefail with the job's variables, after_script in another, the
# artifacts' paths and JUnit reports checked. Each example must succeed,
# write well-formed JUnit reports with every check passed and the version
# line, and stop its policy daemon. Then the GitLab job with a broken auth
# helper (ref-authd --fault crlf) must fail, keep its report with the
# failures and still stop the daemon, and pass with FAIL_ON=none.
# Usage: 59-ci-examples.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
py=/usr/bin/python3
if ! $py -c 'import yaml' 2>/dev/null || ! command -v xmllint > /dev/null; then
	suite_skip "python3-yaml or xmllint missing (scripts/install-deps)"
fi
suite_init ci-examples "${1:-}"
# a daemon an example failed to stop: by the PID it wrote
on_exit='[ -f "$dir/ws/policy.pid" ] && kill "$(cat "$dir/ws/policy.pid")" 2>/dev/null'

# The runner: CI_FILE WORKSPACE [NAME=VALUE ...] (overrides); exit status
# of the job; what each step does goes to stdout.
cat > "$dir/run-ci" <<'EOF'
import os, subprocess, sys, tempfile, yaml

def shell(script, env, cwd):
    with tempfile.NamedTemporaryFile('w', suffix='.sh', delete=False) as f:
        f.write(script)
    try:
        return subprocess.call(['bash', '--noprofile', '--norc', '-eo', 'pipefail', f.name],
                               env=env, cwd=cwd)
    finally:
        os.unlink(f.name)

def strs(d):
    return {str(k): str(v) for k, v in (d or {}).items()}

def merged(*ds):
    out = {}
    for d in ds:
        out.update(d)
    return out

def github(doc, ws, over):
    failed = False
    for jname, job in doc['jobs'].items():
        envs = merged(strs(doc.get('env')), strs(job.get('env')), over)
        gh_path, gh_env = os.path.join(ws, '.github_path'), os.path.join(ws, '.github_env')
        open(gh_path, 'w').close()
        open(gh_env, 'w').close()
        for step in job['steps']:
            cond = str(step.get('if', ''))
            if failed and 'always()' not in cond:
                print('step skipped after a failure:', step.get('name', step.get('uses')))
                continue
            if 'uses' in step:
                if step['uses'].startswith('actions/upload-artifact'):
                    path = step['with']['path']
                    print('artifact', path, 'exists' if os.path.exists(os.path.join(ws, path)) else 'MISSING')
                    if not os.path.exists(os.path.join(ws, path)):
                        failed = True
                else:
                    print('uses:', step['uses'], '(the workspace stands for it)')
                continue
            env = merged(os.environ, envs, strs(step.get('env')), {'GITHUB_PATH': gh_path, 'GITHUB_ENV': gh_env})
            extra = [l.strip() for l in open(gh_path) if l.strip()]
            env['PATH'] = ':'.join(list(reversed(extra)) + [env['PATH']])
            for l in open(gh_env):
                if '=' in l:
                    k, v = l.rstrip('\n').split('=', 1)
                    env[k] = v
            print('run:', step.get('name', step['run'][:40]))
            sys.stdout.flush()
            if shell(step['run'], env, ws) != 0:
                print('step failed:', step.get('name'))
                failed = True
    return 1 if failed else 0

def gitlab(doc, ws, over):
    status = 0
    for jname, job in doc.items():
        if not isinstance(job, dict) or 'script' not in job:
            continue
        env = merged(os.environ, strs(doc.get('variables')), strs(job.get('variables')), over)
        main = '\n'.join(job.get('before_script', []) + job['script']) + '\n'
        print('job', jname, ': before_script and script')
        sys.stdout.flush()
        rc = shell(main, env, ws)
        print('job', jname, 'script exit', rc)
        if job.get('after_script'):
            shell('\n'.join(job['after_script']) + '\n', env, ws)
        art = job.get('artifacts', {})
        for p in art.get('paths', []) + [art.get('reports', {}).get('junit', '')]:
            if p and not __import__('glob').glob(os.path.join(ws, p)):
                print('artifact', p, 'MISSING')
                rc = rc or 1
        status = status or rc
    return status

doc = yaml.safe_load(open(sys.argv[1]))
over = dict(a.split('=', 1) for a in sys.argv[3:])
sys.exit(github(doc, sys.argv[2], over) if 'jobs' in doc else gitlab(doc, sys.argv[2], over))
EOF

# the workspace: the helper's repository with smtpd-harness/ as its submodule;
# a build already made for make install here is copied along (make rebuilds
# what is out of date)
mkdir -p "$dir/ws/smtpd-harness"
if git -C "$top" rev-parse --git-dir > /dev/null 2>&1; then
	(cd "$top" && git ls-files -co --exclude-standard -z | tar -c --null -T - -f -) |
		tar -x -C "$dir/ws/smtpd-harness"
else
	(cd "$top" && tar -c --exclude=./build --exclude=./bin -f - .) | tar -x -C "$dir/ws/smtpd-harness"
fi
[ -d "$top/build/install-cc" ] && mkdir -p "$dir/ws/smtpd-harness/build" &&
	cp -a "$top/build/install-cc" "$dir/ws/smtpd-harness/build/"
ws=$dir/ws
prefix=$dir/prefix

# junit_ok FILE: well-formed, some tests, no failure or error
junit_ok() {
	xmllint --noout "$1" 2>/dev/null &&
		grep -Eq '<testsuite [^>]*tests="[1-9][0-9]*" failures="0" errors="0"' "$1"
}
# run_example FILE [NAME=VALUE ...]: clean the workspace's outputs, run it; $rc, $log
run_example() {
	local f=$1; shift
	rm -rf "$ws/reports" "$ws/policy.pid" "$ws/policy.sock" "$ws/ci-users"
	log=$dir/$(basename "$f").log
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $py "$dir/run-ci" "$f" "$ws" \
		SMTPD_HARNESS_PREFIX="$prefix" "$@" > "$log" 2>&1
	rc=$?
}
# daemon_stopped: the PID the example wrote is gone (or a zombie: its shell
# has exited and whoever inherited it has not reaped it yet)
daemon_stopped() {
	local p
	p=$(cat "$ws/policy.pid" 2>/dev/null) || return 1
	for _ in $(seq 20); do
		[ -e "/proc/$p" ] || return 0
		[ "$(sed 's/^.*) \(.\).*/\1/' "/proc/$p/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

for f in "$top/contrib/ci/github-actions.yml" "$top/contrib/ci/gitlab-ci.yml"; do
	name=$(basename "$f")
	t0=$(date +%s)
	run_example "$f"
	if [ "$rc" = 0 ]; then
		ok "$name: the job succeeds ($(($(date +%s) - t0)) s)"
	else
		bad "$name: the job failed (exit $rc)"; tail -30 "$log"
	fi
	[ -x "$prefix/bin/fake-smtpd" ] && [ -x "$prefix/bin/ref-authd" ] && [ -x "$prefix/bin/ref-policyd" ] &&
		ok "$name: make install PREFIX put the programs in the workspace" || bad "$name: programs not installed"
	for r in auth policy; do
		junit_ok "$ws/reports/$r.xml" && ok "$name: reports/$r.xml is JUnit with every check passed" ||
			bad "$name: reports/$r.xml: $(head -c 400 "$ws/reports/$r.xml" 2>&1)"
	done
	grep -q '^fake-smtpd [0-9]' "$ws/reports/version.txt" 2>/dev/null && ok "$name: the version is kept" ||
		bad "$name: no version in reports/version.txt"
	daemon_stopped && ok "$name: the policy daemon was stopped" || bad "$name: the policy daemon still runs"
done

# a broken auth helper: the job fails, keeps the report, stops the daemon
gl=$top/contrib/ci/gitlab-ci.yml
broken="AUTH_HELPER=ref-authd --passwd-file ci-users --failure-delay 0 --fault crlf spawn"
run_example "$gl" "$broken"
[ "$rc" != 0 ] && ok "gitlab-ci.yml with a CRLF auth helper: the job fails" || bad "a broken helper passed the job"
xmllint --noout "$ws/reports/auth.xml" 2>/dev/null && grep -Eq 'failures="[1-9]' "$ws/reports/auth.xml" &&
	ok "the failed job keeps a JUnit report with the failures" || bad "the failed job's report: $(head -c 300 "$ws/reports/auth.xml")"
junit_ok "$ws/reports/policy.xml" && ok "the policy check still ran after the auth check failed" ||
	bad "no policy report after the auth failure"
daemon_stopped && ok "after_script stopped the daemon of the failed job" || bad "the failed job left its daemon"
run_example "$gl" "$broken" FAIL_ON=none
[ "$rc" = 0 ] && ok "FAIL_ON=none: the same failures do not fail the job" || bad "FAIL_ON=none: exit $rc"

suite_end
