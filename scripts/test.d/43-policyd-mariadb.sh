#!/bin/bash
# 43-policyd-mariadb - ref-policyd on a private MariaDB server
# (scripts/mariadb-private: a UNIX socket in a temporary directory, no
# TCP, stopped by its PID): every row of a user counts; names compare
# byte for byte whatever the server's collation; SQL-injection payloads
# in sasl_username never widen access; --domain; the password from a
# file or the environment, refused in the URL; the server stopped
# mid-run (lookups get no reply, never DUNNO or OK, while requests that
# need no lookup keep a p99 under 1 ms) and recovery when it returns; a
# query slower than --db-timeout; 1,000 concurrent connections.
# Usage: 43-policyd-mariadb.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init policyd-mariadb "${1:-}"
bin="$build/bin/ref-policyd"
py=/usr/bin/python3
cl="$top/scripts/test.d/policyd_db_client.py"
need "$bin"
command -v mariadbd > /dev/null && command -v mariadb-install-db > /dev/null ||
	suite_skip "mariadb-server is not installed (scripts/install-deps)"
ulimit -n 8192 2>/dev/null

mdb="$top/scripts/mariadb-private"
on_exit='"$mdb" stop "$dir" 2>/dev/null'
"$mdb" start "$dir" || { bad "the private MariaDB did not start"; suite_end; }
ok "private MariaDB started on $dir/mysql.sock"
"$mdb" sql "$dir" <<'SQL' || bad "database setup"
CREATE DATABASE policy;
CREATE TABLE policy.access(user VARCHAR(255), network VARCHAR(64), INDEX(user));
INSERT INTO policy.access VALUES
  ('test1', '127.0.0.0/8'), ('test1', '192.0.2.0/24'),
  ('alice', '198.51.100.0/24'), ('alice', '2001:db8:1::/48'),
  ('bob@example.com', '203.0.113.7'), ('bob', '203.0.113.8'),
  ('carol', 'not-a-network'), ('carol', NULL), ('carol', '::1'),
  ('many', '10.0.1.0/24'), ('many', '10.0.2.0/24'), ('many', '10.0.3.0/24'),
  ('many', '10.0.4.0/24'), ('many', '10.0.5.0/24');
CREATE DATABASE slow;
CREATE TABLE slow.rows(user VARCHAR(255), network VARCHAR(64));
INSERT INTO slow.rows VALUES('test1', '127.0.0.0/8');
CREATE VIEW slow.access AS SELECT user, network FROM slow.rows WHERE SLEEP(3) = 0;
CREATE USER 'policyd'@'localhost' IDENTIFIED BY 'pw with spaces';
GRANT SELECT ON policy.* TO 'policyd'@'localhost';
GRANT SELECT ON slow.* TO 'policyd'@'localhost';
SQL
printf 'pw with spaces\n' > "$dir/pw"
url="mysql://policyd@localhost/policy?socket=$dir/mysql.sock"
ALLOW="action=DUNNO"
REFUSE="action=REJECT 5.7.1 not from your network"

"$bin" --db "mysql://policyd:secret@localhost/policy" --check > "$dir/out" 2>&1 &&
	bad "a password in the URL accepted" ||
	{ grep -q "password in the URL" "$dir/out" && ok "a password in the URL is refused" ||
	  bad "password in URL: $(cat "$dir/out")"; }
"$bin" --db "$url" --check > "$dir/out" 2>&1 &&
	bad "no password: accepted" ||
	{ grep -q "Access denied" "$dir/out" && ok "no password: refused by the server, reason shown" ||
	  bad "no password: $(cat "$dir/out")"; }
REF_POLICYD_DB_PASSWORD='pw with spaces' "$bin" --db "$url" --check > /dev/null 2>&1 &&
	ok "password from REF_POLICYD_DB_PASSWORD" || bad "password from the environment"

start() {	# start NAME ARGS...: ref-policyd on $dir/NAME.sock
	local name=$1
	shift
	bg "$bin" --rules "$top/reference/policyd/sample.rules" --db-password-file "$dir/pw" \
		--log-decisions no --max-connections 5000 "$@" "unix:$dir/$name.sock" \
		2> "$dir/$name.log"
	wait_socket "$dir/$name.sock" || bad "$name: no socket"
}
start a --db "$url" --db-timeout 500
if ps -o args= -p "$last_pid" | grep -q "pw with spaces"; then
	bad "the password shows in ps"
else
	ok "the password does not show in ps"
fi

# every row, exact names, malformed rows skipped
got=$($py "$cl" "$dir/a.sock" users 10.0.5.9 many | tr '\n' '|')
[ "$got" = "$ALLOW|" ] && ok "the last of 5 rows of a user counts" || bad "rows: $got"
got=$($py "$cl" "$dir/a.sock" users 192.0.2.1 test1 TEST1 "test1 " Test1 | tr '\n' '|')
[ "$got" = "$ALLOW|$REFUSE|$REFUSE|$REFUSE|" ] &&
	ok "names compare byte for byte (TEST1, 'test1 ' get no rows)" || bad "collation: $got"
