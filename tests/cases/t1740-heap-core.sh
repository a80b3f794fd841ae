#!/usr/bin/env bash
# t1740-heap-core: `heapspy heap CORE` reads the same heap from a core
# file (SPEC: heapspy heap PID|CORE [--exe PROG]). The core is written by
# gdb's gcore from the waiting heap_mix (the system's core_pattern is left
# alone: a kernel core would need it changed); the in-use set from the
# core must be identical to the live one read a moment before (heap_mix
# does nothing meanwhile), with the same arenas, whether main_arena comes
# from debug info or the search. A truncated core, a file that is not a
# core and a missing file: one line each, exit 1.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 11

if ! command -v gcore >/dev/null; then
  skip_rest "core files" "gcore (gdb) not installed"
fi
if ! start_prog C "$TMP/c.ready" "$TESTBIN/heap_mix" "$TMP/c.ready"; then
  echo "Bail out! heap_mix did not start"
  exit 1
fi
"$HEAPSPY" heap --blocks "$C_pid" >live.txt
"$HEAPSPY" heap --format json "$C_pid" >live.json
gcore -o "$TMP/core" "$C_pid" >/dev/null 2>&1
CORE="$TMP/core.$C_pid"
check "gcore wrote a core" test -s "$CORE"
"$HEAPSPY" heap --blocks "$CORE" >core.txt 2>err
is "$?:$(cat err)" "0:" "heap --blocks CORE: exit 0, nothing on stderr"
is "$(cmp live.txt core.txt && wc -l <core.txt)" "$(wc -l <live.txt)" \
  "core: the in-use set is identical to the live one ($(wc -l <live.txt) blocks)"
"$HEAPSPY" heap --format json "$CORE" >core.json
is "$(json core.json '(j["core"] == "'"$CORE"'", j["pid"], len(j["arenas"]), j["heap"]["tcache_structs"], j["problems"])')" \
  "(True, $C_pid, 5, 5, [])" "core json: core and pid, 5 arenas, 5 tcache structs, no problems"
is "$(json core.json '[(a["address"], a["in_use_bytes"], a["free_held_bytes"]) for a in j["arenas"]]')" \
  "$(json live.json '[(a["address"], a["in_use_bytes"], a["free_held_bytes"]) for a in j["arenas"]]')" \
  "core json: every arena's in-use and freed bytes as live"
"$HEAPSPY" heap --no-debuginfo --blocks "$CORE" >nd.txt
check "core --no-debuginfo: the search gives the same set" cmp -s nd.txt live.txt
"$HEAPSPY" heap "$CORE" >core.out
like "$(head -1 core.out)" "^heap of core $CORE \(process $C_pid, heap_mix\): glibc 2\.36" "core text: the title names the core"

# --- bad cores ---------------------------------------------------------------------
size=$(stat -c %s "$CORE")
head -c $((size / 2)) "$CORE" >half.core
rm -f "$CORE"
"$HEAPSPY" heap half.core >out 2>err
st=$?
is "$st:$(wc -l <err)" "1:1" "truncated core: exit 1, one line"
like "$(cat err)" "^heapspy: heap: core file half.core is truncated: it has $((size / 2)) bytes, its segments need [0-9]+$" \
  "truncated core: says how much it has and how much it needs"
"$HEAPSPY" heap /etc/passwd >out 2>err
is "$?:$(cat err)" "1:heapspy: heap: /etc/passwd is not an ELF core file" "not a core: exit 1, one line"
"$HEAPSPY" heap nonexistent.core >out 2>err
is "$?:$(cat err)" "1:heapspy: heap: cannot open nonexistent.core: No such file or directory" "missing file: exit 1, one line"
done_testing
