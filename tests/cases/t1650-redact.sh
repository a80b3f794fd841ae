#!/usr/bin/env bash
# t1650-redact: report --redact, to share a profile (issue 19;
# doc/security.md). A program leaks a block holding a secret and is run
# with a secret argument: the normal report shows both (the sample's hex
# dump and its JSON "hex", the command line), the redacted one neither,
# in text, JSON and HTML, while argv[0], the leak's stack and the counts
# stay. The profile itself is not changed by --redact.
source "$(dirname "$0")/../lib/tap.sh"
plan 17

cat >secret.c <<'EOF'
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  char *volatile p = malloc(16);
  memcpy(p, "PW=Swordfish42!", 16);     /* leaked */
  p = NULL;
  return argc > 1 ? 0 : 1;
}
EOF
if ! cc -O0 -g -o secret secret.c 2>/dev/null; then
  skip_rest "redact" "cannot compile secret.c"
fi
"$HEAPSPY" run -q -o s.hsp -- ./secret --token=HUNTER2XYZ >/dev/null 2>&1
SUM=$(md5sum <s.hsp)
HEX=$(printf 'PW=Swordfish42!' | od -An -tx1 | tr -d ' \n')

"$HEAPSPY" report s.hsp >plain.txt
"$HEAPSPY" report --redact s.hsp >red.txt
like "$(cat plain.txt)" "\|PW=Swordfish42!\.\|" "text: the sample's hex dump shows the secret"
like "$(cat plain.txt)" "HUNTER2XYZ" "text: the argument is shown"
is "$(grep -c -e Swordfish -e HUNTER2XYZ -e 'sample block' red.txt)" 0 "text --redact: neither the secret, the argument nor a hex dump"
like "$(cat red.txt)" "^==== heapspy report: [^ ]*/secret \(pid [0-9]+\) ====$" "text --redact: argv[0] stays"
like "$(cat red.txt)" "16 bytes in 1 blocks are definitely lost" "text --redact: the leak stays"
like "$(cat red.txt)" "main at .*secret\.c:4" "text --redact: its stack stays"

"$HEAPSPY" report --format json -o plain.json s.hsp
"$HEAPSPY" report --format json --redact -o red.json s.hsp
is "$(json plain.json '[l["sample"]["hex"] for l in j["leaks"]]')" "['${HEX}00']" "JSON: the sample's hex holds the secret"
like "$(json plain.json 'j["cmdline"]')" "HUNTER2XYZ" "JSON: the argument is in cmdline"
is "$(json red.json '[l["sample"] for l in j["leaks"]]')" "[None]" "JSON --redact: every sample is null"
like "$(json red.json 'j["cmdline"]')" "^[^ ]*/secret$" "JSON --redact: cmdline is argv[0] alone"
is "$(grep -c -e "$HEX" -e HUNTER2XYZ red.json)" 0 "JSON --redact: neither the secret's bytes nor the argument anywhere"
is "$(json red.json 'j["totals"]["in_use_bytes"]')" 16 "JSON --redact: the counts stay"

"$HEAPSPY" report --format html -o plain.html s.hsp
"$HEAPSPY" report --format html --redact -o red.html s.hsp
like "$(cat plain.html)" "HUNTER2XYZ" "HTML: the argument is shown"
is "$(grep -c -e HUNTER2XYZ -e Swordfish -e "$HEX" red.html)" 0 "HTML --redact: neither the argument nor the secret"
like "$(cat red.html)" "/secret</code>" "HTML --redact: argv[0] stays"

is "$(md5sum <s.hsp)" "$SUM" "the profile itself is unchanged by --redact"
"$HEAPSPY" report --redact --format collapsed s.hsp >red.folded
is "$(grep -c HUNTER2XYZ red.folded)" 0 "collapsed --redact: no argument"

done_testing
