#!/usr/bin/env bash
# t1023-first-malloc-in-locale: the spy starts at the program's first
# malloc, wherever it comes from. curl's libp11-kit calls newlocale from
# its constructor, before the spy's own: newlocale holds glibc's locale
# lock (to write) while it mallocs. The spy's start once asked dlsym for
# libstdc++'s operators, absent from a C program, and cleared the error
# with dlerror, whose gettext takes that lock to read: EDEADLK, an unlock
# anyway, the lock's count broken, and the program's next setlocale hung
# for ever (src/spy/spy_dlsym.c). A library whose constructor does what
# libp11-kit does, then a main that calls setlocale twice.
source "$(dirname "$0")/../lib/tap.sh"
plan 4

cat >locfirst.c <<'C'
#include <locale.h>
locale_t locfirst;
__attribute__((constructor)) static void first(void) {
  locfirst = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);   /* mallocs, the lock held */
}
C
cat >main.c <<'C'
#include <locale.h>
#include <stdio.h>
extern locale_t locfirst;
int main(void) {
  setlocale(LC_ALL, "");
  setlocale(LC_CTYPE, "C");
  if (locfirst) freelocale(locfirst);
  puts(locfirst ? "ok" : "no C.UTF-8");
  return 0;
}
C
gcc -O1 -shared -fPIC -o liblocfirst.so locfirst.c &&
  gcc -O1 -o locfirst main.c -Wl,--no-as-needed -L. -llocfirst -Wl,-rpath,"$PWD"
is "$(./locfirst)" "ok" "natively: newlocale from a constructor, setlocale twice"
out=$(timeout 30 "$HEAPSPY" run -q -o loc.hsp -- ./locfirst)
is "$?:$out" "0:ok" "under heapspy: the same, no hang (exit 0 within 30 s)"
is "$(json <("$HEAPSPY" report --format json loc.hsp) 'j["totals"]["allocs"] >= 1 and j["exit"]["code"] == 0')" True \
   "the profile has newlocale's allocation and the exit code"
out=$(timeout 30 "$HEAPSPY" run -q --check -o loc-check.hsp -- ./locfirst)
is "$?:$out" "0:ok" "under --check: the same"

done_testing
