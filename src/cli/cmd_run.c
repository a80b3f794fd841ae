/*
 * cmd_run.c: `heapspy run [OPTIONS] [--] PROG [ARGS]`: check the program
 * can be spied on, start it with the spy preloaded, wait for it however it
 * ends, record its exit status in the profile, print the report after the
 * program's own output, and exit with the program's status.
 *
 * Errors before the program starts (not found, not executable, statically
 * linked, profile or log not writable, bad option) are one line each and
 * the program never runs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/run_options.h"
#include "analyze/export.h"
#include "analyze/report.h"
#include "analyze/snapshot.h"
#include "analyze/suppress.h"
#include "analyze/trace_pack.h"
#include "common/private_file.h"
#include "common/util.h"
#include "profile/hst_read.h"

/* Find prog like the shell does. Exits 127/126 like the shell on failure. */
static char *resolve_program(const char *prog) {
  char buf[PATH_MAX];
  if (strchr(prog, '/')) {
    snprintf(buf, sizeof buf, "%s", prog);
  } else {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    int found = 0;
    for (const char *p = path; !found;) {
      const char *e = strchr(p, ':');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, n ? p : ".", "/", prog);
      struct stat st;
      if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) found = 1;
      if (!e) break;
      p = e + 1;
    }
    if (!found) hs_die(127, "run: %s: command not found", prog);
  }
  struct stat st;
  if (stat(buf, &st) < 0) hs_die(127, "run: %s: %s", prog, strerror(errno));
  if (S_ISDIR(st.st_mode)) hs_die(126, "run: %s: is a directory", prog);
  if (access(buf, X_OK) < 0) hs_die(126, "run: %s: %s", prog, strerror(errno));
  return hs_xstrdup(buf);
}

/* A statically linked program has no dynamic loader to preload into.
 * Returns 1 for a script (its interpreter is what gets spied). */
static int check_dynamic(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) hs_die(126, "run: %s: %s", path, strerror(errno));
  Elf64_Ehdr eh;
  ssize_t n = pread(fd, &eh, sizeof eh, 0);
  if (n >= 2 && !memcmp(&eh, "#!", 2)) { close(fd); return 1; }  /* a script */
  if (n < (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
    close(fd);
    hs_die(126, "run: %s: not an executable program (neither ELF nor a script)", path);
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
    close(fd);
    hs_die(126, "run: %s: not an x86-64 program; heapspy spies on 64-bit x86 programs only", path);
  }
  int dynamic = 0;
  for (int i = 0; i < eh.e_phnum && i < 4096; i++) {
    Elf64_Phdr ph;
    if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != sizeof ph) break;
    if (ph.p_type == PT_INTERP) dynamic = 1;
  }
  close(fd);
  if (!dynamic)
    hs_die(126, "run: %s is statically linked: heapspy cannot interpose its allocator "
                "(it needs a dynamically linked program)", path);
  return 0;
}

/* The loader runs a program in secure mode (AT_SECURE) when exec changes
 * its credentials: effective uid or gid other than the real ones after
 * exec (setuid/setgid bits, unless the filesystem is mounted nosuid), or
 * file capabilities. It then ignores LD_PRELOAD naming a path: the
 * program would run unspied. Refuse before starting it (status 126). */
static void check_secure_mode(const char *prog, const char *name) {
  struct stat st;
  struct statvfs vfs;
  if (stat(prog, &st) < 0 || (statvfs(prog, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))) return;
  uid_t euid = st.st_mode & S_ISUID ? st.st_uid : geteuid();
  gid_t egid = (st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) ? st.st_gid : getegid();
  const char *why = "secure mode";
  char who[96] = "";
  if (euid != getuid()) {
    struct passwd *pw = getpwuid(st.st_uid);
    snprintf(who, sizeof who, "setuid %s", pw ? pw->pw_name : "");
    if (!pw) snprintf(who, sizeof who, "setuid uid %u", (unsigned)st.st_uid);
    why = "run heapspy as that user (for a setuid root program: as root), or spy on a copy of the "
          "program without the setuid bit";
  } else if (egid != getgid()) {
    struct group *gr = getgrgid(st.st_gid);
    snprintf(who, sizeof who, "setgid %s", gr ? gr->gr_name : "");
    if (!gr) snprintf(who, sizeof who, "setgid gid %u", (unsigned)st.st_gid);
    why = "run heapspy with that group as its real and effective group, or spy on a copy of the "
          "program without the setgid bit";
  } else if (geteuid() != 0 && getxattr(prog, "security.capability", NULL, 0) > 0) {
    snprintf(who, sizeof who, "given file capabilities");
    why = "run heapspy as root, or spy on a copy of the program without them";
  } else {
    return;
  }
  hs_die(126, "run: %s is %s: the loader ignores LD_PRELOAD for setuid, setgid and capability "
              "programs (secure mode), so heapspy cannot spy on it; %s", name, who, why);
}

