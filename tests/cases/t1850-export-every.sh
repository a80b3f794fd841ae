#!/usr/bin/env bash
# t1850-export-every: continuous export (issue 16, deliverable 3).
# export_grow.c allocates 100 blocks of 64 KiB, one every 30 ms, holds
# them all and logs what it holds after each one (its own truth, with the
# time); `run --export-every 0.5 --export-dir` must write one pprof per
# period plus one at the end, each read by `go tool pprof -raw` (the
# peer), with:
#  - inuse_space what the program held at the export's moment (the file
#    name's time): at least its figure 50 ms before, at most one period
#    after (the parent reads the profile while the program grows on);
#  - alloc_space of each file = its inuse_space less the previous file's
#    (nothing is freed; within 5 blocks, as the per-stack counters are
#    read a moment after the live blocks), and over all files exactly the 6,553,600 bytes
#    and 100 blocks the program allocated; the last file holds them all;
#  - the program's output and exit status (3) unchanged.
# `heapspy attach --export-every` exports the same way from a running
# program. --export-keep 3 keeps the newest three; --export-cap keeps what fits;
# under --sample the last export carries exactly the estimates `report
# --format pprof` writes of the same profile.
source "$(dirname "$0")/../lib/tap.sh"
plan 18

PROG="$TESTBIN/export_grow"
TOTALS="$TOP/tests/lib/pprof_totals.py"
if ! command -v go >/dev/null 2>&1; then
  skip_rest "export read by go tool pprof" "go not installed (Debian golang-go)"
fi
export HOME="$TMP" GOCACHE="$TMP/gocache" PPROF_TMPDIR="$TMP"

out=$("$HEAPSPY" run --export-every 0.5 --export-dir exp -o p.hsp -- "$PROG" 100 65536 30 own.log 2>err.txt)
is "$?" 3 "the program's exit status is unchanged (3)"
is "$out" "grew 6553600 bytes" "the program's output is unchanged"
python3 "$TOTALS" exp/heap-*.pb.gz >totals.txt 2>pprof.err
is "$?" 0 "go tool pprof -raw reads every exported file"
n=$(wc -l <totals.txt)
check "at least one export per 0.5 s of a >= 3 s run, plus the last ($n files)" test "$n" -ge 6
is "$(ls exp | sed -E 's/^heap-[0-9]+-([0-9]{6})-.*/\1/' | tr '\n' ' ')" \
   "$(seq -f '%06g' 1 "$n" | tr '\n' ' ')" "files are numbered 1..$n in order, none missing"
is "$(ls -A exp | grep -c '^\.tmp-')" 0 "no temporary file is left"

cat >check.py <<'EOF'
import bisect, calendar, re, sys, time
own = [tuple(map(int, l.split())) for l in open("own.log")]
ts = [t for t, _ in own]
def held(t_ns):                       # what the program held at t_ns
    i = bisect.bisect_right(ts, t_ns)
    return own[i - 1][1] if i else 0
rows = []
for line in open("totals.txt"):
    path, *kv = line.split()
    v = dict(x.split("=") for x in kv)
    m = re.search(r"-(\d{8}T\d{6})\.(\d{3})Z\.pb\.gz$", path)
    t = calendar.timegm(time.strptime(m.group(1), "%Y%m%dT%H%M%S")) * 10**9 + int(m.group(2)) * 10**6
    rows.append((t, {k: int(x) for k, x in v.items()}))
what = sys.argv[1]
bad = [] if len(rows) >= 3 else ["only %d exports" % len(rows)]
if what == "inuse":
    for t, v in rows[:-1]:
        lo, hi = held(t - 50 * 10**6), held(t + 500 * 10**6)
        if not lo <= v["inuse_space"] <= hi:
            bad.append("%d: %d not in [%d, %d]" % (t, v["inuse_space"], lo, hi))
elif what == "attach":                # blocks from before attach are not the profile's
    prev = 0
    for t, v in rows:
        if v["inuse_space"] % 65536 or not (0 < v["inuse_space"] and prev <= v["inuse_space"] <= held(t + 500 * 10**6)):
            bad.append("%d: %d after %d, held %d" % (t, v["inuse_space"], prev, held(t + 500 * 10**6)))
        prev = v["inuse_space"]
