#!/usr/bin/env bash
# Installs what building faqlink and running its demo need on a fresh Debian machine, and
# nothing else (the tests' tools are scripts/test.sh's business). Safe to run again: it
# skips what is already there.
#   - libssl-dev, pkg-config: the bundled libpq links OpenSSL
# libpq and SQLite themselves are compiled into the binary; the demo needs no server.
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
install ${need[@]+"${need[@]}"}