/* The spy library: beside the binary first (the build tree, an install
 * moved or unpacked anywhere: HS_LIBDIR_REL is LIBDIR relative to the
 * binary's folder), then where `make install` put it (HS_LIBDIR). Both
 * come from the Makefile's LIBDIR. */
const char *hs_spy_library(void) {
  return hs_spy_library_file("libheapspy.so");
}

const char *hs_spy_library_file(const char *file) {
  static char lib[PATH_MAX];
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return NULL;
  self[n] = 0;
  *strrchr(self, '/') = 0;
  const char *cands[] = { "../lib/heapspy", ".",
#ifdef HS_LIBDIR_REL
                          HS_LIBDIR_REL,
#endif
#ifdef HS_LIBDIR
                          HS_LIBDIR,
#endif
  };
  for (unsigned i = 0; i < sizeof cands / sizeof *cands; i++) {
    char tmp[2 * PATH_MAX];
    int abs = cands[i][0] == '/';
    snprintf(tmp, sizeof tmp, "%s%s%s/%s", abs ? "" : self, abs ? "" : "/", cands[i], file);
    if (realpath(tmp, lib) && access(lib, R_OK) == 0) return lib;
  }
  return NULL;
}

static char *absolute(const char *path) {
  if (path[0] == '/') return hs_xstrdup(path);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) hs_die(1, "cannot determine the current folder: %m");
  size_t n = strlen(cwd) + strlen(path) + 2;
  char *r = hs_xmalloc(n);
  snprintf(r, n, "%s/%s", cwd, path);
  return r;
}

static void expand_pid(char *out, size_t cap, const char *pat, pid_t pid) {
  size_t n = 0;
  for (const char *p = pat; *p && n + 12 < cap; p++) {
    if (p[0] == '%' && p[1] == 'p') { n += (size_t)snprintf(out + n, cap - n, "%d", (int)pid); p++; }
    else if (p[0] == '%' && p[1] == '%') { out[n++] = '%'; p++; }
    else out[n++] = *p;
  }
  out[n] = 0;
}

/* --snapshot-on without --snapshot-dir: next to the profile,
 * NAME.hsp -> NAME.snapshots. */
static void default_snapshot_dir(char *out, size_t cap, const char *profile) {
  size_t n = strlen(profile);
  if (n > 4 && !strcmp(profile + n - 4, ".hsp")) n -= 4;
  snprintf(out, cap, "%.*s.snapshots", (int)n, profile);
}

/* valgrind's --log-file/--xml-file patterns: %p the program's pid,
 * %q{VAR} the environment variable VAR, %n a sequence number (unique
 * within this run), %% a percent sign. */
static int log_seq;
static void expand_log(char *out, size_t cap, const char *pat, pid_t pid) {
  int *seqp = &log_seq, seq_dummy = 0;
  if (pid == getpid()) seqp = &seq_dummy;   /* a trial (check_log_place): no number used */
  size_t n = 0;
  for (const char *p = pat; *p && n + 1 < cap; p++) {
    char num[24];
    const char *add = NULL;
    size_t alen = 0;
    if (p[0] == '%' && p[1] == 'p') snprintf(num, sizeof num, "%d", (int)pid), add = num, p++;
    else if (p[0] == '%' && p[1] == 'n') snprintf(num, sizeof num, "%d", ++*seqp), add = num, p++;
    else if (p[0] == '%' && p[1] == '%') add = "%", p++;
    else if (p[0] == '%' && p[1] == 'q' && p[2] == '{' && strchr(p + 3, '}')) {
      const char *end = strchr(p + 3, '}');
      char var[256];
      snprintf(var, sizeof var, "%.*s", (int)(end - p - 3), p + 3);
      const char *val = getenv(var);
      add = val ? val : "";
      p = end;
    } else if (p[0] == '%')
      hs_die(HS_EXIT_USAGE, "run: bad %% sequence in '%s' (%%p, %%q{VAR}, %%n or %%%%)", pat);
    else { out[n++] = *p; continue; }
    alen = strlen(add);
    if (n + alen >= cap) break;
    memcpy(out + n, add, alen);
    n += alen;
  }
  out[n] = 0;
}

