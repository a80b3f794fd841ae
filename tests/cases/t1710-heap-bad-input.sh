#!/usr/bin/env bash
# t1710-heap-bad-input: what `heapspy heap` refuses, one line each, with
# the exit status the man page documents (1: the process cannot be read;
# 2: not a glibc heap this heapspy reads; 125: usage):
#  - a statically linked program (no libc.so.6 mapped: no glibc heap to read),
#  - another allocator preloaded: a fake libjemalloc.so.2 built here (the
#    name is what heapspy recognizes; what it exports does not matter),
#  - pid 1 as user nobody (permission denied, naming the owner and
#    ptrace_scope), a process that does not exist, bad options.
# Nothing may be left stopped after any of them.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 15

# --- a static program ----------------------------------------------------------------
printf 'int main(void) { for (;;) __builtin_ia32_pause(); }\n' >spin.c
if gcc -static -O1 -o spin-static spin.c 2>/dev/null; then
  ./spin-static &
  st=$!
  remember "$st"
  sleep 0.2
  "$HEAPSPY" heap "$st" >out 2>err
  is "$?:$(wc -l <err):$(wc -c <out)" "2:1:0" "static program: exit 2, one line, no output"
  is "$(cat err)" "heapspy: heap: process $st has no glibc (libc.so.6 is not mapped): a statically linked program or another C library; heapspy heap reads glibc's heap only" \
    "static program: says there is no glibc to read"
  check "static program: not left stopped" no_stopped_threads "$st"
else
  for i in 1 2 3; do skip "static program" "gcc -static failed (libc6-dev's static libc missing?)"; done
fi

# --- another allocator ---------------------------------------------------------------------
printf 'int je_fake_marker(void) { return 42; }\n' >je.c
gcc -shared -fPIC -o libjemalloc.so.2 je.c
if start_prog J "$TMP/j.ready" env LD_PRELOAD="$TMP/libjemalloc.so.2" "$TESTBIN/heap_mix" "$TMP/j.ready"; then
  "$HEAPSPY" heap "$J_pid" >out 2>err
  is "$?:$(wc -l <err):$(wc -c <out)" "2:1:0" "jemalloc preloaded: exit 2, one line, no output"
  is "$(cat err)" "heapspy: heap: process $J_pid uses jemalloc (libjemalloc.so.2 is loaded), not glibc's malloc; heapspy heap reads glibc's heap only" \
    "jemalloc preloaded: names the allocator and its module"
  check "jemalloc: not left stopped" no_stopped_threads "$J_pid"
else
  for i in 1 2 3; do skip "jemalloc" "heap_mix did not start"; done
fi

# --- permissions, missing process ----------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HEAPSPY"; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "$HEAPSPY" heap 1 >out 2>err
  is "$?:$(wc -l <err):$(wc -c <out)" "1:1:0" "pid 1 as nobody: exit 1, one line, no output"
  like "$(cat err)" "^heapspy: heap: permission denied reading the memory of process 1 \(it belongs to root, you are nobody; .*ptrace_scope.*\)$" \
    "pid 1 as nobody: permission denied, naming the owner and ptrace_scope"
else
  for i in 1 2; do skip "pid 1 as nobody" "needs root and setpriv"; done
fi
dead=$(dead_pid)
"$HEAPSPY" heap "$dead" >out 2>err
is "$?:$(cat err)" "1:heapspy: heap: no such process $dead" "no such process: exit 1, one line"

# --- usage -------------------------------------------------------------------------------------
"$HEAPSPY" heap >out 2>err
is "$?:$(head -1 err)" "125:heapspy: heap: expected one PID or CORE" "no operand: 125"
"$HEAPSPY" heap --top 0 1 >out 2>err
is "$?:$(wc -l <err)" "125:1" "--top 0: 125, one line"
"$HEAPSPY" heap --format xml 1 >out 2>err
is "$?:$(cat err)" "125:heapspy: heap: unsupported format 'xml' (supported: text, json)" "--format xml: 125, one line"
"$HEAPSPY" heap --bogus 1 >out 2>err
is "$?:$(head -1 err)" "125:heapspy: heap: unknown option '--bogus'" "unknown option: 125"
"$HEAPSPY" heap --help >out 2>err
is "$?:$(head -1 out)" "0:usage: heapspy heap [OPTIONS] PID|CORE" "--help: the usage, exit 0"
like "$("$HEAPSPY" --help)" '^  heap +the glibc heap' "heapspy --help lists heap"
done_testing
