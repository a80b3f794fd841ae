#!/usr/bin/env bash
# t1720-heap-never-stopped: `heapspy heap` stops its target only while it
# reads it, and never leaves it stopped, whatever happens to heapspy
# (src/inspect/target_stop.c): killed with SIGINT, SIGTERM or SIGHUP while
# it holds every thread (its handler detaches them, then dies of the
# signal), or with SIGKILL (the kernel detaches a dead tracer's tracees;
# PTRACE_SEIZE leaves no stop signal pending).
#
# The hold: HEAPSPY_TEST_HOLD_MS makes heapspy sleep that long once every
# thread is stopped (a knob for tests only), on heap_mix with 300,000 more
# blocks. Each time the test waits until the target shows "t (tracing
# stop)", kills heapspy, and within 1 s every thread of the target must be
# out of the tracing stop, and it must run on (heap_mix is then sleeping
# in pause() and its threads in a barrier: state S).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 13

if ! start_prog B "$TMP/b.ready" "$TESTBIN/heap_mix" "$TMP/b.ready" 300000; then
  echo "Bail out! heap_mix did not start"
  exit 1
fi

# traced PID: some thread of PID is in a tracing stop.
traced() { grep -hqE '^State:[[:space:]]+t' /proc/"$1"/task/*/status 2>/dev/null; }

# released_within_1s PID
released_within_1s() {
  local i
  for i in $(seq 1 20); do
    no_stopped_threads "$1" && return 0
    sleep 0.05
  done
  return 1
}

for sig in INT TERM HUP KILL; do
  env --default-signal=INT HEAPSPY_TEST_HOLD_MS=5000 "$HEAPSPY" heap "$B_pid" >/dev/null 2>&1 &
  h=$!
  held=0
  for i in $(seq 1 200); do traced "$B_pid" && { held=1; break; }; sleep 0.02; done
  is "$held" 1 "SIG$sig: heapspy holds the target stopped (State t)"
  kill -"$sig" "$h"
  wait "$h" 2>/dev/null
  st=$?
  check "SIG$sig: every thread released within 1 s" released_within_1s "$B_pid"
  case $sig in
    INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; KILL) want=137 ;;
  esac
  [ "$sig" = KILL ] || is "$st" "$want" "SIG$sig: heapspy died of the signal (exit $want)"
done
sleep 0.3
check "the target runs on: alive and sleeping, not stopped" \
  grep -qE '^State:[[:space:]]+S' /proc/"$B_pid"/status
"$HEAPSPY" heap --format json "$B_pid" >b.json
is "$(json b.json 'j["heap"]["in_use_blocks"] > 300000 and j["problems"] == []')" "True" \
  "and its heap still reads whole afterwards ($(json b.json 'j["heap"]["in_use_blocks"]') blocks, stopped $(json b.json 'j["stop_ms"]') ms)"
done_testing
