# tests/oracle/oracle-lib.sh: shared code of the "exact accounting" oracle
# tests (t2100-valgrind-sqlite3.sh, t2110-valgrind-python3.sh,
# t2120-valgrind-cxx.sh). Source it after ../lib/tap.sh.
#
# Each test runs one real program twice per mode, once under valgrind's
# memcheck and once under heapspy, and asserts that heapspy's totals EQUAL
# valgrind's HEAP SUMMARY: allocs, frees, bytes allocated, bytes and blocks
# in use at exit. Modes: valgrind's default (runs __libc_freeres at exit)
# against heapspy's default, and --run-libc-freeres=no against heapspy's
# --run-libc-freeres=no (heapspy mirrors valgrind's option and default).
#
# Same program, same input, so the numbers can only agree if the program
# does exactly the same thing in both runs. What we found makes that so:
#
#  * The environment. Programs such as python copy the whole environment
#    into their own objects, so the number of variables and the length of
#    each name and value change their allocation totals (one more variable
#    XYZ=1 is +1 alloc, +36 bytes for python). Valgrind's client does not
#    see the environment it was given: Debian's /usr/bin/valgrind wrapper
#    (a /bin/sh script) adds LD_LIBRARY_PATH=/usr/lib/debug,
#    GLIBCPP_FORCE_NEW=1, GLIBCXX_FORCE_NEW=1, the shells on the way add
#    PWD, SHLVL and _, and valgrind itself sets (or prefixes)
#    LD_PRELOAD=<vgpreload_core...so>:<vgpreload_memcheck...so>. heapspy's
#    spy removes LD_PRELOAD and HEAPSPY_OPTIONS from the program's
#    environment at start, so its program sees neither.
#    The principle: the program must see an environment of identical shape
#    in both runs. So we never guess: we run /usr/bin/env -0 as the client
#    of the very same valgrind command line (same env -i base, same helper,
#    same shell hops) and read the environment valgrind's client really
#    sees; heapspy's program then gets exactly that list, in the same
#    order, except that LD_PRELOAD=V becomes ORACLE_PAD=<as many x as V
#    has bytes>: a name of the same length (10), a value of the same length,
#    in the same slot. Both runs start from `env -i`, so nothing from the
#    caller's environment leaks into either.
#
#  * Standard streams. Whether stdin/stdout/stderr are ttys, pipes or files
#    changes buffering and so allocations (python: 13 bytes between a pipe
#    and /dev/null). Both runs get the same kinds: stdin from the same file
#    (or /dev/null), stdout and stderr to regular files.
#
#  * The folders. Python lists the folder of its script (sys.path[0]) and
#    keeps the names in a cache: every file there is allocations. The
#    program therefore runs in an empty folder ($TMP/run, which nothing
#    writes to), the script lives alone in its own folder, and every output
#    of ours goes to $TMP/out. (Before that, the second run of the same
#    command made 8 more allocations than the first: the first run's output
#    files.)
#
#  * Determinism run to run. With the above fixed, valgrind's numbers are
#    identical from run to run for all three programs (checked by running
#    each valgrind command twice). Valgrind lays out the client's address
#    space the same way every time, so ASLR does not move its numbers; the
#    native runs do not depend on it either, but for python's heap
#    addresses (below). What did change
#    numbers: the environment (above), python's string hash seed (fixed
#    with PYTHONHASHSEED=0), the kind of stdout/stderr (above), and the
#    current folder/script path length (both runs use the same).
#
#  * Address-dependent sizes. Valgrind's client lives below 1 GiB, so
#    anything a program derives from an address is a smaller number than
#    natively; CPython then allocates a smaller int (28 instead of 32 bytes
#    for values below 2^30). Valgrind's heap is below 2^30; a native
#    non-PIE program's brk heap starts anywhere in the 1 GiB after its
#    data (x86_64's brk randomization), so in about 1 run of 20 python's
#    heap crosses 2^30 and its address-derived ints grow (t2110 failed so:
#    +1,688 bytes allocated, as many calls). The python oracle runs heapspy
#    with address randomization off (ORACLE_HS_WRAP=(setarch -R)): the
#    heap then starts right after the data, as under valgrind, and
#    id()-derived ints agree. The main thread's pthread_self() does not
#    (see thread_id_high.c, preloaded into valgrind's client for python:
#    without it python's bytes allocated differ by 4 x 124 = 496 bytes).
#    Workloads should not lean on object addresses either: an object big
#    enough for glibc to mmap lives above 2^30 natively only. workload.py
#    turns json.dumps' circular-reference check off (check_circular=False),
#    which keys a dict by id() of every container.
#
# Exported knobs for a test: ORACLE_ENV (array of VAR=VALUE for both runs,
# PATH included), ORACLE_VG_PRELOAD (a library preloaded into valgrind's
# client only, or empty), ORACLE_HS_WRAP (array: a command heapspy runs
# under, e.g. (setarch -R) for valgrind's fixed address layout; empty by
# default), ORACLE_HS_ARGS (array: options of heapspy run in
# oracle_compare_leaks, e.g. (--locks)). HEAPSPY_UNDER_TEST overrides the heapspy binary
# (default: tap.sh's $HEAPSPY, the built one).

