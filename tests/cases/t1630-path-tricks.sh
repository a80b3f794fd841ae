#!/usr/bin/env bash
# t1630-path-tricks: no path tricks (issue 19; man page FILE SAFETY).
# At each path heapspy writes (profile, trace, log, report -o, snapshot
# folder) a symbolic link, a hard link, a FIFO, a directory and a
# read-only file are refused with one exact line, and the file behind
# them is untouched (checksum before and after); run refuses with 125
# before the program starts (static_hello would create its marker). A
# profile or trace path holding another kind of file is refused; a
# report or log path holding a regular file of ours is overwritten. %p
# names must be new. The spy refuses on its own: a symlink planted for a
# forked child's profile (--follow-children), a symlink as a preloaded
# profile, and a profile that is not the file `heapspy run` created.
source "$(dirname "$0")/../lib/tap.sh"
plan 63

HELLO="$TESTBIN/static_hello"
"$HEAPSPY" run -q -o good.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
printf 'precious data\n' >victim
SUM=$(md5sum <victim)

# trick KIND NAME: put a KIND at NAME (fresh), pointing at or copying victim
trick() {
  rm -rf "$2"
  case $1 in
    symlink) ln -s "$TMP/victim" "$2" ;;
    hardlink) ln "$TMP/victim" "$2" ;;
    fifo) mkfifo "$2" ;;
    directory) mkdir "$2" ;;
    read-only) cp good.hsp "$2" && chmod 444 "$2" ;;
  esac
}
reason() {
  case $1 in
    symlink) echo "it is a symbolic link" ;;
    hardlink) echo "it has 2 hard links (another name for the same file)" ;;
    fifo) echo "it is a FIFO" ;;
    directory) echo "it is a directory" ;;
    read-only) echo "it is read-only" ;;
  esac
}
# untouched KIND NAME: the trick and what it points at are as they were
untouched() {
  case $1 in
    symlink|hardlink) [ "$(md5sum <victim)" = "$SUM" ] ;;
    fifo) [ -p "$2" ] ;;
    directory) [ -d "$2" ] && [ -z "$(ls -A "$2")" ] ;;
    read-only) cmp -s good.hsp "$2" ;;
  esac
}

for kind in symlink hardlink fifo directory read-only; do
  # profile
  trick $kind p.hsp
  timeout 20 "$HEAPSPY" run -o p.hsp -- "$HELLO" "$TMP/ran" >out 2>err
  is "$?:$(cat err)" "125:heapspy: run: refusing to write $TMP/p.hsp: $(reason $kind)" "profile is a $kind: 125, one line"
  check "profile is a $kind: untouched, the program did not run" eval 'untouched $kind p.hsp && [ ! -e ran ]'
  rm -rf p.hsp
  # trace: refused before the program starts, and the profile made for it removed
  trick $kind t.hsp.trace
  timeout 20 "$HEAPSPY" run --trace -o t.hsp -- "$HELLO" "$TMP/ran" >out 2>err
  is "$?:$(cat err)" "125:heapspy: run: refusing to write $TMP/t.hsp.trace: $(reason $kind)" "trace is a $kind: 125, one line"
  check "trace is a $kind: untouched, no profile left, the program did not run" \
    eval 'untouched $kind t.hsp.trace && [ ! -e t.hsp ] && [ ! -e ran ]'
  rm -rf t.hsp.trace
  # log
  trick $kind log.txt
  timeout 20 "$HEAPSPY" run --log-file log.txt -o l.hsp -- "$HELLO" "$TMP/ran" >out 2>err
  is "$?:$(cat err)" "125:heapspy: run: --log-file: refusing to write log.txt: $(reason $kind)" "log is a $kind: 125, one line"
  check "log is a $kind: untouched, the program did not run" eval 'untouched $kind log.txt && [ ! -e ran ]'
  rm -rf log.txt
  # report -o
  trick $kind r.txt
  timeout 20 "$HEAPSPY" report -o r.txt good.hsp >out 2>err
  is "$?:$(cat err)" "1:heapspy: report: refusing to write r.txt: $(reason $kind)" "report -o on a $kind: 1, one line"
  check "report -o on a $kind: untouched" untouched $kind r.txt
  rm -rf r.txt
done

# --- another kind of file where a profile or trace goes -----------------------
cp victim p.hsp
"$HEAPSPY" run -o p.hsp -- "$HELLO" "$TMP/ran" >out 2>err
is "$?:$(cat err)" "125:heapspy: run: refusing to overwrite $TMP/p.hsp: it is not a heapspy profile" \
  "profile path holds another file: 125, one line"
check "... untouched, the program did not run" eval '[ "$(md5sum <p.hsp)" = "$SUM" ] && [ ! -e ran ]'
cp victim t.hsp.trace
"$HEAPSPY" run --trace -o t.hsp -- "$HELLO" "$TMP/ran" >out 2>err
is "$?:$(cat err)" "125:heapspy: run: refusing to overwrite $TMP/t.hsp.trace: it is not a heapspy trace" \
  "trace path holds another file: 125, one line"
check "... untouched, the program did not run" eval '[ "$(md5sum <t.hsp.trace)" = "$SUM" ] && [ ! -e ran ]'
cp good.hsp again.hsp
"$HEAPSPY" run -q -o again.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
is "$?" 3 "an existing profile is overwritten by a new one (run_basics' status 3)"
: >empty.hsp
"$HEAPSPY" run -q -o empty.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
is "$?" 3 "an existing empty file becomes the profile"
cp victim mine.txt
"$HEAPSPY" report -o mine.txt good.hsp
is "$?:$(head -c 5 mine.txt)" "0:
====" "report -o overwrites a regular file of ours"
cp victim mine.log
"$HEAPSPY" run --log-file mine.log -o ml.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
like "$(cat mine.log)" "^==== heapspy report" "--log-file overwrites a regular file of ours"