got=$($py "$cl" "$dir/a.sock" users ::1 carol alice | tr '\n' '|')
[ "$got" = "$ALLOW|$REFUSE|" ] && ok "malformed and NULL rows skipped, the good one used" ||
	bad "malformed rows: $got"
grep -q 'malformed network "not-a-network" skipped' "$dir/a.log" && grep -q '"(NULL)" skipped\|(NULL) skipped' "$dir/a.log" &&
	ok "malformed and NULL rows logged" || bad "no malformed-row log lines"

# SQL injection in sasl_username
payloads=("x' OR '1'='1" "x' OR 1=1 -- " "x\" OR \"1\"=\"1" "test1' -- " "test1'#"
	"' UNION SELECT 'test1', '0.0.0.0/0' -- " "x'; DROP TABLE access; --"
	"test1\\' OR 1=1 #" "%" "_____" "test1%" "' OR user LIKE '%")
got=$($py "$cl" "$dir/a.sock" users 10.99.99.99 "${payloads[@]}" | sort -u)
[ "$got" = "$REFUSE" ] && ok "${#payloads[@]} SQL-injection payloads: every one refused" ||
	bad "injection: $got"
n=$("$mdb" sql "$dir" <<< 'SELECT COUNT(*) FROM policy.access' | tail -1)
[ "$n" = 14 ] && ok "the table is intact (14 rows)" || bad "rows after injection: $n"

# --domain
bg "$bin" --rules "$top/reference/policyd/sample.rules" --db-password-file "$dir/pw" \
	--log-decisions no --db "$url" --domain both "unix:$dir/both.sock" 2> "$dir/both.log"
wait_socket "$dir/both.sock"
got=$($py "$cl" "$dir/both.sock" users 203.0.113.8 bob@example.com | tr '\n' '|')
[ "$got" = "$ALLOW|" ] && ok "--domain both: bob's rows count for bob@example.com" ||
	bad "--domain both: $got"

# 1,000 concurrent connections
got=$($py "$cl" "$dir/a.sock" many 1000 192.0.2.77 test1 "$ALLOW")
[ "$got" = "1000 ok" ] && ok "1,000 concurrent connections: every lookup answered right" ||
	bad "1,000 connections: $got"

# a query slower than the timeout
start s --db "mysql://policyd@localhost/slow?socket=$dir/mysql.sock" --db-timeout 300
t0=$(date +%s%N)
got=$($py "$cl" "$dir/s.sock" users 127.0.0.1 test1)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$got" = EOF ] && [ "$ms" -lt 1500 ] &&
	ok "a query slower than --db-timeout 300: no reply, closed after $ms ms" ||
	bad "slow query: '$got' after $ms ms"

# the server stopped mid-run
"$mdb" stop "$dir"
got=$($py "$cl" "$dir/a.sock" users 192.0.2.1 test1 test1 alice many test1 | sort -u)
[ "$got" = EOF ] && ok "server stopped: 5 lookups get no reply (never DUNNO or OK)" ||
	bad "server stopped: $got"
$py "$cl" "$dir/a.sock" many 200 192.0.2.1 test1 EOF > "$dir/during" &
lat=$($py "$cl" "$dir/a.sock" plain 2000)
wait $!
p99=$(echo "$lat" | awk '{ print $2 }')
# 1 ms in an optimised build; sanitizers make every request several times slower
limit=1
case "$build" in */asan-* | */tsan-* | */cov-*) limit=5 ;; esac
awk -v p="$p99" -v l="$limit" 'BEGIN { exit !(p < l) }' &&
	ok "server stopped, 200 lookups failing: requests without a lookup $lat ms (p99 < $limit)" ||
	bad "requests without a lookup while stopped: $lat (want p99 < $limit ms)"
[ "$(cat "$dir/during")" = "200 ok" ] && ok "server stopped: 200 concurrent lookups, none answered" ||
	bad "200 lookups while stopped: $(cat "$dir/during")"
"$mdb" start "$dir" || bad "the private MariaDB did not restart"
got=""
for _ in $(seq 40); do
	got=$($py "$cl" "$dir/a.sock" users 192.0.2.1 test1)
	[ "$got" = "$ALLOW" ] && break
	sleep 0.25
done
[ "$got" = "$ALLOW" ] && ok "server back: lookups answer again" || bad "after restart: $got"
got=$($py "$cl" "$dir/a.sock" users 10.0.0.1 test1)
[ "$got" = "$REFUSE" ] && ok "server back: outside the networks refused" || bad "after restart: $got"
pid_a=$(echo $pids | awk '{ print $1 }')
kill "$pid_a"
wait "$pid_a"
rc=$?
[ "$rc" = 0 ] && ! grep -q "Sanitizer" "$dir/a.log" && ok "SIGTERM: exit 0, no sanitizer report" ||
	bad "exit $rc: $(grep -m3 Sanitizer "$dir/a.log")"
suite_end
