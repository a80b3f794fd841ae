#!/usr/bin/env bash
# run.sh - heapspy benchmark harness (entry point of `make bench`).
#
# usage: bench/run.sh [-n RUNS] [WORKLOAD...]
#   WORKLOAD: cc1 python sqlite perl stress (= stress1 + stress2), or
#             stress1 / stress2 alone.  Default: all.  RUNS default 3.
#
# Runs each workload natively, under heaptrack and under heapspy (plain,
# --check and --guard: the corruption-checking rows of issue 3), runs
# interleaved (native, heaptrack, heapspy, native, ...; cc1 adds
# `heaptrack -r` record-only), each through bench/measure.py which records
# wall time and the peak summed RSS of the whole process tree (heaptrack:
# script + program + heaptrack_interpret + compressor; heapspy: the
# `heapspy run` parent + the program).  Prints a markdown table of medians
# and ratios to native, and writes it to build/bench/results.md (raw
# per-run JSON lines in build/bench/results.jsonl).
#
# A tool that fails (non-zero exit, killed, missing/corrupt output) shows
# "failed (...)" in its cells; a missing heapspy binary shows
# "heapspy: not built".  The harness itself always completes.
#
# Environment overrides:
#   HEAPSPY=path          heapspy binary (default build/bin/heapspy)
#   HEAPTRACK=path        heaptrack script (default: heaptrack on PATH)
#   CC1=path              gcc compiler proper (default: gcc -print-prog-name=cc1)
#   BENCH_PYTHON=path     python for the churn workload (default /usr/bin/python3,
#                         not a pyenv/venv shim, which would add a shell exec)
#   BENCH_TIMEOUT=s       per-run limit (default 900)
#   BENCH_MEM_LIMIT_MB=n  kill a run whose tree exceeds n MB (default: half of
#                         MemAvailable at the start of that run, at most 8 GiB)
#   BENCH_STRESS_ITERS=n  iterations per stress thread (default 5000000)
#   BENCH_CC1_LINES=n     size of the generated C file for cc1 (default 10000)
#   BENCH_NO_WARMUP=1     skip the untimed native warm-up run per workload
#   BENCH_NO_CHECK=1      skip the heapspy --check and --guard rows (issue 3)
#   BENCH_GUARD_TIMEOUT=s per-run limit under --guard (default 300: the page
#                         heap makes two system calls per malloc and free, and
#                         some workloads take many minutes; shown as killed)
#   BENCH_SLOW=1          also the slow rows, left out by default to keep
#                         make bench under 20 minutes: --guard and asan-full
#                         on sqlite and the stress, asan-full on python (about
#                         4 to 5 minutes a run for --guard on the 2-thread stress)
#   BENCH_PROD_RUNS=n     rounds of the production rows (native, floor, --sample,
#                         jemalloc; default 7: they measure a few percent, which
#                         3 runs on a shared machine do not resolve)
#   BENCH_MODES="m ..."   only these modes (native is always run), e.g.
#                         "heapspy-check heapspy-guard asan asan-full"
#   LIBASAN=path          AddressSanitizer's runtime (default: gcc's libasan.so)
#   LIBJEMALLOC=path      jemalloc (default: Debian's libjemalloc.so.2)
#
# The production rows (issue 16): "floor", a null interposer (bench/floor.c:
# the allocation family preloaded and forwarded to glibc, nothing else), the
# cost any LD_PRELOAD tool pays before doing any work; heapspy --sample 512K
# -q (the profile only, rendered later, as a server would run: no report at
# exit), beside jemalloc's
# own sampled heap profiler at the same mean (prof:true,lg_prof_sample:19,
# its profile dumped at exit) and plain jemalloc, so that the profiler's
# cost can be told from the allocator's.
#
# The --check rows have a peer: ASan's runtime preloaded into the same
# stock binaries (its allocator, red zones, quarantine and stack capture,
# without the compiler's instrumentation, which needs a rebuild). "asan"
# runs it as it ships: it takes allocation and free stacks by frame
# pointers, which Debian's binaries lack, so they stop after a frame or
# two; "asan-full" sets fast_unwind_on_malloc=0, full stacks like
# heapspy's. Leak detection is off in both (detect_leaks=0).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
OUT=$ROOT/build/bench
HEAPSPY=${HEAPSPY:-$ROOT/build/bin/heapspy}
HEAPTRACK=${HEAPTRACK:-heaptrack}
CC1=${CC1:-$(gcc -print-prog-name=cc1 2>/dev/null)}
[ -n "$CC1" ] && [ -x "$CC1" ] || CC1=/usr/lib/gcc/x86_64-linux-gnu/12/cc1
if [ -z "${BENCH_PYTHON:-}" ]; then
    BENCH_PYTHON=/usr/bin/python3
    [ -x "$BENCH_PYTHON" ] || BENCH_PYTHON=$(command -v python3)
