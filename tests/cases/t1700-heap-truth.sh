#!/usr/bin/env bash
# t1700-heap-truth: `heapspy heap PID` reads glibc's heap of a process
# that knows nothing of it, and gets exactly the blocks in use (SPEC:
# heapspy heap, "RSS explained ... read from outside").
#
# The truth: a process run under `heapspy run` has the spy's live-block
# table in its profile, a shared mapping kept up to date, and each block
# the table does not list has its record in front of it, which the
# profile says how to find; so while the process waits, hsp_live_blocks
# prints every block it has in use, as glibc holds it. The
# in-use set `heapspy heap --blocks` finds by walking glibc's arenas must
# be the same addresses, each with the usable size glibc gives the size
# the spy saw requested. The one exclusion: glibc's own
# tcache_perthread_struct chunks (one per thread that allocated, made by
# glibc's internal _int_malloc, so the spy never sees them); heapspy heap
# counts them as glibc's overhead, and this test checks there are 5 (main
# and 4 threads).
#
# heap_mix.c: tcache, fastbin and small-bin frees, large blocks, a 1 MiB
# mmapped block, 4 threads with an arena each; it prints malloc_info(0)
# for the moment it pauses: glibc's own totals of free chunks (fastbins,
# and "rest" = bins + top; tcache chunks count as in use there) and of
# the memory its arenas hold must equal heapspy's. The RSS breakdown adds
# up to smaps_rollup's Rss. With GLIBC_TUNABLES (no tcache, one arena) and
# without libc's debug info (--no-debuginfo: the structural search for
# main_arena) the sets are still exact. Real programs: sqlite3 reading its
# commands from a fifo (it waits in read() after building a table) and
# python3 with PYTHONMALLOC=malloc waiting on stdin from a fifo. Both are
# single-threaded: the spy's one pending free (see same_blocks in
# heap-lib.sh) is the only difference allowed, and only when the walk
# found that block freed.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
source "$TOP/tests/cases/heap-lib.sh"
plan 35

MIX="$TESTBIN/heap_mix"
LIVE="$TESTBIN/hsp_live_blocks"

# --- heap_mix under the spy: the in-use set ------------------------------------
if ! start_prog S "$TMP/s.ready" "$HEAPSPY" run -q -o "$TMP/s.hsp" -- "$MIX" "$TMP/s.ready"; then
  echo "Bail out! heap_mix did not start under heapspy run"
  exit 1
fi
"$HEAPSPY" heap --blocks "$S_pid" >heap.txt 2>err
is "$?:$(cat err)" "0:" "heap --blocks: exit 0, nothing on stderr"
check "heap --blocks: no thread left stopped" no_stopped_threads "$S_pid"
"$LIVE" "$TMP/s.hsp" "$S_pid" >spy.txt
res=$(same_blocks heap.txt spy.txt)
like "$res" '^[0-9]+ identical$' "heap_mix: the in-use set equals the spy's live blocks ($res)"
check "heap_mix: more than 250 blocks compared ($(wc -l <spy.txt))" test "$(wc -l <spy.txt)" -gt 250
"$HEAPSPY" heap --format json "$S_pid" >s.json
is "$?" 0 "heap --format json: exit 0"
is "$(json s.json 'sorted(k for k in ["pid", "rss_bytes", "heap", "arenas", "nonheap", "types", "sizes", "leak_summary", "verdict"] if k not in j)')" \
  "[]" "json: the SPEC's top-level keys"
is "$(json s.json 'sorted(k for k in ["in_use_bytes", "in_use_blocks", "free_held_bytes", "top_bytes", "overhead_bytes"] if k not in j["heap"])')" \
  "[]" "json: heap has the SPEC's keys"
is "$(json s.json 'all({"address", "in_use_bytes", "free_held_bytes", "threads"} <= set(a) for a in j["arenas"])')" "True" \
  "json: every arena has address, in_use_bytes, free_held_bytes, threads"
is "$(json s.json '(len(j["arenas"]), sum(a["main"] for a in j["arenas"]), [a["threads"] for a in j["arenas"]])')" \
  "(5, 1, [1, 1, 1, 1, 1])" "json: main and 4 thread arenas, one thread each"
is "$(json s.json '(j["heap"]["mmapped_blocks"], j["heap"]["tcache_structs"], j["heap"]["tcache_found"])')" "(1, 5, True)" \
  "json: one mmapped block; 5 tcache_perthread_structs (the exclusion), found through TLS"
