#!/usr/bin/env bash
# Seed benchmark: wall time, rows per second and peak RSS of `faqlink seed` on a fresh
# database per backend (migrations included, as a user runs it). Not part of CI.
#
#   bench/seed.sh [ROWS] [BACKENDS]     default: 1000000 "postgres sqlite"
#
# Fresh each time: the SQLite file bench/data/faqlink_seed_bench.db and the PostgreSQL
# database faqlink_seed_bench on ${BENCH_PG:-postgres://postgres@127.0.0.1:5432} are dropped
# before the run and removed after it. No VACUUM/ANALYZE is timed. Prints one table and keeps
# it in bench/data/results/.
set -euo pipefail
source "$(dirname "$0")/common.sh"

rows=${1:-1000000}
backends=${2:-"postgres sqlite"}
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time, Debian package 'time') is needed"
build_release
rev="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && git diff --quiet HEAD -- src migrations 2>/dev/null || echo '+changes')"

stamp=$(date +%Y%m%d-%H%M%S)
out="$DATA/results/seed-$stamp"
mkdir -p "$out"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
table=()
pg_admin() { PGOPTIONS=--client-min-messages=warning psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_PG/postgres" -c "$1" >/dev/null; }
cleanup() {
  rm -f "$DATA"/faqlink_seed_bench.db*
  case " $backends " in *" postgres "*) pg_admin "DROP DATABASE IF EXISTS faqlink_seed_bench" || true ;; esac
}
trap cleanup EXIT

for backend in $backends; do
  case "$backend" in
    postgres)
      url="$BENCH_PG/faqlink_seed_bench"
      pg_admin "DROP DATABASE IF EXISTS faqlink_seed_bench"
      pg_admin "CREATE DATABASE faqlink_seed_bench" ;;
    sqlite)
      url="$DATA/faqlink_seed_bench.db"
      rm -f "$url" "$url-wal" "$url-shm" ;;
    *) die "unknown backend '$backend'" ;;
  esac
  log "seeding $rows rows on $backend"
  /usr/bin/time -v -o "$out/$backend.time" \
    "$FAQLINK" seed --database-url "$url" --feedback "$rows" "${SEED_ARGS[@]}" >"$out/$backend.out"
  cat "$out/$backend.out" >&2
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$out/$backend.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/$backend.time")
  table+=("$(awk -v b="$backend" -v n="$rows" -v w="$wall" -v r="$rss" \
    'BEGIN { printf "| %s | %d | %.1f s | %.0f | %.1f MiB |", b, n, w, n / w, r / 1024 }')")
  cleanup
done

{
  echo "faqlink $rev seed, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, one run each on a fresh database, load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| backend | feedback rows | wall time | rows/s | peak RSS |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${table[@]}"
} | tee "$out/table.md"
