#!/bin/bash
# 44-policyd-postgresql - ref-policyd on a private PostgreSQL server
# (scripts/postgresql-private: initdb and postgres -k DIR as an
# unprivileged user, no TCP, stopped by its PID), through the cases of
# policyd_db_cases.bash (as test 43 for MariaDB): every row, exact names,
# SQL injection, --domain, passwords, the server stopped mid-run and
# back, a query past --db-timeout, 1,000 concurrent connections.
# Usage: 44-policyd-postgresql.sh BUILD_DIR     Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/suite.bash"
suite_init policyd-postgresql "${1:-}"
bin="$build/bin/ref-policyd"
py=/usr/bin/python3
need "$bin"
[ -n "$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null)" ] ||
	suite_skip "postgresql is not installed (scripts/install-deps)"
ulimit -n 8192 2>/dev/null

. "$(dirname "$0")/policyd_db_cases.bash"
pgs="$top/scripts/postgresql-private"
srv_count() { "$pgs" sql "$dir" <<< '\c policy
\pset tuples_only on
\pset format unaligned
SELECT COUNT(*) FROM access;' | tail -1; }
db_server "$pgs"
"$pgs" sql "$dir" <<'SQL' || bad "database setup"
CREATE ROLE policyd LOGIN PASSWORD 'pw with spaces';
CREATE DATABASE policy;
CREATE DATABASE slow;
\c policy
CREATE TABLE access("user" TEXT, network TEXT);
CREATE INDEX ON access("user");
INSERT INTO access VALUES
  ('test1', '127.0.0.0/8'), ('test1', '192.0.2.0/24'),
  ('alice', '198.51.100.0/24'), ('alice', '2001:db8:1::/48'),
  ('bob@example.com', '203.0.113.7'), ('bob', '203.0.113.8'),
  ('carol', 'not-a-network'), ('carol', NULL), ('carol', '::1'),
  ('many', '10.0.1.0/24'), ('many', '10.0.2.0/24'), ('many', '10.0.3.0/24'),
  ('many', '10.0.4.0/24'), ('many', '10.0.5.0/24');
GRANT SELECT ON access TO policyd;
\c slow
CREATE TABLE rows("user" TEXT, network TEXT);
INSERT INTO rows VALUES('test1', '127.0.0.0/8');
CREATE FUNCTION slow() RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(3); SELECT true';
CREATE VIEW access AS SELECT "user", network FROM rows WHERE slow();
GRANT SELECT ON access, rows TO policyd;
SQL
printf 'pw with spaces\n' > "$dir/pw"
url="postgresql://policyd@/policy?host=$dir/pg"
slow_url="postgresql://policyd@/slow?host=$dir/pg"
url_with_password="postgresql://policyd:secret@/policy?host=$dir/pg"
denied="password authentication failed\|no password supplied"
db_cases
suite_end
