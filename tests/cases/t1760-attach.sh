#!/usr/bin/env bash
# t1760-attach: heapspy attach PID / detach PID on a running program that
# counts its own allocations (attach_prog: rounds of malloc+calloc+strdup
# and their frees on N threads, each round started by SIGUSR2 and counted
# by the program; SIGUSR1 leaks 3 x 4242 bytes from leak_now()).
#
# The truth is the program's own count of each window: the spy's totals
# for the window must equal it exactly; the leak must be reported at the
# source line marked "LEAK HERE"; the program's output and exit status
# must be what they are without heapspy; repeated cycles (2 and 8 threads)
# and SIGKILLs of heapspy at random moments must never hurt it.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 32

# The issue's sizes: 200 attach/detach cycles (100 on 2 threads, 100 on
# 8; about 0.4 s each) and 50 SIGKILLs; HEAPSPY_ATTACH_CYCLES (per thread
# count) and HEAPSPY_ATTACH_KILLS change them by hand.
CYCLES=${HEAPSPY_ATTACH_CYCLES:-100}
KILLS=${HEAPSPY_ATTACH_KILLS:-50}

# The two builds of the attach spy: static TLS that must fit glibc's spare
# (a few hundred bytes), and the fallback that needs none (every __thread
# of the spy is SPY_TLS, global-dynamic in that build).
LIBS=$HEAPSPY_BUILD/lib/heapspy
tls=$(( $(readelf -lW "$LIBS/libheapspy-attach.so" | awk '$1 == "TLS" { print $6 }') ))
check "libheapspy-attach.so: $tls bytes of TLS, within the spare static TLS of any glibc process (<= 400)" \
  test "$tls" -gt 0 -a "$tls" -le 400
is "$(readelf -d "$LIBS/libheapspy-attach-dyn.so" | grep -c STATIC_TLS)" 0 \
  "libheapspy-attach-dyn.so needs no static TLS"

source "$TOP/tests/cases/attach-lib.sh"
cd "$TMP" || exit 1

# --- one window, a leak, detach from another shell ----------------------------------
start_target A 2 1000 || { echo "Bail out! attach_prog did not start"; exit 1; }
attach_bg "$A_pid" "$TMP/a.hsp" || { echo "Bail out! attach failed"; exit 1; }
ok=$(round A 1)
kill -USR1 "$A_pid"
wait_line A.out '^leaked 3 blocks'
"$HEAPSPY" detach "$A_pid" >detach.out 2>detach.err
is "$?:$(cat detach.out)" "0:heapspy: detached from process $A_pid; the report: heapspy report $TMP/a.hsp" \
  "detach from another shell: exit 0, one line naming the profile"
wait "$ATT_pid"
is "$?" 0 "attach ends with status 0 once detached"
is "$ok" "6000 6000" "the program's own count of the window (2 threads x 1000 x 3)"
is "$(totals a.hsp.json)" "6003 6000" "the spy's totals for the window: the program's count plus the 3 leaked blocks"
is "$(json a.hsp.json 'sum(l["blocks"] for l in j["leaks"] if l["stack"][0]["function"] == "leak_now")')" 3 \
  "the three leaked blocks are all reported at leak_now"
is "$(json a.hsp.json '{(l["stack"][0]["file"], l["stack"][0]["line"], l["stack"][1]["function"]) for l in j["leaks"]}')" \
  "{('tests/cases/attach_prog.c', $LEAK_LINE, 'main')}" "the leak's stack: attach_prog.c:$LEAK_LINE (LEAK HERE), called from main"
check "at least 2 of the leaked blocks are definitely lost" \
  test "$(json a.hsp.json 'sum(l["blocks"] for l in j["leaks"] if l["kind"] == "definitely_lost")')" -ge 2
