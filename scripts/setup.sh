#!/bin/sh
# scripts/setup.sh [SET...]: install the Debian packages one of heapspy's
# jobs needs. SET is build (the default), demo, test or bench; each set
# includes the ones before it. As root it installs them with apt-get;
# otherwise it prints the exact apt-get line and exits 1. Never touches
# anything but packages, and never runs from a plain `make`: building needs
# only the build set, which a distribution's build-depends provide.
#
# --no-install-recommends is deliberate (a minimal root stays minimal), so
# every package a test calls is named here, even the ones a package merely
# recommends (clang-14 recommends its ASan runtime and llvm-symbolizer;
# heaptrack needs the zstd binary to write its .zst files).
set -eu

# build: compiler, pkg-config, libiberty (the demangler: C++, Rust, D), unwinder, DWARF reader, zlib (pprof output),
#        zstd (--trace), systemtap-sdt-dev (<sys/sdt.h>: the spy's otel_memory USDT probes)
BUILD="gcc make pkg-config libiberty-dev libunwind-dev libdw-dev libelf-dev zlib1g-dev libzstd-dev
       systemtap-sdt-dev"
# demo: story 1 is built with gcc and run under heapspy: nothing more
DEMO=""
# test: valgrind (oracle: memcheck, massif, helgrind), heaptrack and zstd
#       (peer tracer), sqlite3/python3/perl/g++ (real programs), clang with
#       its ASan runtime and llvm-symbolizer (the ASan column of
#       doc/who-catches-what.md), golang-go (`go tool pprof` reads our
#       pprof), debuginfod (a local server for --debuginfo-path),
#       strace (counts --yield-after-unlock's yields), chromium (renders the
#       HTML report headless), file/binutils (ELF checks), util-linux
#       (setpriv: inspection as another user),
#       time (peak memory of a report), gdb (gcore writes the core files
#       `heapspy heap CORE` reads: t1740), libc6-dbg (libc's debug symbols:
#       `heapspy heap` finds main_arena by them; t17xx also test the search),
#       dpkg-dev/debhelper/lintian and build-essential, which
#       dpkg-buildpackage checks for (the Debian package built, unpacked and
#       checked: tests/cases/t1610; no fakeroot, debian/rules needs no root),
#       cppcheck and clang-tools-14 (scan-build) for make check-static,
#       python3-jsonschema (validates --format sarif against SARIF's schema),
#       nodejs and npm (tests install npm packages into build/npm: the SARIF
#       schema's package, speedscope's importer; tests/lib/npm-peer.sh)
#       cmake/meson/ninja-build (valgrind's clients: ctest -T memcheck and
#       meson test --wrap run heapspy in t1031)
TEST="valgrind heaptrack zstd sqlite3 python3 perl g++ clang libclang-rt-14-dev llvm
      golang-go debuginfod strace chromium file binutils util-linux time gdb libc6-dbg
      dpkg-dev debhelper lintian build-essential cppcheck clang-tools-14
      python3-jsonschema nodejs npm cmake meson ninja-build"
# bench: the peers above, bc (bench/locks.sh ratios) and libjemalloc2 (its
#        sampled heap profiler beside --sample)
BENCH="bc libjemalloc2"

[ $# -gt 0 ] || set -- build
PKGS=""
for set in "$@"; do
  case $set in
    build) PKGS="$PKGS $BUILD" ;;
    demo) PKGS="$PKGS $BUILD $DEMO" ;;
    test) PKGS="$PKGS $BUILD $DEMO $TEST" ;;
    bench) PKGS="$PKGS $BUILD $DEMO $TEST $BENCH" ;;
    *) echo "setup.sh: unknown set '$set' (build, demo, test or bench)" >&2; exit 2 ;;
  esac
done

missing=""
for p in $PKGS; do
  case " $missing " in *" $p "*) continue ;; esac
  # a node packaged elsewhere (NodeSource's) carries its own npm and
  # conflicts with Debian's
  [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "heapspy: missing Debian packages for '$*'; please run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi

echo "heapspy: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
  { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; } ||
  { echo "heapspy: apt-get could not install$missing" >&2; exit 1; }
