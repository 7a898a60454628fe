# Shared settings for the benchmark scripts (sourced, not run). Not part of CI.
#
#   BENCH_PG        PostgreSQL server, default postgres://postgres@127.0.0.1:5432
#                   (databases faqlink_bench_<size> are created on it)
#   BENCH_NO_BUILD  1: do not run `cargo build --release` (the caller already did)
#   BENCH_FAQLINK   the faqlink binary to measure (default target/release/faqlink)

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
DATA="$BENCH_DIR/data"
FAQLINK="${BENCH_FAQLINK:-$ROOT/target/release/faqlink}"
BENCH_PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
BENCH_PG="${BENCH_PG%/}"
INDEX_MIGRATION="2025-11-25-000000_faqlink_reporting_index"
PARTIAL_INDEX_MIGRATION="2025-11-26-000000_faqlink_partial_indexes"

# The fixed seed arguments of every benchmark dataset (only --feedback varies).
SEED_ARGS=(--experts 200 --seed 1 --weeks 104 --end 2026-11-23 --deleted-share 0.05)

mkdir -p "$DATA"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# Builds target/release/faqlink and measures a copy of it (bench/data/faqlink.pinned), so a
# rebuild by someone else during a long run cannot swap the binary halfway.
build_release() {
  [ "${BENCH_NO_BUILD:-}" = 1 ] && return 0
  [ -n "${BENCH_FAQLINK:-}" ] && return 0
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
  cp "$ROOT/target/release/faqlink" "$DATA/faqlink.pinned"
  FAQLINK="$DATA/faqlink.pinned"
  export BENCH_FAQLINK="$FAQLINK"
}

# The database URL (PostgreSQL) or file path (SQLite) of the dataset of SIZE rows.
dataset_url() { # SIZE BACKEND
  case "$2" in
    postgres) printf '%s/faqlink_bench_%s' "$BENCH_PG" "$1" ;;
    sqlite) printf '%s/faqlink_bench_%s.db' "$DATA" "$1" ;;
    *) die "unknown backend '$2' (postgres or sqlite)" ;;
  esac
}

# The statements of one of faqlink's index migrations without their comments (empty for the
# SQLite side of the partial-index migration, which is a no-op there).
index_sql() { # BACKEND up|down [MIGRATION]
  sed -e '/^[[:space:]]*--/d' "$ROOT/migrations/$1/${3:-$INDEX_MIGRATION}/$2.sql"
}

# Runs SQL on a dataset, printing unaligned results.
run_sql() { # BACKEND URL SQL
  case "$1" in
    postgres) psql -X -q -At -v ON_ERROR_STOP=1 -d "$2" -c "$3" ;;
    sqlite) sqlite3 -batch "$2" "$3" ;;
  esac
}

# The index's columns as "(a)INCLUDE(b,c)" / "(a,b,c)": what the migration says, what the
# dataset has (empty when it has no such index).
index_columns_expected() { # BACKEND
  index_sql "$1" up | tr -d ' \n\t' | sed -e 's/^.*ONexpert_feedback//' -e 's/;$//'
}
index_columns_actual() { # BACKEND URL
  case "$1" in
    postgres) run_sql postgres "$2" "SELECT pg_get_indexdef(indexrelid) FROM pg_index \
                WHERE indexrelid = to_regclass('ix_faqlink_reporting')" | tr -d ' \n\t' | sed -e 's/^.*USINGbtree//' ;;
    sqlite) run_sql sqlite "$2" "SELECT sql FROM sqlite_master WHERE name = 'ix_faqlink_reporting'" \
                | tr -d ' \n\t' | sed -e 's/^.*ONexpert_feedback//' ;;
  esac
}

has_reporting_index() { # BACKEND URL
  [ -n "$(index_columns_actual "$1" "$2")" ]
}

# PostgreSQL's partial indexes (ix_faqlink_experts, ix_faqlink_orphaned) are there.
has_partial_indexes() { # BACKEND URL
  [ "$1" = postgres ] || return 1
  [ "$(run_sql postgres "$2" "SELECT to_regclass('ix_faqlink_experts') IS NOT NULL \
         AND to_regclass('ix_faqlink_orphaned') IS NOT NULL")" = t ]
}

# Drops every faqlink-only index (both index migrations' down.sql, newest first).
drop_faqlink_indexes() { # BACKEND URL
  if has_partial_indexes "$1" "$2"; then
    log "dropping ix_faqlink_experts, ix_faqlink_orphaned ($1)"
    run_sql "$1" "$2" "$(index_sql "$1" down "$PARTIAL_INDEX_MIGRATION")" >/dev/null
  fi
  has_reporting_index "$1" "$2" || return 0
  log "dropping ix_faqlink_reporting ($1)"
  run_sql "$1" "$2" "$(index_sql "$1" down)" >/dev/null
}

# Creates every faqlink-only index as the current migrations define them; a reporting index
# of an older definition (a dataset seeded by an older faqlink) is replaced.
create_faqlink_indexes() { # BACKEND URL
  local actual
  actual=$(index_columns_actual "$1" "$2")
  if [ "$actual" != "$(index_columns_expected "$1")" ]; then
    [ -n "$actual" ] && { log "dropping an older ix_faqlink_reporting ($1)"; run_sql "$1" "$2" "$(index_sql "$1" down)" >/dev/null; }
    log "creating ix_faqlink_reporting ($1)"
    run_sql "$1" "$2" "$(index_sql "$1" up)" >/dev/null
    # SQLite plans from sqlite_stat1, which lost the index's row when it was dropped.
    if [ "$1" = sqlite ]; then run_sql sqlite "$2" "ANALYZE ix_faqlink_reporting" >/dev/null; fi
  fi
  if [ "$1" = postgres ] && ! has_partial_indexes "$1" "$2"; then
    log "creating ix_faqlink_experts, ix_faqlink_orphaned ($1)"
    run_sql "$1" "$2" "SET client_min_messages = warning; DROP INDEX IF EXISTS ix_faqlink_experts; \
      DROP INDEX IF EXISTS ix_faqlink_orphaned;" >/dev/null
    run_sql "$1" "$2" "$(index_sql "$1" up "$PARTIAL_INDEX_MIGRATION")" >/dev/null
  fi
  settle "$1" "$2"
}

# Writes what index builds left in the WAL out to the data files before anything is timed, so
# a measurement does not share the disk with a checkpoint (PostgreSQL) or read new index pages
# through the WAL (SQLite).
settle() { # BACKEND URL
  case "$1" in
    postgres) run_sql postgres "$2" "CHECKPOINT" >/dev/null || true ;;
    sqlite) run_sql sqlite "$2" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null || true ;;
  esac
}

# Peak RSS of a command in KiB (GNU time's "Maximum resident set size").
peak_rss_kib() { # COMMAND...
  local out
  out=$(/usr/bin/time -v "$@" 2>&1 >/dev/null) || die "failed: $*"
  printf '%s\n' "$out" | awk -F': ' '/Maximum resident set size/ {print $2}'
}