# after detach: nothing is recorded any more, the program runs on as before
after=$(round A 2)
is "$after" "6000 6000" "after detach: the next round runs and counts the same"
is "$(json a.hsp.json 'j["totals"]["allocs"]')" 6003 "after detach: the spy's totals did not move"
check "after detach: no thread of the program is stopped or traced" no_stopped_threads "$A_pid"
finish "$A_pid"
is "$?" 0 "the program's exit status is unchanged (0)"
is "$(cat A.out)" "ready
round 1: allocs 6000 frees 6000
leaked 3 blocks of 4242 bytes
round 2: allocs 6000 frees 6000
total: allocs 12000 frees 12000" "the program's output is exactly what it prints unattached"
is "$(cat A.err)" "" "nothing written to the program's stderr"

# --- no spare static TLS left: the dynamic-TLS build ---------------------------------
# glibc's spare static TLS shrunk to its minimum (tunables) and then used up
# by a late library with initial-exec TLS (libtls_filler.so, dlopen'd by the
# program): the static-TLS build cannot load; attach says so, loads the
# other build, and counts the window exactly as before.
ATTACH_PROG_DLOPEN=$TESTBIN/libtls_filler.so GLIBC_TUNABLES=glibc.rtld.nns=1:glibc.rtld.optional_static_tls=0 \
  start_target F 2 1000 || { echo "Bail out! attach_prog did not start with libtls_filler.so"; exit 1; }
attach_bg "$F_pid" "$TMP/f.hsp" || { echo "Bail out! attach failed without spare static TLS"; exit 1; }
like "$(head -1 f.hsp.err)" "^heapspy: warning: attach: process $F_pid did not load the spy's static-TLS build within 5 s .*loading its dynamic-TLS build" \
  "no spare static TLS: one line says so and names the fallback"
is "$(grep -c 'memfd:heapspy-attach-dyn-' "/proc/$F_pid/maps" | sed 's/^[1-9][0-9]*$/mapped/')" mapped \
  "the dynamic-TLS build is the one loaded"
ok=$(round F 1)
"$HEAPSPY" detach "$F_pid" >/dev/null 2>&1
wait "$ATT_pid"
is "$(totals f.hsp.json)" "$ok" "the dynamic-TLS build's totals equal the program's count of the window ($ok)"
finish "$F_pid"
is "$?:$(tail -1 F.out)" "0:total: allocs 6000 frees 6000" "the program ends normally, its output unchanged"

# --- a stopped process: neither build can load, and heapspy says so once --------------
start_target S 2 100 || { echo "Bail out! attach_prog did not start"; exit 1; }
kill -STOP "$S_pid"
"$HEAPSPY" attach -o "$TMP/s.hsp" "$S_pid" >s.out 2>s.err
is "$?:$(cat s.err)" "1:heapspy: attach: process $S_pid did not load the spy within 5 s (is it stopped, or can it not read /proc/$(sed -n 's|.*/proc/\([0-9]*\)/fd/.*|\1|p' s.err)/fd/$(sed -n 's|.*/fd/\([0-9]*\)?.*|\1|p' s.err)?); it runs on unchanged" \
  "a stopped process: exit 1 after 5 s, one line, no second build tried"
kill -CONT "$S_pid"
r=$(round S 1)
is "$r:$(grep -c 'heapspy-attach' "/proc/$S_pid/maps")" "600 600:0" \
  "continued, it runs its round as before, no spy loaded (the dlopen it was handed finds heapspy's memfd gone)"
finish "$S_pid"

# --- repeated cycles, each window exact: 2 and 8 threads -------------------------------
for threads in 2 8; do
  start_target C$threads "$threads" 500 || { echo "Bail out! attach_prog did not start"; exit 1; }
  pid_var=C${threads}_pid
  pid=${!pid_var}
  exact=0
  t0=$SECONDS
  for k in $(seq 1 "$CYCLES"); do
    attach_bg "$pid" "$TMP/c$threads-$k.hsp" || break
    r=$(round "C$threads" "$k")
    "$HEAPSPY" detach "$pid" >/dev/null 2>&1
    wait "$ATT_pid"
    [ "$(totals "c$threads-$k.hsp.json")" = "$r" ] && exact=$((exact + 1))
    rm -f "c$threads-$k.hsp" "c$threads-$k.hsp.json" "c$threads-$k.hsp.err"
  done
  echo "# $threads threads: $CYCLES cycles in $((SECONDS - t0)) s"
  is "$exact" "$CYCLES" "$threads threads: $CYCLES attach/detach cycles, the spy's counts equal the program's in each"
  finish "$pid"
  is "$?:$(tail -1 "C$threads.out")" "0:total: allocs $((threads * 500 * 3 * CYCLES)) frees $((threads * 500 * 3 * CYCLES))" \
    "$threads threads: the program ends normally with its own totals"