/* Fails now, before the program runs, if the log cannot go where asked. */
static void check_log_place(const char *pat) {
  char path[PATH_MAX];
  expand_log(path, sizeof path, pat, getpid());
  char *slash = strrchr(path, '/');
  if (slash == path) slash[1] = 0;
  else if (slash) *slash = 0;
  else snprintf(path, sizeof path, ".");
  if (access(path, W_OK) < 0)
    hs_die(HS_EXIT_USAGE, "run: cannot write log file %s: %s", pat, strerror(errno));
}

/* The report's destination once the program's pid is known. */
static FILE *open_log(const char *pat, int fd, pid_t pid) {
  if (fd >= 0) {
    int d = dup(fd);
    FILE *f = d >= 0 ? fdopen(d, "w") : NULL;
    if (!f) hs_warn("cannot write to --log-fd=%d: %s; the report goes to stderr", fd, strerror(errno));
    return f ? f : stderr;
  }
  if (!pat) return stderr;
  char path[PATH_MAX];
  expand_log(path, sizeof path, pat, pid);
  char err[1200];
  FILE *f = hs_fopen_private(path, HS_FILE_LOG, 0, err, sizeof err);
  if (!f) hs_warn("--log-file: %s; the report goes to stderr", err);
  return f ? f : stderr;
}

static volatile pid_t child_pid;
static void forward_signal(int sig) { if (child_pid > 0) kill(child_pid, sig); }


/* What the child reports through the close-on-exec pipe when it fails
 * before or at exec. */
struct start_failure { int stage; int err; char msg[1200]; };
enum { STAGE_PROFILE = 1, STAGE_EXEC = 2 };

/* --trace: compress and index what the spy wrote, now that no thread of
 * the program writes it any more. */
/* Removes a file heapspy created that nothing was written into: 1 if it did. */
static int unlink_if_empty(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && st.st_size == 0 && unlink(path) == 0;
}

static void pack_trace(const char *profile, FILE *log) {
  char path[PATH_MAX + 8], err[1200], b1[32], b2[32];
  hst_path_of(profile, path, sizeof path);
  if (unlink_if_empty(path)) return;   /* never written: the spy said why ("no trace") */
  struct hs_pack_stats st;
  if (hs_trace_pack(path, &st, err, sizeof err) < 0) {
    hs_warn("the trace stays uncompressed: %s", err);
    return;
  }
  if (log)
    fprintf(log, "heapspy: trace of %s events in %s (%s raw, packed in %.2f s)\n",
            hs_commas(st.events, b1), path, hs_human_bytes((double)st.raw_bytes, b2), st.seconds);
}

static int run(int argc, char **argv, struct run_opts o);

