# tests/lib/fuzz-lib.sh: the libFuzzer steps shared by the reader fuzz
# tests (t1200 profile, t1205 trace). Source after tap.sh.

# fuzz_clang: prints a clang that can build libFuzzer harnesses, or nothing
fuzz_clang() {
  local cc
  cc=$(command -v clang || command -v clang-14 || true)
  printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >probe.c
  [ -n "$cc" ] && "$cc" -fsanitize=fuzzer probe.c -o probe >/dev/null 2>&1 && echo "$cc"
}

# fuzz_build HARNESS SECONDS SOURCES_AND_LIBS...: build ./HARNESS with
# ASan and UBSan (one check), or, without libFuzzer, skip the three checks
# of the build and fuzz_run and return 1
fuzz_build() {
  local bin=$1 secs=$2 cc
  shift 2
  cc=$(fuzz_clang)
  if [ -z "$cc" ]; then
    skip "the harness builds" "clang with libFuzzer not installed"
    skip "$secs s of fuzzing: no crash" "clang with libFuzzer not installed"
    skip "the fuzzer ran" "clang with libFuzzer not installed"
    return 1
  fi
  "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
    -I"$TOP/src" "$@" -o "$bin" >build.log 2>&1
  check "the harness builds" test -x "$bin"
  [ -x "$bin" ] || sed 's/^/#   /' build.log | head -20
}

# fuzz_run HARNESS SECONDS: run ./HARNESS on ./corpus for SECONDS (or
# HEAPSPY_FUZZ_SECONDS: `make fuzz`'s long runs); two checks: no
# crash/leak/hang/runaway allocation, and hundreds of inputs ran
fuzz_run() {
  local bin=$1 secs=${HEAPSPY_FUZZ_SECONDS:-$2} rc found f
  "./$bin" -max_total_time="$secs" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$TMP/" corpus >fuzz.log 2>&1
  rc=$?
  found=$(ls "$TMP" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
  check "$secs s of fuzzing: no crash, leak, hang or runaway allocation" test "$rc" -eq 0 -a -z "$found"
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    grep -E 'ERROR|SUMMARY|==[0-9]+==|#[0-9]+ 0x' fuzz.log | head -30 | sed 's/^/#   /'
    for f in $found; do echo "#   input: $f ($(stat -c %s "$TMP/$f") bytes)"; done
  fi
  like "$(grep -E '^stat::number_of_executed_units' fuzz.log)" ': *[1-9][0-9]{2,}' \
    "the fuzzer ran (hundreds of inputs at least)"
}
