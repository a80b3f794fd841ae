#!/usr/bin/env bash
# t1005-layering: the folders of src/ depend on each other one way only
# (src/README.md): cli -> analyze, inject -> inspect -> common -> profile, and the
# spy on profile and the client header alone. A file that includes a
# folder its own may not reach fails here, naming the file and the line.
source "$(dirname "$0")/../lib/tap.sh"
plan 7

# allowed FOLDER WHAT_IT_MAY_INCLUDE...: the project includes of
# src/FOLDER that name another folder it may not use.
bad_includes() {
  local dir=$1; shift
  local allow
  allow=$(printf '%s/\\|' "$@")
  grep -Hn '^#include "' "$TOP/src/$dir"/*.[ch] | sed "s|$TOP/||" |
    grep -v "#include \"\\(${allow%\\|}\\)" | grep '#include "[a-z]*/' || true
}
is "$(bad_includes profile profile)" "" "profile/ includes only profile/"
is "$(bad_includes common common profile)" "" "common/ includes only common/ and profile/"
is "$(bad_includes analyze analyze common profile)" "" "analyze/ never includes cli/ or inspect/"
is "$(bad_includes inspect inspect common profile)" "" "inspect/ never includes cli/ or analyze/"
is "$(bad_includes inject inject inspect common profile)" "" "inject/ uses inspect/ and common/, never cli/ or analyze/"
is "$(bad_includes cli cli analyze inject inspect common profile)" "" "cli/ may use every CLI folder, never spy/"
# The spy includes its own headers by name, profile/ by path, heapspy.h.
is "$(grep -Hn '^#include "' "$TOP"/src/spy/*.[ch] | sed "s|$TOP/||" |
      grep -v '#include "\(spy[a-z_]*\.h\|profile/[a-z_]*\.h\|heapspy\.h\)"' || true)" "" \
   "spy/ includes only spy/, profile/ and the client header"
done_testing