fi
PY=$BENCH_PYTHON # also runs the sampler itself
LIBASAN=${LIBASAN:-$(gcc -print-file-name=libasan.so 2>/dev/null)}
LIBJEMALLOC=${LIBJEMALLOC:-/usr/lib/x86_64-linux-gnu/libjemalloc.so.2}
TIMEOUT=${BENCH_TIMEOUT:-900}
MEMLIMIT=${BENCH_MEM_LIMIT_MB:-0}
ITERS=${BENCH_STRESS_ITERS:-5000000}
CC1_LINES=${BENCH_CC1_LINES:-10000}
GENC=$OUT/gen-$CC1_LINES.c
RUNS=3
PROD_RUNS=${BENCH_PROD_RUNS:-7}
PROD_MODES=" floor heapspy-sample heapspy-gsample jemalloc jemalloc-prof "
ALL_WORKLOADS=(cc1 python sqlite perl stress1 stress2)

usage() {
    sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while getopts "n:h" opt; do
    case $opt in
        n) RUNS=$OPTARG ;;
        h) usage 0 ;;
        *) usage 2 ;;
    esac
done
shift $((OPTIND - 1))
case $RUNS in '' | *[!0-9]* | 0) echo "run.sh: -n needs a positive integer" >&2; exit 2 ;; esac
case $PROD_RUNS in '' | *[!0-9]*) echo "run.sh: BENCH_PROD_RUNS needs a number" >&2; exit 2 ;; esac

[ $# -gt 0 ] || set -- "${ALL_WORKLOADS[@]}"
WORKLOADS=()
for w in "$@"; do
    case $w in
        cc1 | python | sqlite | perl | stress1 | stress2) WORKLOADS+=("$w") ;;
        stress) WORKLOADS+=(stress1 stress2) ;;
        *) echo "run.sh: unknown workload '$w' (cc1 python sqlite perl stress stress1 stress2)" >&2; exit 2 ;;
    esac
done

mkdir -p "$OUT" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapspy-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
RESULTS=$OUT/results.jsonl
: >"$RESULTS"

log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- inputs

prepare() {
    if [ ! -s "$GENC" ] || [ "$BENCH/gen_c.py" -nt "$GENC" ]; then
        "$PY" "$BENCH/gen_c.py" --lines "$CC1_LINES" -o "$GENC" || return 1
    fi
    if [ ! -s "$OUT/inserts.sql" ] || [ "$BENCH/workloads/gen_inserts.py" -nt "$OUT/inserts.sql" ]; then
        "$PY" "$BENCH/workloads/gen_inserts.py" -o "$OUT/inserts.sql" || return 1
    fi
    # `make bench` builds it; build it here too so run.sh works on its own
    if [ ! -x "$OUT/stress" ] || [ "$BENCH/stress.c" -nt "$OUT/stress" ]; then
        gcc -O2 -pthread -o "$OUT/stress" "$BENCH/stress.c" || return 1
    fi
    if [ ! -f "$OUT/floor.so" ] || [ "$BENCH/floor.c" -nt "$OUT/floor.so" ]; then
        gcc -O2 -fPIC -shared -fno-plt -o "$OUT/floor.so" "$BENCH/floor.c" || return 1
    fi
}

