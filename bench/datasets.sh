#!/usr/bin/env bash
# Creates, or reuses, the seeded benchmark dataset of SIZE feedback rows on BACKEND and prints
# its URL (PostgreSQL) or path (SQLite) on stdout. Not part of CI.
#
#   bench/datasets.sh SIZE BACKEND        e.g. bench/datasets.sh 1000000 postgres
#
# SQLite: bench/data/faqlink_bench_<SIZE>.db (gitignored). PostgreSQL: database
# faqlink_bench_<SIZE> on ${BENCH_PG:-postgres://postgres@127.0.0.1:5432}.
# Seeded with `faqlink seed --experts 200 --feedback SIZE --seed 1 --weeks 104 --end 2026-11-23
# --deleted-share 0.05` (faqlink's migrations, including its own indexes, run first), then
# VACUUM ANALYZE (PostgreSQL) / ANALYZE (SQLite). An existing dataset is reused when it holds
# exactly SIZE feedback rows and was analyzed; it is brought to the current migrations, and
# faqlink-only indexes missing after a benchmark interrupted while measuring without them are
# recreated. Seeding takes about 20 s per million rows on PostgreSQL, 35 s on SQLite.
set -euo pipefail
source "$(dirname "$0")/common.sh"

[ $# -eq 2 ] || die "usage: bench/datasets.sh SIZE postgres|sqlite"
size=$1 backend=$2
[[ $size =~ ^[0-9]+$ ]] && [ "$size" -gt 0 ] || die "SIZE must be a positive number of rows"
url=$(dataset_url "$size" "$backend")
build_release

ready() {
  case "$backend" in
    postgres)
      psql -X -Atq -d "$BENCH_PG/postgres" \
        -c "SELECT 1 FROM pg_database WHERE datname = 'faqlink_bench_$size'" | grep -q 1 || return 1
      [ "$(run_sql postgres "$url" "SELECT count(*) FROM expert_feedback" 2>/dev/null)" = "$size" ] || return 1
      # VACUUM ANALYZE finished (it is the last step of seeding).
      [ "$(run_sql postgres "$url" "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL \
             FROM pg_stat_user_tables WHERE relname = 'expert_feedback'")" = t ]
      ;;
    sqlite)
      [ -f "$url" ] || return 1
      [ "$(run_sql sqlite "$url" "SELECT count(*) FROM expert_feedback" 2>/dev/null)" = "$size" ] || return 1
      [ "$(run_sql sqlite "$url" "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")" = 1 ]
      ;;
  esac
}

if ready; then
  log "reusing $backend dataset of $size rows"
else
  log "seeding $backend dataset of $size rows (about $((size / 20000 + 1)) s)"
  case "$backend" in
    postgres)
      PGOPTIONS=--client-min-messages=warning psql -X -q -d "$BENCH_PG/postgres" -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS faqlink_bench_$size" -c "CREATE DATABASE faqlink_bench_$size" >/dev/null
      "$FAQLINK" seed --database-url "$url" --feedback "$size" "${SEED_ARGS[@]}" >&2
      log "VACUUM ANALYZE"
      run_sql postgres "$url" "VACUUM ANALYZE" >/dev/null
      ;;
    sqlite)
      rm -f "$url" "$url-wal" "$url-shm" "$url-journal"
      "$FAQLINK" seed --database-url "$url" --feedback "$size" "${SEED_ARGS[@]}" >&2
      log "ANALYZE"
      run_sql sqlite "$url" "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
      ;;
  esac
  ready || die "the $backend dataset of $size rows is not as expected after seeding"
fi
# A reused dataset gets the migrations added since it was seeded, and the faqlink-only indexes
# back if an interrupted benchmark left them dropped.
"$FAQLINK" migrate --database-url "$url" >&2
create_faqlink_indexes "$backend" "$url"
printf '%s\n' "$url"
