#!/usr/bin/env bash
# The whole test suite: what the build needs (scripts/setup.sh), then what the tests need
# (below), a running PostgreSQL, formatting, lints, and every test against a real PostgreSQL
# and real SQLite files. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# Installs the Debian packages named, if any (with sudo when not root).
install() {
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test: installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# `want WHAT PACKAGE`: PACKAGE is installed unless WHAT (a command, or a path with a /) is there.
need=()
want() {
  case "$1" in
    */*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac || need+=("$2")
}
# One tool a line, so a new one merges cleanly.
want sqlite3 sqlite3                # the reference SQL in reports/, on SQLite
want psql postgresql-client         # the reference SQL in reports/, on PostgreSQL
want chromium chromium              # the HTML report, measured and screenshotted headless
want promtool prometheus            # `promtool check metrics` on the OpenMetrics output
# tests/it/standby.rs starts its own primary and hot standby with PostgreSQL 15's initdb,
# pg_ctl and pg_basebackup (as the postgres OS user the package creates).
want "${FAQLINK_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}/pg_basebackup" postgresql-15
want systemd-analyze systemd        # tests/it/ops.rs: `systemd-analyze verify` on contrib/systemd/
want man man-db                     # ... which looks the units' Documentation= pages up
want flock util-linux               # ... the cron recipe's lock; `script` for the terminal tests
want setfacl acl                    # tests/it/files.rs: default ACL masks, replaced files' ACLs
install ${need[@]+"${need[@]}"}

# The tests need PostgreSQL (FAQLINK_TEST_PG, default postgres://postgres@127.0.0.1:5432).
pg_url="${FAQLINK_TEST_PG:-postgres://postgres@127.0.0.1:5432}"
if [ "${FAQLINK_TEST_SKIP_PG:-}" != "1" ] && ! psql "$pg_url/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "test: starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do
      psql "$pg_url/postgres" -Atqc 'select 1' >/dev/null 2>&1 && break
      sleep 1
    done
  fi
  if ! psql "$pg_url/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "test: PostgreSQL is not answering at $pg_url; the PostgreSQL tests would fail" >&2
    exit 1
  fi
fi

cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets
