#!/usr/bin/env bash
# t1620-private-files: every file and folder heapspy creates is private
# whatever the umask (issue 19; man page FILE SAFETY): profiles, traces,
# logs, snapshot folders and reports, report -o in every format: 0600,
# folders 0700, under umask 022 and 000. --file-mode widens it
# deliberately (0640: folders 0750), on run and report; a bad mode is a
# usage error naming the option. An old 0644 profile rewritten in place
# becomes 0600.
source "$(dirname "$0")/../lib/tap.sh"
plan 24

modes() { stat -c '%n %a' "$@" | tr '\n' ' ' | sed 's/ $//'; }

for um in 022 000; do
  mkdir "u$um" && cd "u$um" || exit 1
  (
    umask "$um"
    "$HEAPSPY" run --trace --log-file log.txt -o p.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
    "$HEAPSPY" run -q -- "$TESTBIN/run_basics" >/dev/null 2>&1
    "$HEAPSPY" run -q --snapshot-on 'heap>1M' -o g.hsp -- "$TESTBIN/grower" 24 60 >/dev/null 2>&1
    for f in text json html collapsed pprof; do "$HEAPSPY" report --format "$f" -o "r.$f" p.hsp; done
  )
  is "$(modes p.hsp p.hsp.trace log.txt)" "p.hsp 600 p.hsp.trace 600 log.txt 600" \
    "umask $um: profile, packed trace and log are 0600"
  is "$(modes heapspy.*.hsp | sed 's/[0-9]*\.hsp/N.hsp/')" "heapspy.N.hsp 600" "umask $um: the default %p profile is 0600"
  is "$(modes g.snapshots)" "g.snapshots 700" "umask $um: the snapshot folder is 0700"
  is "$(stat -c %a g.snapshots/snapshot-* | sort -u | tr '\n' ' ')" "600 " "umask $um: every snapshot report is 0600"
  check "umask $um: snapshots were written" test -n "$(ls g.snapshots)"
  is "$(modes r.text r.json r.html r.collapsed r.pprof)" \
    "r.text 600 r.json 600 r.html 600 r.collapsed 600 r.pprof 600" "umask $um: report -o in every format is 0600"
  cd "$TMP" || exit 1
done

# --- --file-mode widens it deliberately -------------------------------------
mkdir wide && cd wide || exit 1
(
  umask 077
  "$HEAPSPY" run -q --trace --file-mode 0640 -o w.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
  "$HEAPSPY" run -q --file-mode 640 --snapshot-on 'heap>1M' --snapshot-dir sd -o g.hsp -- "$TESTBIN/grower" 24 60 >/dev/null 2>&1
  "$HEAPSPY" report --file-mode 0644 -o r.txt w.hsp
)
is "$(modes w.hsp w.hsp.trace g.hsp sd r.txt)" "w.hsp 640 w.hsp.trace 640 g.hsp 640 sd 750 r.txt 644" \
  "--file-mode: 0640 for profile and trace (even under umask 077), folders 0750; report --file-mode 0644"
is "$(stat -c %a sd/snapshot-* | sort -u | tr '\n' ' ')" "640 " "--file-mode 640: snapshot reports 0640"
cd "$TMP" || exit 1

for bad in 0700 0400 0777 999 -600 ''; do
  "$HEAPSPY" run --file-mode "$bad" -o bad.hsp -- "$TESTBIN/static_hello" "$TMP/ran-bad" >out 2>err
  is "$?:$(cat err)" "125:heapspy: run: --file-mode expects an octal mode from 0600 to 0666 (like 0640), not '$bad'" \
    "run --file-mode '$bad': 125, one line"
done
check "bad --file-mode: the program did not run" test ! -e ran-bad
"$HEAPSPY" report --file-mode 4755 -o x.txt u022/p.hsp >out 2>err
is "$?:$(cat err)" "125:heapspy: report: --file-mode expects an octal mode from 0600 to 0666 (like 0640), not '4755'" \
  "report --file-mode 4755: 125, one line"

# --- an existing profile rewritten in place becomes private -------------------
cp u022/p.hsp old.hsp && chmod 644 old.hsp
"$HEAPSPY" run -q -o old.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
is "$?:$(modes old.hsp)" "3:old.hsp 600" "an old 0644 profile is rewritten 0600 (run_basics exits with 3)"
cp u022/r.text old.txt && chmod 664 old.txt
"$HEAPSPY" report -o old.txt old.hsp
is "$?:$(modes old.txt)" "0:old.txt 600" "an old 0664 report is rewritten 0600"

done_testing
