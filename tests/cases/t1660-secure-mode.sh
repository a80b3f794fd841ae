#!/usr/bin/env bash
# t1660-secure-mode: clear refusals at privilege boundaries (issue 19; man
# page FILE SAFETY). The loader ignores LD_PRELOAD for setuid and setgid
# programs (secure mode), so heapspy run refuses them before they start,
# status 126 and one line naming the bit and what would allow it. As
# user nobody: /usr/bin/chfn (setuid root) and a setuid-root copy of
# static_hello (which would create its marker). As root: the setuid-root
# copy runs spied (its owner is root), a setgid copy of another group is
# refused (the kernel's secure mode holds for root too), and a copy
# without the bits runs. Needs root (to make the copies and switch to
# nobody) and setpriv.
source "$(dirname "$0")/../lib/tap.sh"
plan 9

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
  skip_rest "secure mode" "needs root and setpriv"
fi
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! "${AS_NOBODY[@]}" test -x "$HEAPSPY"; then
  skip_rest "secure mode" "user nobody cannot run $HEAPSPY"
fi
if findmnt -no OPTIONS -T "$TMP" | grep -qw nosuid; then
  skip_rest "secure mode" "$TMP is on a nosuid filesystem: the bits would not count"
fi
chmod 755 "$TMP"
mkdir -m 777 nb
cp "$TESTBIN/static_hello" suid && chmod 4755 suid
cp "$TESTBIN/static_hello" sgid && chgrp nogroup sgid && chmod 2755 sgid
cp "$TESTBIN/static_hello" plain && chmod 755 plain
SUID_WHY="the loader ignores LD_PRELOAD for setuid, setgid and capability programs (secure mode), so heapspy cannot spy on it; run heapspy as that user (for a setuid root program: as root), or spy on a copy of the program without the setuid bit"

if [ -u /usr/bin/chfn ] && [ "$(stat -c %U /usr/bin/chfn)" = root ]; then
  (cd nb && "${AS_NOBODY[@]}" "$HEAPSPY" run -o c.hsp -- /usr/bin/chfn) </dev/null >out 2>err
  is "$?:$(cat err)" "126:heapspy: run: /usr/bin/chfn is setuid root: $SUID_WHY" \
    "nobody runs chfn (setuid root): 126, one line naming secure mode and what would allow it"
  check "... no profile was created" test ! -e nb/c.hsp
else
  for i in 1 2; do skip "chfn" "/usr/bin/chfn is not setuid root here"; done
fi
(cd nb && "${AS_NOBODY[@]}" "$HEAPSPY" run -o s.hsp -- "$TMP/suid" "$TMP/nb/ran") >out 2>err
is "$?:$(cat err)" "126:heapspy: run: $TMP/suid is setuid root: $SUID_WHY" "nobody runs a setuid-root copy: 126, one line"
check "... the program did not run" test ! -e nb/ran

"$HEAPSPY" run -q -o r.hsp -- ./suid "$TMP/ran-root" >out 2>err
is "$?:$(cat err)" "0:" "root runs the setuid-root copy: no refusal (it is its owner)"
check "... spied: the profile renders" eval '"$HEAPSPY" report r.hsp >/dev/null'

"$HEAPSPY" run -q -o g.hsp -- ./sgid "$TMP/ran-g" >out 2>err
is "$?:$(cat err)" "126:heapspy: run: ./sgid is setgid nogroup: the loader ignores LD_PRELOAD for setuid, setgid and capability programs (secure mode), so heapspy cannot spy on it; run heapspy with that group as its real and effective group, or spy on a copy of the program without the setgid bit" \
  "root runs a setgid-nogroup copy: 126 (secure mode holds for root too)"
check "... the program did not run" test ! -e ran-g

(cd nb && "${AS_NOBODY[@]}" "$HEAPSPY" run -q -o p.hsp -- "$TMP/plain" "$TMP/nb/ran-plain") >out 2>err
is "$?:$(cat err)" "0:" "nobody runs a copy without the bits: spied as usual"

done_testing
