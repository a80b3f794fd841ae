#!/usr/bin/env bash
# t1770-attach-real-programs: /usr/bin/python3 and sqlite3, attached in the
# middle of their work and detached before its end. The oracle is the same
# program fed the same input without heapspy: its output must be byte for
# byte the same, and its exit status too; the spy must have seen the work
# done while attached (allocations recorded, frees of blocks from before
# attach passed through and counted).
source "$(dirname "$0")/../lib/tap.sh"
plan 8
cd "$TMP" || exit 1

PY=/usr/bin/python3
# run_fed NAME CMD...: CMD reads its input from a FIFO, fed in three parts;
# with ATTACH=1, heapspy attaches after the first and detaches after the
# second. Output in NAME.out, exit status in NAME.rc, report in NAME.json.
run_fed() {
  local name=$1; shift
  mkfifo "$name.fifo"
  "$@" <"$name.fifo" >"$name.out" 2>&1 &
  local pid=$!
  exec 7>"$name.fifo"
  cat part1 >&7
  sleep 0.3
  if [ "$ATTACH" = 1 ]; then
    "$HEAPSPY" attach --format json -o "$TMP/$name.hsp" "$pid" >"$name.json" 2>"$name.err" &
    local att=$!
    for _ in $(seq 1 1500); do grep -q '^heapspy: attached' "$name.err" 2>/dev/null && break; sleep 0.02; done
  fi
  cat part2 >&7
  sleep 0.5
  if [ "$ATTACH" = 1 ]; then
    "$HEAPSPY" detach "$pid" >/dev/null 2>>"$name.err"
    wait "$att"
  fi
  cat part3 >&7
  exec 7>&-
  wait "$pid"
  echo $? >"$name.rc"
}

# --- python3 -------------------------------------------------------------------------
if [ -x "$PY" ]; then
  cat >work.py <<'EOF'
import sys, json
d = {}
for line in sys.stdin:
    n = int(line)
    d[n] = [str(i) * 3 for i in range(n)]
    s = json.dumps(d[n][-5:])
    print(n, len(d), sum(len(x) for x in d[n]), s, flush=True)
    if n % 2: del d[n]
print("end", sorted(d)[:10])
EOF
  seq 100 137 >part1; seq 2000 2040 >part2; seq 300 320 >part3
  ATTACH=0 run_fed py0 "$PY" work.py
  ATTACH=1 run_fed py1 "$PY" work.py
  is "$(cat py1.rc)" "$(cat py0.rc)" "python3: the exit status attached is the unattached one ($(cat py0.rc))"
  check "python3: its output is byte-identical to an unattached run ($(wc -l <py0.out) lines)" cmp -s py0.out py1.out
  # pymalloc serves small objects itself: the list buffers (16 KB) come from malloc
  check "python3: the spy recorded the work done while attached (a list buffer per line: at least 41)" \
    test "$(json py1.json 'j["totals"]["allocs"]')" -ge 41
  check "python3: frees of blocks allocated before attach went through, counted" \
    test "$(json py1.json 'j["attach"]["frees_before_attach"]')" -gt 0
else
  for i in 1 2 3 4; do skip "python3" "python3 not installed"; done
fi

# --- sqlite3 -------------------------------------------------------------------------
if command -v sqlite3 >/dev/null; then
  { echo "create table t(a integer, b text);"
    for i in $(seq 1 200); do echo "insert into t values($i, hex(randomblob(0)) || '$i-x');"; done
    echo "select count(*), sum(a) from t;"; } >part1
  { for i in $(seq 201 2000); do echo "insert into t values($i, printf('%0100d', $i));"; done
    echo "create index ti on t(b);"
    echo "select count(*), sum(length(b)) from t where a % 7 = 0;"; } >part2
  { echo "delete from t where a % 3 = 0;"
    echo "select count(*), max(a), group_concat(a) from (select a from t order by b limit 20);"; } >part3
  ATTACH=0 run_fed sq0 sqlite3 "$TMP/db0.sqlite"
  ATTACH=1 run_fed sq1 sqlite3 "$TMP/db1.sqlite"
  is "$(cat sq1.rc)" "$(cat sq0.rc)" "sqlite3: the exit status attached is the unattached one ($(cat sq0.rc))"
  check "sqlite3: its output is byte-identical to an unattached run" cmp -s sq0.out sq1.out
  check "sqlite3: the spy recorded the inserts done while attached (at least 1800 allocations)" \
    test "$(json sq1.json 'j["totals"]["allocs"]')" -ge 1800
  is "$(json sq1.json 'j["attach"]["detached"]')" True "sqlite3: detached at the end of the window"
else
  for i in 1 2 3 4; do skip "sqlite3" "sqlite3 not installed"; done
fi
done_testing
