#!/usr/bin/env bash
# Report benchmark: faqlink side by side with the plain clients (psql, sqlite3) running the
# reference SQL in reports/, and with psql running faqlink's own SQL (bench/sql/) under
# faqlink's session settings. Not part of CI.
#
#   bench/reports.sh [SIZES] [BACKENDS]
#   bench/reports.sh                              # "100000 1000000" "postgres sqlite"
#   BENCH_RUNS=3 bench/reports.sh 10000000 postgres
#
#   BENCH_RUNS   timed runs per command (default 5), after one warm-up run (warm cache)
#   BENCH_PG     PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
#   BENCH_BUNDLE 0: leave out the closing `report all` bundle table (bench/bundle.sh)
#
# Datasets come from bench/datasets.sh (created or reused). Each comparison is one hyperfine
# invocation with both commands (medians of its JSON export); faqlink's peak RSS is GNU time's
# "Maximum resident set size" of one more run. The "without faqlink's indexes" rows drop the
# faqlink-only indexes (the down.sql of migrations/*/2025-11-25-000000_faqlink_reporting_index
# and, on PostgreSQL, 2025-11-26-000000_faqlink_partial_indexes) and recreate them afterwards
# (up.sql), also when interrupted. The table is printed and kept in bench/data/results/.
set -euo pipefail
source "$(dirname "$0")/common.sh"

sizes=${1:-"100000 1000000"}
backends=${2:-"postgres sqlite"}
RUNS=${BENCH_RUNS:-5}

# --last-week with this "now" is 2026-W47, the last complete week of the seeded history.
export FAQLINK_NOW=2026-11-23T12:00:00Z
WEEK_SINCE=2026-11-16T00:00:00Z
WEEK_UNTIL=2026-11-23T00:00:00Z
WEEK_WINDOW="AND ef.feedback_timestamp >= '$WEEK_SINCE' AND ef.feedback_timestamp < '$WEEK_UNTIL'"

if ! command -v hyperfine >/dev/null 2>&1; then
  log "installing hyperfine (Debian package)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq hyperfine >/dev/null
fi
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time, Debian package 'time') is needed for peak RSS"
command -v jq >/dev/null 2>&1 || die "jq is needed to read hyperfine's JSON"

build_release
export BENCH_NO_BUILD=1
cd "$ROOT"
# The source the binary was built from (without BENCH_NO_BUILD=1, just built).
rev="$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src migrations 2>/dev/null || echo '+changes')"

stamp=$(date +%Y%m%d-%H%M%S)
out="$DATA/results/$stamp"
mkdir -p "$out"
rows="$out/rows.tsv"
: >"$rows"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

q() { printf '%q ' "$@"; }

# faqlink's command line for one report on the current dataset.
fl() { q "$FAQLINK" report "$@" --format csv --database-url "$url" --output /dev/null; }

# The plain client running a SQL file on the current dataset; optional window bounds.
client() { # FILE [SINCE UNTIL]
  local file=$1 since=${2:-} until=${3:-}
  case "$backend" in
    postgres)
      q psql -X -q --csv -v "since=$since" -v "until=$until" -v tz=UTC -v window= -d "$url" -f "$file" ;;
    sqlite)
      # Parameters take SQL literals; the reference compares the canonical stored text form.
      [ -n "$since" ] && since="${since%Z}.000000Z" && until="${until%Z}.000000Z"
      q sqlite3 -readonly -batch -csv -header "$url" -cmd ".param init" \
        -cmd ".param set :since \"'$since'\"" -cmd ".param set :until \"'$until'\"" ".read $file" ;;
  esac
}

# faqlink's own SQL (bench/sql/) in psql, with a window given as SQL conditions.
own_pg() { # FILE WINDOW
  q psql -X -q --csv -v "window=$2" -d "$url" -f "$1"
}

declare -A FL REF
# measure KEY WORK RSS_ARGS FAQLINK_CMD REFERENCE_CMD: one hyperfine run of both commands.
measure() {
  local key=$1 work=$2 rss_args=$3 fcmd=$4 rcmd=$5 json fmed rmed rss
  json="$out/$size-$backend-$key.json"
  log "$size $backend: $work"
  hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$json" \
    -n faqlink "$fcmd" -n reference "$rcmd" >/dev/null
  fmed=$(jq '.results[0].median' "$json")
  rmed=$(jq '.results[1].median' "$json")
  FL[$key]=$fmed REF[$key]=$rmed
  rss=-
  if [ -n "$rss_args" ]; then
    # shellcheck disable=SC2086
    rss=$(peak_rss_kib "$FAQLINK" report $rss_args --format csv --database-url "$url" --output /dev/null)
  fi
  emit "$work" "$fmed" "$rmed" "$rss"
}
emit() { # WORK FAQLINK_S REFERENCE_S RSS_KIB
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$size" "$backend" "$2" "$3" \
    "$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", a / b }')" "$4" >>"$rows"
}

