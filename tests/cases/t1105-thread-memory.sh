#!/usr/bin/env bash
# t1105-thread-memory: each thread's working memory in the spy (its stack
# counters, unwinder caches, lock sets: src/spy/spy_thread_mem.h, about
# 72 KB) is taken over by a later thread once its own is gone, and what a
# thread counted is never lost with it. 2,000 short-lived threads (500
# waves of 4, thread_churn) must not grow the program by 2,000 blocks
# (144 MB), and every malloc/free pair they make must be in the totals:
# the difference between 500 waves and 1 wave is exactly 499 x 4 x 100.
source "$(dirname "$0")/../lib/tap.sh"
plan 5

run_churn() {   # WAVES PROFILE: the program's line "vm_kb first F end E"
  "$HEAPSPY" run -q -o "$2" -- "$TESTBIN/thread_churn" "$1" 4 >"$2.out" || return 1
  "$HEAPSPY" report --format json "$2" >"$2.json"
}
run_churn 1 one.hsp
run_churn 500 many.hsp
read -r first end < <(sed -n 's/^vm_kb first \([0-9]*\) end \([0-9]*\)$/\1 \2/p' many.hsp.out)
check "2,000 threads: the program grew $(( (end - first) / 1024 )) MB after the first wave (< 4 MB; 144 MB if each kept its block)" \
  test $((end - first)) -lt 4096
a1=$(json one.hsp.json 'j["totals"]["allocs"]') a500=$(json many.hsp.json 'j["totals"]["allocs"]')
is "$((a500 - a1))" 199600 "every thread's allocations are counted: 500 waves minus 1 wave = 499 x 4 x 100"
is "$(json many.hsp.json '"%d %d" % (j["totals"]["allocs"] - j["totals"]["frees"], len(j["leaks"]))')" \
   "$(json one.hsp.json '"%d %d" % (j["totals"]["allocs"] - j["totals"]["frees"], len(j["leaks"]))')" \
   "allocations minus frees and leaks are the same as with 1 wave: no free lost with a thread"
is "$(json many.hsp.json 'j["families"][0]["in_use_blocks"]')" "$(json one.hsp.json 'j["families"][0]["in_use_blocks"]')" \
   "blocks in use at exit: the same as with 1 wave"
# 64 threads alive at once need 64 blocks: counted as heapspy's memory,
# not the program's (the timeline's last point, at exit)
"$HEAPSPY" run -q -o wide.hsp -- "$TESTBIN/thread_churn" 1 64 >/dev/null
"$HEAPSPY" report --format json wide.hsp >wide.json
grown=$(( $(json wide.json 'j["timeline"][-1]["spy_vm_bytes"]') - $(json one.hsp.json 'j["timeline"][-1]["spy_vm_bytes"]') ))
check "64 threads at once: heapspy's own memory holds their blocks (+$((grown / 1024)) KB >= 60 x 72 KB)" \
  test "$grown" -ge $((60 * 72 * 1024))
