#!/usr/bin/env bash
# Two faqlink binaries side by side on the same benchmark dataset: every report (whole
# history and the last week), hyperfine medians and the ratio NEW / OLD. For a refactoring
# that must not slow anything down (build the old one from its commit first). Not part of CI.
#
#   bench/compare.sh OLD_BINARY NEW_BINARY [SIZE] [BACKENDS]
#   bench/compare.sh /tmp/faqlink-f9cdb8c target/release/faqlink 1000000 "postgres sqlite"
#
#   BENCH_RUNS   timed runs per command (default 5), after one warm-up run
#
# Datasets come from bench/datasets.sh (created or reused with NEW_BINARY).
set -euo pipefail
source "$(dirname "$0")/common.sh"

[ $# -ge 2 ] || die "usage: bench/compare.sh OLD_BINARY NEW_BINARY [SIZE] [BACKENDS]"
old=$(realpath "$1") new=$(realpath "$2")
size=${3:-1000000}
backends=${4:-"postgres sqlite"}
RUNS=${BENCH_RUNS:-5}
command -v hyperfine >/dev/null 2>&1 || die "hyperfine is needed (Debian package hyperfine)"
command -v jq >/dev/null 2>&1 || die "jq is needed to read hyperfine's JSON"
# --last-week with this "now" is 2026-W47, the last complete week of the seeded history.
export FAQLINK_NOW=2026-11-23T12:00:00Z

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| backend | report | old median | new median | new/old |\n|---|---|---:|---:|---:|\n'
for backend in $backends; do
  url=$(BENCH_FAQLINK="$new" BENCH_NO_BUILD=1 "$BENCH_DIR/datasets.sh" "$size" "$backend")
  for args in "experts" "totals" "orphans" "duplicates" "weekly" "all" \
              "experts --last-week" "all --last-week"; do
    cmd() { printf '%q report %s --format csv --database-url %q --output /dev/null' "$1" "$args" "$url"; }
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$out/r.json" "$(cmd "$old")" "$(cmd "$new")" >/dev/null 2>&1 \
      || die "hyperfine failed on: $args ($backend)"
    read -r a b < <(jq -r '[.results[].median] | map(tostring) | join(" ")' "$out/r.json")
    printf '| %s | %s | %.3f s | %.3f s | %.2f |\n' "$backend" "$args" "$a" "$b" "$(echo "$b / $a" | bc -l)"
  done
done
printf '\n%s runs each after a warm-up; load at the end: %s\n' "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
