#!/usr/bin/env bash
# The bundle benchmark: `faqlink report all` against the plain client running the three plain
# queries of bench/sql/plain_bundle.<backend>.sql (per-expert report, funnel, orphan listing)
# in one session, and `report all --last-week` against the same three over the same seven
# days (f, g, h), then the floor: one plain scan of expert_feedback's heap. PostgreSQL is measured on the production-shaped
# schema: faqlink's optional indexes are dropped for the run and recreated afterwards (also
# when interrupted). SQLite keeps them: there the sqlite3 CLI reads the same file. Not part
# of CI.
#
#   bench/bundle.sh [SIZES] [BACKENDS]          default "1000000" "postgres sqlite"
#   BENCH_RUNS      timed runs per command (default 5), after one warm-up run
#   BENCH_SECTIONS  1: also time each section alone (`report <kind>`, whole history and last
#                   week), for where the bundle's time goes
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
SINCE=2026-11-16T00:00:00Z UNTIL=2026-11-23T00:00:00Z
SQLITE_SINCE=2026-11-16T00:00:00.000000Z SQLITE_UNTIL=2026-11-23T00:00:00.000000Z

# One named query of a plain_bundle file (the statement after `-- NAME`), without its `;`.
query() { # BACKEND NAME
  awk -v name="$2" '$0 == "-- " name {on = 1; next} on && /^-- / {exit} on {print}' \
    "$BENCH_DIR/sql/plain_bundle.$1.sql" | tr '\n' ' ' | sed -e 's/;[[:space:]]*$//'
}

out=$(mktemp -d)
restore=()
cleanup() {
  for r in "${restore[@]}"; do create_faqlink_indexes postgres "$r" || true; done
  rm -rf "$out"
}
trap cleanup EXIT

median() { jq -r ".results[$1].median" "$out/r.json"; }
rss() { # FAQLINK_COMMAND: faqlink's peak RSS in MiB, one more run
  # shellcheck disable=SC2086
  printf '%.1f MiB' "$(echo "$(peak_rss_kib $1) / 1024" | bc -l)"
}
compare() { # LABEL FAQLINK_COMMAND CLIENT_COMMAND
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$out/r.json" "$2" "$3" >/dev/null 2>&1 || die "hyperfine failed: $1"
  local a b
  a=$(median 0) b=$(median 1)
  printf '| %s | %s | %s | %.3f s | %.3f s | %.2f | %s |\n' "$size" "$backend" "$1" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$(rss "$2")"
}
floor() { # CLIENT_COMMAND: one plain scan of expert_feedback's heap (the plain client alone)
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$out/r.json" "$1" >/dev/null 2>&1 || die "hyperfine failed: floor"
  printf '| %s | %s | floor: one plain scan of the heap (plain client) | – | %.3f s | – | – |\n' "$size" "$backend" "$(median 0)"
}
# Each section alone (faqlink only), whole history and last week.
sections() { # URL
  local kind args
  for kind in experts totals orphans duplicates weekly; do
    for args in "" "--last-week"; do
      hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$out/r.json" \
        "$FAQLINK report $kind $args --format csv --database-url $1 --output /dev/null" >/dev/null 2>&1 || die "hyperfine failed: $kind"
      printf '| %s | %s | report %s %s alone | %.3f s | – | – | – |\n' "$size" "$backend" "$kind" "$args" "$(median 0)"
    done
  done
}

printf '| rows | backend | work | faqlink | plain client | ratio | faqlink peak RSS |\n|---:|---|---|---:|---:|---:|---:|\n'
for size in $sizes; do
  for backend in $backends; do
    url=$("$BENCH_DIR/datasets.sh" "$size" "$backend")
    fl="$FAQLINK report all --format csv --database-url $url --output /dev/null"
    case $backend in
      postgres)
        restore+=("$url")
        drop_faqlink_indexes postgres "$url"
        settle postgres "$url"
        three=(psql -X -q -d "$url")
        for q in a_expert_report b_funnel c_orphans; do three+=(-c "COPY ($(query postgres $q)) TO STDOUT WITH CSV HEADER"); done
        weekly3=(psql -X -q -d "$url")
        for q in f_expert_report_7d g_funnel_7d h_orphans_7d; do
          weekly3+=(-c "COPY ($(query postgres $q | sed -e "s/:'since'/'$SINCE'/g" -e "s/:'until'/'$UNTIL'/g")) TO STDOUT WITH CSV HEADER")
        done
        compare "report all vs psql's three plain queries" "$fl" "$(printf '%q ' "${three[@]}")"
        compare "report all --last-week vs psql's three plain queries over the week" "$fl --last-week" \
          "$(printf '%q ' "${weekly3[@]}")"
        floor "$(printf '%q ' psql -X -q -d "$url" -c "$(query postgres floor)")"
        if [ "${BENCH_SECTIONS:-}" = 1 ]; then sections "$url"; fi
        ;;
      sqlite)
        three="$(query sqlite a_expert_report); $(query sqlite b_funnel); $(query sqlite c_orphans);"
        week=""
        for q in f_expert_report_7d g_funnel_7d h_orphans_7d; do
          week+="$(query sqlite $q | sed -e "s/:since/'$SQLITE_SINCE'/g" -e "s/:until/'$SQLITE_UNTIL'/g"); "
        done
        compare "report all vs sqlite3's three plain queries" "$fl" "$(printf '%q ' sqlite3 -csv -header "$url" "$three")"
        compare "report all --last-week vs sqlite3's three plain queries over the week" "$fl --last-week" \
          "$(printf '%q ' sqlite3 -csv -header "$url" "$week")"
        floor "$(printf '%q ' sqlite3 "$url" "$(query sqlite floor);")"
        if [ "${BENCH_SECTIONS:-}" = 1 ]; then sections "$url"; fi
        ;;
    esac
  done
done
printf '\n%s runs each after a warm-up (hyperfine medians); faqlink %s; load at the end: %s\n' \
  "$RUNS" "$FAQLINK" "$(cut -d' ' -f1-3 /proc/loadavg)"
