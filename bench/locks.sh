#!/usr/bin/env bash
# bench/locks.sh: --locks on a lock-heavy workload (bench/locks.c: THREADS
# threads taking 2-3 of 4 mutexes in one consistent order, ITERS times),
# natively, under `heapspy run --locks` and under valgrind's helgrind.
# Prints a markdown table of median wall times and ratios to native, and
# writes it to build/bench/locks.md. Issue 7's target: --locks <= 2x.
#
# usage: bench/locks.sh [-n RUNS]   (env: LOCKS_ITERS=1000000,
#        LOCKS_HG_ITERS=20000 for helgrind, scaled to ITERS; LOCKS_THREADS="1 4")
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build/bench
HEAPSPY=${HEAPSPY:-$ROOT/build/bin/heapspy}
PROG=$OUT/locks
ITERS=${LOCKS_ITERS:-1000000}
HG_ITERS=${LOCKS_HG_ITERS:-20000}
THREADS=${LOCKS_THREADS:-1 4}
RUNS=3
while getopts "n:" o; do case $o in n) RUNS=$OPTARG ;; *) exit 2 ;; esac; done
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

secs() {   # secs CMD...: wall seconds of one run, "fail" if it failed
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null 2>"$TMP/err" || { echo fail; return; }
  e=$(date +%s%N)
  echo "scale=4; ($e - $s) / 1000000000" | bc
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

{
  echo "| threads | native (s) | heapspy --locks (s) | ratio | helgrind (s, scaled from $HG_ITERS iters) | ratio |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for th in $THREADS; do
    n=() h=() g=()
    for _ in $(seq "$RUNS"); do
      n+=("$(secs "$PROG" "$th" "$ITERS")")
      h+=("$(secs "$HEAPSPY" run -q --locks -o "$TMP/l.hsp" -- "$PROG" "$th" "$ITERS")")
    done
    if command -v valgrind >/dev/null; then
      hg=$(secs valgrind --tool=helgrind "$PROG" "$th" "$HG_ITERS")
      [ "$hg" != fail ] && hg=$(echo "scale=2; $hg * $ITERS / $HG_ITERS" | bc)
    else
      hg="not installed"
    fi
    nm=$(median "${n[@]}"); hm=$(median "${h[@]}")
    r1=$(echo "scale=2; $hm / $nm" | bc 2>/dev/null || echo "?")
    r2=$( [ "$hg" = fail ] || [ "$hg" = "not installed" ] && echo "-" || echo "scale=0; $hg / $nm" | bc)
    echo "| $th | $nm | $hm | ${r1}x | $hg | ${r2}x |"
  done
} | tee "$OUT/locks.md"