# CMD=(...) for workload $1; ENVS=(...) extra environment. The
# interpreters' hash seeds are fixed: a random seed changes how much work
# their hash tables do, run to run (perl natively: 0.71 to 1.02 s, 11.7%
# standard deviation over 12 runs; 5.1% with the seed fixed; python 3.0%
# and 2.2%), and every mode must run the same work.
workload_cmd() {
    ENVS=()
    case $1 in
        cc1) CMD=("$CC1" -O2 -quiet "$GENC" -o /dev/null) ;;
        python) CMD=("$BENCH_PYTHON" "$BENCH/workloads/churn.py" 40)
                ENVS=(PYTHONMALLOC=malloc PYTHONHASHSEED=0) ;;
        sqlite) CMD=(sqlite3 -batch -bail "$TMP/bench.db" ".read $OUT/inserts.sql") ;;
        perl) CMD=(perl "$BENCH/workloads/hashes.pl" 8); ENVS=(PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0) ;;
        stress1) CMD=("$OUT/stress" 1 "$ITERS") ;;
        stress2) CMD=("$OUT/stress" 2 "$ITERS") ;;
    esac
}

# The slow rows (BENCH_SLOW=1 runs them): minutes per run each.
SLOW_ROWS="sqlite:heapspy-guard stress1:heapspy-guard stress2:heapspy-guard
           python:asan-full sqlite:asan-full stress1:asan-full stress2:asan-full"
is_slow() { case " $(echo $SLOW_ROWS) " in *" $1:$2 "*) [ -z "${BENCH_SLOW:-}" ] ;; *) return 1 ;; esac; }

modes_of() {
    if [ -n "${BENCH_MODES:-}" ]; then echo native $BENCH_MODES; return; fi
    local checks="heapspy-check heapspy-guard asan asan-full" m kept=""
    local prod="floor heapspy-sample heapspy-gsample jemalloc jemalloc-prof"
    for m in $checks; do is_slow "$1" "$m" || kept="$kept $m"; done
    checks=$kept
    [ -n "${BENCH_NO_CHECK:-}" ] && checks=
    if [ "$1" = cc1 ]; then echo native heaptrack heaptrack-r heapspy heapspy-trace $prod $checks
    else echo native heaptrack heapspy heapspy-trace $prod $checks; fi
}

# ---------------------------------------------------------------- one run

skip() { # workload mode why
    printf '{"workload": "%s", "mode": "%s", "status": "skipped", "why": "%s"}\n' "$1" "$2" "$3" >>"$RESULTS"
    log "  $1 $2: skipped ($3)"
}

