#!/usr/bin/env bash
# t1140-inspect-permissions: what an unprivileged user gets from the
# inspection commands (SPEC: threads/stacks/maps/vtop on any process of the
# same user, or any as root).
#
# As user nobody: a root process cannot be stopped (stacks) nor its memory
# map read (maps, vtop): one line each, "permission denied", naming the
# owner and /proc/sys/kernel/yama/ptrace_scope; its threads are public.
# nobody's own process can be inspected, but the kernel hides page frames
# from it: vtop says so instead of printing a frame of 0.
# Needs root (to switch to nobody) and setpriv.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 13

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
  skip_rest "permissions" "needs root and setpriv"
fi
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! "${AS_NOBODY[@]}" test -x "$HEAPSPY"; then
  skip_rest "permissions" "user nobody cannot run $HEAPSPY"
fi

if ! start_prog R "$TMP/r.ready" "$TESTBIN/maps_prog" "$TMP/r.ready"; then
  echo "Bail out! maps_prog did not start"
  exit 1
fi

# --- a root process, seen by nobody ---------------------------------------------
"${AS_NOBODY[@]}" "$HEAPSPY" stacks "$R_pid" >out 2>err
is "$?:$(wc -l <err):$(wc -c <out)" "1:1:0" "stacks of root's process: exit 1, one line, no output"
like "$(cat err)" "^heapspy: stacks: permission denied stopping the threads of process $R_pid with ptrace \(it belongs to root, you are nobody; .*ptrace_scope.*\)$" \
  "stacks: permission denied, naming the owner and ptrace_scope"
check "stacks: nothing was stopped" no_stopped_threads "$R_pid"
"${AS_NOBODY[@]}" "$HEAPSPY" maps "$R_pid" >out 2>err
is "$?:$(wc -l <err)" "1:1" "maps of root's process: exit 1, one line"
like "$(cat err)" "^heapspy: maps: permission denied reading the memory map \(smaps\) of process $R_pid \(it belongs to root, you are nobody; .*ptrace_scope.*\)$" \
  "maps: permission denied, naming the owner and ptrace_scope"
"${AS_NOBODY[@]}" "$HEAPSPY" vtop "$R_pid" 0x1000 >out 2>err
is "$?:$(wc -l <err)" "1:1" "vtop of root's process: exit 1, one line"
like "$(cat err)" "^heapspy: vtop: permission denied " "vtop: permission denied"
"${AS_NOBODY[@]}" "$HEAPSPY" threads "$R_pid" >out 2>err
is "$?" 0 "threads of root's process: allowed (thread names and times are public)"
like "$(cat out)" "^ +[0-9]+ +worker +S sleeping" "threads: the worker thread is listed"

# --- nobody's own process -----------------------------------------------------------
mkdir "$TMP/nb" && chmod 777 "$TMP/nb" && chmod 755 "$TMP"
if start_prog N "$TMP/nb/ready" "${AS_NOBODY[@]}" "$TESTBIN/maps_prog" "$TMP/nb/ready"; then
  out=$("${AS_NOBODY[@]}" "$HEAPSPY" vtop "$N_pid" "$N_big" 2>&1)
  is "$(sed -n 3,4p <<<"$out")" "  present     yes, in RAM
  frame       hidden: the kernel shows page frame numbers only to root (CAP_SYS_ADMIN)" \
    "vtop as the owner: present, and the frame is hidden by the kernel (said so)"
  like "$out" "mapped      once: no other mapping uses this page \(pagemap's exclusive bit; map counts need root\)" \
    "vtop as the owner: mapped once, from pagemap's exclusive bit"
  "${AS_NOBODY[@]}" "$HEAPSPY" vtop --format json "$N_pid" "$N_big" >n.json
  is "$(json n.json '(j["present"], j["pfn"], j["pfn_hidden"], j["map_count"])')" "(True, None, True, None)" \
    "vtop json as the owner: pfn null, pfn_hidden true"
  "${AS_NOBODY[@]}" "$HEAPSPY" maps "$N_pid" >out 2>err
  is "$?" 0 "maps of one's own process: allowed"
else
  for i in 1 2 3 4; do skip "nobody's own process" "maps_prog did not start as nobody"; done
fi

done_testing