is "$(json s.json 'j["heap"]["in_use_blocks"]')" "$(wc -l <heap.txt)" "json: in_use_blocks is the --blocks count"
# (each block as the program got it: glibc's in-use bytes also hold the
# record the spy keeps in front of each, 16 bytes)
is "$(json s.json 'sum(s["blocks"] for s in j["sizes"]) == j["heap"]["in_use_blocks"] and sum(s["bytes"] for s in j["sizes"]) + j["heap"]["spy_records_bytes"] == j["heap"]["in_use_bytes"] and j["heap"]["spy_records_bytes"] >= 16 * 250')" \
  "True" "json: sizes and the spy's records add up to the in-use blocks and bytes"
is "$(json s.json '(j["heap"]["fastbin_bytes"] > 0, j["heap"]["tcache_bytes"] > 0, j["heap"]["bin_bytes"] > 0)')" "(True, True, True)" \
  "json: freed memory in tcache, fastbins and bins"
is "$(json s.json 'j["problems"]')" "[]" "json: no problems"
is "$(json s.json 'sorted(k for k in j["leak_summary"] if k.endswith(("_lost", "_reachable")) and set(j["leak_summary"][k]) == {"bytes", "blocks"})')" \
  "['definitely_lost', 'indirectly_lost', 'possibly_lost', 'still_reachable']" \
  "json: leak_summary has the four kinds, each {bytes, blocks} (the leak scan: t1750)"
check "json: stop_ms is reported ($(json s.json 'j["stop_ms"]') ms)" \
  test "$(json s.json 'j["stopped"] and 0 < j["stop_ms"] < 2000')" = True

# --- heap_mix without the spy: malloc_info and smaps_rollup agree ------------------
if ! start_prog P "$TMP/p.ready" "$MIX" "$TMP/p.ready"; then
  echo "Bail out! heap_mix did not start"
  exit 1
fi
"$HEAPSPY" heap --format json "$P_pid" >p.json
is "$?" 0 "plain heap_mix: exit 0"
read -r fast rest current < <(malloc_info_totals "$TMP/p.ready.out")
# malloc_info sums the bin chunks' size fields unmasked (their PREV_INUSE
# and NON_MAIN_ARENA bits too); heap.malloc_info.rest is that sum, and it
# is bins + top plus at most 5 flag bits per bin chunk.
is "$(json p.json '(j["heap"]["fastbin_bytes"], j["heap"]["malloc_info"]["rest"])')" "($fast, $rest)" \
  "malloc_info: fastbins $fast bytes, bins + top $rest, as glibc counts them"
is "$(json p.json '0 <= j["heap"]["malloc_info"]["rest"] - j["heap"]["bin_bytes"] - j["heap"]["top_bytes"] <= 5 * j["heap"]["free_held_blocks"] and j["heap"]["fastbin_bytes"] > 0')" \
  "True" "malloc_info: rest is bins + top but for the size fields' flag bits; fastbins are used"
is "$(json p.json 'j["heap"]["system_bytes"]')" "$current" "malloc_info: the arenas' system memory $current"
rss=$(rollup_rss "$P_pid")
parts=$(json p.json 'j["heap"]["resident"]["total"] + sum(c["bytes"] for c in j["nonheap"])')
slack=$(( $(nmaps "$P_pid") * 4096 ))
check "RSS explained adds up: parts $parts vs smaps_rollup $rss (within $slack)" \
  test "$(( parts > rss ? parts - rss : rss - parts ))" -le "$slack"
is "$(json p.json 'j["rss_bytes"] == j["heap"]["resident"]["total"] + sum(c["bytes"] for c in j["nonheap"])')" "True" \
  "rss_bytes is exactly the sum of its parts"
is "$(json p.json 'sum(j["heap"]["resident"][k] for k in ["in_use", "free_held", "top", "overhead"]) == j["heap"]["resident"]["total"]')" \
  "True" "the heap's resident bytes split into in use, freed, top and overhead"
"$HEAPSPY" heap "$P_pid" >p.txt
like "$(tail -1 p.txt)" '^verdict: .+' "text: ends with the verdict"
like "$(cat p.txt)" '^LEAK SUMMARY \(memcheck' "text: a LEAK SUMMARY section"

# --- without debug info: the structural search -----------------------------------
"$HEAPSPY" heap --no-debuginfo --format json "$P_pid" >nd.json
is "$(json nd.json '(j["arena_found_by"], j["main_arena"])')" "('search', '$(json p.json 'j["main_arena"]')')" \
  "--no-debuginfo: the search finds the same main_arena"
