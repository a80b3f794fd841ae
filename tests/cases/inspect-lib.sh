# tests/cases/inspect-lib.sh: shared code of the live-process inspection
# tests (t1100..t1140: threads, stacks, maps, vtop). Source it after
# ../lib/tap.sh.
#
# Test programs run in the background and write NAME=VALUE lines to a
# ready file once they are set up; `start_prog` waits for that file and
# loads the values as shell variables with a prefix. Every process started
# here is killed by its pid when the test ends, however it ends.

_inspect_pids=()
_inspect_cleanup() {
  local p
  for p in "${_inspect_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap _inspect_cleanup EXIT

# start_prog PREFIX READY CMD...: runs CMD in the background, waits (up to
# 10 s) for READY, and sets ${PREFIX}_name for each name=value line in it.
# Returns non-zero if READY never appeared.
start_prog() {
  local prefix=$1 ready=$2; shift 2
  "$@" >"$ready.out" 2>&1 &
  _inspect_pids+=("$!")
  disown "$!"
  local i
  for i in $(seq 1 200); do
    [ -s "$ready" ] && break
    sleep 0.05
  done
  [ -s "$ready" ] || return 1
  local name value
  while IFS='=' read -r name value; do
    printf -v "${prefix}_${name}" '%s' "$value"
    [ "$name" = pid ] && _inspect_pids+=("$value")
  done <"$ready"
  return 0
}

# wait_file FILE: up to 10 s for it to appear.
wait_file() {
  for _ in $(seq 1 500); do [ -e "$1" ] && return 0; sleep 0.02; done
  return 1
}

# wait_gone PID [TRIES]: up to TRIES x 20 ms (default 10 s) for PID to be
# gone (a zombie is not: its parent has not reaped it yet). Polled in this
# shell, never by a watchdog subshell, which killed early can run the
# test's EXIT trap.
wait_gone() {
  for _ in $(seq 1 "${2:-500}"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.02; done
  return 1
}

# remember PID: kill it too at the end (quietly: no job report from bash).
remember() { _inspect_pids+=("$1"); disown "$1" 2>/dev/null; }

# no_stopped_threads PID: no thread of PID is stopped or traced.
no_stopped_threads() {
  ! grep -hE '^State:[[:space:]]+[tT]' /proc/"$1"/task/*/status 2>/dev/null | grep -q .
}

# dead_pid: the pid of a process that has exited and been reaped.
dead_pid() {
  sh -c 'exit 0' &
  local p=$!
  wait "$p"
  echo "$p"
}

# The story's busy loop must be measured, not the machine's load: other
# tests (and other sessions, each its own scheduler autogroup, where nice
# alone does nothing) may keep both CPUs busy. As root, run it in a
# session of its own and raise that autogroup's priority.
BUSY=()
[ "$(id -u)" = 0 ] && BUSY=(setsid nice -n -10)
favour() {
  [ "$(id -u)" = 0 ] && [ -w /proc/"$1"/autogroup ] && echo -10 >/proc/"$1"/autogroup 2>/dev/null
  return 0
}

# line_of FILE REGEX: the first line number of FILE matching REGEX.
line_of() { grep -nE -- "$2" "$1" | head -1 | cut -d: -f1; }
