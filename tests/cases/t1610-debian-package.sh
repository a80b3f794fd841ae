#!/usr/bin/env bash
# t1610-debian-package: the Debian package (debian/) as a distribution
# would build it. `dpkg-buildpackage -us -uc -b` on a copy of the committed
# tree (git archive HEAD) in $TMP; the .deb holds exactly the installed
# layout; dpkg-buildflags' hardening flags reach every compile and link
# line; the package, unpacked with dpkg-deb -x into a throw-away root, finds
# its own library and tells story 1 exactly as t1050 does
# (35,890 bytes in 1,000 blocks definitely lost at marshal_to_wire); lintian
# finds no error in the .deb or the source; and dpkg itself installs it
# into a private root with a database of its own (dpkg --root), whose
# heapspy tells story 1 too. Never builds inside the repository, never
# touches the host's files or package database; everything it writes is
# under $TMP. About 30 s.
source "$(dirname "$0")/../lib/tap.sh"
N=23
plan $N

missing=""
for t in dpkg-buildpackage:dpkg-dev dpkg-deb:dpkg dh:debhelper readelf:binutils; do
  command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t%%:*} (${t#*:})"
done
arch=$(dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
if [ -n "$missing" ] || [ "$arch" != amd64 ]; then
  why=${missing:+"${missing# } not installed"}
  for ((i = 0; i < N; i++)); do skip "the Debian package" "${why:-the package is built for amd64 only (host: $arch)}"; done
  done_testing
fi
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
VERSION=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
# the package's own build runs make; the make that runs this test must not leak into it
unset MAKEFLAGS MFLAGS MAKELEVEL

# the committed tree (or, outside git, the tree without build/), never the repository itself
mkdir src
if git -C "$TOP" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  git -C "$TOP" archive --prefix=heapspy/ HEAD | tar -x -C src
  [ -z "$(git -C "$TOP" status --porcelain -- . 2>/dev/null)" ] ||
    echo "# note: the package is built from HEAD; uncommitted changes are not in it"
else
  mkdir src/heapspy && tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -x -C src/heapspy
fi
SRC="$TMP/src/heapspy"
DEB="$TMP/src/heapspy_${VERSION}_${arch}.deb"

# the source package first, from the pristine tree (lintian checks it at the end)
(cd src && dpkg-source -b heapspy) >source.log 2>&1
(cd "$SRC" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b) >build.log 2>&1
rc=$?
is "$rc:$(test -f "$DEB" && echo deb)" "0:deb" "dpkg-buildpackage -us -uc -b builds heapspy_${VERSION}_$arch.deb from a copy of HEAD"
[ "$rc" = 0 ] || tail -30 build.log | sed 's/^/#   /'

is "$(dpkg-deb -c "$DEB" 2>&1 | awk '{print $6}' | grep -v '/$' | sort)" \
   "$(sort <<EOF
./usr/bin/heapspy
./usr/bin/heapspy-valgrind
./usr/lib/$MA/heapspy/libheapspy-attach.so
./usr/lib/$MA/heapspy/libheapspy-attach-dyn.so
./usr/lib/$MA/heapspy/libheapspy.so
./usr/lib/$MA/pkgconfig/heapspy.pc
./usr/include/heapspy.h
./usr/share/man/man1/heapspy.1.gz
./usr/share/man/man1/heapspy-valgrind.1.gz
./usr/share/bash-completion/completions/heapspy
./usr/share/doc/heapspy/changelog.gz
./usr/share/doc/heapspy/copyright
./usr/share/lintian/overrides/heapspy
EOF
)" "the .deb holds binary (and its heapspy-valgrind link), library (multiarch), pkg-config file, header, man page, completion, doc, lintian overrides; nothing else"
is "$(dpkg-deb -f "$DEB" Package Architecture Section 2>&1)" \
   "$(printf 'Package: heapspy\nArchitecture: amd64\nSection: devel')" "control: heapspy, amd64, devel"
like "$(dpkg-deb -f "$DEB" Depends 2>&1)" '(^|, )libunwind8.*libdw1|libdw1.*(^|, )libunwind8' \
   "Depends (dh_shlibdeps) names libunwind8 and libdw1"

# dpkg-buildflags' flags, as debian/rules asks for them, on every line that
# compiles or links what the package ships (build.log holds make's commands)
flags() { (cd "$SRC" && DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1"); }
CPPF=$(flags CPPFLAGS) CF=$(flags CFLAGS) LDF=$(flags LDFLAGS)
grep -E ' -o build/(obj/src/[^ ]*\.o|bin/heapspy|lib/heapspy/libheapspy\.so)( |$)' build.log >lines.txt
lacking() {  # lacking KIND FLAGS...: the lines of KIND (compile/link) missing one of FLAGS
  local kind=$1 line f; shift
  while IFS= read -r line; do
    case " $line " in *" -c "*) [ "$kind" = compile ] || continue ;; *) [ "$kind" = link ] || continue ;; esac
    for f in "$@"; do case " $line " in *" $f "*) ;; *) echo "$f missing: ${line:0:100}"; break ;; esac; done
  done <lines.txt
}
nsrc=$(cd "$SRC" && ls src/*/*.c | wc -l)
is "$(grep -c -- ' -c ' lines.txt) $(lacking compile $CPPF $CF | head -3)" "$nsrc " \
   "all $nsrc compile lines carry dpkg-buildflags' CPPFLAGS and CFLAGS ($CPPF $CF)"
is "$(grep -vc -- ' -c ' lines.txt) $(lacking link $CF $LDF | head -3)" "2 " \
   "both link lines carry CFLAGS and LDFLAGS ($LDF)"
mkdir root && dpkg-deb -x "$DEB" root
elf() {  # elf FILE: the hardening marks readelf sees
  { readelf -d "$1" | grep -oE 'BIND_NOW|PIE'; readelf -lW "$1" | grep -oE 'GNU_RELRO'; } | sort -u | tr '\n' ' '
}
is "$(elf root/usr/bin/heapspy)/$(elf "root/usr/lib/$MA/heapspy/libheapspy.so")" "BIND_NOW GNU_RELRO PIE /BIND_NOW GNU_RELRO " \
   "heapspy: PIE, full RELRO (relro, now); libheapspy.so: full RELRO"
nunit=$(cd "$SRC" && ls tests/unit/test_*.c | wc -l)
is "$(grep -c '^# build/tests/unit/test_' build.log) $(grep -c '^not ok' build.log)" "$nunit 0" \
   "the build ran the $nunit unit tests (dh_auto_test: make check-unit), none failed"

# the package unpacked into a throw-away root: heapspy finds its library
# beside itself (../lib/<multiarch>/heapspy), not the host's or the build tree's
HS="$TMP/root/usr/bin/heapspy"
like "$("$HS" --version 2>&1)" "^heapspy $VERSION " "heapspy --version is the changelog's version, $VERSION"
"$HS" run -q -o maps.hsp -- cat /proc/self/maps >maps.txt 2>&1
like "$(cat maps.txt)" " $(realpath root)/usr/lib/$MA/heapspy/libheapspy\.so$" \
   "run preloads the package's library, /usr/lib/$MA/heapspy/libheapspy.so of the unpacked root"

# story 1 (t1050's expectations), the demo built in the copy
make -C "$SRC" examples >examples.log 2>&1
DEMO="$SRC/build/examples/marshal-demo"
EXDIR=examples/marshal-leak
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$SRC/$EXDIR/marshal.c" | cut -d: -f1)
CALL_LINE=$(grep -n '= marshal_to_wire(previous)' "$SRC/$EXDIR/demo.c" | cut -d: -f1)
(cd "$SRC" && "$HS" run -o "$TMP/demo.hsp" -- build/examples/marshal-demo 1000 1000) >demo.out 2>demo.txt
is "$?:$(test -x "$DEMO" && echo built)" "0:built" "the demo (make examples in the copy) exits 0 under the package's heapspy"
like "$(cat demo.txt)" '^35,890 bytes in 1,000 blocks are definitely lost \(malloc\), site 1 of 1, first allocated at [0-9]+ ms$' \
   "story 1: 35,890 bytes in 1,000 blocks are definitely lost (malloc), site 1 of 1"
like "$(cat demo.txt)" "^    #0  marshal_to_wire at $EXDIR/marshal\.c:$MALLOC_LINE \(marshal-demo\+0x[0-9a-f]+\)$" "story 1: frame #0, marshal_to_wire"
like "$(cat demo.txt)" "^    #1  main at $EXDIR/demo\.c:$CALL_LINE \(marshal-demo\+0x[0-9a-f]+\)$" "story 1: frame #1, main"
like "$(cat demo.txt)" '^   definitely lost: 35,890 bytes in 1,000 blocks$' "story 1: LEAK SUMMARY, definitely lost: 35,890 bytes in 1,000 blocks"
"$HS" report --format json demo.hsp >demo.json 2>report.err
is "$(json demo.json 'j["leak_summary"]["definitely_lost"]["bytes"], j["leak_summary"]["definitely_lost"]["blocks"]' 2>&1)" \
   "(35890, 1000)" "heapspy report of the profile: the same 35890 bytes in 1000 blocks"

# dpkg -i for real, into a root and package database of our own (no
# libc6 there: --force-depends; the package has no maintainer script)
mkdir -p inst/var/lib/dpkg/info inst/var/lib/dpkg/updates && : >inst/var/lib/dpkg/status
dpkg --root="$TMP/inst" --force-depends --force-not-root -i "$DEB" >dpkg.log 2>&1
is "$?:$(dpkg --root="$TMP/inst" -s heapspy 2>&1 | sed -n 's/^Status: //p')" "0:install ok installed" \
   "dpkg -i installs the package (into a private root and database)"
is "$(dpkg --root="$TMP/inst" -L heapspy | grep -cxE "/usr/bin/heapspy|/usr/lib/$MA/heapspy/libheapspy\.so|/usr/share/man/man1/heapspy\.1\.gz")" 3 \
   "dpkg -L heapspy: the binary, the library and the man page are the package's"
(cd "$SRC" && "$TMP/inst/usr/bin/heapspy" run -q -o "$TMP/inst.hsp" -- build/examples/marshal-demo 1000 1000) >/dev/null 2>&1
is "$("$TMP/inst/usr/bin/heapspy" report --format json inst.hsp | json /dev/stdin 'j["leak_summary"]["definitely_lost"]["bytes"]' 2>&1)" 35890 \
   "the installed heapspy tells story 1: 35,890 bytes definitely lost"

is "$(PKG_CONFIG_PATH="$TMP/root/usr/lib/$MA/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent \
      pkg-config --modversion --variable=libdir heapspy 2>&1 | tr '\n' ' ')" "$VERSION /usr/lib/$MA/heapspy " \
   "heapspy.pc: version $VERSION, libdir /usr/lib/$MA/heapspy"
is "$(bash -c 'source "$1"; COMP_WORDS=("$2" r); COMP_CWORD=1; _heapspy; echo "${COMPREPLY[*]}"' _ \
      root/usr/share/bash-completion/completions/heapspy "$HS" 2>&1)" "run report" \
   "the packaged bash completion completes heapspy r<TAB> with the packaged binary"

if command -v lintian >/dev/null 2>&1; then
  lintian "$DEB" >lintian.txt 2>&1
  is "$?:$(grep -c '^E: ' lintian.txt)" 0:0 "lintian: no error (E:) in the .deb"
  grep -E '^[EWI]: ' lintian.txt | sed 's/^/#   /'
  lintian src/heapspy_"$VERSION".dsc >lintian-src.txt 2>&1
  is "$?:$(grep -c '^E: ' lintian-src.txt)" 0:0 "lintian: no error (E:) in the source package (dpkg-source -b of the same tree)"
  grep -E '^[EWI]: ' lintian-src.txt | sed 's/^/#   /'
else
  skip "lintian: no error in the .deb" "lintian not installed"
  skip "lintian: no error in the source package" "lintian not installed"
fi

done_testing