"$HEAPSPY" heap --no-debuginfo --blocks "$S_pid" >nd.txt
is "$(same_blocks nd.txt spy.txt)" "$res" "--no-debuginfo: the same in-use set under the spy"

# --- GLIBC_TUNABLES: no tcache, one arena ----------------------------------------------
if start_prog T "$TMP/t.ready" env GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.malloc.arena_max=1 \
     "$HEAPSPY" run -q -o "$TMP/t.hsp" -- "$MIX" "$TMP/t.ready"; then
  "$HEAPSPY" heap --blocks "$T_pid" >t.txt
  "$LIVE" "$TMP/t.hsp" "$T_pid" >tspy.txt
  r=$(same_blocks t.txt tspy.txt)
  like "$r" '^[0-9]+ identical$' "tunables: the in-use set equals the spy's ($r)"
  "$HEAPSPY" heap --format json "$T_pid" >t.json
  is "$(json t.json '(len(j["arenas"]), j["heap"]["tcache_bytes"], j["heap"]["fastbin_bytes"] > 0)')" "(1, 0, True)" \
    "tunables: one arena, nothing in tcache, fastbins used"
else
  skip "tunables" "heap_mix did not start"; skip "tunables" "heap_mix did not start"
fi

# --- --no-stop ----------------------------------------------------------------------
"$HEAPSPY" heap --no-stop --format json "$P_pid" >ns.json
is "$(json ns.json '(j["stopped"], j["tolerated_inconsistencies"], j["heap"]["in_use_blocks"] == json.load(open("p.json"))["heap"]["in_use_blocks"])')" \
  "(False, 0, True)" "--no-stop: not stopped, nothing to tolerate on an idle process, the same count"

# --- real programs -------------------------------------------------------------------
if command -v sqlite3 >/dev/null; then
  mkfifo sq.fifo
  "$HEAPSPY" run -q -o "$TMP/sq.hsp" -- sqlite3 :memory: <sq.fifo >sq.out 2>&1 &
  sq=$!
  remember "$sq"
  exec 7>sq.fifo
  echo "create table t(a, b); with recursive c(x) as (select 1 union all select x + 1 from c where x < 5000)
        insert into t select x, printf('row %d of the table', x) from c; create index ti on t(b);
        select count(*) from t;" >&7
  for i in $(seq 1 100); do grep -q 5000 sq.out 2>/dev/null && break; sleep 0.05; done
  sqpid=$(pgrep -P "$sq" sqlite3 || echo "$sq")
  [ "$(cat /proc/"$sq"/comm)" = sqlite3 ] && sqpid=$sq
  "$HEAPSPY" heap --blocks "$sqpid" >sqh.txt
  "$LIVE" "$TMP/sq.hsp" "$sqpid" >sqs.txt
  r=$(same_blocks sqh.txt sqs.txt)
  like "$r" '^[0-9]+ identical(, \+1 pending free 0x[0-9a-f]+)?$' "sqlite3: the in-use set equals the spy's ($r)"
  check "sqlite3: not left stopped" no_stopped_threads "$sqpid"
  exec 7>&-
else
  skip "sqlite3" "sqlite3 not installed"; skip "sqlite3" "sqlite3 not installed"
fi
mkfifo py.fifo
PYTHONMALLOC=malloc "$HEAPSPY" run -q -o "$TMP/py.hsp" -- /usr/bin/python3 -c '
import os, sys
words = [str(i) * 3 for i in range(20000)]
table = {i: [i, str(i)] for i in range(3000)}
open(sys.argv[1] + ".tmp", "w").write("pid=%d\n" % os.getpid())
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
sys.stdin.read()' "$TMP/py.ready" <py.fifo >py.out 2>&1 &
remember "$!"
exec 8>py.fifo
for i in $(seq 1 200); do [ -s "$TMP/py.ready" ] && break; sleep 0.05; done
pypid=$(sed -n 's/^pid=//p' "$TMP/py.ready")
sleep 0.2                     # into the read() of stdin
"$HEAPSPY" heap --blocks "$pypid" >pyh.txt
"$LIVE" "$TMP/py.hsp" "$pypid" >pys.txt
r=$(same_blocks pyh.txt pys.txt)
like "$r" '^[0-9]+ identical(, \+1 pending free 0x[0-9a-f]+)?$' "python3 (PYTHONMALLOC=malloc): the in-use set equals the spy's ($r)"
check "python3: more than 20,000 blocks compared" test "$(wc -l <pys.txt)" -gt 20000
check "python3: not left stopped" no_stopped_threads "$pypid"
exec 8>&-

done_testing