done

# --- attach and detach while 8 threads allocate flat out ------------------------------
start_target B 8 200000 || { echo "Bail out! attach_prog did not start"; exit 1; }
kill -USR2 "$B_pid"
for k in 1 2 3 4 5; do
  attach_bg "$B_pid" "$TMP/b$k.hsp" && "$HEAPSPY" detach "$B_pid" >/dev/null 2>&1
  wait "$ATT_pid"
done
wait_line B.out '^round 1: '
is "$(sed -n 's/^round 1: //p' B.out)" "allocs 4800000 frees 4800000" \
  "5 attach/detach cycles in the middle of a busy round: the round completes with its exact count"

# --- SIGKILL of heapspy at random moments of attach --------------------------------------
start_target K 2 200 || { echo "Bail out! attach_prog did not start"; exit 1; }
RANDOM=1760
good=0
t0=$SECONDS
for k in $(seq 1 "$KILLS"); do
  HEAPSPY_TEST_HOLD_MS=$((RANDOM % 30)) "$HEAPSPY" attach -o "$TMP/k$k.hsp" "$K_pid" >/dev/null 2>&1 &
  victim=$!
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  kill -KILL "$victim" 2>/dev/null
  wait "$victim" 2>/dev/null
  # killed after the spy started: it records on; end it the normal way
  "$HEAPSPY" detach "$K_pid" >/dev/null 2>&1
  r=$(round K "$k")
  [ "$r" = "1200 1200" ] && no_stopped_threads "$K_pid" && good=$((good + 1))
done
echo "# $KILLS kills in $((SECONDS - t0)) s"
is "$good" "$KILLS" "$KILLS SIGKILLs of heapspy at random points of attach: the program runs on correctly every time"
finish "$K_pid"
is "$?:$(tail -1 K.out)" "0:total: allocs $((KILLS * 1200)) frees $((KILLS * 1200))" \
  "after the SIGKILLs the program ends normally"

# --- refusals --------------------------------------------------------------------------
start_target R 1 10 || { echo "Bail out! attach_prog did not start"; exit 1; }
attach_bg "$R_pid" "$TMP/r.hsp"
"$HEAPSPY" attach "$R_pid" >out 2>err
is "$?:$(cat err)" "4:heapspy: attach: process $R_pid is already spied by heapspy; ask it for a report with: heapspy snapshot $R_pid" \
  "attached twice: exit 4, pointing at heapspy snapshot"
"$HEAPSPY" detach "$R_pid" >/dev/null 2>&1
wait "$ATT_pid"
"$TESTBIN/attach_static" >st.out &
st_pid=$!
_inspect_pids+=("$st_pid")
wait_line st.out '^ready$'
"$HEAPSPY" attach "$st_pid" >out 2>err
is "$?:$(cat err)" "3:heapspy: attach: process $st_pid is statically linked: there is no libc.so to load the spy with" \
  "a static binary: exit 3, one line"
"$HEAPSPY" attach --check "$R_pid" >out 2>err
is "$?:$(wc -l <err)" "125:1" "--check is refused with one line (exit 125)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HEAPSPY"; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "$HEAPSPY" attach -o /tmp/nobody.hsp "$R_pid" >out 2>err
  code=$?
  like "$code:$(cat err)" "^2:heapspy: attach: not permitted to attach to process $R_pid: .*root.*ptrace_scope" \
    "as another user: exit 2, naming the owner and ptrace_scope"
else
  skip "permissions" "needs root and setpriv"
fi
done_testing