ORACLE_DIR="$TOP/tests/oracle"
VG_SUMMARY="$ORACLE_DIR/valgrind-summary.sh"
HEAPSPY_BIN=${HEAPSPY_UNDER_TEST:-$HEAPSPY}
ORACLE_ENV=(PATH=/usr/bin:/bin LANG=C.UTF-8)
ORACLE_VG_PRELOAD=
ORACLE_HS_WRAP=()
ORACLE_HS_ARGS=()

# oracle_have_valgrind: true when valgrind is installed and runs
oracle_have_valgrind() {
  command -v valgrind >/dev/null 2>&1 && valgrind --version >/dev/null 2>&1
}

# _oracle_vg_env: the env -i argument list of the valgrind runs
_oracle_vg_env() {
  _vg_env=("${ORACLE_ENV[@]}")
  [ -n "$ORACLE_VG_PRELOAD" ] && _vg_env+=("LD_PRELOAD=$ORACLE_VG_PRELOAD")
}

# oracle_probe_env: fills _hs_env with the environment valgrind's client
# sees, LD_PRELOAD replaced by a padding variable of the same shape.
oracle_probe_env() {
  _oracle_vg_env
  _hs_env=()
  mkdir -p "$TMP/out"
  if ! env -i "${_vg_env[@]}" "$VG_SUMMARY" -- /usr/bin/env -0 \
      >"$TMP/out/probe.json" 2>"$TMP/out/probe.env" </dev/null; then
    echo "# probing valgrind's client environment failed:"
    sed 's/^/#   /' "$TMP/out/probe.env"
    return 1
  fi
  local kv v
  while IFS= read -r -d '' kv; do
    case $kv in
      LD_PRELOAD=*)
        v=${kv#LD_PRELOAD=}
        _hs_env+=("ORACLE_PAD=$(printf '%*s' "${#v}" '' | tr ' ' x)") ;;
      *) _hs_env+=("$kv") ;;
    esac
  done <"$TMP/out/probe.env"
  [ "${#_hs_env[@]}" -gt 0 ]
}

# _oracle_field JSONFILE KEY [SUBOBJECT...]: one integer from a JSON file,
# or a placeholder naming the file when there is none (so that two missing
# values never compare equal)
_oracle_field() {
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for sub in sys.argv[3:]: j = j[sub]
v = j[sys.argv[2]]
assert isinstance(v, int)
print(v)' "$@" 2>/dev/null || echo "<no value in ${1##*/}>"
}

# _oracle_prepare: into the empty run folder; probe_ok=1 when the
# environment probe worked (_hs_env), and _vg_env set
_oracle_prepare() {
  mkdir -p "$TMP/run" "$TMP/out"
  cd "$TMP/run" || return 1
  probe_ok=1
  oracle_probe_env || probe_ok=0  # (from $TMP/run, like the runs)
  _oracle_vg_env
  return 0
}

# oracle_python_setup: what the python3 oracles need: the workload alone
# in its own folder ($TMP/py/workload.py), the environment, and (through
# ORACLE_VG_PRELOAD) a valgrind-side pthread_self() of the native width.
# -s on python's command line: no user site folder (it depends on $HOME).
# PYTHONDONTWRITEBYTECODE=1: a run that writes a missing .pyc (as root it
# can) would make the next run read it instead of compiling: other totals.
# The script sits alone in its own folder: python lists that folder (see
# above), and nothing beside it can shadow a module.
oracle_python_setup() {
  if ! "${CC:-gcc}" -O1 -shared -fPIC -o "$TMP/thread_id_high.so" \
      "$TOP/tests/oracle/thread_id_high.c" 2>"$TMP/cc.err"; then
    echo "# cannot build thread_id_high.so:"; sed 's/^/#   /' "$TMP/cc.err"
  fi
  ORACLE_VG_PRELOAD="$TMP/thread_id_high.so"
  mkdir -p "$TMP/py" && cp "$TOP/tests/oracle/workload.py" "$TMP/py/workload.py"
  ORACLE_ENV=(PATH=/usr/bin:/bin LANG=C.UTF-8 PYTHONMALLOC=malloc
              PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1)
}

# oracle_compare NAME STDIN -- CMD [ARGS...]
# Runs CMD (absolute path) under valgrind and under heapspy in both freeres
# modes, STDIN as its standard input, in the empty folder $TMP/run; emits
# 8 TAP results per mode (16 in all). Outputs go to $TMP/out.
oracle_compare() {
  local name=$1 stdin=$2
  shift 3 # NAME STDIN --
  _oracle_prepare || return 1

  local mode label vgopt hsopt
  for mode in default no; do
    if [ $mode = default ]; then
      label="default freeres"; vgopt=(); hsopt=()
    else
      label="--run-libc-freeres=no"
      vgopt=(--run-libc-freeres=no); hsopt=(--run-libc-freeres=no)
    fi
    local vg="$TMP/out/$name.$mode.vg" hs="$TMP/out/$name.$mode.hs"

    # valgrind: the helper prints the JSON summary, the client's stdout
    # and stderr both land in $vg.out
    env -i "${_vg_env[@]}" "$VG_SUMMARY" "${vgopt[@]}" -- "$@" \
      <"$stdin" >"$vg.json" 2>"$vg.out"
    local vg_status=$?
    check "$name: valgrind run completed ($label)" \
      test -s "$vg.json" -a "$vg_status" -eq 0
    if [ "$vg_status" -ne 0 ]; then
      echo "# valgrind run exited with $vg_status; its output:"
      tail -20 "$vg.out" | sed 's/^/#   /'
    fi

    # heapspy: same environment shape, same kinds of streams
    local hs_status=127
    if [ "$probe_ok" = 1 ] && [ -x "$HEAPSPY_BIN" ]; then
      env -i "${_hs_env[@]}" "${ORACLE_HS_WRAP[@]}" "$HEAPSPY_BIN" run -o "$hs.hsp" "${hsopt[@]}" \
        -- "$@" <"$stdin" >"$hs.out" 2>"$hs.err"
      hs_status=$?
      "$HEAPSPY_BIN" report --format json "$hs.hsp" >"$hs.json" 2>"$hs.report.err"
    else
      echo "# heapspy not run: binary $HEAPSPY_BIN missing or env probe failed"
      : >"$hs.json"
    fi
    check "$name: heapspy run completed with the program's exit status ($label)" \
      test "$hs_status" -eq 0 -a -s "$hs.json"
    if [ "$hs_status" -ne 0 ] && [ -f "$hs.err" ]; then
      tail -20 "$hs.err" | sed 's/^/#   /'
    fi
    is "$(cat "$hs.out" 2>/dev/null)" "$(cat "$vg.out")" \
      "$name: program output identical under heapspy and valgrind ($label)"

    echo "# valgrind ($label): $(cat "$vg.json" 2>/dev/null)"
    echo "# heapspy  ($label): $(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["totals"]))' "$hs.json" 2>/dev/null)"
    local k
    for k in allocs frees bytes_allocated in_use_bytes in_use_blocks; do
      is "$(_oracle_field "$hs.json" "$k" totals)" "$(_oracle_field "$vg.json" "$k")" \
        "$name $k equal valgrind's ($label)"
    done
  done
}

# oracle_skip_all NAME REASON: the 16 results, all skipped
oracle_skip_all() {
  local _i
  for _i in $(seq 16); do skip "$1 exact accounting against valgrind" "$2"; done
}

# oracle_compare_leaks NAME STDIN -- CMD [ARGS...]
# The reachability scan against memcheck's: runs CMD under valgrind
# (--leak-check=full --show-leak-kinds=all, its default heuristics, all)
# and under heapspy (defaults), as oracle_compare does, and asserts that
# bytes and blocks per leak kind are EQUAL, and so are the bytes and blocks
# each heuristic made still reachable. 12 TAP results.
oracle_compare_leaks() {
  local name=$1 stdin=$2
  shift 3 # NAME STDIN --
  _oracle_prepare || return 1
  local vg="$TMP/out/$name.leaks.vg" hs="$TMP/out/$name.leaks.hs"
  env -i "${_vg_env[@]}" "$VG_SUMMARY" --leak-check=full --show-leak-kinds=all -- "$@" \
    <"$stdin" >"$vg.json" 2>"$vg.out"
  local vg_status=$?
  check "$name: valgrind leak check completed (exit status $vg_status)" \
    test -s "$vg.json" -a "$vg_status" -ne 124
  local hs_status=127
  if [ "$probe_ok" = 1 ] && [ -x "$HEAPSPY_BIN" ]; then
    env -i "${_hs_env[@]}" "${ORACLE_HS_WRAP[@]}" "$HEAPSPY_BIN" run "${ORACLE_HS_ARGS[@]}" \
      -o "$hs.hsp" -- "$@" <"$stdin" >"$hs.out" 2>"$hs.err"
    hs_status=$?
    "$HEAPSPY_BIN" report --format json "$hs.hsp" >"$hs.json" 2>"$hs.report.err"
  else
    : >"$hs.json"
  fi
  is "$hs_status" "$vg_status" "$name: heapspy run ends with the program's exit status, as under valgrind"
  is "$(cat "$hs.out" 2>/dev/null)" "$(cat "$vg.out")" \
    "$name: program output identical under heapspy and valgrind"
  echo "# valgrind: $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["leaks"], j["heuristics"])' "$vg.json" 2>/dev/null)"
  echo "# heapspy:  $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["leak_summary"], j["leak_scan"]["reachable_via_heuristic"])' "$hs.json" 2>/dev/null)"
  local k
  for k in definitely_lost indirectly_lost possibly_lost still_reachable; do
    is "$(_oracle_field "$hs.json" bytes leak_summary "$k")" "$(_oracle_field "$vg.json" bytes leaks "$k")" \
      "$name: $k bytes equal memcheck's"
    is "$(_oracle_field "$hs.json" blocks leak_summary "$k")" "$(_oracle_field "$vg.json" blocks leaks "$k")" \
      "$name: $k blocks equal memcheck's"
  done
  is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["leak_scan"]["reachable_via_heuristic"])' "$hs.json" 2>&1)" \
     "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["heuristics"])' "$vg.json" 2>&1)" \
    "$name: still reachable via each heuristic equal memcheck's"
}