# --- the snapshot folder --------------------------------------------------------
mkdir realdir
for kind in symlink fifo file; do
  rm -rf sd
  case $kind in
    symlink) ln -s "$TMP/realdir" sd; why="it is a symbolic link" ;;
    fifo) mkfifo sd; why="it is not a directory" ;;
    file) cp victim sd; why="it is not a directory" ;;
  esac
  timeout 20 "$HEAPSPY" run --snapshot-on 'heap>1M' --snapshot-dir sd -o s.hsp -- "$HELLO" "$TMP/ran" >out 2>err
  is "$?:$(cat err)" "125:heapspy: run: --snapshot-dir: refusing to use sd: $why" "snapshot folder is a $kind: 125, one line"
  check "snapshot folder is a $kind: nothing written behind it, the program did not run" \
    eval '[ -z "$(ls -A realdir)" ] && [ ! -e ran ] && { [ $kind != file ] || [ "$(md5sum <sd)" = "$SUM" ]; }'
done

# --- %p names are new ------------------------------------------------------------
# A file for each of the next 10000 pids is already there (written by one
# process, so that none of those pids is used meanwhile; 10000, as other
# tests and programs on the machine take pids too, prove -j2's other
# script among them): whichever pid the program gets, its name is taken.
# Pids wrap at pid_max (32768 on many machines) to 300, as the kernel's do.
python3 -c 'import os
top = int(open("/proc/sys/kernel/pid_max").read())
pid = os.getpid()
for _ in range(10000):
    pid = pid + 1 if pid + 1 < top else 300
    open("e.%d.hsp" % pid, "w").write("planted\n")'
"$HEAPSPY" run -o 'e.%p.hsp' -- "$HELLO" "$TMP/ran" >out 2>err
st=$?
like "$st:$(cat err)" "^125:heapspy: run: refusing to create $TMP/e\.[0-9]+\.hsp: it already exists \(a stale file, or one placed there by someone else; %p names are always new\)$" \
  "a %p profile that already exists: 125, one line"
all_same() { [ "$(cat e.*.hsp | sort -u)" = planted ]; }
check "... no planted profile was changed, the program did not run" eval '[ ! -e ran ] && all_same'
rm -f e.*.hsp

# --- the spy's own opens -----------------------------------------------------------
# A forked child's profile name (PATTERN with its pid) holds a symlink: the
# program plants one for each of the next 2000 pids (wrapping as above),
# then forks.
cat >forker.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char p[4096];
  int top = 32768, pid = (int)getpid();
  FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
  if (f && fscanf(f, "%d", &top) != 1) top = 32768;
  if (f) fclose(f);
  for (int i = 1; i <= 2000; i++) {
    pid = pid + 1 < top ? pid + 1 : 300;
    snprintf(p, sizeof p, "%s/c.%d.hsp", argv[1], pid);
    if (symlink(argv[2], p)) return 2;
  }
  void *volatile keep = malloc(100);
  pid_t c = fork();
  if (c == 0) { keep = malloc(200); _exit(0); }
  int st;
  waitpid(c, &st, 0);
  printf("child %d\n", (int)c);
  return 0;
}
EOF
mkdir fk
if cc -O1 -o forker forker.c 2>/dev/null; then
  "$HEAPSPY" run -q --follow-children -o "$TMP/fk/c.%p.hsp" -- ./forker "$TMP/fk" "$TMP/victim" >out 2>err
  st=$?
  child=$(sed -n 's/^child //p' out)
  is "$st:$(grep -c . err)" "0:1" "forked child's profile is a planted symlink: the program runs on, one line"
  is "$(cat err)" "heapspy: warning: refusing to write the child's profile $TMP/fk/c.$child.hsp: it is a symbolic link; child not spied" \
    "... the spy in the child refuses it, naming the path"
  check "... the file behind the symlink is untouched" test "$(md5sum <victim)" = "$SUM"
else
  for i in 1 2 3; do skip "forked child's profile" "cannot compile forker.c"; done
fi

LIB="$HEAPSPY_BUILD/lib/heapspy/libheapspy.so"
ln -s "$TMP/victim" pre.hsp
HEAPSPY_OPTIONS="profile=$TMP/pre.hsp" LD_PRELOAD="$LIB" "$TESTBIN/run_basics" >/dev/null 2>err
is "$(grep heapspy err)" "heapspy: warning: refusing to write profile $TMP/pre.hsp: it is a symbolic link; spy disabled" \
  "preloaded by hand with a symlink as the profile: the spy refuses it"
check "... the file behind it is untouched" test "$(md5sum <victim)" = "$SUM"
: >made.hsp
sh -c 'HEAPSPY_OPTIONS="profile=$1:profile_id=$$,1,2" LD_PRELOAD="$2" exec "$3"' sh "$TMP/made.hsp" "$LIB" \
  "$TESTBIN/run_basics" >/dev/null 2>err
is "$(grep heapspy err)" "heapspy: warning: refusing to write profile $TMP/made.hsp: it is not the file heapspy created (replaced after heapspy run checked it); spy disabled" \
  "a profile that is not the inode heapspy run created: the spy refuses it"
is "$(stat -c %s made.hsp)" 0 "... and leaves it alone"

done_testing
