#!/usr/bin/env bash
# bench/attach.sh: `heapspy attach` measured (issue 14), one run of each:
#  1. overhead while attached vs `heapspy run` (and `heaptrack -p`): the
#     wall time of one round of tests/cases/attach_prog (THREADS threads
#     allocating and freeing, started by SIGUSR2, timed to the line it
#     prints), natively, under run, attached, under heaptrack -p;
#  2. the target's stall at attach (both safe-point stops, heap walks
#     included) and at detach (the spy's last leak check holding the
#     threads), with 2 and 100 threads;
#  3. heaptrack -p's success rate over TRIES attaches.
# The machine may be loaded: read the ratios, not the absolute times.
#
# usage: bench/attach.sh [ITERATIONS] [TRIES]   (default 300000, 3)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPSPY=${HEAPSPY:-$ROOT/build/bin/heapspy}
PROG=$ROOT/build/tests/attach_prog
ITER=${1:-300000}
TRIES=${2:-3}
TMP=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
wait_line() {   # FILE REGEX [TRIES of 10 ms]
  for _ in $(seq 1 "${3:-3000}"); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done
  return 1
}
start() {       # NAME THREADS [PREFIX...]: the program in the background, pid in NAME_pid
  local name=$1 threads=$2
  shift 2
  "$@" "$PROG" "$threads" "$ITER" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=($!)
  printf -v "${name}_pid" '%s' "$!"
  wait_line "$TMP/$name.out" '^ready$'
}
round_s() {     # NAME PID K: seconds of round K
  local t0 t1
  t0=$(now)
  kill -USR2 "$2"
  wait_line "$TMP/$1.out" "^round $3: " || { echo "-"; return; }
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
ratio() { [ "$1" = - ] || [ "$2" = - ] && echo - || printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
echo "## attach: overhead (one round, 2 threads x $ITER x 3 allocations)"
echo "| how | round s | / native |"
echo "| --- | ---: | ---: |"
start N 2 || exit 1
native=$(round_s N "$N_pid" 1)
kill -TERM "$N_pid"; wait "$N_pid" 2>/dev/null
echo "| native | $native | 1.00 |"
start R 2 "$HEAPSPY" run -q -o "$TMP/r.hsp" -- || exit 1
run=$(round_s R "$(pgrep -P "$R_pid" -n 2>/dev/null || echo "$R_pid")" 1)
kill -TERM "$R_pid"; wait "$R_pid" 2>/dev/null
echo "| heapspy run | $run | $(ratio "$run" "$native") |"
start A 2 || exit 1
"$HEAPSPY" attach -o "$TMP/a.hsp" "$A_pid" >/dev/null 2>"$TMP/a.err" &
ATT=$!
wait_line "$TMP/a.err" '^heapspy: stop with' 1000
att=$(round_s A "$A_pid" 1)
"$HEAPSPY" detach "$A_pid" >/dev/null 2>&1; wait "$ATT"
kill -TERM "$A_pid"; wait "$A_pid" 2>/dev/null
echo "| heapspy attach | $att | $(ratio "$att" "$native") |"
ht_ok=0; ht=-
if command -v heaptrack >/dev/null; then
  for k in $(seq 1 "$TRIES"); do
    start H$k 2 || continue
    pid_var=H${k}_pid
    (cd "$TMP" && timeout 20 heaptrack -p "${!pid_var}" >"$TMP/ht$k.log" 2>&1) &
    htp=$!
    wait_line "$TMP/ht$k.log" 'injection finished' 1500
    grep -q 'No symbol "heaptrack_inject"' "$TMP/ht$k.log" && sed -n '/Couldn/p;/No symbol/p' "$TMP/ht$k.log" | head -2 | sed 's/^/    heaptrack: /' >&2
    r=$(round_s "H$k" "${!pid_var}" 1)
    kill -TERM "${!pid_var}"; wait "${!pid_var}" 2>/dev/null
    wait "$htp"
    if [ "$r" != - ] && ls "$TMP"/heaptrack.*."${!pid_var}".* >/dev/null 2>&1 &&
       grep -q "^total: allocs" "$TMP/H$k.out"; then
      ht_ok=$((ht_ok + 1)); [ "$ht" = - ] && ht=$r
    fi
  done
  echo "| heaptrack -p | $ht | $(ratio "$ht" "$native") |"
  echo
  echo "heaptrack -p: $ht_ok of $TRIES attaches recorded the round and the program ended normally"
else
  echo "| heaptrack -p | not installed | |"
fi
echo "heapspy attach vs heapspy run: $(ratio "$att" "$run")"

echo
echo "## attach: the target's stall"
echo "| threads | attach stops (ms) | heap walks (ms) | detach: threads held by the last check (ms) |"
echo "| ---: | --- | --- | ---: |"
for n in 2 100; do
  start S$n "$n" || continue
  pid_var=S${n}_pid
  "$HEAPSPY" attach --format json -o "$TMP/s$n.hsp" "${!pid_var}" >"$TMP/s$n.json" 2>"$TMP/s$n.err" &
  ATT=$!
  wait_line "$TMP/s$n.err" '^heapspy: stop with' 1000
  "$HEAPSPY" detach "${!pid_var}" >/dev/null 2>&1; wait "$ATT"
  stops=$(sed -n 's/.*threads stopped \([0-9.]* ms + [0-9.]* ms\).*/\1/p' "$TMP/s$n.err")
  walks=$(sed -n 's/.*heap walked in \([0-9.]* + [0-9.]*\) ms.*/\1/p' "$TMP/s$n.err")
  hold=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["leak_scan"]; print("%.1f" % ((s["hold_us"] + s["release_us"]) / 1000))' "$TMP/s$n.json" 2>/dev/null || echo -)
  echo "| $n | $stops | $walks | $hold |"
  kill -TERM "${!pid_var}"; wait "${!pid_var}" 2>/dev/null
done
