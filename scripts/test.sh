#!/usr/bin/env bash
# The whole test suite: setup (packages, PostgreSQL), formatting, lints, then every test
# against a real PostgreSQL and real SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --postgres
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets
