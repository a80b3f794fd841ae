#!/usr/bin/env bash
# t1110-stacks: story 6, part two: "where is it looping?" (SPEC: `heapspy
# stacks PID [-n N] [-i SECONDS]`, symbolized stacks of every thread
# sampled N times; --format json gives {"samples": [{t_ms, threads: [{tid,
# name, stack: [frame]}]}]}, frame = {function, file, line, module,
# offset}).
#
# spin_free_list's "spinner" loops forever in find_free_node, walking a
# circular free list. Three samples 0.2 s apart must each show it there,
# at a line of that function (read from the source), mark the frames
# common to every sample as the likely loop and name find_free_node; the
# sleeping threads are not marked. Threads are never left stopped: not
# after stacks returns, not when heapspy is interrupted (SIGINT) or killed
# (SIGKILL) mid-sampling. A process that exits mid-way gives its samples
# and a one-line error.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 36

SRC="$TOP/tests/cases/spin_free_list.c"
loop_first=$(line_of "$SRC" 'find_free_node\(size_t want\) \{$')
loop_last=$(awk -v s="$loop_first" 'NR > s && /^}$/ { print NR; exit }' "$SRC")
spinner_line=$(line_of "$SRC" 'struct node \*n = find_free_node\(4096\);')

if ! start_prog S "$TMP/spin.ready" "${BUSY[@]}" "$TESTBIN/spin_free_list" "$TMP/spin.ready"; then
  echo "Bail out! spin_free_list did not start"
  exit 1
fi
favour "$S_pid"

# --- three samples -----------------------------------------------------------
"$HEAPSPY" stacks "$S_pid" -n 3 -i 0.2 >out 2>err
is "$?" 0 "stacks -n 3 -i 0.2: exit status 0"
is "$(wc -c <err)" 0 "stacks: nothing on stderr"
check "stacks: no thread is left stopped" no_stopped_threads "$S_pid"
is "$(grep -cE "^sample [123] of 3 at [0-9]+ ms: process $S_pid \(spin_free_list\), 3 threads$" out)" 3 \
  "stacks: three samples of three threads"
is "$(grep -cE '^thread [0-9]+ "spinner" R running, busy \([0-9]+% CPU\)$' out)" 3 \
  "stacks: spinner is running and busy in every sample"
# The innermost frame of spinner, in each sample: find_free_node, marked.
loops=$(awk '/^thread [0-9]+ "spinner"/ { getline; print }' out)
is "$(grep -cE '^  \* #0  find_free_node at .*tests/cases/spin_free_list\.c:[0-9]+ \(spin_free_list\+0x[0-9a-f]+\)$' <<<"$loops")" 3 \
  "stacks: every sample has spinner in find_free_node (spin_free_list.c), marked '*'"
lines=$(sed -E 's/.*spin_free_list\.c:([0-9]+) .*/\1/' <<<"$loops" | sort -u)
check "stacks: the line is inside find_free_node, lines $loop_first-$loop_last (got $(echo $lines))" \
  awk -v a="$loop_first" -v b="$loop_last" '{ if ($1 < a || $1 > b) bad = 1 } END { exit bad }' <<<"$lines"
is "$(grep -cE "^  \* #1  spinner_main at .*spin_free_list\.c:$spinner_line " out)" 3 \
  "stacks: its caller spinner_main (line $spinner_line) is marked in every sample"
is "$(grep -cE '^  \* #[0-9]+  start_thread ' out)" 3 "stacks: the thread start is in every sample too"
idler=$(awk '/^thread [0-9]+ "idler"/ { on = 1; next } /^thread |^$/ { on = 0 } on' out)
like "$idler" '^    #[0-9]+  idler_main at .*spin_free_list\.c:[0-9]+ \(spin_free_list\+0x' \
  "stacks: idler is shown in idler_main"
is "$(grep -c '^  \*' <<<"$idler")" 0 "stacks: the sleeping idler has no frame marked"
like "$(awk '/^thread [0-9]+ "spin_free_list"/ { on = 1; next } /^thread |^$/ { on = 0 } on' out)" \
  '^    #[0-9]+  main at .*spin_free_list\.c:[0-9]+ ' "stacks: the main thread is shown in main"
like "$(tail -1 out)" '^likely loop: thread [0-9]+ "spinner" \([0-9]+% CPU over 0\.[0-9]+ s\) is inside find_free_node \(spin_free_list\.c\) in spin_free_list in all 3 samples; frames marked \* are in every sample$' \
  "stacks: the last line names the likely loop"
t2=$(sed -nE 's/^sample 2 of 3 at ([0-9]+) ms.*/\1/p' out)
t3=$(sed -nE 's/^sample 3 of 3 at ([0-9]+) ms.*/\1/p' out)
check "stacks: samples are 0.2 s apart (at $t2 and $t3 ms)" \
  awk -v a="$t2" -v b="$t3" 'BEGIN { exit !(a >= 190 && a < 400 && b >= 390 && b < 700) }'

# --- json --------------------------------------------------------------------
"$HEAPSPY" stacks --format json -n 3 -i 0.1 "$S_pid" >s.json
is "$?" 0 "stacks --format json: exit status 0"
check "json: no thread is left stopped" no_stopped_threads "$S_pid"
is "$(json s.json '"samples" in j and len(j["samples"])')" 3 "json: three samples"
is "$(json s.json 'sorted(j["samples"][0].keys())')" "['t_ms', 'threads']" "json: a sample has t_ms and threads"
is "$(json s.json 'all({"tid", "name", "stack"} <= set(t) for s in j["samples"] for t in s["threads"])')" "True" \
  "json: every thread has tid, name, stack"