elif what == "delta":                 # the counters are read a moment after the live blocks
    prev = 0
    for t, v in rows:
        if abs(v["alloc_space"] - (v["inuse_space"] - prev)) > 5 * 65536:
            bad.append("%d: alloc %d, inuse %d - %d" % (t, v["alloc_space"], v["inuse_space"], prev))
        prev = v["inuse_space"]
elif what == "sums":
    print(sum(v["alloc_space"] for _, v in rows), sum(v["alloc_objects"] for _, v in rows),
          rows[-1][1]["inuse_space"], rows[-1][1]["inuse_objects"])
    sys.exit(0)
print("; ".join(bad[:5]) if bad else "ok")
EOF
is "$(python3 check.py inuse)" ok \
   "each export's inuse_space is what the program held then (within 50 ms before, a period after)"
is "$(python3 check.py delta)" ok \
   "each export's alloc_space is the growth since the previous one (within 5 blocks: read a moment later)"
is "$(python3 check.py sums)" "6553600 100 6553600 100" \
   "alloc_space/objects add up to the run's 6,553,600 B in 100 blocks; the last export holds them"
like "$(cat err.txt)" "^heapspy: $n heap profiles exported to exp \($n kept\)" "the summary line counts them"

"$HEAPSPY" run --export-every 0.5 --export-dir keep --export-keep 3 -o k.hsp -- \
  "$PROG" 60 65536 30 own2.log >/dev/null 2>err2.txt
n2=$(sed -nE 's/^heapspy: ([0-9]+) heap profiles.*/\1/p' err2.txt)
is "$(ls keep | sed -E 's/^heap-[0-9]+-0*([0-9]+)-.*/\1/' | tr '\n' ' ')" \
   "$((n2 - 2)) $((n2 - 1)) $n2 " "--export-keep 3: the newest three of $n2 remain"

# every file here is ~1 KB: a 2500-byte cap holds two of them
"$HEAPSPY" run -q --export-every 0.5 --export-dir cap --export-cap 2500 -o c.hsp -- \
  "$PROG" 60 65536 30 own3.log >/dev/null 2>err3.txt
is "$(ls cap | wc -l) $(( $(cat cap/* | wc -c) <= 2500 ))" "2 1" "--export-cap 2500: two files remain, within the cap"

"$HEAPSPY" run -q --sample 64K --sample-seed 5 --export-every 0.5 --export-dir s -o s.hsp -- \
  "$PROG" 60 65536 30 own4.log >/dev/null 2>/dev/null
"$HEAPSPY" report --format pprof -o report.pb.gz s.hsp
last=$(ls s/heap-* | tail -1)
python3 "$TOTALS" "$last" report.pb.gz >stot.txt
is "$(awk '{print $4, $5}' stot.txt | uniq | wc -l)" 1 \
   "--sample: the last export's in-use estimates are report --format pprof's ($(awk 'NR==1{print $5}' stot.txt))"
like "$(go tool pprof -raw "$last" 2>&1 | sed -n '/^PeriodType/,/^Period:/p')" "^Period: 65536" \
   "--sample: the export's period is the sampling mean, as report's"

# attach: the program runs on its own; heapspy attaches, exports, detaches
"$PROG" 120 65536 30 own.log >/dev/null &
gp=$!
sleep 0.3
"$HEAPSPY" attach --quiet --duration 2 --export-every 0.5 --export-dir att -o a.hsp "$gp"
wait "$gp"
python3 "$TOTALS" att/heap-*.pb.gz >totals.txt 2>pprof.err
is "$?" 0 "attach --export-every: go tool pprof reads every file ($(wc -l <totals.txt))"
is "$(python3 check.py attach)" ok \
   "attach --export-every: in-use grows by 64 KiB blocks, never above what the program held then"

"$HEAPSPY" run --export-dir x -- "$PROG" 1 1 1 x.log >/dev/null 2>bad.txt
is "$?" 125 "--export-dir without --export-every: usage error"
"$HEAPSPY" run --export-every 1 --push https://example.com -- "$PROG" 1 1 1 x.log >/dev/null 2>bad2.txt
like "$(cat bad2.txt)" "https is not supported" "--push https://: refused before the program runs, saying why"

done_testing
