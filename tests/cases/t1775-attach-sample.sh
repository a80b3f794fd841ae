#!/usr/bin/env bash
# t1775-attach-sample: `heapspy attach --sample BYTES`, production mode on
# a process that is already running (issue 16: "works with run, attach").
#
# The oracle is exact mode on the same window: attach_prog counts its own
# allocations per round, and an unsampled attach of the same program gives
# the window's bytes. Sampled, the call and byte totals must still be
# exact, for every thread: its worker threads never exit and never sample
# (their totals sit in per-thread slots the detach sums). The leak of 3
# blocks of 4242 bytes is found at its line with the weight s/(1-exp(-(s+1)/B))
# per sampled block.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
source "$TOP/tests/cases/attach-lib.sh"
plan 10
cd "$TMP" || exit 1

# window NAME [OPTION...]: a round and the leak, attached with OPTIONs.
window() {
  local name=$1
  shift
  start_target "$name" 2 1000 || return 1
  local pid_var=${name}_pid
  attach_bg "${!pid_var}" "$TMP/$name.hsp" "$@" || return 1
  kill -USR1 "${!pid_var}"             # the main thread allocates first: seed N + 0
  wait_line "$name.out" '^leaked 3 blocks' || return 1
  round "$name" 1 >/dev/null
  "$HEAPSPY" detach "${!pid_var}" >/dev/null 2>&1
  wait "$ATT_pid"
  finish "${!pid_var}"
}

window E || { echo "Bail out! exact attach failed"; exit 1; }
window S --sample 4096 --sample-seed 5 || { echo "Bail out! sampled attach failed"; exit 1; }

is "$(sed -n 's/^round 1: //p' S.out)" "allocs 6000 frees 6000" "the program's own count of the sampled window"
is "$(json S.hsp.json 'j["sampling"]["mean_bytes"]')" 4096 "the profile says it is sampled, mean 4096 bytes"
is "$(totals S.hsp.json)" "6003 6000" \
  "sampled: allocation and free calls exact (the round plus 3 leaked), also for threads that never sampled"
is "$(json S.hsp.json 'j["totals"]["bytes_allocated"]')" "$(json E.hsp.json 'j["totals"]["bytes_allocated"]')" \
  "sampled: bytes allocated exact, equal to the unsampled attach of the same window"
is "$(json S.hsp.json '{(f["file"], f["line"]) for l in j["leaks"] for f in l["stack"][:1]}')" \
  "{('tests/cases/attach_prog.c', $LEAK_LINE)}" "sampled: the only leak is at attach_prog.c:$LEAK_LINE (LEAK HERE)"
W=$(python3 -c 'import math; print(4242 / -math.expm1(-4243 / 4096))')
is "$(json S.hsp.json "[round(sum(l['bytes'] for l in j['leaks']) / $W, 3)]")" "[1.0]" \
  "sampled: the leak's bytes are one sampled block of 4242 weighted by 1/(1-exp(-4243/4096))"
is "$(cat S.out)" "$(cat E.out)" "the program's output is the same sampled, exact, and unattached"
is "$(tail -1 S.out)" "total: allocs 6000 frees 6000" "the program ends with its own totals"

# -q, as `heapspy run -q`: no message and no report, the profile only
start_target Q 2 1000 || { echo "Bail out! attach_prog did not start"; exit 1; }
"$HEAPSPY" attach -q --sample 4096 --duration 1 -o "$TMP/Q.hsp" "$Q_pid" >Q.att.out 2>Q.att.err
is "$?:$(cat Q.att.out Q.att.err)" "0:" "attach -q: exit status 0, nothing printed"
finish "$Q_pid"
"$HEAPSPY" report --format json "$TMP/Q.hsp" >Q.hsp.json 2>/dev/null
is "$(json Q.hsp.json 'j["sampling"]["mean_bytes"]')" 4096 "attach -q: the profile was written, sampled with mean 4096"
