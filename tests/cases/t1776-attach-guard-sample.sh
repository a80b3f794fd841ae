#!/usr/bin/env bash
# t1776-attach-guard-sample: `heapspy attach --guard-sample`, sampled guard
# pages brought to a process that is already running (issue 16).
#
# attach_guard reads a block it freed (a use after free, every allocation
# guarded with --guard-sample=1): the spy reports it with the faulting,
# allocation and free lines the source marks, and the program runs on.
# Its 20 blocks still in guard slots at detach are realloc'd, sized and
# freed by the program after detach: glibc must never see them, the
# program must end as it does unattached. A program that catches SIGSEGV
# itself is refused with one line (the fault would be its handler's).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 9
cd "$TMP" || exit 1
P=$TESTBIN/attach_guard
line() { grep -n "$1" "$TOP/tests/cases/attach_guard.c" | cut -d: -f1; }

"$P" >plain.out 2>&1 &
pid=$!
_inspect_pids+=("$pid")
sleep 0.2
kill -USR1 "$pid"; sleep 0.2; kill -TERM "$pid"; wait "$pid"
is "$?" 0 "unattached: attach_guard ends with 0"

"$P" >g.out 2>g.progerr &
pid=$!
_inspect_pids+=("$pid")
for _ in $(seq 1 100); do grep -q '^ready$' g.out 2>/dev/null && break; sleep 0.02; done
"$HEAPSPY" attach --guard-sample=1 --sample-seed 3 --format json -o g.hsp "$pid" >g.json 2>g.err &
att=$!
for _ in $(seq 1 1500); do grep -q '^heapspy: attached' g.err 2>/dev/null && break; sleep 0.02; done
kill -USR1 "$pid"
for _ in $(seq 1 500); do grep -q '^kept 20' g.out && break; sleep 0.02; done
"$HEAPSPY" detach "$pid" >/dev/null 2>&1
wait "$att"
is "$?" 0 "attach --guard-sample=1: attached and detached (status 0)"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "after detach the program frees its 20 guarded blocks and ends with 0, as unattached"
is "$(cat g.out)" "$(cat plain.out)" "its output is what it prints unattached (the 20 blocks read back intact)"
is "$(cat g.progerr)" "" "nothing on the program's stderr"
is "$(json g.json '[(e["kind"], e["access"], e["access_stack"][0]["line"], e["alloc_stack"][0]["line"], e["alloc_stack"][1]["line"], e["free_stack"][0]["line"]) for e in j["errors"]]')" \
  "[('use_after_free', 'read', $(line 'UAF HERE'), $(line 'ALLOC HERE'), $(line 'UAF HERE' | awk '{print $1 - 3}'), $(line 'FREE HERE'))]" \
  "the use after free: one error, at the read, allocated in make_block from use_after_free, freed at its line"
is "$(json g.json '(j["leak_summary"]["still_reachable"]["blocks"], j["leak_summary"]["still_reachable"]["bytes"])')" \
  "(20, 1920)" "the 20 kept blocks are live at detach, still reachable: 20 x 96 bytes"

"$P" segv >s.out 2>&1 &
spid=$!
_inspect_pids+=("$spid")
for _ in $(seq 1 100); do grep -q '^ready$' s.out 2>/dev/null && break; sleep 0.02; done
"$HEAPSPY" attach --guard-sample -o s.hsp "$spid" >s.stdout 2>s.err
is "$?:$(cat s.err)" "3:heapspy: attach: --guard-sample needs SIGSEGV, and process $spid handles it itself (a JVM, a runtime); attach without it" \
  "a program catching SIGSEGV itself: refused, one line, exit 3, nothing loaded"
is "$(grep -c heapspy "/proc/$spid/maps")" 0 "the refused program has no heapspy mapping"
kill -TERM "$spid"
