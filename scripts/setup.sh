#!/bin/sh
# scripts/setup.sh: install the Debian packages heapspy needs to build, test
# and benchmark. Installs with apt-get when run as root; otherwise prints
# the exact apt-get line and stops. Never touches anything but packages.
set -eu

# build: compiler, unwinder, DWARF reader, zlib (pprof output), zstd (--trace)
# tests: valgrind (oracle), sqlite3/python3/perl/g++ (real programs),
#        clang (AddressSanitizer column of doc/who-catches-what.md),
#        debuginfod (a local server for the --debuginfo-path/debuginfod test),
#        strace (counts --yield-after-unlock's yields), chromium (renders the
#        HTML report headless)
# bench: heaptrack (peer), time (peak memory), bc (bench/locks.sh ratios)
PKGS="gcc g++ make pkg-config libunwind-dev libdw-dev libelf-dev zlib1g-dev libzstd-dev
      valgrind sqlite3 python3 perl heaptrack time file binutils golang-go clang
      debuginfod strace chromium bc"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "heapspy: missing Debian packages; please run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi

echo "heapspy: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $missing >/dev/null ||
  { apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null; }
