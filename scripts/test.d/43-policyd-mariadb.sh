#!/bin/bash
# 43-policyd-mariadb - ref-policyd on a private MariaDB server
# (scripts/mariadb-private: a UNIX socket in a temporary directory, no
# TCP, stopped by its PID), through the cases of policyd_db_cases.bash:
# every row of a user counts; names compare byte for byte whatever the
# server's collation; SQL-injection payloads in sasl_username never widen
# access; --domain; the password from a file or the environment, refused
# in the URL; the server stopped mid-run (lookups get no reply, never
# DUNNO or OK, while requests that need no lookup keep a p99 under 1 ms)
# and recovery when it returns; a query slower than --db-timeout; 1,000
# concurrent connections. Then fake-smtpd check --policy's injection check
# (POLICY-INJ-001): it passes against ref-policyd on MariaDB and catches
# the seed's own logic on the same table (seed_mysql_policy.py: SQL built
# by string formatting, the first row only).
# Usage: 43-policyd-mariadb.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init policyd-mariadb "${1:-}"
bin="$build/bin/ref-policyd"
py=/usr/bin/python3
need "$bin"
command -v mariadbd > /dev/null && command -v mariadb-install-db > /dev/null ||
	suite_skip "mariadb-server is not installed (scripts/install-deps)"
ulimit -n 8192 2>/dev/null

. "$(dirname "$0")/policyd_db_cases.bash"
mdb="$top/scripts/mariadb-private"
srv_count() { "$mdb" sql "$dir" <<< 'SELECT COUNT(*) FROM policy.access' | tail -1; }
db_server "$mdb"
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
slow_url="mysql://policyd@localhost/slow?socket=$dir/mysql.sock"
url_with_password="mysql://policyd:secret@localhost/policy"
denied="Access denied"
db_cases

# the injection checks of fake-smtpd check --policy: ref-policyd on MariaDB
# passes them; the seed's own logic (string-built SQL, first row only) fails
fs="$build/bin/fake-smtpd"
if [ -x "$fs" ]; then
	start inj --db "$url"
	"$fs" check --policy "unix:$dir/inj.sock" --only POLICY-INJ-001 --user test1 \
		> "$dir/inj.out" 2>&1
	rc=$?
	[ $rc = 0 ] && grep -q "^PASS *POLICY-INJ-001" "$dir/inj.out" &&
		ok "fake-smtpd check: POLICY-INJ-001 passes against ref-policyd on MariaDB" ||
		bad "POLICY-INJ-001 against ref-policyd: rc=$rc $(head -5 "$dir/inj.out")"
	"$fs" check --policy "spawn:$py $top/scripts/test.d/seed_mysql_policy.py $dir/mysql.sock policy" \
		--only POLICY-INJ-001 --user test1 > "$dir/seed.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q "^FAIL *POLICY-INJ-001" "$dir/seed.out" &&
		ok "fake-smtpd check: POLICY-INJ-001 catches the seed's string-built SQL on MariaDB" ||
		bad "POLICY-INJ-001 against the seed's logic: rc=$rc $(head -5 "$dir/seed.out")"
	grep -A3 "SQL quote" "$dir/seed.out" | head -4 | sed 's/^/    /'
fi
suite_end