/* --xml=yes: valgrind's XML to --xml-fd or --xml-file (%p: the program's pid). */
static void write_xml(const struct run_opts *o, struct hs_model *m, const struct hs_report_opts *ro,
                      char **argv, char **prog_argv, const char *prog, pid_t pid) {
  FILE *f = NULL;
  char path[PATH_MAX], err[1200];
  if (o->xml_fd >= 0) {
    int d = dup(o->xml_fd);
    if (!(f = d >= 0 ? fdopen(d, "w") : NULL)) {
      hs_warn("cannot write to --xml-fd=%d: %s; no XML written", o->xml_fd, strerror(errno));
      if (d >= 0) close(d);
      return;
    }
  } else {
    expand_log(path, sizeof path, o->xml_file, pid);
    if (!(f = hs_fopen_private(path, HS_FILE_LOG, 0, err, sizeof err))) {
      hs_warn("--xml-file: %s; no XML written", err);
      return;
    }
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = 0;
  struct hs_xml_run run = { .tool = self, .vargv = argv + 1, .nvargv = (int)(prog_argv - argv - 1),
                            .argv = prog_argv, .exe = prog };
  hs_report_xml(f, m, ro, &run);
  if (fclose(f) != 0) hs_warn("the XML output is incomplete: %s", strerror(errno));
}

int cmd_run(int argc, char **argv) {
  struct run_opts o;
  run_options_parse(argc, argv, &o);
  return run(argc, argv, o);
}

/* `heapspy valgrind [valgrind's options] PROG [ARGS]`: valgrind's command
 * line, memcheck mode from the start (valgrind's defaults). */
int cmd_valgrind(int argc, char **argv) {
  struct run_opts o;
  run_options_parse_memcheck(argc, argv, &o);
  return run(argc, argv, o);
}

static int run(int argc, char **argv, struct run_opts o) {
  if ((o.watch.dir || o.watch.cap != 100ull << 20) && !o.watch.nrules)
    hs_die(HS_EXIT_USAGE, "run: --snapshot-dir and --snapshot-cap need --snapshot-on");
  if (o.trace_cap_set && !o.trace) hs_die(HS_EXIT_USAGE, "run: --trace-cap needs --trace");
  char ferr[1200];
  if (o.watch.dir && hs_mkdir_private(o.watch.dir, ferr, sizeof ferr) < 0)
    hs_die(HS_EXIT_USAGE, "run: --snapshot-dir: %s", ferr);
  o.watch.debuginfo = o.debuginfo;
  hs_export_check(&o.exp, "run");
  o.exp.debuginfo = o.debuginfo;
  if (optind >= argc) {
    fputs("heapspy: run: no program given\n", stderr);
    run_options_usage(stderr);
    return HS_EXIT_USAGE;
  }
  char **prog_argv = argv + optind;
  char *prog = resolve_program(prog_argv[0]);
  int script = check_dynamic(prog);
  if (!script) check_secure_mode(prog, prog_argv[0]);
  if (script && !o.follow_children)
    hs_warn("%s is a script: heapspy spies on its interpreter; add --follow-children to spy on "
            "the programs it runs", prog_argv[0]);
  const char *lib = hs_spy_library();
  if (!lib) hs_die(1, "cannot find libheapspy.so beside the heapspy binary or in its install folder; "
                      "is heapspy installed?");
  char *pattern = absolute(o.profile);

  FILE *log = stderr;
  /* A fixed name is opened now, so a refusal stops heapspy before the
   * program starts; a pattern (%p...) names a file only once the
   * program's pid is known: its folder is checked now, the file later. */
  int log_now = o.log_file && o.quiet != 1 && !strchr(o.log_file, '%');
  if (log_now && !(log = hs_fopen_private(o.log_file, HS_FILE_LOG, 0, ferr, sizeof ferr)))
    hs_die(HS_EXIT_USAGE, "run: --log-file: %s", ferr);
  if (o.log_file && o.quiet != 1 && !log_now) check_log_place(o.log_file);
  if (o.xml_file) check_log_place(o.xml_file);

  char spyopts[4096];
  run_options_spy_env(&o, pattern, spyopts, sizeof spyopts);
  const char *old_preload = getenv("LD_PRELOAD");
  char *preload = hs_xmalloc(strlen(lib) + (old_preload ? strlen(old_preload) : 0) + 2);
  sprintf(preload, "%s%s%s", lib, old_preload && *old_preload ? ":" : "",
          old_preload ? old_preload : "");

  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0) hs_die(1, "pipe: %m");
  fflush(NULL);
  double t0 = hs_now();
  pid_t pid = fork();
  if (pid < 0) hs_die(1, "fork: %m");
  if (pid == 0) {
    /* The profile (and trace) are created here, private and checked
     * (private_file.h); the spy then opens these very files (their
     * device and inode in HEAPSPY_OPTIONS) and refuses any other. */
    close(pfd[0]);
    char path[PATH_MAX], tpath[PATH_MAX + 8];
    expand_pid(path, sizeof path, pattern, getpid());
    int excl = strstr(pattern, "%p") ? HS_CREATE_EXCL : 0;
    static struct start_failure f = { STAGE_PROFILE, 0, "" };
    int fd = hs_create_private(path, HS_FILE_PROFILE, excl, f.msg, sizeof f.msg), tfd = -1;
    struct stat st;
    if (fd >= 0 && o.trace) {
      hst_path_of(path, tpath, sizeof tpath);
      tfd = hs_create_private(tpath, HS_FILE_TRACE, excl, f.msg, sizeof f.msg);
      if (tfd < 0) { close(fd); fd = -1; unlink(path); }
    }
    char snapdir[PATH_MAX];
    if (fd >= 0 && o.watch.nrules && !o.watch.dir) {
      default_snapshot_dir(snapdir, sizeof snapdir, path);
      if (hs_mkdir_private(snapdir, ferr, sizeof ferr) < 0) {
        snprintf(f.msg, sizeof f.msg, "--snapshot-on: %.1000s", ferr);
        close(fd); fd = -1; unlink(path);
        if (tfd >= 0) { close(tfd); tfd = -1; unlink(tpath); }
      }
    }
    if (fd < 0) { ssize_t w = write(pfd[1], &f, sizeof f); (void)w; _exit(HS_EXIT_USAGE); }
    size_t n = strlen(spyopts);
    if (fstat(fd, &st) == 0)
      n += (size_t)snprintf(spyopts + n, sizeof spyopts - n, ":profile_id=%d,%llu,%llu", (int)getpid(),
                            (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    if (tfd >= 0 && fstat(tfd, &st) == 0 && n < sizeof spyopts)
      snprintf(spyopts + n, sizeof spyopts - n, ":trace_id=%d,%llu,%llu", (int)getpid(),
               (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    close(fd);
    if (tfd >= 0) close(tfd);
    setenv("LD_PRELOAD", preload, 1);
    setenv("HEAPSPY_OPTIONS", spyopts, 1);
    execv(prog, prog_argv);
    f.stage = STAGE_EXEC;
    f.err = errno;
    ssize_t w = write(pfd[1], &f, sizeof f);
    (void)w;
    _exit(f.err == ENOENT ? 127 : 126);
  }
  child_pid = pid;
  close(pfd[1]);
  signal(SIGINT, SIG_IGN);     /* the terminal sends it to the program too */
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTERM, forward_signal);
  signal(SIGHUP, forward_signal);

  char path[PATH_MAX];
  expand_pid(path, sizeof path, pattern, pid);
  struct start_failure f;
  ssize_t got;
  do got = read(pfd[0], &f, sizeof f); while (got < 0 && errno == EINTR);
  close(pfd[0]);
  int status;
  char snapdir[PATH_MAX];
  struct hs_exporter *exporter =
      got != (ssize_t)sizeof f ? hs_export_start(&o.exp, pid, path, prog_argv[0]) : NULL;
  if (got != (ssize_t)sizeof f && o.watch.nrules) {
    if (!o.watch.dir) {          /* made by the child: see default_snapshot_dir */
      default_snapshot_dir(snapdir, sizeof snapdir, path);
      o.watch.dir = snapdir;
    }
    status = hs_watch_run(&o.watch, pid, path);
  } else {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  }
  uint64_t wall = (uint64_t)((hs_now() - t0) * 1000);
  hs_export_finish(exporter, o.quiet ? NULL : stderr);
  if (got != (ssize_t)sizeof f && o.quiet != 1 && log == stderr) log = open_log(o.log_file, o.log_fd, pid);
  if (got == (ssize_t)sizeof f) {
    if (f.stage == STAGE_PROFILE)          /* nothing was created: nothing to remove */
      hs_die(HS_EXIT_USAGE, "run: %s", f.msg);
    unlink(path);                           /* the child created these */
    if (o.trace) {
      char tpath[PATH_MAX + 8];
      hst_path_of(path, tpath, sizeof tpath);
      unlink(tpath);
    }
    hs_die(f.err == ENOENT ? 127 : 126, "run: cannot execute %s: %s", prog, strerror(f.err));
  }

  /* With --follow-children an exec'd image numbers its profile (.1, .2):
   * the process ended as the last of them. */
  if (o.follow_children) {
    char first[PATH_MAX], next[PATH_MAX];
    snprintf(first, sizeof first, "%s", path);
    for (int i = 1; i < 1000; i++) {
      if (snprintf(next, sizeof next, "%s.%d", first, i) >= (int)sizeof next ||
          access(next, F_OK) != 0)
        break;
      fprintf(log, "heapspy: the program exec'd; the profile of image %d is %s\n", i, next);
      memcpy(path, next, sizeof path);
    }
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (hsp_write_exit(path, WIFEXITED(status) ? WEXITSTATUS(status) : 0, sig, wall) < 0) {
    char trace[1100];
    hst_path_of(path, trace, sizeof trace);
    if (unlink_if_empty(path)) {
      /* created here, never written: the spy said why (a full disk, a
       * refused file); leave no empty files behind */
      unlink_if_empty(trace);
      hs_warn("no profile: the spy could not write %s (its warning above says why); "
              "the program ran unspied", path);
    } else {
      hs_warn("no profile was written to %s (the program may have replaced the spy, "
              "or exec'd a statically linked program)", path);
    }
    return code;
  }
  if (o.trace) pack_trace(path, o.quiet ? NULL : log);
  if (o.quiet == 1 && !o.error_exitcode && !o.xml) return code;

  struct hs_model m;
  char err[1200];
  if (hs_model_load(&m, path, o.debuginfo, err, sizeof err) < 0) {
    hs_warn("%s", err);
    return code;
  }
  m.show_mangled = o.mangled;
  for (size_t i = 0; i < o.nsupp; i++) hs_suppressions_apply(o.supp_sets[i], &m);
  struct hs_report_opts ro = { .max_groups = o.max_sites, .max_frames = 24,
                               .show_reachable = o.show_reachable,
                               .gen_suppressions = o.gen_suppressions,
                               .leak_check = o.leak_check, .mangled = o.mangled,
                               .show_kinds = o.show_kinds,
                               .error_kinds = o.error_kinds | HS_KINDS_GIVEN,
                               .quiet = o.quiet != 0 };
  if (strcmp(o.format, "text")) ro.max_frames = o.depth;      /* valgrind's --num-callers */
  if (o.memcheck && !(ro.show_kinds & HS_KINDS_GIVEN))     /* valgrind's default */
    ro.show_kinds = HS_KINDS_GIVEN | 1u << HSP_LEAK_DEFINITE | 1u << HSP_LEAK_POSSIBLE |
                    (o.show_reachable ? HS_KINDS_ALL : 0);
  else if (o.show_reachable && (ro.show_kinds & HS_KINDS_GIVEN))
    ro.show_kinds |= HS_KINDS_ALL;
  /* leaks count as errors in a full leak check only, as memcheck's */
  int leaked = o.leak_check == HS_LEAK_CHECK_FULL && hs_unsuppressed_blocks(&m, o.error_kinds) > 0;
  int errors = hs_unsuppressed_errors(&m) > 0;
  unsigned listed = hs_report_show_kinds(&ro);
  int worth = errors || (o.leak_check == HS_LEAK_CHECK_FULL && hs_unsuppressed_blocks(&m, listed) > 0);
  if (o.quiet == 1 || (o.quiet && !worth)) {}   /* only the exit status was wanted */
  else if (!strcmp(o.format, "json")) hs_report_json_opts(log, &m, &ro);
  else if (!strcmp(o.format, "memcheck")) hs_report_memcheck(log, &m, &ro);
  else hs_report_text(log, &m, &ro);
  if (o.xml) write_xml(&o, &m, &ro, argv, prog_argv, prog, pid);
  if (log) fflush(log);
  if (log && log != stderr) {
    int bad = ferror(log) != 0, saved = errno;
    if (fclose(log) != 0) bad = 1, saved = errno;
    if (bad)   /* a full disk: say so where the user looks, the profile keeps it all */
      hs_warn("the report could not be written in full to the log file (%s); "
              "`heapspy report %s` renders it again", strerror(saved), path);
  }
  hs_model_free(&m);
  if (o.error_exitcode && (leaked || errors)) return o.error_exitcode;
  return code;
}