run_one() { # workload mode run#  (run# 0 = warm-up, not recorded)
    local w=$1 mode=$2 i=$3 line
    workload_cmd "$w"
    rm -f "$TMP"/bench.db* # sqlite starts from an empty database every run
    rm -rf "$TMP/run" && mkdir -p "$TMP/run"
    local limit=$TIMEOUT
    case $mode in heapspy-guard | asan-full) limit=${BENCH_GUARD_TIMEOUT:-300} ;; esac
    local m=("$PY" "$BENCH/measure.py" run --timeout "$limit" --mem-limit-mb "$MEMLIMIT"
        --stdout "$TMP/run/stdout" --stderr "$TMP/run/stderr"
        --tag "workload=$w" --tag "mode=$mode" --tag "run=$i")
    case $mode in
        native) m+=(-- "${CMD[@]}") ;;
        heaptrack) # the interpreter prints its stats last: proof it got to the end
            m+=(--expect-file "$TMP/run/ht.*" --expect-stderr "heaptrack stats:"
                -- "$HEAPTRACK" -o "$TMP/run/ht" "${CMD[@]}") ;;
        heaptrack-r)
            m+=(--expect-file "$TMP/run/ht.*" -- "$HEAPTRACK" -r -o "$TMP/run/ht" "${CMD[@]}") ;;
        heapspy | heapspy-check | heapspy-guard | heapspy-sample | heapspy-gsample) # --check / --guard: corruption checking
            local extra=()
            case $mode in
                heapspy-check) extra=(--check) ;;
                heapspy-guard) extra=(--guard) ;;
                heapspy-sample) extra=(--sample 512K -q) ;;   # production: the profile only
                heapspy-gsample) extra=(--sample 512K --guard-sample -q) ;;   # + guard slots, 1 in 10000 (the default)
            esac
            m+=(--expect-file "$TMP/run/profile.hsp"
                -- "$HEAPSPY" run "${extra[@]}" -o "$TMP/run/profile.hsp" --log-file "$TMP/run/heapspy.log"
                -- "${CMD[@]}") ;;
        floor) m+=(-- env LD_PRELOAD="$OUT/floor.so" "${CMD[@]}") ;;
        jemalloc) m+=(-- env LD_PRELOAD="$LIBJEMALLOC" "${CMD[@]}") ;;
        jemalloc-prof) # 2^19 = 512K, as --sample 512K; the final profile proves it ran
            m+=(--expect-file "$TMP/run/jeprof.*.heap"
                -- env LD_PRELOAD="$LIBJEMALLOC"
                MALLOC_CONF="prof:true,lg_prof_sample:19,prof_final:true,prof_prefix:$TMP/run/jeprof"
                "${CMD[@]}") ;;
        asan) m+=(-- env ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$LIBASAN" "${CMD[@]}") ;;
        asan-full)
            m+=(-- env ASAN_OPTIONS=detect_leaks=0:fast_unwind_on_malloc=0 LD_PRELOAD="$LIBASAN" "${CMD[@]}") ;;
        heapspy-trace) # --trace: every event, packed by `heapspy run` before it exits
            m+=(--expect-file "$TMP/run/profile.hsp.trace"
                -- "$HEAPSPY" run --trace -o "$TMP/run/profile.hsp" --log-file "$TMP/run/heapspy.log" -- "${CMD[@]}") ;;
    esac
    line=$(env "${ENVS[@]}" "${m[@]}")
    # full tracers: the size of the trace on disk (heaptrack's .zst/.gz, our .trace)
    local tf=""
    case $mode in
        heaptrack) tf=$(ls "$TMP"/run/ht.* 2>/dev/null | head -1) ;;
        heapspy-trace) tf=$TMP/run/profile.hsp.trace ;;
    esac
    if [ -n "$tf" ] && [ -f "$tf" ] && [ -n "$line" ]; then
        line=$(sed "s/}\$/, \"trace_bytes\": $(stat -c %s "$tf")}/" <<<"$line")
    fi
    if [ -z "$line" ]; then # the sampler itself broke: record a failure, go on
        line=$(printf '{"workload": "%s", "mode": "%s", "run": "%s", "status": "harness", "why": "measure.py failed"}' "$w" "$mode" "$i")
    fi
    [ "$i" -gt 0 ] && printf '%s\n' "$line" >>"$RESULTS"
    # a heaptrack script killed before its EXIT trap leaves its fifo behind
    local pid
    pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' <<<"$line")
    case $mode in heaptrack*) [ -n "$pid" ] && [ -p "/tmp/heaptrack_fifo$pid" ] && rm -f "/tmp/heaptrack_fifo$pid" ;; esac
    # one progress line; on failure, show why and the end of its stderr
    "$PY" - "$line" "$w" "$mode" "$i" <<'EOF' >&2
import json, sys
r = json.loads(sys.argv[1]); w, mode, i = sys.argv[2:5]
tag = "warm-up" if i == "0" else "run %s" % i
if r.get("status") == "ok":
    print("  %-8s %-12s %-8s %7.2f s %7.1f MB" % (w, mode, tag, r["wall_s"], r["peak_kb"] / 1024))
else:
    print("  %-8s %-12s %-8s FAILED: %s %s (exit %s, signal %s)" % (
        w, mode, tag, r.get("status"), r.get("why", ""), r.get("exit"), r.get("signal")))
EOF
    if ! grep -q '"status": "ok"' <<<"$line" && [ -s "$TMP/run/stderr" ]; then
        tail -n 5 "$TMP/run/stderr" | sed 's/^/      | /' >&2
    fi
    grep -q '"status": "ok"' <<<"$line"
}

# ---------------------------------------------------------------- main

log "heapspy bench: runs=$RUNS workloads=${WORKLOADS[*]}"
log "  cc1=$CC1 python=$BENCH_PYTHON heaptrack=$(command -v "$HEAPTRACK" || echo missing) heapspy=$HEAPSPY"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "  $(nproc) cores, load: $LOAD0"
if ! prepare; then
    log "run.sh: could not prepare inputs (gen.c / inserts.sql / stress)"
