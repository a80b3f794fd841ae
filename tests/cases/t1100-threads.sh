#!/usr/bin/env bash
# t1100-threads: story 6, part one: "which thread burns the CPU?"
# (SPEC: `heapspy threads PID`, per-thread CPU time, state and name,
# busiest first; --format json gives {"threads": [{tid, name, state,
# user_s, sys_s, cpu_pct}]}).
#
# spin_free_list runs a thread named "spinner" that walks a circular free
# list forever, an "idler" that sleeps, and a main thread waiting to join
# them. `threads PID -i 0.5` must put spinner first with more than half a
# CPU; the others sleep. Errors are one line: no such process, a zombie,
# and usage errors (125).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 28

if ! start_prog S "$TMP/spin.ready" "${BUSY[@]}" "$TESTBIN/spin_free_list" "$TMP/spin.ready"; then
  echo "Bail out! spin_free_list did not start"
  exit 1
fi
favour "$S_pid"

# --- text, over an interval ---------------------------------------------
# Up to three tries to see the spinner above half a CPU, should the machine
# be busy anyway.
for try in 1 2 3; do
  out=$("$HEAPSPY" threads "$S_pid" -i 0.5 2>err)
  st=$?
  awk 'NR == 3 { exit !($NF > 50) }' <<<"$out" && break
done
is "$st" 0 "threads -i 0.5: exit status 0"
is "$(wc -c <err)" 0 "threads -i 0.5: nothing on stderr"
like "$(head -1 <<<"$out")" "^process $S_pid \(spin_free_list\): 3 threads, CPU share over the last (0\.[5-9][0-9]|[1-9]\.[0-9]{2}) s, busiest first$" \
  "threads -i: the title names the process, its 3 threads and the interval (0.5 s asked; more on a busy machine)"
like "$(sed -n 2p <<<"$out")" "^ +TID +NAME +STATE +USER s +SYS s +CPU%$" "threads -i: column header"
first=$(sed -n 3p <<<"$out")
like "$first" "^ +[0-9]+ +spinner +R running +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]$" \
  "threads -i: spinner is listed first, running"
pct=$(awk '{print $NF}' <<<"$first")
check "threads -i: spinner uses more than half a CPU (got $pct%)" awk -v p="$pct" 'BEGIN { exit !(p > 50) }'
like "$out" "^ +[0-9]+ +idler +S sleeping +" "threads -i: idler is listed, sleeping"
like "$out" "^ +$S_pid +spin_free_list +S sleeping +" "threads -i: the main thread is listed by its pid, sleeping"
idle_pct=$(awk '$2 == "idler" {print $NF}' <<<"$out")
check "threads -i: idler uses (almost) no CPU (got $idle_pct%)" awk -v p="$idle_pct" 'BEGIN { exit !(p < 5) }'

# --- text, over each thread's life ----------------------------------------
out=$("$HEAPSPY" threads "$S_pid")
is "$?" 0 "threads: exit status 0"
like "$(head -1 <<<"$out")" "most CPU time first$" "threads: without -i the order is total CPU time"
like "$(sed -n 3p <<<"$out")" "^ +[0-9]+ +spinner +R running" "threads: spinner is first"

# --- json -------------------------------------------------------------------
for try in 1 2 3; do
  "$HEAPSPY" threads --format json -i 0.5 "$S_pid" >t.json
  st=$?
  [ "$(json t.json 'j["threads"][0]["cpu_pct"] > 50')" = True ] && break
done
is "$st" 0 "threads --format json: exit status 0"
is "$(json t.json 'sorted(j.keys())')" "['command', 'interval_s', 'pid', 'threads']" "json: top-level keys"
is "$(json t.json 'sorted(j["threads"][0].keys())')" "['cpu_pct', 'name', 'state', 'sys_s', 'tid', 'user_s']" \
  "json: each thread has SPEC's keys"
is "$(json t.json '[t["name"] for t in j["threads"]][0]')" "spinner" "json: spinner is first"
is "$(json t.json 'j["threads"][0]["cpu_pct"] > 50 and j["threads"][0]["state"] == "R"')" "True" \
  "json: spinner has cpu_pct > 50 and state R"
is "$(json t.json 'sorted(t["name"] for t in j["threads"])')" "['idler', 'spin_free_list', 'spinner']" \
  "json: all three threads, by name"
is "$(json t.json 'all(j["threads"][i]["cpu_pct"] >= j["threads"][i+1]["cpu_pct"] for i in range(len(j["threads"])-1))')" \
  "True" "json: busiest first"
is "$(json t.json 'j["pid"] == '"$S_pid"' and j["threads"][0]["user_s"] + j["threads"][0]["sys_s"] > 0.2')" "True" \
  "json: pid, and spinner's CPU time is counted"

# --- errors -------------------------------------------------------------------
dead=$(dead_pid)
"$HEAPSPY" threads "$dead" >out 2>err
is "$?" 1 "no such process: exit status 1"
is "$(cat err)" "heapspy: threads: no such process $dead" "no such process: one line naming the pid"

# A zombie: its parent (exec'd into sleep) never reaps it.
sh -c 'sleep 0.1 & exec sleep 20' &
remember $!
zparent=$!
sleep 0.5
zombie=$(awk '{print $1}' /proc/"$zparent"/task/"$zparent"/children 2>/dev/null)
if [ -n "$zombie" ]; then
  "$HEAPSPY" threads "$zombie" >out 2>err
  is "$?" 1 "zombie: exit status 1"
  is "$(cat err)" "heapspy: threads: process $zombie has exited (a zombie, not yet reaped by its parent)" \
    "zombie: one line saying it has exited"
else
  skip "zombie: exit status 1" "no /proc/PID/task/TID/children"
  skip "zombie: one line" "no /proc/PID/task/TID/children"
fi

"$HEAPSPY" threads >out 2>err
is "$?" 125 "no pid: usage error 125"
"$HEAPSPY" threads abc >out 2>err
is "$?:$(cat err)" "125:heapspy: threads: 'abc' is not a process id" "a pid that is not a number: 125, one line"
"$HEAPSPY" threads -i -1 "$S_pid" >out 2>err
is "$?:$(cat err)" "125:heapspy: threads: -i wants seconds (like 0.5), not '-1'" "a negative interval: 125, one line"
"$HEAPSPY" threads --format xml "$S_pid" >out 2>err
is "$?:$(cat err)" "125:heapspy: threads: unsupported format 'xml' (supported: text, json)" "unknown format: 125, one line"

done_testing
