#!/usr/bin/env bash
# tests/oracle/t2135-valgrind-exit-paths.sh: issue 15, deliverable 4:
# leaks classified on every exit path memcheck classifies, with memcheck's
# numbers. tests/oracle/exit_kinds.c holds every leak kind, then returns
# from main, calls _exit, exit() from a second thread, or dies of SIGSEGV
# or SIGABRT; heapspy's LEAK SUMMARY (bytes and blocks per kind) must
# equal memcheck's (--leak-check=full --show-leak-kinds=all), and the exit
# status stays the program's. Exit from a thread: that thread's own
# stack and TLS blocks (possibly lost in both) differ in size between
# glibc under valgrind and natively, so there only definitely, indirectly
# lost and still reachable are compared. Skipped only without valgrind.
source "$(dirname "$0")/../lib/tap.sh"
plan 15
P="$TESTBIN/exit_kinds"
if ! command -v valgrind >/dev/null; then
  for _i in $(seq 15); do skip "exit paths against memcheck" "valgrind not installed"; done
  done_testing
fi
# The four LEAK SUMMARY lines as "kind: bytes/blocks", without the ==PID== prefix.
kinds() { sed -nE 's/^(==[0-9]+== )? *(definitely lost|indirectly lost|possibly lost|still reachable): ([0-9,]+) bytes in ([0-9,]+) blocks$/\2: \3\/\4/p' "$1" | tr '\n' ';'; }
for spec in "return 3" "_exit 4" "exit-thread 5" "segv 139" "abort 134"; do
  set -- $spec
  mode=$1 code=$2
  (valgrind --leak-check=full --show-leak-kinds=all "$P" "$mode" >/dev/null 2>"vg-$mode.txt") 2>/dev/null  # the shell's "Segmentation fault" chatter
  "$HEAPSPY" run --leak-check=full --show-leak-kinds=all -o "$mode.hsp" -- "$P" "$mode" >/dev/null 2>"hs-$mode.txt"
  is "$?" "$code" "$mode: heapspy exits with the program's status $code"
  want=$(kinds "vg-$mode.txt") got=$(kinds "hs-$mode.txt")
  if [ "$mode" = exit-thread ]; then
    want=$(echo "$want" | sed 's/possibly lost: [^;]*;//') got=$(echo "$got" | sed 's/possibly lost: [^;]*;//')
  fi
  like "$want" "definitely lost: 136/4;" "$mode: memcheck classifies (136 bytes in 4 blocks definitely lost)"
  is "$got" "$want" "$mode: heapspy's leak kinds equal memcheck's"
done
done_testing
