#!/usr/bin/env bash
# Installs what faqlink's build and tests need on a fresh Debian machine; with --postgres it
# also starts the local PostgreSQL when it is not answering (the tests need it).
# Safe to run again: it skips what is already there.
#   - libssl-dev, pkg-config: the bundled libpq links OpenSSL
#   - sqlite3, postgresql-client: the tests run the reference SQL in reports/ with them
#   - chromium: the HTML report is loaded, measured and screenshotted in headless Chromium
#   - prometheus: its `promtool check metrics` validates the OpenMetrics output
set -euo pipefail

# Installs the Debian packages named, if any (with sudo when not root).
install() {
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

need=()
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# tests/it/standby.rs starts its own primary and hot standby with PostgreSQL 15's initdb,
# pg_ctl and pg_basebackup (as the postgres OS user the package creates).
[ -x "${FAQLINK_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}/pg_basebackup" ] || need+=(postgresql-15)
install ${need[@]+"${need[@]}"}

[ "${1:-}" = "--postgres" ] || exit 0

# The tests need PostgreSQL (FAQLINK_TEST_PG, default postgres://postgres@127.0.0.1:5432).
pg_url="${FAQLINK_TEST_PG:-postgres://postgres@127.0.0.1:5432}"
if [ "${FAQLINK_TEST_SKIP_PG:-}" != "1" ] && ! psql "$pg_url/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "setup: starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do
      psql "$pg_url/postgres" -Atqc 'select 1' >/dev/null 2>&1 && break
      sleep 1
    done
  fi
  if ! psql "$pg_url/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "setup: PostgreSQL is not answering at $pg_url; the PostgreSQL tests will fail" >&2
    exit 1
  fi
fi

# The operations tests (tests/it/ops.rs): `systemd-analyze verify` checks the units in
# contrib/systemd/ (it looks their Documentation= pages up with `man`), and the cron recipe
# takes its lock with `flock`. systemd need not be running; the package brings systemd-analyze.
ops_need=()
command -v systemd-analyze >/dev/null 2>&1 || ops_need+=(systemd)
command -v man >/dev/null 2>&1 || ops_need+=(man-db)
command -v flock >/dev/null 2>&1 || ops_need+=(util-linux)
# tests/it/files.rs sets and reads ACLs (default ACL masks, replaced files' ACLs).
command -v setfacl >/dev/null 2>&1 || ops_need+=(acl)
install ${ops_need[@]+"${ops_need[@]}"}
