#!/usr/bin/env bash
# t1640-trace-cap: --trace is bounded (issue 19; man page --trace-cap).
# trace_churn makes about 800,000 events (several MB raw); with
# --trace-cap 1M the spy stops recording when the file would pass 1 MiB:
# the program runs to its end (status 0), exactly one warning line names
# the cap and the time, the trace file stays within the cap, and every
# report says from when the trace is missing: text and HTML (a WARNING /
# verdict line), JSON ("trace_capped_ms"), --at (a warning). Without a
# cap (default 1G) nothing of this appears. --trace-cap is refused
# without --trace and below 1M.
source "$(dirname "$0")/../lib/tap.sh"
plan 13

timeout 60 "$HEAPSPY" run --trace --trace-cap 1M -o c.hsp -- "$TESTBIN/trace_churn" 400000 >out 2>err
is "$?" 0 "the program ends normally (status 0) although the trace reached its cap"
is "$(grep -c '^heapspy: warning:' err)" 1 "exactly one warning line"
like "$(grep '^heapspy: warning:' err)" \
  "^heapspy: warning: --trace: the trace reached its cap of 1M \(--trace-cap\) at [0-9]+ ms; the program continues, recording stops here$" \
  "the warning names the cap and the time"
t=$(sed -n 's/.*--trace-cap) at \([0-9]*\) ms.*/\1/p' err)
check "the trace file is within 1 MiB ($(stat -c %s c.hsp.trace) bytes)" \
  test "$(stat -c %s c.hsp.trace)" -le $((1 << 20))
like "$(cat err)" "^WARNING: the trace is incomplete from $t ms: it reached its --trace-cap; report --at and --between see no event after that\.$" \
  "the run's report says from when the trace is missing"
"$HEAPSPY" report c.hsp >r.txt 2>&1
like "$(cat r.txt)" "^WARNING: the trace is incomplete from $t ms" "heapspy report (text) says it too"
"$HEAPSPY" report --format json -o r.json c.hsp
is "$(json r.json 'j["trace_capped_ms"]')" "$t" "JSON: trace_capped_ms"
"$HEAPSPY" report --format html -o r.html c.hsp
like "$(cat r.html)" "The trace is incomplete from $t ms: it reached its --trace-cap\." "HTML: a verdict line"
"$HEAPSPY" report --at end c.hsp >at.out 2>at.err
is "$?:$(cat at.err)" "0:heapspy: warning: c.hsp.trace is incomplete from $t ms: it reached its --trace-cap; later events are missing" \
  "report --at: one warning naming the time"

timeout 60 "$HEAPSPY" run --trace -o u.hsp -- "$TESTBIN/trace_churn" 400000 >out 2>err
is "$?:$(grep -c -e 'warning' -e 'WARNING' err)" "0:0" "the default cap (1G): no warning, no WARNING"
"$HEAPSPY" report --format json -o u.json u.hsp
is "$(json u.json '"trace_capped_ms" in j')" False "JSON without a cap reached: no trace_capped_ms"

"$HEAPSPY" run --trace-cap 1G -o n.hsp -- "$TESTBIN/static_hello" "$TMP/ran" >out 2>err
is "$?:$(cat err)" "125:heapspy: run: --trace-cap needs --trace" "--trace-cap without --trace: 125, one line"
"$HEAPSPY" run --trace --trace-cap 512K -o n.hsp -- "$TESTBIN/static_hello" "$TMP/ran" >out 2>err
is "$?:$(cat err)" "125:heapspy: run: --trace-cap expects a size of at least 1M, not '512K'" "--trace-cap 512K: 125, one line"

done_testing