fi
have_heapspy=1
[ -x "$HEAPSPY" ] || { have_heapspy=0; log "  heapspy: not built ($HEAPSPY)"; }
have_heaptrack=1
command -v "$HEAPTRACK" >/dev/null 2>&1 || { have_heaptrack=0; log "  heaptrack: not installed"; }
have_jemalloc=1
[ -f "$LIBJEMALLOC" ] || { have_jemalloc=0; log "  libjemalloc: not installed (Debian libjemalloc2)"; }
have_asan=1
[ -f "$LIBASAN" ] || { have_asan=0; log "  libasan: not installed (gcc's libasan.so)"; }

# Is mode's tool here? (A missing one's rows were marked skipped above.)
tool_present() {
    case $1 in
        heapspy*) [ "$have_heapspy" = 1 ] ;;
        heaptrack*) [ "$have_heaptrack" = 1 ] ;;
        asan*) [ "$have_asan" = 1 ] ;;
        jemalloc*) [ "$have_jemalloc" = 1 ] ;;
        *) return 0 ;;
    esac
}

for w in "${WORKLOADS[@]}"; do
    log "== $w"
    read -r -a modes <<<"$(modes_of "$w")"
    if [ -z "${BENCH_NO_WARMUP:-}" ] && ! run_one "$w" native 0; then
        for mode in "${modes[@]}"; do skip "$w" "$mode" "workload broken: native run failed"; done
        continue
    fi
    if [ "$have_heapspy" = 0 ]; then
        for mode in "${modes[@]}"; do
            case $mode in heapspy*) skip "$w" "$mode" "heapspy: not built" ;; esac
        done
    fi
    if [ "$have_heaptrack" = 0 ]; then
        for mode in "${modes[@]}"; do
            case $mode in heaptrack*) skip "$w" "$mode" "heaptrack: not installed" ;; esac
        done
    fi
    if [ "$have_jemalloc" = 0 ]; then
        for mode in "${modes[@]}"; do
            case $mode in jemalloc*) skip "$w" "$mode" "libjemalloc: not installed" ;; esac
        done
    fi
    if [ "$have_asan" = 0 ]; then
        for mode in "${modes[@]}"; do
            case $mode in asan*) skip "$w" "$mode" "libasan: not installed" ;; esac
        done
    fi
    for ((i = 1; i <= RUNS; i++)); do
        for mode in "${modes[@]}"; do
            tool_present "$mode" && run_one "$w" "$mode" "$i"
        done
    done
    # more rounds of native and the production modes alone
    for ((i = RUNS + 1; i <= PROD_RUNS; i++)); do
        for mode in "${modes[@]}"; do
            [ "$mode" = native ] || [[ $PROD_MODES == *" $mode "* ]] || continue
            tool_present "$mode" && run_one "$w" "$mode" "$i"
        done
    done
done

{
    prod_note=
    [ "$PROD_RUNS" -gt "$RUNS" ] && prod_note=" (native and the production rows: $PROD_RUNS)"
    echo "## heapspy bench ($(date -u '+%Y-%m-%d %H:%M UTC'), $RUNS runs each$prod_note, median; $(nproc) cores)"
    echo
    echo "Load average at start: $LOAD0; at end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine inflates every column)."
    echo
    "$PY" "$BENCH/measure.py" table "$RESULTS"
    echo
    echo "Time: wall seconds from start until every process of the tree has exited (ratio = x native)."
    echo "MB: peak of the summed RSS of all processes of the tree (heaptrack: + heaptrack_interpret;"
    echo "heapspy: + the \`heapspy run\` parent). heapspy/heaptrack: heapspy time / heaptrack time (< 1 = faster)."
    echo "Full traces: heapspy --trace (its time includes packing the trace) against heaptrack, which also"
    echo "records every event; trace size = heaptrack's compressed file vs PROFILE.trace."
} >"$OUT/results.md.tmp"
mv "$OUT/results.md.tmp" "$OUT/results.md"
echo
cat "$OUT/results.md"
log "(raw runs: $RESULTS)"
exit 0
