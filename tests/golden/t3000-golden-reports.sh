#!/usr/bin/env bash
# tests/golden/t3000-golden-reports.sh: the story programs' reports, text
# and JSON, are what tests/golden/expected says, line for line, once run
# to run noise (addresses, pids, times, RSS, the sample block) is masked.
# Any other change of output fails here: a deliberate one is committed
# with `make golden` and shows in the diff of the expected files.
source "$(dirname "$0")/../lib/tap.sh"
EXP="$TOP/tests/golden/expected"
mkdir got
"$TOP/tests/golden/run-stories.sh" "$TMP/got"
names=$(cd "$EXP" && ls)
plan $(($(echo "$names" | wc -l) + 1))
is "$(cd got && ls)" "$names" "every story has its golden report and no more"
for f in $names; do
  if diff -u "$EXP/$f" "got/$f" >diff.txt; then check "$f unchanged" true
  else check "$f unchanged" false; head -40 diff.txt | sed 's/^/#   /'; fi
done
done_testing
