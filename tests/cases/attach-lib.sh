# attach-lib.sh: shared by the attach tests (sourced after tap.sh and
# inspect-lib.sh): attach_prog started, rounds counted, heapspy attach in
# the background, the target finished without ever hanging a test.
PROG=$TESTBIN/attach_prog
LEAK_LINE=$(grep -n 'LEAK HERE' "$TOP/tests/cases/attach_prog.c" | cut -d: -f1)

# start_target NAME THREADS ITER: attach_prog in the background; NAME_pid.
start_target() {
  "$PROG" "$2" "$3" >"$1.out" 2>"$1.err" &
  local pid=$!
  _inspect_pids+=("$pid")          # killed at the end; not disowned: its status is waited for
  printf -v "$1_pid" '%s' "$pid"
  for _ in $(seq 1 100); do grep -q '^ready$' "$1.out" 2>/dev/null && return 0; sleep 0.02; done
  return 1
}

# wait_line FILE REGEX: up to 10 s for a line.
wait_line() {
  for _ in $(seq 1 500); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
  return 1
}

# attach_bg PID PROFILE [OPTION...]: heapspy attach in the background (json
# report on PROFILE.json); returns once it says it attached. ATT_pid is heapspy's.
attach_bg() {
  local pid=$1 prof=$2
  shift 2
  "$HEAPSPY" attach --format json "$@" -o "$prof" "$pid" >"$prof.json" 2>"$prof.err" &
  ATT_pid=$!
  local i
  for i in $(seq 1 1500); do             # up to 30 s on a loaded machine
    grep -q '^heapspy: attached to process' "$prof.err" 2>/dev/null && return 0
    kill -0 "$ATT_pid" 2>/dev/null || break
    sleep 0.02
  done
  sed 's/^/# /' "$prof.err"
  return 1
}

# round NAME K: start round K of target NAME and wait for its count line;
# prints "allocs frees" of that round.
round() {
  local pid_var=$1_pid
  kill -USR2 "${!pid_var}"
  wait_line "$1.out" "^round $2: " || return 1
  sed -n "s/^round $2: allocs \([0-9]*\) frees \([0-9]*\)$/\1 \2/p" "$1.out"
}

# finish PID: SIGTERM, then its exit status (137 if it did not end within
# 10 s: it is killed, so a hang fails the test instead of stalling it).
finish() {
  kill -TERM "$1"
  for _ in $(seq 1 500); do
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] || kill -0 "$1" 2>/dev/null || break
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && break
    sleep 0.02
  done
  kill -KILL "$1" 2>/dev/null
  wait "$1"
}

totals() { json "$1" '"%d %d" % (j["totals"]["allocs"], j["totals"]["frees"])'; }
