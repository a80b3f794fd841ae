#!/usr/bin/env bash
# t1851-export-push: --push URL (issue 16, deliverable 3) against
# tests/lib/ingest_receiver.py, a stand-in for Pyroscope's POST /ingest
# that checks each request (method, path, name with the labels and the
# host, from <= until, format=pprof) and keeps its body; `go tool pprof`
# reads every body. export_grow.c allocates 60 x 64 KiB in ~2 s and exits
# 3. Three stories:
#  - receiver up: every profile arrives, nothing dropped, and the bodies'
#    alloc_space add up to the 3,932,160 bytes the program allocated;
#  - receiver down at the start, up 1.5 s later: the retries (backoff)
#    deliver every profile all the same;
#  - receiver never up: the program's output and exit status unchanged,
#    and the summary reports every profile dropped, with the reason (even
#    under -q: lost profiles are always said).
source "$(dirname "$0")/../lib/tap.sh"
plan 13

PROG="$TESTBIN/export_grow"
RECV="$TOP/tests/lib/ingest_receiver.py"
TOTALS="$TOP/tests/lib/pprof_totals.py"
if ! command -v go >/dev/null 2>&1; then
  skip_rest "pushed profiles read by go tool pprof" "go not installed (Debian golang-go)"
fi
export HOME="$TMP" GOCACHE="$TMP/gocache" PPROF_TMPDIR="$TMP"
NAME="growapp{host=$(hostname),env=test,team=heap}"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

wait_port() { for i in $(seq 100); do [ -s "$1" ] && break; sleep 0.05; done; cat "$1"; }
# sum_alloc DIR: the alloc_space of every body go tool pprof read
sum_alloc() {
  python3 "$TOTALS" "$1"/*.pb.gz | python3 -c "import sys
print(sum(int(l.split('alloc_space=')[1].split()[0]) for l in sys.stdin))"
}

# 1: receiver up
python3 "$RECV" 0 port1 r1 "$NAME" & pids+=($!)
port=$(wait_port port1)
out=$("$HEAPSPY" run --export-every 0.5 --push "http://127.0.0.1:$port/" --push-name growapp \
      --push-label env=test --push-label team=heap -o p1.hsp -- "$PROG" 60 65536 30 own1.log 2>err1.txt)
is "$?" 3 "receiver up: the program's exit status is unchanged (3)"
is "$(ls r1 | grep -c '\.bad$')" 0 "every request is well formed (POST /ingest, name, labels, from <= until, format=pprof)"
n=$(ls r1 | grep -c '\.pb\.gz$')
check "one profile per period and the last ($n)" test "$n" -ge 4
like "$(head -1 r1/1.query)" "^/ingest\?name=growapp%7Bhost%3D.*%2Cenv%3Dtest%2Cteam%3Dheap%7D&from=[0-9]+&until=[0-9]+&format=pprof" \
     "the query is Pyroscope's: name{labels} encoded, from, until, format"
is "$(sum_alloc r1)" 3932160 "go tool pprof reads every body; their alloc_space add up to the run's 3,932,160 B"
is "$(grep -- '--push' err1.txt)" "heapspy: --push: $n profiles sent to http://127.0.0.1:$port/, 0 dropped" \
   "the summary: $n sent, 0 dropped"

# 2: receiver down at the start, up 1.5 s later on the same port
port2=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
( sleep 1.5; exec python3 "$RECV" "$port2" port2 r2 "$NAME" ) & pids+=($!)
"$HEAPSPY" run --export-every 0.5 --push "http://127.0.0.1:$port2" --push-name growapp \
  --push-label env=test --push-label team=heap -o p2.hsp -- "$PROG" 60 65536 30 own2.log >/dev/null 2>err2.txt
is "$?" 3 "receiver late: the program's exit status is unchanged"
like "$(grep -- '--push' err2.txt)" "profiles sent to http://127.0.0.1:$port2, 0 dropped; [1-9][0-9]* retries" \
     "receiver late: retried, nothing dropped"
is "$(sum_alloc r2)" 3932160 "receiver late: every profile arrived (alloc_space adds up to 3,932,160 B)"

# 3: receiver never up
port3=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
t0=$(date +%s)
out3=$("$HEAPSPY" run -q --export-every 0.5 --push "http://127.0.0.1:$port3" -o p3.hsp -- \
       "$PROG" 60 65536 30 own3.log 2>err3.txt)
is "$?" 3 "receiver never up: the program's exit status is unchanged (3)"
is "$out3" "grew 3932160 bytes" "receiver never up: the program's output is unchanged"
like "$(grep -- '--push' err3.txt)" "^heapspy: --push: 0 profiles sent to http://127.0.0.1:$port3, [1-9][0-9]* dropped; [0-9]+ retries; last error: cannot connect to 127.0.0.1:$port3: Connection refused" \
     "receiver never up: every profile counted dropped, with the reason"
check "receiver never up: heapspy gives up within its 5 s grace ($(( $(date +%s) - t0 )) s in all)" \
  test $(( $(date +%s) - t0 )) -le 12
done_testing
