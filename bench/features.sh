#!/usr/bin/env bash
# The issue-24 benchmark: `report latency` over the whole history against the database's own
# client running the reference SQL (reports/latency.<backend>.sql: PostgreSQL's
# percentile_cont; SQLite's window functions), and, with BENCH_BASELINE set to a faqlink
# built before latency and moved joined `report all`, `report all --last-week` (which now
# carries them) against the baseline's `report all --last-week` (the five sections alone).
# Prints each median and the ratios the issue sets: latency ≤ 2× psql, the bundle with the
# new sections ≤ 1.2× the bundle. Not part of CI.
#
#   bench/features.sh [SIZES] [BACKENDS]        default "1000000" "postgres sqlite"
#   BENCH_RUNS      timed runs per command (default 5), after one warm-up run
#   BENCH_BASELINE  a faqlink binary from before latency and moved joined `report all`
#
# Datasets come from bench/datasets.sh (seeded with faqlink's own seed, whose FAQs carry a
# realistic delay after their feedback).
set -euo pipefail
source "$(dirname "$0")/common.sh"

sizes=${1:-1000000}
backends=${2:-"postgres sqlite"}
RUNS=${BENCH_RUNS:-5}
command -v hyperfine >/dev/null 2>&1 || die "hyperfine is needed (Debian package hyperfine)"
command -v jq >/dev/null 2>&1 || die "jq is needed to read hyperfine's JSON"
build_release
export BENCH_NO_BUILD=1
# --last-week with this "now" is 2026-W47 (UTC), the last complete week of the seeded history.
export FAQLINK_NOW=2026-11-23T12:00:00Z

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The median wall time in seconds of COMMAND (hyperfine, RUNS runs after a warm-up).
median() { # NAME COMMAND
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$out/$1.json" "$2" >/dev/null
  jq -r '.results[0].median' "$out/$1.json"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

printf '%-9s %-8s %-34s %9s %9s %7s\n' size backend measure faqlink client ratio
for size in $sizes; do
  for backend in $backends; do
    url=$("$BENCH_DIR/datasets.sh" "$size" "$backend")
    case "$backend" in
      postgres)
        db="$url"
        client="psql -X -q -At -d '$url' -v since= -v until= -v tz=UTC -v sla_seconds=172800 -f '$ROOT/reports/latency.postgres.sql' >/dev/null"
        ;;
      sqlite)
        db="sqlite://$url"
        client="sed -e \"s/:since/''/g; s/:until/''/g; s/:sla_seconds/172800/g\" '$ROOT/reports/latency.sqlite.sql' | sqlite3 -batch '$url' >/dev/null"
        ;;
    esac
    f="'$FAQLINK' --database-url '$db' report"
    lat=$(median "lat-$backend-$size" "$f latency --format csv >/dev/null")
    ref=$(median "ref-$backend-$size" "$client")
    printf '%-9s %-8s %-34s %9.3f %9.3f %7s\n' "$size" "$backend" "latency, whole history" "$lat" "$ref" "$(ratio "$lat" "$ref")"
    if [ -n "${BENCH_BASELINE:-}" ]; then
      # `report all --last-week` now carries latency and moved: against the same command of
      # a faqlink from before they joined it (the bundle's five sections alone).
      base="'$BENCH_BASELINE' --database-url '$db' report"
      with=$(median "with-$backend-$size" "$f all --last-week --format csv >/dev/null")
      all=$(median "all-$backend-$size" "$base all --last-week --format csv >/dev/null")
      printf '%-9s %-8s %-34s %9.3f %9.3f %7s\n' "$size" "$backend" "all --last-week vs the five alone" "$with" "$all" "$(ratio "$with" "$all")"
    fi
  done
done
log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
