#!/usr/bin/env bash
# t1092-idle-snapshot: a snapshot of an idle process comes at once. A
# daemon between requests is blocked in read(2) or nanosleep(2) and
# allocates nothing; `heapspy snapshot --leak-check` must still answer,
# within 100 ms (as the CLI measures it: signal sent to checkpoint
# written), with the right classification, and the program's waiting call
# must behave as signal(7) says: read restarts (SA_RESTART) and returns
# the line later written; nanosleep is interrupted, and the program,
# resuming with the time left, sleeps its full time.
source "$(dirname "$0")/../lib/tap.sh"
plan 14
PROG="$TESTBIN/idle_server"

# start MODE ARG: the program under heapspy, ready, its pid in $pid
start() {
  rm -f ready
  "$HEAPSPY" run -q -o "$1.hsp" -- "$PROG" "$1" "$TMP/ready" "$2" >"$1.out" &
  runner=$!
  for i in $(seq 200); do [ -s ready ] && break; sleep 0.02; done
  pid=$(pgrep -P $runner -f idle_server | head -1)
  sleep 0.2                            # well inside its read or nanosleep now
}
trap 'kill $runner 2>/dev/null; rm -rf "$TMP"' EXIT

# --- blocked in read(2) ---------------------------------------------------
mkfifo fifo
start read "$TMP/fifo"
check "the reader is running under heapspy (pid $pid)" test -n "$pid"
is "$(awk '/^State:/ {print $2}' /proc/$pid/status)" S "it is asleep, blocked in read"
"$HEAPSPY" snapshot --leak-check --format json --timeout 5 "$pid" idle1 >snap1.json 2>err1.txt
is "$?:$(cat err1.txt)" "0:" "snapshot --leak-check of a process blocked in read succeeds"
is "$(json snap1.json 'j["answer_ms"] < 100')" True \
   "answered in $(json snap1.json 'j["answer_ms"]') ms (< 100), not at a next allocation"
is "$(json snap1.json 'j["leak_summary"]["definitely_lost"]["blocks"], j["leak_summary"]["definitely_lost"]["bytes"]')" \
   "(30, 9000)" "the 30 lost blocks (9,000 bytes) are definitely lost"
is "$(json snap1.json 'j["leak_summary"]["still_reachable"]["blocks"] >= 20')" True \
   "the cache (20 blocks) is still reachable"
"$HEAPSPY" snapshot "$pid" idle2 >plain.txt
like "$(cat plain.txt)" "answered in [0-9]+ ms" "a second, plain snapshot is answered too"
echo hello >fifo
wait $runner
is "$(cat read.out)" "read 6 errno 0" "read(2) restarted across both signals and got the line"

# --- asleep in nanosleep(2) ---------------------------------------------------
start sleep 1.5
check "the sleeper is running under heapspy (pid $pid)" test -n "$pid"
"$HEAPSPY" snapshot --leak-check --format json --timeout 5 "$pid" nap >snap2.json 2>err2.txt
is "$?:$(cat err2.txt)" "0:" "snapshot --leak-check of a process in nanosleep succeeds"
is "$(json snap2.json 'j["answer_ms"] < 100')" True \
   "answered in $(json snap2.json 'j["answer_ms"]') ms (< 100)"
is "$(json snap2.json 'j["leak_summary"]["definitely_lost"]["blocks"]')" 30 "the same 30 lost blocks"
wait $runner
like "$(cat sleep.out)" "^slept 1\.[5-9] s, 1 interruptions$" \
   "nanosleep was interrupted once (EINTR, as signal(7) says) and the program slept its full time"
"$HEAPSPY" report --format json sleep.hsp >final.json
is "$(json final.json '[c["name"] for c in j["checkpoints"]]')" "['nap']" \
   "the checkpoint is in the final report"
done_testing
