#!/usr/bin/env bash
# Never hurt the patient: a program that closes every descriptor and puts
# its own file on the high numbers must not get heapspy's profile written
# into that file, and heapspy must keep a complete profile anyway (it
# recognises its file by inode and reopens it by path).
source "$(dirname "$0")/../lib/tap.sh"
plan 6

"$HEAPSPY" run -o prof.hsp --format json --log-file report.json -- "$TESTBIN/fd_closer" "$TMP/mine.txt" 2> err.txt
is "$?" "0" "the program exits normally"
is "$(cat mine.txt)" "intact" "the program's own file holds exactly what it wrote"
is "$(stat -c %s mine.txt)" "7" "nothing of heapspy's was written into it"
is "$(grep -c 'heapspy: warning' err.txt)" "0" "no warning: the profile kept growing in its own file"
is "$(json report.json 'j["complete"]')" "True" "the profile is complete"
is "$(json report.json 'j["leak_summary"]["definitely_lost"]["blocks"], j["leak_summary"]["definitely_lost"]["bytes"]')" \
   "(100000, 6400000)" "all 100,000 leaked blocks of 64 bytes are reported"
done_testing
