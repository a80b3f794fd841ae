# tests/lib/npm-peer.sh: npm packages a test reads or runs (a schema, a
# viewer's importer), installed at test time into the build tree, never
# into the repository or the system. Sourced after tap.sh.
#   npm_peer NAME@VERSION   installs it once (pinned, no install scripts)
#                           under $HEAPSPY_BUILD/npm/NAME@VERSION and
#                           prints that folder's node_modules; prints
#                           nothing (status 1) without npm or the registry
# Parallel tests share one install: the first holds a lock, the rest wait.
npm_peer() {
  local spec=$1 dir="$HEAPSPY_BUILD/npm/${1//\//+}"
  command -v npm >/dev/null 2>&1 || return 1
  mkdir -p "$dir" || return 1
  (
    flock 9
    [ -f "$dir/.done" ] && exit 0
    HOME="$dir" npm install --prefix "$dir" --no-save --no-audit --no-fund --ignore-scripts \
      --loglevel=error "$spec" >"$dir/install.log" 2>&1 && touch "$dir/.done"
  ) 9>"$dir/.lock"
  [ -f "$dir/.done" ] && echo "$dir/node_modules"
}

# npm_peer_why NAME@VERSION...: why npm_peer gave nothing, as a skip
# reason: "npm not installed" (the test set installs it: under make test a
# failure), or what the registry answered (a network this machine does
# not have, or a proxy it does not trust: a skip that says so).
npm_peer_why() {
  command -v npm >/dev/null 2>&1 || { echo "npm not installed"; return; }
  local spec dir why
  for spec in "$@"; do
    dir="$HEAPSPY_BUILD/npm/${spec//\//+}"
    [ -f "$dir/.done" ] && continue
    why=$(grep -m1 -oE 'reason: .*|errno [A-Z_]+' "$dir/install.log" 2>/dev/null)
    echo "the npm registry did not serve $spec (${why:-see $dir/install.log})"
    return
  done
}