restore_index() { [ -n "${url:-}" ] && create_faqlink_indexes "$backend" "$url" || true; }
trap restore_index EXIT
trap 'exit 130' INT TERM

for size in $sizes; do
  for backend in $backends; do
    url=$(bench/datasets.sh "$size" "$backend")
    create_faqlink_indexes "$backend" "$url"
    ref="reports/%s.$backend.sql"
    r() { printf "$ref" "$1"; }

    measure experts "experts vs reference SQL" experts "$(fl experts)" "$(client "$(r experts)")"
    if [ "$backend" = postgres ]; then
      measure experts_own "experts vs own SQL, faqlink settings" "" "$(fl experts)" \
        "$(own_pg bench/sql/experts.faqlink.postgres.sql "")"
    else
      measure experts_own "experts vs own SQL" "" "$(fl experts)" \
        "$(client bench/sql/experts.faqlink.sqlite.sql)"
    fi
    measure totals "totals vs reference SQL" totals "$(fl totals)" "$(client "$(r totals)")"
    if [ "$backend" = postgres ]; then
      measure totals_own "totals vs own SQL, faqlink settings" "" "$(fl totals)" \
        "$(own_pg bench/sql/totals.faqlink.postgres.sql "")"
    else
      measure totals_own "totals vs own SQL" "" "$(fl totals)" \
        "$(client bench/sql/totals.faqlink.sqlite.sql)"
    fi
    measure orphans "orphans vs reference SQL" orphans "$(fl orphans)" "$(client "$(r orphans)")"
    measure duplicates "duplicates vs reference SQL" duplicates "$(fl duplicates)" "$(client "$(r duplicates)")"
    measure weekly "weekly vs reference SQL" weekly "$(fl weekly)" "$(client "$(r weekly)")"
    measure all "all vs experts (both faqlink)" all "$(fl all)" "$(fl experts)"
    measure lastweek "experts --last-week vs windowed reference" "experts --last-week" \
      "$(fl experts --last-week)" "$(client "$(r experts)" "$WEEK_SINCE" "$WEEK_UNTIL")"
    if [ "$backend" = postgres ]; then
      measure lastweek_own "experts --last-week vs own windowed SQL, faqlink settings" "" \
        "$(fl experts --last-week)" "$(own_pg bench/sql/experts.faqlink.postgres.sql "$WEEK_WINDOW")"
    fi

    drop_faqlink_indexes "$backend" "$url"
    settle "$backend" "$url"
    measure experts_noix "experts vs reference, both without faqlink's indexes" experts \
      "$(fl experts)" "$(client "$(r experts)")"
    measure totals_noix "totals vs reference, both without faqlink's indexes" totals \
      "$(fl totals)" "$(client "$(r totals)")"
    create_faqlink_indexes "$backend" "$url"
    # Two runs of one script, not one hyperfine invocation: the indexes cannot be both there
    # and gone.
    emit "experts with faqlink's indexes vs reference without them" \
      "${FL[experts]}" "${REF[experts_noix]}" "-"
  done
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "faqlink $rev, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, hyperfine --warmup 1 --runs $RUNS (medians), load average at start $load_start, at end $load_end"
  echo
  echo "| work | size | backend | faqlink median | reference median | ratio | faqlink peak RSS |"
  echo "|---|---:|---|---:|---:|---:|---:|"
  awk -F'\t' '{
    rss = ($7 == "-") ? "–" : sprintf("%.1f MiB", $7 / 1024)
    printf "| %s | %s | %s | %.3f s | %.3f s | %s | %s |\n", $1, $2, $3, $4, $5, $6, rss
  }' "$rows"
} | tee "$out/table.md"
log "kept in $out/"

# The `report all` bundle against the plain clients' queries, same sizes and backends
# (bench/bundle.sh; BENCH_BUNDLE=0 skips it).
if [ "${BENCH_BUNDLE:-1}" = 1 ]; then
  echo
  BENCH_NO_BUILD=1 "$BENCH_DIR/bundle.sh" "$sizes" "$backends" | tee "$out/bundle.md"
fi
