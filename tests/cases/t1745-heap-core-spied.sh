#!/usr/bin/env bash
# t1745-heap-core-spied: a core file of a process under heapspy, taken the
# way a user takes one (gdb's gcore), is as small as the process's memory,
# and `heapspy heap CORE` reads it as it reads the live process.
#
# The spy reserves address space it never touches (the profile's 64 GiB,
# --trace's 256 GiB, --guard's page heap): gcore wrote every byte of it,
# 64 GiB of zeros for a 40-byte heap. Exact mode keeps each block's record
# in front of it: a heap read from the core without the spy's profile
# showed every block 16 bytes too big, the kept ones "possibly lost" (the
# program's pointers point 16 bytes in), and no stacks. The oracle is the
# live process read a moment before (heap_stacks does nothing meanwhile):
# the same leak kinds, groups, strings and stacks. So for the kernel's own
# core of the process killed by SIGQUIT (when core_pattern writes one
# into its directory).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 16

if ! command -v gcore >/dev/null; then
  skip_rest "core files" "gcore (gdb) not installed"
fi
PROG=$TESTBIN/heap_stacks
LINE_FIVE=$(grep -n 'TEXT(.a.)' "$TOP/tests/cases/heap_stacks.c" | cut -d: -f1)
LINE_THREE=$(grep -n 'TEXT(.b.)' "$TOP/tests/cases/heap_stacks.c" | cut -d: -f1)

# spied NAME [RUN OPTIONS]: heap_stacks under heapspy run, leak_three done;
# sets NAME_pid (the program) and NAME_run (heapspy run).
spied() {
  local name=$1; shift
  mkfifo "$TMP/$name.fifo"
  "$HEAPSPY" run -q "$@" -o "$TMP/$name.hsp" -- "$PROG" "$TMP/$name.ready" "$TMP/$name.fifo" \
    >"$name.out" 2>&1 &
  printf -v "${name}_run" '%s' "$!"
  remember "$!"
  wait_file "$TMP/$name.ready" || { echo "Bail out! heap_stacks did not start under heapspy run $*"; exit 1; }
  local pid
  pid=$(sed -n 's/^pid=//p' "$TMP/$name.ready")
  printf -v "${name}_pid" '%s' "$pid"
  remember "$pid"
  echo three >"$TMP/$name.fifo"
  wait_file "$TMP/$name.ready.three" || { echo "Bail out! heap_stacks did not run leak_three"; exit 1; }
}

# what the live and core reads must agree on
view() {
  json "$1" '(j["leak_summary"]["definitely_lost"], j["leak_summary"]["possibly_lost"], j["leak_summary"]["still_reachable"], [(g["kind"], g["size"], g["blocks"], [(s["stack"][0]["function"], s["stack"][0]["line"], s["blocks"], s["bytes"]) for s in g["stacks"]]) for g in j["leak_groups"]], j["strings"]["blocks"], j["strings"]["bytes"], j["spy"]["recorded_blocks"], j["spy"]["unrecorded_blocks"])'
}

# --- exact mode -----------------------------------------------------------------
spied E
"$HEAPSPY" heap --format json "$E_pid" >live.json
gcore -o "$TMP/core" "$E_pid" >/dev/null 2>&1
CORE=$TMP/core.$E_pid
size=$(stat -c %s "$CORE" 2>/dev/null || echo 0)
check "exact mode: gcore wrote a core" test "$size" -gt 0
check "exact mode: the core holds the process, not the spy's reservations ($size bytes, under 256 MiB)" \
  test "$size" -lt $((256 << 20))
"$HEAPSPY" heap --format json "$CORE" >core.json 2>err
is "$?:$(cat err)" "0:" "heap CORE of a spied process: exit 0, nothing on stderr"
is "$(json core.json '(j["spy"]["profile"], j["spy"]["recorded_blocks"], j["heap"]["in_use_blocks"])')" \
  "('$TMP/E.hsp', 12, 12)" "the core names its profile; all 12 in-use blocks have the spy's record"
is "$(view core.json)" "$(view live.json)" "the core's leak kinds, groups with their stacks and strings: as live"
is "$(json core.json '[(g["kind"], g["size"], g["blocks"], g["bytes"], [(s["stack"][0]["function"], s["stack"][0]["line"], s["blocks"]) for s in g["stacks"]]) for g in j["leak_groups"]]')" \
  "[('definitely lost', 40, 8, 320, [('leak_five', $LINE_FIVE, 5), ('leak_three', $LINE_THREE, 3)])]" \
  "... that is: 8 lost 40-byte blocks, as the program got them, from leak_five and leak_three"
