#!/usr/bin/env bash
# The fast unwinder against libunwind, on real programs nobody here wrote.
# With unwind_check=1 the spy walks every allocation's stack twice, with
# its own cached CFI unwinder and with libunwind's unw_backtrace, and counts
# the stacks that differ. Every stack must match, and the fast unwinder
# must not have needed libunwind's help for any of them.
source "$(dirname "$0")/../lib/tap.sh"

LIB="$HEAPSPY_BUILD/lib/heapspy/libheapspy.so"
plan 20

check_program() {   # name, command...
  local name=$1; shift
  rm -f uw.hsp
  HEAPSPY_OPTIONS="profile=$TMP/uw.hsp:quiet=1:unwind_check=1" LD_PRELOAD="$LIB" \
    PYTHONMALLOC=malloc "$@" >/dev/null 2>&1
  is "$?" "0" "$name runs normally with unwind_check"
  "$HEAPSPY" report --format json uw.hsp > uw.json
  local allocs checked
  allocs=$(json uw.json 'j["totals"]["allocs"]')
  checked=$(json uw.json 'j["spy"]["unwind_checked"]')
  check "$name: every stack was compared ($checked of $allocs allocations)" \
    test "$checked" -ge "$allocs" -a "$allocs" -gt 100
  is "$(json uw.json 'j["spy"]["unwind_mismatches"]')" "0" "$name: no stack differs from libunwind's"
  is "$(json uw.json 'j["spy"]["unwind_fallbacks"]')" "0" "$name: no stack needed libunwind"
}

cat > work.py <<'PY'
import json, re
d = {str(i): [i, {"k": str(i)}] for i in range(20000)}
s = json.dumps(d); back = json.loads(s)
print(sum(1 for k in back if re.match(r"1\d*$", k)))
PY
check_program python3 /usr/bin/python3 work.py
check_program perl perl -e 'my %h; for my $i (1..20000) { $h{"k$i"} = { v => [$i, "x" x ($i % 50)] } } my @s = sort { $h{$a}{v}[0] <=> $h{$b}{v}[0] } keys %h; print scalar(@s), "\n";'
check_program sqlite3 sqlite3 :memory: "create table t(a, b); with recursive c(x) as (select 1 union all select x+1 from c where x < 5000) insert into t select x, printf('row %d', x) from c; create index i on t(b); select count(*) from t where b like 'row 1%';"
printf 'int f(int x) { return x * 2; }\nint main(void) { return f(3); }\n' > small.c
check_program "gcc's cc1" "$(gcc -print-prog-name=cc1)" -O2 -quiet small.c -o /dev/null
check_program "g++ driver" g++ -O2 -c small.c -o small.o
done_testing
