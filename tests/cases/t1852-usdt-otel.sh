#!/usr/bin/env bash
# t1852-usdt-otel: the OpenTelemetry memory-profiling USDT probes (issue
# 16, deliverable 3): libheapspy.so and libheapspy-attach.so carry
# otel_memory:alloc(ptr, size, weight) and otel_memory:free(ptr) stapsdt
# notes, each with a semaphore (readelf -n, the peer reading the notes);
# gdb, attached to a spied usdt_alloc, stops at the probes as a fleet
# profiler would and reads the exact pointer and size (12345) the program
# allocates, weight = size when every block is recorded, then the free
# of that very pointer.
source "$(dirname "$0")/../lib/tap.sh"
plan 8

LIBDIR="$HEAPSPY_BUILD/lib/heapspy"
if command -v readelf >/dev/null 2>&1; then
  for lib in libheapspy.so libheapspy-attach.so; do
    notes=$(readelf -n "$LIBDIR/$lib" | grep -A3 'Provider: otel_memory')
    like "$notes" "Name: alloc" "$lib: an otel_memory:alloc stapsdt note"
    like "$(echo "$notes" | grep -A2 'Name: free' | grep -c 'Semaphore: 0x0*[1-9a-f]')" "^[1-9]" \
      "$lib: otel_memory:free has a semaphore"
  done
else
  for i in 1 2 3 4; do skip "readelf -n: the stapsdt notes" "readelf not installed (Debian binutils)"; done
fi

if ! command -v gdb >/dev/null 2>&1; then
  for i in 5 6 7 8; do skip "gdb at the otel_memory probes" "gdb not installed (Debian gdb)"; done
  exit 0
fi
"$HEAPSPY" run -q -o u.hsp -- "$TESTBIN/usdt_alloc" go >out.txt 2>err.txt &
hp=$!
for i in $(seq 100); do pid=$(pgrep -P "$hp"); [ -n "$pid" ] && break; sleep 0.05; done
# the program allocates once gdb stands at the probes (it waits for "go")
( sleep 2; touch go ) &
timeout 120 gdb -q -batch -nx -p "$pid" \
  -ex 'break -probe-stap otel_memory:alloc if $_probe_arg1 == 12345' -ex continue \
  -ex 'printf "alloc %#lx %lu %lu\n", $_probe_arg0, $_probe_arg1, $_probe_arg2' -ex delete \
  -ex 'break -probe-stap otel_memory:free' -ex continue \
  -ex 'printf "free %#lx\n", $_probe_arg0' -ex delete -ex detach >gdb.txt 2>&1
wait "$hp"
is "$?" 0 "the program exits 0 under gdb and the spy"
ptr=$(awk '/^ptr/{print $2}' out.txt)
is "$(grep '^alloc' gdb.txt)" "alloc $ptr 12345 12345" \
   "otel_memory:alloc: the program's pointer ($ptr), size 12345, weight 12345 (every block recorded)"
is "$(grep '^free' gdb.txt)" "free $ptr" "otel_memory:free: the same pointer"
like "$(cat out.txt)" "^ptr 0x[0-9a-f]+$" "the program's output is unchanged"
done_testing