"$HEAPSPY" heap "$CORE" >core.txt
like "$(cat core.txt)" "under heapspy: 12 of 12 in-use blocks have the spy's allocation stack \\(profile $TMP/E.hsp\\)
 +\\(blocks shown as the program got them: the 16-byte record heapspy keeps in front of 12 of them" \
  "text: the spy's line and the records' note, as live"
"$HEAPSPY" heap --blocks "$CORE" >core.blocks
"$HEAPSPY" heap --blocks "$E_pid" >live.blocks
check "--blocks: glibc's chunks, from the core as live" cmp -s core.blocks live.blocks

# the profile gone: the heap as glibc holds it, and no word of the spy
mv "$TMP/E.hsp" "$TMP/E.moved"
"$HEAPSPY" heap --format json "$CORE" >gone.json 2>err
is "$?:$(cat err):$(json gone.json '(j["spy"], j["sizes"], j["heap"]["in_use_bytes"])')" \
  "0::(None, [{'size': 56, 'blocks': 12, 'bytes': 672}], $(json live.json 'j["heap"]["in_use_bytes"]'))" \
  "profile gone: exit 0, no spy, glibc's 12 chunks of 56 bytes (40 and the record), glibc's total as live"
mv "$TMP/E.moved" "$TMP/E.hsp"
rm -f "$CORE"
echo exit >"$TMP/E.fifo"
wait_gone "$E_run"

# --- the kernel's core, of a process killed by SIGQUIT under heapspy run -----------------
# (core_pattern is the host's: a pipe to a collector writes no file here)
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
if [ -z "$pattern" ] || [ "${pattern#|}" != "$pattern" ] || [ "${pattern#/}" != "$pattern" ]; then
  skip "kernel core" "core_pattern '$pattern' does not write into the process's directory"
  skip "kernel core" "core_pattern '$pattern' does not write into the process's directory"
elif [ "$(ulimit -H -c)" != unlimited ]; then
  skip "kernel core" "core files are limited here (ulimit -H -c: $(ulimit -H -c))"
  skip "kernel core" "core files are limited here (ulimit -H -c: $(ulimit -H -c))"
else
  mkdir "$TMP/k"
  mkfifo "$TMP/k/k.fifo"
  (ulimit -c unlimited; cd "$TMP/k" && exec "$HEAPSPY" run -q -o "$TMP/k/k.hsp" -- "$PROG" "$TMP/k/k.ready" "$TMP/k/k.fifo" >k.out 2>&1) &
  K_run=$!                             # not remembered (disowned): wait must see it end
  wait_file "$TMP/k/k.ready" || { echo "Bail out! heap_stacks did not start"; exit 1; }
  K_pid=$(sed -n 's/^pid=//p' "$TMP/k/k.ready")
  remember "$K_pid"
  echo three >"$TMP/k/k.fifo"
  wait_file "$TMP/k/k.ready.three" || { echo "Bail out! heap_stacks did not run leak_three"; exit 1; }
  "$HEAPSPY" heap --format json "$K_pid" >k-live.json
  kill -QUIT "$K_pid"
  # The program's pid lives on, a zombie, until heapspy run reaps it, which
  # is after the kernel has written its core (a watchdog subshell here once
  # ran the EXIT trap and removed $TMP under make check's load). Never a
  # hang: after 30 s the program is killed, without a core, and the test
  # says so.
  wait_gone "$K_pid" 1500 || kill -KILL "$K_pid"
  wait "$K_run" 2>/dev/null
  KCORE=$(find "$TMP/k" -maxdepth 1 -name 'core*' -type f | head -1)
  used=$(du -k "${KCORE:-/nonexistent}" 2>/dev/null | cut -f1)
  check "kernel core: written, $((${used:-0} / 1024)) MiB on disk (under 64)" test -n "$KCORE" -a "${used:-999999}" -lt 65536
  "$HEAPSPY" heap --format json "${KCORE:-/nonexistent}" >k-core.json 2>/dev/null
  live_view=$(view k-live.json)
  is "$(view k-core.json)" "${live_view:-(the live read gave nothing)}" \
     "kernel core: leak kinds, groups with stacks and strings as live"
fi

# --- --check, --trace, --guard: their reservations stay out too -----------------------
for mode in check trace guard; do
  spied "$mode" "--$mode"
  pid_var=${mode}_pid
  gcore -o "$TMP/core" "${!pid_var}" >/dev/null 2>&1
  size=$(stat -c %s "$TMP/core.${!pid_var}" 2>/dev/null || echo 0)
  if [ "$mode" = trace ]; then
    "$HEAPSPY" heap --format json "${!pid_var}" >trace-live.json 2>/dev/null
    is "$(json trace-live.json 'j["spy"]["profile"]')" "$TMP/trace.hsp" \
      "--trace: heap finds the profile, not the trace file mapped beside it"
  fi
  if [ "$mode" = check ]; then
    "$HEAPSPY" heap --format json "$TMP/core.${!pid_var}" >check.json 2>/dev/null
    "$HEAPSPY" heap --format json "${!pid_var}" >check-live.json 2>/dev/null
    is "$(view check.json)" "$(view check-live.json)" "--check: the core's groups and stacks as live"
  fi
  check "--$mode: the core is under 512 MiB ($size bytes)" test "$size" -gt 0 -a "$size" -lt $((512 << 20))
  rm -f "$TMP/core.${!pid_var}"
  echo exit >"$TMP/$mode.fifo"
  run_var=${mode}_run
  wait "${!run_var}"
done
done_testing
