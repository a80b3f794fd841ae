#!/usr/bin/env bash
# tests/oracle/t2138-valgrind-merged-mappings.sh: the program's own mmaps
# are roots even where the kernel merged them with the pages glibc mmap'd
# for a large block (one line of /proc/self/maps). heapspy used to skip
# such a line whole as heap, and python3 with its own allocator (pymalloc:
# object arenas mmap'd beside its large blocks) showed 6 blocks of type
# caches, 13,628 bytes, definitely lost where memcheck finds each one
# pointed at from an arena (who_points_at: "in a rw- anonymous segment").
#  * merged_mappings.c sets the merge up on purpose: leak kinds (bytes and
#    blocks) equal memcheck's, and a lost large chunk's contents stay no
#    root (its 100-byte block indirectly lost in both).
#  * python3 -c 'import json ...' with PYTHONHASHSEED 0 and 1 and pymalloc:
#    heapspy under setarch -R (valgrind's layout is fixed too; natively,
#    where the arenas land decides how many 128 KiB nodes pymalloc's
#    address map takes: 12 or 13 blocks) must equal memcheck's leak kinds,
#    so also its blocks and bytes in use; and 3 runs per seed with the
#    address layout random (where the merge happens, most runs) must lose
#    exactly what memcheck loses; so must 3 more under --check (what
#    `heapspy valgrind` runs), whose red zone put glibc's chunk header
#    16 bytes further down than the scan looked: each merged line was
#    skipped as heap again, and the CI suite of make bench flagged python.
# Environments as in oracle-lib.sh. Skipped only without valgrind.
# shellcheck disable=SC2034 # ORACLE_* are read by oracle-lib.sh
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/oracle/oracle-lib.sh"

RANDOM_RUNS=3
plan $((13 + 2 * (12 + 2 * RANDOM_RUNS)))
if ! oracle_have_valgrind; then
  for _i in $(seq $((13 + 2 * (12 + 2 * RANDOM_RUNS)))); do
    skip "leak kinds against memcheck, merged mappings" "valgrind not installed"
  done
  done_testing
fi

oracle_compare_leaks merged_mappings /dev/null -- "$TESTBIN/merged_mappings"
is "$(_oracle_field "$TMP/out/merged_mappings.leaks.vg.json" bytes leaks definitely_lost)" 1050576 \
  "merged_mappings: memcheck loses what the program drops (1 MiB + 2000 bytes)"

PYCMD='import json; print(len(json.dumps([{"k": i} for i in range(20000)])))'
# lost bytes per kind, "definite/indirect/possible", from a report or a summary
lost() {
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
k = j.get("leak_summary") or j["leaks"]
print("/".join(str(k[n]["bytes"]) for n in ("definitely_lost", "indirectly_lost", "possibly_lost")))' "$1" 2>/dev/null ||
    echo "<no leak kinds in ${1##*/}>"
}

oracle_python_setup   # thread_id_high.so for valgrind's client; the environment:
for seed in 0 1; do
  ORACLE_ENV=(PATH=/usr/bin:/bin LANG=C.UTF-8 PYTHONHASHSEED=$seed PYTHONDONTWRITEBYTECODE=1)
  ORACLE_HS_WRAP=(setarch -R)
  oracle_compare_leaks "python3-seed$seed" /dev/null -- /usr/bin/python3 -s -c "$PYCMD"
  ORACLE_HS_WRAP=()
  want=$(lost "$TMP/out/python3-seed$seed.leaks.vg.json")
  for mode in "" --check; do
    for run in $(seq $RANDOM_RUNS); do
      hs="$TMP/out/python3-seed$seed.random$run$mode"
      # shellcheck disable=SC2086 # no mode: no word
      env -i "${_hs_env[@]}" "$HEAPSPY_BIN" run $mode -o "$hs.hsp" -- /usr/bin/python3 -s -c "$PYCMD" \
        </dev/null >"$hs.out" 2>"$hs.err"
      "$HEAPSPY_BIN" report --format json "$hs.hsp" >"$hs.json" 2>"$hs.report.err"
      is "$(lost "$hs.json")" "$want" \
        "python3 seed $seed${mode:+ $mode}, random layout, run $run: lost bytes (definite/indirect/possible) equal memcheck's"
    done
  done
done
done_testing