is "$(json s.json 'all({"function", "file", "line", "module", "offset"} <= set(f) for s in j["samples"] for t in s["threads"] for f in t["stack"])')" \
  "True" "json: every frame has SPEC's frame keys"
is "$(json s.json '[[f["function"], f["module"], f["in_every_sample"]] for f in [[t for t in s["threads"] if t["name"] == "spinner"][0]["stack"][0] for s in j["samples"]]]')" \
  "[['find_free_node', 'spin_free_list', True], ['find_free_node', 'spin_free_list', True], ['find_free_node', 'spin_free_list', True]]" \
  "json: spinner's innermost frame is find_free_node in every sample, in_every_sample true"
is "$(json s.json 'all('"$loop_first"' <= f["line"] <= '"$loop_last"' and f["file"].endswith("spin_free_list.c") for f in [[t for t in s["threads"] if t["name"] == "spinner"][0]["stack"][0] for s in j["samples"]])')" \
  "True" "json: at a line of find_free_node in spin_free_list.c"
is "$(json s.json 'any(f["in_every_sample"] for s in j["samples"] for t in s["threads"] if t["name"] != "spinner" for f in t["stack"])')" \
  "False" "json: no frame of a sleeping thread is marked"
is "$(json s.json '[(l["name"], l["function"]) for l in j["likely_loops"]]')" "[('spinner', 'find_free_node')]" \
  "json: likely_loops names spinner in find_free_node"
is "$(json s.json 'j["samples"][0]["t_ms"] == 0 and j["samples"][2]["t_ms"] >= 190')" "True" "json: t_ms counts from the first sample"

# --- never left stopped, even when interrupted --------------------------------
# started PID: waits until PID runs heapspy itself (env has exec'd it).
started() {
  local n
  for n in $(seq 1 100); do
    [ "$(cat /proc/"$1"/comm 2>/dev/null)" = heapspy ] && return
    sleep 0.02
  done
}
stopped=0 interrupted=0
for i in 1 2 3 4 5 6 7 8; do
  # A background job of a script starts with SIGINT ignored: undo that.
  env --default-signal=INT "$HEAPSPY" stacks -n 10000 -i 0.002 "$S_pid" >/dev/null 2>&1 &
  h=$!
  started "$h"
  sleep 0.$((i % 4 + 1))
  if [ $((i % 2)) = 0 ]; then kill -INT "$h"; else kill -TERM "$h"; fi
  wait "$h"
  st=$?
  [ "$st" = 130 ] || [ "$st" = 143 ] && interrupted=$((interrupted + 1))
  no_stopped_threads "$S_pid" || stopped=$((stopped + 1))
done
is "$interrupted" 8 "SIGINT/SIGTERM: heapspy was interrupted mid-sampling every time"
is "$stopped" 0 "SIGINT/SIGTERM while sampling (8 times): no thread left stopped"
stopped=0 killed=0
for i in 1 2 3 4 5 6; do
  "$HEAPSPY" stacks -n 10000 -i 0.002 "$S_pid" >/dev/null 2>&1 &
  h=$!
  started "$h"
  sleep 0.$((i % 3 + 1))
  kill -KILL "$h"
  wait "$h" 2>/dev/null
  killed=$((killed + ($? == 137)))
  sleep 0.05
  no_stopped_threads "$S_pid" || stopped=$((stopped + 1))
done
is "$stopped" 0 "SIGKILL while sampling (6 times): no thread left stopped"
is "$killed" 6 "SIGKILL: heapspy was killed mid-sampling every time"
check "the spinner still runs after all that" grep -qE '^State:[[:space:]]+R' /proc/"$S_pid"/task/*/status

# --- a process that exits mid-way ---------------------------------------------
# The process dies once heapspy has been seen tracing it and 0.3 s more
# have passed, not after a fixed time: on a loaded machine heapspy may start
# late, and a process gone before the first sample is "no such process".
sleep 30 &
short=$!
"$HEAPSPY" stacks -n 1000 -i 0.02 "$short" >out 2>err &
h=$!
for n in $(seq 1 500); do
  [ "$(awk '/^TracerPid:/ { print $2 }' /proc/"$short"/status 2>/dev/null)" = "$h" ] && break
  sleep 0.01
done
sleep 0.3
kill -KILL "$short"
wait "$h"
is "$?" 1 "process gone mid-way: exit status 1"
like "$(cat err)" "^heapspy: stacks: process $short exited after [0-9]+ of 1000 samples$" \
  "process gone mid-way: one line saying after how many samples"
check "process gone mid-way: the samples taken are printed" grep -q '^sample 1 of 1000 ' out

# --- errors ---------------------------------------------------------------------
dead=$(dead_pid)
"$HEAPSPY" stacks "$dead" >out 2>err
is "$?:$(cat err)" "1:heapspy: stacks: no such process $dead" "no such process: exit 1, one line"
"$HEAPSPY" stacks -n 0 "$S_pid" >out 2>err
is "$?:$(cat err)" "125:heapspy: stacks: -n expects a number from 1 to 10000, not '0'" \
  "-n 0: 125, one line"
"$HEAPSPY" stacks -i x "$S_pid" >out 2>err
is "$?:$(wc -l <err)" "125:1" "-i x: 125, one line"

done_testing
